import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { quantHooks } from '../engine/fake-quant.js';
import { buildModel } from '../engine/model.js';
import { referenceForward } from '../engine/reference.js';
import { policyFromVectors, uniformPolicy } from '../hardware/precision.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import type { Model } from '../ir/types.js';
import { Rng } from '../util/rng.js';
import { activationNodes, calibrateActivations, evaluatePolicy, quantConfig, quantizedWeights } from './apply.js';

function tinyModel(seed: number): Model {
  const b = new GraphBuilder('tiny', [2, 6, 6]);
  let x = b.relu(b.conv(b.input, { out: 4, kernel: 3, name: 'c1' }), 'c1_relu');
  x = b.relu(b.conv(x, { out: 4, kernel: 3, groups: 4, name: 'dw' }));
  b.output(b.dense(b.flatten(x, 'flatten'), 3, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}

describe('applying a policy', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('engine fake-quant of weights equals the reference forward of the quantized weights', () => {
    const model = tinyModel(1);
    const rng = new Rng(2);
    const n = 4;
    const x = Float32Array.from({ length: n * 72 }, () => rng.normal());
    const policy = policyFromVectors(model.graph, [3, 2, 5], [32, 32, 32]);
    const m = buildModel(model);
    try {
      m.hooks = quantHooks(quantConfig(model.graph, policy));
      const got = m.predict(x, n);
      const want = referenceForward({ graph: model.graph, weights: quantizedWeights(model, policy) }, x, n);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs((got[i] as number) - (want[i] as number)) < 1e-4, `${i}: ${got[i]} vs ${want[i]}`);
      const float = referenceForward(model, x, n);
      assert.ok(float.some((v, i) => Math.abs(v - (want[i] as number)) > 1e-3), 'quantization must change the output');
    } finally {
      m.dispose();
    }
  });

  it('activation configs come from calibration of the nodes feeding each layer; fp32 policy = float accuracy', () => {
    const model = tinyModel(3);
    assert.deepEqual([...activationNodes(model.graph).keys()], ['input', 'c1_relu', 'flatten']);
    const rng = new Rng(4);
    const n = 64;
    const x = Float32Array.from({ length: n * 72 }, () => rng.normal());
    const y = Int32Array.from({ length: n }, () => rng.int(0, 2));
    const m = buildModel(model);
    try {
      const cal = calibrateActivations(m, x, n, 'minmax');
      const st = cal.stats.get('c1_relu');
      assert.ok(st && st.min >= 0 && st.max > 0);
      const cfg = quantConfig(model.graph, uniformPolicy(8, 4), cal);
      assert.deepEqual(Object.keys(cfg.activations).sort(), ['c1_relu', 'flatten', 'input']);
      assert.equal(cfg.activations.c1_relu?.bits, 4);
      const fp = evaluatePolicy(m, uniformPolicy(32, 32), { x, y, n }, cal);
      const plain = m.evaluate(x, y, n);
      assert.equal(fp.accuracy, plain.accuracy);
      assert.ok(Math.abs(fp.loss - plain.loss) < 1e-6);
      const q2 = evaluatePolicy(m, uniformPolicy(2, 2), { x, y, n }, cal);
      assert.notEqual(q2.loss, plain.loss);
      assert.deepEqual(m.hooks, {}, 'hooks restored');
    } finally {
      m.dispose();
    }
  });
});
