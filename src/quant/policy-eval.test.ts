import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { policyPreset } from '../hardware/precision.js';
import { referenceForward } from '../ir/reference.js';
import { Rng } from '../util/rng.js';
import { policyAccuracy } from './policy-eval.js';
import { tinyQuantModel } from './testing/tiny-model.js';

describe('post-training accuracy under a policy (hwnas eval --policy)', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('activation bits change the evaluated accuracy; fp32 equals the float accuracy', () => {
    const model = tinyQuantModel(3);
    const rng = new Rng(4);
    const n = 400;
    const x = Float32Array.from({ length: n * 72 }, () => rng.normal());
    // labels = the float model's own predictions: float accuracy is 1
    const logits = referenceForward(model, x, n);
    const y = Array.from({ length: n }, (_, i) => {
      const r = Array.from(logits.subarray(i * 3, i * 3 + 3));
      return r.indexOf(Math.max(...r));
    });
    const data = { x, y: Int32Array.from(y), n };
    const cal = { x, n: 200 };
    const fp = policyAccuracy(model, policyPreset('fp32'), data, { calibration: cal });
    assert.equal(fp.floatAccuracy, 1);
    assert.equal(fp.accuracy, 1);
    assert.equal(fp.activationQuantizers, 0);
    const a8 = policyAccuracy(model, policyPreset('w8a8'), data, { calibration: cal });
    const a2 = policyAccuracy(model, policyPreset('w8a2'), data, { calibration: cal });
    assert.equal(a2.activationQuantizers, 3, 'input of c1, dw and fc');
    assert.equal(a2.weightQuantizers, 3);
    assert.ok(a2.accuracy < a8.accuracy, `w8a2 ${a2.accuracy} vs w8a8 ${a8.accuracy}`);
    assert.equal(a2.calibrationImages, 200);
    assert.throws(() => policyAccuracy(model, policyPreset('w8a8'), { ...data, n: 0 }, { calibration: cal }), /no images/);
  });
});
