/**
 * HANT on the best trained zoo net: mbnet32 on Fashion-MNIST (32x32x3, the package's fixed split),
 * latency on `bitfusion-edge` (w8a8). Goal from issue 6: >= 1.5x lower latency with <= 0.5 pp accuracy
 * drop; the ILP must solve in < 5 s with >= 30 alternatives per conv unit.
 *
 * The teacher is trained here (cached as an hwnas IR file under `$HWNAS_BENCH_DIR` or
 * `/tmp/hwnas-bench`) so the run is self-contained. Run:
 * `npx tsc -p tsconfig.json && node dist/bench/hant.js [--quick] [--budget 0.6] [--target bitfusion-edge] [--steps N] [--families a,b]`
 * (`--quick`: fewer distillation steps and images, a short teacher).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { initEngine } from '../src/engine/backend.js';
import { buildModel } from '../src/engine/model.js';
import { train } from '../src/engine/train.js';
import { getTarget } from '../src/hardware/registry.js';
import { initWeights } from '../src/ir/init.js';
import { loadModel, saveModel } from '../src/ir/serialize.js';
import type { Model } from '../src/ir/types.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import type { AltFamily } from '../src/transform/alternatives.js';
import { hant } from '../src/transform/hant.js';
import { Rng } from '../src/util/rng.js';

/** Options of {@link benchHant}. */
export interface HantBenchOptions {
  readonly quick?: boolean;
  /** Latency budget as a ratio of the teacher's (default 0.6). */
  readonly budget?: number;
  readonly target?: string;
  /** Teacher training epochs (default 4, quick 1) on `trainImages` (default 30000, quick 8000). */
  readonly teacherEpochs?: number;
  readonly trainImages?: number;
  /** Distillation steps per alternative (default 200, quick 60). */
  readonly steps?: number;
  /** Restrict the alternative families (default all). */
  readonly families?: readonly AltFamily[];
  readonly log?: (msg: string) => void;
}

/** Runs HANT on a trained mbnet32; returns a JSON-able summary. */
export async function benchHant(opts: HantBenchOptions = {}): Promise<object> {
  const quick = opts.quick === true;
  const log = opts.log ?? ((m: string): void => void process.stderr.write(`${m}\n`));
  const load0 = loadavg()[0];
  await initEngine();
  const trainImages = opts.trainImages ?? (quick ? 8000 : 30000);
  const ds = await loadDataset('fashion-mnist', { size: 32, channels: 3, limit: { train: trainImages } });
  const epochs = opts.teacherEpochs ?? (quick ? 1 : 4);
  const dir = process.env['HWNAS_BENCH_DIR'] ?? '/tmp/hwnas-bench';
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `mbnet32-fmnist-${trainImages}-e${epochs}.json`);
  let teacher: Model;
  let teacherTrainSec = 0;
  if (existsSync(path)) {
    teacher = loadModel(path);
    log(`teacher loaded from ${path}`);
  } else {
    const graph = zooGraph('zoo:mbnet32');
    const em = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
    const t0 = performance.now();
    await train(em, ds.train, { epochs, lr: 2e-3, batchSize: 128, seed: 1, onEpochEnd: (e) => log(`teacher epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}`) });
    teacherTrainSec = (performance.now() - t0) / 1000;
    teacher = em.toModel();
    em.dispose();
    saveModel(teacher, path);
    log(`teacher trained in ${teacherTrainSec.toFixed(0)} s, saved to ${path}`);
  }
  const target = getTarget(opts.target ?? 'bitfusion-edge');
  const r = await hant(teacher, ds, {
    target,
    budget: { ratio: opts.budget ?? 0.6 },
    steps: opts.steps ?? (quick ? 60 : 200),
    batchSize: 32,
    distillSamples: quick ? 512 : 1024,
    heldOutSamples: 256,
    finetune: { epochs: quick ? 1 : 2, lr: 5e-4, limit: quick ? 8000 : trainImages },
    seed: 1,
    ...(opts.families ? { families: opts.families } : {}),
    onPhase: log,
    onProgress: (p) => {
      if (p.done % 20 === 0 || p.done === p.total) log(`distilled ${p.done}/${p.total} (${p.unit}:${p.alt} loss ${p.loss.toFixed(4)})`);
    },
  });
  return {
    bench: 'hant',
    date: new Date().toISOString(),
    quick,
    loadAverageAtStart: load0,
    loadAverageAtEnd: loadavg()[0],
    dataset: { name: ds.name, train: ds.train.n, test: ds.test.n, notes: ds.notes },
    teacherEpochs: epochs,
    teacherTrainSeconds: teacherTrainSec,
    target: r.target,
    policy: r.policy,
    budgetRatio: opts.budget ?? 0.6,
    teacher: r.teacher,
    student: r.student,
    speedup: r.speedup,
    accuracyDropPp: r.accuracyDropPp,
    goal: { speedup: 1.5, maxDropPp: 0.5, met: r.speedup >= 1.5 && r.accuracyDropPp <= 0.5 },
    ilp: r.ilp,
    seconds: r.seconds,
    layers: r.layers,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (f: string): string | undefined => {
    const i = process.argv.indexOf(f);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const budget = arg('--budget');
  const target = arg('--target');
  const fam = arg('--families');
  const steps = arg('--steps');
  console.log(
    JSON.stringify(
      await benchHant({ quick: process.argv.includes('--quick'), ...(budget ? { budget: Number(budget) } : {}), ...(target ? { target } : {}), ...(fam ? { families: fam.split(',') as AltFamily[] } : {}), ...(steps ? { steps: Number(steps) } : {}) }),
      null,
      2,
    ),
  );
}
