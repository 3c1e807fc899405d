import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadDataset } from '../data/load.js';
import { splitSource } from '../data/stream.js';
import { initWeights } from '../ir/init.js';
import { referenceForward } from '../ir/reference.js';
import type { Model } from '../ir/types.js';
import { zooGraph } from '../ir/zoo/index.js';
import { Rng } from '../util/rng.js';
import { initEngine } from './backend.js';
import { buildModel, type EngineModel } from './model.js';
import { learningRate, Optimizer } from './optim.js';
import { scaleHooks } from './test-hooks.js';
import { type TrainData, type TrainInput, train } from './train.js';

function fresh(spec: string, seed = 1): Model {
  const graph = zooGraph(spec);
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}

function synthetic(n: number, shape: number[], seed: number): TrainData {
  const rng = new Rng(seed);
  const per = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * per);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(0, 9);
    for (let j = 0; j < per; j++) x[i * per + j] = rng.normal(0, 0.5) + (j % 10 === y[i] ? 1 : 0);
  }
  return { x, y, n };
}

function weightsOf(m: EngineModel): Float32Array[] {
  return [...m.getWeights().values()].map((t) => t.data);
}

describe('optimizers and schedules', () => {
  it('SGD with momentum and Nesterov follows the PyTorch recurrences', () => {
    const p = new Float32Array([1, -2]);
    const o = new Optimizer(2, { kind: 'sgd', momentum: 0.5, nesterov: true, weightDecay: 0.1 }, new Uint8Array([1, 0]));
    o.step(p, new Float32Array([0.5, 1]), 0.1);
    // g0 = 0.5 + 0.1*1 = 0.6, buf = 0.6, nesterov g = 0.6 + 0.5*0.6 = 0.9 -> 1 - 0.09
    assert.ok(Math.abs((p[0] as number) - 0.91) < 1e-6);
    // no decay on entry 1: g = 1, buf = 1, g = 1.5 -> -2.15
    assert.ok(Math.abs((p[1] as number) + 2.15) < 1e-6);
    o.step(p, new Float32Array([0, 0]), 0.1);
    // entry 1: buf = 0.5*1 + 0 = 0.5, g = 0 + 0.5*0.5 = 0.25 -> -2.175
    assert.ok(Math.abs((p[1] as number) + 2.175) < 1e-6);
  });

  it('Adam takes a first step of lr * sign(g)', () => {
    const p = new Float32Array([0, 0, 0]);
    new Optimizer(3, { kind: 'adam' }).step(p, new Float32Array([3, -0.01, 0]), 0.01);
    assert.ok(Math.abs((p[0] as number) + 0.01) < 1e-6 && Math.abs((p[1] as number) - 0.01) < 1e-5 && p[2] === 0);
  });

  it('schedules: warm-up, cosine to zero, step decay, constant', () => {
    const c = { kind: 'cosine', lr: 1, totalSteps: 110, warmupSteps: 10 } as const;
    assert.equal(learningRate(c, 0), 0.1);
    assert.equal(learningRate(c, 10), 1);
    assert.ok(Math.abs(learningRate(c, 60) - 0.5) < 1e-12);
    assert.ok(learningRate(c, 110) < 1e-12);
    const s = { kind: 'step', lr: 1, totalSteps: 30, stepSize: 10, gamma: 0.5 } as const;
    assert.deepEqual(
      [0, 9, 10, 25].map((t) => learningRate(s, t)),
      [1, 1, 0.5, 0.25],
    );
    assert.equal(learningRate({ kind: 'constant', lr: 0.3, totalSteps: 5 }, 4), 0.3);
    assert.throws(() => new Optimizer(1, { kind: 'rmsprop' as 'sgd' }), /unknown optimizer 'rmsprop'/);
  });
});

describe('train', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('mnist-cnn on 2,000 MNIST images, one epoch, lifts test accuracy far above chance', async () => {
    const ds = await loadDataset('mnist', { limit: { train: 2000, val: 0, test: 1000 } });
    const m = buildModel(fresh('mnist-cnn', 3));
    const before = m.evaluate(ds.test.x, ds.test.y, ds.test.n).accuracy;
    const seen: number[] = [];
    const r = await train(m, ds.train, { epochs: 1, batchSize: 64, lr: 3e-3, seed: 1, onProgress: (p) => seen.push(p.loss) });
    const after = m.evaluate(ds.test.x, ds.test.y, ds.test.n).accuracy;
    assert.equal(r.steps, Math.ceil(2000 / 64));
    assert.equal(seen.length, r.steps);
    assert.ok(before < 0.3, `untrained accuracy ${before}`);
    assert.ok(after > 0.8, `accuracy after one epoch on 2,000 images: ${after}`);
    m.dispose();
  });

  it('is reproducible: same seed gives bit-identical weights and running statistics; another seed differs', async () => {
    const data = synthetic(192, [3, 32, 32], 5);
    const run = async (seed: number): Promise<Float32Array[]> => {
      const m = buildModel(fresh('mbnet32?width=0.25', 2));
      await train(m, data, {
        epochs: 2,
        batchSize: 64,
        optimizer: 'sgd',
        nesterov: true,
        lr: 0.05,
        schedule: 'step',
        warmupEpochs: 0.5,
        weightDecay: 1e-4,
        labelSmoothing: 0.1,
        augment: { cropPadding: 2, flip: true },
        seed,
        workers: 1,
      });
      const w = weightsOf(m);
      m.dispose();
      return w;
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('a streamed source trains like the split it reads: bit-identical weights for the same order; validation from the source', async () => {
    const data = synthetic(160, [3, 16, 16], 6);
    const shape = [3, 16, 16] as const;
    const opts = { epochs: 2, batchSize: 48, optimizer: 'sgd', lr: 0.05, augment: { cropPadding: 2, flip: true }, seed: 4, workers: 1 } as const;
    const run = async (input: TrainInput, validation?: TrainInput): Promise<{ w: Float32Array[]; val: number[] }> => {
      const m = buildModel(fresh('mbnet32?width=0.25&size=16', 2));
      const val: number[] = [];
      await train(m, input, {
        ...opts,
        ...(validation ? { validation } : {}),
        onEpochEnd: (e) => {
          val.push(e.valAccuracy ?? -1);
        },
      });
      const w = weightsOf(m);
      m.dispose();
      return { w, val };
    };
    const split = { x: data.x, y: data.y as Uint8Array, n: data.n };
    const held = synthetic(50, [3, 16, 16], 7);
    const heldSplit = { x: held.x, y: held.y as Uint8Array, n: held.n };
    const a = await run(split, heldSplit);
    const b = await run({ source: splitSource(split, shape) }, { source: splitSource(heldSplit, shape) });
    assert.deepEqual(b.w, a.w);
    assert.deepEqual(b.val, a.val);
    assert.ok(a.val.every((v) => v >= 0 && v <= 1));
    // a source whose epoch order differs trains to other weights (the order is the source's)
    const reversed = { ...splitSource(split, shape), epochOrder: () => Int32Array.from({ length: split.n }, (_, i) => split.n - 1 - i) };
    assert.notDeepEqual((await run({ source: reversed })).w, a.w);
    const m = buildModel(fresh('mnist-cnn', 1));
    await assert.rejects(
      train(m, { source: splitSource(split, shape) }, { epochs: 1 }),
      /streamed samples are \[3, 16, 16\] \(768 values\), the model's input has 784/,
    );
    m.dispose();
  });

  it('updates batch-norm running statistics from the (pooled) batch statistics, with 1 and 2 workers', async () => {
    const model = fresh('mbnet32?width=0.25', 4);
    const data = synthetic(32, [3, 32, 32], 6);
    // Statistics of the stem conv output over the whole batch, float64 reference.
    const stem = referenceForward({ graph: { ...model.graph, outputs: ['stem'] }, weights: model.weights }, data.x, data.n);
    const c = 8;
    const hw = 16 * 16;
    const mean = new Float64Array(c);
    const vr = new Float64Array(c);
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let i = 0; i < data.n; i++) for (let p = 0; p < hw; p++) s += stem[(i * c + ch) * hw + p] as number;
      const mu = s / (data.n * hw);
      let q = 0;
      for (let i = 0; i < data.n; i++) for (let p = 0; p < hw; p++) q += ((stem[(i * c + ch) * hw + p] as number) - mu) ** 2;
      mean[ch] = mu;
      vr[ch] = q / (data.n * hw - 1);
    }
    for (const workers of [1, 2] as const) {
      const m = buildModel(model);
      await train(m, data, { epochs: 1, batchSize: 32, lr: 1e-3, workers });
      const w = m.getWeights();
      for (let ch = 0; ch < c; ch++) {
        assert.ok(Math.abs((w.get('stem_bn.mean')!.data[ch] as number) - 0.1 * (mean[ch] as number)) < 1e-5, `workers=${workers} mean ${ch}`);
        const want = 0.9 + 0.1 * (vr[ch] as number);
        assert.ok(Math.abs((w.get('stem_bn.var')!.data[ch] as number) - want) < 1e-4 * want, `workers=${workers} var ${ch}`);
      }
      m.dispose();
    }
  });

  it('data-parallel training (2 workers) follows the single-thread loss trajectory', async () => {
    const ds = await loadDataset('mnist', { limit: { train: 512, val: 0, test: 0 } });
    const losses: number[][] = [];
    const finals: Float32Array[][] = [];
    for (const workers of [1, 2] as const) {
      const m = buildModel(fresh('mnist-cnn', 5));
      const l: number[] = [];
      const r = await train(m, ds.train, { epochs: 1, batchSize: 128, lr: 2e-3, optimizer: 'adam', seed: 3, workers, onProgress: (p) => l.push(p.loss) });
      assert.equal(r.workers, workers);
      losses.push(l);
      finals.push(weightsOf(m));
      m.dispose();
    }
    const [one, two] = losses as [number[], number[]];
    assert.equal(one.length, 4);
    one.forEach((v, i) => assert.ok(Math.abs(v - (two[i] as number)) <= 1e-4 * Math.abs(v), `step ${i}: ${v} vs ${two[i]}`));
    assert.ok(Math.abs((one[3] as number) - (one[0] as number)) > 1e-3, 'the loss moved');
    const [w1, w2] = finals as [Float32Array[], Float32Array[]];
    w1.forEach((t, i) => t.forEach((v, j) => assert.ok(Math.abs(v - ((w2[i] as Float32Array)[j] as number)) < 1e-4, `weight ${i}[${j}]`)));
  });

  it("trains the hooks' variables too, also when the worker re-creates the hooks from a module", async () => {
    const data = synthetic(256, [1, 28, 28], 9);
    const cfg = { layers: ['conv1', 'fc'], init: 1 };
    const results: { losses: number[]; scales: number[] }[] = [];
    for (const workers of [1, 2] as const) {
      const m = buildModel(fresh('mnist-cnn', 6), {
        hooks: scaleHooks(cfg),
        hooksModule: { module: new URL('./test-hooks.js', import.meta.url).href, exportName: 'scaleHooks', config: cfg },
      });
      const losses: number[] = [];
      await train(m, data, { epochs: 1, batchSize: 64, lr: 1e-2, seed: 2, workers, onProgress: (p) => losses.push(p.loss) });
      results.push({ losses, scales: (m.hooks.trainable ?? []).map((v) => (v.dataSync() as Float32Array)[0] as number) });
      m.dispose();
    }
    const [one, two] = results as [(typeof results)[0], (typeof results)[0]];
    assert.equal(one.scales.length, 2);
    for (const s of one.scales) assert.ok(Math.abs(s - 1) > 1e-3, `scale moved: ${s}`);
    one.scales.forEach((s, i) => assert.ok(Math.abs(s - (two.scales[i] as number)) < 1e-4, `scale ${i}: ${s} vs ${two.scales[i]}`));
    one.losses.forEach((l, i) => assert.ok(Math.abs(l - (two.losses[i] as number)) <= 1e-4 * l, `step ${i}`));
  });

  it('soft targets: weight 0 is plain training, one-hot soft rows at any weight are plain training, other rows change the result', async () => {
    const data = synthetic(64, [1, 28, 28], 9);
    const oneHot = new Float32Array(64 * 10);
    for (let i = 0; i < 64; i++) oneHot[i * 10 + (data.y[i] as number)] = 1;
    const uniform = new Float32Array(64 * 10).fill(0.1);
    const run = async (d: TrainData, softWeight?: number): Promise<Float32Array[]> => {
      const m = buildModel(fresh('mnist-cnn', 3));
      await train(m, d, { epochs: 1, batchSize: 32, lr: 1e-2, seed: 4, workers: 1, ...(softWeight !== undefined ? { softWeight } : {}) });
      const w = weightsOf(m);
      m.dispose();
      return w;
    };
    const plain = await run(data);
    assert.deepEqual(await run({ ...data, soft: uniform }, 0), plain);
    assert.deepEqual(await run({ ...data, soft: oneHot }, 0.7), plain);
    const soft = await run({ ...data, soft: uniform }, 0.5);
    assert.notDeepEqual(soft, plain);
    const m = buildModel(fresh('mnist-cnn'));
    await assert.rejects(train(m, { ...data, soft: new Float32Array(10) }, { epochs: 1 }), /soft targets have 10 values, expected n x classes = 64 x 10/);
    await assert.rejects(train(m, { ...data, soft: uniform }, { epochs: 1, softWeight: 1.5 }), /softWeight 1.5 must be in \[0, 1\]/);
    m.dispose();
  });

  it('gives the event loop turns between batches (a study heartbeat or Ctrl-C handler runs mid-epoch)', async () => {
    const data = synthetic(64, [1, 28, 28], 2);
    for (const every of [0, 3_600_000]) {
      const m = buildModel(fresh('mnist-cnn', 2));
      const events: string[] = [];
      setImmediate(() => events.push('turn'));
      await train(m, data, { epochs: 1, batchSize: 16, seed: 1, workers: 1, yieldEveryMs: every, onProgress: (p) => events.push(`batch ${p.batch}`) });
      m.dispose();
      // with turns after every batch the callback runs right after batch 0; with a 1-hour interval only at the epoch's end
      assert.deepEqual(events.indexOf('turn'), every === 0 ? 1 : 4, `yieldEveryMs ${every}: ${events.join(', ')}`);
    }
  });

  it('onEpochEnd returning true (or a promise of true) stops the training after that epoch', async () => {
    const data = synthetic(64, [1, 28, 28], 3);
    const held = synthetic(32, [1, 28, 28], 4);
    const run = async (stopAfter: number | undefined, asPromise: boolean) => {
      const m = buildModel(fresh('mnist-cnn', 2));
      const seen: number[] = [];
      const steps: number[] = [];
      const r = await train(m, data, {
        epochs: 4,
        batchSize: 16,
        seed: 1,
        workers: 1,
        validation: held,
        onProgress: (p) => steps.push(p.step),
        onEpochEnd: (e) => {
          seen.push(e.epoch);
          const stop = stopAfter !== undefined && e.epoch >= stopAfter;
          return asPromise ? new Promise((res) => setTimeout(() => res(stop), 5)) : stop;
        },
      });
      const w = weightsOf(m);
      m.dispose();
      return { r, seen, steps, w };
    };
    const full = await run(undefined, false);
    assert.deepEqual(full.seen, [0, 1, 2, 3]);
    assert.equal(full.r.stoppedEarly, false);
    for (const asPromise of [false, true]) {
      const s = await run(1, asPromise);
      assert.deepEqual(s.seen, [0, 1], `promise ${asPromise}: no epoch after the one that said stop`);
      assert.equal(s.r.stoppedEarly, true);
      assert.equal(s.r.epochs.length, 2);
      assert.equal(s.r.steps, 8, 'two epochs of 4 batches');
      assert.equal(Math.max(...s.steps), 7);
      assert.ok(typeof s.r.epochs[1]?.valAccuracy === 'number');
      assert.notDeepEqual(s.w, full.w, 'the stopped net is not the fully trained one');
    }
    // a stop at the last epoch is no early stop
    assert.equal((await run(3, false)).r.stoppedEarly, false);
  });

  it('rejects bad options and labels with clear errors', async () => {
    const m = buildModel(fresh('mnist-cnn'));
    const data = synthetic(4, [1, 28, 28], 1);
    await assert.rejects(train(m, data, { epochs: 1, workers: 3 as 1 }), /workers 3 is invalid/);
    await assert.rejects(train(m, data, { epochs: 1, labelSmoothing: 1 }), /labelSmoothing 1 must be in \[0, 1\)/);
    await assert.rejects(train(m, { ...data, y: new Uint8Array([0, 1, 2, 10]) }, { epochs: 1 }), /label 10 at index 3 is out of range/);
    m.hooks = { weightTransform: (w) => w };
    await assert.rejects(train(m, data, { epochs: 1, workers: 2 }), /hooksModule/);
    m.dispose();
  });
});
