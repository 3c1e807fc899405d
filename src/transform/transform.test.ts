import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { distill, featureMse } from '../engine/distill.js';
import { buildModel } from '../engine/model.js';
import { ConfigError, DatasetError, InfeasibleError } from '../errors.js';
import { getTarget } from '../hardware/registry.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { inferShapes, inputNode } from '../ir/shapes.js';
import type { Model } from '../ir/types.js';
import { mbnet32 } from '../ir/zoo/small.js';
import { exportOnnx } from '../onnx/export.js';
import { createSession } from '../onnx/ort.js';
import { exhaustiveAllocation } from '../quant/ilp.js';
import { MemoryStore } from '../store/memory-store.js';
import { Rng } from '../util/rng.js';
import { generateAlternatives } from './alternatives.js';
import {
  HantInfeasibleError,
  hant,
  paretoIndices,
  recoverStudent,
  refineAlternatives,
  scoreAlternatives,
  screenHant,
  selectAlternatives,
  softmaxRows,
  type UnitScores,
} from './hant.js';
import { replaceUnits } from './rewrite.js';
import { choiceOf, HANT_OBJECTIVES, loadScreening, saveScreening } from './screening.js';
import { assembleChoice, evaluateSelection } from './selection.js';
import { findUnits } from './units.js';

before(async () => {
  await initEngine();
});

function convModel(c: number, hw: number, seed = 1): Model {
  const b = new GraphBuilder('one-conv', [c, hw, hw]);
  b.output(b.relu(b.bn(b.conv(b.input, { out: c, kernel: 3, bias: false, name: 'c' }), { name: 'c_bn' }), 'c_relu'));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}

function randn(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

test('a 3x3 conv with 64 channels gets >= 30 valid alternatives of the same output shape', () => {
  const m = convModel(64, 16);
  const [unit] = findUnits(m.graph);
  assert.ok(unit);
  assert.deepEqual(unit.nodes, ['c', 'c_bn', 'c_relu']);
  const alts = generateAlternatives(m, unit);
  assert.ok(alts.length >= 30, `only ${alts.length} alternatives`);
  assert.equal(new Set(alts.map((a) => a.name)).size, alts.length);
  for (const f of ['teacher', 'conv', 'dwsep', 'grouped', 'bottleneck', 'factorised', 'skip'] as const)
    assert.ok(
      alts.some((a) => a.family === f),
      `no ${f}`,
    );
  for (const a of alts) {
    const s = inferShapes(a.graph).get(a.graph.outputs[0] as string);
    assert.deepEqual(s, [64, 16, 16], a.name);
  }
  // every alternative builds and runs
  const x = randn(2 * 64 * 16 * 16, 3);
  for (const a of alts.slice(0, 12)) {
    const em = buildModel({ graph: a.graph, weights: a.weights ?? initWeights(a.graph, new Rng(2)) });
    assert.equal(em.predict(x, 2).length, 2 * 64 * 16 * 16);
    em.dispose();
  }
});

test('rewrite keeps shapes valid, the assembled network runs, and the teacher alternative is exact', () => {
  const graph = mbnet32({ width: 0.25 });
  const teacher: Model = { graph, weights: initWeights(graph, new Rng(4)) };
  const units = findUnits(graph);
  assert.deepEqual(
    units.map((u) => u.kind),
    ['conv', 'dw-separable', 'dw-separable', 'dw-separable', 'dw-separable', 'dense'],
  );
  const x = randn(3 * 3 * 32 * 32, 5);
  const tm = buildModel(teacher);
  const ref = tm.predict(x, 3);
  tm.dispose();
  // teacher alternatives everywhere: identical outputs
  const same = replaceUnits(
    teacher,
    units.map((u) => {
      const a = generateAlternatives(teacher, u, { families: ['teacher'] })[0];
      assert.ok(a?.weights);
      return { unit: u, sub: { graph: a.graph, weights: a.weights } };
    }),
  );
  const sm = buildModel(same);
  const out = sm.predict(x, 3);
  sm.dispose();
  out.forEach((v, i) => assert.ok(Math.abs(v - (ref[i] as number)) < 1e-4, `output ${i}: ${v} vs ${ref[i]}`));
  // different alternatives in every conv unit: still valid
  const reps = units
    .filter((u) => u.kind !== 'dense')
    .map((u, i) => {
      const alts = generateAlternatives(teacher, u).filter((a) => a.family !== 'teacher');
      const a = alts[(i * 7) % alts.length];
      assert.ok(a);
      return { unit: u, sub: { graph: a.graph, weights: initWeights(a.graph, new Rng(i)) } };
    });
  const student = replaceUnits(teacher, reps);
  assert.deepEqual(inferShapes(student.graph).get(student.graph.outputs[0] as string), [10]);
  const em = buildModel(student);
  const y = em.predict(x, 3);
  em.dispose();
  assert.equal(y.length, 30);
  assert.ok(y.every(Number.isFinite));
});

test("replaceUnits keeps an imported model's output names, also when the output layer is replaced: the exported ONNX has the user's input and output names", async () => {
  const graph = mbnet32({ width: 0.25 });
  const out = graph.outputs[0] as string;
  const named: Model = { graph: { ...graph, outputNames: { [out]: 'logits' } }, weights: initWeights(graph, new Rng(4)) };
  const units = findUnits(named.graph);
  const dense = units.find((u) => u.kind === 'dense');
  assert.ok(dense && dense.output === out, 'the last unit ends in the output node');
  const alt = generateAlternatives(named, dense).find((a) => a.family !== 'teacher');
  assert.ok(alt, 'the output layer has a non-teacher alternative');
  const student = replaceUnits(named, [{ unit: dense, sub: { graph: alt.graph, weights: initWeights(alt.graph, new Rng(1)) } }]);
  assert.deepEqual(student.graph.outputNames, { [out]: 'logits' });
  const s = await createSession(exportOnnx(student), { optimization: 'disabled' });
  assert.equal(s.outputName, 'logits');
  assert.equal(s.inputName, inputNode(named.graph).name);
});

function randomScores(units: number, options: number, seed: number): UnitScores[] {
  const r = new Rng(seed);
  return Array.from({ length: units }, (_, u) => ({
    unit: { name: `u${u}`, input: 'x', nodes: [`u${u}`], output: `u${u}`, inShape: [1], outShape: [1], finalAct: null, kind: 'conv' as const },
    teacherLatencyMs: 1,
    alternatives: Array.from({ length: options }, (_, j) => ({
      alt: { name: `a${j}`, family: 'conv' as const, graph: { name: 'g', nodes: [], outputs: [] } },
      weights: new Map(),
      latencyMs: j === 0 ? 1 : r.uniform(0.05, 1.5),
      loss: j === 0 ? 0 : r.uniform(0, 1),
      mse: 0,
      macs: 0,
      params: 0,
      firstLoss: 0,
      lastLoss: 0,
      seconds: 0,
    })),
  }));
}

test('the ILP choice equals exhaustive search on small cases', async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const scores = randomScores(3, 6, seed);
    const cheapest = 0.1 + scores.reduce((s, u) => s + Math.min(...u.alternatives.map((a) => a.latencyMs)), 0);
    for (const budget of [cheapest * 0.95, cheapest * 1.05, cheapest * 1.3, cheapest * 1.7, 3.2]) {
      const problem = {
        layers: scores.map((u) => ({
          name: u.unit.name,
          options: u.alternatives.map((a) => ({ value: a.alt.name, score: a.loss, cost: { latency: a.latencyMs } })),
        })),
        budget: { latency: budget },
        fixedCost: { latency: 0.1 },
      };
      if (budget < cheapest) {
        assert.throws(() => exhaustiveAllocation(problem), InfeasibleError);
        await assert.rejects(selectAlternatives(scores, budget, 0.1), HantInfeasibleError);
        continue;
      }
      const sel = await selectAlternatives(scores, budget, 0.1);
      const ex = exhaustiveAllocation(problem);
      assert.ok(Math.abs(sel.objective - ex.objective) < 1e-9, `seed ${seed} budget ${budget}: ILP ${sel.objective} vs exhaustive ${ex.objective}`);
      assert.ok(sel.latencyMs <= budget + 1e-9);
    }
  }
});

test('the ILP handles 8 units x 40 alternatives and an infeasible budget names the cheapest latency', async () => {
  const scores = randomScores(8, 40, 9);
  const sel = await selectAlternatives(scores, 4, 0.5);
  assert.equal(sel.variables, 320);
  assert.ok(sel.latencyMs <= 4 + 1e-9);
  const cheapest = 0.5 + scores.reduce((s, u) => s + Math.min(...u.alternatives.map((a) => a.latencyMs)), 0);
  await assert.rejects(selectAlternatives(scores, cheapest * 0.9, 0.5), (e: unknown) => {
    assert.ok(e instanceof HantInfeasibleError && e instanceof InfeasibleError);
    assert.ok(Math.abs(e.cheapestMs - cheapest) < 1e-9);
    assert.match(e.message, /cheapest achievable latency/);
    return true;
  });
});

test('a short distillation run reduces the feature-map MSE (seeded, reproducible)', () => {
  const teacher = convModel(8, 8, 11);
  const [unit] = findUnits(teacher.graph);
  assert.ok(unit);
  const n = 64;
  const x = randn(n * 8 * 8 * 8, 12);
  const tm = buildModel(teacher);
  const target = tm.predict(x, n);
  tm.dispose();
  const alt = generateAlternatives(teacher, unit).find((a) => a.name === 'dwsep_k3');
  assert.ok(alt);
  const run = (): { before: number; after: number; w: Float32Array } => {
    const em = buildModel({ graph: alt.graph, weights: initWeights(alt.graph, new Rng(3)) });
    const before = featureMse(em, { x, target, n }).mse;
    distill(em, { x, target, n }, { steps: 40, batchSize: 16, lr: 1e-2, seed: 5 });
    const after = featureMse(em, { x, target, n }).mse;
    const w = em.getEngineWeight(em.trainableKeys[0] as string);
    em.dispose();
    return { before, after, w };
  };
  const a = run();
  assert.ok(a.after < 0.7 * a.before, `MSE ${a.before} -> ${a.after}`);
  const b = run();
  assert.deepEqual(b.w, a.w);
});

/** A two-conv + dense net on 3x8x8 inputs with random weights (`seed`). */
function tinyNet(name: string, seed: number): Model {
  const b = new GraphBuilder(name, [3, 8, 8]);
  let h = b.relu(b.bn(b.conv(b.input, { out: 16, kernel: 3, bias: false, name: 'c1' }), { name: 'c1_bn' }), 'c1_relu');
  h = b.relu(b.bn(b.conv(h, { out: 16, kernel: 3, bias: false, name: 'c2' }), { name: 'c2_bn' }), 'c2_relu');
  b.output(b.dense(b.flatten(b.globalAvgPool(h)), 10, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}

test('hant end to end on a tiny net: meets the budget, the student runs; an impossible budget is InfeasibleError', async () => {
  const teacher = tinyNet('tiny', 2);
  const n = 48;
  const split = { x: randn(n * 3 * 64, 7), y: Uint8Array.from({ length: n }, (_, i) => i % 10), n };
  const target = getTarget('cortex-a76');
  const opts = {
    target,
    families: ['teacher', 'conv', 'dwsep', 'skip'] as const,
    steps: 4,
    batchSize: 16,
    distillSamples: 32,
    heldOutSamples: 16,
    finetune: false as const,
    seed: 1,
  };
  let assembled: Model | undefined;
  const r = await hant(
    teacher,
    { train: split, val: split, test: split },
    {
      ...opts,
      budget: { ratio: 0.8 },
      onAssembled: (m) => {
        assembled = m;
      },
    },
  );
  assert.equal(r.layers.length, 3);
  // the assembled student has the final graph (fine-tuning changes weights only)
  assert.deepEqual(assembled?.graph, r.model.graph);
  assert.ok(r.student.predictedLatencyMs <= r.budgetMs + 1e-9);
  assert.ok(r.student.latencyMs < r.teacher.latencyMs);
  assert.ok(r.layers.some((l) => l.family !== 'teacher'));
  const em = buildModel(r.model);
  assert.equal(em.predict(split.x, 2).length, 20);
  em.dispose();
  await assert.rejects(hant(teacher, { train: split, val: split, test: split }, { ...opts, budget: { ratio: 0.01 } }), HantInfeasibleError);
  // Pareto refinement re-solves the ILP on refined losses and still meets the budget
  const p = await hant(teacher, { train: split, val: split, test: split }, { ...opts, budget: { ratio: 0.8 }, refine: 'pareto', refineSteps: 3 });
  assert.ok(p.student.predictedLatencyMs <= p.budgetMs + 1e-9);
  assert.ok(p.layers.every((l) => Number.isFinite(l.loss) && Number.isFinite(l.screenLoss)));
  await assert.rejects(
    hant(teacher, { train: split, val: split, test: split }, { ...opts, budget: { ratio: 0.8 }, refine: 'bogus' as 'pareto', refineSteps: 3 }),
    ConfigError,
  );
});

test('hant as a study: trial 0 is the ILP on the refined table, later trials its runners-up, the most accurate feasible one is kept; the saved screening evaluates alike', async () => {
  const teacher = tinyNet('tiny2', 3);
  const n = 48;
  const split = { x: randn(n * 3 * 64, 8), y: Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10), n };
  const data = { train: split, val: split, test: split };
  const opts = {
    target: getTarget('cortex-a76'),
    families: ['teacher', 'conv', 'dwsep', 'skip'] as const,
    steps: 4,
    batchSize: 16,
    distillSamples: 32,
    heldOutSamples: 16,
    finetune: false as const,
    seed: 1,
    budget: { ratio: 0.8 },
    refine: 'pareto' as const,
    refineSteps: 3,
  };
  const store = new MemoryStore();
  const r = await hant(teacher, data, { ...opts, trials: 5, store, studyName: 'sel' });
  const trials = store.getTrials('sel');
  assert.equal(trials.length, 5);
  const s = await screenHant(teacher, data, opts);
  // the study's first trial is what the ILP chooses on the refined losses (today's choice)
  const sel = await selectAlternatives(s.scores, s.manifest.budgetMs, s.manifest.fixedMs);
  assert.deepEqual(choiceOf(s.manifest, trials[0]?.params ?? {}), [...sel.choice]);
  const loss = (t: (typeof trials)[number]): number =>
    choiceOf(s.manifest, t.params).reduce((a, j, i) => a + (s.manifest.units[i]?.alternatives[j]?.loss ?? NaN), 0);
  for (let k = 1; k < trials.length; k++)
    assert.ok(
      loss(trials[k - 1] as (typeof trials)[number]) <= loss(trials[k] as (typeof trials)[number]) + 1e-12,
      `trial ${k}: summed loss does not decrease`,
    );
  assert.equal(new Set(trials.map((t) => JSON.stringify(t.params))).size, 5, 'five different choices');
  // the kept choice is the most accurate feasible trial
  const feasible = trials.filter((t) => (t.constraints?.[0] ?? 1) <= 0);
  const top = Math.max(...feasible.map((t) => t.values?.[0] ?? -1));
  const kept = Object.fromEntries(r.layers.map((l) => [l.unit, l.chosen]));
  assert.equal(trials.find((t) => JSON.stringify(t.params) === JSON.stringify(kept))?.values?.[0], top);
  // a trial's values: validation accuracy of the assembled student after recalibration, its network latency
  const target = getTarget('cortex-a76');
  const e0 = await evaluateSelection(s, target, trials[0]?.params ?? {});
  assert.deepEqual(e0.values, trials[0]?.values);
  const student = buildModel(assembleChoice(s, choiceOf(s.manifest, trials[0]?.params ?? {})));
  assert.equal(e0.values[1], target.networkCost(student.graph, s.manifest.policy).latencyMs);
  student.dispose();
  assert.equal(HANT_OBJECTIVES.length, e0.values.length);
  // saved and loaded (what a worker thread or a Redis worker reads), every trial evaluates to the same values
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-screening-'));
  try {
    saveScreening(dir, s);
    const loaded = loadScreening(dir);
    assert.deepEqual(loaded.manifest, JSON.parse(JSON.stringify(s.manifest)));
    for (const t of trials) assert.deepEqual((await evaluateSelection(loaded, target, t.params)).values, t.values, `trial ${t.number}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(evaluateSelection(s, target, { ...trials[0]?.params, c1: 'nope' }), /parameter 'c1' = "nope": expected one of the unit's alternatives/);
});

test('paretoIndices keeps exactly the alternatives no other beats in both loss and latency', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const [u] = randomScores(1, 25, seed);
    assert.ok(u);
    const front = new Set(paretoIndices(u));
    u.alternatives.forEach((a, i) => {
      const dominated = u.alternatives.some((b) => b.loss <= a.loss && b.latencyMs <= a.latencyMs && (b.loss < a.loss || b.latencyMs < a.latencyMs));
      assert.equal(front.has(i), !dominated, `seed ${seed} alternative ${i}`);
    });
    assert.ok(front.has(0)); // the teacher (loss 0) is never dominated here
  }
});

test('every conv unit of mbnet32, the stride-2 stem with 3 input channels included, gets >= 30 alternatives of the right shape', () => {
  const graph = mbnet32();
  const teacher: Model = { graph, weights: initWeights(graph, new Rng(4)) };
  const units = findUnits(graph).filter((u) => u.kind !== 'dense');
  assert.equal(units.length, 5);
  for (const u of units) {
    const alts = generateAlternatives(teacher, u);
    assert.ok(alts.length >= 30, `${u.name}: only ${alts.length} alternatives`);
    assert.equal(new Set(alts.map((a) => a.name)).size, alts.length, u.name);
    for (const a of alts) assert.deepEqual(inferShapes(a.graph).get(a.graph.outputs[0] as string), [...u.outShape], `${u.name}:${a.name}`);
  }
  const stem = generateAlternatives(teacher, units[0] as (typeof units)[number]).map((a) => a.name);
  for (const n of ['conv_k2', 'conv_k7', 'narrow_r2_k3', 'narrow_r4_k5']) assert.ok(stem.includes(n), `stem lacks ${n}`);
});

test('refineAlternatives lowers the held-out loss of the chosen alternatives only, reproducibly', async () => {
  const teacher = convModel(8, 8, 21);
  const units = findUnits(teacher.graph);
  const n = 64;
  const x = randn(n * 8 * 8 * 8, 22);
  const images = { train: { x, n }, heldOut: { x: randn(32 * 8 * 8 * 8, 23), n: 32 } };
  const scores = scoreAlternatives(teacher, units, images, {
    target: getTarget('cortex-a76'),
    families: ['teacher', 'dwsep', 'conv'],
    steps: 5,
    batchSize: 16,
    seed: 3,
  });
  const alts = scores[0]?.alternatives ?? [];
  const k = alts.findIndex((a) => a.alt.name === 'dwsep_k3');
  assert.ok(k > 0);
  const run = (): Promise<UnitScores[]> => refineAlternatives(teacher, scores, [k], images, { steps: 60, batchSize: 16, lr: 5e-3, seed: 4 });
  const a = await run();
  const before = alts[k]?.loss as number;
  const after = a[0]?.alternatives[k]?.loss as number;
  assert.ok(after < 0.9 * before, `loss ${before} -> ${after}`);
  a[0]?.alternatives.forEach((x, j) => {
    if (j !== k) assert.equal(x, alts[j]);
  });
  const b = await run();
  assert.equal(b[0]?.alternatives[k]?.loss, after);
  // the teacher alternative is left alone
  assert.equal((await refineAlternatives(teacher, scores, [0], images, { steps: 10 }))[0], scores[0]);
});

/** A tiny conv net as teacher and student (different random weights) and 64 random labelled 3x8x8 images. */
function fineTuneCase(seed: number): { teacher: Model; student: Model; split: { x: Float32Array; y: Uint8Array; n: number }; n: number } {
  const b = new GraphBuilder('tiny', [3, 8, 8]);
  const h = b.relu(b.bn(b.conv(b.input, { out: 8, kernel: 3, bias: false, name: 'c1' }), { name: 'c1_bn' }), 'c1_relu');
  b.output(b.dense(b.flatten(b.globalAvgPool(h)), 10, { name: 'fc' }));
  const graph = b.build();
  const n = 64;
  return {
    teacher: { graph, weights: initWeights(graph, new Rng(seed)) },
    student: { graph, weights: initWeights(graph, new Rng(seed + 1)) },
    split: { x: randn(n * 3 * 64, seed + 2), y: Uint8Array.from({ length: n }, (_, i) => i % 10), n },
    n,
  };
}

test('recoverStudent with loss logits pulls the student towards the teacher; without the teacher it is a ConfigError', async () => {
  const { teacher, student, split, n } = fineTuneCase(31);
  const logitsOf = (m: Model): Float32Array => {
    const em = buildModel(m);
    const y = em.predict(split.x, n);
    em.dispose();
    return y;
  };
  const mse = (a: Float32Array, c: Float32Array): number => a.reduce((s, v, i) => s + (v - (c[i] as number)) ** 2, 0) / a.length;
  const t = logitsOf(teacher);
  const before = mse(logitsOf(student), t);
  const r = await recoverStudent(student, { train: split, test: split }, split, { epochs: 15, lr: 1e-2, batchSize: 16, loss: 'logits' }, 1, teacher);
  assert.ok(r.finetuned);
  const after = mse(logitsOf(r.model), t);
  assert.ok(after < 0.5 * before, `logit MSE ${before} -> ${after}`);
  await assert.rejects(recoverStudent(student, { train: split, test: split }, split, { epochs: 1, loss: 'logits' }, 1), ConfigError);
});

test('softmaxRows: rows sum to 1, keep the order of the logits, and flatten with the temperature', () => {
  const p1 = softmaxRows(new Float32Array([1, 2, 3, 1000, 0, -1000]), 2);
  const p2 = softmaxRows(new Float32Array([1, 2, 3]), 1, 4);
  assert.ok(Math.abs((p1[0] as number) + (p1[1] as number) + (p1[2] as number) - 1) < 1e-6);
  assert.ok((p1[0] as number) < (p1[1] as number) && (p1[1] as number) < (p1[2] as number));
  assert.equal(p1[3], 1);
  assert.equal(p1[5], 0);
  assert.ok((p2[2] as number) < (p1[2] as number) && (p2[0] as number) > (p1[0] as number));
  assert.ok(Math.abs((p1[2] as number) / (p1[1] as number) - Math.E) < 1e-4);
});

test('recoverStudent with loss kd moves the student towards the teacher distribution; without the teacher it is a ConfigError', async () => {
  const { teacher, student, split, n } = fineTuneCase(41);
  const probs = (m: Model): Float32Array => {
    const em = buildModel(m);
    const y = softmaxRows(em.predict(split.x, n), n);
    em.dispose();
    return y;
  };
  const kl = (p: Float32Array, q: Float32Array): number => p.reduce((s, v, i) => s + (v > 0 ? v * Math.log(v / (q[i] as number)) : 0), 0) / n;
  const t = probs(teacher);
  const before = kl(t, probs(student));
  const r = await recoverStudent(
    student,
    { train: split, test: split },
    split,
    { epochs: 15, lr: 1e-2, batchSize: 16, loss: 'kd', kdWeight: 1, workers: 1 },
    1,
    teacher,
  );
  const after = kl(t, probs(r.model));
  assert.ok(after < 0.5 * before, `KL(teacher || student) ${before} -> ${after}`);
  await assert.rejects(recoverStudent(student, { train: split, test: split }, split, { epochs: 1, loss: 'kd' }, 1), /needs the teacher model/);
});

test('HANT network-level scoring: each alternative scored by the teacher loss change when swapped in alone; the ILP then minimises those', async () => {
  const teacher = tinyNet('tiny3', 4);
  const n = 48;
  const split = { x: randn(n * 3 * 64, 9), y: Uint8Array.from({ length: n }, (_, i) => (i * 3) % 10), n };
  const val = { x: randn(n * 3 * 64, 10), y: Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10), n };
  const data = { train: split, val, test: split };
  const opts = {
    target: getTarget('cortex-a76'),
    families: ['teacher', 'conv', 'skip'] as const,
    steps: 4,
    batchSize: 16,
    distillSamples: 32,
    heldOutSamples: 16,
    seed: 1,
    budget: { ratio: 0.9 },
    scoring: 'network' as const,
  };
  const s = await screenHant(teacher, data, opts);
  const held = { x: val.x.subarray(0, 16 * 3 * 64), y: val.y.subarray(0, 16), n: 16 }; // the held-out images: the first of val
  const lossOf = (m: Model): number => {
    const em = buildModel(m);
    try {
      return em.evaluate(held.x, held.y, held.n).loss;
    } finally {
      em.dispose();
    }
  };
  const base = lossOf(teacher);
  let checked = 0;
  s.scores.forEach((u, i) => {
    u.alternatives.forEach((a, j) => {
      if (a.alt.family === 'teacher') {
        assert.equal(a.loss, 0);
        return;
      }
      // reference: the teacher with this one unit replaced, built directly
      const ref = lossOf(replaceUnits(teacher, [{ unit: u.unit, sub: { graph: a.alt.graph, weights: a.weights } }])) - base;
      assert.ok(Math.abs(a.loss - ref) < 1e-6, `unit ${u.unit.name} alt ${a.alt.name}: ${a.loss} vs ${ref}`);
      assert.notEqual(a.loss, s.screened[i]?.alternatives[j]?.loss, 'not the local distillation loss');
      checked++;
    });
  });
  assert.ok(checked >= 2);
  assert.equal(s.manifest.units[0]?.alternatives[1]?.loss, s.scores[0]?.alternatives[1]?.loss, 'the selection study sees the network scores');
  await assert.rejects(screenHant(teacher, data, { ...opts, scoring: 'global' as 'network' }), /scoring 'global'/);
  // no validation images: refused (it used to score on the end of the training split, images the teacher was trained on)
  const none = { x: new Float32Array(0), y: new Uint8Array(0), n: 0 };
  await assert.rejects(
    screenHant(teacher, { ...data, val: none }, opts),
    (e: unknown) => e instanceof DatasetError && /HANT's data has no validation images; expected at least 1 to measure accuracy/.test(e.message),
  );
});
