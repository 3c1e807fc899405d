import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniformPolicy } from '../hardware/precision.js';
import { Rng } from '../util/rng.js';
import { memberPolicy, memberWeights, sampledLayers } from './members.js';
import { quantTinyModel } from './testing/tiny.js';

test('memberPolicy: inner layers at the member bits, first and last at 8 bits (or low-bit on request); bad bits rejected', () => {
  const { graph } = quantTinyModel(1);
  const p = memberPolicy(graph, { weightBits: 1, actBits: 2 });
  assert.deepEqual(p.layers.c1, { weightBits: 8, actBits: 8 });
  assert.deepEqual(p.layers.c2, { weightBits: 1, actBits: 2 });
  assert.deepEqual(p.layers.dw, { weightBits: 8, actBits: 8 }, 'depthwise stays at 8 bits by default');
  assert.deepEqual(p.layers.fc, { weightBits: 8, actBits: 8 });
  assert.deepEqual(sampledLayers(graph, p, { weightBits: 1, actBits: 2 }), ['c2']);
  const dw = memberPolicy(graph, { weightBits: 1, actBits: 2, lowBitDepthwise: true });
  assert.deepEqual(dw.layers.dw, { weightBits: 1, actBits: 2 });
  assert.deepEqual(sampledLayers(graph, dw, { weightBits: 1, actBits: 2 }), ['c2', 'dw']);
  const low = memberPolicy(graph, { weightBits: 1, actBits: 32, lowBitEdges: true });
  assert.deepEqual(low.layers.c1, { weightBits: 1, actBits: 32 });
  assert.deepEqual(memberPolicy(graph, { weightBits: 1, actBits: 32 }).layers.fc, { weightBits: 8, actBits: 32 });
  assert.throws(() => memberPolicy(graph, { weightBits: 0, actBits: 8 }), /member weight bits 0: expected an integer 1\.\.8/);
  assert.throws(() => memberPolicy(graph, { weightBits: 1, actBits: 12 }), /activation bits 12/);
});

test('memberWeights nearest: a 1-bit layer is sign(w) x mean|w| per output channel; 8-bit layers on their grid', () => {
  const m = quantTinyModel(2);
  const pr = { weightBits: 1, actBits: 8 };
  const w = memberWeights(m, memberPolicy(m.graph, pr), pr, { mode: 'nearest' });
  const lat = m.weights.get('c2.weight');
  const got = w.get('c2.weight');
  assert.ok(lat && got);
  const outC = lat.shape[0] as number;
  const per = lat.data.length / outC;
  for (let c = 0; c < outC; c++) {
    let s = 0;
    for (let i = 0; i < per; i++) s += Math.abs(lat.data[c * per + i] as number);
    s /= per;
    for (let i = 0; i < per; i++) {
      const v = lat.data[c * per + i] as number;
      assert.ok(Math.abs((got.data[c * per + i] as number) - (v >= 0 ? s : -s)) < 1e-6);
    }
  }
  // an 8-bit edge layer moves by at most half a step
  const c1 = m.weights.get('c1.weight');
  const q1 = w.get('c1.weight');
  assert.ok(c1 && q1);
  let mx = 0;
  for (const v of c1.data) mx = Math.max(mx, Math.abs(v));
  for (let i = 0; i < c1.data.length; i++) assert.ok(Math.abs((q1.data[i] as number) - (c1.data[i] as number)) <= (mx / 127) * 0.5 + 1e-6);
  // the same as the quantizer of src/quant applied through the uniform policy
  const uni = memberWeights(m, uniformPolicy(1, 8), pr, { mode: 'nearest' });
  assert.deepEqual([...(uni.get('c2.weight')?.data ?? [])], [...got.data]);
});

test('memberWeights stochastic: values are +/-s, seeded, and unbiased: the mean of many draws approaches the clipped latent weight', () => {
  const m = quantTinyModel(3);
  const pr = { weightBits: 1, actBits: 8, lowBitDepthwise: true };
  const policy = memberPolicy(m.graph, pr);
  const a = memberWeights(m, policy, pr, { mode: 'stochastic', rng: new Rng(5) }).get('dw.weight');
  const b = memberWeights(m, policy, pr, { mode: 'stochastic', rng: new Rng(5) }).get('dw.weight');
  const c = memberWeights(m, policy, pr, { mode: 'stochastic', rng: new Rng(6) }).get('dw.weight');
  assert.ok(a && b && c);
  assert.deepEqual([...a.data], [...b.data]);
  assert.notDeepEqual([...a.data], [...c.data]);
  const lat = m.weights.get('dw.weight');
  assert.ok(lat);
  const outC = lat.shape[0] as number;
  const per = lat.data.length / outC;
  const draws = 4000;
  const sum = new Float64Array(lat.data.length);
  const rng = new Rng(11);
  for (let d = 0; d < draws; d++) {
    const w = memberWeights(m, policy, pr, { mode: 'stochastic', rng }).get('dw.weight');
    assert.ok(w);
    for (let i = 0; i < w.data.length; i++) sum[i] = (sum[i] as number) + (w.data[i] as number);
  }
  for (let ch = 0; ch < outC; ch++) {
    let s = 0;
    for (let i = 0; i < per; i++) s += Math.abs(lat.data[ch * per + i] as number);
    s /= per;
    for (let i = 0; i < per; i++) {
      const k = ch * per + i;
      assert.ok(Math.abs(Math.abs(a.data[k] as number) - s) < 1e-6, 'a 1-bit sample is +s or -s');
      const expect = Math.max(-s, Math.min(s, lat.data[k] as number));
      // standard error of the mean of +/-s draws is at most s / sqrt(draws); 5 sigma
      assert.ok(Math.abs((sum[k] as number) / draws - expect) < (5 * s) / Math.sqrt(draws), `weight ${k}`);
    }
  }
  assert.throws(() => memberWeights(m, policy, pr, { mode: 'stochastic' }), /needs a seeded rng/);
  assert.throws(() => memberWeights(m, policy, pr, { mode: 'stochastic', rng: new Rng(1), temperature: 0 }), /temperature 0/);
});
