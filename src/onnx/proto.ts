/**
 * Low-level ONNX protobuf access: the generated `onnx` namespace, tensor (initializer) decoding and
 * encoding, attribute readers. The only module of hwnas that touches protobuf types directly.
 */
import onnxProto from 'onnx-proto';
import { ModelFormatError } from '../errors.js';
import type { OnnxAttrValue, OnnxConst, OnnxDType } from '../ir/ops/types.js';

/** The protobufjs-generated ONNX namespace (`onnx.ModelProto`, `onnx.TensorProto`, ...). */
export const onnx = onnxProto.onnx;

import type { onnx as O } from 'onnx-proto';

/** A protobufjs int64 value: a JS number or a `Long`-like object. */
type Int64 = number | { toNumber(): number } | null | undefined;

/** An int64 field as a JS number (exact up to 2^53). */
export function toNum(v: Int64): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Element types hwnas reads and writes. */
export type TensorDType = OnnxDType;

/** ONNX `TensorProto.DataType` codes of {@link TensorDType}. */
export const DTYPE_CODE: Readonly<Record<TensorDType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  float16: 10,
  float64: 11,
};

/** A constant tensor decoded from an initializer or a Constant node. */
export type ConstTensor = OnnxConst;

function copyBytes(b: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out.buffer;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Decode an ONNX TensorProto (raw_data or typed fields) into a {@link ConstTensor}. Throws
 * {@link ModelFormatError} (prefixed by `where`) on unsupported types, external data or a size mismatch.
 */
export function decodeTensor(t: O.ITensorProto, where: string): ConstTensor {
  const name = t.name ?? '';
  const dims = (t.dims ?? []).map((d) => toNum(d as Int64));
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new ModelFormatError(`${where}: tensor '${name}' has invalid dims [${dims.join(',')}]`);
  }
  const n = dims.reduce((a, b) => a * b, 1);
  if (t.dataLocation === 1) {
    throw new ModelFormatError(`${where}: tensor '${name}' uses external data, which is not supported (expected the data inside the .onnx file)`);
  }
  const code = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.byteLength > 0 ? t.rawData : null;
  const wrongSize = (got: number): ModelFormatError =>
    new ModelFormatError(`${where}: tensor '${name}' has ${got} values, expected ${n} for dims [${dims.join(',')}] (truncated or corrupt file?)`);
  const rawView = (elemBytes: number): ArrayBuffer => {
    const r = raw as Uint8Array;
    if (r.byteLength !== n * elemBytes) throw wrongSize(r.byteLength / elemBytes);
    return copyBytes(r);
  };
  const check = <T extends { length: number }>(a: T): T => {
    if (a.length !== n) throw wrongSize(a.length);
    return a;
  };
  switch (code) {
    case 1:
      return { name, dims, dtype: 'float32', data: raw ? new Float32Array(rawView(4)) : check(Float32Array.from(t.floatData ?? [])) };
    case 10: {
      const bits = raw ? new Uint16Array(rawView(2)) : check(Uint16Array.from(t.int32Data ?? []));
      return { name, dims, dtype: 'float16', data: Float64Array.from(bits, halfToFloat) };
    }
    case 11:
      return { name, dims, dtype: 'float64', data: raw ? new Float64Array(rawView(8)) : check(Float64Array.from(t.doubleData ?? [])) };
    case 7: {
      const data = raw
        ? Float64Array.from(new BigInt64Array(rawView(8)), (v) => Number(v))
        : check(Float64Array.from(t.int64Data ?? [], (v) => toNum(v as Int64)));
      return { name, dims, dtype: 'int64', data };
    }
    case 6:
    case 3:
    case 2: {
      const dtype: TensorDType = code === 6 ? 'int32' : code === 3 ? 'int8' : 'uint8';
      let data: Float64Array;
      if (raw) {
        const buf = rawView(code === 6 ? 4 : 1);
        data = Float64Array.from(code === 6 ? new Int32Array(buf) : code === 3 ? new Int8Array(buf) : new Uint8Array(buf));
      } else data = check(Float64Array.from(t.int32Data ?? []));
      return { name, dims, dtype, data };
    }
    default:
      throw new ModelFormatError(
        `${where}: tensor '${name}' has data type ${code}, expected float32 (1), float16 (10), float64 (11), int64 (7), int32 (6), int8 (3) or uint8 (2)`,
      );
  }
}

/** Encode typed values as an ONNX TensorProto (raw_data, little-endian). */
export function encodeTensor(
  name: string,
  dims: readonly number[],
  dtype: TensorDType,
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int32Array | BigInt64Array | Uint16Array,
): O.TensorProto {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DTYPE_CODE[dtype], rawData: bytes });
}

/** A decoded node attribute value. */
export type AttrValue = OnnxAttrValue;

/** Read a node's attributes into a map by name (ints/floats as numbers, tensors decoded). */
export function readAttributes(node: O.INodeProto, where: string): Map<string, AttrValue> {
  const out = new Map<string, AttrValue>();
  for (const a of node.attribute ?? []) {
    const name = a.name ?? '';
    switch (a.type) {
      case 1:
        out.set(name, a.f ?? 0);
        break;
      case 2:
        out.set(name, toNum(a.i as Int64));
        break;
      case 3:
        out.set(name, new TextDecoder().decode(a.s ?? new Uint8Array()));
        break;
      case 4:
        if (a.t) out.set(name, decodeTensor(a.t, where));
        break;
      case 6:
        out.set(name, [...(a.floats ?? [])]);
        break;
      case 7:
        out.set(
          name,
          (a.ints ?? []).map((v) => toNum(v as Int64)),
        );
        break;
      default:
        // Graph, sparse and string-list attributes are not used by the supported ops; ignore them.
        break;
    }
  }
  return out;
}

/** Build an ONNX attribute from a JS value (integers vs floats are chosen by `kind`). */
export function makeAttribute(
  name: string,
  kind: 'int' | 'float' | 'ints' | 'floats' | 'string',
  value: number | string | readonly number[],
): O.AttributeProto {
  switch (kind) {
    case 'int':
      return onnx.AttributeProto.create({ name, type: 2, i: value as number });
    case 'float':
      return onnx.AttributeProto.create({ name, type: 1, f: value as number });
    case 'ints':
      return onnx.AttributeProto.create({ name, type: 7, ints: [...(value as readonly number[])] });
    case 'floats':
      return onnx.AttributeProto.create({ name, type: 6, floats: [...(value as readonly number[])] });
    case 'string':
      return onnx.AttributeProto.create({ name, type: 3, s: new TextEncoder().encode(value as string) });
  }
}
