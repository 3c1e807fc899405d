import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { fakeQuantWeight, quantHooks } from '../engine/fake-quant.js';
import type { WeightLayout } from '../engine/model.js';
import { buildModel } from '../engine/model.js';
import { policyFromVectors, uniformPolicy } from '../hardware/precision.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { referenceForward } from '../ir/reference.js';
import type { Model } from '../ir/types.js';
import { Rng } from '../util/rng.js';
import { calibrateActivations, evaluatePolicy } from './apply.js';
import { activationNodes, quantConfig, quantizedWeights } from './quant-config.js';
import { fakeQuantize } from './quantizer.js';
import { tinyQuantModel } from './testing/tiny-model.js';

describe('applying a policy', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('engine fake-quant of weights equals the reference forward of the quantized weights', () => {
    const model = tinyQuantModel(1);
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
      assert.ok(
        float.some((v, i) => Math.abs(v - (want[i] as number)) > 1e-3),
        'quantization must change the output',
      );
    } finally {
      m.dispose();
    }
  });

  it('activation configs come from calibration of the nodes feeding each layer; fp32 policy = float accuracy', () => {
    const model = tinyQuantModel(3);
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
  it('channelBits all equal to b give exactly the layer-wise b-bit weights and outputs; mixed bits hit the right channels', () => {
    // conv, depthwise with multiplier 2 and dense: every engine weight layout
    const b = new GraphBuilder('cw', [3, 6, 6]);
    let h = b.relu(b.conv(b.input, { out: 5, kernel: 3, name: 'c1' }), 'c1_relu');
    h = b.relu(b.conv(h, { out: 10, kernel: 3, groups: 5, name: 'dw' }));
    b.output(b.dense(b.flatten(h, 'flatten'), 7, { name: 'fc' }));
    const graph = b.build();
    const model: Model = { graph, weights: initWeights(graph, new Rng(11)) };
    const rng = new Rng(12);
    const n = 5;
    const x = Float32Array.from({ length: n * 108 }, () => rng.normal());
    const outs: Record<string, number> = { c1: 5, dw: 10, fc: 7 };
    const layouts: Record<string, WeightLayout> = { c1: 'hwio', dw: 'depthwise', fc: 'dense-io' };
    const m = buildModel(model);
    try {
      for (const bits of [2, 4]) {
        const policy = uniformPolicy(bits, 32);
        const cb = Object.fromEntries(Object.entries(outs).map(([k, c]) => [k, new Array<number>(c).fill(bits)]));
        m.hooks = quantHooks(quantConfig(graph, policy));
        const layer = m.predict(x, n);
        m.hooks = quantHooks(quantConfig(graph, policy, undefined, cb));
        assert.deepEqual(m.predict(x, n), layer);
        const wl = quantizedWeights(model, policy);
        const wc = quantizedWeights(model, policy, cb);
        for (const k of Object.keys(outs)) assert.deepEqual(wc.get(`${k}.weight`)?.data, wl.get(`${k}.weight`)?.data);
      }
      // mixed bits: channel c of the engine's fake-quantized weight (back in IR layout) is channel c
      // of the IR weight quantized by src/quant/quantizer.ts at bits[c]
      const pick = [2, 8, 4, 3, 6];
      const cb = Object.fromEntries(
        Object.entries(outs).map(([k, c]) => [k, Array.from({ length: c }, (_, i) => pick[(i * 3 + k.length) % pick.length] as number)]),
      );
      for (const [k, c] of Object.entries(outs)) {
        const key = `${k}.weight`;
        const w = model.weights.get(key);
        const v = m.variables.get(key);
        assert.ok(w && v);
        const bits = cb[k] as number[];
        const t = fakeQuantWeight(v, c, { channelBits: bits });
        const got = m.toIrLayout(key, t.dataSync() as Float32Array);
        t.dispose();
        const per = w.data.length / c;
        for (let ch = 0; ch < c; ch++) {
          const want = fakeQuantize(w.data.subarray(ch * per, (ch + 1) * per), [1, per], { bits: bits[ch] as number, granularity: 'per-channel' });
          for (let i = 0; i < per; i++)
            assert.ok(
              Math.abs((got[ch * per + i] as number) - (want[i] as number)) <= 1e-6 * (1 + Math.abs(want[i] as number)),
              `${k} (${layouts[k]}) channel ${ch} at ${bits[ch]} bits, entry ${i}: ${got[ch * per + i]} vs ${want[i]}`,
            );
        }
      }
      const policy = uniformPolicy(8, 32);
      m.hooks = quantHooks(quantConfig(graph, policy, undefined, cb));
      const got = m.predict(x, n);
      const want = referenceForward({ graph, weights: quantizedWeights(model, policy, cb) }, x, n);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs((got[i] as number) - (want[i] as number)) < 1e-4, `${i}: ${got[i]} vs ${want[i]}`);
    } finally {
      m.dispose();
    }
  });
});
