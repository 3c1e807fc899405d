/**
 * Builds a tabular NAS benchmark for the NB201 cell space from our own measurements, then compares
 * search strategies on it and reports how many measured architectures the predictors need
 * (method and figures in docs/nas-table.md).
 *
 * Columns (all 15,625 cells; network at the Fashion-MNIST input 1x28x28, N=5, C=16, 10 classes):
 * - `latency_ms`: bitfusion-edge (analytical model), w8a8, computed for every computation class;
 * - `host_ms`: onnxruntime-node (1 thread, batch 1, median of 15 runs) measured on `hostSample` cells;
 *   the others predicted by an architecture-level GBDT fitted on those measurements (`host_measured`);
 * - `accuracy`: a surrogate of Fashion-MNIST test accuracy after a short real training of a reduced
 *   network (N=1, C=8, 16x16 input, `trainImages` images, `epochs` epochs, tested on `testImages`
 *   images), fitted on `trainSample` trained computation classes (GBDT or ridge on features of the
 *   class's cell, chosen by cross-validation) and given for every cell; `acc_trained` holds the measured
 *   mean where the class was trained (`acc_measured` = 1), else the surrogate. The values model our short
 *   trainings, not fully trained networks: the table is a benchmark for search algorithms;
 * - `macs`, `params` of the N=5 network.
 * Cells that compute the same function (see `nb201Classes`) share every value.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/nas-table.js [--quick] [--out bench/nb201-fmnist.csv]
 * [--measurements m.json] [--phase measure|table|compare|all] [--train-minutes 30] [--seeds 1,2,3] [--repeat 16]
 * [--host-sample 80] [--strategies random,nsga2,...] [--metrics latency_ms,host_ms] [--result figures.json]
 * [--recipe JSON] [--train-sample 400] [--train-offset 0] [--host-from table.csv]`.
 * `--measurements` keeps the raw trainings and host timings in a JSON file, written after every cell,
 * so that a run resumes where it stopped and `--phase table` rebuilds the table without retraining;
 * `--phase compare` reruns the strategy comparison on the table file given by `--out`.
 * `--recipe '{"testImages":10000}'` changes the accuracy recipe (a measurements file holds one recipe);
 * `--train-sample N` / `--train-offset K` train classes K..K+N-1 of the sampling order, so that several
 * processes can fill separate measurements files, which `--phase table --measurements a.json,b.json` merges;
 * `--host-from table.csv` reuses that table's measured host timings instead of timing again.
 * Trainings are deterministic given (class, seed): rerunning one reproduces its accuracy exactly.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { buildModel, initEngine, train } from '../src/engine/index.js';
import { uniformPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { initWeights } from '../src/ir/init.js';
import type { Graph } from '../src/ir/types.js';
import { graphTotals } from '../src/ir/workload.js';
import { type ArchPredictor, archFeatures, fitArchPredictor, kendallTau } from '../src/nas/cost.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { runNas, tableHv } from '../src/nas/run.js';
import { createNasStrategy } from '../src/nas/strategy-config.js';
import { distinctComputations, loadNasTable, NasTable, nb201Classes, saveNasTable, tabularEvaluator } from '../src/nas/tabular.js';
import { createSession, exportOnnx, timeOnnx } from '../src/onnx/index.js';
import { formatNb201, NB201_EDGES, type Nb201Cell, nb201Graph, nb201Space, nb201ZeroNodes } from '../src/search/spaces/nb201.js';
import type { Params } from '../src/search/types.js';
import { Rng } from '../src/util/rng.js';

/** The short-training recipe of the accuracy column. */
export interface AccuracyRecipe {
  readonly inputSize: number;
  readonly channels: number;
  readonly cellsPerStage: number;
  readonly trainImages: number;
  readonly testImages: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
}

/** Default recipe: N=1, C=8, 16x16, 3000 images x 2 epochs, batch 32, Adam 5e-3 cosine, tested on 3000. */
export const DEFAULT_RECIPE: AccuracyRecipe = {
  inputSize: 16,
  channels: 8,
  cellsPerStage: 1,
  trainImages: 3000,
  testImages: 3000,
  epochs: 2,
  batchSize: 32,
  lr: 5e-3,
};

/** Raw measurements (the slow part), kept in a JSON file so that runs resume. */
export interface Measurements {
  readonly recipe: AccuracyRecipe;
  /** Host latency (ms) by canonical arch. */
  readonly host: Record<string, number>;
  /** Test accuracy by canonical arch, then by training seed. */
  readonly acc: Record<string, Record<string, number>>;
  /** Test accuracy on the first 3,000 test images only, where `testImages` is larger (to see how much of the seed noise is the test set's size). */
  acc3k?: Record<string, Record<string, number>>;
  /** Seconds of each training, and the load average when it ended. */
  readonly trainLog: { arch: string; seed: number; seconds: number; load1: number; cpuSeconds?: number }[];
  hostSeconds?: number;
  hostLoad1?: number;
}

/** Options of {@link benchNasTable}. */
export interface NasTableBenchOptions {
  /** Computation classes measured on the host with onnxruntime (default 80). */
  readonly hostSample?: number;
  /** Computation classes trained on Fashion-MNIST (default 400; the time limit usually stops earlier). */
  readonly trainSample?: number;
  /** Of those, how many are trained with a second seed to measure seed noise (default 16). */
  readonly repeatSample?: number;
  /** Start at this position of the class sampling order (default 0), so that several processes can measure disjoint classes into separate files. */
  readonly trainOffset?: number;
  /** Stop starting new trainings after this many minutes (default 30). */
  readonly trainMinutes?: number;
  readonly recipe?: Partial<AccuracyRecipe>;
  /** Search budget and seeds of the strategy comparison (default 300 and [1, 2, 3]). */
  readonly budget?: number;
  readonly seeds?: readonly number[];
  /** 'measure' stops after the measurements; 'table' builds the table from stored measurements and stops; 'compare' loads the table from `out` and compares the strategies (default 'all'). */
  readonly phase?: 'measure' | 'table' | 'compare' | 'all';
  /** Strategies (a `+distinct` suffix wraps one in `distinctComputations`) and hardware columns of the comparison (default all five, latency_ms and host_ms). */
  readonly strategies?: readonly string[];
  readonly metrics?: readonly string[];
  /** Called with the figures so far (after the table and after every strategy). */
  readonly onFigures?: (f: Record<string, unknown>) => void;
  /** JSON file of the raw measurements (read to resume, written after every cell). */
  readonly measurements?: string;
  /** A table (CSV) whose measured host timings (`host_measured` = 1) are reused instead of timing again. */
  readonly hostFrom?: string;
  /** Where to write the table (CSV); default none. */
  readonly out?: string;
  readonly log?: (s: string) => void;
}

const shuffled = (seed: number, n: number): number[] => new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
const mean = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const std = (v: readonly number[]): number => {
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, v.length - 1));
};

/** Per-cell features beyond the encoding: live conv3x3 / conv1x1 / pool / skip edges, zero output, conv depth. */
export function cellFeatures(cell: Nb201Cell): number[] {
  const zero = nb201ZeroNodes(cell);
  const used = (k: number): boolean => {
    const op = cell[k];
    const f = (NB201_EDGES[k] as readonly [number, number])[1];
    return op !== 'none' && !(zero[f] && (op === 'skip_connect' || op === 'avg_pool_3x3'));
  };
  const live = [false, false, false, !zero[3]];
  for (let i = 2; i >= 0; i--) live[i] = NB201_EDGES.some(([t, f], k) => f === i && live[t] && used(k));
  const count = { nor_conv_3x3: 0, nor_conv_1x1: 0, avg_pool_3x3: 0, skip_connect: 0 } as Record<string, number>;
  const depth = [0, -Infinity, -Infinity, -Infinity];
  let direct = 0;
  NB201_EDGES.forEach(([t, f], k) => {
    if (!used(k) || !live[t]) return;
    const op = cell[k] as string;
    count[op] = (count[op] ?? 0) + 1;
    depth[t] = Math.max(depth[t] as number, (zero[f] ? 0 : (depth[f] as number)) + (op.startsWith('nor_conv') ? 1 : 0));
    if (t === 3 && f === 0) direct = 1;
  });
  return [
    count.nor_conv_3x3 ?? 0,
    count.nor_conv_1x1 ?? 0,
    count.avg_pool_3x3 ?? 0,
    count.skip_connect ?? 0,
    zero[3] ? 1 : 0,
    Math.max(0, depth[3] as number),
    direct,
  ];
}

/** Top-1 accuracy of logits over all `n` rows, and over the first `sub` rows. */
function testAccuracy(logits: Float32Array, y: ArrayLike<number>, n: number, sub: number): [number, number] {
  const k = logits.length / n;
  let correct = 0;
  let correctSub = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if ((logits[i * k + j] as number) > (logits[i * k + best] as number)) best = j;
    if (best === y[i]) {
      correct++;
      if (i < sub) correctSub++;
    }
  }
  return [correct / n, correctSub / Math.min(sub, n)];
}

/** Held-out Kendall tau of a log-target GBDT fitted on the first k rows, for several k. */
function tauCurve(features: number[][], y: number[], ks: readonly number[], test: number): { samples: number; tau: number }[] {
  const fx = features.slice(features.length - test);
  const fy = y.slice(y.length - test);
  return ks
    .filter((k) => k <= features.length - test)
    .map((k) => {
      const p = fitArchPredictor(features.slice(0, k), y.slice(0, k), { seed: 1 });
      return {
        samples: k,
        tau: kendallTau(
          fy,
          fx.map((f) => p.predict(f)),
        ),
      };
    });
}

/** Accuracy predictor: GBDT on log error (1 - accuracy + 1e-3), returning accuracy. */
function fitAccuracy(features: number[][], acc: number[], opts: Record<string, number> = {}): (f: number[]) => number {
  const p: ArchPredictor = fitArchPredictor(
    features,
    acc.map((a) => 1 - a + 1e-3),
    { seed: 1, rounds: 150, learningRate: 0.05, maxDepth: 3, minLeaf: 3, ...opts },
  );
  return (f) => 1 + 1e-3 - p.predict(f);
}

/** Ridge regression of accuracy on standardised features (a linear model for small samples). */
export function fitRidge(features: number[][], acc: number[], lambda = 1): (f: number[]) => number {
  const d = (features[0] as number[]).length;
  const mu = Array.from({ length: d }, (_, j) => mean(features.map((f) => f[j] as number)));
  const sd = Array.from({ length: d }, (_, j) => std(features.map((f) => f[j] as number)) || 1);
  const z = (f: number[]): number[] => f.map((v, j) => (v - (mu[j] as number)) / (sd[j] as number));
  const ym = mean(acc);
  // Normal equations (Z'Z + lambda I) w = Z'(y - ym), solved by Gaussian elimination with pivoting.
  const a = Array.from({ length: d }, (_, i) => Array.from({ length: d + 1 }, (_, j) => (j === i ? lambda : 0)));
  features.forEach((f, r) => {
    const x = z(f);
    for (let i = 0; i < d; i++) {
      const row = a[i] as number[];
      for (let j = 0; j < d; j++) row[j] = (row[j] as number) + (x[i] as number) * (x[j] as number);
      row[d] = (row[d] as number) + (x[i] as number) * ((acc[r] as number) - ym);
    }
  });
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs((a[r] as number[])[c] as number) > Math.abs((a[p] as number[])[c] as number)) p = r;
    [a[c], a[p]] = [a[p] as number[], a[c] as number[]];
    const pc = a[c] as number[];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const row = a[r] as number[];
      const k = (row[c] as number) / (pc[c] as number);
      for (let j = c; j <= d; j++) row[j] = (row[j] as number) - k * (pc[j] as number);
    }
  }
  const w = a.map((row, i) => (row[d] as number) / (row[i] as number));
  return (f) => ym + z(f).reduce((s, v, j) => s + v * (w[j] as number), 0);
}

/** Accuracy predictors compared by cross-validation on the fitting set (GBDT on all features, ridge on the summary features). */
export const ACC_MODELS: Record<'gbdt' | 'ridge', (x: number[][], y: number[]) => (f: number[]) => number> = {
  gbdt: (x, y) => fitAccuracy(x, y),
  ridge: (x, y) => {
    const tail = (f: number[]): number[] => f.slice(f.length - 10);
    const p = fitRidge(x.map(tail), y);
    return (f) => p(tail(f));
  },
};

/** Mean Kendall tau of k-fold cross-validation (contiguous folds) of a model family. */
export function cvTau(fit: (x: number[][], y: number[]) => (f: number[]) => number, x: number[][], y: number[], folds = 5): number {
  const taus: number[] = [];
  for (let k = 0; k < folds; k++) {
    const lo = Math.floor((k * x.length) / folds);
    const hi = Math.floor(((k + 1) * x.length) / folds);
    if (hi - lo < 3) continue;
    const p = fit([...x.slice(0, lo), ...x.slice(hi)], [...y.slice(0, lo), ...y.slice(hi)]);
    taus.push(kendallTau(y.slice(lo, hi), x.slice(lo, hi).map(p)));
  }
  return mean(taus);
}

/** Builds the table and runs the comparisons; returns every figure. */
export async function benchNasTable(o: NasTableBenchOptions = {}) {
  const log = o.log ?? ((s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`));
  const recipe: AccuracyRecipe = { ...DEFAULT_RECIPE, ...o.recipe };
  const phase = o.phase ?? 'all';
  const space = nb201Space({ inputSize: 28, inChannels: 1 });
  if (phase === 'compare') {
    if (!o.out) throw new Error('phase compare needs the table file (--out)');
    return compareStrategies(loadNasTable(o.out, space), o);
  }
  const t0 = Date.now();
  const classes = nb201Classes();
  const { cells, reps, classOf } = classes;
  const archOf = (i: number): string => formatNb201(cells[i] as Nb201Cell);
  log(`${cells.length} cells in ${reps.length} computation classes (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  // Several comma-separated files (disjoint measurement runs of one recipe) are merged; they can only be read.
  const files = o.measurements?.split(',') ?? [];
  if (files.length > 1 && phase !== 'table') throw new Error(`--measurements ${o.measurements}: several files can only be merged by --phase table`);
  const m: Measurements = { recipe, host: {}, acc: {}, trainLog: [] };
  for (const f of files.filter((x) => existsSync(x))) {
    const x = JSON.parse(readFileSync(f, 'utf8')) as Measurements;
    if (JSON.stringify(x.recipe) !== JSON.stringify(recipe))
      throw new Error(`measurements file ${f} has recipe ${JSON.stringify(x.recipe)}, not ${JSON.stringify(recipe)}`);
    for (const [a, e] of Object.entries(x.acc)) m.acc[a] = { ...m.acc[a], ...e };
    for (const [a, e] of Object.entries(x.acc3k ?? {})) {
      m.acc3k = m.acc3k ?? {};
      m.acc3k[a] = { ...m.acc3k[a], ...e };
    }
    Object.assign(m.host, x.host);
    m.trainLog.push(...x.trainLog);
    if (x.hostSeconds !== undefined) {
      m.hostSeconds = x.hostSeconds;
      if (x.hostLoad1 !== undefined) m.hostLoad1 = x.hostLoad1;
    }
  }

  const save = (): void => {
    if (o.measurements) writeFileSync(o.measurements, `${JSON.stringify(m)}\n`);
  };

  // Class representatives in a seeded random order of cells (so classes are drawn in proportion to their size).
  const classOrder: number[] = [];
  {
    const seen = new Set<number>();
    for (const i of shuffled(13, cells.length)) {
      const c = classOf[i] as number;
      if (!seen.has(c)) {
        seen.add(c);
        classOrder.push(c);
      }
    }
  }

  if (o.hostFrom) {
    const old = loadNasTable(o.hostFrom, space);
    // In the timing sample's order (shuffled(12)), so that the host predictor's held-out split is the original one.
    for (const c of shuffled(12, reps.length)) {
      const a = archOf(reps[c] as number);
      const [h, measured] = old.values(a, ['host_ms', 'host_measured']) as [number, number];
      if (measured === 1) m.host[a] = h;
    }
    log(`${Object.keys(m.host).length} host timings taken from ${o.hostFrom}`);
  }
  // 1. host-cpu: onnxruntime measurements of a sample of classes.
  const hostN = o.hostSample ?? 80;
  const hostClasses = shuffled(12, reps.length).slice(0, hostN);
  if (phase !== 'table') {
    const t1 = Date.now();
    let done = 0;
    for (const c of hostClasses) {
      const i = reps[c] as number;
      const a = archOf(i);
      if (m.host[a] !== undefined) continue;
      const g = nb201Graph(cells[i] as Nb201Cell, { inputSize: 28, inChannels: 1 });
      const s = await createSession(exportOnnx({ graph: g, weights: initWeights(g, new Rng(i)) }), { threads: 1 });
      m.host[a] = (await timeOnnx(s, 1, { warmup: 3, repeats: 15 })).medianMs;
      await s.session.release();
      done++;
    }
    if (done > 0) {
      m.hostSeconds = (Date.now() - t1) / 1000;
      m.hostLoad1 = loadavg()[0] as number;
      save();
    }
    log(`onnxruntime host latency of ${hostN} classes (load ${m.hostLoad1?.toFixed(1)}, ${m.hostSeconds?.toFixed(0)} s)`);

    // 2. accuracy: short real trainings of a reduced network, one cell per class, some with two seeds.
    const trainN = o.trainSample ?? 400;
    const repeatN = o.repeatSample ?? 16;
    const deadline = Date.now() + (o.trainMinutes ?? 30) * 60_000;
    await initEngine();
    const ds = await loadDataset('fashion-mnist', { size: recipe.inputSize, channels: 1, limit: { train: recipe.trainImages, test: recipe.testImages } });
    const small = nb201Space({ inputSize: recipe.inputSize, inChannels: 1, cellsPerStage: recipe.cellsPerStage, channels: recipe.channels });
    for (let k = o.trainOffset ?? 0; k < (o.trainOffset ?? 0) + trainN && Date.now() < deadline; k++) {
      const c = classOrder[k] as number;
      const i = reps[c] as number;
      const a = archOf(i);
      for (const seed of k - (o.trainOffset ?? 0) < repeatN ? [1, 2] : [1]) {
        const entry = m.acc[a] ?? {};
        m.acc[a] = entry;
        if (entry[String(seed)] !== undefined) continue;
        const g = small.graph(cells[i] as Nb201Cell);
        const em = buildModel({ graph: g, weights: initWeights(g, new Rng(seed * 100_003 + i)) });
        const t2 = Date.now();
        const cpu0 = process.cpuUsage();
        try {
          await train(em, ds.train, { epochs: recipe.epochs, batchSize: recipe.batchSize, seed, workers: 1, lr: recipe.lr });
          const [all, first] = testAccuracy(em.predict(ds.test.x, ds.test.n), ds.test.y, ds.test.n, 3000);
          entry[String(seed)] = all;
          if (ds.test.n > 3000) {
            m.acc3k = m.acc3k ?? {};
            const sub = m.acc3k[a] ?? {};
            m.acc3k[a] = sub;
            sub[String(seed)] = first;
          }
        } finally {
          em.dispose();
        }
        const cpu = process.cpuUsage(cpu0);
        m.trainLog.push({ arch: a, seed, seconds: (Date.now() - t2) / 1000, load1: loadavg()[0] as number, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
        save();
        log(
          `trained #${k} seed ${seed} ${a}: ${(entry[String(seed)] as number).toFixed(4)} (${((Date.now() - t2) / 1000).toFixed(1)} s, load ${loadavg()[0]?.toFixed(1)})`,
        );
      }
    }
  }
  const trainedArchs = Object.keys(m.acc).filter((a) => m.acc[a]?.['1'] !== undefined);
  const trainSeconds = m.trainLog.reduce((s, t) => s + t.seconds, 0);
  log(`${trainedArchs.length} classes trained, ${m.trainLog.length} trainings, ${(trainSeconds / 60).toFixed(1)} min`);
  if (phase === 'measure') return { classes: reps.length, trained: trainedArchs.length, trainings: m.trainLog.length, trainMinutes: trainSeconds / 60 };

  // 3. Seed noise against the spread across cells.
  const pairs = trainedArchs.filter((a) => m.acc[a]?.['2'] !== undefined).map((a) => [m.acc[a]?.['1'] as number, m.acc[a]?.['2'] as number] as const);
  const accOf = (a: string): number => mean(Object.values(m.acc[a] ?? {}));
  const accAll = trainedArchs.map(accOf);
  const noise = {
    repeatedCells: pairs.length,
    seedStd: pairs.length > 0 ? Math.sqrt(mean(pairs.map(([x, y]) => (x - y) ** 2)) / 2) : Number.NaN,
    repeatedCellsStd: pairs.length > 1 ? std(pairs.map(([x, y]) => (x + y) / 2)) : Number.NaN,
    allCellsStd: std(m.trainLog.filter((t) => t.seed === 1).map((t) => m.acc[t.arch]?.['1'] as number)),
    seedToSeedTau:
      pairs.length > 1
        ? kendallTau(
            pairs.map((p) => p[0]),
            pairs.map((p) => p[1]),
          )
        : Number.NaN,
    seedToSeedPearson: 0,
  };
  if (pairs.length > 2) {
    const xs = pairs.map((p) => p[0]);
    const ys = pairs.map((p) => p[1]);
    const mx = mean(xs);
    const my = mean(ys);
    const cov = mean(xs.map((x, i) => (x - mx) * ((ys[i] as number) - my)));
    noise.seedToSeedPearson = cov / (Math.sqrt(mean(xs.map((x) => (x - mx) ** 2))) * Math.sqrt(mean(ys.map((y) => (y - my) ** 2))));
  }
  log(`seed noise: ${JSON.stringify(noise)}`);

  // 4. Features of every class representative; bitfusion-edge latency, sizes.
  const t3 = Date.now();
  const smallOpts = { inputSize: recipe.inputSize, inChannels: 1, cellsPerStage: recipe.cellsPerStage, channels: recipe.channels };
  const smallSpace = nb201Space(smallOpts);
  const bf = getTarget('bitfusion-edge');
  const w8a8 = uniformPolicy(8, 8);
  const latency: number[] = [];
  const macs: number[] = [];
  const params: number[] = [];
  const fullFeat: number[][] = [];
  const accFeat: number[][] = [];
  const repArch: string[] = [];
  reps.forEach((i) => {
    const cell = cells[i] as Nb201Cell;
    const a = archOf(i);
    repArch.push(a);
    const g: Graph = nb201Graph(cell, { inputSize: 28, inChannels: 1 });
    latency.push(bf.networkCost(g, w8a8).latencyMs);
    const t = graphTotals(g);
    macs.push(t.macs);
    params.push(t.params);
    fullFeat.push(archFeatures(space, a, g));
    accFeat.push([...archFeatures(smallSpace, a, nb201Graph(cell, smallOpts)), ...cellFeatures(cell)]);
  });
  const classIdx = new Map(repArch.map((a, c) => [a, c]));
  log(`bitfusion-edge latency and features of ${reps.length} classes in ${((Date.now() - t3) / 1000).toFixed(1)} s`);
  const bfOrder = shuffled(11, reps.length).slice(0, 2000);
  const bfTau = tauCurve(
    bfOrder.map((c) => fullFeat[c] as number[]),
    bfOrder.map((c) => latency[c] as number),
    [10, 20, 40, 80, 160, 320],
    1000,
  );
  log(`bitfusion-edge predictor tau by samples: ${bfTau.map((x) => `${x.samples}:${x.tau.toFixed(3)}`).join(' ')}`);

  // 5. host predictor.
  const hostArchs = Object.keys(m.host).filter((a) => classIdx.has(a));
  const hostFeat = hostArchs.map((a) => fullFeat[classIdx.get(a) as number] as number[]);
  const hostY = hostArchs.map((a) => m.host[a] as number);
  const hostTest = Math.max(10, Math.round(hostArchs.length / 4));
  const hostTau = tauCurve(hostFeat, hostY, [5, 10, 20, 40, 80, 160], hostTest);
  log(`host-cpu predictor tau by samples (held-out ${hostTest}): ${hostTau.map((x) => `${x.samples}:${x.tau.toFixed(3)}`).join(' ')}`);
  const hostPred = fitArchPredictor(hostFeat, hostY, { seed: 1 });
  const hostMacsTau = kendallTau(
    hostY,
    hostArchs.map((a) => macs[classIdx.get(a) as number] as number),
  );

  // 6. accuracy predictor (held-out tau on the last quarter of the trained classes in sampling order).
  const trainedOrder = classOrder.map((c) => repArch[c] as string).filter((a) => m.acc[a]?.['1'] !== undefined);
  const aFeat = trainedOrder.map((a) => accFeat[classIdx.get(a) as number] as number[]);
  const aY = trainedOrder.map(accOf);
  const accTest = Math.max(10, Math.round(trainedOrder.length / 4));
  const nFit = trainedOrder.length - accTest;
  // Model choice by 5-fold CV on the fitting set only; the held-out quarter is never used to choose.
  const cv = Object.fromEntries(Object.entries(ACC_MODELS).map(([k, f]) => [k, cvTau(f, aFeat.slice(0, nFit), aY.slice(0, nFit))])) as Record<
    keyof typeof ACC_MODELS,
    number
  >;
  const accModel: keyof typeof ACC_MODELS = cv.ridge > cv.gbdt ? 'ridge' : 'gbdt';
  const heldOut = Object.fromEntries(
    Object.entries(ACC_MODELS).map(([k, f]) => [k, kendallTau(aY.slice(nFit), aFeat.slice(nFit).map(f(aFeat.slice(0, nFit), aY.slice(0, nFit))))]),
  ) as Record<keyof typeof ACC_MODELS, number>;
  const accTauCurve = [10, 20, 40, 80, 160, 320, nFit]
    .filter((k, j, arr) => k <= nFit && arr.indexOf(k) === j)
    .map((k) => {
      const p = ACC_MODELS[accModel](aFeat.slice(0, k), aY.slice(0, k));
      return { samples: k, tau: kendallTau(aY.slice(nFit), aFeat.slice(nFit).map(p)) };
    });
  const accTau = heldOut[accModel];
  const paramsTau = kendallTau(
    aY.slice(nFit),
    trainedOrder.slice(nFit).map((a) => params[classIdx.get(a) as number] as number),
  );
  // The ceiling: how well one training ranks the held-out classes against a second training (where two seeds exist).
  const heldPairs = trainedOrder.slice(nFit).filter((a) => m.acc[a]?.['2'] !== undefined);
  const heldOutSeedTau =
    heldPairs.length > 2
      ? kendallTau(
          heldPairs.map((a) => m.acc[a]?.['1'] as number),
          heldPairs.map((a) => m.acc[a]?.['2'] as number),
        )
      : Number.NaN;
  // Held-out tau of the chosen model when only seed 1 of the held-out classes is the label (what one training would give).
  const heldOutTauSeed1 = kendallTau(
    trainedOrder.slice(nFit).map((a) => m.acc[a]?.['1'] as number),
    aFeat.slice(nFit).map(ACC_MODELS[accModel](aFeat.slice(0, nFit), aY.slice(0, nFit))),
  );
  // Repeated random 75/25 splits of all trained classes (the fixed split's tau has a standard error of ~0.1).
  const splitRng = new Rng(7);
  const splitTaus: Record<string, number[]> = { gbdt: [], ridge: [], params: [] };
  for (let r = 0; r < 40; r++) {
    const idx = splitRng.shuffle(Array.from({ length: trainedOrder.length }, (_, i) => i));
    const te = idx.slice(0, accTest);
    const tr = idx.slice(accTest);
    const ty = te.map((i) => aY[i] as number);
    for (const k of ['gbdt', 'ridge'] as const) {
      const p = ACC_MODELS[k](
        tr.map((i) => aFeat[i] as number[]),
        tr.map((i) => aY[i] as number),
      );
      splitTaus[k]?.push(
        kendallTau(
          ty,
          te.map((i) => p(aFeat[i] as number[])),
        ),
      );
    }
    splitTaus.params?.push(
      kendallTau(
        ty,
        te.map((i) => params[classIdx.get(trainedOrder[i] as string) as number] as number),
      ),
    );
  }
  const randomSplitTau = Object.fromEntries(Object.entries(splitTaus).map(([k, v]) => [k, { mean: mean(v), std: std(v) }]));
  log(
    `accuracy predictor: CV tau ${JSON.stringify(cv)} -> ${accModel}; held-out tau (${accTest} classes) ${JSON.stringify(heldOut)}; by samples ${accTauCurve.map((x) => `${x.samples}:${x.tau.toFixed(3)}`).join(' ')}; params-only tau ${paramsTau.toFixed(3)}; against seed 1 only ${heldOutTauSeed1.toFixed(3)}; seed 1 vs seed 2 on ${heldPairs.length} held-out classes ${heldOutSeedTau.toFixed(3)}; 40 random splits ${JSON.stringify(randomSplitTau)}`,
  );
  const accPred = ACC_MODELS[accModel](aFeat, aY);

  // 7. The table: every cell gets its class's values.
  // `accuracy` is the surrogate for every cell (as NAS-Bench-301 does): mixing ~100 measured values, each
  // with ~1 point of seed noise, into smooth predictions would make the lucky measured cells the Pareto
  // front, and a search would be scored on finding which cells happened to be trained. The measured
  // means are kept in `acc_trained` (equal to the surrogate where `acc_measured` = 0).
  const classAcc = repArch.map((_, c) => accPred(accFeat[c] as number[]));
  const classTrained = repArch.map((a, c) => (m.acc[a]?.['1'] !== undefined ? accOf(a) : (classAcc[c] as number)));
  const classHost = repArch.map((a, c) => m.host[a] ?? hostPred.predict(fullFeat[c] as number[]));
  const table = new NasTable(
    space,
    ['accuracy', 'latency_ms', 'host_ms', 'macs', 'params', 'acc_trained', 'acc_measured', 'host_measured'],
    'nb201-fmnist table',
  );
  const r6 = (x: number): number => Number(x.toPrecision(6));
  cells.forEach((_, i) => {
    const c = classOf[i] as number;
    const a = repArch[c] as string;
    table.add(archOf(i), [
      r6(classAcc[c] as number),
      r6(latency[c] as number),
      r6(classHost[c] as number),
      macs[c] as number,
      params[c] as number,
      r6(classTrained[c] as number),
      m.acc[a]?.['1'] !== undefined ? 1 : 0,
      m.host[a] !== undefined ? 1 : 0,
    ]);
  });
  if (o.out) saveNasTable(table, o.out);
  log(`table of ${table.size} rows${o.out ? ` written to ${o.out}` : ''}; accuracy ${Math.min(...classAcc).toFixed(4)}..${Math.max(...classAcc).toFixed(4)}`);

  const figures = {
    cells: cells.length,
    classes: reps.length,
    recipe,
    bitfusionPredictorTau: bfTau,
    hostPredictorTau: hostTau,
    hostMacsTau,
    hostMeasured: hostArchs.length,
    hostMeasureSeconds: m.hostSeconds,
    hostLoad1: m.hostLoad1,
    accuracyTrained: trainedArchs.length,
    trainings: m.trainLog.length,
    trainMinutes: trainSeconds / 60,
    trainLoadMean: mean(m.trainLog.map((t) => t.load1)),
    noise,
    accuracyPredictorTau: accTau,
    accuracyModel: accModel,
    accuracyModelCvTau: cv,
    accuracyHeldOutTau: heldOut,
    accuracyPredictorTauCurve: accTauCurve,
    accuracyParamsTau: paramsTau,
    accuracyHeldOutTauSeed1: heldOutTauSeed1,
    heldOutSeedPairs: heldPairs.length,
    heldOutSeedToSeedTau: heldOutSeedTau,
    accuracyRandomSplitTau: randomSplitTau,
    measuredAccuracyRange: [Math.min(...accAll), Math.max(...accAll)],
  };
  o.onFigures?.(figures);
  if (phase === 'table') return figures;
  return { ...figures, ...(await compareStrategies(table, o)) };
}

/** One strategy's shares of the true Pareto hypervolume over seeds. */
export interface StrategyComparison {
  readonly ratios: number[];
  readonly mean: number;
  readonly min: number;
  /** Mean share over seeds after 50, 100, ... queries. */
  readonly curve: { queries: number; share: number }[];
  /** Distinct architecture strings, and distinct objective vectors (~ computation classes), queried per seed. */
  readonly uniqueArchs: number[];
  readonly uniquePoints: number[];
  readonly seconds: number;
}

/**
 * Runs every strategy for every seed on the table (objectives accuracy:max + `<metric>`:min) and
 * returns each one's share of the true Pareto hypervolume; `onFigures` gets partial results.
 */
export async function compareStrategies(table: NasTable, o: NasTableBenchOptions = {}) {
  const log = o.log ?? ((s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`));
  const space = table.space;
  // 8. Strategy comparison on the table (same budget), for both hardware columns.
  const budget = o.budget ?? 300;
  const seeds = o.seeds ?? [1, 2, 3];
  const comparisons: Record<string, Record<string, StrategyComparison>> = {};
  const truths: Record<string, { trueHypervolume: number; frontSize: number }> = {};
  for (const metric of o.metrics ?? ['latency_ms', 'host_ms']) {
    const objectives = parseObjectives(`accuracy:max,${metric}:min`);
    const truth = tableHv(table, objectives);
    truths[metric] = { trueHypervolume: truth.trueHypervolume, frontSize: truth.front.length };
    const ev = tabularEvaluator(table, objectives);
    const per: (typeof comparisons)[string] = {};
    comparisons[metric] = per;
    for (const name of o.strategies ?? ['random', 'nsga2', 'bo', 'evolution', 'two-stage']) {
      const ratios: number[] = [];
      const curves: number[][] = [];
      const t4 = Date.now();
      let queries: number[] = [];
      const uniqueArchs: number[] = [];
      const uniquePoints: number[] = [];
      for (const seed of seeds) {
        // `<name>+distinct`: the strategy wrapped so that it never re-queries a computation (see distinctComputations).
        const distinct = name.endsWith('+distinct');
        const made = await createNasStrategy(distinct ? name.slice(0, -'+distinct'.length) : name, space, {
          budget,
          seed,
          sensitivityCost: (p: Params) => table.values(space.format(space.fromParams(p)), [metric])[0] as number,
        });
        const { sensitive } = made;
        const strategy = distinct ? distinctComputations(made.strategy, space) : made.strategy;
        const r = await runNas({
          space,
          objectives,
          strategy,
          evaluate: ev,
          budget,
          seed,
          frame: truth.frame,
          trueHypervolume: truth.trueHypervolume,
          curveStep: 50,
          ...(sensitive ? { sensitive } : {}),
        });
        ratios.push(r.hypervolumeRatio as number);
        uniqueArchs.push(new Set(r.trials.map((t) => t.arch)).size);
        uniquePoints.push(new Set(r.trials.map((t) => JSON.stringify(t.values))).size);
        queries = r.hypervolumeCurve.map((c) => c.queries);
        curves.push(r.hypervolumeCurve.map((c) => c.hypervolume / truth.trueHypervolume));
      }
      const curve = queries.map((q, k) => ({ queries: q, share: mean(curves.map((c) => c[k] as number)) }));
      const res = { ratios, mean: mean(ratios), min: Math.min(...ratios), curve, uniqueArchs, uniquePoints, seconds: (Date.now() - t4) / 1000 };
      per[name] = res;
      o.onFigures?.({ budget, seeds, truths, comparisons });
      log(
        `${metric} ${name}: HV share ${ratios.map((v) => (v * 100).toFixed(1)).join(' / ')}% (mean ${(res.mean * 100).toFixed(1)}%); distinct archs ${uniqueArchs.join('/')}, points ${uniquePoints.join('/')}; mean curve ${curve.map((c) => `${c.queries}:${(c.share * 100).toFixed(1)}`).join(' ')} (${res.seconds.toFixed(0)} s)`,
      );
    }
  }
  return { budget, seeds, truths, comparisons };
}
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (k: string): string | undefined => {
    const i = process.argv.indexOf(k);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const quick = process.argv.includes('--quick');
  const out = arg('--out');
  const meas = arg('--measurements');
  const phase = arg('--phase');
  const minutes = arg('--train-minutes');
  const seeds = arg('--seeds');
  const repeat = arg('--repeat');
  const hostSample = arg('--host-sample');
  const trainSample = arg('--train-sample');
  const trainOffset = arg('--train-offset');
  const hostFrom = arg('--host-from');
  const recipeArg = arg('--recipe');
  const strategies = arg('--strategies');
  const metrics = arg('--metrics');
  const result = arg('--result');
  let acc: Record<string, unknown> = {};
  const r = await benchNasTable({
    ...(quick ? { hostSample: 20, trainSample: 24, repeatSample: 4, recipe: { trainImages: 1000, testImages: 1000, epochs: 1 }, seeds: [1], budget: 100 } : {}),
    ...(out ? { out } : {}),
    ...(meas ? { measurements: meas } : {}),
    ...(phase === 'measure' || phase === 'table' || phase === 'compare' || phase === 'all' ? { phase } : {}),
    ...(strategies ? { strategies: strategies.split(',') } : {}),
    ...(metrics ? { metrics: metrics.split(',') } : {}),
    ...(result
      ? {
          onFigures: (f: Record<string, unknown>) => {
            acc = { ...acc, ...f };
            writeFileSync(result, `${JSON.stringify(acc, null, 1)}\n`);
          },
        }
      : {}),
    ...(minutes ? { trainMinutes: Number(minutes) } : {}),
    ...(seeds ? { seeds: seeds.split(',').map(Number) } : {}),
    ...(repeat ? { repeatSample: Number(repeat) } : {}),
    ...(hostSample ? { hostSample: Number(hostSample) } : {}),
    ...(trainSample ? { trainSample: Number(trainSample) } : {}),
    ...(trainOffset ? { trainOffset: Number(trainOffset) } : {}),
    ...(hostFrom ? { hostFrom } : {}),
    ...(recipeArg ? { recipe: JSON.parse(recipeArg) as Partial<AccuracyRecipe> } : {}),
  });
  process.stdout.write(`${JSON.stringify(r, null, 1)}\n`);
}
