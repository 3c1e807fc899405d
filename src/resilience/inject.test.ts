import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { quantHooks } from '../engine/fake-quant.js';
import { activationFaultHooks } from '../engine/fault-hooks.js';
import { buildModel } from '../engine/model.js';
import { actGrid } from '../engine/quant-grid.js';
import { policyFromVectors, uniformPolicy } from '../hardware/precision.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import type { Model } from '../ir/types.js';
import { createSession, runOnnx } from '../onnx/ort.js';
import { calibrateActivations } from '../quant/apply.js';
import { exportQdqOnnx } from '../quant/qdq-export.js';
import { quantConfig } from '../quant/quant-config.js';
import { Rng } from '../util/rng.js';
import { activationCorruptor, activationSites, faultActivationValue } from './activation-faults.js';
import { runFaultCampaign } from './campaign.js';
import { faultyWeightsOnnx, injectWeightFaults, weightSites } from './weight-faults.js';

function smallNet(seed: number): Model {
  const b = new GraphBuilder('fi-net', [1, 10, 10]);
  let x = b.relu(b.bn(b.conv(b.input, { out: 8, kernel: 3, name: 'c1' })));
  x = b.relu(b.conv(x, { out: 8, kernel: 3, groups: 8, name: 'dw' }));
  x = b.relu(b.conv(x, { out: 12, kernel: 1, name: 'pw' }));
  b.output(b.dense(b.flatten(b.globalAvgPool(x)), 4, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}

function images(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * 100 }, () => rng.uniform(0, 1));
}

async function ortLogits(bytes: Uint8Array, x: Float32Array, n: number): Promise<Float32Array> {
  const s = await createSession(bytes);
  try {
    return Float32Array.from(await runOnnx(s, x, n));
  } finally {
    await s.session.release();
  }
}

describe('weight fault injection', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('without faults the exported model is byte-identical to the QDQ export of the policy', () => {
    const model = smallNet(1);
    const policy = policyFromVectors(model.graph, [8, 4, 2, 8], [8, 8, 6, 8]);
    const em = buildModel(model);
    const cal = calibrateActivations(em, images(64, 2), 64, 'minmax');
    em.dispose();
    const cfg = quantConfig(model.graph, policy, cal);
    const sites = weightSites(model, policy);
    const grids = new Map(Object.entries(cfg.activations).map(([k, c]) => [k, actGrid(c)] as const));
    const none = { codes: new Map(), values: new Map(), bitsHit: 0, valuesChanged: 0 };
    // the fault files record no policy default (metadata_props of quantize --out's file, read back by `cost`)
    assert.deepEqual(faultyWeightsOnnx(model, sites, none, grids), exportQdqOnnx(model, { weights: cfg.weights, activations: cfg.activations }));
    assert.deepEqual(
      sites.map((s) => s.totalBits),
      [8 * 9 * 8, 4 * 9 * 8, 2 * 12 * 8, 8 * 4 * 12],
    );
  });

  it('one exact flip changes one integer code by a power of two, and the ONNX output moves', async () => {
    const model = smallNet(3);
    const policy = uniformPolicy(8, 32);
    const sites = weightSites(model, policy);
    for (let seed = 0; seed < 20; seed++) {
      const f = injectWeightFaults(sites, { kind: 'flip', count: 1 }, new Rng(seed));
      assert.equal(f.bitsHit, 1);
      assert.equal(f.valuesChanged, 1);
      const [layer, codes] = [...f.codes][0] as [string, Int8Array];
      const orig = sites.find((s) => s.layer === layer)?.codes as Int8Array;
      const diffs = [...codes].map((c, i) => c - (orig[i] as number)).filter((d) => d !== 0);
      assert.equal(diffs.length, 1);
      assert.ok([1, 2, 4, 8, 16, 32, 64, 128].includes(Math.abs(diffs[0] as number)), `diff ${diffs[0]}`);
    }
    // an exact count restricted to one layer touches only that layer
    const only = injectWeightFaults(sites, { kind: 'flip', count: 50 }, new Rng(1), new Set(['pw']));
    assert.deepEqual([...only.codes.keys()], ['pw']);
    assert.throws(() => injectWeightFaults(sites, { kind: 'flip', count: 1 }, new Rng(1), new Set(['nope'])), /'nope' unknown/);
    // the faulty model runs in onnxruntime and its output differs from the fault-free one
    const x = images(8, 4);
    const none = { codes: new Map(), values: new Map(), bitsHit: 0, valuesChanged: 0 };
    const clean = await ortLogits(faultyWeightsOnnx(model, sites, none, new Map()), x, 8);
    const hit = injectWeightFaults(sites, { kind: 'flip', count: 40 }, new Rng(9), new Set(['fc']));
    const bad = await ortLogits(faultyWeightsOnnx(model, sites, hit, new Map()), x, 8);
    assert.ok(clean.some((v, i) => Math.abs(v - (bad[i] as number)) > 1e-4));
  });

  it('float32 sites: stuck-at-0 on every bit zeroes the layer; a sign flip of every weight negates its output', async () => {
    const model = smallNet(5);
    const sites = weightSites(model);
    assert.equal(sites[3]?.totalBits, 4 * 12 * 32);
    const zero = injectWeightFaults(sites, { kind: 'stuck-0', ber: 1 }, new Rng(1), new Set(['fc']));
    assert.ok([...(zero.values.get('fc') as Float32Array)].every((v) => v === 0));
    const x = images(4, 6);
    const noBias: Model = { graph: model.graph, weights: new Map(model.weights) };
    const fcBias = model.weights.get('fc.bias');
    if (fcBias) noBias.weights.set('fc.bias', { shape: fcBias.shape, data: new Float32Array(fcBias.data.length) });
    const none = { codes: new Map(), values: new Map(), bitsHit: 0, valuesChanged: 0 };
    const clean = await ortLogits(faultyWeightsOnnx(noBias, sites, none, new Map()), x, 4);
    // every sign bit of fc: positions 31, 63, ... -> exact count over those would be random; build it directly
    const fc = sites[3];
    assert.ok(fc);
    const neg = Float32Array.from(fc.values, (v) => -v);
    const flipped = { codes: new Map(), values: new Map([['fc', neg]]), bitsHit: neg.length, valuesChanged: neg.length };
    const out = await ortLogits(faultyWeightsOnnx(noBias, sites, flipped, new Map()), x, 4);
    for (let i = 0; i < out.length; i++) assert.ok(Math.abs((out[i] as number) + (clean[i] as number)) < 1e-5);
  });
});

describe('activation fault injection', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('the fault-injecting stage equals running on the corrupted input', () => {
    const model = smallNet(7);
    const em = buildModel(model);
    try {
      const x = images(3, 8);
      const hitIdx = Int32Array.from([5, 117, 250]);
      const newVals = Float32Array.from([9, -4, 123.5]);
      em.hooks = activationFaultHooks(
        {},
        {
          select: (info) => (info.node === 'input' ? hitIdx : undefined),
          corrupt: () => newVals,
        },
      );
      const hooked = em.predict(x, 3);
      em.hooks = {};
      const manual = Float32Array.from(x);
      // input is [N,1,10,10]: with one channel NCHW and NHWC flat orders coincide
      hitIdx.forEach((i, j) => {
        manual[i] = newVals[j] as number;
      });
      const ref = em.predict(manual, 3);
      for (let i = 0; i < ref.length; i++) assert.ok(Math.abs((ref[i] as number) - (hooked[i] as number)) < 1e-5);
    } finally {
      em.dispose();
    }
  });

  it('uint codes: a flip of bit k moves the value by 2^k steps; float sites flip float32 bits', () => {
    const graph = smallNet(1).graph;
    const node = graph.nodes.find((n) => n.inputs[0] !== undefined && graph.nodes.find((m) => m.name === 'dw')?.inputs[0] === n.name)?.name as string;
    const sites = activationSites(graph, { [node]: { bits: 8, min: 0, max: 2.55 } });
    const s = sites.find((a) => a.node === node);
    assert.ok(s?.grid);
    const step = s.grid.scale;
    const v = 10 * step;
    assert.ok(Math.abs(faultActivationValue(s, v, [7], { kind: 'flip', ber: 1 }) - 138 * step) < 1e-6);
    assert.ok(Math.abs(faultActivationValue(s, v, [1], { kind: 'flip', ber: 1 }) - 8 * step) < 1e-6);
    const input = sites.find((a) => a.node === 'input');
    assert.equal(input?.bits, 32);
    assert.equal(faultActivationValue(input as (typeof sites)[number], 1, [30], { kind: 'flip', ber: 1 }), Number.POSITIVE_INFINITY);
    assert.throws(() => activationCorruptor(sites, { kind: 'flip', count: 1 }, new Rng(1)), /bit error rate per inference/);
  });

  it('activation faults at a BER hit about N*p bits per pass, with the quantization hooks still applied', () => {
    const model = smallNet(9);
    const em = buildModel(model);
    try {
      const policy = uniformPolicy(8, 8);
      const cal = calibrateActivations(em, images(32, 10), 32, 'minmax');
      const cfg = quantConfig(model.graph, policy, cal);
      const sites = activationSites(model.graph, cfg.activations);
      const stats = { bitsHit: 0, elementsHit: 0 };
      const n = 40;
      em.hooks = activationFaultHooks(quantHooks(cfg), activationCorruptor(sites, { kind: 'flip', ber: 1e-3 }, new Rng(2), stats));
      const faulty = em.predict(images(n, 11), n, { batchSize: 20 });
      em.hooks = quantHooks(cfg);
      const clean = em.predict(images(n, 11), n, { batchSize: 20 });
      // bits per image at 8 bits: input 1x10x10, c1 out 8x10x10, dw out 8x10x10, flatten 12
      const perImage = (100 + 800 + 800 + 12) * 8;
      const expect = n * perImage * 1e-3;
      assert.ok(Math.abs(stats.bitsHit - expect) < 5 * Math.sqrt(expect), `bits hit ${stats.bitsHit}, expected ~${expect}`);
      assert.ok(faulty.some((v, i) => Math.abs(v - (clean[i] as number)) > 1e-4));
    } finally {
      em.dispose();
    }
  });
});

describe('fault campaign', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('same seed, same result; stopped early keeps the finished runs only', async () => {
    const model = smallNet(11);
    const n = 60;
    const x = images(n, 12);
    // labels = the model's own fault-free predictions: baseline accuracy 1
    const em = buildModel(model);
    const logits = em.predict(x, n);
    em.dispose();
    const y = Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let j = 1; j < 4; j++) if ((logits[i * 4 + j] as number) > (logits[i * 4 + best] as number)) best = j;
      return best;
    });
    const opts = {
      model,
      data: { x, y, n },
      bers: [1e-4, 1e-2],
      sites: ['weights', 'activations'] as const,
      trials: 3,
      seed: 5,
      layerTrials: 1,
    };
    const a = await runFaultCampaign(opts);
    const b = await runFaultCampaign(opts);
    assert.ok(a.baselineAccuracy > 0.99);
    assert.deepEqual(a.results, b.results);
    assert.deepEqual(a.layers, b.layers);
    assert.equal(a.results.length, 4);
    assert.equal(a.layers.length, 4 + 4);
    // float32 weights at BER 1e-2: ~40 flips among 4,096 bits, ~1/32 of them exponent MSBs: accuracy collapses on average
    const worst = a.results.find((r) => r.site === 'weights' && r.ber === 1e-2);
    assert.ok(worst && worst.meanAccuracy < a.baselineAccuracy);
    let calls = 0;
    const c = await runFaultCampaign({ ...opts, shouldStop: () => ++calls > 4 });
    assert.equal(c.interrupted, true);
    assert.equal(c.runs, 4);
    assert.deepEqual(
      c.results.map((r) => r.trials),
      [3, 1],
    );
    assert.deepEqual(c.results[0], a.results[0]);
    assert.equal(c.layers.length, 0);
    await assert.rejects(runFaultCampaign({ ...opts, counts: [1] }), /either bit error rates or exact fault counts/);
    await assert.rejects(runFaultCampaign({ ...opts, bers: undefined, counts: [1] } as never), /exact fault counts apply to weights only/);
  });
});
