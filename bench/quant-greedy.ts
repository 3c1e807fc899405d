/**
 * Issue 20 item 6 experiment: a greedy bit allocation scored on the whole policy (the way AIMET's AMP
 * walks its Pareto curve), against the HAWQ-style ILP's additive per-layer scores. From uniform W8A8 on
 * bitfusion-edge, each step evaluates every cheaper width of every layer's weights and input
 * activation (widths of equal latency skipped), measures the validation loss of the whole policy (fake
 * quantization, calibrated activations) and takes the move with the least loss increase per latency
 * saved, until latency <= W8A8 / ratio. The policy then gets the post-training steps `bias,adaround` and
 * is scored once on the 10,000 test images. It reuses bench/quant.ts's cached float models
 * (`hwnas-bench-quant-mbnet32-30000-4-<seed>.json` in the temp folder; trained by that bench).
 * Run: `npx tsc -p tsconfig.json && node dist/bench/quant-greedy.js --seed 1 [--ratio 1.5] [--val 1000]`
 * (prints one JSON line). Not yet a strategy of `hwnas quantize`.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { initEngine } from '../src/engine/backend.js';
import { buildModel } from '../src/engine/model.js';
import { bitFusionEdge } from '../src/hardware/bitfusion.js';
import { policyFromVectors, uniformPolicy } from '../src/hardware/precision.js';
import { loadModel } from '../src/ir/serialize.js';
import { calibrateActivations, evaluatePolicy } from '../src/quant/apply.js';
import { PolicyCoster } from '../src/quant/cost.js';
import { parsePtq, preparePolicy } from '../src/quant/ptq.js';

interface Move {
  readonly ratio: number;
  readonly wb: number[];
  readonly ab: number[];
  readonly loss: number;
  readonly label: string;
}

/** Runs the greedy allocation for one cached float model; returns its figures. */
export async function benchQuantGreedy(seed: number, ratio: number, nVal: number): Promise<object> {
  if (!(ratio > 1)) throw new Error(`--ratio ${ratio}: expected a number > 1`);
  const file = join(tmpdir(), `hwnas-bench-quant-mbnet32-30000-4-${seed}.json`);
  if (!existsSync(file)) throw new Error(`${file} does not exist: run node dist/bench/quant.js --seed ${seed} --train-only first`);
  await initEngine({ backend: 'wasm' });
  const ds = await loadDataset('fashion-mnist', { limit: { train: 30000, val: 5000, test: 10000 } });
  const floatModel = loadModel(file);
  const fm = buildModel(floatModel);
  const cal = calibrateActivations(fm, ds.train.x, 512, 'mse');
  const per = ds.val.x.length / ds.val.n;
  const val = { x: ds.val.x.subarray(0, nVal * per), y: ds.val.y.subarray(0, nVal), n: Math.min(nVal, ds.val.n) };
  const coster = new PolicyCoster(floatModel.graph, bitFusionEdge());
  const n = coster.layers.length;
  const wb = new Array<number>(n).fill(8);
  const ab = new Array<number>(n).fill(8);
  const lat = (w: readonly number[], a: readonly number[]): number => coster.cost(w, a).latency;
  const ref = lat(wb, ab);
  const loss = (w: number[], a: number[]): number => evaluatePolicy(fm, policyFromVectors(floatModel.graph, w, a), val, cal).loss;
  let cur = loss(wb, ab);
  const t0 = performance.now();
  while (lat(wb, ab) > ref / ratio) {
    const l0 = lat(wb, ab);
    let best: Move | undefined;
    for (let i = 0; i < n; i++) {
      for (const kind of ['w', 'a'] as const) {
        let lastL = l0;
        for (let b = ((kind === 'w' ? wb : ab)[i] as number) - 1; b >= 2; b--) {
          const w2 = wb.slice();
          const a2 = ab.slice();
          (kind === 'w' ? w2 : a2)[i] = b;
          const l = lat(w2, a2);
          if (l >= lastL - 1e-12) continue;
          lastL = l;
          const v = loss(w2, a2);
          const r = Math.max(v - cur, 1e-6) / (l0 - l);
          if (!best || r < best.ratio) best = { ratio: r, wb: w2, ab: a2, loss: v, label: `${coster.layers[i]?.name}.${kind}->${b}` };
        }
      }
    }
    if (!best) throw new Error('no cheaper width saves latency');
    wb.splice(0, n, ...best.wb);
    ab.splice(0, n, ...best.ab);
    cur = best.loss;
    process.stderr.write(`[greedy s${seed}] ${best.label}: latency ${(ref / lat(wb, ab)).toFixed(3)}x lower, val loss ${cur.toFixed(4)}\n`);
  }
  const searchSeconds = (performance.now() - t0) / 1000;
  const test = ds.test;
  const p = policyFromVectors(floatModel.graph, wb, ab, 'greedy');
  const w8a8 = evaluatePolicy(fm, uniformPolicy(8, 8), test, cal).accuracy;
  const ptq = evaluatePolicy(fm, p, test, cal).accuracy;
  const pm = buildModel(preparePolicy(floatModel, p, { ...parsePtq('bias,adaround'), seed }, { images: { x: ds.train.x, n: 512 }, calibration: cal }));
  const ptqSteps = evaluatePolicy(pm, p, test, cal).accuracy;
  pm.dispose();
  fm.dispose();
  return {
    seed,
    ratio,
    valImages: val.n,
    weightBits: wb,
    actBits: ab,
    latencyX: ref / lat(wb, ab),
    w8a8,
    ptq,
    ptqSteps,
    deltaPp: (ptqSteps - w8a8) * 100,
    searchSeconds,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string, def: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
  };
  benchQuantGreedy(arg('--seed', 1), arg('--ratio', 1.5), arg('--val', 1000)).then(
    (r) => console.log(JSON.stringify(r)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
