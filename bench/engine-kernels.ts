/**
 * Benchmark of the engine's wasm kernels: one Adam training step of the MNIST reference CNN
 * (conv16 3x3 - maxpool - conv32 3x3 - maxpool - fc10, batch 128, NHWC, written directly in tfjs)
 * with tfjs-wasm's stock Conv2DBackpropInput and matMul gradient vs the engine's, plus the cost of
 * one exact Hessian-vector product; and `--profile`: the per-kernel self time of one gradient step of the
 * zoo nets mnist-cnn and mbnet32 (docs/engine-performance.md).
 * Run: `npx tsc -p tsconfig.json && node dist/bench/engine-kernels.js [--profile]`.
 */
import { pathToFileURL } from 'node:url';
import { engineInfo, initEngine } from '../src/engine/backend.js';
import { registerBatchNormKernels } from '../src/engine/batchnorm-kernel.js';
import { crossEntropyLoss } from '../src/engine/grads/cross-entropy.js';
import { setMatMulGradient } from '../src/engine/grads/register.js';
import { hessianVectorProduct } from '../src/engine/hvp.js';
import { registerEngineKernels, setConvInputKernel } from '../src/engine/kernels/register.js';
import { buildModel } from '../src/engine/model.js';
import { tf } from '../src/engine/tf.js';
import { computeGradients, flatLayout } from '../src/engine/train-step.js';
import { initWeights } from '../src/ir/init.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { Rng } from '../src/util/rng.js';

/** Result of one benchmarked variant. */
export interface KernelBenchVariant {
  readonly variant: 'stock' | 'engine';
  readonly msPerStep: number;
  readonly imagesPerSec: number;
}

/** Everything {@link benchKernels} measures. */
export interface KernelBenchResult {
  readonly backend: string;
  readonly wasmSimd: boolean;
  readonly batch: number;
  readonly steps: number;
  readonly variants: readonly KernelBenchVariant[];
  readonly speedup: number;
  readonly hvpMs: number;
  readonly gradMs: number;
}

/** Options of {@link benchKernels}. */
export interface KernelBenchOptions {
  readonly batch?: number;
  readonly steps?: number;
  readonly warmup?: number;
}

function randn(rng: Rng, shape: number[], std: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal(0, std);
  return tf.tensor(v, shape);
}

function makeNet(rng: Rng): tf.Variable[] {
  return [
    tf.variable(randn(rng, [3, 3, 1, 16], Math.sqrt(2 / 9))),
    tf.variable(tf.zeros([16])),
    tf.variable(randn(rng, [3, 3, 16, 32], Math.sqrt(2 / 144))),
    tf.variable(tf.zeros([32])),
    tf.variable(randn(rng, [7 * 7 * 32, 10], Math.sqrt(1 / 1568))),
    tf.variable(tf.zeros([10])),
  ];
}

function forward(p: readonly tf.Tensor[], x: tf.Tensor4D): tf.Tensor {
  const [w1, b1, w2, b2, w3, b3] = p as [tf.Tensor4D, tf.Tensor, tf.Tensor4D, tf.Tensor, tf.Tensor2D, tf.Tensor];
  let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, w1, 1, 'same'), b1)) as tf.Tensor4D, 2, 2, 'valid');
  h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, w2, 1, 'same'), b2)) as tf.Tensor4D, 2, 2, 'valid');
  return tf.add(tf.matMul(tf.reshape(h, [x.shape[0], -1]) as tf.Tensor2D, w3), b3);
}

/** Times training steps of the MNIST reference CNN with stock vs engine kernels (wasm backend). */
export async function benchKernels(opts: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const batch = opts.batch ?? 128;
  const steps = opts.steps ?? 8;
  const warmup = opts.warmup ?? 2;
  await initEngine({ backend: 'wasm' });
  const rng = new Rng(2024);
  const x = randn(rng, [batch, 28, 28, 1], 1) as tf.Tensor4D;
  const labels = Array.from({ length: batch }, () => rng.int(0, 9));
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat();
  const variants: KernelBenchVariant[] = [];
  for (const variant of ['stock', 'engine'] as const) {
    setConvInputKernel(variant === 'stock' ? 'stock' : 'fast');
    setMatMulGradient(variant === 'stock' ? 'stock' : 'fast');
    const params = makeNet(new Rng(1));
    const opt = tf.train.adam(1e-3);
    const step = (): void => {
      const loss = opt.minimize(() => crossEntropyLoss(forward(params, x), y), true, params);
      loss?.dataSync();
      loss?.dispose();
    };
    for (let i = 0; i < warmup; i++) step();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    const ms = (performance.now() - t0) / steps;
    variants.push({ variant, msPerStep: ms, imagesPerSec: (batch * 1000) / ms });
    opt.dispose();
    tf.dispose(params);
  }
  setConvInputKernel('fast');
  setMatMulGradient('fast');
  // gradient and exact HVP cost with the engine's kernels
  const params = makeNet(new Rng(1)).map((v) => v as tf.Tensor);
  const lossFn = (p: tf.Tensor[]): tf.Scalar => crossEntropyLoss(forward(p, x), y);
  const v = params.map((p) => randn(new Rng(3), p.shape, 1));
  const time = (f: () => tf.Tensor[]): number => {
    tf.dispose(f());
    const t0 = performance.now();
    const out = f();
    out.forEach((t) => t.dataSync());
    const ms = performance.now() - t0;
    tf.dispose(out);
    return ms;
  };
  const gradMs = time(() => tf.grads((...p: tf.Tensor[]) => lossFn(p))(params));
  const hvpMs = time(() => hessianVectorProduct(lossFn, params, v));
  tf.dispose([...params, ...v, x, y]);
  const stock = variants[0] as KernelBenchVariant;
  const engine = variants[1] as KernelBenchVariant;
  const info = engineInfo();
  return {
    backend: info.backend,
    wasmSimd: info.wasmSimd,
    batch,
    steps,
    variants,
    speedup: engine.imagesPerSec / stock.imagesPerSec,
    hvpMs,
    gradMs,
  };
}

/** Per-kernel self time of one training gradient step of a zoo net (see {@link profileTrainStep}). */
export interface StepProfile {
  readonly net: string;
  readonly batch: number;
  readonly msPerStep: number;
  readonly imagesPerCpuSec: number;
  /** Time inside kernels; the rest is tape, tensor creation and reading gradients out. */
  readonly kernelMs: number;
  /** Per kernel name and input shapes: self time per step (nested kernels subtracted) and calls per step. */
  readonly kernels: readonly { readonly kernel: string; readonly shapes: string; readonly ms: number; readonly calls: number }[];
}

/**
 * Profiles `computeGradients` of zoo nets on wasm: every wasm kernel is wrapped with a timer and the
 * time of kernels it runs inside is subtracted, so each millisecond is counted once.
 */
export async function profileTrainStep(nets: readonly string[] = ['mnist-cnn', 'mbnet32'], batch = 128, steps = 5): Promise<StepProfile[]> {
  await initEngine({ backend: 'wasm' });
  registerBatchNormKernels();
  registerEngineKernels();
  const stats = new Map<string, { self: number; n: number }>();
  const stack: number[] = [];
  let on = false;
  const wrapped: { cfg: tf.KernelConfig; f: tf.KernelFunc }[] = [];
  for (const cfg of tf.getKernelsForBackend('wasm')) {
    const f = cfg.kernelFunc;
    wrapped.push({ cfg, f });
    (cfg as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => {
      if (!on) return f(args);
      const t0 = performance.now();
      stack.push(0);
      try {
        return f(args);
      } finally {
        const dt = performance.now() - t0;
        const child = stack.pop() ?? 0;
        if (stack.length) stack[stack.length - 1] = (stack[stack.length - 1] as number) + dt;
        const key = `${cfg.kernelName} ${JSON.stringify(Object.values(args.inputs).map((t) => t?.shape))}`;
        const a = stats.get(key) ?? { self: 0, n: 0 };
        a.self += dt - child;
        a.n++;
        stats.set(key, a);
      }
    };
  }
  const out: StepProfile[] = [];
  try {
    for (const net of nets) {
      const graph = zooGraph(net);
      const m = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
      const layout = flatLayout(m);
      const per = m.inputShape.reduce((a, b) => a * b, 1);
      const k = m.outputShape.reduce((a, b) => a * b, 1);
      const rng = new Rng(3);
      const x = new Float32Array(batch * per).map(() => rng.normal(0, 1));
      const y = new Float32Array(batch * k);
      for (let i = 0; i < batch; i++) y[i * k + (i % k)] = 1;
      const g = new Float32Array(layout.total);
      const st = new Float32Array(layout.statsTotal);
      for (let i = 0; i < 2; i++) computeGradients(m, layout, x, y, batch, 0, g, st);
      stats.clear();
      on = true;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) computeGradients(m, layout, x, y, batch, 0, g, st);
      const ms = (performance.now() - t0) / steps;
      const cpu = process.cpuUsage(c0);
      on = false;
      m.dispose();
      const kernels = [...stats.entries()]
        .map(([key, a]) => ({ kernel: key.split(' ')[0] as string, shapes: key.slice(key.indexOf(' ') + 1), ms: a.self / steps, calls: a.n / steps }))
        .sort((a, b) => b.ms - a.ms);
      out.push({
        net,
        batch,
        msPerStep: ms,
        imagesPerCpuSec: (batch * steps * 1e6) / (cpu.user + cpu.system),
        kernelMs: kernels.reduce((a, q) => a + q.ms, 0),
        kernels,
      });
    }
  } finally {
    for (const { cfg, f } of wrapped) (cfg as { kernelFunc: tf.KernelFunc }).kernelFunc = f;
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.includes('--profile')) {
  for (const p of await profileTrainStep()) {
    console.log(`${p.net}: ${p.msPerStep.toFixed(1)} ms/step, ${p.imagesPerCpuSec.toFixed(0)} img/CPU-s, kernels ${p.kernelMs.toFixed(1)} ms`);
    for (const q of p.kernels.slice(0, 20)) console.log(`  ${q.ms.toFixed(2).padStart(7)} ms x${q.calls} ${q.kernel} ${q.shapes}`);
  }
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchKernels();
  for (const v of r.variants) {
    console.log(`${v.variant.padEnd(6)} ${v.msPerStep.toFixed(1)} ms/step  ${v.imagesPerSec.toFixed(0)} img/s`);
  }
  console.log(
    `speedup ${r.speedup.toFixed(2)}x; gradient ${r.gradMs.toFixed(0)} ms, exact HVP ${r.hvpMs.toFixed(0)} ms (batch ${r.batch}, simd ${r.wasmSimd})`,
  );
}
