import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeNpy } from '../../data/npy.js';
import { writeNumberedLabelList } from '../../data/testing/numbered-labels.js';
import { datasetForShapes } from './train.js';

test('a [10,1,1] output on a 10-class data set asks for a Flatten; a [8] output asks for 10 outputs', async () => {
  const spec = 'mnist;limit=train:20,val:10,test:10';
  await assert.rejects(
    datasetForShapes(spec, [1, 28, 28], [10, 1, 1], undefined, 'fullyconv.onnx'),
    /model 'fullyconv.onnx' outputs \[10,1,1\] but data set 'mnist' has 10 classes: a classifier's output must be flat, \[10\]: add a Flatten/,
  );
  await assert.rejects(datasetForShapes(spec, [1, 28, 28], [8], undefined, 'm.onnx'), /has 10 classes: use a model with 10 outputs/);
});

test('a CSV whose labels are numbers other than 0..k-1 gets one note on stderr saying how they map to classes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-numlabels-'));
  const csv = await writeNumberedLabelList(dir, 'list_num.csv', 6);
  const spec = `imagefolder:${csv};channels=1`;
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const ds = await datasetForShapes(spec, [1, 8, 8], [3], undefined, 'm.onnx');
    assert.equal(ds.numClasses, 3);
    await datasetForShapes(spec, [1, 8, 8], [3], undefined, 'm.onnx');
  } finally {
    process.stderr.write = write;
    rmSync(dir, { recursive: true, force: true });
  }
  const notes = written.filter((w) => w.startsWith('note: '));
  assert.deepEqual(notes, [
    "note: the 3 labels of 'list_num.csv' are numbers, read as class names, not class indices: sorted as numbers, 7 is class 2; a model's output i scores the i-th smallest label\n",
  ]);
});

test('train: 3-channel data for zoo:mnist-cnn says what the model takes and names zoo:mnist-cnn?channels=3&size=32', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-rgb-'));
  const n = 8;
  writeNpy(join(dir, 'x.npy'), { dtype: 'float32', shape: [n, 3, 32, 32], data: new Float32Array(n * 3 * 32 * 32).fill(0.5) });
  writeNpy(join(dir, 'y.npy'), { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, (_, i) => i % 2) });
  const spec = `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`;
  await assert.rejects(
    datasetForShapes(spec, [1, 28, 28], [10], undefined, 'zoo:mnist-cnn'),
    (e: Error) =>
      e.message.startsWith(`model 'zoo:mnist-cnn' takes 1x28x28 images; data set '${spec}' gives 3x32x32, and cannot turn 3-channel images into 1 channel`) &&
      e.message.endsWith('use zoo:mnist-cnn?channels=3&size=32 (the same model built for 3x32x32 input)'),
  );
  // the model that message names takes the data
  const ds = await datasetForShapes(spec, [3, 32, 32], [2], undefined, 'zoo:mnist-cnn?channels=3&size=32&classes=2');
  assert.deepEqual(ds.shape, [3, 32, 32]);
  rmSync(dir, { recursive: true, force: true });
});
