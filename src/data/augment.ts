/**
 * Seeded data augmentation on NCHW batches: random crop after zero padding, horizontal flip.
 */
import { ShapeError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import type { Batch, SampleShape } from './types.js';

/** Augmentations to apply, per sample. */
export interface AugmentOptions {
  /** Pad each side by this many pixels, then crop back to H x W at a random offset (0 = no crop). */
  readonly cropPadding?: number;
  /** Mirror left-right with probability 1/2. */
  readonly flip?: boolean;
  /** Value of padded pixels; use the data set's `preprocessing.background` (default 0). */
  readonly fill?: number;
}

/**
 * Augments `n` samples of `shape` in `x` in place. Per sample it draws, in this order, the crop
 * offsets (`rng.int(0, 2p)` for y, then x, when `cropPadding` p > 0) and the flip (`rng.next() < 0.5`).
 */
export function augmentInPlace(x: Float32Array, n: number, shape: SampleShape, rng: Rng, opts: AugmentOptions): void {
  const [c, h, w] = shape;
  const per = c * h * w;
  if (x.length !== n * per) throw new ShapeError(`augment: batch has ${x.length} values, expected ${n} x ${c}x${h}x${w} = ${n * per}`);
  const p = opts.cropPadding ?? 0;
  if (!Number.isInteger(p) || p < 0) throw new ShapeError(`augment: cropPadding ${p} is invalid, expected a non-negative integer`);
  const fill = opts.fill ?? 0;
  const flipOn = opts.flip === true;
  if (p === 0 && !flipOn) return;
  const tmp = new Float32Array(h * w);
  for (let s = 0; s < n; s++) {
    const dy = p > 0 ? rng.int(0, 2 * p) - p : 0;
    const dx = p > 0 ? rng.int(0, 2 * p) - p : 0;
    const flip = flipOn && rng.next() < 0.5;
    if (dy === 0 && dx === 0 && !flip) continue;
    for (let ch = 0; ch < c; ch++) {
      const base = s * per + ch * h * w;
      tmp.set(x.subarray(base, base + h * w));
      for (let i = 0; i < h; i++) {
        const si = i + dy;
        const row = base + i * w;
        if (si < 0 || si >= h) {
          x.fill(fill, row, row + w);
          continue;
        }
        for (let j = 0; j < w; j++) {
          const sj = (flip ? w - 1 - j : j) + dx;
          x[row + j] = sj < 0 || sj >= w ? fill : (tmp[si * w + sj] as number);
        }
      }
    }
  }
}

/** Returns an augmented copy of a batch (labels shared). See {@link augmentInPlace} for the draws. */
export function augmentBatch(batch: Batch, shape: SampleShape, rng: Rng, opts: AugmentOptions): Batch {
  const x = batch.x.slice();
  augmentInPlace(x, batch.n, shape, rng, opts);
  return { x, y: batch.y, n: batch.n };
}
