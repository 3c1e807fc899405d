/**
 * Post-training steps (src/quant/ptq.ts and one file per step): each keeps what it must keep (folding and
 * equalisation: the float function; prepared weights: the engine's grid) and improves what it claims to
 * (clipping: weight MSE; learned rounding: the layer's reconstruction error; bias correction: the mean
 * output).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { quantHooks } from '../engine/fake-quant.js';
import { buildModel } from '../engine/model.js';
import { actGrid } from '../engine/quant-grid.js';
import { UserError } from '../errors.js';
import { policyFromVectors, uniformPolicy } from '../hardware/precision.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import type { Model, Weights } from '../ir/types.js';
import { Rng } from '../util/rng.js';
import { adaroundChannel } from './adaround.js';
import { calibrateActivations } from './apply.js';
import { foldBatchNorm } from './bn-fold.js';
import { equalizeCrossLayer } from './equalize.js';
import { parsePtq, preparePolicy, ptqLabel } from './ptq.js';
import { quantizeWeightInt8 } from './qdq-export.js';
import { quantConfig, quantizedWeights } from './quant-config.js';
import { weightStep } from './weight-clip.js';

/** conv -> bn -> relu -> depthwise -> bn -> relu -> pointwise -> bn -> relu -> gap -> dense, non-trivial BN statistics. */
function sepNet(seed: number): Model {
  const b = new GraphBuilder('sep', [3, 8, 8]);
  let x = b.relu(b.bn(b.conv(b.input, { out: 6, kernel: 3, name: 'c1' }), { name: 'c1_bn' }), 'r1');
  x = b.relu(b.bn(b.conv(x, { out: 6, kernel: 3, groups: 6, name: 'dw' }), { name: 'dw_bn' }), 'r2');
  x = b.relu(b.bn(b.conv(x, { out: 8, kernel: 1, name: 'pw' }), { name: 'pw_bn' }), 'r3');
  b.output(b.dense(b.flatten(b.globalAvgPool(x, 'gap'), 'flat'), 4, { name: 'fc' }));
  const graph = b.build();
  const rng = new Rng(seed);
  const weights: Weights = initWeights(graph, rng);
  for (const [key, t] of weights) {
    if (key.endsWith('.scale')) weights.set(key, { shape: t.shape, data: t.data.map(() => rng.uniform(0.2, 3)) });
    if (key.endsWith('.mean')) weights.set(key, { shape: t.shape, data: t.data.map(() => rng.uniform(-0.5, 0.5)) });
    if (key.endsWith('.var')) weights.set(key, { shape: t.shape, data: t.data.map(() => rng.uniform(0.05, 4)) });
    if (key.endsWith('_bn.bias')) weights.set(key, { shape: t.shape, data: t.data.map(() => rng.uniform(-0.3, 0.5)) });
  }
  return { graph, weights };
}

const inputs = (n: number, per: number, seed: number): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * per }, () => rng.normal());
};

function predict(model: Model, x: Float32Array, n: number): Float32Array {
  const m = buildModel(model);
  try {
    return m.predict(x, n);
  } finally {
    m.dispose();
  }
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);

describe('post-training quantization steps', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('batch-norm folding removes every conv->bn pair and keeps the float function', () => {
    const model = sepNet(1);
    const f = foldBatchNorm(model);
    assert.deepEqual(
      f.folded.map((p) => p.batchnorm),
      ['c1_bn', 'dw_bn', 'pw_bn'],
    );
    assert.ok(!f.model.graph.nodes.some((n) => n.op === 'batchnorm'));
    const x = inputs(16, 3 * 64, 2);
    const d = maxDiff(predict(model, x, 16), predict(f.model, x, 16));
    assert.ok(d < 1e-4, `max logit difference ${d}`);
  });

  it('batch-norm folding leaves per-channel weight quantization unchanged (W4A4 outputs agree)', () => {
    const model = sepNet(3);
    const folded = foldBatchNorm(model).model;
    const x = inputs(64, 3 * 64, 4);
    const out = (m: Model): Float32Array => {
      const e = buildModel(m);
      try {
        const cal = calibrateActivations(e, x, 64);
        // float biases: folding gives the convs biases that integer hardware rounds to int32 (at input x weight scale),
        // where the unfolded net's batch norm shift stays float; this test is about the weights
        e.hooks = quantHooks({ ...quantConfig(m.graph, uniformPolicy(4, 4), cal), floatBiases: true });
        return e.predict(x, 64);
      } finally {
        e.dispose();
      }
    };
    const a = out(model);
    const b = out(folded);
    assert.ok(maxDiff(a, b) < 1e-3, `W4A4 folded vs unfolded: ${maxDiff(a, b)}`);
  });

  it('cross-layer equalisation keeps the float function and equalises the paired channel ranges', () => {
    const folded = foldBatchNorm(sepNet(5)).model;
    const e = equalizeCrossLayer(folded);
    assert.deepEqual(
      e.pairs.map((p) => `${p.first}>${p.second}`),
      ['c1>dw', 'dw>pw'],
    );
    const x = inputs(16, 3 * 64, 6);
    const d = maxDiff(predict(folded, x, 16), predict(e.model, x, 16));
    assert.ok(d < 1e-3, `max logit difference ${d}`);
    // dw's output channel i and pw's input channel i now have the same range
    const dw = e.model.weights.get('dw.weight')?.data as Float32Array;
    const pw = e.model.weights.get('pw.weight')?.data as Float32Array;
    for (let i = 0; i < 6; i++) {
      const r1 = Math.max(...Array.from(dw.subarray(i * 9, (i + 1) * 9), Math.abs));
      const r2 = Math.max(...Array.from({ length: 8 }, (_, o) => Math.abs(pw[o * 6 + i] as number)));
      assert.ok(Math.abs(r1 - r2) < 1e-3 * Math.max(r1, r2), `channel ${i}: ${r1} vs ${r2}`);
    }
  });

  it('MSE weight clipping lowers the 4-bit quantization error of a heavy-tailed channel', () => {
    const rng = new Rng(7);
    const w = Float32Array.from({ length: 256 }, (_, i) => (i === 0 ? 8 : rng.normal()));
    const err = (step: number): number => w.reduce((s, v) => s + (Math.max(-7, Math.min(7, Math.round(v / step))) * step - v) ** 2, 0);
    const mm = weightStep(w, 4, 'minmax');
    const mse = weightStep(w, 4, 'mse');
    assert.equal(mm, 8 / 7);
    assert.ok(mse < mm, `clipped step ${mse} < ${mm}`);
    assert.ok(err(mse) < 0.8 * err(mm), `error ${err(mse)} vs ${err(mm)}`);
  });

  it('learned rounding has a lower reconstruction error than rounding to nearest', () => {
    const rng = new Rng(8);
    const k = 24;
    // correlated inputs: E[x x^T] = A A^T
    const a = Array.from({ length: k * k }, () => rng.normal());
    const gram = new Float64Array(k * k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++)
        for (let t = 0; t < k; t++) gram[i * k + j] = (gram[i * k + j] as number) + ((a[i * k + t] as number) * (a[j * k + t] as number)) / k;
    const w = Float64Array.from({ length: k }, () => rng.normal() * 0.3);
    const step = Math.max(...Array.from(w, Math.abs)) / 3; // 3 bits
    const target = new Float64Array(k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) target[i] = (target[i] as number) + (gram[i * k + j] as number) * (w[j] as number);
    const loss = (codes: ArrayLike<number>): number => {
      const d = Float64Array.from({ length: k }, (_, i) => (w[i] as number) - (codes[i] as number) * step);
      let s = 0;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) s += (d[i] as number) * (gram[i * k + j] as number) * (d[j] as number);
      return s;
    };
    const nearest = Array.from(w, (v) => Math.round(v / step));
    const learned = adaroundChannel(w, step, 3, gram, target);
    for (let i = 0; i < k; i++) assert.ok(Math.abs((learned[i] as number) - (w[i] as number) / step) < 1, `code ${i} is floor or ceil`);
    assert.ok(loss(learned) < 0.9 * loss(nearest), `learned ${loss(learned)} vs nearest ${loss(nearest)}`);
  });

  it('prepared weights are on the engine grid, and bias correction matches the mean output', () => {
    const b = new GraphBuilder('dense', [12]);
    b.output(b.dense(b.relu(b.dense(b.input, 10, { name: 'd1', bias: false }), 'r'), 5, { name: 'd2' }));
    const graph = b.build();
    const model: Model = { graph, weights: initWeights(graph, new Rng(9)) };
    const n = 300;
    const x = inputs(n, 12, 10).map((v) => v + 0.5);
    const policy = policyFromVectors(graph, [3, 3], [8, 8]);
    const e = buildModel(model);
    const cal = calibrateActivations(e, x, n);
    e.dispose();
    const meanOut = (m: Model, quant: boolean): number[] => {
      const eng = buildModel(m);
      try {
        if (quant) eng.hooks = quantHooks(quantConfig(m.graph, policy, cal));
        const y = eng.predict(x, n);
        return Array.from({ length: 5 }, (_, c) => y.filter((_, i) => i % 5 === c).reduce((s, v) => s + v, 0) / n);
      } finally {
        eng.dispose();
      }
    };
    const float = meanOut(model, false);
    const plain = meanOut(model, true);
    const prepared = preparePolicy(model, policy, { ...parsePtq('bias,clip'), images: n }, { images: { x, n }, calibration: cal });
    assert.ok(
      prepared.graph.nodes.every((nd) => nd.op !== 'dense' || nd.bias),
      'bias correction gives d1 a bias',
    );
    // fixed point: the engine's min/max quantizer does not move the prepared weights
    const requant = quantizedWeights(prepared, policy);
    for (const l of ['d1', 'd2']) {
      const pw = prepared.weights.get(`${l}.weight`)?.data as Float32Array;
      assert.ok(maxDiff(pw, requant.get(`${l}.weight`)?.data as Float32Array) < 1e-6, `${l} weights are on the grid`);
    }
    const gap = (m: number[]): number => m.reduce((s, v, i) => s + Math.abs(v - (float[i] as number)), 0);
    // the engine rounds d2's corrected bias to int32 at (its input's scale x its weight scale): what is left of the
    // gap is at most that rounding, half a bias step per output
    const cfg = quantConfig(prepared.graph, policy, cal);
    const d2w = prepared.weights.get('d2.weight');
    assert.ok(d2w && cfg.activations.r);
    const inScale = actGrid(cfg.activations.r).scale;
    const halfSteps = quantizeWeightInt8(d2w, [3, 3, 3, 3, 3]).scales.reduce((a, sw) => a + (sw * inScale) / 2, 0);
    const corrected = meanOut(prepared, true);
    assert.ok(gap(corrected) < halfSteps + 1e-3, `mean output gap after correction ${gap(corrected)} (before ${gap(plain)}; half bias steps ${halfSteps})`);
    assert.ok(gap(plain) > 10 * gap(corrected), `the correction mattered: ${gap(plain)} vs ${gap(corrected)}`);
  });

  it('parses step lists and rejects unknown names', () => {
    assert.equal(ptqLabel(parsePtq('all')), 'cle,clip=mse,bias,adaround');
    assert.equal(ptqLabel(parsePtq('fold,bias,adaround=200')), 'fold,bias,adaround=200');
    assert.equal(ptqLabel(parsePtq('none')), 'none');
    assert.throws(() => parsePtq('bais'), UserError);
    assert.throws(() => parsePtq('adaround=0'), UserError);
    assert.throws(() => parsePtq('clip=max'), UserError);
  });
});
