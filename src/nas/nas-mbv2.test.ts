import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Dataset, Split } from '../data/types.js';
import { initEngine } from '../engine/backend.js';
import { uniformPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import type { HardwareTarget } from '../hardware/types.js';
import type { Graph } from '../ir/types.js';
import { MBV2_MICRO, type Mbv2SpaceOptions, mbv2Space } from '../search/spaces/mbv2.js';
import { nb201Space } from '../search/spaces/nb201.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { MBV2_TINY } from '../search/spaces/testing/tiny.js';
import { spaceInputShape } from '../search/spaces/types.js';
import type { Objective } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { archLatencyMs } from './cost.js';
import { nasDatasetOptions, runNas } from './run.js';
import { createNasStrategy } from './strategy-config.js';
import { Supernet, samplePath, supernetEvaluator } from './supernet.js';
import { archInputSize, resizeSplit, splitAtSizes, trainingEvaluator } from './train-eval.js';

/** Two stages, elastic width (0.5/1) and input size (6/8), 1 channel. */
const TINY: Mbv2SpaceOptions = {
  ...MBV2_TINY,
  stages: [
    { channels: 8, stride: 1, minDepth: 1, maxDepth: 2 },
    { channels: 16, stride: 2, minDepth: 1, maxDepth: 1 },
  ],
  widths: [0.5, 1],
  inputSizes: [6, 8],
  inChannels: 1,
};

const OBJ: Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
];

function split(n: number, seed: number): Split {
  const r = new Rng(seed);
  return { x: Float32Array.from({ length: n * 64 }, () => r.normal()), y: Uint8Array.from({ length: n }, () => r.int(0, 9)), n };
}

function dataset(): Dataset {
  return { name: 'synthetic', shape: [1, 8, 8], numClasses: 10, train: split(64, 1), val: split(32, 2), test: split(16, 3) };
}

before(async () => {
  await initEngine();
});

test('resizeSplit: identity at the own size, bilinear keeps constants, shapes follow the size', () => {
  const s = split(3, 4);
  assert.equal(resizeSplit(s, [1, 8, 8], 8), s);
  const half = resizeSplit(s, [1, 8, 8], 4);
  assert.equal(half.n, 3);
  assert.equal(half.x.length, 3 * 16);
  assert.deepEqual([...half.y], [...s.y]);
  const flat = { x: new Float32Array(2 * 64).fill(-0.75), y: Uint8Array.from([1, 2]), n: 2 };
  assert.ok([...resizeSplit(flat, [1, 8, 8], 5).x].every((v) => Math.abs(v + 0.75) < 1e-6));
  const at = splitAtSizes(s, [1, 8, 8]);
  assert.equal(at(6), at(6));
  assert.equal(at(6).x.length, 3 * 36);
  assert.equal(archInputSize(mbv2Space(TINY).parse('r6-w1:k3e1r|k3e3h')), 6);
  assert.equal(archInputSize({ arch: { inputSize: 20 }, bits: {} }), 20);
  assert.equal(archInputSize(nb201Space().parse('|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|')), undefined);
});

test('elastic supernet: paths sample width and input size; narrow subnets slice the wide weights and run at their size', () => {
  const spec = { space: TINY };
  const rng = new Rng(3);
  const paths = Array.from({ length: 40 }, () => samplePath(spec, rng));
  assert.deepEqual(new Set(paths.map((p) => p.width)), new Set([0.5, 1]));
  assert.deepEqual(new Set(paths.map((p) => p.inputSize)), new Set([6, 8]));
  const net = new Supernet(spec, 1);
  const ds = dataset();
  const at = splitAtSizes(ds.train, ds.shape);
  net.train((size) => at(size), { steps: 3, batchSize: 8, seed: 1 });
  const sub = net.subnet('r6-w0.5:k3e1r|k5e3hs');
  const stem = sub.weights.get('stem.weight');
  const wide = net.weights.get('stem.weight');
  assert.ok(stem && wide);
  assert.equal(stem.shape[0], 8); // makeDivisible(8 * 0.5) = 8
  const e = net.evaluate('r6-w0.5:k3e1r|k5e3hs', at, splitAtSizes(ds.val, ds.shape), { calibSamples: 16 });
  assert.ok(e.accuracy >= 0 && e.accuracy <= 1 && Number.isFinite(e.loss));
  // fixed input size: every path uses it
  assert.ok(Array.from({ length: 10 }, () => samplePath({ space: TINY, inputSize: 8 }, rng)).every((p) => p.inputSize === 8));
});

test('supernetEvaluator: trains once, same trials give the same values, latency constraint, bad inputs named', async () => {
  const space = mbv2Space(TINY);
  const target = getTarget('bitfusion-edge');
  const ds = dataset();
  const ev = supernetEvaluator({ space, dataset: ds, target, objectives: OBJ, steps: 4, batchSize: 8, calibSamples: 16, maxLatencyMs: 1e-4 });
  const p = space.toParams(space.parse('r8-w1:k3e3r|k5e1h'));
  const ctx = { studyName: 's', trialNumber: 0, seed: 1, signal: new AbortController().signal, setUserAttr: () => {} };
  const a = await ev(p, ctx);
  const b = await ev(p, { ...ctx, trialNumber: 1, seed: 99 });
  assert.deepEqual(a.values, b.values);
  assert.equal((await ev.supernet()).steps, 4);
  const lat = a.values[1] as number;
  assert.ok(lat > 0);
  assert.equal(a.constraints?.[0], lat - 1e-4);
  assert.equal(a.userAttrs?.arch, 'r8-w1:k3e3r|k5e1h');
  assert.throws(() => supernetEvaluator({ space: nb201Space(), dataset: ds, target, objectives: OBJ }), /mbv2-style space.*'nb201'/);
  assert.throws(() => supernetEvaluator({ space, dataset: ds, target, objectives: [{ name: 'top5', direction: 'maximize' }] }), /'top5'/);
  await assert.rejects(
    archLatencyMs(target, space.graph(space.parse('r8-w1:k3e3r|k5e1h')), uniformPolicy(8, 8), { mode: 'network' }),
    /target 'bitfusion-edge' cannot .*'host-cpu'/,
  );
});

test("archLatencyMs 'network' mode: a target's own whole-network timer, scaled by the anchor's first timing", async () => {
  const space = mbv2Space(MBV2_TINY);
  const anchor = space.graph(space.parse('r8-w1:k3e3r|k5e1h'));
  const cand = space.graph(space.parse('r8-w1:k5e3r,k5e3r|k5e3r,k5e3r'));
  const calls: { graphs: number; repeats: number | undefined }[] = [];
  // a fake device on which the anchor first runs at 2 ms, then drifts to 4 ms; the candidate runs at 6 ms in the drifted state
  let anchorRuns = 0;
  // network mode uses only the name and the timer
  const device = {
    name: 'fake-device',
    timeNetworks: async (gs: readonly Graph[], o?: { repeats?: number }) => {
      calls.push({ graphs: gs.length, repeats: o?.repeats });
      return gs.map((g) => (g === anchor ? (anchorRuns++ === 0 ? 2 : 4) : 6));
    },
  } as unknown as HardwareTarget;
  const r = await archLatencyMs(device, cand, uniformPolicy(8, 8), { mode: 'network', anchor });
  assert.equal(r.latencyMs, 2 * (6 / 4)); // nominal anchor x candidate / anchor in the same state
  assert.deepEqual(calls, [
    { graphs: 1, repeats: 1000 },
    { graphs: 2, repeats: 200 },
  ]);
  const alone = await archLatencyMs(device, cand, uniformPolicy(8, 8), { mode: 'network', repeats: 7 });
  assert.equal(alone.latencyMs, 6);
  assert.deepEqual(calls[2], { graphs: 1, repeats: 7 });
});

test('runNas with a latency constraint: infeasible trials stay in trials, leave the Pareto set', async () => {
  const space = mbv2Space(TINY);
  const target = getTarget('bitfusion-edge');
  const pol = uniformPolicy(8, 8);
  const lats = Array.from({ length: 30 }, (_, i) => target.networkCost(space.graph(space.fromParams(space.space.sample(new Rng(i)))), pol).latencyMs).sort(
    (x, y) => x - y,
  );
  const line = lats[15] as number;
  const evaluate = async (params: Parameters<ReturnType<typeof supernetEvaluator>>[0]) => {
    const a = space.fromParams(params);
    const lat = target.networkCost(space.graph(a), pol).latencyMs;
    const acc = a.stages.flat().reduce((s, b) => s + b.kernel * b.expansion, 0) * a.width;
    return { values: [acc, lat], constraints: [lat - line], userAttrs: { arch: space.format(a) } };
  };
  const { strategy } = await createNasStrategy('random', space, { budget: 24, distinct: false }); // the test space is not a registered one
  const r = await runNas({ space, objectives: OBJ, strategy, evaluate, budget: 24, seed: 3 });
  assert.equal(r.trials.length, 24);
  assert.ok(r.infeasible > 0 && r.infeasible < 24, `infeasible ${r.infeasible}`);
  assert.ok(r.pareto.length > 0);
  assert.ok(r.pareto.every((t) => (t.values.latency_ms as number) <= line));
});

test('hwnas nas data options: --limit and the spec compose; both limiting is an error; size from the space', () => {
  const micro = spaceInputShape(mbv2Space(MBV2_MICRO));
  assert.deepEqual(micro, { size: 28, channels: 1 });
  assert.deepEqual(spaceInputShape(getArchSpace('mbv2+bits')), { size: 28, channels: 1 });
  const a = nasDatasetOptions('fashion-mnist;standardize', 3000, micro);
  assert.deepEqual(a.spec.options, { standardize: true, limit: { train: 3000, val: 1500, test: 1500 } });
  assert.deepEqual(a.options, { size: 28, channels: 1 });
  const b = nasDatasetOptions('fashion-mnist;limit=train:800', undefined, micro);
  assert.deepEqual(b.spec.options.limit, { train: 800, val: 1000, test: 1000 });
  const c = nasDatasetOptions('fmnist;limit=600;size=32', undefined, micro);
  assert.deepEqual(c.spec.options, { size: 32, limit: { train: 600, val: 600, test: 600 } });
  assert.deepEqual(nasDatasetOptions('fashion-mnist', undefined, micro).spec.options.limit, { train: 2000, val: 1000, test: 1000 });
  assert.throws(() => nasDatasetOptions('fashion-mnist;limit=600', 500, micro), /--limit 500 and the dataset spec 'fashion-mnist;limit=600'/);
  assert.throws(() => nasDatasetOptions('fashion-mnist', 0, micro), /--limit 0: expected a positive integer/);
});

test('trainingEvaluator with a latency constraint: an architecture over it is not trained (accuracy 0, trained false), one under it is', async () => {
  const space = mbv2Space(TINY);
  const target = getTarget('bitfusion-edge');
  const ds = dataset();
  const p = space.toParams(space.parse('r8-w1:k3e3r|k5e1h'));
  const ctx = { studyName: 's', trialNumber: 0, seed: 1, signal: new AbortController().signal, setUserAttr: () => {} };
  const lat = target.networkCost(space.graph(space.parse('r8-w1:k3e3r|k5e1h')), uniformPolicy(8, 8)).latencyMs;
  const over = await trainingEvaluator({ space, dataset: ds, target, objectives: OBJ, epochs: 1, batchSize: 8, maxLatencyMs: lat / 2 })(p, ctx);
  assert.equal(over.values[0], 0);
  assert.equal(over.userAttrs?.trained, false);
  assert.ok(Math.abs((over.constraints?.[0] as number) - lat / 2) < 1e-12);
  const under = await trainingEvaluator({ space, dataset: ds, target, objectives: OBJ, epochs: 1, batchSize: 8, maxLatencyMs: lat * 2 })(p, ctx);
  assert.ok((under.values[0] as number) > 0, 'trained and scored');
  assert.equal(under.userAttrs?.trained, undefined);
  assert.ok((under.constraints?.[0] as number) < 0);
});
