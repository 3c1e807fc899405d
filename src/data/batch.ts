/**
 * Mini-batches over a split: sequential, or shuffled with a seeded {@link Rng}; optional augmentation.
 */
import { ShapeError, UserError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { type AugmentOptions, augmentInPlace } from './augment.js';
import type { Batch, SampleShape, Split } from './types.js';

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Skip a last batch smaller than `batchSize` (default false). */
  readonly dropLast?: boolean;
  /** Augment each batch (needs the per-sample shape); draws from the same `rng` after the shuffle. */
  readonly augment?: AugmentOptions & { readonly shape: SampleShape };
}

/** Number of batches {@link batches} yields. */
export function numBatches(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * Yields batches of `batchSize` samples (fresh arrays, NCHW, same label type as the split).
 * With `rng` the order is a seeded permutation (drawn once, at the first batch); without, it is the
 * stored order. Augmentation needs `rng`.
 * @example
 * for (const b of batches(ds.train, 64, new Rng(1), { dropLast: true })) train(b.x, b.y, b.n);
 */
export function* batches(split: Split, batchSize: number, rng?: Rng, opts: BatchOptions = {}): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`batch size ${batchSize} is invalid: expected a positive integer`);
  const n = split.n;
  if (n === 0) return;
  const per = split.x.length / n;
  if (!Number.isInteger(per) || split.y.length !== n) {
    throw new ShapeError(`split has ${split.x.length} values and ${split.y.length} labels for n=${n}: expected n labels and a multiple of n values`);
  }
  const aug = opts.augment;
  if (aug !== undefined) {
    const [c, h, w] = aug.shape;
    if (c * h * w !== per) throw new ShapeError(`augment shape [${aug.shape.join(', ')}] has ${c * h * w} values per sample, the split has ${per}`);
    if (rng === undefined) throw new UserError('augmentation needs a seeded Rng: pass rng to batches()');
  }
  let order: Int32Array | undefined;
  if (rng !== undefined) {
    const idx = Array.from({ length: n }, (_, i) => i);
    rng.shuffle(idx);
    order = Int32Array.from(idx);
  }
  const count = numBatches(n, batchSize, opts.dropLast === true);
  for (let b = 0; b < count; b++) {
    const start = b * batchSize;
    const m = Math.min(batchSize, n - start);
    let x: Float32Array;
    let y: Split['y'];
    if (order === undefined) {
      x = split.x.slice(start * per, (start + m) * per);
      y = split.y.slice(start, start + m);
    } else {
      x = new Float32Array(m * per);
      y = split.y instanceof Uint8Array ? new Uint8Array(m) : new Int32Array(m);
      for (let i = 0; i < m; i++) {
        const k = order[start + i] as number;
        x.set(split.x.subarray(k * per, (k + 1) * per), i * per);
        y[i] = split.y[k] as number;
      }
    }
    if (aug !== undefined && rng !== undefined) augmentInPlace(x, m, aug.shape, rng, aug);
    yield { x, y, n: m };
  }
}

/** A new split made of the samples `indices` of `split` (copies). */
export function subsetSplit(split: Split, indices: ArrayLike<number>): Split {
  const per = split.n === 0 ? 0 : split.x.length / split.n;
  const x = new Float32Array(indices.length * per);
  const y = split.y instanceof Uint8Array ? new Uint8Array(indices.length) : new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i] as number;
    if (!(k >= 0 && k < split.n)) throw new UserError(`subset index ${k} is outside [0, ${split.n})`);
    x.set(split.x.subarray(k * per, (k + 1) * per), i * per);
    y[i] = split.y[k] as number;
  }
  return { x, y, n: indices.length };
}
