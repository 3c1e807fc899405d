import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DatasetError } from '../errors.js';
import {
  FASHION_CLASS_NAMES,
  FASHION_SPLIT_SEED,
  FASHION_STATS,
  fashionMnistPackage,
  loadFashionMnist,
  parseClothesJson,
  readFashionMnistRaw,
} from './fashion-mnist.js';
import { balancedSplit, classHistogram } from './split.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-fmnist-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('the fast class-file scanner agrees with JSON.parse on a real class file', () => {
  const file = join(fashionMnistPackage().dir, 'src', 'clothes', '5.json');
  const bytes = readFileSync(file);
  const ref = (JSON.parse(bytes.toString('utf8')) as { data: number[][] }).data.filter((r) => r.length > 0);
  const got = parseClothesJson(bytes, file);
  assert.equal(got.rows, ref.length);
  assert.equal(got.pixels.length, ref.length * 784);
  for (let r = 0; r < ref.length; r++) {
    const row = ref[r] as number[];
    for (let k = 0; k < 784; k++) if (got.pixels[r * 784 + k] !== row[k]) assert.fail(`row ${r} pixel ${k}`);
  }
});

test('the scanner accepts whitespace and empty rows, and rejects anything else with the byte offset', () => {
  const row = Array.from({ length: 784 }, (_, i) => i % 256);
  const ok = parseClothesJson(Buffer.from(` { "data" : [ [${row.join(' , ')}] ,[], [${row.join(',')}]\n] }\n`), 'x.json');
  assert.deepEqual([ok.rows, ok.emptyRows, ok.pixels[783]], [2, 1, 783 % 256]);
  const bad = (s: string, re: RegExp): void =>
    assert.throws(
      () => parseClothesJson(Buffer.from(s), 'f.json'),
      (e: Error) => e instanceof DatasetError && e.message.includes("'f.json'") && re.test(e.message),
    );
  bad('{"data":[[1,2,3]]}', /row 0 has 3 values, expected 784/);
  bad(`{"data":[[${row.join(',')},5]]}`, /more than 784/);
  bad('{"data":[[1.5]]}', /expected ',' or ']' in row 0 at byte/);
  bad('{"data":[[256]]}', /value 256 outside 0\.\.255/);
  bad('{"pixels":[]}', /expected the key "data"/);
  bad('{"data":[]} x', /unexpected content after the end/);
  bad('', /expected '\{' at byte 0/);
});

test('Fashion-MNIST binary cache: built, hit, rebuilt after corruption, unwritable dir still loads', () => {
  const first = readFashionMnistRaw({ cacheDir: dir });
  assert.equal(first.cache, 'built');
  assert.equal(first.labels.length, 70000);
  assert.equal(first.pixels.length, 70000 * 784);
  assert.deepEqual(classHistogram(first.labels, 10), new Array(10).fill(7000));
  const second = readFashionMnistRaw({ cacheDir: dir });
  assert.equal(second.cache, 'hit');
  assert.equal(sha(second.pixels), sha(first.pixels));
  assert.deepEqual(second.labels, first.labels);
  const file = join(dir, 'fashion-mnist-v1.bin');
  const bytes = readFileSync(file);
  bytes[bytes.length - 5000] = (bytes[bytes.length - 5000] as number) ^ 0x40;
  writeFileSync(file, bytes);
  const third = readFashionMnistRaw({ cacheDir: dir });
  assert.equal(third.cache, 'rebuilt');
  assert.equal(sha(third.pixels), sha(first.pixels));
  assert.equal(readFashionMnistRaw({ cacheDir: dir }).cache, 'hit');
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, 'x');
  const fourth = readFashionMnistRaw({ cacheDir: join(blocker, 'cache') });
  assert.equal(fourth.cache, 'unwritable');
  assert.equal(sha(fourth.pixels), sha(first.pixels));
});

test('Fashion-MNIST fixed class-balanced split: 5,500/500/1,000 per class, disjoint, documented stats', () => {
  const ds = loadFashionMnist({ cacheDir: dir });
  assert.equal(ds.name, 'fashion-mnist');
  assert.deepEqual(ds.shape, [1, 28, 28]);
  assert.deepEqual(ds.classNames, FASHION_CLASS_NAMES);
  assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [55000, 5000, 10000]);
  assert.deepEqual(classHistogram(ds.train.y, 10), new Array(10).fill(5500));
  assert.deepEqual(classHistogram(ds.val.y, 10), new Array(10).fill(500));
  assert.deepEqual(classHistogram(ds.test.y, 10), new Array(10).fill(1000));
  assert.ok(ds.notes.some((n) => n.includes('not comparable to the official')));
  // classes are interleaved, not in blocks
  assert.notDeepEqual([...ds.test.y.subarray(0, 20)], new Array(20).fill(ds.test.y[0]));
  let s = 0;
  let q = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of ds.train.x) {
    s += v;
    q += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / ds.train.x.length;
  assert.deepEqual([min, max], [0, 1]);
  assert.ok(Math.abs(mean - FASHION_STATS.mean) < 1e-4, `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(q / ds.train.x.length - mean * mean) - FASHION_STATS.std) < 1e-4);
  const raw = readFashionMnistRaw({ cacheDir: dir });
  const idx = balancedSplit(raw.labels, 10, FASHION_SPLIT_SEED, 1000, 500);
  const seen = new Uint8Array(70000);
  for (const part of [idx.train, idx.val, idx.test]) for (const i of part) seen[i] = (seen[i] as number) + 1;
  assert.ok(
    seen.every((v) => v === 1),
    'every image in exactly one split',
  );
  // the split's first test sample is the image the split indices point at
  const t0 = idx.test[0] as number;
  for (let k = 0; k < 784; k++) assert.equal(ds.test.x[k], Math.fround((raw.pixels[t0 * 784 + k] as number) / 255));
});
