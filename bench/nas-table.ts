/**
 * Builds a tabular NAS benchmark for the NB201 cell space from our own measurements, then compares
 * search strategies on it and reports how many measured architectures a latency predictor needs.
 *
 * Columns (all 15,625 cells, network at the Fashion-MNIST input 1x28x28, N=5, C=16, 10 classes):
 * - `latency_ms`: bitfusion-edge (analytical model), w8a8, computed for every cell;
 * - `host_ms`: onnxruntime-node (1 thread, batch 1, median of 15 runs) measured on `hostSample` cells;
 *   the others predicted by an architecture-level GBDT fitted on those measurements (`host_measured` = 1/0);
 * - `accuracy`: Fashion-MNIST test accuracy after a short real training of a reduced network (N=1,
 *   16x16 input, `trainImages` images, 1 epoch) for `trainSample` cells; the others predicted by a GBDT
 *   on the cell encoding fitted on those trainings (`acc_measured` = 1/0). Predicted accuracies are a
 *   model of our short trainings, not of fully trained networks: the table is a benchmark for search
 *   algorithms, not an accuracy claim;
 * - `macs`, `params` of the N=5 network.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/nas-table.js [--quick] [--out bench/nb201-fmnist.csv]`.
 * Takes minutes (trainings and ORT measurements); `--quick` shrinks every sample.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { buildModel, initEngine, train } from '../src/engine/index.js';
import { uniformPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { initWeights } from '../src/ir/init.js';
import { graphTotals } from '../src/ir/workload.js';
import { archFeatures, fitArchPredictor, kendallTau } from '../src/nas/cost.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { createNasStrategy, runNas, tableHv } from '../src/nas/run.js';
import { NasTable, saveNasTable, tabularEvaluator } from '../src/nas/tabular.js';
import { createSession, exportOnnx, timeOnnx } from '../src/onnx/index.js';
import { enumerateNb201, formatNb201, nb201Graph, nb201Space } from '../src/search/spaces/nb201.js';
import { Rng } from '../src/util/rng.js';

/** Options of {@link benchNasTable}. */
export interface NasTableBenchOptions {
  /** Cells measured on the host with onnxruntime (default 80). */
  readonly hostSample?: number;
  /** Cells trained on Fashion-MNIST (default 120). */
  readonly trainSample?: number;
  /** Training images per trained cell (default 1000; test on 1000). */
  readonly trainImages?: number;
  /** Search budget and seeds of the strategy comparison (default 300 and [1, 2, 3]). */
  readonly budget?: number;
  readonly seeds?: readonly number[];
  /** Where to write the table (CSV); default none. */
  readonly out?: string;
  readonly log?: (s: string) => void;
}

const cellRng = (seed: number, n: number, total: number): number[] => new Rng(seed).shuffle(Array.from({ length: total }, (_, i) => i)).slice(0, n);

/** Kendall tau on held-out points of a predictor fitted on the first k points, for several k. */
function tauCurve(features: number[][], y: number[], ks: readonly number[], test: number): { samples: number; tau: number }[] {
  const fx = features.slice(features.length - test);
  const fy = y.slice(y.length - test);
  return ks
    .filter((k) => k <= features.length - test)
    .map((k) => {
      const p = fitArchPredictor(features.slice(0, k), y.slice(0, k), { seed: 1 });
      return { samples: k, tau: kendallTau(fy, fx.map((f) => p.predict(f))) };
    });
}

/** Builds the table and runs the comparisons; returns every figure. */
export async function benchNasTable(o: NasTableBenchOptions = {}) {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const space = nb201Space({ inputSize: 28, inChannels: 1 });
  const cells = enumerateNb201();
  const archs = cells.map(formatNb201);
  const t0 = Date.now();
  // 1. bitfusion-edge latency and sizes of every cell.
  const bf = getTarget('bitfusion-edge');
  const w8a8 = uniformPolicy(8, 8);
  const latency: number[] = [];
  const macs: number[] = [];
  const params: number[] = [];
  const feats: number[][] = [];
  cells.forEach((c, i) => {
    const g = nb201Graph(c, { inputSize: 28, inChannels: 1 });
    latency.push(bf.networkCost(g, w8a8).latencyMs);
    const t = graphTotals(g);
    macs.push(t.macs);
    params.push(t.params);
    feats.push(archFeatures(space, archs[i] as string, g));
  });
  log(`bitfusion-edge latency of ${cells.length} cells in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // Predictor sample efficiency on the analytical target (cheap to label everything).
  const order = cellRng(11, 2000, cells.length);
  const bfTau = tauCurve(order.map((i) => feats[i] as number[]), order.map((i) => latency[i] as number), [10, 20, 40, 80, 160, 320], 1000);
  log(`bitfusion-edge predictor tau by samples: ${bfTau.map((x) => `${x.samples}:${x.tau.toFixed(3)}`).join(' ')}`);

  // 2. host-cpu: onnxruntime measurements of a sample, predictor for the rest.
  const hostN = o.hostSample ?? 80;
  const hostIdx = cellRng(12, hostN, cells.length);
  const hostMs = new Map<number, number>();
  const t1 = Date.now();
  for (const i of hostIdx) {
    const g = nb201Graph(cells[i] as never, { inputSize: 28, inChannels: 1 });
    const s = await createSession(exportOnnx({ graph: g, weights: initWeights(g, new Rng(i)) }), { threads: 1 });
    hostMs.set(i, (await timeOnnx(s, 1, { warmup: 3, repeats: 15 })).medianMs);
    await s.session.release();
  }
  log(`onnxruntime host latency of ${hostN} cells in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  const hostTest = Math.max(10, Math.round(hostN / 4));
  const hostFeat = hostIdx.map((i) => feats[i] as number[]);
  const hostY = hostIdx.map((i) => hostMs.get(i) as number);
  const hostTau = tauCurve(hostFeat, hostY, [5, 10, 20, 40, 80, 160].filter((k) => k <= hostN - hostTest), hostTest);
  log(`host-cpu predictor tau by samples (held-out ${hostTest}): ${hostTau.map((x) => `${x.samples}:${x.tau.toFixed(3)}`).join(' ')}`);
  const hostPred = fitArchPredictor(hostFeat, hostY, { seed: 1 });
  const macsTau = kendallTau(hostY, hostIdx.map((i) => macs[i] as number));

  // 3. accuracy: short real trainings of a reduced network on Fashion-MNIST.
  const trainN = o.trainSample ?? 120;
  const imgs = o.trainImages ?? 1000;
  await initEngine();
  const ds = await loadDataset('fashion-mnist', { size: 16, channels: 1, limit: { train: imgs, test: 1000 } });
  const small = nb201Space({ inputSize: 16, inChannels: 1, cellsPerStage: 1 });
  const accIdx = cellRng(13, trainN, cells.length);
  const acc = new Map<number, number>();
  const t2 = Date.now();
  for (const i of accIdx) {
    const g = small.graph(cells[i] as never);
    const em = buildModel({ graph: g, weights: initWeights(g, new Rng(100 + i)) });
    try {
      await train(em, ds.train, { epochs: 1, batchSize: 32, seed: 1, workers: 1, lr: 3e-3 });
      acc.set(i, em.evaluate(ds.test.x, ds.test.y, ds.test.n).accuracy);
    } finally {
      em.dispose();
    }
  }
  log(`trained ${trainN} cells (N=1, 16x16, ${imgs} images, 1 epoch) in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
  const accFeat = accIdx.map((i) => feats[i] as number[]);
  const accY = accIdx.map((i) => acc.get(i) as number);
  const accTest = Math.max(10, Math.round(trainN / 4));
  const accPredHeld = fitArchPredictor(accFeat.slice(0, trainN - accTest), accY.slice(0, trainN - accTest).map((a) => 1 - a + 1e-3), { seed: 1 });
  const accTau = kendallTau(accY.slice(trainN - accTest), accFeat.slice(trainN - accTest).map((f) => 1 + 1e-3 - accPredHeld.predict(f)));
  log(`accuracy predictor: held-out Kendall tau ${accTau.toFixed(3)} on ${accTest} trained cells; measured accuracy range ${Math.min(...accY).toFixed(3)}..${Math.max(...accY).toFixed(3)}`);
  // Predict error (1 - acc) on log scale with the same GBDT; exact for the trained cells.
  const accPred = fitArchPredictor(accFeat, accY.map((a) => 1 - a + 1e-3), { seed: 1 });

  // 4. The table.
  const table = new NasTable(space, ['accuracy', 'latency_ms', 'host_ms', 'macs', 'params', 'acc_measured', 'host_measured'], 'nb201-fmnist table');
  cells.forEach((_, i) => {
    const a = acc.get(i);
    const h = hostMs.get(i);
    table.add(archs[i] as string, [a ?? 1 + 1e-3 - accPred.predict(feats[i] as number[]), latency[i] as number, h ?? hostPred.predict(feats[i] as number[]), macs[i] as number, params[i] as number, a === undefined ? 0 : 1, h === undefined ? 0 : 1]);
  });
  if (o.out) saveNasTable(table, o.out);

  // 5. Strategy comparison on the table (same budget), for both hardware columns.
  const budget = o.budget ?? 300;
  const seeds = o.seeds ?? [1, 2, 3];
  const comparisons: Record<string, Record<string, { mean: number; min: number; curve: number[] }>> = {};
  for (const metric of ['latency_ms', 'host_ms']) {
    const objectives = parseObjectives(`accuracy:max,${metric}:min`);
    const truth = tableHv(table, objectives);
    const ev = tabularEvaluator(table, objectives);
    comparisons[metric] = {};
    for (const name of ['random', 'nsga2', 'bo', 'evolution', 'two-stage']) {
      const ratios: number[] = [];
      const curves: number[][] = [];
      const t3 = Date.now();
      for (const seed of seeds) {
        const { strategy, sensitive } = createNasStrategy(name, space, { budget, seed, sensitivityCost: (p) => table.values(space.format(space.fromParams(p)), [metric])[0] as number });
        const r = await runNas({ space, objectives, strategy, evaluate: ev, budget, seed, frame: truth.frame, trueHypervolume: truth.trueHypervolume, curveStep: 50, ...(sensitive ? { sensitive } : {}) });
        ratios.push(r.hypervolumeRatio as number);
        curves.push(r.hypervolumeCurve.map((c) => c.hypervolume / truth.trueHypervolume));
      }
      const curve = (curves[0] as number[]).map((_, k) => curves.reduce((s, c) => s + (c[k] as number), 0) / curves.length);
      comparisons[metric][name] = { mean: ratios.reduce((s, v) => s + v, 0) / ratios.length, min: Math.min(...ratios), curve };
      log(`${metric} ${name}: HV ratio mean ${(comparisons[metric][name].mean * 100).toFixed(1)}% min ${(Math.min(...ratios) * 100).toFixed(1)}%; curve/50 queries ${curve.map((v) => (v * 100).toFixed(1)).join(' ')} (${((Date.now() - t3) / 1000).toFixed(0)} s)`);
    }
  }
  return {
    cells: cells.length,
    bitfusionPredictorTau: bfTau,
    hostPredictorTau: hostTau,
    hostMacsTau: macsTau,
    hostMeasured: hostN,
    accuracyTrained: trainN,
    accuracyPredictorTau: accTau,
    accuracyRange: [Math.min(...accY), Math.max(...accY)],
    comparisons,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const oi = process.argv.indexOf('--out');
  const r = await benchNasTable({
    ...(quick ? { hostSample: 30, trainSample: 40, trainImages: 500, seeds: [1] } : {}),
    ...(oi > 0 && process.argv[oi + 1] ? { out: process.argv[oi + 1] as string } : {}),
  });
  process.stdout.write(`${JSON.stringify(r, null, 1)}\n`);
}
