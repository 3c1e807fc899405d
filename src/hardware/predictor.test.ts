import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { graphWorkloads } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { Rng } from '../util/rng.js';
import { describeLayer, isFreeOp } from './layer-key.js';
import { policyPreset } from './precision.js';
import {
  composeNetwork,
  evalPredictor,
  fitComposition,
  fitGbdt,
  fitMetrics,
  fitPredictor,
  KERNEL_FEATURE_NAMES,
  kendallTau,
  kernelFeatures,
  kernelWork,
  type LatencySample,
  loadPredictor,
  lutCalibrations,
  lutPredictorMeta,
  networkKernels,
  PredictorTarget,
  predictNetwork,
  predictRow,
  savePredictor,
} from './predictor.js';
import { getTarget } from './registry.js';
import { runTargetConformance } from './testing/conformance.js';
import { randomNet } from './testing/random-nets.js';

/** Samples whose latency is a known function: the cortex-a76 roofline model, including overheads. */
function samples(seed: number, nets: number): LatencySample[] {
  const rng = new Rng(seed);
  const truth = getTarget('cortex-a76');
  const out: LatencySample[] = [];
  for (let n = 0; n < nets; n++) {
    for (const w of graphWorkloads(randomNet(rng, `n${n}`))) {
      if (isFreeOp(w.op)) continue;
      const mac = w.op === 'conv2d' || w.op === 'dense';
      const p = { weightBits: mac ? rng.choice([8, 16, 32]) : 32, actBits: rng.choice([8, 16, 32]) };
      out.push({ layer: describeLayer(w, p), latencyMs: truth.layerCost(w, p).latencyMs });
    }
  }
  return out;
}

describe('learned cost model (gradient-boosted trees)', () => {
  const train = samples(1, 40);
  const test = samples(2, 12);
  const model = fitPredictor(train, { rounds: 200, seed: 3 });

  it('recovers a known latency function on held-out networks', () => {
    assert.ok(train.length >= 300, `${train.length} training samples`);
    const m = evalPredictor(model, test);
    assert.ok(m.mape < 0.12, `MAPE ${m.mape}`);
    assert.ok(m.kendallTau > 0.9, `tau ${m.kendallTau}`);
    assert.ok(m.within10 > 0.6, `within10 ${m.within10}`);
  });
  it('same data and seed give the same model; another seed differs', () => {
    const a = fitPredictor(train.slice(0, 200), { rounds: 20, seed: 5 });
    const b = fitPredictor(train.slice(0, 200), { rounds: 20, seed: 5 });
    const c = fitPredictor(train.slice(0, 200), { rounds: 20, seed: 6 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.trees, c.trees);
  });
  it('fits a step function exactly with one split', () => {
    const x = Array.from({ length: 40 }, (_, i) => [i]);
    const y = x.map(([v]) => ((v as number) < 20 ? 1 : 3));
    const m = fitGbdt(x, y, ['v'], { rounds: 200, learningRate: 0.5, maxDepth: 1, minLeaf: 1, lambda: 0, subsample: 1 });
    assert.ok(Math.abs(predictRow(m, [5]) - 1) < 1e-6);
    assert.ok(Math.abs(predictRow(m, [35]) - 3) < 1e-6);
  });
  it('saves and loads; rejects foreign files', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'hwnas-pred-')), 'm.json');
    savePredictor(model, f);
    const back = loadPredictor(f);
    const row = kernelFeatures(train[0]?.layer ?? describeLayer(graphWorkloads(zooGraph('zoo:mbnet32'))[1] as never, { weightBits: 8, actBits: 8 }), [
      'batchnorm',
      'relu',
    ]);
    assert.equal(row.length, KERNEL_FEATURE_NAMES.length);
    assert.equal(predictRow(back, row), predictRow(model, row));
    assert.throws(() => loadPredictor(join(tmpdir(), 'does-not-exist.json')), ConfigError);
  });
  it('metrics: Kendall tau, MAPE, within 10%', () => {
    assert.equal(kendallTau([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(kendallTau([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    const m = fitMetrics([1, 2, 4], [1.05, 2.5, 4]);
    assert.ok(Math.abs(m.mape - (0.05 + 0.25 + 0) / 3) < 1e-12);
    assert.ok(Math.abs(m.within10 - 2 / 3) < 1e-12);
    assert.ok(Math.abs(m.rmse - Math.sqrt((0.0025 + 0.25) / 3)) < 1e-12);
  });
  it('as a target, predicts whole networks close to the function it learned', () => {
    const t = new PredictorTarget(model, 'predictor:test', { fuse: true });
    const g = zooGraph('zoo:mbnet32');
    const pol = { default: { weightBits: 8, actBits: 8 }, layers: {} };
    const pred = t.networkCost(g, pol).latencyMs;
    const ref = getTarget('cortex-a76').networkCost(g, pol).latencyMs;
    assert.ok(Math.abs(pred / ref - 1) < 0.15, `${pred} vs ${ref}`);
  });
  it('costs only the bit widths it was trained on: a model fitted on fp32 kernels refuses w8a8', () => {
    assert.deepEqual(new PredictorTarget(model).supportedBits, { weight: [8, 16, 32], act: [8, 16, 32] });
    const fp32 = fitPredictor(
      train.filter((s) => s.layer.actBits === 32 && (s.layer.weightBits ?? 32) === 32),
      { rounds: 20, seed: 3 },
    );
    const t = new PredictorTarget(fp32, 'predictor:fp32', { fuse: true });
    const g = zooGraph('zoo:mbnet32');
    assert.ok(t.networkCost(g, policyPreset('fp32')).latencyMs > 0);
    assert.throws(
      () => t.networkCost(g, policyPreset('w8a8')),
      (e: unknown) => e instanceof ConfigError && /weightBits=8 cannot run on target 'predictor:fp32': expected one of 32/.test(e.message),
    );
  });
});

describe('predictors fitted on lookup tables', () => {
  const table = (fused: boolean, kernelScale?: number, networkOverheadMs?: number) => ({
    format: 'hwnas-lut' as const,
    version: 1 as const,
    device: 'cpu',
    ...(fused ? { fused: true } : {}),
    ...(kernelScale !== undefined ? { kernelScale } : {}),
    ...(networkOverheadMs !== undefined ? { networkOverheadMs } : {}),
    entries: [],
  });
  it('carry the fused flag and the median calibration of fused tables, which the target then uses', () => {
    const meta = lutPredictorMeta([
      { path: 'a.json', lut: table(true, 0.8, 0.02) },
      { path: 'b.json', lut: table(true, 0.6, 0.04) },
    ]);
    // an odd count takes the middle table's value: one outlier network does not move it
    const three = lutPredictorMeta(['a', 'b', 'c'].map((p, i) => ({ path: p, lut: table(true, [0.9, 5, 0.8][i], [0.01, 3.5, 0.02][i]) })));
    assert.deepEqual([three.calibration, three.kernelScale, three.networkOverheadMs], ['median', 0.9, 0.02]);
    assert.equal(meta.fused, 1);
    assert.ok(Math.abs((meta.kernelScale as number) - 0.7) < 1e-12);
    assert.ok(Math.abs((meta.networkOverheadMs as number) - 0.03) < 1e-12);
    assert.equal(meta.device, 'cpu');
    assert.equal(meta.source, 'a.json,b.json');
    const t = new PredictorTarget(fitPredictor(samples(1, 4), { rounds: 10, seed: 1 }, meta));
    assert.equal(t.fuse, true);
    const c = t.networkCost(zooGraph('mbnet32'), policyPreset('fp32'));
    assert.ok(Math.abs(c.networkOverheadMs - 0.03) < 1e-12);
    const bn = c.layers.filter((l) => /bn|relu/.test(l.node));
    assert.ok(bn.length > 0 && bn.every((l) => l.latencyMs === 0), 'fused batchnorm/activation cost nothing of their own');
  });
  it('pool the network timings the tables keep into one calibration; a calibrated table without them falls back to the median', () => {
    const timed = (graph: string, kernelSumMs: number, networkMs: number) => ({
      ...table(true, 9, 9),
      networks: [{ graph, kernelSumMs, networkMs }],
    });
    // three networks on 0.6 x kernels + 0.004 ms: the pooled fit recovers it, whatever each table's own calibration says
    const tables = [0.01, 0.2, 1].map((k, i) => ({ path: `t${i}.json`, lut: timed(`n${i}`, k, 0.6 * k + 0.004) }));
    const meta = lutPredictorMeta(tables);
    assert.equal(meta.calibration, 'pooled');
    assert.ok(Math.abs((meta.kernelScale as number) - 0.6) < 1e-9 && Math.abs((meta.networkOverheadMs as number) - 0.004) < 1e-9, JSON.stringify(meta));
    const cal = lutCalibrations(tables);
    assert.deepEqual(
      cal.networks?.map((n) => [n.path, n.graph]),
      [
        ['t0.json', 'n0'],
        ['t1.json', 'n1'],
        ['t2.json', 'n2'],
      ],
    );
    assert.ok(cal.networks?.every((n) => Math.abs(n.error) < 1e-9));
    // one network timed under load (2x): it is the farthest, with the largest error
    const loaded = [...tables, { path: 'slow.json', lut: timed('slow', 0.05, 2 * (0.6 * 0.05 + 0.004)) }];
    assert.equal(lutCalibrations(loaded).farthest, 'slow in slow.json');
    // a calibrated table that keeps no timings: the median of the tables' own calibrations, as before
    const mixed = lutPredictorMeta([...tables, { path: 'old.json', lut: table(true, 0.5, 0.01) }]);
    assert.deepEqual([mixed.calibration, mixed.kernelScale, mixed.networkOverheadMs], ['median', 9, 9]);
    assert.equal(lutCalibrations([...tables, { path: 'old.json', lut: table(true, 0.5, 0.01) }]).networks, undefined);
  });
  it('unfused tables give an unfused model; mixed tables are refused naming the files', () => {
    assert.equal(lutPredictorMeta([{ path: 'u.csv', lut: table(false) }]).fused, undefined);
    assert.throws(
      () =>
        lutPredictorMeta([
          { path: 'f.json', lut: table(true) },
          { path: 'u.csv', lut: table(false) },
        ]),
      (e: unknown) => e instanceof ConfigError && /fused kernels \(f\.json\) with unfused per-node timings \(u\.csv\)/.test(e.message),
    );
  });
});

describe('kernel features and network composition', () => {
  it('encodes fused batchnorm, activation and residual add', () => {
    const w = graphWorkloads(zooGraph('zoo:mbnet32')).find((x) => x.node === 'stem');
    assert.ok(w);
    const d = describeLayer(w, { weightBits: 32, actBits: 32 });
    const n = KERNEL_FEATURE_NAMES.length;
    const plain = kernelFeatures(d);
    const fused = kernelFeatures(d, ['batchnorm', 'add', 'relu6']);
    const at = (f: number[], name: string): number => f[KERNEL_FEATURE_NAMES.indexOf(name)] as number;
    assert.equal(plain.length, n);
    assert.deepEqual([at(plain, 'post_bn'), at(plain, 'post_act'), at(plain, 'post_sum')], [0, 0, 0]);
    assert.deepEqual([at(fused, 'post_bn'), at(fused, 'post_act'), at(fused, 'post_sum')], [1, 2, 1]);
    // stem: 3 -> 32 channels (a multiple of 16: no padding; inputs below 8 channels are not padded): MACs + elements
    assert.equal(kernelWork(d), w.macs + w.inElems + w.outElems + w.weightElems + 1);
  });
  it('fits a known composition exactly and composes kernel times', () => {
    const truth = { fixedMs: 0.02, kernelScale: 1.1, perKernelMs: 0.003, perMByteMs: 0.05 };
    const rng = new Rng(3);
    const rows = Array.from({ length: 12 }, () => {
      const k = rng.int(3, 30);
      const kernelMs = Array.from({ length: k }, () => rng.next() * 0.5);
      const kernelMBytes = Array.from({ length: k }, () => rng.next() * 2);
      return { kernelMs, kernelMBytes, measuredMs: composeNetwork(truth, kernelMs, kernelMBytes) };
    });
    const fit = fitComposition(rows);
    for (const k of ['fixedMs', 'kernelScale', 'perKernelMs', 'perMByteMs'] as const)
      assert.ok(Math.abs(fit[k] - truth[k]) < 1e-4, `${k}: ${fit[k]} vs ${truth[k]}`);
    assert.throws(() => fitComposition(rows.slice(0, 3)), ConfigError);
  });
  it('a fused predictor target costs networks per runtime kernel, as predictNetwork does', () => {
    const train = samples(1, 20).map((s) => ({ ...s, post: ['batchnorm', 'relu'] }));
    const comp = { fixedMs: 0.05, kernelScale: 1, perKernelMs: 0.002, perMByteMs: 0.01 };
    const model = fitPredictor(train, { rounds: 40, seed: 2 }, { fused: 1, ...comp });
    const g = zooGraph('zoo:mobilenet-v2?size=64');
    const t = new PredictorTarget(model, 'predictor:fused');
    const c = t.networkCost(g, policyPreset('fp32'));
    assert.ok(Math.abs(c.latencyMs - predictNetwork(model, g)) < 1e-9 * c.latencyMs, `${c.latencyMs} vs ${predictNetwork(model, g)}`);
    assert.equal(c.layers.find((l) => l.node === 'b2_add')?.fusedInto, 'b2_project');
    assert.equal(networkKernels(g).length, c.layers.filter((l) => l.fusedInto === undefined && l.latencyMs > 0).length);
  });
});

runTargetConformance(
  'predictor (fused kernels)',
  () => new PredictorTarget(fitPredictor(samples(1, 15), { rounds: 60, seed: 1 }, { fused: 1, fixedMs: 0.01, perKernelMs: 0.001 }), 'predictor:fused'),
  {
    monotoneInBits: false,
    graphs: [zooGraph('zoo:mnist-cnn'), zooGraph('zoo:mobilenet-v2?size=64')],
  },
);

runTargetConformance('predictor', () => new PredictorTarget(fitPredictor(samples(1, 15), { rounds: 60, seed: 1 }), 'predictor:conformance'), {
  monotoneInBits: false,
});
