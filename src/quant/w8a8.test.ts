/**
 * W8A8 post-training quantization loses (almost) nothing on the zoo models (issue 20): a short-trained
 * mnist-cnn and mbnet32, evaluated on held-out images under w8a8 (weights per channel, activations
 * calibrated on 512 training images) stay within 0.3 points of their float accuracy. Before the calibration
 * sampled every channel, mbnet32 lost 44 points (81.9% -> 37.3%).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { datasetForModel, trainedModel } from '../cli/commands/train.js';
import { initEngine } from '../engine/backend.js';
import { policyPreset } from '../hardware/precision.js';
import { policyAccuracy } from './policy-eval.js';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

for (const [zoo, dataset, epochs] of [
  ['zoo:mnist-cnn', 'mnist;limit=3000', 1],
  ['zoo:mbnet32', 'fashion-mnist;limit=6000', 2],
] as const) {
  test(`${zoo}: W8A8 within 0.3 points of float on held-out images`, async () => {
    const model = await trainedModel(zoo, dataset, epochs, 1, true);
    const ds = await datasetForModel(dataset, model);
    const r = policyAccuracy(model, policyPreset('w8a8'), ds.test, { calibration: ds.train, calibrationImages: 512 });
    assert.ok(r.floatAccuracy > 0.5, `float ${r.floatAccuracy}: the short training learned something`);
    assert.ok(r.activationQuantizers > 0 && r.weightQuantizers > 0);
    assert.ok(
      r.accuracy >= r.floatAccuracy - 0.003,
      `${zoo}: w8a8 ${(r.accuracy * 100).toFixed(2)}% vs float ${(r.floatAccuracy * 100).toFixed(2)}% on ${r.n} images`,
    );
  });
}
