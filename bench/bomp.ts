/**
 * BOMP-NAS figure (issue 18 "BOMP-NAS measured", issue 19 last item): on the joint `mbv2-micro+bits` space
 * (architecture + one precision per slot) and Fashion-MNIST, per seed,
 *  (a) `qaft`:  joint search, each trial trained in float then quantization-aware fine-tuned under its
 *               own policy (`hwnas nas --space mbv2-micro+bits --qaft-epochs N`);
 *  (b) `ptq`:   joint search, each trial trained in float then scored by post-training quantization (`--ptq`);
 *  (c) `float`: float search over `mbv2-micro` (`hwnas nas --space mbv2-micro`), then every architecture of
 *               the float front (or, with `--quantize-top k`, its k most accurate) retrained in float once and
 *               quantized to each uniform precision of `--precisions` with the same QAFT as (a) (what `hwnas quantize
 *               --strategy uniform --finetune-epochs N` does to a trained model; here in-process so that it
 *               uses the search's training / validation split and recipe).
 * `--precisions` is the label set of all three arms: (a) and (b) search `hwnas nas --precisions <labels>` (each
 * slot chooses among them), (c) quantizes uniformly to each. `--joint-precisions all` gives (a) and (b) the joint
 * space's five labels (w8a8 w4a8 w4a4 w2a8 w2a2) instead, as before session 30 (then their study names are those
 * of the earlier runs).
 * All three use the same strategy (default `bo`), budget, objectives `accuracy:max,<cost>:min`, data, training
 * recipe and validation split; `--cost` picks the cost: `size_kb` (default: packed bytes at the point's policy on
 * the target, weights only, so activation bits never lower it), `latency_ms` or `energy_mj` (the target's cost
 * model at the point's policy, where activation bits count, e.g. on bitfusion-edge). The float search (c) costs
 * its architectures at the target's default policy; step (c) costs each uniform precision. Reported per seed: for
 * accuracy thresholds (the lowest of the three methods' best accuracies, i.e. the highest accuracy every
 * method reaches, and the fixed `--thresholds`), each method's lowest cost among points at least
 * that accurate; and each method's search time (sum of trial wall times from the store, and the CPU seconds
 * of the processes that ran them, measured under the load reported).
 *
 * Resumable: the searches are stored studies (`--store`, the same command continues them) and the
 * quantization step's results are kept in `--out` (rerunning skips what is there). `--reuse-quantized <file>` copies
 * step (c)'s record of an architecture from an earlier out file made with the same seed, data, recipe, target and
 * labels (flagged `reusedFrom`; its CPU seconds are the earlier run's) instead of retraining it.
 * Accuracy is the validation split the searches select on (the same for all three; no test-split check).
 *
 * `--mode shared` (what this machine could run, see benchShared): the three methods share one float training
 * per sampled point, which is exact while every strategy is still in BO's random start-up phase.
 *
 * Run: `npx tsc -p tsconfig.json && nice -n 10 node dist/bench/bomp.js [--mode cli|shared] [--seeds 1] [--budget 16] [--limit 2000]
 * [--epochs 3] [--qaft-epochs 1] [--strategy bo] [--quantize-top front|3] [--precisions w8a8,w4a8,w2a8] [--joint-precisions same|all]
 * [--thresholds 0.5,0.6] [--cost size_kb|latency_ms|energy_mj] [--target bitfusion-edge] [--store /tmp/bomp.sqlite]
 * [--out /tmp/bomp.json] [--reuse-quantized <earlier out.json>]`; progress on stderr, JSON on stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { buildModel, initEngine, train } from '../src/engine/index.js';
import { getTarget } from '../src/hardware/registry.js';
import { initWeights } from '../src/ir/init.js';
import { loadModel, saveModel } from '../src/ir/serialize.js';
import { archLatencyMs } from '../src/nas/cost.js';
import { nasDatasetOptions } from '../src/nas/run.js';
import { resizeSplit, scoreUnderPolicy } from '../src/nas/train-eval.js';
import { PolicyCoster } from '../src/quant/cost.js';
import { jointSpace } from '../src/search/spaces/joint.js';
import { MBV2_MICRO, mbv2Space } from '../src/search/spaces/mbv2.js';
import { getArchSpace } from '../src/search/spaces/registry.js';
import { Rng } from '../src/util/rng.js';

/** Options of {@link benchBomp}. */
export interface BompOptions {
  readonly seeds: readonly number[];
  readonly budget: number;
  readonly limit: number;
  readonly epochs: number;
  readonly qaftEpochs: number;
  readonly strategy: string;
  /** Step (c): how many of the float front's most accurate architectures are quantized (Infinity: the whole front). */
  readonly quantizeTop: number;
  readonly precisions: readonly string[];
  /** `same`: (a) and (b) search `--precisions`; `all`: the joint space's five labels. */
  readonly jointPrecisions: 'same' | 'all';
  readonly thresholds: readonly number[];
  /** The cost objective minimised beside accuracy (default `size_kb`). */
  readonly cost: CostMetric;
  readonly target: string;
  readonly store: string;
  readonly out: string;
  readonly methods: readonly Method[];
  /** `cli`: three stored `hwnas nas` studies per seed; `shared`: sampled points trained once (see benchShared). */
  readonly mode: 'cli' | 'shared';
  /**
   * Step (c): an earlier `--out` file whose quantized architectures are copied instead of retrained when the seed,
   * data, recipe, target and labels match (the step is deterministic given these; see {@link reusableQuantRecord}).
   */
  readonly reuseQuantized?: string;
}

type Method = 'qaft' | 'ptq' | 'float';
const METHODS: readonly Method[] = ['qaft', 'ptq', 'float'];
/** Cost objectives the bench can minimise beside accuracy. */
export const COST_METRICS = ['size_kb', 'latency_ms', 'energy_mj'] as const;
export type CostMetric = (typeof COST_METRICS)[number];

/** One scored point: accuracy (validation, quantized) and its costs (a search's point has its cost objective only). */
interface Point {
  readonly arch: string;
  readonly accuracy: number;
  readonly size_kb?: number;
  readonly latency_ms?: number;
  readonly energy_mj?: number;
  readonly float_accuracy?: number;
}

/** A point's value of the cost objective (NaN when it was not measured). */
const costOf = (p: Point, c: CostMetric): number => p[c] ?? Number.NaN;

interface SearchRecord {
  /** Complete trials of the study. */
  points: Point[];
  /** Sum of the study's trial wall times (s), from the store. */
  trialWallS: number;
  /** CPU seconds (user + system) of the CLI processes that ran the study (summed over invocations). */
  cpuS: number;
  study?: string;
}

interface QuantRecord {
  readonly arch: string;
  readonly floatAccuracy: number;
  readonly points: Point[];
  readonly wallS: number;
  readonly cpuS: number;
  /** Set when the record was copied from an earlier out file (`--reuse-quantized`): that file's path. */
  readonly reusedFrom?: string;
}

interface SeedRecord {
  search: Partial<Record<Method, SearchRecord>>;
  /** Step (c) after the float search: per quantized architecture. */
  quantized: QuantRecord[];
}

interface OutFile {
  readonly settings: Record<string, unknown>;
  seeds: Record<string, SeedRecord>;
  loadAverages: number[];
  summary?: unknown;
}

const log = (m: string): void => {
  process.stderr.write(`[bomp ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
};

function save(o: BompOptions, out: OutFile): void {
  writeFileSync(o.out, `${JSON.stringify(out, null, 1)}\n`);
}

/** Points of a stored study's complete trials (accuracy and the cost objective). */
function readStudy(json: { trials: { arch: string; values: Record<string, number> }[] }, cost: CostMetric): Point[] {
  return json.trials.map((t) => ({ arch: t.arch, accuracy: t.values.accuracy as number, [cost]: t.values[cost] as number }));
}

/** The `hwnas nas` study name of one arm (the size_kb names are those of sessions 28-30). */
export function studyName(
  o: Pick<BompOptions, 'budget' | 'limit' | 'epochs' | 'qaftEpochs' | 'strategy' | 'jointPrecisions' | 'precisions' | 'cost'>,
  method: Method,
  seed: number,
): string {
  const labels = method !== 'float' && o.jointPrecisions === 'same' ? `-p${o.precisions.join('.')}` : '';
  const cost = o.cost === 'size_kb' ? '' : `-${o.cost}`;
  return `bomp-${method}-s${seed}-b${o.budget}-l${o.limit}-e${o.epochs}-q${o.qaftEpochs}-${o.strategy}${labels}${cost}`;
}

/** Runs (or continues) one search through the CLI; returns its points, stored trial times and CPU seconds. */
function runSearch(o: BompOptions, method: Method, seed: number, prev: SearchRecord | undefined): SearchRecord {
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/hwnas.js');
  const args = [
    bin,
    'nas',
    '--space',
    method === 'float' ? 'mbv2-micro' : 'mbv2-micro+bits',
    '--dataset',
    'fashion-mnist',
    '--limit',
    String(o.limit),
    '--epochs',
    String(o.epochs),
    '--strategy',
    o.strategy,
    '--budget',
    String(o.budget),
    '--objectives',
    `accuracy:max,${o.cost}:min`,
    '--target',
    o.target,
    '--seed',
    String(seed),
    '--store',
    o.store,
    '--study',
    studyName(o, method, seed),
    ...(method === 'qaft' ? ['--qaft-epochs', String(o.qaftEpochs)] : method === 'ptq' ? ['--ptq'] : []),
    ...(method !== 'float' && o.jointPrecisions === 'same' ? ['--precisions', o.precisions.join(',')] : []),
    '--json',
  ];
  const timeFile = `${o.out}.time`;
  const t = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', '-o', timeFile, process.execPath, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const cpuLine = existsSync(timeFile) ? /CPU ([0-9.]+) ([0-9.]+)/.exec(readFileSync(timeFile, 'utf8')) : null;
  if (t.status !== 0 || !cpuLine) throw new Error(`hwnas nas (${method}, seed ${seed}) failed with exit ${t.status}`);
  const cpu = Number(cpuLine[1]) + Number(cpuLine[2]);
  const json = JSON.parse(t.stdout) as { trials: { arch: string; values: Record<string, number> }[]; study?: string };
  const points = readStudy(json, o.cost);
  // trial wall times from the store
  const name = args[args.indexOf('--study') + 1] as string;
  const py = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      'import sqlite3,sys,datetime\nc=sqlite3.connect(sys.argv[1])\nf=lambda s: datetime.datetime.fromisoformat(s.replace("Z","+00:00"))\nrows=c.execute("select t.started_at,t.finished_at from trials t join studies s on s.id=t.study_id where s.name=? and t.state=\'complete\'",(sys.argv[2],)).fetchall()\nprint(sum((f(b)-f(a)).total_seconds() for a,b in rows))',
      o.store,
      name,
    ],
    { encoding: 'utf8' },
  );
  const wall = Number(py.stdout.trim());
  // a fresh invocation on a finished study costs only start-up: keep the CPU of the invocations that ran trials
  const ranTrials = !prev || prev.points.length < points.length;
  return { points, trialWallS: Number.isFinite(wall) ? wall : Number.NaN, cpuS: (prev?.cpuS ?? 0) + (ranTrials ? cpu : 0), study: name };
}

/** Non-dominated points (accuracy max, cost min; default cost size_kb). */
function front<P extends Point>(points: readonly P[], cost: CostMetric = 'size_kb'): P[] {
  const c = (p: Point): number => costOf(p, cost);
  return points.filter((p) => !points.some((q) => q !== p && q.accuracy >= p.accuracy && c(q) <= c(p) && (q.accuracy > p.accuracy || c(q) < c(p))));
}

/**
 * Step (c)'s record of `arch` at `seed` in an earlier out file, when it was made with the same data (`limit`), recipe
 * (`epochs`, `qaftEpochs`), target and labels (`precisions`, in order) and has the cost objective on every point;
 * null otherwise. Step (c) trains and fine-tunes from `seed` alone, so such a record is what a rerun would compute.
 */
export function reusableQuantRecord(
  earlier: { settings: Record<string, unknown>; seeds: Record<string, { quantized?: readonly QuantRecord[] }> },
  o: Pick<BompOptions, 'limit' | 'epochs' | 'qaftEpochs' | 'target' | 'precisions' | 'cost'>,
  seed: number,
  arch: string,
): QuantRecord | null {
  const s = earlier.settings;
  const same =
    s.limit === o.limit &&
    s.epochs === o.epochs &&
    s.qaftEpochs === o.qaftEpochs &&
    s.target === o.target &&
    JSON.stringify(s.precisions) === JSON.stringify(o.precisions);
  if (!same) return null;
  const r = earlier.seeds[String(seed)]?.quantized?.find((q) => q.arch === arch);
  if (!r || r.points.length !== o.precisions.length) return null;
  const ok = o.precisions.every((prec, i) => r.points[i]?.arch === `${arch}@${prec}` && Number.isFinite(costOf(r.points[i] as Point, o.cost)));
  return ok ? r : null;
}

/** Step (c): the float front's architectures (all, or the `quantizeTop` most accurate), trained in float once, quantized to each uniform precision with QAFT. */
async function quantizeFloatFront(o: BompOptions, seed: number, rec: SeedRecord, save_: () => void): Promise<void> {
  const float = rec.search.float;
  if (!float) return;
  const picks = front(float.points, o.cost)
    .sort((a, b) => b.accuracy - a.accuracy)
    .slice(0, o.quantizeTop);
  let todo = picks.filter((p) => !rec.quantized.some((q) => q.arch === p.arch));
  if (o.reuseQuantized && todo.length > 0) {
    const earlier = JSON.parse(readFileSync(o.reuseQuantized, 'utf8')) as Parameters<typeof reusableQuantRecord>[0];
    for (const p of todo) {
      const r = reusableQuantRecord(earlier, o, seed, p.arch);
      if (!r) continue;
      rec.quantized.push({ ...r, reusedFrom: o.reuseQuantized });
      log(`seed ${seed} float->quantize ${p.arch}: copied from ${o.reuseQuantized}`);
    }
    todo = todo.filter((p) => !rec.quantized.some((q) => q.arch === p.arch));
    save_();
  }
  if (todo.length === 0) return;
  await initEngine();
  const space = getArchSpace('mbv2-micro');
  const joint = getArchSpace('mbv2-micro+bits') as ReturnType<typeof getArchSpace> & { policy: (j: unknown, g: unknown) => unknown };
  const target = getTarget(o.target);
  const d = nasDatasetOptions('fashion-mnist', o.limit, { size: 28, channels: 1 });
  const ds = await loadDataset(d.spec, d.options);
  for (const p of todo) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const a = space.parse(p.arch);
    const size = (a as { inputSize?: number }).inputSize ?? 28;
    const graph = space.graph(a, { inputSize: size, inChannels: 1, classes: 10 });
    const trainData = resizeSplit(ds.train, ds.shape, size);
    const valData = resizeSplit(ds.val, ds.shape, size);
    const em = buildModel({ graph, weights: initWeights(graph, new Rng(seed)) });
    await train(em, trainData, { epochs: o.epochs, batchSize: 64, seed, workers: 1 });
    const trained = em.toModel();
    const floatAccuracy = em.evaluate(valData.x, valData.y, valData.n).accuracy;
    em.dispose();
    const points: Point[] = [];
    for (const prec of o.precisions) {
      const slots = space.slots();
      const jp = joint.parse(`${p.arch}@${slots.map(() => prec).join(',')}`);
      const policy = joint.policy(jp, graph) as Parameters<typeof scoreUnderPolicy>[1];
      const q = buildModel({ graph, weights: trained.weights });
      try {
        const s = await scoreUnderPolicy(q, policy, trainData, valData, { seed, qaftEpochs: o.qaftEpochs, batchSize: 64, workers: 1 });
        const sizeKb = new PolicyCoster(graph, target).policyCost(policy).size / 1024;
        const lat = await archLatencyMs(target, graph, policy as Parameters<typeof archLatencyMs>[2]);
        points.push({
          arch: `${p.arch}@${prec}`,
          accuracy: s.accuracy,
          size_kb: sizeKb,
          latency_ms: lat.latencyMs,
          energy_mj: lat.energyMj,
          float_accuracy: s.floatAccuracy,
        });
        log(`seed ${seed} float->quantize ${p.arch} ${prec}: ${(s.accuracy * 100).toFixed(1)}% at ${sizeKb.toFixed(2)} KB, ${lat.latencyMs.toFixed(4)} ms`);
      } finally {
        q.dispose();
      }
    }
    const c = process.cpuUsage(c0);
    rec.quantized.push({ arch: p.arch, floatAccuracy, points, wallS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6 });
    save_();
  }
}

/**
 * One sampled point of the shared mode: a joint point (architecture + slot precisions) trained in float once;
 * the same float weights scored by PTQ and by QAFT under the point's policy, and kept for step (c).
 */
interface SharedRecord {
  readonly index: number;
  readonly arch: string;
  readonly joint: string;
  readonly floatAccuracy: number;
  readonly ptqAccuracy: number;
  readonly qaftAccuracy: number;
  /** Packed size at the point's own policy, and at uniform w8a8 (what a float search optimises as size_kb on the target). */
  readonly sizeKb: number;
  readonly sizeW8a8Kb: number;
  readonly cpuS: { readonly train: number; readonly ptq: number; readonly qaft: number };
}

interface SharedOut {
  readonly settings: Record<string, unknown>;
  seeds: Record<string, { points: SharedRecord[]; quantized: QuantRecord[] }>;
  loadAverages: number[];
  summary?: unknown;
}

const cpuSince = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

/**
 * Shared mode (`--mode shared`): at budgets below BO's start-up phase (10 trials) every strategy here samples
 * at random, so instead of three separate searches the bench samples `budget` joint points per seed once
 * and trains each in float once: (a) scores it with QAFT, (b) with PTQ, (c) the float search sees the float
 * accuracy and the w8a8 size, then its front's `quantizeTop` most accurate architectures are quantized to each
 * uniform precision with QAFT from the same float weights. Search time = the CPU seconds each method would
 * spend (float training + its own scoring; (c): float training + the quantization step), measured per part.
 */
async function benchShared(o: BompOptions): Promise<SharedOut> {
  const out: SharedOut = existsSync(o.out) ? (JSON.parse(readFileSync(o.out, 'utf8')) as SharedOut) : { settings: { ...o }, seeds: {}, loadAverages: [] };
  const doSave = (): void => {
    out.loadAverages.push(loadavg()[0] as number);
    out.summary = summariseShared(o, out);
    writeFileSync(o.out, `${JSON.stringify(out, null, 1)}\n`);
  };
  await initEngine();
  const base = mbv2Space(MBV2_MICRO);
  const joint = jointSpace(base);
  const target = getTarget(o.target);
  const d = nasDatasetOptions('fashion-mnist', o.limit, { size: 28, channels: 1 });
  const ds = await loadDataset(d.spec, d.options);
  const modelDir = `${o.out}.models`;
  mkdirSync(modelDir, { recursive: true });
  for (const seed of o.seeds) {
    const rec = out.seeds[String(seed)] ?? { points: [], quantized: [] };
    out.seeds[String(seed)] = rec;
    const rng = new Rng(seed);
    for (let i = 0; i < o.budget; i++) {
      const params = joint.space.sample(rng); // drawn for every i, so a resumed run samples the same points
      if (rec.points.some((p) => p.index === i)) continue;
      const j = joint.fromParams(params);
      const size = j.arch.inputSize;
      const graph = base.graph(j.arch, { inputSize: size, inChannels: 1, classes: ds.numClasses });
      const policy = joint.policy(j, graph);
      const w8 = joint.policy({ arch: j.arch, bits: Object.fromEntries(base.slots().map((s) => [s, 'w8a8'])) }, graph);
      const trainData = resizeSplit(ds.train, ds.shape, size);
      const valData = resizeSplit(ds.val, ds.shape, size);
      const trialSeed = seed * 1000 + i;
      let c0 = process.cpuUsage();
      const em = buildModel({ graph, weights: initWeights(graph, new Rng(trialSeed)) });
      await train(em, trainData, { epochs: o.epochs, batchSize: 64, seed: trialSeed, workers: 1 });
      const trained = em.toModel();
      const floatAccuracy = em.evaluate(valData.x, valData.y, valData.n).accuracy;
      em.dispose();
      const cTrain = cpuSince(c0);
      saveModel(trained, `${modelDir}/s${seed}-${i}.json`);
      const score = async (scoring: 'ptq' | 'qaft'): Promise<[number, number]> => {
        c0 = process.cpuUsage();
        const q = buildModel({ graph, weights: trained.weights });
        try {
          const r = await scoreUnderPolicy(q, policy, trainData, valData, { seed: trialSeed, scoring, qaftEpochs: o.qaftEpochs, batchSize: 64, workers: 1 });
          return [r.accuracy, cpuSince(c0)];
        } finally {
          q.dispose();
        }
      };
      const [ptqAccuracy, cPtq] = await score('ptq');
      const [qaftAccuracy, cQaft] = await score('qaft');
      const coster = new PolicyCoster(graph, target);
      const r: SharedRecord = {
        index: i,
        arch: base.format(j.arch),
        joint: joint.format(j),
        floatAccuracy,
        ptqAccuracy,
        qaftAccuracy,
        sizeKb: coster.policyCost(policy).size / 1024,
        sizeW8a8Kb: coster.policyCost(w8).size / 1024,
        cpuS: { train: cTrain, ptq: cPtq, qaft: cQaft },
      };
      rec.points.push(r);
      log(
        `seed ${seed} point ${i + 1}/${o.budget}: ${r.joint} float ${(floatAccuracy * 100).toFixed(1)}% ptq ${(ptqAccuracy * 100).toFixed(1)}% qaft ${(qaftAccuracy * 100).toFixed(1)}% ${r.sizeKb.toFixed(1)} KB (load ${loadavg()[0]?.toFixed(1)})`,
      );
      doSave();
    }
    // (c): the float search's front (float accuracy, w8a8 size), its most accurate architectures quantized uniformly
    const fl = rec.points.map((p) => ({ arch: p.arch, accuracy: p.floatAccuracy, size_kb: p.sizeW8a8Kb, index: p.index }));
    const picks = front(fl)
      .sort((a, b) => b.accuracy - a.accuracy)
      .slice(0, o.quantizeTop) as (Point & { index: number })[];
    for (const p of picks) {
      if (rec.quantized.some((q) => q.arch === p.arch)) continue;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const a = base.parse(p.arch);
      const graph = base.graph(a, { inputSize: a.inputSize, inChannels: 1, classes: ds.numClasses });
      const trained = loadModel(`${modelDir}/s${seed}-${p.index}.json`);
      const trainData = resizeSplit(ds.train, ds.shape, a.inputSize);
      const valData = resizeSplit(ds.val, ds.shape, a.inputSize);
      const points: Point[] = [];
      for (const prec of o.precisions) {
        const policy = joint.policy({ arch: a, bits: Object.fromEntries(base.slots().map((s) => [s, prec])) }, graph);
        const q = buildModel({ graph, weights: trained.weights });
        try {
          const s = await scoreUnderPolicy(q, policy, trainData, valData, { seed: seed * 1000 + p.index, qaftEpochs: o.qaftEpochs, batchSize: 64, workers: 1 });
          const sizeKb = new PolicyCoster(graph, target).policyCost(policy).size / 1024;
          points.push({ arch: `${p.arch}@${prec}`, accuracy: s.accuracy, size_kb: sizeKb, float_accuracy: s.floatAccuracy });
          log(`seed ${seed} float->quantize ${p.arch} ${prec}: ${(s.accuracy * 100).toFixed(1)}% at ${sizeKb.toFixed(2)} KB`);
        } finally {
          q.dispose();
        }
      }
      rec.quantized.push({ arch: p.arch, floatAccuracy: p.accuracy, points, wallS: (performance.now() - t0) / 1000, cpuS: cpuSince(c0) });
      doSave();
    }
  }
  doSave();
  return out;
}

function summariseShared(o: BompOptions, out: SharedOut): unknown {
  return Object.entries(out.seeds).map(([seed, rec]) => {
    const pts: Record<Method, Point[]> = {
      qaft: rec.points.map((p) => ({ arch: p.joint, accuracy: p.qaftAccuracy, size_kb: p.sizeKb })),
      ptq: rec.points.map((p) => ({ arch: p.joint, accuracy: p.ptqAccuracy, size_kb: p.sizeKb })),
      float: rec.quantized.flatMap((q) => q.points),
    };
    const present = METHODS.filter((m) => pts[m].length > 0);
    const best = (m: Method): number => Math.max(...pts[m].map((p) => p.accuracy));
    const common = present.length > 0 ? Math.min(...present.map(best)) : Number.NaN;
    const sum = (f: (p: SharedRecord) => number): number => rec.points.reduce((a, p) => a + f(p), 0);
    const qCpu = rec.quantized.reduce((a, q) => a + q.cpuS, 0);
    return {
      seed: Number(seed),
      points: rec.points.length,
      bestAccuracy: Object.fromEntries(present.map((m) => [m, best(m)])),
      fronts: Object.fromEntries(present.map((m) => [m, front(pts[m]).sort((a, b) => costOf(a, 'size_kb') - costOf(b, 'size_kb'))])),
      atAccuracy: [common, ...o.thresholds].map((a) => ({ accuracy: a, smallest: Object.fromEntries(present.map((m) => [m, smallestAt(pts[m], a)])) })),
      searchCpuS: {
        qaft: sum((p) => p.cpuS.train + p.cpuS.qaft),
        ptq: sum((p) => p.cpuS.train + p.cpuS.ptq),
        float: sum((p) => p.cpuS.train) + qCpu,
        floatQuantizeStep: qCpu,
      },
    };
  });
}

/** The point of lowest cost (default packed size) among points with accuracy >= a (null when none reaches it). */
export function smallestAt(points: readonly Point[], a: number, cost: CostMetric = 'size_kb'): Point | null {
  const ok = points.filter((p) => p.accuracy >= a - 1e-12 && Number.isFinite(costOf(p, cost))).sort((x, y) => costOf(x, cost) - costOf(y, cost));
  return ok[0] ?? null;
}

function summarise(o: BompOptions, out: OutFile): unknown {
  return Object.entries(out.seeds).map(([seed, rec]) => {
    const pts: Record<Method, Point[]> = {
      qaft: rec.search.qaft?.points ?? [],
      ptq: rec.search.ptq?.points ?? [],
      float: rec.quantized.flatMap((q) => q.points),
    };
    const present = METHODS.filter((m) => pts[m].length > 0);
    const common = present.length > 0 ? Math.min(...present.map((m) => Math.max(...pts[m].map((p) => p.accuracy)))) : Number.NaN;
    const thresholds = [common, ...o.thresholds];
    const time = Object.fromEntries(
      METHODS.map((m) => {
        const s = rec.search[m];
        const qW = m === 'float' ? rec.quantized.reduce((x, q) => x + q.wallS, 0) : 0;
        const qC = m === 'float' ? rec.quantized.reduce((x, q) => x + q.cpuS, 0) : 0;
        const reused = m === 'float' ? rec.quantized.filter((q) => q.reusedFrom !== undefined).length : 0;
        return [
          m,
          s
            ? {
                trials: s.points.length,
                trialWallS: s.trialWallS + qW,
                cpuS: s.cpuS + qC,
                quantizeStepCpuS: m === 'float' ? qC : 0,
                quantizeStepReusedNets: reused,
              }
            : null,
        ];
      }),
    );
    return {
      seed: Number(seed),
      bestAccuracy: Object.fromEntries(present.map((m) => [m, Math.max(...pts[m].map((p) => p.accuracy))])),
      atAccuracy: thresholds.map((a) => ({
        accuracy: a,
        smallest: Object.fromEntries(present.map((m) => [m, smallestAt(pts[m], a, o.cost)])),
      })),
      time,
    };
  });
}

/** Runs what is missing of the figure and writes `o.out` after every step. */
export async function benchBomp(o: BompOptions): Promise<OutFile> {
  const settings = { ...o };
  const out: OutFile = existsSync(o.out) ? (JSON.parse(readFileSync(o.out, 'utf8')) as OutFile) : { settings, seeds: {}, loadAverages: [] };
  const doSave = (): void => {
    out.loadAverages.push(loadavg()[0] as number);
    out.summary = summarise(o, out);
    save(o, out);
  };
  for (const seed of o.seeds) {
    const rec: SeedRecord = out.seeds[String(seed)] ?? { search: {}, quantized: [] };
    out.seeds[String(seed)] = rec;
    for (const m of o.methods) {
      const prev = rec.search[m];
      if (prev && prev.points.length >= o.budget) continue;
      log(`seed ${seed}: ${m} search (${o.strategy}, ${o.budget} trials; load ${loadavg()[0]?.toFixed(1)})`);
      rec.search[m] = runSearch(o, m, seed, prev);
      log(`seed ${seed}: ${m} done, ${rec.search[m]?.points.length} trials, ${rec.search[m]?.cpuS.toFixed(0)} CPU-s`);
      doSave();
      if (m === 'float') {
        log(
          `seed ${seed}: quantizing ${Number.isFinite(o.quantizeTop) ? `the float front's ${o.quantizeTop} most accurate architectures` : 'every architecture of the float front'}`,
        );
        await quantizeFloatFront(o, seed, rec, doSave);
      }
    }
    if (o.methods.includes('float')) await quantizeFloatFront(o, seed, rec, doSave);
    doSave();
  }
  return out;
}

function jointPrecisionsArg(v: string | undefined): 'same' | 'all' {
  if (v === undefined || v === 'same' || v === 'all') return v ?? 'same';
  throw new Error(`--joint-precisions ${v}: expected same or all`);
}

function costArg(v: string | undefined): CostMetric {
  if (v === undefined) return 'size_kb';
  if ((COST_METRICS as readonly string[]).includes(v)) return v as CostMetric;
  throw new Error(`--cost ${v}: expected one of ${COST_METRICS.join(', ')}`);
}

/** Options from the command line (an Error naming the bad value on bad input). */
export function parseArgs(argv: readonly string[]): BompOptions {
  const get = (k: string): string | undefined => {
    const i = argv.indexOf(`--${k}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (k: string, d: number): number => {
    const v = get(k);
    const n = v === undefined ? d : Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${k} ${v}: expected a number`);
    return n;
  };
  const list = (k: string, d: string): string[] => (get(k) ?? d).split(',').filter((s) => s !== '');
  const methods = list('methods', 'qaft,ptq,float') as Method[];
  for (const m of methods) if (!METHODS.includes(m)) throw new Error(`--methods: '${m}' is not one of ${METHODS.join(', ')}`);
  const mode = get('mode') === 'shared' ? 'shared' : 'cli';
  const cost = costArg(get('cost'));
  if (mode === 'shared' && cost !== 'size_kb') throw new Error(`--cost ${cost}: --mode shared measures size_kb only (use --mode cli)`);
  const reuse = get('reuse-quantized');
  if (reuse !== undefined && !existsSync(reuse)) throw new Error(`--reuse-quantized ${reuse}: no such file (expected an earlier --out JSON)`);
  return {
    seeds: list('seeds', '1').map(Number),
    budget: num('budget', 16),
    limit: num('limit', 2000),
    epochs: num('epochs', 3),
    qaftEpochs: num('qaft-epochs', 1),
    strategy: get('strategy') ?? 'bo',
    quantizeTop: get('quantize-top') === undefined || get('quantize-top') === 'front' ? Number.POSITIVE_INFINITY : num('quantize-top', 3),
    precisions: list('precisions', 'w8a8,w4a8,w2a8'),
    jointPrecisions: jointPrecisionsArg(get('joint-precisions')),
    thresholds: list('thresholds', '').map(Number),
    cost,
    target: get('target') ?? 'bitfusion-edge',
    store: get('store') ?? '/tmp/bomp.sqlite',
    out: get('out') ?? '/tmp/bomp.json',
    methods,
    mode,
    ...(reuse !== undefined ? { reuseQuantized: reuse } : {}),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let o: BompOptions;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bomp: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const r = o.mode === 'shared' ? await benchShared(o) : await benchBomp(o);
  process.stdout.write(`${JSON.stringify({ settings: o, summary: r.summary, loadAverages: r.loadAverages }, null, 1)}\n`);
}
