/** Helpers for the engine's oracle tests: seeded tensors and relative-error comparison. */
import type { Rng } from '../../util/rng.js';
import { tf } from '../tf.js';

/** Seeded uniform(-1, 1) values for a shape. */
export function randomValues(rng: Rng, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

/** A tensor on the current backend from values and shape. */
export function tensorOf(values: Float32Array, shape: readonly number[]): tf.Tensor {
  return tf.tensor(values, shape as number[], 'float32');
}

/** max |a - b| / max(max |b|, floor): relative error in the infinity norm. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return Number.POSITIVE_INFINITY;
    diff = Math.max(diff, Math.abs(x - y));
    scale = Math.max(scale, Math.abs(y));
  }
  return diff / scale;
}

/** Flattened float values of tensors, read synchronously and concatenated. */
export function flat(ts: readonly tf.Tensor[]): Float32Array {
  const parts = ts.map((t) => t.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
