/**
 * Post-training quantization steps, each alone and combined (issue 20 item 6): accuracy of W4A8, W4A4
 * and a mixed policy (first and last layer W8A8, the others W3A4) of mnist-cnn (MNIST) and mbnet32
 * (Fashion-MNIST) after `hwnas eval --policy`'s post-training quantization (engine fake-quant, 512
 * calibration images, MSE activation ranges) with each step of src/quant/ptq.ts, over float-model seeds.
 * The mbnet32 float models are bench/quant.ts's (`node dist/bench/quant.js --train-only --seed S` trains
 * and caches them: 30,000 images, 4 epochs); mnist-cnn is trained here (10,000 MNIST images, 2 epochs).
 * Run: `npx tsc -p tsconfig.json && node dist/bench/ptq.js [--seeds 1,2,3] [--models mnist-cnn,mbnet32]
 * [--steps 'none;fold;cle;clip;bias;adaround;clip,bias,adaround;all'] [--test-images 5000] [--out file.json] [--quick] [--policies w4a8,w4a4,mixed]` (`--quick`: the
 * mbnet32 models of `bench/quant.js --quick`, 6,000 images, 2 epochs).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { Split } from '../src/data/types.js';
import { initEngine } from '../src/engine/backend.js';
import { buildModel } from '../src/engine/model.js';
import { train } from '../src/engine/train.js';
import { type PrecisionPolicy, policyFromVectors, uniformPolicy } from '../src/hardware/precision.js';
import { initWeights } from '../src/ir/init.js';
import { loadModel, saveModel } from '../src/ir/serialize.js';
import type { Graph, Model } from '../src/ir/types.js';
import { quantizableLayers } from '../src/ir/workload.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { policyAccuracy } from '../src/quant/policy-eval.js';
import { parsePtq } from '../src/quant/ptq.js';
import { Rng } from '../src/util/rng.js';

const log = (s: string): void => {
  process.stderr.write(`[ptq] ${s}\n`);
};
const pp = (x: number): number => Math.round(x * 10000) / 100;
const sub = (s: Split, n: number): Split => ({ x: s.x.subarray(0, n * (s.x.length / s.n)), y: s.y.subarray(0, n), n: Math.min(n, s.n) });

/** First and last quantized layer W8A8, the others W3A4. */
export function mixedPolicy(graph: Graph): PrecisionPolicy {
  const n = quantizableLayers(graph).length;
  const w = Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 8 : 3));
  const a = Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 8 : 4));
  return policyFromVectors(graph, w, a, 'mixed-w3a4');
}

async function floatModel(name: string, seed: number, mbTrain = 30000, mbEpochs = 4): Promise<{ model: Model; data: Awaited<ReturnType<typeof loadDataset>> }> {
  if (name === 'mbnet32') {
    const data = await loadDataset('fashion-mnist', { limit: { train: mbTrain, val: 5000, test: 10000 } });
    const file = join(tmpdir(), `hwnas-bench-quant-mbnet32-${data.train.n}-${mbEpochs}-${seed}.json`);
    if (!existsSync(file))
      throw new Error(`${file} is missing: run node dist/bench/quant.js --train-only --seed ${seed}${mbTrain === 6000 ? ' --quick' : ''} first`);
    return { model: loadModel(file), data };
  }
  const data = await loadDataset('mnist', { limit: { train: 10000, val: 1000, test: 10000 } });
  const file = join(tmpdir(), `hwnas-bench-ptq-mnist-cnn-10000-2-${seed}.json`);
  if (existsSync(file)) return { model: loadModel(file), data };
  const graph = zooGraph('mnist-cnn');
  const m = buildModel({ graph, weights: initWeights(graph, new Rng(seed)) });
  await train(m, data.train, { epochs: 2, batchSize: 128, lr: 3e-3, seed });
  const model = m.toModel();
  m.dispose();
  saveModel(model, file);
  return { model, data };
}

/** Runs the table; returns rows { model, seed, policy, step, accuracy }. */
export async function benchPtq(o: {
  seeds: number[];
  models: string[];
  steps: string[];
  testImages: number;
  out?: string;
  /** The mbnet32 float models of `bench/quant.js --quick` (6,000 images, 2 epochs) instead of the full ones. */
  quick?: boolean;
  /** Policies by name: w4a8, w4a4, mixed (default all three). */
  policies?: string[];
}): Promise<object> {
  await initEngine({ backend: 'wasm' });
  const rows: Array<{ model: string; seed: number; policy: string; step: string; accuracy: number; floatAccuracy: number; seconds: number }> = [];
  for (const name of o.models) {
    for (const seed of o.seeds) {
      const { model, data } = await floatModel(name, seed, o.quick ? 6000 : 30000, o.quick ? 2 : 4);
      const test = sub(data.test, o.testImages);
      const all: Record<string, PrecisionPolicy> = { w4a8: uniformPolicy(4, 8), w4a4: uniformPolicy(4, 4), mixed: mixedPolicy(model.graph) };
      const policies = (o.policies ?? Object.keys(all)).map((k) => {
        const p = all[k];
        if (!p) throw new Error(`--policies: '${k}' is unknown, expected w4a8, w4a4 or mixed`);
        return p;
      });
      for (const policy of policies) {
        for (const step of o.steps) {
          const t0 = performance.now();
          const r = policyAccuracy(model, policy, test, { calibration: data.train, calibrationImages: 512, ptq: { ...parsePtq(step), seed } });
          const seconds = (performance.now() - t0) / 1000;
          rows.push({
            model: name,
            seed,
            policy: policy.name ?? '?',
            step,
            accuracy: pp(r.accuracy),
            floatAccuracy: pp(r.floatAccuracy),
            seconds: Math.round(seconds),
          });
          log(`${name} seed ${seed} ${policy.name} ${step}: ${pp(r.accuracy)}% (float ${pp(r.floatAccuracy)}%, ${seconds.toFixed(0)} s)`);
          if (o.out) writeFileSync(o.out, JSON.stringify({ rows }, null, 2));
        }
      }
    }
  }
  return { testImages: o.testImages, calibrationImages: 512, rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sarg = (name: string, d: string): string => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? (process.argv[i + 1] as string) : d;
  };
  const out = sarg('--out', '');
  benchPtq({
    seeds: sarg('--seeds', '1,2,3').split(',').map(Number),
    models: sarg('--models', 'mnist-cnn,mbnet32').split(','),
    // steps are separated by ';' (each may be a comma-separated combination)
    steps: sarg('--steps', 'none;fold;cle;clip;bias;adaround;clip,bias,adaround;all').split(';'),
    testImages: Number(sarg('--test-images', '5000')),
    quick: process.argv.includes('--quick'),
    policies: sarg('--policies', 'w4a8,w4a4,mixed').split(','),
    ...(out ? { out } : {}),
  }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
