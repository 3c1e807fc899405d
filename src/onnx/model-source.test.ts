import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModelSpec } from './model-source.js';

test('loadModelSpec: a space: spec says which command reads it (not "not found")', () => {
  assert.throws(
    () => loadModelSpec('space:mbv2:r28-w1.4:k3e6r|k3e6r|k3e6r|k3e6r'),
    /space:<space>:<arch> specs are read by 'hwnas train' only; .* \(e\.g\. the \.onnx that hwnas train 'space:mbv2:r28-w1\.4:k3e6r\|k3e6r\|k3e6r\|k3e6r' --dataset <spec> --out <file\.onnx> writes\)/,
  );
  assert.throws(() => loadModelSpec('nope.onnx'), /model 'nope.onnx' not found/);
});
