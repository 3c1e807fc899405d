import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
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
  const rows = ['path,label'];
  for (const [i, label] of ['0', '1', '7'].entries())
    for (let k = 0; k < 6; k++) {
      const file = `${label}-${k}.png`;
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40 * i, g: 40 * i, b: 40 * i } } })
        .png()
        .toFile(join(dir, file));
      rows.push(`${file},${label}`);
    }
  writeFileSync(join(dir, 'list_num.csv'), `${rows.join('\n')}\n`);
  const spec = `imagefolder:${join(dir, 'list_num.csv')};channels=1`;
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
