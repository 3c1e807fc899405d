/** Shape arithmetic shared by shape inference and the op files: window sizes, padding, broadcasting. */
import { ShapeError } from '../errors.js';
import type { Pads, Shape } from './types.js';

/** Output size of a windowed op along one axis. */
export function windowOut(size: number, k: number, s: number, d: number, padBefore: number, padAfter: number): number {
  return Math.floor((size + padBefore + padAfter - d * (k - 1) - 1) / s) + 1;
}

/** TensorFlow-style 'same' pads `[top, left, bottom, right]` (extra padding at the end). */
export function samePads(inH: number, inW: number, k: readonly [number, number], s: readonly [number, number], d: readonly [number, number] = [1, 1]): Pads {
  const one = (size: number, kk: number, ss: number, dd: number): [number, number] => {
    const out = Math.ceil(size / ss);
    const total = Math.max((out - 1) * ss + (kk - 1) * dd + 1 - size, 0);
    const before = Math.floor(total / 2);
    return [before, total - before];
  };
  const [t, b] = one(inH, k[0], s[0], d[0]);
  const [l, r] = one(inW, k[1], s[1], d[1]);
  return [t, l, b, r];
}

/** Product of a shape's dimensions. */
export function numel(s: Shape): number {
  let p = 1;
  for (const v of s) p *= v;
  return p;
}

/** A shape as `[a,b,c]` for error messages. */
export function fmtShape(s: Shape | undefined): string {
  return s ? `[${s.join(',')}]` : 'undefined';
}

/** Broadcast two per-sample shapes numpy-style, or throw naming the node. */
export function broadcastShapes(a: Shape, b: Shape, node: string): Shape {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`node '${node}': shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together`);
    }
    out.push(Math.max(da, db));
  }
  return out;
}

/** Row-major strides of a shape. */
export function stridesOf(s: Shape): number[] {
  const st = new Array<number>(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) st[i] = (st[i + 1] as number) * (s[i + 1] as number);
  return st;
}
