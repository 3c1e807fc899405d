/**
 * Training and inference throughput of the engine on the reference nets (mnist-cnn on 1x28x28 MNIST,
 * mbnet32 on 3x32x32 = MNIST padded to 32 and replicated to 3 channels), batch 128, with 1 and 2 worker
 * threads on wasm, the tfjs cpu backend for the ratio, and the accuracy of mnist-cnn after 2 epochs on
 * the full MNIST training split. Run: `npx tsc -p tsconfig.json && node dist/bench/train.js [--quick]`
 * (`--quick` skips the 2-epoch accuracy run).
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { Dataset } from '../src/data/types.js';
import { initEngine } from '../src/engine/backend.js';
import { buildModel } from '../src/engine/model.js';
import { train } from '../src/engine/train.js';
import { initWeights } from '../src/ir/init.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { Rng } from '../src/util/rng.js';

/** Training options of the 2-epoch mnist-cnn accuracy run (standardised MNIST, 55,000 training images). */
export const ACCURACY_RUN = { epochs: 2, batchSize: 64, optimizer: 'adam', lr: 2e-3, schedule: 'cosine', augment: { cropPadding: 1 }, seed: 1 } as const;

/** Options of {@link benchTrain}. */
export interface TrainBenchOptions {
  /** Run the 2-epoch full-MNIST accuracy check (default true; ~1-2 minutes). */
  readonly accuracyRun?: boolean;
  /** Timed steps per throughput measurement (default 20) after `warmup` steps (default 3). */
  readonly steps?: number;
  readonly warmup?: number;
}

interface Throughput {
  readonly net: string;
  readonly backend: 'wasm' | 'cpu';
  readonly workers: 1 | 2;
  readonly batch: number;
  readonly steps: number;
  readonly imagesPerSec: number;
  /** Images per CPU-second of the whole process (all threads): less sensitive to other load. */
  readonly imagesPerCpuSec: number;
}

async function trainThroughput(net: string, ds: Dataset, backend: 'wasm' | 'cpu', workers: 1 | 2, batch: number, warmup: number, steps: number): Promise<Throughput> {
  await initEngine({ backend });
  const graph = zooGraph(net);
  const m = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
  const n = batch * (warmup + steps);
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const data = { x: ds.train.x.subarray(0, n * per), y: ds.train.y.subarray(0, n), n };
  const stamps: number[] = [];
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpu1: NodeJS.CpuUsage | undefined;
  await train(m, data, {
    epochs: 1,
    batchSize: batch,
    seed: 1,
    workers,
    onProgress: (p) => {
      stamps.push(performance.now());
      if (p.step === warmup - 1) cpu0 = process.cpuUsage();
      if (p.step === warmup + steps - 1) cpu1 = process.cpuUsage(cpu0);
    },
  });
  m.dispose();
  const t0 = stamps[warmup - 1] as number;
  const t1 = stamps[stamps.length - 1] as number;
  const cpuSec = cpu1 ? (cpu1.user + cpu1.system) / 1e6 : Number.NaN;
  return { net, backend, workers, batch, steps, imagesPerSec: Math.round((steps * batch) / ((t1 - t0) / 1000)), imagesPerCpuSec: Math.round((steps * batch) / cpuSec) };
}

async function inferenceThroughput(net: string, ds: Dataset, n: number): Promise<{ net: string; batch: number; imagesPerSec: number }> {
  await initEngine({ backend: 'wasm' });
  const graph = zooGraph(net);
  const m = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
  m.predict(ds.test.x, 256, { batchSize: 128 });
  const t0 = performance.now();
  m.predict(ds.test.x, n, { batchSize: 128 });
  const s = (performance.now() - t0) / 1000;
  m.dispose();
  return { net, batch: 128, imagesPerSec: Math.round(n / s) };
}

/** Runs the training benchmarks; returns a JSON-able summary. */
export async function benchTrain(opts: TrainBenchOptions = {}): Promise<object> {
  const steps = opts.steps ?? 20;
  const warmup = opts.warmup ?? 3;
  const load0 = loadavg()[0];
  const mnist = await loadDataset('mnist', {});
  const mnist32 = await loadDataset('mnist', { size: 32, channels: 3, limit: { train: 128 * (steps + warmup), val: 0, test: 4096 } });
  const training: Throughput[] = [];
  for (const workers of [1, 2] as const) {
    training.push(await trainThroughput('mnist-cnn', mnist, 'wasm', workers, 128, warmup, steps));
    training.push(await trainThroughput('mbnet32', mnist32, 'wasm', workers, 128, warmup, steps));
  }
  // The cpu backend is ~100x slower: a few small steps are enough for the ratio.
  const cpu = [await trainThroughput('mnist-cnn', mnist, 'cpu', 1, 16, 1, 2), await trainThroughput('mbnet32', mnist32, 'cpu', 1, 16, 1, 1)];
  await initEngine({ backend: 'wasm' });
  const inference = [await inferenceThroughput('mnist-cnn', mnist, 8192), await inferenceThroughput('mbnet32', mnist32, 4096)];
  const ratio = (net: string, workers: 1 | 2): number => {
    const w = training.find((t) => t.net === net && t.workers === workers)?.imagesPerSec ?? 0;
    const c = cpu.find((t) => t.net === net)?.imagesPerSec ?? 1;
    return Math.round(w / c);
  };
  let accuracy: object | undefined;
  if (opts.accuracyRun !== false) {
    const ds = await loadDataset('mnist', { standardize: true });
    const graph = zooGraph('mnist-cnn');
    const m = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
    const r = await train(m, ds.train, ACCURACY_RUN);
    const test = m.evaluate(ds.test.x, ds.test.y, ds.test.n);
    m.dispose();
    accuracy = {
      net: 'mnist-cnn',
      epochs: 2,
      options: ACCURACY_RUN,
      trainImages: ds.train.n,
      testAccuracy: test.accuracy,
      testImages: test.n,
      trainImagesPerSec: Math.round(r.imagesPerSec),
      workers: r.workers,
      seconds: Math.round(r.seconds),
    };
  }
  return {
    date: new Date().toISOString(),
    loadAverageAtStart: load0,
    loadAverageAtEnd: loadavg()[0],
    training,
    cpuBackend: cpu,
    ratioToCpu: { 'mnist-cnn': { workers1: ratio('mnist-cnn', 1), workers2: ratio('mnist-cnn', 2) }, mbnet32: { workers1: ratio('mbnet32', 1), workers2: ratio('mbnet32', 2) } },
    inference,
    ...(accuracy ? { accuracy } : {}),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  console.log(JSON.stringify(await benchTrain({ accuracyRun: !quick }), null, 2));
}
