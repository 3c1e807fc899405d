/**
 * Mixed-precision quantization figures (issue 4): mbnet32 (1x28x28) trained on Fashion-MNIST, then on the
 * `bitfusion-edge` target (and `bismo-cloud` for the per-hardware comparison):
 * - baselines: float, uniform W8A8 / W6A6 / W4A4 (post-training), random policies under the budget;
 * - HAWQ-style ILP (Hessian traces + empirical activation sensitivity), HAQ (DDPG, PTQ accuracy reward),
 *   CW-HAWQ (channel-wise 2/4/8 ratios, activation bits of the ILP policy) against layer-wise HAQ on the
 *   same bits, under `latency=0.6x` and `energy=0.6x` of W8A8;
 * - a short QAT fine-tune of the searched policies; latency/energy ratios vs W8A8; packed sizes;
 * - the QDQ ONNX export of the ILP policy run by onnxruntime-node vs the engine's fake-quant accuracy;
 * - wall time of each search.
 * HAQ, random and CW-HAWQ run as study strategies through the study loop (in memory).
 * Run: `npx tsc -p tsconfig.json && node dist/bench/quant.js [--quick] [--episodes N] [--seed S] [--train-only] [--ptq clip,bias,adaround] [--no-energy] [--only ilp] [--targets edge,cloud,energy]`; `--ilp-only [--seeds N]`
 * times the ILP solver alone on random 100-layer x 7-option problems, and mbnet32's real tables directly
 * and as the `ilp` strategy of a study.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { Split } from '../src/data/types.js';
import { initEngine } from '../src/engine/backend.js';
import { disposeLsqHooks, type LsqHooks } from '../src/engine/fake-quant.js';
import { buildModel, type EngineModel } from '../src/engine/model.js';
import { train } from '../src/engine/train.js';
import { bismoCloud } from '../src/hardware/bismo.js';
import { bitFusionEdge } from '../src/hardware/bitfusion.js';
import { type Precision, type PrecisionPolicy, policyFromVectors, uniformPolicy } from '../src/hardware/precision.js';
import type { HardwareTarget } from '../src/hardware/types.js';
import { initWeights } from '../src/ir/init.js';
import { loadModel, saveModel } from '../src/ir/serialize.js';
import type { Model } from '../src/ir/types.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { createSession, runOnnx } from '../src/onnx/ort.js';
import { activationSensitivity, calibrateActivations, evaluatePolicy, qatFinetune } from '../src/quant/apply.js';
import { type CostVector, PolicyCoster, parseBudget, type ResourceBudget } from '../src/quant/cost.js';
import { cwHawqSearch } from '../src/quant/cw-hawq.js';
import { haqSearch, randomSearch } from '../src/quant/haq.js';
import { ilpSearch, precisionGrid } from '../src/quant/hawq-ilp.js';
import { hawqScores, type LayerSensitivity } from '../src/quant/hawq-scores.js';
import { loadHighs, solveAllocation } from '../src/quant/ilp.js';
import { QUANT_OBJECTIVES } from '../src/quant/pipeline.js';
import { hasPolicySteps, parsePtq, preparePolicy } from '../src/quant/ptq.js';
import { exportQdqOnnx } from '../src/quant/qdq-export.js';
import { type Calibration, type ChannelBits, quantConfig } from '../src/quant/quant-config.js';
import { layerSensitivities } from '../src/quant/sensitivity.js';
import { randomAllocationProblem } from '../src/quant/testing/problems.js';
import '../src/quant/strategies/index.js';
import { quantProblem, quantSpace } from '../src/quant/strategies/problem.js';
import { createStrategy } from '../src/search/registry.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { runStudy } from '../src/study/run-study.js';
import { Rng } from '../src/util/rng.js';

/** Options of {@link benchQuant}. */
export interface QuantBenchOptions {
  /** Training images (default 30000) and epochs (default 4) of the float model. */
  readonly trainImages?: number;
  readonly epochs?: number;
  /** Validation images used for search rewards (default 1000). */
  readonly searchImages?: number;
  /** DDPG episodes for HAQ and CW-HAWQ (default 60). */
  readonly episodes?: number;
  /** QAT fine-tune epochs (default 1) on `qatImages` (default 10000) for each searched policy. */
  readonly qatEpochs?: number;
  readonly qatImages?: number;
  readonly seed?: number;
  /** Use this QAT recipe (by name) instead of choosing one on validation images. */
  readonly recipe?: string;
  /** Written (JSON) after every target, so an interrupted run keeps its finished rows. */
  readonly partialFile?: string;
  /** Train (or load) the float model, report its float accuracy and stop. */
  readonly trainOnly?: boolean;
  /**
   * Post-training steps of src/quant/ptq.ts (e.g. 'clip,bias,adaround'): each searched policy is also
   * evaluated with them (`ptqStepsAccuracy`), and the ILP policies are also fine-tuned from the prepared
   * weights (`qatFromStepsAccuracy`); the ILP policy of the first target also with each step alone.
   */
  readonly ptqSteps?: string;
  /** Skip the bitfusion-edge energy <= 0.6x searches (the headline is the latency budgets). */
  readonly noEnergy?: boolean;
  /** Run only the HAWQ-style ILP per target (skip HAQ, random, CW-HAWQ and layer-wise HAQ): re-costing a model. */
  readonly ilpOnly?: boolean;
  /** Only these budgets: 'edge' (bitfusion-edge latency), 'cloud' (bismo-cloud latency), 'energy' (default all). */
  readonly targets?: readonly string[];
}

/** A QAT recipe: straight-through (fixed grids) or LSQ (learned step sizes), with its peak lr. */
interface QatRecipe {
  readonly name: string;
  readonly lsq: boolean;
  readonly lr: number;
}

/** Recipes compared on validation images (not the test set) before the figures; all cost one epoch. */
const RECIPES: readonly QatRecipe[] = [
  { name: 'ste lr 2e-4', lsq: false, lr: 2e-4 },
  { name: 'lsq lr 2e-4', lsq: true, lr: 2e-4 },
  { name: 'lsq lr 5e-4', lsq: true, lr: 5e-4 },
];

const BITS = [2, 3, 4, 5, 6, 7, 8];
const log = (s: string): void => {
  process.stderr.write(`[quant] ${s}\n`);
};
const pp = (x: number): number => Math.round(x * 10000) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const sub = (s: Split, n: number): Split => ({ x: s.x.subarray(0, n * (s.x.length / s.n)), y: s.y.subarray(0, n), n: Math.min(n, s.n) });

interface PolicyReport {
  readonly name: string;
  readonly weightBits: readonly (number | string)[];
  readonly actBits: readonly number[];
  readonly ptqAccuracy: number;
  readonly qatAccuracy?: number;
  readonly ptqStepsAccuracy?: number;
  readonly qatFromStepsAccuracy?: number;
  readonly latencyMs: number;
  readonly energyMj: number;
  readonly sizeBytes: number;
  readonly latencyX: number;
  readonly energyX: number;
  readonly searchSeconds?: number;
}

/** Runs the quantization benchmark; returns a JSON-able summary. */
export async function benchQuant(opts: QuantBenchOptions = {}): Promise<object> {
  const seed = opts.seed ?? 1;
  await initEngine({ backend: 'wasm' });
  const ds = await loadDataset('fashion-mnist', { limit: { train: opts.trainImages ?? 30000, val: 5000, test: 10000 } });
  const graph = zooGraph('mbnet32?channels=1&size=28');
  const t0 = performance.now();
  // the trained float model is cached per configuration (HWNAS_BENCH_CACHE=0 disables)
  const cacheFile = join(tmpdir(), `hwnas-bench-quant-mbnet32-${ds.train.n}-${opts.epochs ?? 4}-${seed}.json`);
  const cached = process.env.HWNAS_BENCH_CACHE !== '0' && existsSync(cacheFile);
  const fm = buildModel(cached ? loadModel(cacheFile) : { graph, weights: initWeights(graph, new Rng(seed)) });
  if (!cached) {
    await train(fm, ds.train, {
      epochs: opts.epochs ?? 4,
      batchSize: 128,
      lr: 3e-3,
      seed,
      onEpochEnd: (e) => log(`float epoch ${e.epoch}: loss ${e.loss.toFixed(4)} ${e.imagesPerSec.toFixed(0)} img/s`),
    });
    saveModel(fm.toModel(), cacheFile);
  }
  const floatModel: Model = fm.toModel();
  const trainSeconds = (performance.now() - t0) / 1000;
  const test = ds.test;
  const searchSet = sub(ds.val, opts.searchImages ?? 1000);
  const floatAcc = fm.evaluate(test.x, test.y, test.n).accuracy;
  log(`float test accuracy ${pp(floatAcc)}% (${trainSeconds.toFixed(0)} s)`);
  if (opts.trainOnly === true) {
    fm.dispose();
    return { seed, cacheFile, floatModelCached: cached, floatAccuracy: pp(floatAcc), trainSeconds: r3(trainSeconds) };
  }
  const cal = calibrateActivations(fm, ds.train.x, 512, 'mse');

  const ptq = (p: PrecisionPolicy, set: Split = test, cb: ChannelBits = {}): number => evaluatePolicy(fm, p, set, cal, cb).accuracy;
  const steps = opts.ptqSteps !== undefined ? parsePtq(opts.ptqSteps) : undefined;
  if (steps && (steps.fold || steps.equalize)) throw new Error('--ptq: fold and cle change the float model the searches use; give policy steps only');
  const prepared = (p: PrecisionPolicy, cb: ChannelBits = {}, st = steps): Model =>
    st && hasPolicySteps(st)
      ? preparePolicy(floatModel, p, { ...st, seed }, { images: { x: ds.train.x, n: 512 }, calibration: cal, channelBits: cb })
      : floatModel;
  const ptqSteps = (p: PrecisionPolicy, cb: ChannelBits = {}, st = steps): number => {
    const q = buildModel(prepared(p, cb, st));
    try {
      return evaluatePolicy(q, p, test, cal, cb).accuracy;
    } finally {
      q.dispose();
    }
  };
  const edge = bitFusionEdge();
  const cloud = bismoCloud();
  const coster = new PolicyCoster(graph, edge);
  const w8a8 = coster.uniformCost({ weightBits: 8, actBits: 8 });
  const report = (
    name: string,
    ref: CostVector,
    wb: readonly (number | string)[],
    ab: readonly number[],
    cost: CostVector,
    acc: number,
    extra: Partial<PolicyReport> = {},
  ): PolicyReport => ({
    name,
    weightBits: wb,
    actBits: ab,
    ptqAccuracy: pp(acc),
    latencyMs: r3(cost.latency * 1000) / 1000,
    energyMj: cost.energy,
    sizeBytes: Math.round(cost.size),
    latencyX: r3(ref.latency / cost.latency),
    energyX: r3(ref.energy / cost.energy),
    ...extra,
  });
  const n = coster.layers.length;
  const baselines: PolicyReport[] = [];
  for (const b of [8, 6, 4]) {
    const p = uniformPolicy(b, b);
    baselines.push(report(`W${b}A${b}`, w8a8, new Array(n).fill(b), new Array(n).fill(b), coster.uniformCost({ weightBits: b, actBits: b }), ptq(p)));
  }
  const w8a8Acc = (baselines[0] as PolicyReport).ptqAccuracy;
  log(`baselines: ${baselines.map((b) => `${b.name} ${b.ptqAccuracy}%`).join(', ')}`);

  // sensitivity
  const ts = performance.now();
  const hv = sub(ds.train, 128);
  const sens: LayerSensitivity[] = layerSensitivities(fm, hv.x, hv.y, hv.n, {
    seed,
    perChannel: true,
    maxIter: 24,
    minIter: 8,
    tol: 1e-2,
    onLayer: (s, i, t) => log(`trace ${i + 1}/${t} ${s.layer}: ${s.meanTrace.toExponential(3)} (${s.iterations} probes)`),
  });
  const sensSeconds = (performance.now() - ts) / 1000;
  const scores = hawqScores(floatModel, sens, BITS);
  const actSens = activationSensitivity(fm, sub(ds.val, 500), cal, BITS);
  const score = (i: number, p: Precision): number => {
    const l = coster.layers[i]?.name;
    const w = scores.find((s) => s.layer === l && s.bits === p.weightBits)?.score ?? 0;
    return 0.5 * w + Math.max(0, (actSens[i] as number[])[BITS.indexOf(p.actBits)] as number);
  };
  const sensitivitySeconds = (performance.now() - ts) / 1000;

  // QAT: cosine schedule from `lr`, one worker; the recipe is chosen on validation images 1000-4999
  // (the search uses 0-999; the test set is only used for the reported figures)
  const selectSet: Split = { x: ds.val.x.subarray(1000 * (ds.val.x.length / ds.val.n)), y: ds.val.y.subarray(1000), n: ds.val.n - 1000 };
  let recipe: QatRecipe = RECIPES[0] as QatRecipe;
  if (opts.recipe !== undefined) {
    const r = RECIPES.find((x) => x.name === opts.recipe);
    if (!r) throw new Error(`recipe '${opts.recipe}' is unknown: expected one of ${RECIPES.map((x) => `'${x.name}'`).join(', ')}`);
    recipe = r;
  }
  const qatOn = async (p: PrecisionPolicy, r: QatRecipe, sets: readonly Split[], cb: ChannelBits = {}, from: Model = floatModel): Promise<number[]> => {
    const m: EngineModel = buildModel(from);
    try {
      await qatFinetune(m, p, sub(ds.train, opts.qatImages ?? 10000), {
        epochs: opts.qatEpochs ?? 1,
        batchSize: 128,
        lr: r.lr,
        seed,
        calibration: cal,
        channelBits: cb,
        workers: 1,
        lsq: r.lsq,
      });
      return sets.map((set) => m.evaluate(set.x, set.y, set.n).accuracy);
    } finally {
      if (r.lsq) disposeLsqHooks(m.hooks as LsqHooks);
      m.dispose();
    }
  };
  const qat = async (p: PrecisionPolicy, cb: ChannelBits = {}, from: Model = floatModel): Promise<number> =>
    (await qatOn(p, recipe, [test], cb, from))[0] as number;
  /** The post-training-steps fields of a searched policy (with QAT from the prepared weights when `withQat`). */
  const stepFields = async (p: PrecisionPolicy, cb: ChannelBits, withQat: boolean): Promise<Partial<PolicyReport>> => {
    if (!steps) return {};
    const m = prepared(p, cb);
    const q = buildModel(m);
    let acc: number;
    try {
      acc = evaluatePolicy(q, p, test, cal, cb).accuracy;
    } finally {
      q.dispose();
    }
    log(`${p.name ?? 'policy'} with post-training steps ${opts.ptqSteps}: ${pp(acc)}%`);
    return { ptqStepsAccuracy: pp(acc), ...(withQat ? { qatFromStepsAccuracy: pp(await qat(p, cb, m)) } : {}) };
  };
  const stepsAlone: Record<string, number> = {};

  const recipeChoice: { recipe: string; validationAccuracy: number; testAccuracy: number }[] = [];
  let recipeSeconds = 0;
  let w8a8Qat = 0;
  const searches: Record<string, unknown> = {};
  let qdqResult: object | undefined;
  const diff = (a: readonly number[][], b: readonly number[][]): string[] =>
    graph.nodes
      .filter((x) => x.op === 'conv2d' || x.op === 'dense')
      .map((l, i) => `${l.name}: edge w${a[0]?.[i]}a${a[1]?.[i]} vs cloud w${b[0]?.[i]}a${b[1]?.[i]}`);
  function summary(): object {
    return {
      model: 'mbnet32 (1x28x28), Fashion-MNIST (hwnas split)',
      trainImages: ds.train.n,
      testImages: test.n,
      floatAccuracy: pp(floatAcc),
      w8a8Accuracy: w8a8Acc,
      qat: {
        images: opts.qatImages ?? 10000,
        epochs: opts.qatEpochs ?? 1,
        schedule: 'cosine',
        workers: 1,
        recipes: recipeChoice,
        chosen: recipe.name,
        selectionSeconds: r3(recipeSeconds),
        selectionImages: selectSet.n,
        w8a8AfterQat: w8a8Qat,
      },
      trainSeconds: r3(trainSeconds),
      floatModelCached: cached,
      sensitivity: { seconds: r3(sensSeconds), layers: sens.map((s) => ({ layer: s.layer, meanTrace: s.meanTrace, probes: s.iterations })) },
      baselines,
      searches,
      ...(steps ? { ptqSteps: opts.ptqSteps, stepsAlone } : {}),
      policiesDiffer: {
        ilp: diff(perTarget['bitfusion-edge latency=0.6x']?.ilp ?? [], perTarget['bismo-cloud latency=0.6x']?.ilp ?? []),
        haq: diff(perTarget['bitfusion-edge latency=0.6x']?.haq ?? [], perTarget['bismo-cloud latency=0.6x']?.haq ?? []),
      },
      qdq: qdqResult,
    };
  }
  const episodes = opts.episodes ?? 60;
  const perTarget: Record<string, { ilp: readonly number[][]; haq: readonly number[][] }> = {};
  const runs = [
    ['edge', edge, 'latency=0.6x'],
    ['cloud', cloud, 'latency=0.6x'],
    ...(opts.noEnergy === true ? [] : [['energy', edge, 'energy=0.6x'] as const]),
  ] as ReadonlyArray<readonly [string, HardwareTarget, string]>;
  for (const [id, target, budgetSpec] of runs) {
    if (opts.targets !== undefined && !opts.targets.includes(id)) continue;
    const c = new PolicyCoster(graph, target);
    const ref = c.uniformCost({ weightBits: 8, actBits: 8 });
    const budget: ResourceBudget = parseBudget(budgetSpec, ref);
    const key = `${target.name} ${budgetSpec}`;
    log(`== ${key}`);
    const out: PolicyReport[] = [];
    // ILP
    const ti = performance.now();
    const ilp = await ilpSearch({ coster: c, budget: { [budget.kind]: budget.value }, options: precisionGrid(BITS, BITS), score });
    const ilpSearchSec = (performance.now() - ti) / 1000 + sensitivitySeconds;
    const ilpAcc = ptq(ilp.policy);
    log(`ILP: ${ilp.weightBits.join('/')} a ${ilp.actBits.join('/')} ptq ${pp(ilpAcc)}% solve ${ilp.solveMs.toFixed(0)} ms`);
    if (w8a8Qat === 0) {
      // choose the QAT recipe on validation images with this first searched policy
      const tr = performance.now();
      for (const r of opts.recipe === undefined ? RECIPES : []) {
        const [valAcc, testAcc] = await qatOn(ilp.policy, r, [selectSet, test]);
        recipeChoice.push({ recipe: r.name, validationAccuracy: pp(valAcc as number), testAccuracy: pp(testAcc as number) });
        log(`QAT recipe '${r.name}': validation ${pp(valAcc as number)}% (test ${pp(testAcc as number)}%, not used for the choice)`);
      }
      if (recipeChoice.length > 0) {
        const best = recipeChoice.reduce((a, b) => (b.validationAccuracy > a.validationAccuracy ? b : a));
        recipe = RECIPES.find((r) => r.name === best.recipe) as QatRecipe;
      }
      recipeSeconds = (performance.now() - tr) / 1000;
      log(`chosen QAT recipe: ${recipe.name}`);
      w8a8Qat = pp(await qat(uniformPolicy(8, 8)));
      log(`W8A8 after the same QAT: ${w8a8Qat}%`);
    }
    out.push(
      report('hawq-ilp', ref, ilp.weightBits, ilp.actBits, ilp.cost, ilpAcc, {
        qatAccuracy: pp(await qat(ilp.policy)),
        searchSeconds: r3(ilpSearchSec),
        ...(await stepFields(ilp.policy, {}, true)),
      }),
    );
    if (steps && Object.keys(stepsAlone).length === 0) {
      for (const one of (opts.ptqSteps as string).split(',')) {
        if (one.trim() === '') continue;
        stepsAlone[`${key} hawq-ilp ${one}`] = pp(ptqSteps(ilp.policy, {}, parsePtq(one)));
        log(`ILP with ${one} alone: ${stepsAlone[`${key} hawq-ilp ${one}`]}%`);
      }
      stepsAlone['W8A8 with all steps'] = pp(ptqSteps(uniformPolicy(8, 8)));
      stepsAlone['W4A4 with all steps'] = pp(ptqSteps(uniformPolicy(4, 4)));
    }
    if (opts.ilpOnly === true) {
      for (const r of out) log(`${r.name}: ptq ${r.ptqAccuracy}% qat ${r.qatAccuracy ?? '-'}% latency ${r.latencyX}x energy ${r.energyX}x`);
      searches[key] = out;
      perTarget[key] = { ilp: [ilp.weightBits, ilp.actBits].map((v) => [...v]), haq: [] };
      if (opts.partialFile) writeFileSync(opts.partialFile, JSON.stringify(summary(), null, 2));
      continue;
    }
    // HAQ
    const haq = await haqSearch({
      coster: c,
      budget,
      weightBits: BITS,
      actBits: BITS,
      accuracy: (p) => ptq(p, searchSet),
      episodes,
      warmupEpisodes: Math.floor(episodes / 4),
      seed,
      onEpisode: (e) => {
        if (e.episode % 10 === 9) log(`HAQ episode ${e.episode + 1}: acc ${pp(e.accuracy)}% best ${pp(e.bestAccuracy)}%`);
      },
    });
    const haqAcc = ptq(haq.policy);
    out.push(
      report('haq', ref, haq.weightBits, haq.actBits, haq.cost, haqAcc, {
        qatAccuracy: pp(await qat(haq.policy)),
        searchSeconds: r3(haq.wallMs / 1000),
        ...(await stepFields(haq.policy, {}, false)),
      }),
    );
    perTarget[key] = { ilp: [ilp.weightBits, ilp.actBits].map((v) => [...v]), haq: [haq.weightBits, haq.actBits].map((v) => [...v]) };
    if (target === edge) {
      // random baseline
      const rnd = await randomSearch({
        coster: c,
        budget,
        weightBits: BITS,
        actBits: BITS,
        accuracy: (p) => ptq(p, searchSet),
        trials: Math.max(10, Math.floor(episodes / 2)),
        seed,
      });
      out.push(report('random', ref, rnd.weightBits, rnd.actBits, rnd.cost, ptq(rnd.policy), { searchSeconds: r3(rnd.wallMs / 1000) }));
      // CW-HAWQ vs layer-wise on the same footing: weights 2/4/8, activation bits per layer from the ILP policy
      const act = [...ilp.actBits];
      const cw = await cwHawqSearch({
        coster: c,
        budget,
        bits: [2, 4, 8],
        actBits: act,
        channelTraces: sens.map((s) => s.channelTraces ?? []),
        accuracy: (a) => ptq(a.policy, searchSet, a.channelBits),
        episodes,
        warmupEpisodes: Math.floor(episodes / 4),
        seed,
      });
      const cwAcc = ptq(cw.allocation.policy, test, cw.allocation.channelBits);
      const ratios = cw.allocation.counts.map((cnt) => cnt.join(':'));
      out.push(
        report('cw-hawq', ref, ratios, act, cw.cost, cwAcc, {
          qatAccuracy: pp(await qat(cw.allocation.policy, cw.allocation.channelBits)),
          searchSeconds: r3(cw.wallMs / 1000),
          ...(await stepFields(cw.allocation.policy, cw.allocation.channelBits, false)),
        }),
      );
      // layer-wise counterpart with the same bits and activation bits
      const lw = await haqSearch({
        coster: c,
        budget,
        weightBits: [2, 4, 8],
        fixedActBits: act,
        accuracy: (p) => ptq(p, searchSet),
        episodes,
        warmupEpisodes: Math.floor(episodes / 4),
        seed,
      });
      out.push(
        report('layer-wise haq (2/4/8)', ref, lw.weightBits, lw.actBits, lw.cost, ptq(lw.policy), {
          qatAccuracy: pp(await qat(lw.policy)),
          searchSeconds: r3(lw.wallMs / 1000),
        }),
      );
    }
    for (const r of out) log(`${r.name}: ptq ${r.ptqAccuracy}% qat ${r.qatAccuracy ?? '-'}% latency ${r.latencyX}x energy ${r.energyX}x`);
    searches[key] = out;
    if (key === 'bitfusion-edge latency=0.6x') {
      // QDQ export of the edge latency ILP policy
      const edgeIlp = perTarget['bitfusion-edge latency=0.6x']?.ilp as number[][];
      const pol = policyFromVectors(graph, edgeIlp[0] as number[], edgeIlp[1] as number[]);
      const cfg = quantConfig(graph, pol, cal as Calibration);
      const sess = await createSession(exportQdqOnnx(floatModel, cfg));
      const logits = await runOnnx(sess, test.x, test.n);
      let correct = 0;
      for (let i = 0; i < test.n; i++) {
        let best = 0;
        for (let j = 1; j < 10; j++) if ((logits[i * 10 + j] as number) > (logits[i * 10 + best] as number)) best = j;
        if (best === test.y[i]) correct++;
      }
      const ortAcc = correct / test.n;
      const fqAcc = ptq(pol);
      qdqResult = {
        policy: 'hawq-ilp bitfusion-edge latency=0.6x',
        onnxruntimeAccuracy: pp(ortAcc),
        fakeQuantAccuracy: pp(fqAcc),
        diffPp: r3(pp(ortAcc) - pp(fqAcc)),
      };
      log(`QDQ: onnxruntime ${pp(ortAcc)}% vs fake-quant ${pp(fqAcc)}%`);
    }
    if (opts.partialFile) writeFileSync(opts.partialFile, JSON.stringify(summary(), null, 2));
  }
  fm.dispose();
  return summary();
}

/** Times {@link solveAllocation} (wall and process CPU) on random 100-layer x 7-option problems (seeds 1..`seeds`), per budget set. */
export async function benchIlp(seeds = 10): Promise<object> {
  await loadHighs();
  const out: Record<string, object> = {};
  for (const kinds of [['latency'], ['latency', 'size'], ['latency', 'energy', 'size']] as const) {
    const ms: number[] = [];
    const cpu: number[] = [];
    const solvers: string[] = [];
    for (let s = 1; s <= seeds; s++) {
      const p = randomAllocationProblem(new Rng(s), 100, BITS, 0.35, kinds);
      const c0 = process.cpuUsage();
      const t = performance.now();
      const r = await solveAllocation(p);
      ms.push(performance.now() - t);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      solvers.push(r.solver ?? '?');
    }
    const med = (v: readonly number[]): number => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)] as number;
    out[kinds.join('+')] = {
      problems: seeds,
      medianMs: r3(med(ms)),
      maxMs: r3(Math.max(...ms)),
      medianCpuMs: r3(med(cpu)),
      maxCpuMs: r3(Math.max(...cpu)),
      ms: ms.map(r3),
      solvers,
    };
  }
  // the real cost tables: mbnet32 (1x28x28), 49 (w, a) options per layer, HAWQ-like synthetic scores
  const g = zooGraph('mbnet32?channels=1&size=28');
  const real: Record<string, object> = {};
  for (const target of [bitFusionEdge(), bismoCloud()]) {
    const c = new PolicyCoster(g, target);
    const ref = c.uniformCost({ weightBits: 8, actBits: 8 });
    for (const kind of ['latency', 'energy'] as const) {
      const score = (i: number, p: Precision): number => (1 + ((i * 7) % 5)) * (4 ** -p.weightBits + 0.5 * 4 ** -p.actBits);
      const r = await ilpSearch({ coster: c, budget: { [kind]: 0.6 * ref[kind] }, options: precisionGrid(BITS, BITS), score });
      // the same solve as the `ilp` strategy of a study (cost table built, options parsed, one trial through
      // the study loop in memory), and 5 trials (further solutions at tightened budgets)
      const studyMs = async (nTrials: number): Promise<number> => {
        const t = performance.now();
        const problem = quantProblem(c, { kind, value: 0.6 * ref[kind] }, BITS, BITS);
        const scores = c.layers.map((_, i) => BITS.map((w) => BITS.map((a) => score(i, { weightBits: w, actBits: a }))));
        const space = quantSpace(problem);
        const ctx = { space, objectives: QUANT_OBJECTIVES, nTrials, seed: 0 };
        await runStudy({
          store: new MemoryStore(),
          studyName: 'ilp',
          space,
          objectives: QUANT_OBJECTIVES,
          strategy: createStrategy('ilp', { problem, scores } as unknown as Record<string, unknown>, ctx),
          evaluate: async () => ({ values: [0] }),
          nTrials,
          seed: 0,
        });
        return performance.now() - t;
      };
      real[`${target.name} ${kind}=0.6x`] = {
        solveMs: r3(r.solveMs),
        wallMsWithCostTables: r3(r.wallMs),
        studyOneTrialMs: r3(await studyMs(1)),
        studyFiveTrialsMs: r3(await studyMs(5)),
      };
    }
  }
  return { layers: 100, options: BITS.length, budgetFrac: 0.35, ...out, mbnet32: real };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const sarg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const quick = process.argv.includes('--quick');
  if (sarg('--only') !== undefined && sarg('--only') !== 'ilp') throw new Error(`--only '${sarg('--only')}': expected 'ilp'`);
  for (const t of sarg('--targets')?.split(',') ?? [])
    if (!['edge', 'cloud', 'energy'].includes(t)) throw new Error(`--targets: '${t}' is not one of edge, cloud, energy`);
  const episodes = arg('--episodes');
  const run = process.argv.includes('--ilp-only')
    ? benchIlp(arg('--seeds') ?? 10)
    : benchQuant({
        ...(quick ? { trainImages: 6000, epochs: 2, episodes: 16, qatImages: 2000, searchImages: 500 } : {}),
        ...(episodes !== undefined ? { episodes } : {}),
        ...(sarg('--recipe') !== undefined ? { recipe: sarg('--recipe') as string } : {}),
        ...(sarg('--partial') !== undefined ? { partialFile: sarg('--partial') as string } : {}),
        ...(arg('--seed') !== undefined ? { seed: arg('--seed') as number } : {}),
        ...(process.argv.includes('--train-only') ? { trainOnly: true } : {}),
        ...(sarg('--ptq') !== undefined ? { ptqSteps: sarg('--ptq') as string } : {}),
        ...(process.argv.includes('--no-energy') ? { noEnergy: true } : {}),
        ...(sarg('--only') === 'ilp' ? { ilpOnly: true } : {}),
        ...(sarg('--targets') !== undefined ? { targets: (sarg('--targets') as string).split(',') } : {}),
      });
  run.then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
