/**
 * Fixed, seeded ways to cut a set of samples into splits. Each returns index lists in a seeded
 * shuffled order, so the first N indices of any split form a uniform random subsample.
 */
import { ConfigError, DatasetError } from '../errors.js';
import { Rng } from '../util/rng.js';
import type { Labels, SplitLimits } from './types.js';

/** Indices of the three splits, each in a fixed shuffled order. */
export interface SplitIndices {
  readonly train: Int32Array;
  readonly val: Int32Array;
  readonly test: Int32Array;
}

/** A seeded permutation of `0..n-1`. */
export function permutation(n: number, rng: Rng): Int32Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  rng.shuffle(idx);
  return Int32Array.from(idx);
}

/**
 * Shuffles `0..n-1` with `seed`, then cuts the order into `[train | val | test]`: the last
 * `testCount` indices are test, the `valCount` before them are validation.
 */
export function holdoutSplit(n: number, seed: number, valCount: number, testCount = 0): SplitIndices {
  if (!Number.isInteger(valCount) || !Number.isInteger(testCount) || valCount < 0 || testCount < 0 || valCount + testCount > n) {
    throw new DatasetError(
      `cannot hold out ${valCount} validation + ${testCount} test samples from ${n}: expected counts in [0, ${n}] summing to at most ${n}`,
    );
  }
  const perm = permutation(n, new Rng(seed));
  const trainEnd = n - valCount - testCount;
  return {
    train: perm.slice(0, trainEnd),
    val: perm.slice(trainEnd, trainEnd + valCount),
    test: perm.slice(trainEnd + valCount),
  };
}

/**
 * Class-balanced split: for each class (in label order), its sample indices (in stored order) are
 * shuffled with one generator seeded by `seed`; the first `testPerClass` go to test, the next
 * `valPerClass` to validation, the rest to training. Each split is then shuffled with the same
 * generator so classes are interleaved.
 */
export function balancedSplit(labels: Labels, numClasses: number, seed: number, testPerClass: number, valPerClass: number): SplitIndices {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const list = byClass[labels[i] as number];
    if (list === undefined) throw new DatasetError(`label ${labels[i]} at sample ${i} is outside [0, ${numClasses})`);
    list.push(i);
  }
  const rng = new Rng(seed);
  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  byClass.forEach((list, k) => {
    if (list.length < testPerClass + valPerClass) {
      throw new DatasetError(`class ${k} has ${list.length} samples, expected at least ${testPerClass + valPerClass} for a balanced split`);
    }
    rng.shuffle(list);
    test.push(...list.slice(0, testPerClass));
    val.push(...list.slice(testPerClass, testPerClass + valPerClass));
    train.push(...list.slice(testPerClass + valPerClass));
  });
  return {
    train: Int32Array.from(rng.shuffle(train)),
    val: Int32Array.from(rng.shuffle(val)),
    test: Int32Array.from(rng.shuffle(test)),
  };
}

/** Normalises a `limit` option into per-split counts (undefined = keep all). */
export function splitLimits(limit: number | SplitLimits | undefined): SplitLimits {
  if (limit === undefined) return {};
  if (typeof limit === 'number') return { train: limit, val: limit, test: limit };
  return limit;
}

/** Keeps the first `limit` indices (all when undefined); validates the limit. */
export function applyLimit(idx: Int32Array, limit: number | undefined, split: string): Int32Array {
  if (limit === undefined) return idx;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new DatasetError(`limit for split '${split}' is ${limit}, expected a non-negative integer`);
  }
  return limit >= idx.length ? idx : idx.slice(0, limit);
}

/** Applies per-split limits to split indices. */
export function limitSplits(s: SplitIndices, limit: number | SplitLimits | undefined): SplitIndices {
  const l = splitLimits(limit);
  return { train: applyLimit(s.train, l.train, 'train'), val: applyLimit(s.val, l.val, 'val'), test: applyLimit(s.test, l.test, 'test') };
}

/** Count of each label in `[0, numClasses)`. */
export function classHistogram(y: Labels, numClasses: number): number[] {
  const h = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < y.length; i++) {
    const k = y[i] as number;
    if (k >= 0 && k < numClasses) h[k] = (h[k] as number) + 1;
  }
  return h;
}

/**
 * The one check of a split a command is about to score (accuracy, loss, a search objective): an empty split would
 * print 0.00% as if it were a result, so it is refused, naming the data set (`dataset` as the user wrote it, e.g.
 * `--dataset 'npy:x.npy,y.npy;test=x0.npy,y0.npy'`) and the split. Callers check before any training.
 * @example
 * requireScoredSplit(ds.test, 'test', `--dataset '${spec}'`);
 */
export function requireScoredSplit(split: { readonly n: number }, name: string, dataset: string): void {
  if (!(split.n >= 1)) throw new DatasetError(`${dataset} has no ${name} images; expected at least 1 to measure accuracy`);
}

/**
 * The one check of a number of images a search scores each candidate on (`hwnas quantize --search-images`, a study
 * config's `searchImages`, `hwnas transform --val-samples`): more than the split holds is refused, naming both numbers,
 * rather than quietly capped. `option` is how the user wrote the number, `dataset` the data set as the user wrote it.
 * @example
 * requireImagesInSplit(5000, '--search-images', ds.val, 'validation', `--dataset '${spec}'`);
 * // ConfigError: --search-images 5000: --dataset 'mnist;limit=val:100' has 100 validation images; expected at most 100
 */
export function requireImagesInSplit(count: number, option: string, split: { readonly n: number }, name: string, dataset: string): void {
  if (count > split.n) throw new ConfigError(`${option} ${count}: ${dataset} has ${split.n} ${name} images; expected at most ${split.n}`);
}
