/**
 * Reader and writer of the IDX format (the format of the original MNIST files).
 *
 * Layout: two zero bytes, a type code byte, a byte giving the number of dimensions `d`, then `d`
 * big-endian uint32 sizes, then the values in row-major order, big-endian. Type codes:
 * 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
 * Gzip-compressed files (`.gz` as distributed by the MNIST site) are decompressed transparently.
 */
import { DatasetError } from '../errors.js';
import { maybeGunzip, readFileOrThrow, writeFileAtomic } from './file-io.js';

/** Element type of an IDX file. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** Typed array holding the values of an IDX file. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** The contents of an IDX file. */
export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly shape: readonly number[];
  readonly data: IdxData;
}

const CODE_TO_DTYPE: Readonly<Record<number, IdxDtype>> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

const DTYPE_TO_CODE: Readonly<Record<IdxDtype, number>> = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
};

const DTYPE_BYTES: Readonly<Record<IdxDtype, number>> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
};

function hex(n: number, width: number): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

/** Parses IDX bytes; `file` names the source in error messages. */
export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxArray {
  const buf = maybeGunzip(bytes, file);
  if (buf.length < 4) {
    throw new DatasetError(`IDX file '${file}' is truncated: ${buf.length} bytes, expected at least a 4-byte magic number`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  const code = buf[2] as number;
  const ndim = buf[3] as number;
  const dtype = CODE_TO_DTYPE[code];
  if (buf[0] !== 0 || buf[1] !== 0 || dtype === undefined || ndim === 0) {
    throw new DatasetError(
      `'${file}' is not an IDX file: magic number ${hex(magic, 8)}, expected 0x0000TTDD with type TT in ` +
        `{08,09,0b,0c,0d,0e} and DD >= 1 dimensions (e.g. 0x00000803 for MNIST images, 0x00000801 for labels)`,
    );
  }
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) {
    throw new DatasetError(
      `IDX file '${file}' is truncated: magic ${hex(magic, 8)} announces ${ndim} dimensions (${headerBytes}-byte header), found ${buf.length} bytes`,
    );
  }
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  const elem = DTYPE_BYTES[dtype];
  const expected = headerBytes + count * elem;
  if (buf.length !== expected) {
    const what = buf.length < expected ? 'truncated' : 'longer than its header says';
    throw new DatasetError(`IDX file '${file}' is ${what}: header says ${shape.join('x')} ${dtype} = ${expected} bytes in all, found ${buf.length}`);
  }
  return { dtype, shape, data: decode(view, headerBytes, count, dtype) };
}

function decode(view: DataView, off: number, count: number, dtype: IdxDtype): IdxData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + off, view.byteOffset + off + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + off, view.byteOffset + off + count));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(off + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(off + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(off + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(off + 8 * i, false);
      return out;
    }
  }
}

/** Reads an IDX file (optionally gzip-compressed); `what` names its role in error messages. */
export function readIdx(path: string, what = 'IDX file'): IdxArray {
  return parseIdx(readFileOrThrow(path, what), path);
}

/** Typed array class expected for each IDX dtype. */
function checkData(arr: IdxArray): void {
  const ok =
    (arr.dtype === 'uint8' && arr.data instanceof Uint8Array) ||
    (arr.dtype === 'int8' && arr.data instanceof Int8Array) ||
    (arr.dtype === 'int16' && arr.data instanceof Int16Array) ||
    (arr.dtype === 'int32' && arr.data instanceof Int32Array) ||
    (arr.dtype === 'float32' && arr.data instanceof Float32Array) ||
    (arr.dtype === 'float64' && arr.data instanceof Float64Array);
  if (!ok) throw new DatasetError(`IDX dtype '${arr.dtype}' does not match data of type ${arr.data.constructor.name}`);
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.shape.length === 0 || arr.shape.length > 255 || count !== arr.data.length) {
    throw new DatasetError(
      `IDX shape [${arr.shape.join(', ')}] does not fit ${arr.data.length} values (expected 1..255 dimensions whose product is the value count)`,
    );
  }
}

/** Encodes an array as IDX bytes (big-endian, as the format requires). */
export function encodeIdx(arr: IdxArray): Uint8Array {
  checkData(arr);
  const header = 4 + 4 * arr.shape.length;
  const elem = DTYPE_BYTES[arr.dtype];
  const out = new Uint8Array(header + arr.data.length * elem);
  const view = new DataView(out.buffer);
  out[2] = DTYPE_TO_CODE[arr.dtype];
  out[3] = arr.shape.length;
  arr.shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const d = arr.data;
  const n = d.length;
  switch (arr.dtype) {
    case 'uint8':
    case 'int8':
      out.set(new Uint8Array(d.buffer, d.byteOffset, n), header);
      break;
    case 'int16':
      for (let i = 0; i < n; i++) view.setInt16(header + 2 * i, d[i] as number, false);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) view.setInt32(header + 4 * i, d[i] as number, false);
      break;
    case 'float32':
      for (let i = 0; i < n; i++) view.setFloat32(header + 4 * i, d[i] as number, false);
      break;
    case 'float64':
      for (let i = 0; i < n; i++) view.setFloat64(header + 8 * i, d[i] as number, false);
      break;
  }
  return out;
}

/** Writes an IDX file atomically. */
export function writeIdx(path: string, arr: IdxArray): void {
  writeFileAtomic(path, [encodeIdx(arr)]);
}
