/**
 * Bitwise ensembles on Fashion-MNIST with mbnet32 (1x28x28, the zoo net), issue 15 / seed S12:
 * float model, one 1-bit-weight member, ensembles of K = 1..K stochastically sampled members (and K
 * independently trained ones on the first seed), their accuracy, diversity, and bismo-cloud /
 * bitfusion-edge latency and energy (members sequential on one array, and in parallel), against the
 * float model and its w8a8 quantization; LFSR stochastic rounding of activations vs round-to-nearest.
 *
 * Per seed: the float model trains `floatEpochs` on `trainImages`; the latent 1-bit model trains
 * `bitwiseEpochs` more from the float weights; the float model is also trained `bitwiseEpochs` more
 * (the "float+" control: the same total epochs as the bitwise model). Run:
 * `npx tsc -p tsconfig.json && node dist/bench/ensemble.js [--seeds 1,2,3] [--train-images N] [--test-images N] [--float-epochs N]
 *  [--bitwise-epochs N] [--members K] [--independent-members K] [--act-bits B] [--calibration-images N] [--low-bit-depthwise] [--independent-only] [--workers 1|2] [--out file.json]
 *  [--distill W] [--temperatures T1,T2] [--float-plus-epochs E1,E2]`
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { initEngine } from '../src/engine/backend.js';
import { buildModel } from '../src/engine/model.js';
import { type TrainOptions, train } from '../src/engine/train.js';
import { ensembleCost } from '../src/ensemble/cost.js';
import { type EnsembleRun, runEnsemble } from '../src/ensemble/run.js';
import { UserError } from '../src/errors.js';
import { getTarget } from '../src/hardware/registry.js';
import { initWeights } from '../src/ir/init.js';
import type { Model } from '../src/ir/types.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { Rng } from '../src/util/rng.js';
import { benchFlags } from './flags.js';

/** Options of {@link benchEnsemble}. */
export interface EnsembleBenchOptions {
  readonly seeds?: readonly number[];
  readonly trainImages?: number;
  /** Test images (default 5,000 of the 10,000: member evaluation dominates the run otherwise). */
  readonly testImages?: number;
  readonly floatEpochs?: number;
  readonly bitwiseEpochs?: number;
  readonly members?: number;
  /** Independent members trained on the first seed (0 = skip). */
  readonly independentMembers?: number;
  readonly actBits?: number;
  /** Binarize the depthwise convolutions too (default false: they stay at 8 bits). */
  readonly lowBitDepthwise?: boolean;
  /** Training images for activation calibration and each member's batch-norm statistics (default 1,000). */
  readonly calibrationImages?: number;
  readonly workers?: 1 | 2;
  readonly out?: string;
  /** Only the independent members (float model trained here with the same recipe and seed): for a parallel run. */
  readonly independentOnly?: boolean;
  /** Knowledge distillation weight of the bitwise training (0 = labels only; see EnsembleOptions.distill). */
  readonly distill?: number;
  /** Also sample the stochastic members at these temperatures (same latent model). */
  readonly temperatures?: readonly number[];
  /**
   * Independent-only runs: equal-compute float controls, the float model trained each of these numbers
   * of epochs more (from the `floatEpochs` model; e.g. 2 and 6 for float 6 and 10 epochs, the training
   * epochs of K = 1 and K = 3 members of 2 bitwise epochs each). Empty: none.
   */
  readonly floatPlusEpochs?: readonly number[];
}

const MODEL = 'zoo:mbnet32?channels=1&size=28';

function summary(run: EnsembleRun): Record<string, unknown> {
  return {
    floatAccuracy: run.floatAccuracy,
    w8a8Accuracy: run.w8a8Accuracy,
    signMemberAccuracy: run.signMemberAccuracy,
    ensembleAccuracy: run.ensembleAccuracy,
    accuracy: run.accuracy,
    ...(run.otherRounding ? { otherRounding: run.otherRounding } : {}),
    ...(run.byTemperature ? { byTemperature: run.byTemperature } : {}),
    trainSeconds: run.trainSeconds,
  };
}

/** Run the bench; returns (and writes to `out`) every figure. */
export async function benchEnsemble(opts: EnsembleBenchOptions = {}): Promise<Record<string, unknown>> {
  const o = {
    seeds: opts.seeds ?? [1, 2, 3],
    trainImages: opts.trainImages ?? 6000,
    testImages: opts.testImages ?? 5000,
    floatEpochs: opts.floatEpochs ?? 3,
    bitwiseEpochs: opts.bitwiseEpochs ?? 2,
    members: opts.members ?? 9,
    independentMembers: opts.independentMembers ?? 4,
    actBits: opts.actBits ?? 8,
    lowBitDepthwise: opts.lowBitDepthwise ?? false,
    calibrationImages: opts.calibrationImages ?? 1000,
    workers: opts.workers ?? 1,
    out: opts.out ?? '/tmp/hwnas-bench/ensemble.json',
    distill: opts.distill ?? 0,
    temperatures: opts.temperatures ?? [],
    floatPlusEpochs: opts.floatPlusEpochs ?? [],
  };
  for (const e of o.floatPlusEpochs) {
    if (!(Number.isInteger(e) && e >= 1)) throw new UserError(`--float-plus-epochs ${e}: expected positive integers`);
  }
  mkdirSync(dirname(o.out), { recursive: true });
  const result: Record<string, unknown> = { options: o, model: MODEL, date: new Date().toISOString(), loadAvgStart: loadavg() };
  const save = (): void => writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  const t0 = performance.now();
  const log = (m: string): void => {
    process.stderr.write(`[${((performance.now() - t0) / 60000).toFixed(1)} min] ${m}\n`);
  };
  await initEngine();
  const ds = await loadDataset('fashion-mnist', { size: 28, channels: 1, limit: { train: o.trainImages, test: o.testImages } });
  const graph = zooGraph(MODEL);
  const recipe = (epochs: number, seed: number): TrainOptions => ({
    epochs,
    batchSize: 64,
    optimizer: 'adam',
    lr: 3e-3,
    schedule: 'cosine',
    labelSmoothing: 0.1,
    seed,
    workers: o.workers,
  });
  const precision = { weightBits: 1, actBits: o.actBits, edgeBits: 8, lowBitDepthwise: o.lowBitDepthwise };

  // costs: analytic, the same for every seed
  const costs: Record<string, unknown> = {};
  let policyName = '';
  const perSeed: Record<string, unknown>[] = [];
  if (opts.independentOnly === true) {
    const seed = o.seeds[0] as number;
    log(`seed ${seed}: float ${o.floatEpochs} epochs, then ${o.independentMembers} independent members (${o.bitwiseEpochs} bitwise epochs each)`);
    const ind = await runEnsemble({ graph, weights: initWeights(graph, new Rng(seed)) }, ds, {
      members: o.independentMembers,
      precision,
      sampling: 'independent',
      floatTrain: recipe(o.floatEpochs, seed),
      bitwiseTrain: recipe(o.bitwiseEpochs, seed),
      compareRounding: true,
      calibrationImages: o.calibrationImages,
      distill: o.distill,
      seed,
    });
    result.independent = { seed, ...summary(ind) };
    result.policy = ind.policy.name ?? '';
    for (const t of ['bismo-cloud', 'bitfusion-edge']) {
      const target = getTarget(t);
      costs[t] = Array.from({ length: o.independentMembers }, (_, k) => ensembleCost(target, graph, ind.policy, k + 1));
    }
    result.costs = costs;
    save();
    // equal-compute float controls: the same float model trained the members' extra epochs
    const floatPlus: { extraEpochs: number; totalEpochs: number; accuracy: number }[] = [];
    for (const extra of o.floatPlusEpochs) {
      const fp = buildModel(ind.floatModel);
      try {
        await train(fp, ds.train, recipe(extra, seed + 500));
        floatPlus.push({
          extraEpochs: extra,
          totalEpochs: o.floatEpochs + extra,
          accuracy: fp.evaluate(ds.test.x, ds.test.y, ds.test.n, { batchSize: 250 }).accuracy,
        });
      } finally {
        fp.dispose();
      }
      log(`seed ${seed}: float ${o.floatEpochs}+${extra} epochs ${((floatPlus.at(-1)?.accuracy ?? 0) * 100).toFixed(2)}%`);
      result.floatPlus = floatPlus;
      save();
    }
    log(
      `seed ${seed}: float ${(ind.floatAccuracy * 100).toFixed(2)}%, independent majority K=1..${o.independentMembers}: ${ind.accuracy.majorityVsMembers.map((a) => (a * 100).toFixed(2)).join(' ')}`,
    );
    result.minutes = (performance.now() - t0) / 60000;
    save();
    return result;
  }
  let firstFloat: { model: Model; entry: Record<string, unknown> } | undefined;
  for (const seed of o.seeds) {
    log(`seed ${seed}: float ${o.floatEpochs} epochs + bitwise ${o.bitwiseEpochs} epochs on ${ds.train.n} images, ${o.members} stochastic members`);
    const model = { graph, weights: initWeights(graph, new Rng(seed)) };
    const run = await runEnsemble(model, ds, {
      members: o.members,
      precision,
      sampling: 'stochastic',
      floatTrain: recipe(o.floatEpochs, seed),
      bitwiseTrain: recipe(o.bitwiseEpochs, seed),
      compareRounding: true,
      calibrationImages: o.calibrationImages,
      distill: o.distill,
      extraTemperatures: o.temperatures,
      seed,
    });
    policyName = run.policy.name ?? '';
    if (Object.keys(costs).length === 0) {
      for (const t of ['bismo-cloud', 'bitfusion-edge']) {
        const target = getTarget(t);
        costs[t] = Array.from({ length: o.members }, (_, k) => ensembleCost(target, graph, run.policy, k + 1));
      }
    }
    // float+ control: the float model trained the bitwise epochs more
    const fp = buildModel(run.floatModel);
    let floatPlusAccuracy: number;
    try {
      await train(fp, ds.train, recipe(o.bitwiseEpochs, seed + 500));
      floatPlusAccuracy = fp.evaluate(ds.test.x, ds.test.y, ds.test.n, { batchSize: 250 }).accuracy;
    } finally {
      fp.dispose();
    }
    const entry: Record<string, unknown> = { seed, stochastic: summary(run), floatPlusAccuracy };
    log(
      `seed ${seed}: float ${(run.floatAccuracy * 100).toFixed(2)}%, float+ ${(floatPlusAccuracy * 100).toFixed(2)}%, w8a8 ${(run.w8a8Accuracy * 100).toFixed(2)}%, ` +
        `sign member ${(run.signMemberAccuracy * 100).toFixed(2)}%, majority K=1..${o.members}: ${run.accuracy.majorityVsMembers.map((a) => (a * 100).toFixed(2)).join(' ')}`,
    );
    perSeed.push(entry);
    result.perSeed = perSeed;
    save();
    if (seed === o.seeds[0]) firstFloat = { model: run.floatModel, entry };
  }
  // independent members last (the headline seeds come first): from the first seed's float model
  if (firstFloat && o.independentMembers > 0) {
    const { model: floatModel, entry } = firstFloat;
    const seed = o.seeds[0] as number;
    log(`seed ${seed}: ${o.independentMembers} independent members (${o.bitwiseEpochs} bitwise epochs each, from the same float model)`);
    const ind = await runEnsemble(floatModel, ds, {
      members: o.independentMembers,
      precision,
      sampling: 'independent',
      floatTrain: { ...recipe(0, seed), epochs: 0 },
      bitwiseTrain: recipe(o.bitwiseEpochs, seed),
      calibrationImages: o.calibrationImages,
      distill: o.distill,
      seed,
    });
    entry.independent = summary(ind);
    log(`seed ${seed}: independent majority K=1..${o.independentMembers}: ${ind.accuracy.majorityVsMembers.map((a) => (a * 100).toFixed(2)).join(' ')}`);
    save();
  }
  result.policy = policyName;
  result.costs = costs;
  result.minutes = (performance.now() - t0) / 60000;
  result.loadAvgEnd = loadavg();
  save();
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { arg, num, has, nums, pick } = benchFlags();
  const seeds = nums('--seeds');
  const workers = num('--workers');
  const r = await benchEnsemble({
    ...(seeds ? { seeds } : {}),
    ...pick('trainImages', num('--train-images')),
    ...pick('testImages', num('--test-images')),
    ...pick('floatEpochs', num('--float-epochs')),
    ...pick('bitwiseEpochs', num('--bitwise-epochs')),
    ...pick('members', num('--members')),
    ...pick('independentMembers', num('--independent-members')),
    ...pick('actBits', num('--act-bits')),
    ...pick('calibrationImages', num('--calibration-images')),
    ...(has('--low-bit-depthwise') ? { lowBitDepthwise: true } : {}),
    ...(workers === 1 || workers === 2 ? { workers } : {}),
    ...(arg('--out') ? { out: arg('--out') as string } : {}),
    ...(has('--independent-only') ? { independentOnly: true } : {}),
    ...pick('distill', num('--distill')),
    ...(arg('--temperatures') ? { temperatures: nums('--temperatures') as number[] } : {}),
    ...(arg('--float-plus-epochs') ? { floatPlusEpochs: nums('--float-plus-epochs') as number[] } : {}),
  });
  console.log(JSON.stringify(r, null, 2));
}
