/**
 * Time of a fake-quantized forward pass and of a QAT gradient step on mbnet32 with its batch norms folded
 * into conv biases (so every conv and the dense layer has an int32-quantized bias), W8A8 min/max or LSQ
 * hooks, random input (timing does not depend on the data), batch 64, in one thread. Prints the median
 * milliseconds per forward pass and per gradient step; with `--dump FILE` it also writes the logits and the
 * flat gradients of the first step (float32, little-endian), so two builds can be compared bit for bit; with
 * `--kernels` it counts the tfjs kernels of one forward pass and one step instead (independent of the load).
 * Run: `npx tsc -p tsconfig.json && nice node dist/bench/quant-step.js [--lsq] [--steps N] [--dump FILE]`.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { initEngine } from '../src/engine/backend.js';
import { lsqQuantHooks, quantHooks } from '../src/engine/fake-quant.js';
import { buildModel } from '../src/engine/model.js';
import { tf } from '../src/engine/tf.js';
import { computeGradients, flatLayout } from '../src/engine/train-step.js';
import { policyFromVectors } from '../src/hardware/precision.js';
import { quantizableLayers } from '../src/ir/workload.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { randomModel } from '../src/onnx/testing/fixtures.js';
import { calibrateActivations } from '../src/quant/apply.js';
import { foldBatchNorm } from '../src/quant/bn-fold.js';
import { quantConfig } from '../src/quant/quant-config.js';
import { Rng } from '../src/util/rng.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { lsq: { type: 'boolean' }, steps: { type: 'string' }, dump: { type: 'string' }, kernels: { type: 'boolean' } } });
  const steps = Number(values.steps ?? 20);
  await initEngine();
  const model = foldBatchNorm(randomModel(zooGraph('mbnet32'), 1)).model;
  const m = buildModel(model);
  const n = 64;
  const rng = new Rng(2);
  const x = Float32Array.from({ length: n * 3 * 32 * 32 }, () => rng.uniform(0, 1));
  const oneHot = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) oneHot[i * 10 + rng.int(0, 9)] = 1;
  const layers = quantizableLayers(model.graph);
  const cfg = quantConfig(
    model.graph,
    policyFromVectors(
      model.graph,
      layers.map(() => 8),
      layers.map(() => 8),
    ),
    calibrateActivations(m, x, n, 'minmax'),
  );
  if (values.lsq === true) {
    const out = new Map(layers.map((l) => [l.name, l.op === 'conv2d' ? l.outChannels : l.outFeatures] as const));
    m.hooks = lsqQuantHooks(cfg, (layer) => {
      const weight = m.variables.get(`${layer}.weight`);
      const outChannels = out.get(layer);
      return weight && outChannels !== undefined ? { weight, outChannels } : undefined;
    });
  } else m.hooks = quantHooks(cfg);
  if (values.kernels === true) {
    // the kernels one forward pass and one gradient step run (a count, independent of the machine's load)
    const count = async (f: () => unknown): Promise<string> => {
      const p = await tf.profile(() => {
        f();
      });
      const by = new Map<string, number>();
      for (const k of p.kernels) by.set(k.name, (by.get(k.name) ?? 0) + 1);
      return `${p.kernels.length} kernels (Max ${by.get('Max') ?? 0}, Abs ${by.get('Abs') ?? 0})`;
    };
    const lay = flatLayout(m);
    const g = new Float32Array(lay.total);
    const st = new Float32Array(Math.max(1, lay.statsTotal));
    console.log(
      `forward: ${await count(() => m.predict(x, n, { batchSize: n }))}; QAT step: ${await count(() => computeGradients(m, lay, x, oneHot, n, 0, g, st))}`,
    );
    m.dispose();
    return;
  }
  const layout = flatLayout(m);
  const grads = new Float32Array(layout.total);
  const stats = new Float32Array(Math.max(1, layout.statsTotal));
  const fwd: number[] = [];
  const step: number[] = [];
  let logits: Float32Array = new Float32Array(0);
  for (let s = 0; s < steps; s++) {
    let t = performance.now();
    logits = m.predict(x, n, { batchSize: n });
    fwd.push(performance.now() - t);
    t = performance.now();
    computeGradients(m, layout, x, oneHot, n, 0, grads, stats);
    step.push(performance.now() - t);
    if (s === 0 && values.dump !== undefined) {
      const all = new Float32Array(logits.length + grads.length);
      all.set(logits);
      all.set(grads, logits.length);
      writeFileSync(values.dump, new Uint8Array(all.buffer));
    }
  }
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(
    `mbnet32 folded, W8A8 ${values.lsq === true ? 'LSQ' : 'min/max'} hooks, batch ${n}, ${steps} steps: forward ${median(fwd).toFixed(1)} ms, QAT step ${median(step).toFixed(1)} ms (medians; load ${load.join(' ')})`,
  );
  m.dispose();
}

await main();
