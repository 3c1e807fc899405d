/**
 * The trained networks the resilience benches use (issue 14), cached as hwnas IR files in a folder:
 * `mbnet32` (the injection-speed bench and the scheme table) and six architectures sampled (seeded) from the
 * `mbv2-micro` space at input 28 (the predictor validation). Each trains once with the same recipe:
 * Fashion-MNIST, the first `limit` training images, one epoch (mbnet32: `mbnetEpochs`), Adam 3e-3 cosine,
 * batch 64, one worker, seed 1. A model whose file exists is not trained again.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/resilience-models.js [--dir /tmp/hwnas-resilience] [--limit 8000]`
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../src/data/load.js';
import { initEngine } from '../src/engine/backend.js';
import { buildModel } from '../src/engine/model.js';
import { train } from '../src/engine/train.js';
import { initWeights } from '../src/ir/init.js';
import { loadModel, saveModel } from '../src/ir/serialize.js';
import type { Graph, Model } from '../src/ir/types.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { MBV2_MICRO, mbv2Space } from '../src/search/spaces/mbv2.js';
import { Rng } from '../src/util/rng.js';

/** Options of {@link resilienceModels}. */
export interface ResilienceModelOptions {
  readonly dir: string;
  readonly limit: number;
  readonly archs: number;
  readonly mbnetEpochs: number;
  readonly log?: (s: string) => void;
}

/** The sampled mbv2-micro architectures (input 28), as graphs named by their architecture string. */
export function sampledArchs(count: number, seed = 14): { name: string; graph: Graph }[] {
  const space = mbv2Space(MBV2_MICRO);
  const rng = new Rng(seed);
  const out: { name: string; graph: Graph }[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const a = { ...space.fromParams(space.space.sample(rng)), inputSize: 28 };
    const name = space.format(a);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ name, graph: space.graph(a) });
  }
  return out;
}

/** Trains (or loads) the bench models; returns them by name (`mbnet32`, then the architecture strings). */
export async function resilienceModels(o: ResilienceModelOptions): Promise<Map<string, Model>> {
  mkdirSync(o.dir, { recursive: true });
  await initEngine();
  const fm3 = await loadDataset('fashion-mnist', { size: 32, channels: 3, limit: { train: o.limit } });
  const fm1 = await loadDataset('fashion-mnist', { size: 28, channels: 1, limit: { train: o.limit } });
  const todo: { name: string; graph: Graph; epochs: number; file: string }[] = [
    { name: 'mbnet32', graph: zooGraph('mbnet32'), epochs: o.mbnetEpochs, file: 'mbnet32.json' },
    ...sampledArchs(o.archs).map((a, i) => ({ ...a, epochs: 1, file: `arch${i}.json` })),
  ];
  const out = new Map<string, Model>();
  for (const t of todo) {
    const path = join(o.dir, t.file);
    if (existsSync(path)) {
      out.set(t.name, loadModel(path));
      continue;
    }
    const ds = t.name === 'mbnet32' ? fm3 : fm1;
    const em = buildModel({ graph: t.graph, weights: initWeights(t.graph, new Rng(1)) });
    try {
      const t0 = performance.now();
      await train(em, ds.train, { epochs: t.epochs, batchSize: 64, optimizer: 'adam', lr: 3e-3, schedule: 'cosine', seed: 1, workers: 1 });
      const acc = em.evaluate(ds.test.x, ds.test.y, ds.test.n).accuracy;
      o.log?.(`${t.name}: test accuracy ${(acc * 100).toFixed(2)}% after ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
      const m = em.toModel();
      saveModel(m, path);
      out.set(t.name, m);
    } finally {
      em.dispose();
    }
  }
  return out;
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const models = await resilienceModels({
    dir: arg('--dir', '/tmp/hwnas-resilience'),
    limit: Number(arg('--limit', '8000')),
    archs: Number(arg('--archs', '6')),
    mbnetEpochs: Number(arg('--mbnet-epochs', '2')),
    log: (s) => process.stderr.write(s),
  });
  process.stderr.write(`${models.size} models ready\n`);
}
