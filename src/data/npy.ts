/**
 * Reader and writer of NumPy's `.npy` format (versions 1.0, 2.0 and 3.0).
 *
 * Layout: the magic `\x93NUMPY`, a major and minor version byte, the header length (uint16
 * little-endian in 1.0, uint32 in 2.0/3.0), then an ASCII (3.0: UTF-8) Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }` padded with spaces and a
 * newline, then the raw values. C order only; `fortran_order: True` is rejected with a clear error.
 */
import { endianness } from 'node:os';
import { DatasetError } from '../errors.js';
import { readFileOrThrow, writeFileAtomic } from './file-io.js';

/** Element types understood by the NPY reader/writer. */
export type NpyDtype = 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';

/** Typed array holding NPY values (64-bit integers as BigInt arrays). */
export type NpyData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** The contents of an NPY file. */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const KIND_TO_DTYPE: Readonly<Record<string, NpyDtype>> = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f4: 'float32',
  f8: 'float64',
};

const DTYPE_TO_DESCR: Readonly<Record<NpyDtype, string>> = {
  bool: '|b1',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  uint64: '<u8',
  float32: '<f4',
  float64: '<f8',
};

const DTYPE_BYTES: Readonly<Record<NpyDtype, number>> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
};

const HOST_LITTLE = endianness() === 'LE';

/** Parses NPY bytes; `file` names the source in error messages. */
export function parseNpy(buf: Uint8Array, file = '<buffer>'): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    const got = Array.from(buf.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const hint = buf[0] === 0x50 && buf[1] === 0x4b ? ' (this is a zip archive: .npz is not supported, save each array with numpy.save)' : '';
    throw new DatasetError(`'${file}' is not an NPY file: starts with bytes [${got}], expected the magic '\\x93NUMPY' (93 4e 55 4d 50 59)${hint}`);
  }
  const major = buf[6] as number;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new DatasetError(`NPY file '${file}' is truncated: ${buf.length} bytes, expected a 12-byte preamble`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new DatasetError(`NPY file '${file}' has format version ${major}.${buf[7]}, expected 1.0, 2.0 or 3.0`);
  }
  const dataStart = headerStart + headerLen;
  if (buf.length < dataStart) {
    throw new DatasetError(`NPY file '${file}' is truncated: header announces ${headerLen} bytes, file has ${buf.length} bytes in all`);
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(headerStart, dataStart));
  const { dtype, littleEndian, shape } = parseHeader(header, file);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = count * DTYPE_BYTES[dtype];
  if (buf.length - dataStart !== bytes) {
    const what = buf.length - dataStart < bytes ? 'truncated' : 'longer than its header says';
    throw new DatasetError(
      `NPY file '${file}' is ${what}: header says shape (${shape.join(', ')}) ${dtype} = ${bytes} data bytes, found ${buf.length - dataStart}`,
    );
  }
  return { dtype, shape, data: decode(buf, dataStart, count, dtype, littleEndian) };
}

function parseHeader(header: string, file: string): { dtype: NpyDtype; littleEndian: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DatasetError(
      `NPY file '${file}' has a malformed header ${JSON.stringify(header.trim())}: expected a dict with 'descr', 'fortran_order' and 'shape'`,
    );
  }
  const m = /^([<>|=]?)([a-z]\d+)$/.exec(descr);
  const dtype = m ? KIND_TO_DTYPE[m[2] as string] : undefined;
  if (!m || dtype === undefined) {
    throw new DatasetError(
      `NPY file '${file}' has dtype '${descr}', expected one of bool, int8/16/32/64, uint8/16/32/64, float32, float64 (e.g. '<f4', '|u1', '<i8')`,
    );
  }
  if (fortran === 'True') {
    throw new DatasetError(`NPY file '${file}' is stored in Fortran order, expected C order (save numpy.ascontiguousarray(a))`);
  }
  const shape: number[] = [];
  for (const part of shapeText.split(',')) {
    const t = part.trim().replace(/L$/, '');
    if (t === '') continue;
    if (!/^\d+$/.test(t)) throw new DatasetError(`NPY file '${file}' has shape '(${shapeText})', expected a tuple of non-negative integers`);
    shape.push(Number(t));
  }
  const order = m[1];
  const littleEndian = order === '>' ? false : order === '=' ? HOST_LITTLE : true;
  return { dtype, littleEndian, shape };
}

function decode(buf: Uint8Array, off: number, count: number, dtype: NpyDtype, little: boolean): NpyData {
  const size = DTYPE_BYTES[dtype];
  const raw = buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + count * size);
  if (size > 1 && little !== HOST_LITTLE) swapBytes(new Uint8Array(raw), size);
  switch (dtype) {
    case 'bool':
    case 'uint8':
      return new Uint8Array(raw);
    case 'int8':
      return new Int8Array(raw);
    case 'int16':
      return new Int16Array(raw);
    case 'uint16':
      return new Uint16Array(raw);
    case 'int32':
      return new Int32Array(raw);
    case 'uint32':
      return new Uint32Array(raw);
    case 'int64':
      return new BigInt64Array(raw);
    case 'uint64':
      return new BigUint64Array(raw);
    case 'float32':
      return new Float32Array(raw);
    case 'float64':
      return new Float64Array(raw);
  }
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) {
    for (let j = 0; j < size >> 1; j++) {
      const t = b[i + j] as number;
      b[i + j] = b[i + size - 1 - j] as number;
      b[i + size - 1 - j] = t;
    }
  }
}

/** Reads an NPY file; `what` names its role in error messages. */
export function readNpy(path: string, what = 'NPY file'): NpyArray {
  return parseNpy(readFileOrThrow(path, what), path);
}

function expectedClass(dtype: NpyDtype): string {
  const names: Record<NpyDtype, string> = {
    bool: 'Uint8Array',
    int8: 'Int8Array',
    uint8: 'Uint8Array',
    int16: 'Int16Array',
    uint16: 'Uint16Array',
    int32: 'Int32Array',
    uint32: 'Uint32Array',
    int64: 'BigInt64Array',
    uint64: 'BigUint64Array',
    float32: 'Float32Array',
    float64: 'Float64Array',
  };
  return names[dtype];
}

/** Encodes an array as NPY bytes (little-endian, C order, version 1.0 unless the header needs 2.0). */
export function encodeNpy(arr: NpyArray): Uint8Array {
  if (arr.data.constructor.name !== expectedClass(arr.dtype)) {
    throw new DatasetError(`NPY dtype '${arr.dtype}' needs a ${expectedClass(arr.dtype)}, got ${arr.data.constructor.name}`);
  }
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length || arr.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new DatasetError(`NPY shape (${arr.shape.join(', ')}) does not fit ${arr.data.length} values`);
  }
  const shapeText = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let dict = `{'descr': '${DTYPE_TO_DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let major = 1;
  let pre = 10;
  if (dict.length + 1 + pre > 65535) {
    major = 2;
    pre = 12;
  }
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - pre - 1, ' ') + '\n';
  const headerLen = dict.length;
  const size = DTYPE_BYTES[arr.dtype];
  const out = new Uint8Array(pre + headerLen + count * size);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  for (let i = 0; i < headerLen; i++) out[pre + i] = dict.charCodeAt(i);
  const bytes = new Uint8Array(arr.data.buffer, arr.data.byteOffset, count * size);
  const dst = out.subarray(pre + headerLen);
  dst.set(bytes);
  if (size > 1 && !HOST_LITTLE) swapBytes(dst, size);
  return out;
}

/** Writes an NPY file atomically (useful to make fixtures and to export data). */
export function writeNpy(path: string, arr: NpyArray): void {
  writeFileAtomic(path, [encodeNpy(arr)]);
}
