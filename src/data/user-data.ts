/**
 * User data sets from IDX or NPY files: a training image/label pair, and optionally test and
 * validation pairs. Missing validation/test pairs are held out of the training files with a fixed
 * seeded shuffle ({@link USER_SPLIT_SEED}).
 */
import { basename, resolve } from 'node:path';
import { DatasetError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { readIdx } from './idx.js';
import { readNpy } from './npy.js';
import { describeTransform, makeSplit, outputShape, type PixelData, type PixelTransform, pixelStats, type RawImages } from './preprocess.js';
import { holdoutSplit, limitSplits, permutation, type SplitIndices } from './split.js';
import type { Labels, LoadDatasetOptions, LoadedDataset } from './types.js';

/** Seed of the fixed shuffles used to hold out validation/test data from user training files. */
export const USER_SPLIT_SEED = 1234;

/** An images file and its labels file. */
export interface FilePair {
  readonly x: string;
  readonly y: string;
}

/** Where a user data set's files are. */
export interface UserFiles {
  readonly format: 'idx' | 'npy';
  readonly train: FilePair;
  readonly val?: FilePair;
  readonly test?: FilePair;
}

/** Stored images and labels of one split of a user data set (IDX/NPY files, image folders, CIFAR files). */
export interface DataPart {
  readonly images: RawImages;
  readonly labels: Labels;
  /** Stored values are 8-bit (scaled by 1/255) or float (used as they are). */
  readonly eightBit: boolean;
}
type Part = DataPart;

function readPart(format: 'idx' | 'npy', pair: FilePair, layout: 'nchw' | 'nhwc'): Part {
  const xs = format === 'idx' ? readIdx(pair.x, 'IDX images file') : readNpy(pair.x, 'NPY images file');
  const ys = format === 'idx' ? readIdx(pair.y, 'IDX labels file') : readNpy(pair.y, 'NPY labels file');
  const sh = xs.shape;
  const eightBit = xs.dtype === 'uint8';
  if (!(eightBit || xs.dtype === 'float32' || xs.dtype === 'float64')) {
    throw new DatasetError(`'${pair.x}' holds ${xs.dtype} images, expected uint8 (scaled by 1/255) or float32/float64 (used as stored)`);
  }
  let images: RawImages;
  const data = xs.data as PixelData;
  if (sh.length === 3) {
    images = { data, n: sh[0] as number, c: 1, h: sh[1] as number, w: sh[2] as number, layout: 'nchw' };
  } else if (sh.length === 4) {
    const [n, a, b, c] = sh as [number, number, number, number];
    images = layout === 'nchw' ? { data, n, c: a, h: b, w: c, layout } : { data, n, c, h: a, w: b, layout };
  } else {
    throw new DatasetError(`'${pair.x}' has shape [${sh.join(', ')}], expected [N, H, W] or [N, C, H, W] (or [N, H, W, C] with layout=nhwc)`);
  }
  if (images.h === 0 || images.w === 0 || images.c === 0) throw new DatasetError(`'${pair.x}' has empty images of shape [${sh.join(', ')}]`);
  if (!eightBit) requireFinitePixels(images, pair.x);
  const ok = ys.shape.length === 1 || (ys.shape.length === 2 && ys.shape[1] === 1);
  if (!ok || ys.shape[0] !== images.n) {
    throw new DatasetError(`'${pair.y}' has shape [${ys.shape.join(', ')}], expected [${images.n}] (one label per image of '${pair.x}')`);
  }
  return { images, labels: toLabels(ys.data, ys.dtype, pair.y), eightBit };
}

/**
 * Refuses float images holding NaN or an infinity (a failed export, a division by zero): trained on, they would
 * give NaN losses or an accuracy that means nothing. The error names the file, the first such sample and its value.
 */
export function requireFinitePixels(images: RawImages, file: string): void {
  const { data } = images;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!Number.isFinite(v)) {
      const per = data.length / images.n;
      throw new DatasetError(
        `'${file}' has the value ${v} in sample ${Math.floor(i / per)} (of ${images.n}); expected finite pixel values (no NaN or infinity)`,
      );
    }
  }
}

function toLabels(data: ArrayLike<number | bigint>, dtype: string, file: string): Labels {
  if (dtype.startsWith('float') || dtype === 'bool') {
    throw new DatasetError(`'${file}' holds ${dtype} labels, expected integer class labels (uint8, int32, int64, ...)`);
  }
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!(v >= 0 && v <= 0x7fffffff)) throw new DatasetError(`'${file}' has label ${v} at index ${i}, expected a non-negative class index`);
    out[i] = v;
  }
  return out;
}

/** Loads a user data set from IDX or NPY files (see the module comment for the split rules). */
export function loadUserDataset(files: UserFiles, opts: LoadDatasetOptions = {}): LoadedDataset {
  const layout = opts.layout ?? 'nchw';
  const train = readPart(files.format, files.train, layout);
  const val = files.val !== undefined ? readPart(files.format, files.val, layout) : undefined;
  const test = files.test !== undefined ? readPart(files.format, files.test, layout) : undefined;
  return assembleUserDataset(basename(resolve(files.train.x)), { train, ...(val ? { val } : {}), ...(test ? { test } : {}) }, files, opts);
}

/**
 * The splits of a user data set from its stored parts: checks shapes and labels, holds validation/test
 * out of the training part when absent, limits, scales, resizes, standardises. `files` names the parts
 * in messages and notes.
 */
export function assembleUserDataset(
  name: string,
  stored: { readonly train: DataPart; readonly val?: DataPart; readonly test?: DataPart },
  files: { readonly train: FilePair; readonly val?: FilePair; readonly test?: FilePair },
  opts: LoadDatasetOptions = {},
): LoadedDataset {
  const { train, val, test } = stored;
  const ref = train.images;
  for (const [part, pair] of [
    [val, files.val],
    [test, files.test],
  ] as const) {
    if (part === undefined || pair === undefined) continue;
    const im = part.images;
    if (im.c !== ref.c || im.h !== ref.h || im.w !== ref.w || part.eightBit !== train.eightBit) {
      throw new DatasetError(
        `'${pair.x}' holds ${im.c}x${im.h}x${im.w} ${part.eightBit ? '8-bit' : 'float'} images, expected ${ref.c}x${ref.h}x${ref.w} ${train.eightBit ? '8-bit' : 'float'} like '${files.train.x}'`,
      );
    }
  }
  const parts: [Part, FilePair][] = [[train, files.train]];
  if (val !== undefined && files.val !== undefined) parts.push([val, files.val]);
  if (test !== undefined && files.test !== undefined) parts.push([test, files.test]);
  let maxLabel = -1;
  for (const [p] of parts) for (let i = 0; i < p.labels.length; i++) maxLabel = Math.max(maxLabel, p.labels[i] as number);
  const numClasses = opts.numClasses ?? maxLabel + 1;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new DatasetError(`number of classes ${numClasses} is invalid: expected a positive integer`);
  for (const [p, pair] of parts) {
    const bad = p.labels.findIndex((v) => v >= numClasses);
    if (bad >= 0) throw new DatasetError(`'${pair.y}' has label ${p.labels[bad]} at index ${bad}, expected < ${numClasses} classes`);
  }

  const valFraction = opts.valFraction ?? 0.1;
  const testFraction = opts.testFraction ?? 0.1;
  for (const [name, f] of [
    ['valFraction', valFraction],
    ['testFraction', testFraction],
  ] as const) {
    if (!(f >= 0 && f < 1)) throw new DatasetError(`${name} ${f} is invalid: expected a number in [0, 1)`);
  }
  const n = ref.n;
  const valCount = val === undefined ? Math.round(n * valFraction) : 0;
  const testCount = test === undefined ? Math.round(n * testFraction) : 0;
  const held = holdoutSplit(n, USER_SPLIT_SEED, valCount, testCount);
  const order = (p: Part | undefined, seed: number): Int32Array | undefined => (p === undefined ? undefined : permutation(p.images.n, new Rng(seed)));
  const idx: SplitIndices = limitSplits(
    { train: held.train, val: order(val, USER_SPLIT_SEED + 1) ?? held.val, test: order(test, USER_SPLIT_SEED + 2) ?? held.test },
    opts.limit,
  );

  const shape = outputShape(ref, opts);
  const scale = train.eightBit ? 1 / 255 : 1;
  const stats = opts.standardize === true ? pixelStats(ref, held.train, scale) : { mean: 0, std: 1 };
  const t: PixelTransform = { outC: shape[0], outH: shape[1], outW: shape[2], resize: opts.resize ?? 'pad', scale, ...stats };
  const notes = [
    val === undefined ? `validation: ${valCount} samples held out of '${files.train.x}' (shuffle seed ${USER_SPLIT_SEED})` : `validation: '${files.val?.x}'`,
    test === undefined ? `test: ${testCount} samples held out of '${files.train.x}' (shuffle seed ${USER_SPLIT_SEED})` : `test: '${files.test?.x}'`,
  ];
  if (opts.standardize === true) notes.push(`standardised with mean ${stats.mean.toPrecision(5)} and std ${stats.std.toPrecision(5)} of the training split`);
  return {
    name,
    shape,
    numClasses,
    train: makeSplit(ref, train.labels, idx.train, t),
    val: val === undefined ? makeSplit(ref, train.labels, idx.val, t) : makeSplit(val.images, val.labels, idx.val, t),
    test: test === undefined ? makeSplit(ref, train.labels, idx.test, t) : makeSplit(test.images, test.labels, idx.test, t),
    preprocessing: describeTransform(ref, t),
    notes,
  };
}
