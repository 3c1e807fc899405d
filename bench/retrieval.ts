/**
 * Compatible retrieval on Fashion-MNIST (issue 16, S7 CMP-NAS): a paragon gallery model (trained beforehand
 * with `hwnas train ... --task retrieval --out paragon.onnx`), then
 * 1. the paragon's own (gallery-gallery) mAP: test queries and training-split gallery both embedded by it;
 * 2. CMP-NAS through the study loop (`hwnas nas --task retrieval --gallery-model paragon.onnx`, one study per
 *    seed): query architectures of the mbv2 space trained briefly and compatibly, scored by cross-model mAP
 *    on validation queries (objectives map:max, latency_ms:min on bitfusion-edge);
 * 3. the front's most accurate point of each seed retrained with the same recipe and scored on the test
 *    queries against the paragon's gallery (cross-model), with its cost reduction (MACs, bitfusion-edge latency);
 * 4. baselines on the space's smallest architecture: (a) trained independently (own proxies, no alignment),
 *    (b) trained compatibly without search; cross-model mAP against the paragon's gallery.
 *
 * `--metrics-speed [--dim 64]`: only the speed of the exact metrics on 10,000 random queries x 60,000 random gallery
 * embeddings (10 classes), engine matrix products vs plain JS on the first 500 queries, wall and CPU time.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/retrieval.js --paragon paragon.onnx [--seeds 1,2,3] [--budget 8]
 * [--limit 2000] [--epochs 1] [--gallery 5000] [--queries 5000] [--out result.json]`
 * (the result is written after every stage).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { Split } from '../src/data/types.js';
import { buildModel, initEngine, trainEmbedding } from '../src/engine/index.js';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import type { Graph } from '../src/ir/types.js';
import { graphTotals } from '../src/ir/workload.js';
import { archLatencyMs } from '../src/nas/cost.js';
import { buildRetrievalModel, compatibleTrainOptions, embed, galleryModel, scoreEmbeddings } from '../src/nas/retrieval.js';
import { loadOnnx } from '../src/onnx/import.js';
import { getArchSpace } from '../src/search/spaces/registry.js';
import type { RetrievalMetrics } from '../src/tasks/retrieval-metrics.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : dflt;
}

const fig = (m: RetrievalMetrics) => ({ map: m.map, recallAt1: m.recallAt1, recallAt5: m.recallAt5 });

/** Wall and CPU seconds of the exact metrics on random embeddings (`nq` x `ng`, dimension `dim`). */
async function metricsSpeed(nq: number, ng: number, dim: number): Promise<Record<string, unknown>> {
  const { Rng } = await import('../src/util/rng.js');
  const { engineScores } = await import('../src/engine/index.js');
  const { retrievalMetrics } = await import('../src/tasks/retrieval-metrics.js');
  const rng = new Rng(1);
  const emb = (n: number) => ({
    data: Float32Array.from({ length: n * dim }, () => rng.normal()),
    n,
    dim,
    labels: Int32Array.from({ length: n }, () => rng.int(0, 9)),
  });
  const q = emb(nq);
  const g = emb(ng);
  await initEngine();
  const time = async (what: string, f: () => Promise<unknown>) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    const c = process.cpuUsage(c0);
    const r = { what, wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6, load: loadavg()[0] };
    process.stderr.write(`${JSON.stringify(r)}\n`);
    return r;
  };
  const s = engineScores();
  const engine = await time(`engine, ${nq} x ${ng}`, () => retrievalMetrics(q, g, { scores: s.scores }));
  s.dispose();
  const small = { ...q, n: 500, data: q.data.subarray(0, 500 * dim), labels: q.labels.subarray(0, 500) };
  const js = await time(`plain JS, 500 x ${ng}`, () => retrievalMetrics(small, g));
  return { nq, ng, dim, engine, js };
}

async function main(): Promise<void> {
  if (process.argv.includes('--metrics-speed')) {
    const r = await metricsSpeed(10_000, 60_000, Number(flag('--dim', '64')));
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const paragonPath = resolve(flag('--paragon', 'paragon.onnx'));
  const seeds = flag('--seeds', '1,2,3').split(',').map(Number);
  const budget = Number(flag('--budget', '8'));
  const limit = Number(flag('--limit', '2000'));
  const epochs = Number(flag('--epochs', '1'));
  const galleryN = Number(flag('--gallery', '5000'));
  const queriesN = Number(flag('--queries', '5000'));
  const out = flag('--out', 'retrieval-bench.json');
  const smallest = flag('--small', 'r28-w0.5:k3e1r|k3e1r|k3e1r|k3e1r');
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    settings: { paragon: paragonPath, seeds, budget, limit, epochs, galleryN, queriesN, smallest },
    load: [loadavg()[0]],
  };
  const save = (): void => writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const log = (s: string): void => {
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  };
  await initEngine();
  const space = getArchSpace('mbv2');
  const target = getTarget('bitfusion-edge');
  const paragon = galleryModel(loadOnnx(paragonPath), paragonPath);
  const ds = await loadDataset(`fashion-mnist;limit=${Math.max(galleryN, limit)}`, { size: 28, channels: 1 });
  const gallerySplit: Split = { x: ds.train.x.subarray(0, galleryN * 784), y: ds.train.y.subarray(0, galleryN), n: Math.min(galleryN, ds.train.n) };
  const trainSplit: Split = { x: ds.train.x.subarray(0, limit * 784), y: ds.train.y.subarray(0, limit), n: Math.min(limit, ds.train.n) };
  const testDs = await loadDataset(`fashion-mnist;limit=${queriesN}`, { size: 28, channels: 1 });
  const test = testDs.test;
  const costOf = async (g: Graph) => {
    const lat = await archLatencyMs(target, g, defaultPolicy(target));
    return { macs: graphTotals(g).macs, latencyMs: lat.latencyMs };
  };
  // 1. the paragon
  log(`paragon: embedding ${gallerySplit.n} gallery and ${test.n} query images`);
  const pm = buildModel(paragon.model);
  const galleryEmb = embed(pm, gallerySplit);
  const paragonTest = embed(pm, test);
  const trainTargets = embed(pm, trainSplit);
  pm.dispose();
  const paragonBackbone = paragon.model.graph;
  const paragonCost = await costOf(paragonBackbone);
  const paragonFig = fig(await scoreEmbeddings(paragonTest, test.y, galleryEmb, gallerySplit.y, paragon.dim));
  result.paragon = { ...paragonFig, ...paragonCost, dim: paragon.dim };
  log(`paragon mAP ${paragonFig.map.toFixed(4)}, ${paragonCost.macs} MACs, ${paragonCost.latencyMs.toFixed(4)} ms`);
  save();

  /** Trains arch `a` (compatibly or not) on the training images and scores cross-model on the test queries. */
  const trainAndScore = async (arch: string, seed: number, compatible: boolean) => {
    const a = space.parse(arch);
    const backbone = space.graph(a, { inChannels: 1, classes: 10 });
    const model = buildRetrievalModel(
      { graph: backbone, weights: new Map() },
      { dim: paragon.dim, classes: 10, seed, ...(compatible ? { proxies: paragon.proxies } : {}) },
    );
    const em = buildModel(model);
    try {
      const base = { epochs, batchSize: 64, seed } as const;
      await trainEmbedding(em, trainSplit, compatible ? compatibleTrainOptions(base, { targets: trainTargets }) : base);
      const q = embed(em, test);
      const cross = await scoreEmbeddings(q, test.y, galleryEmb, gallerySplit.y, paragon.dim);
      const own = await scoreEmbeddings(q, test.y, embed(em, gallerySplit), gallerySplit.y, paragon.dim);
      const cost = await costOf(backbone);
      return {
        arch,
        seed,
        compatible,
        cross: fig(cross),
        own: fig(own),
        ...cost,
        macsReduction: paragonCost.macs / cost.macs,
        latencyReduction: paragonCost.latencyMs / cost.latencyMs,
        mapGapPoints: (paragonFig.map - cross.map) * 100,
      };
    } finally {
      em.dispose();
    }
  };

  // 4. baselines first (cheap)
  const baselines: unknown[] = [];
  result.baselines = baselines;
  for (const seed of seeds) {
    for (const compatible of [false, true]) {
      log(`baseline ${compatible ? '(b) compatible' : '(a) independent'} seed ${seed}`);
      baselines.push(await trainAndScore(smallest, seed, compatible));
      save();
    }
  }
  // 2-3. CMP-NAS per seed through the CLI (the study loop), then the front's most accurate point retrained
  const searches: unknown[] = [];
  result.searches = searches;
  for (const seed of seeds) {
    log(`CMP-NAS seed ${seed}: budget ${budget}`);
    const t0 = performance.now();
    const store = join(dirname(resolve(out)), `retrieval-bench-${process.pid}.db`);
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'hwnas.js'),
        'nas',
        '--task',
        'retrieval',
        '--gallery-model',
        paragonPath,
        '--space',
        'mbv2',
        '--dataset',
        'fashion-mnist',
        '--limit',
        String(limit),
        '--epochs',
        String(epochs),
        '--target',
        'bitfusion-edge',
        '--objectives',
        'map:max,latency_ms:min',
        '--strategy',
        'nsga2',
        '--budget',
        String(budget),
        '--seed',
        String(seed),
        '--store',
        store,
        '--json',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    if (r.status !== 0) throw new Error(`hwnas nas failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const nas = JSON.parse(r.stdout) as { pareto: { arch: string; values: { map: number; latency_ms: number } }[]; study: string };
    const seconds = (performance.now() - t0) / 1000;
    const best = [...nas.pareto].sort((x, y) => y.values.map - x.values.map)[0];
    if (!best) throw new Error('empty Pareto front');
    log(`seed ${seed}: front ${nas.pareto.length} points in ${seconds.toFixed(0)} s; retraining ${best.arch}`);
    const final = await trainAndScore(best.arch, seed, true);
    searches.push({ seed, seconds, study: nas.study, store, pareto: nas.pareto, final });
    result.load = [...(result.load as number[]), loadavg()[0]];
    save();
  }
  log(`done: ${out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
