import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigError, DatasetError } from '../errors.js';
import { readIdx, writeIdx } from './idx.js';
import { loadDataset } from './load.js';
import { mnistDataDir } from './mnist.js';
import { writeNpy } from './npy.js';
import { classHistogram } from './split.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const N = 600;
const NT = 100;
let images: Uint8Array;
let labels: Uint8Array;
let testImages: Uint8Array;
let testLabels: Uint8Array;
const f = (name: string): string => join(dir, name);

before(() => {
  // Fixtures: the first 600 training and 100 test digits of the real MNIST files, in several formats.
  const m = mnistDataDir();
  images = (readIdx(join(m, 'train-images-idx3-ubyte')).data as Uint8Array).slice(0, N * 784);
  labels = (readIdx(join(m, 'train-labels-idx1-ubyte')).data as Uint8Array).slice(0, N);
  testImages = (readIdx(join(m, 't10k-images-idx3-ubyte')).data as Uint8Array).slice(0, NT * 784);
  testLabels = (readIdx(join(m, 't10k-labels-idx1-ubyte')).data as Uint8Array).slice(0, NT);
  writeIdx(f('x.idx'), { dtype: 'uint8', shape: [N, 28, 28], data: images });
  writeIdx(f('y.idx'), { dtype: 'uint8', shape: [N], data: labels });
  writeIdx(f('tx.idx'), { dtype: 'uint8', shape: [NT, 28, 28], data: testImages });
  writeIdx(f('ty.idx'), { dtype: 'uint8', shape: [NT], data: testLabels });
  writeNpy(f('x-nhwc.npy'), { dtype: 'float32', shape: [N, 28, 28, 1], data: Float32Array.from(images, (v) => v / 255) });
  writeNpy(f('y64.npy'), { dtype: 'int64', shape: [N], data: BigInt64Array.from(labels, (v) => BigInt(v)) });
  writeNpy(f('x-nchw.npy'), { dtype: 'uint8', shape: [N, 1, 28, 28], data: images });
  writeNpy(f('y32.npy'), { dtype: 'int32', shape: [N, 1], data: Int32Array.from(labels) });
});

/** Index in the fixture of each sample of a split, found by its label and pixels. */
function locate(x: Float32Array, n: number, src: Uint8Array): number[] {
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    let found = -1;
    for (let i = 0; i < src.length / 784 && found < 0; i++) {
      let same = true;
      for (let k = 0; k < 784 && same; k++) same = Math.abs((x[s * 784 + k] as number) - (src[i * 784 + k] as number) / 255) < 1e-6;
      if (same) found = i;
    }
    out.push(found);
  }
  return out;
}

test('IDX user data with a test pair: 10% validation held out, values and labels match the files', async () => {
  const ds = await loadDataset(`idx:${f('x.idx')},${f('y.idx')};test=${f('tx.idx')},${f('ty.idx')}`);
  assert.equal(ds.name, 'x.idx');
  assert.deepEqual(ds.shape, [1, 28, 28]);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [540, 60, 100]);
  assert.deepEqual(classHistogram(ds.test.y, 10), classHistogram(testLabels, 10));
  const where = locate(ds.train.x, 5, images);
  where.forEach((i, s) => assert.equal(ds.train.y[s], labels[i]));
  const trainSet = new Set(locate(ds.train.x, ds.train.n, images));
  for (const i of locate(ds.val.x, ds.val.n, images)) assert.ok(!trainSet.has(i), `validation sample ${i} also in train`);
});

test('NPY user data: float32 NHWC with int64 labels equals uint8 NCHW with [N,1] int32 labels', async () => {
  const a = await loadDataset(`npy:${f('x-nhwc.npy')},${f('y64.npy')};layout=nhwc`);
  const b = await loadDataset(`npy:${f('x-nchw.npy')},${f('y32.npy')}`);
  assert.deepEqual([a.train.n, a.val.n, a.test.n], [480, 60, 60]);
  assert.equal(a.preprocessing.scale, 1);
  assert.equal(b.preprocessing.scale, 1 / 255);
  assert.deepEqual([...a.train.y], [...b.train.y]);
  let maxDiff = 0;
  a.test.x.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - (b.test.x[i] as number)))));
  assert.ok(maxDiff < 1e-6, `max difference ${maxDiff}`);
  assert.ok(a.notes.some((n) => n.includes('held out')));
});

test('user data options: 32x32x3, standardisation from the training split, limits, spec overrides opts', async () => {
  const ds = await loadDataset(`npy:${f('x-nchw.npy')},${f('y32.npy')};size=32;channels=3;standardize;limit=train:50`, { size: 40, limit: 10 });
  assert.deepEqual(ds.shape, [3, 32, 32]);
  assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [50, 60, 60]);
  const { mean, std } = ds.preprocessing;
  assert.ok(mean > 0.05 && mean < 0.25 && std > 0.2 && std < 0.4, `${mean} ${std}`);
  assert.ok(Math.abs((ds.train.x[0] as number) - ds.preprocessing.background) < 1e-6);
  const numbered = await loadDataset(`npy:${f('x-nchw.npy')},${f('y32.npy')}`, { numClasses: 12, valFraction: 0.5, testFraction: 0 });
  assert.deepEqual([numbered.numClasses, numbered.train.n, numbered.val.n, numbered.test.n], [12, 300, 300, 0]);
});

test('missing or malformed user files are DatasetErrors naming the file and the expectation', async () => {
  const rejects = (spec: string, re: RegExp): Promise<void> =>
    assert.rejects(loadDataset(spec), (e: Error) => e instanceof DatasetError && re.test(e.message), spec);
  await rejects(`idx:${f('nope.idx')},${f('y.idx')}`, new RegExp(`cannot read IDX images file '${f('nope.idx')}': no such file`));
  await rejects(`idx:${f('x.idx')},${f('ty.idx')}`, /'.*ty\.idx' has shape \[100\], expected \[600\]/);
  await rejects(`idx:${f('x.idx')},${f('x.idx')}`, /x\.idx' has shape \[600, 28, 28\], expected \[600\]/);
  writeNpy(f('yf.npy'), { dtype: 'float32', shape: [N], data: new Float32Array(N) });
  await rejects(`npy:${f('x-nchw.npy')},${f('yf.npy')}`, /yf\.npy' holds float32 labels, expected integer class labels/);
  await rejects(`npy:${f('x-nchw.npy')},${f('y32.npy')};classes=5`, /y32\.npy' has label \d at index \d+, expected < 5 classes/);
  writeNpy(f('x16.npy'), { dtype: 'uint16', shape: [N, 28, 28], data: new Uint16Array(N * 784) });
  await rejects(`npy:${f('x16.npy')},${f('y32.npy')}`, /x16\.npy' holds uint16 images, expected uint8/);
  writeNpy(f('x5d.npy'), { dtype: 'uint8', shape: [N, 1, 1, 28, 28], data: images });
  await rejects(`npy:${f('x5d.npy')},${f('y32.npy')}`, /x5d\.npy' has shape \[600, 1, 1, 28, 28\], expected \[N, H, W\]/);
  writeNpy(f('tx14.npy'), { dtype: 'uint8', shape: [NT, 14, 14], data: new Uint8Array(NT * 196) });
  writeNpy(f('ty.npy'), { dtype: 'uint8', shape: [NT], data: testLabels });
  await rejects(`npy:${f('x-nchw.npy')},${f('y32.npy')};test=${f('tx14.npy')},${f('ty.npy')}`, /tx14\.npy' holds 1x14x14 8-bit images, expected 1x28x28 8-bit/);
  await rejects(`npy:${f('x.idx')},${f('y32.npy')}`, /x\.idx' is not an NPY file/);
  await rejects(`idx:${f('x-nchw.npy')},${f('y.idx')}`, /x-nchw\.npy' is not an IDX file: magic number 0x934e554d/);
  await assert.rejects(loadDataset('cifar10'), ConfigError);
});
