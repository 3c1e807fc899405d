/**
 * HURRICANE (SEEDS S4) against one-stage SPOS on the same space, target, data, step budget and trial budget:
 *
 * - **SPOS**: one supernet over the whole space (`mbv2-micro`, elastic width and input size) trained for
 *   `steps` single-path uniform steps, then an NSGA-II search of `budget` trials on it.
 * - **HURRICANE**: the two-stage strategy (`nasStrategyConfig('two-stage')`: stage 1 = the early or late part
 *   of the network carrying most of the target's latency effect plus input size and width; operators slow on
 *   the target dropped before the search). Stage 1's supernet samples only the stage-1 part (the rest fixed
 *   at the strategy's reference point) and is trained `stage1Share` x `steps` steps; after the stage-1 trials,
 *   stage 2's supernet starts from stage 1's weights and samples the rest with the stage-1 part drawn from the
 *   stage-1 Pareto settings, for the remaining steps. Both supernets use pre-selected operators only.
 *
 * Per seed: supernet training seconds of each method (measured under load), the most accurate feasible pick
 * (latency <= the median latency of 200 random points on the target), retrained from scratch with one recipe
 * and tested on the test images. Training time saved = 1 - HURRICANE seconds / SPOS seconds at the same total
 * number of steps: the saving comes from the smaller paths (fixed part, dropped operators), not from fewer steps.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/nas-hurricane.js [--quick] [--seeds 1,2,3] [--steps 400]
 * [--budget 40] [--target bitfusion-edge] [--out /tmp/hurricane-result.json]`.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { Dataset } from '../src/data/types.js';
import { initEngine } from '../src/engine/backend.js';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { archCost } from '../src/nas/cost.js';
import { runNas } from '../src/nas/run.js';
import { createNasStrategy, nasStrategyConfig } from '../src/nas/strategy-config.js';
import { retrainFromScratch, Supernet, type SupernetSpec, supernetEvaluator } from '../src/nas/supernet.js';
import { splitAtSizes } from '../src/nas/train-eval.js';
import { type OpSet, projectOps, twoStageReference } from '../src/nas/two-stage.js';
import { paretoTrials } from '../src/search/pareto.js';
import { createStrategy } from '../src/search/registry.js';
import { MBV2_MICRO, type Mbv2Arch, mbv2Space } from '../src/search/spaces/mbv2.js';
import type { JsonValue, Objective, Params } from '../src/search/types.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Evaluator } from '../src/study/run-study.js';
import { Rng } from '../src/util/rng.js';
import { benchFlags } from './flags.js';

/** Options of {@link benchHurricane}. */
export interface HurricaneBenchOptions {
  readonly quick?: boolean;
  readonly seeds?: readonly number[];
  /** Total supernet steps of each method (default 400, quick 16). */
  readonly steps?: number;
  /** Trials of each search (default 40, quick 6). */
  readonly budget?: number;
  /** Share of the steps (and trials) of HURRICANE's stage 1 (default 0.4, as the strategy's trials). */
  readonly stage1Share?: number;
  /** Training images (default 3000, quick 300), validation images (default 500, quick 200), test images (default 2000, quick 200). */
  readonly images?: number;
  readonly valImages?: number;
  readonly testImages?: number;
  /** Retraining of the picks: epochs (default 2, quick 1) on the training images. */
  readonly retrainEpochs?: number;
  readonly target?: string;
  readonly out?: string;
}

const OBJ: Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
];

/** The bench (see the module doc); returns per-seed rows and the summary. */
export async function benchHurricane(opts: HurricaneBenchOptions = {}): Promise<Record<string, unknown>> {
  const q = opts.quick === true;
  const o = {
    seeds: opts.seeds ?? (q ? [1] : [1, 2, 3]),
    steps: opts.steps ?? (q ? 16 : 400),
    budget: opts.budget ?? (q ? 6 : 40),
    stage1Share: opts.stage1Share ?? 0.4,
    images: opts.images ?? (q ? 300 : 3000),
    valImages: opts.valImages ?? (q ? 200 : 500),
    testImages: opts.testImages ?? (q ? 200 : 2000),
    retrainEpochs: opts.retrainEpochs ?? (q ? 1 : 2),
    target: opts.target ?? 'bitfusion-edge',
    out: opts.out ?? '/tmp/hurricane-result.json',
  };
  await initEngine();
  const space = mbv2Space(MBV2_MICRO);
  const target = getTarget(o.target);
  const policy = defaultPolicy(target);
  const size = Math.max(...MBV2_MICRO.inputSizes);
  const ds = await loadDataset('fashion-mnist', {
    standardize: true,
    size,
    channels: 1,
    limit: { train: o.images, val: o.valImages, test: o.testImages },
  });
  const dataset: Dataset = ds;
  const spec: SupernetSpec = { space: { ...MBV2_MICRO, inChannels: 1, classes: 10 } };
  const trainAt = splitAtSizes(ds.train, ds.shape);
  const testAt = splitAtSizes(ds.test, ds.shape);
  const latencyOf = (p: Params): number => archCost(space, p, target, { policy }).latencyMs;
  const rl = new Rng(12345);
  const lats = Array.from({ length: 200 }, () => latencyOf(space.space.sample(rl))).sort((a, b) => a - b);
  const line = lats[100] as number;
  const result: Record<string, unknown> = { options: o, line, target: target.name, loadAvgStart: loadavg(), rows: [] as unknown[] };
  const save = (): void => writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  const rows = result.rows as Record<string, unknown>[];
  const say = (s: string): void => {
    process.stderr.write(`[hurricane ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  };

  const pick = (trials: { values: Readonly<Record<string, number>>; arch: string; constraints?: readonly number[] }[]) =>
    trials.filter((t) => (t.constraints?.[0] ?? 0) <= 0).sort((a, b) => (b.values.accuracy as number) - (a.values.accuracy as number))[0];
  const retrain = async (net: Supernet, arch: string, seed: number): Promise<number> => {
    const a = space.parse(arch);
    const r = await retrainFromScratch(net, arch, { train: trainAt(a.inputSize), test: testAt(a.inputSize) }, { epochs: o.retrainEpochs, seed, workers: 1 });
    return r.accuracy;
  };

  for (const seed of o.seeds) {
    // one-stage SPOS
    say(`seed ${seed}: SPOS supernet, ${o.steps} steps`);
    const spos = new Supernet(spec, seed);
    const tS = spos.train((s) => trainAt(s), { steps: o.steps, seed });
    const evS = supernetEvaluator({ space, dataset, target, objectives: OBJ, supernet: spos, maxLatencyMs: line, policy });
    const { strategy: nsga } = await createNasStrategy('nsga2', space, { budget: o.budget, seed, objectives: OBJ });
    say(`seed ${seed}: SPOS search, ${o.budget} trials`);
    const rS = await runNas({ space, objectives: OBJ, strategy: nsga, evaluate: evS, budget: o.budget, seed });
    const pS = pick(rS.trials);

    // HURRICANE: two stages, a smaller supernet per stage
    const cfg = await nasStrategyConfig('two-stage', space, { budget: o.budget, seed, sensitivityCost: latencyOf, stage1Share: o.stage1Share });
    const sens = cfg.sensitive as string[];
    const rest = space.space.names.filter((n) => !sens.includes(n));
    const ops: OpSet | undefined = cfg.options.ops ? { fields: cfg.options.opFields as string[], allowed: cfg.options.ops as JsonValue[][] } : undefined;
    const ref = twoStageReference(space.space, seed, ops);
    const n1 = cfg.options.stage1Trials as number;
    const steps1 = Math.max(1, Math.round(o.steps * o.stage1Share));
    const sample = (rng: Rng, fix: (p: Record<string, JsonValue>) => void): Mbv2Arch => {
      const p: Record<string, JsonValue> = { ...space.space.sample(rng) };
      fix(p);
      if (ops) projectOps(p, space.space, ops, rng);
      return space.fromParams(p);
    };
    say(`seed ${seed}: HURRICANE stage-1 supernet (${sens.length} of ${space.space.names.length} parameters), ${steps1} steps`);
    const net1 = new Supernet(spec, seed);
    const t1 = net1.train((s) => trainAt(s), {
      steps: steps1,
      seed,
      sampler: (rng) =>
        sample(rng, (p) => {
          for (const n of rest) p[n] = ref[n] as JsonValue;
        }),
    });
    const ev1 = supernetEvaluator({ space, dataset, target, objectives: OBJ, supernet: net1, maxLatencyMs: line, policy });
    const store = new MemoryStore();
    const studyName = `hurricane-${seed}`;
    let ev2: Evaluator | undefined;
    let t2 = { seconds: 0, loss: Number.NaN };
    const evaluate: Evaluator = async (params, ctx) => {
      if (ctx.trialNumber < n1) return ev1(params, ctx);
      if (!ev2) {
        const stage1 = store.getTrials(studyName).filter((t) => t.number < n1 && t.state === 'complete');
        const settings = paretoTrials(stage1, OBJ).map((t) => Object.fromEntries(sens.map((n) => [n, t.params[n] as JsonValue])));
        say(`seed ${seed}: HURRICANE stage-2 supernet from stage 1's weights, ${settings.length} stage-1 settings, ${o.steps - steps1} steps`);
        const net2 = new Supernet(spec, seed);
        for (const [k, w] of net1.weights) net2.weights.get(k)?.data.set(w.data);
        t2 = net2.train((s) => trainAt(s), {
          steps: Math.max(1, o.steps - steps1),
          seed: seed + 1000,
          sampler: (rng) =>
            sample(rng, (p) => {
              const s = settings.length > 0 ? rng.choice(settings) : ref;
              for (const n of sens) p[n] = s[n] as JsonValue;
            }),
        });
        ev2 = supernetEvaluator({ space, dataset, target, objectives: OBJ, supernet: net2, maxLatencyMs: line, policy });
      }
      return ev2(params, ctx);
    };
    say(`seed ${seed}: HURRICANE search, ${o.budget} trials (${n1} in stage 1)`);
    const rH = await runNas({ space, objectives: OBJ, strategy: createStrategy(cfg.name, cfg.options), evaluate, budget: o.budget, seed, store, studyName });
    const pH = pick(rH.trials);
    say(`seed ${seed}: retraining the picks (${o.retrainEpochs} epochs on ${o.images} images)`);
    const row: Record<string, unknown> = {
      seed,
      spos: {
        seconds: tS.seconds,
        loss: tS.loss,
        pick: pS?.arch ?? null,
        pickSupernetAccuracy: pS?.values.accuracy ?? null,
        pickLatencyMs: pS?.values.latency_ms ?? null,
      },
      hurricane: {
        seconds: t1.seconds + t2.seconds,
        stage1Seconds: t1.seconds,
        stage2Seconds: t2.seconds,
        split: cfg.twoStage?.split ?? null,
        droppedOps: cfg.twoStage?.dropped.length ?? 0,
        pick: pH?.arch ?? null,
        pickSupernetAccuracy: pH?.values.accuracy ?? null,
        pickLatencyMs: pH?.values.latency_ms ?? null,
      },
    };
    rows.push(row);
    save();
    if (pS) (row.spos as Record<string, unknown>).retrainedTestAccuracy = await retrain(spos, pS.arch, seed);
    if (pH) (row.hurricane as Record<string, unknown>).retrainedTestAccuracy = await retrain(spos, pH.arch, seed);
    row.timeSaved = 1 - (row.hurricane as { seconds: number }).seconds / tS.seconds;
    save();
    say(`seed ${seed}: ${JSON.stringify(row)}`);
  }
  const stat = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, worst: Math.min(...xs) });
  const num = (f: (r: Record<string, unknown>) => unknown): number[] => rows.map(f).filter((x): x is number => typeof x === 'number');
  result.summary = {
    timeSaved: stat(num((r) => r.timeSaved)),
    sposRetrained: stat(num((r) => (r.spos as Record<string, unknown>).retrainedTestAccuracy)),
    hurricaneRetrained: stat(num((r) => (r.hurricane as Record<string, unknown>).retrainedTestAccuracy)),
  };
  result.loadAvgEnd = loadavg();
  save();
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { arg, num, has, nums } = benchFlags();
  const seeds = nums('--seeds');
  const r = await benchHurricane({
    quick: has('--quick'),
    ...(seeds ? { seeds } : {}),
    ...(num('--steps') !== undefined ? { steps: num('--steps') as number } : {}),
    ...(num('--budget') !== undefined ? { budget: num('--budget') as number } : {}),
    ...(num('--images') !== undefined ? { images: num('--images') as number } : {}),
    ...(arg('--target') ? { target: arg('--target') as string } : {}),
    ...(arg('--out') ? { out: arg('--out') as string } : {}),
  });
  console.log(JSON.stringify({ summary: r.summary, rows: r.rows }, null, 2));
}
