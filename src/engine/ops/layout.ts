/** Layout conversions shared by the engine's op lowerings and the model (NHWC vs IR order, padding arguments). */
import { samePads } from '../../ir/geometry.js';
import type { Pads } from '../../ir/types.js';
import { tf } from '../tf.js';
import type { CompiledValue, EngineParam } from './types.js';

/** Converts a value to IR ('std') order. */
export function toStd(t: tf.Tensor, c: CompiledValue): tf.Tensor {
  if (c.layout === 'nhwc') {
    const [, h, w, ch] = t.shape as [number, number, number, number];
    return h * w === 1 ? t.reshape([-1, ch, 1, 1]) : tf.transpose(t, [0, 3, 1, 2]);
  }
  if (c.layout === 'flat-hwc') {
    const [ch, h, w] = c.flatFrom as [number, number, number];
    return tf.transpose(t.reshape([-1, h, w, ch]), [0, 3, 1, 2]).reshape([-1, ch * h * w]);
  }
  return t;
}

/** Brings a binary-op operand to the output's rank and layout (per-sample broadcasting). */
export function alignOperand(t: tf.Tensor, from: CompiledValue, out: CompiledValue): tf.Tensor {
  const r = out.shape.length;
  if (from.layout === 'nhwc') return t; // r === 3 as well
  let s = from.layout === 'flat-hwc' ? toStd(t, from) : t;
  if (from.shape.length < r) s = s.reshape([-1, ...new Array<number>(r - from.shape.length).fill(1), ...from.shape]);
  return out.layout === 'nhwc' ? tf.transpose(s, [0, 2, 3, 1]) : s;
}

/** The tensor axis of per-sample IR axis `axis` (negative counts from the end) in a value's layout. */
export function engineAxis(axis: number, c: CompiledValue): number {
  const r = c.shape.length;
  const ax = axis < 0 ? axis + r : axis;
  return c.layout === 'nhwc' ? ([3, 1, 2][ax] as number) : ax + 1;
}

/** IR pads as explicit NHWC tfjs pads. */
export function toExplicit(p: Pads): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [p[0], p[2]],
    [p[1], p[3]],
    [0, 0],
  ];
}

/** tfjs padding argument for IR pads: 'valid', 'same' when they equal TF's, else explicit NHWC pads. */
export function padArg(
  pads: Pads,
  h: number,
  w: number,
  k: readonly [number, number],
  s: readonly [number, number],
): 'valid' | 'same' | ReturnType<typeof toExplicit> {
  if (pads.every((p) => p === 0)) return 'valid';
  const same = samePads(h, w, k, s);
  if (same.every((v, i) => v === pads[i])) return 'same';
  return toExplicit(pads);
}

/** Permutes a dense `[C*H*W]` index from HWC order to the NCHW order of the IR. */
export function hwcToChw(c: number, h: number, w: number): Int32Array {
  const map = new Int32Array(c * h * w);
  for (let hh = 0; hh < h; hh++) {
    for (let ww = 0; ww < w; ww++) {
      for (let cc = 0; cc < c; cc++) map[(hh * w + ww) * c + cc] = (cc * h + hh) * w + ww;
    }
  }
  return map;
}

/** Transposes a row-major array of `shape` by `perm` (plain JS, for weight conversions). */
export function transposeArray(d: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const r = shape.length;
  const outShape = perm.map((p) => shape[p] as number);
  const inStrides = new Array<number>(r).fill(1);
  for (let i = r - 2; i >= 0; i--) inStrides[i] = (inStrides[i + 1] as number) * (shape[i + 1] as number);
  const out = new Float32Array(d.length);
  const idx = new Array<number>(r).fill(0);
  const permStrides = perm.map((p) => inStrides[p] as number);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < r; k++) src += (idx[k] as number) * (permStrides[k] as number);
    out[o] = d[src] as number;
    for (let k = r - 1; k >= 0; k--) {
      idx[k] = (idx[k] as number) + 1;
      if ((idx[k] as number) < (outShape[k] as number)) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** Inverse permutation. */
export function invPerm(p: readonly number[]): number[] {
  const q = new Array<number>(p.length);
  for (let i = 0; i < p.length; i++) q[p[i] as number] = i;
  return q;
}

/** A weight stored the same way in both layouts (biases, batch-norm vectors). */
export function vectorParam(param: string, c: number, trainable: boolean): EngineParam {
  const id = (d: Float32Array): Float32Array => d.slice();
  return { param, irShape: [c], engineShape: [c], trainable, toEngine: id, toIr: id };
}
