/**
 * CIFAR-10 / CIFAR-100 in their binary version, as a user downloads and extracts it
 * (`cifar-10-binary.tar.gz`, `cifar-100-binary.tar.gz`; https://www.cs.toronto.edu/~kriz/cifar.html):
 * - CIFAR-10: `data_batch_1.bin` .. `data_batch_5.bin` and `test_batch.bin`; each record is 1 label
 *   byte then 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, rows of 32); class names in
 *   `batches.meta.txt`.
 * - CIFAR-100: `train.bin` and `test.bin`; each record is a coarse and a fine label byte then the
 *   3,072 pixels; the fine labels (100 classes) are used; names in `fine_label_names.txt`.
 * The folder may be the extracted one (`cifar-10-batches-bin`, `cifar-100-binary`) or its parent.
 * Validation is held out of the training files (seeded, as for other user data).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import { readFileOrThrow } from './file-io.js';
import type { LoadDatasetOptions, LoadedDataset } from './types.js';
import { assembleUserDataset, type DataPart } from './user-data.js';

const PIXELS = 3 * 32 * 32;

/** Which CIFAR: files, record layout and classes. */
const KINDS = {
  cifar10: {
    sub: 'cifar-10-batches-bin',
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
    test: ['test_batch.bin'],
    labelBytes: 1,
    classes: 10,
    names: 'batches.meta.txt',
  },
  cifar100: { sub: 'cifar-100-binary', train: ['train.bin'], test: ['test.bin'], labelBytes: 2, classes: 100, names: 'fine_label_names.txt' },
} as const;

/** Reads records of CIFAR binary files into one part (pixels in CHW order, i.e. NCHW). */
export function readCifarFiles(paths: readonly string[], kind: 'cifar10' | 'cifar100'): DataPart {
  const k = KINDS[kind];
  const rec = k.labelBytes + PIXELS;
  const bufs = paths.map((p) => {
    const b = readFileOrThrow(p, `${kind} binary file`);
    if (b.length === 0 || b.length % rec !== 0)
      throw new DatasetError(
        `'${p}' has ${b.length} bytes, not a whole number of ${kind} records of ${rec} bytes (${k.labelBytes} label byte(s) + 3,072 pixels); expected the binary version of ${kind}`,
      );
    return b;
  });
  const n = bufs.reduce((s, b) => s + b.length / rec, 0);
  const data = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  let i = 0;
  bufs.forEach((b, f) => {
    for (let off = 0; off < b.length; off += rec, i++) {
      const y = b[off + k.labelBytes - 1] as number; // CIFAR-100: the fine label, second byte
      if (y >= k.classes) throw new DatasetError(`'${paths[f]}' record ${off / rec} has label ${y}, expected < ${k.classes} (is this ${kind}?)`);
      labels[i] = y;
      data.set(b.subarray(off + k.labelBytes, off + rec), i * PIXELS);
    }
  });
  return { images: { data, n, c: 3, h: 32, w: 32, layout: 'nchw' }, labels, eightBit: true };
}

/** Loads CIFAR-10/100 binary files from `dir` (see the module comment). */
export function loadCifar(dir: string, kind: 'cifar10' | 'cifar100', opts: LoadDatasetOptions = {}): LoadedDataset {
  const k = KINDS[kind];
  const base = existsSync(join(dir, k.sub)) ? join(dir, k.sub) : dir;
  const missing = [...k.train, ...k.test].filter((f) => !existsSync(join(base, f)));
  if (missing.length > 0)
    throw new DatasetError(
      `${kind} folder '${dir}': missing ${missing.join(', ')}; expected the extracted binary version (${[...k.train, ...k.test].join(', ')})`,
    );
  const trainFiles = k.train.map((f) => join(base, f));
  const testFiles = k.test.map((f) => join(base, f));
  const train = readCifarFiles(trainFiles, kind);
  const test = readCifarFiles(testFiles, kind);
  const ds = assembleUserDataset(
    kind,
    { train, test },
    { train: { x: trainFiles.join('+'), y: trainFiles.join('+') }, test: { x: testFiles.join('+'), y: testFiles.join('+') } },
    { numClasses: k.classes, ...opts },
  );
  const namesPath = join(base, k.names);
  const names = existsSync(namesPath)
    ? readFileSync(namesPath, 'utf8')
        .split('\n')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : [];
  return names.length === k.classes ? { ...ds, classNames: names } : ds;
}
