import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initWeights } from '../ir/init.js';
import { zooGraph } from '../ir/zoo/index.js';
import { Rng } from '../util/rng.js';
import { initEngine } from './backend.js';
import { fakeQuantActivation, fakeQuantBias, fakeQuantLsq, fakeQuantSte, fakeQuantWeight, quantHooks, recordActivations } from './fake-quant.js';
import { buildModel } from './model.js';
import { actGrid, biasInputScale, type QuantHooksConfig } from './quant-grid.js';
import { tf } from './tf.js';

describe('fake quantization ops', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('STE: forward on the grid (ties to even), gradient 1 inside the range, 0 outside', () => {
    const x = tf.tensor1d([-3, -0.5, 0.25, 0.5, 1.5, 2.6]);
    const f = (t: tf.Tensor): tf.Tensor => fakeQuantSte(t, tf.scalar(0.5), tf.scalar(0), -2, 2);
    assert.deepEqual(Array.from(f(x).dataSync()), [-1, -0.5, 0, 0.5, 1, 1]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(f(t)))(x);
    assert.deepEqual(Array.from(g.dataSync()), [0, 1, 1, 1, 0, 0]); // range is [-1, 1]
  });

  it('LSQ: value and the step-size gradient by hand', () => {
    const x = tf.tensor1d([0.26, -0.9, 3]);
    const s = tf.scalar(0.5);
    const y = fakeQuantLsq(x, s, -2, 1);
    assert.deepEqual(Array.from(y.dataSync()), [0.5, -1, 0.5]);
    const [gx, gs] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(fakeQuantLsq(a, b, -2, 1)))([x, s]);
    assert.deepEqual(Array.from((gx as tf.Tensor).dataSync()), [1, 1, 0]);
    // ds per element: round(x/s) - x/s inside ([1 - 0.52], [-2 + 1.8]), qmax outside (1); g = 1/sqrt(3*1)
    const want = (1 - 0.52 + (-2 + 1.8) + 1) / Math.sqrt(3);
    assert.ok(Math.abs(((gs as tf.Tensor).dataSync()[0] as number) - want) < 1e-5);
  });

  it('weights: per output channel (last axis), mixed bits per channel, binary, float', () => {
    // [2 rows, 2 out channels] engine layout: channel 0 = [1, -0.4], channel 1 = [0.3, 0.6]
    const w = tf.tensor2d([
      [1, 0.3],
      [-0.4, 0.6],
    ]);
    const q4 = fakeQuantWeight(w, 2, { bits: 4 }).dataSync();
    // ch0 scale 1/7: -0.4*7 = -2.8 -> -3 -> -3/7; ch1 scale 0.6/7: 0.3 -> 3.5 -> 4 (ties to even) -> 0.342857
    const want = [1, (4 * 0.6) / 7, -3 / 7, 0.6];
    want.forEach((v, i) => assert.ok(Math.abs((q4[i] as number) - v) < 1e-6, `${i}: ${q4[i]} vs ${v}`));
    const mixed = fakeQuantWeight(w, 2, { channelBits: [2, 32] }).dataSync();
    assert.deepEqual(
      Array.from(mixed).map((v) => Math.round(v * 1e6) / 1e6),
      [1, 0.3, 0, 0.6],
    );
    const bin = fakeQuantWeight(w, 2, { bits: 1 }).dataSync();
    assert.deepEqual(
      Array.from(bin).map((v) => Math.round(v * 1e6) / 1e6),
      [0.7, 0.45, -0.7, 0.45],
    );
    assert.equal(fakeQuantWeight(w, 2, { bits: 32 }), w);
  });

  it('biases: int32 codes at input scale x weight scale per channel, clamped, straight-through gradient, float channels kept', () => {
    // engine layout [in=2, out=3]: max|w| per output channel 0.7, 1.4, 0.35; at 3 bits (qmax 3) weight scales 0.7/3, 1.4/3, 0.35/3
    const w = tf.tensor2d([0.7, -1.4, 0.1, 0.2, 0.3, -0.35], [2, 3]);
    const b = tf.tensor1d([0.1, -0.2, 1e9]);
    const inScale = 0.03;
    const steps = [0.7 / 3, 1.4 / 3, 0.35 / 3].map((sw) => Math.fround(Math.fround(sw) * inScale));
    const got = Array.from(fakeQuantBias(b, w, 3, { bits: 3 }, inScale).dataSync());
    const want = [0.1, -0.2].map((v, c) => Math.round(v / (steps[c] as number)) * (steps[c] as number));
    assert.ok(Math.abs((got[0] as number) - (want[0] as number)) < 1e-7 && Math.abs((got[1] as number) - (want[1] as number)) < 1e-7, `${got}`);
    assert.notEqual(got[0], Math.fround(0.1), 'the bias is rounded');
    // 1e9 / 0.0035 codes is beyond int32: clamped to the largest float32 code below 2^31
    assert.ok(Math.abs((got[2] as number) / (2 ** 31 - 128) - (steps[2] as number)) < 1e-9, `${got[2]}`);
    const g = tf.grad((t: tf.Tensor) => tf.sum(fakeQuantBias(t, w, 3, { bits: 3 }, inScale)))(b);
    assert.deepEqual(Array.from(g.dataSync()), [1, 1, 0]);
    // a float channel (32 bits) keeps its bias; all-float weights leave the bias untouched
    assert.equal(fakeQuantBias(b, w, 3, { channelBits: [3, 32, 3] }, inScale).dataSync()[1], Math.fround(-0.2));
    assert.equal(fakeQuantBias(b, w, 3, { bits: 32 }, inScale), b);
  });

  it('hooks: the bias is quantized at the scale the weight hook returned, bit for bit the scale of the float weight', () => {
    const graph = zooGraph('mnist-cnn');
    const rng = new Rng(3);
    const weights = initWeights(graph, rng);
    for (const [k, t] of weights) if (k.endsWith('.bias')) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(-0.3, 0.3);
    const inputOf = (layer: string): string => graph.nodes.find((n) => n.name === layer)?.inputs[0] as string;
    // 4 bits per channel, mixed 3-bit and float channels, binary: each way the weight hook computes a scale
    const config: QuantHooksConfig = {
      weights: { conv1: { bits: 4 }, conv2: { channelBits: Array.from({ length: 32 }, (_, c) => (c % 3 === 0 ? 32 : 3)) }, fc: { bits: 1 } },
      activations: Object.fromEntries(['conv1', 'conv2', 'fc'].map((l) => [inputOf(l), { bits: 8, min: 0, max: 4 }])),
    };
    const m = buildModel({ graph, weights });
    const x = Float32Array.from({ length: 3 * 784 }, () => rng.uniform(0, 1));
    const hooks = quantHooks(config);
    const { weightTransform, activationTransform } = hooks;
    assert.ok(weightTransform && activationTransform);
    m.hooks = hooks;
    const got = m.predict(x, 3);
    // the reference reduces the float weight again, as the bias hook did before it was handed the weight hook's scale
    m.hooks = {
      ...hooks,
      biasTransform: (b, info) =>
        fakeQuantBias(
          b,
          m.variables.get(`${info.layer}.weight`) as tf.Tensor,
          info.outChannels,
          config.weights[info.layer] ?? {},
          biasInputScale(config, info.input) ?? 1,
        ),
    };
    assert.deepEqual(Array.from(got), Array.from(m.predict(x, 3)));
    m.hooks = { weightTransform, activationTransform };
    assert.notDeepEqual(Array.from(got), Array.from(m.predict(x, 3)), 'the biases are quantized');
    // a weight hook that returns a quantized weight without its scale: the bias hook says which layer
    m.hooks = { ...hooks, weightTransform: (w, info) => ((r) => ('weight' in r ? r.weight : r))(weightTransform(w, info)) };
    assert.throws(() => m.predict(x, 3), /layer 'conv1': its bias is quantized at the weight's scale, but the weight hook returned no scale/);
    m.dispose();
  });

  it('activations: asymmetric grid over the calibrated range', () => {
    const g = actGrid({ bits: 2, min: 0, max: 3 });
    assert.deepEqual(g, { scale: 1, zeroPoint: 0, qmin: 0, qmax: 3 });
    const y = fakeQuantActivation(tf.tensor1d([-1, 0.4, 1.5, 2.5, 7]), { bits: 2, min: 0, max: 3 }).dataSync();
    assert.deepEqual(Array.from(y), [0, 0, 2, 2, 3]);
  });
  it('calibration samples do not alias with the layout (NHWC, 16 channels: a stride multiple of 16 reads channel 0 only)', () => {
    // 256 maps of 28x28x16 where channel 0 is zero and the 15 others are 1: 15/16 of the values are 1
    const n = 256;
    const c = 16;
    const x = new Float32Array(n * 28 * 28 * c);
    for (let i = 0; i < x.length; i++) x[i] = i % c === 0 ? 0 : 1;
    const t = tf.tensor4d(x, [n, 28, 28, c]);
    const stats = recordActivations(
      (hooks) => {
        hooks.activationTransform?.(t, { node: 'a' } as never);
      },
      new Set(['a']),
    );
    t.dispose();
    const s = stats.get('a');
    assert.ok(s && s.samples.length >= 1000, `${s?.samples.length} samples`);
    const ones = (s?.samples ?? []).reduce((a, v) => a + v, 0) / (s?.samples.length ?? 1);
    assert.ok(Math.abs(ones - 15 / 16) < 0.03, `share of non-zero samples ${ones}, expected ${15 / 16}`);
  });
});
