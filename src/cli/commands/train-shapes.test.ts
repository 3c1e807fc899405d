import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datasetForShapes } from './train.js';

test('a [10,1,1] output on a 10-class data set asks for a Flatten; a [8] output asks for 10 outputs', async () => {
  const spec = 'mnist;limit=train:20,val:10,test:10';
  await assert.rejects(
    datasetForShapes(spec, [1, 28, 28], [10, 1, 1], undefined, 'fullyconv.onnx'),
    /model 'fullyconv.onnx' outputs \[10,1,1\] but data set 'mnist' has 10 classes: a classifier's output must be flat, \[10\]: add a Flatten/,
  );
  await assert.rejects(datasetForShapes(spec, [1, 28, 28], [8], undefined, 'm.onnx'), /has 10 classes: use a model with 10 outputs/);
});
