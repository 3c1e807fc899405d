import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeNpy } from '../data/npy.js';
import { writeNumberedLabelList } from '../data/testing/numbered-labels.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { loadNasData, spacesTaking } from './data.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A 3-channel 32x32 NPY data set (CIFAR-10's shape), 20 images of 2 classes. */
function rgbNpy(): string {
  const n = 20;
  const x = new Float32Array(n * 3 * 32 * 32).map((_, i) => (i % 7) / 7);
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  writeNpy(join(dir, 'x.npy'), { dtype: 'float32', shape: [n, 3, 32, 32], data: x });
  writeNpy(join(dir, 'y.npy'), { dtype: 'int32', shape: [n], data: y });
  return `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`;
}

test('loadNasData: 3-channel data for a 1-channel space names both shapes and the spaces that take 3 channels', async () => {
  const spec = rgbNpy();
  await assert.rejects(
    loadNasData(spec, undefined, getArchSpace('mbv2-micro')),
    (e: Error) =>
      e.name === 'ConfigError' &&
      e.message.includes('--space mbv2-micro takes 1x28x28 images (1 channel; each architecture at its own input size, 16, 20, 24, 28)') &&
      e.message.includes(`--dataset '${spec}' gives 3x32x32`) &&
      e.message.includes('for 3-channel data use --space nb201, mbv2-imagenet, nas-bench-macro'),
  );
  // a 3-channel space takes it
  const ds = await loadNasData(spec, undefined, getArchSpace('nb201'));
  assert.deepEqual(ds.shape, [3, 32, 32]);
  assert.deepEqual(spacesTaking(1), ['mbv2', 'mbv2-micro', 'mbv2-mbnet']);
});

test('loadNasData prints the numbered-class note train and quantize print, once per data set', async () => {
  const csv = await writeNumberedLabelList(dir, 'nas_num.csv', 4);
  const spec = `imagefolder:${csv}`;
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const ds = await loadNasData(spec, undefined, getArchSpace('mbv2-micro'));
    assert.equal(ds.numClasses, 3);
    assert.deepEqual(ds.shape, [1, 28, 28]); // decoded grey at the space's largest size
    await loadNasData(spec, undefined, getArchSpace('mbv2-micro'));
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(
    written.filter((w) => w.startsWith('note: ')),
    [
      "note: the 3 labels of 'nas_num.csv' are numbers, read as class names, not class indices: sorted as numbers, 7 is class 2; a model's output i scores the i-th smallest label\n",
    ],
  );
});
