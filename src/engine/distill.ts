/**
 * Feature-map distillation and batch-norm recalibration (HANT's layer-wise distillation, SPOS's
 * recalibration). A "student" here is any EngineModel whose input is a teacher's feature map (or an
 * image) and whose first output must reproduce a teacher's feature map: both are plain NCHW float
 * arrays, sample-major, so callers never touch tensors.
 *
 * Training: seeded mini-batches (a fresh shuffled order each pass over the data), mean squared error
 * between the model's output (IR order) and the target, gradients by autodiff (written out as in
 * training, by `flatGradients`), the engine's Adam on a flat parameter vector (every trainable, the
 * hooks' variables included, as in training), cosine learning rate. Batch norm trains with batch statistics; its running
 * statistics are left alone during training and set afterwards by {@link recalibrateBatchNorm}
 * (exact population statistics over the data), which {@link distill} calls at the end.
 */
import { ConfigError, ShapeError } from '../errors.js';
import { Rng } from '../util/rng.js';
import type { BnBatchStats, EngineModel } from './model.js';
import { learningRate, Optimizer } from './optim.js';
import { tf } from './tf.js';
import { flatGradients, flatLayout, readParams, writeParams } from './train-step.js';

/** Inputs (model input shape) and targets (model output shape) of `n` samples, NCHW, sample-major. */
export interface DistillData {
  readonly x: Float32Array;
  readonly target: Float32Array;
  readonly n: number;
}

/** Options of {@link distill}. */
export interface DistillOptions {
  /** Optimisation steps (one mini-batch each). */
  readonly steps: number;
  /** Default 32. */
  readonly batchSize?: number;
  /** Peak Adam learning rate (default 2e-3), cosine-annealed to 0 over `steps`. */
  readonly lr?: number;
  /** Seed of the batch order (default 0). */
  readonly seed?: number;
  /** Recalibrate batch-norm running statistics on `data` at the end (default true). */
  readonly recalibrate?: boolean;
}

/** What {@link distill} returns. */
export interface DistillResult {
  readonly steps: number;
  /** Mean batch loss over the first 10% of the steps (at least one). */
  readonly firstLoss: number;
  /** Mean batch loss over the last 10% of the steps (at least one). */
  readonly lastLoss: number;
  readonly seconds: number;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function checkData(model: EngineModel, d: DistillData, what: string): { inPer: number; outPer: number } {
  const inPer = prod(model.inputShape);
  const outPer = prod(model.outputShape);
  if (!Number.isInteger(d.n) || d.n < 1) throw new ShapeError(`${what}: n=${d.n} must be a positive integer`);
  if (d.x.length < d.n * inPer) throw new ShapeError(`${what}: x has ${d.x.length} values, expected ${d.n} x [${model.inputShape.join(',')}]`);
  if (d.target.length < d.n * outPer) {
    throw new ShapeError(`${what}: target has ${d.target.length} values, expected ${d.n} x [${model.outputShape.join(',')}]`);
  }
  return { inPer, outPer };
}

/**
 * Trains `model` in place so that its output matches `data.target` (MSE); returns the loss trend.
 * @example const r = distill(student, { x: teacherIn, target: teacherOut, n: 1024 }, { steps: 300, seed: 1 });
 */
export function distill(model: EngineModel, data: DistillData, opts: DistillOptions): DistillResult {
  const { inPer, outPer } = checkData(model, data, 'distill');
  if (!Number.isInteger(opts.steps) || opts.steps < 0) throw new ConfigError(`distill: steps ${opts.steps} must be a non-negative integer`);
  const bs = Math.min(opts.batchSize ?? 32, data.n);
  if (!Number.isInteger(bs) || bs < 1) throw new ConfigError(`distill: batchSize ${opts.batchSize} must be a positive integer`);
  const lr0 = opts.lr ?? 2e-3;
  if (!(lr0 > 0)) throw new ConfigError(`distill: lr ${lr0} must be > 0`);
  const t0 = performance.now();
  const layout = flatLayout(model);
  const losses: number[] = [];
  if (layout.total > 0 && opts.steps > 0) {
    const optim = new Optimizer(layout.total, { kind: 'adam' });
    const params = readParams(model, layout);
    const grads = new Float32Array(layout.total);
    const statsScratch = new Float32Array(layout.statsTotal);
    const rng = new Rng(opts.seed ?? 0);
    const order = Array.from({ length: data.n }, (_, i) => i);
    let pos = data.n;
    const bx = new Float32Array(bs * inPer);
    const by = new Float32Array(bs * outPer);
    const schedule = { kind: 'cosine', lr: lr0, totalSteps: opts.steps } as const;
    for (let step = 0; step < opts.steps; step++) {
      for (let i = 0; i < bs; i++) {
        if (pos >= data.n) {
          rng.shuffle(order);
          pos = 0;
        }
        const s = order[pos++] as number;
        bx.set(data.x.subarray(s * inPer, (s + 1) * inPer), i * inPer);
        by.set(data.target.subarray(s * outPer, (s + 1) * outPer), i * outPer);
      }
      const xt = model.inputTensor(bx, bs);
      const yt = tf.tensor(by, [bs, ...model.outputShape], 'float32');
      try {
        const loss = flatGradients(
          layout,
          layout.vars,
          (bnStats) => tf.mean(tf.squaredDifference(model.forward(xt, { training: true, bnStats }), yt)) as tf.Scalar,
          grads,
          statsScratch,
        );
        if (!Number.isFinite(loss)) throw new ConfigError(`distill diverged at step ${step}: loss is ${loss} (lower lr ${lr0}?)`);
        losses.push(loss);
      } finally {
        xt.dispose();
        yt.dispose();
      }
      optim.step(params, grads, learningRate(schedule, step));
      writeParams(model, layout, params);
    }
  }
  if (opts.recalibrate !== false) recalibrateBatchNorm(model, data.x, data.n);
  const k = Math.max(1, Math.floor(losses.length / 10));
  const mean = (a: number[]): number => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);
  return { steps: losses.length, firstLoss: mean(losses.slice(0, k)), lastLoss: mean(losses.slice(-k)), seconds: (performance.now() - t0) / 1000 };
}

/**
 * Mean squared error (eval mode) between the model's output and `data.target`, and the target's
 * variance (so `mse / targetVar` is a scale-free relative error).
 */
export function featureMse(model: EngineModel, data: DistillData, batchSize = 256): { mse: number; targetVar: number } {
  const { inPer, outPer } = checkData(model, data, 'featureMse');
  let se = 0;
  let sum = 0;
  let sq = 0;
  for (let s = 0; s < data.n; s += batchSize) {
    const m = Math.min(batchSize, data.n - s);
    const xt = model.inputTensor(data.x.subarray(s * inPer, (s + m) * inPer), m);
    const y = model.forward(xt);
    const out = y.dataSync() as Float32Array;
    y.dispose();
    xt.dispose();
    const t = data.target.subarray(s * outPer, (s + m) * outPer);
    for (let i = 0; i < out.length; i++) {
      const tv = t[i] as number;
      const d = (out[i] as number) - tv;
      se += d * d;
      sum += tv;
      sq += tv * tv;
    }
  }
  const count = data.n * outPer;
  const mean = sum / count;
  return { mse: se / count, targetVar: Math.max(0, sq / count - mean * mean) };
}

/**
 * Sets every batch-norm node's running mean and variance to the exact statistics of its input over
 * `n` samples `x` (NCHW, model input shape), computed with the network in training mode (each BN
 * normalising by its batch statistics, as during training). Used after weight inheritance (SPOS) and
 * after distillation. Does nothing for a model without batch norm.
 */
export function recalibrateBatchNorm(model: EngineModel, x: Float32Array, n: number, opts: { batchSize?: number; maxSamples?: number } = {}): void {
  const bnNodes = model.graph.nodes.filter((nd) => nd.op === 'batchnorm');
  if (bnNodes.length === 0) return;
  const inPer = prod(model.inputShape);
  const total = Math.min(n, opts.maxSamples ?? n);
  if (x.length < total * inPer) throw new ShapeError(`recalibrateBatchNorm: x has ${x.length} values, expected ${total} x [${model.inputShape.join(',')}]`);
  const bs = opts.batchSize ?? 256;
  const acc = new Map<string, { s1: Float64Array; s2: Float64Array; count: number }>();
  for (let s = 0; s < total; s += bs) {
    const m = Math.min(bs, total - s);
    const xt = model.inputTensor(x.subarray(s * inPer, (s + m) * inPer), m);
    const stats: BnBatchStats[] = [];
    const y = model.forward(xt, { training: true, bnStats: stats });
    y.dispose();
    xt.dispose();
    for (const st of stats) {
      const mean = st.mean.dataSync() as Float32Array;
      const v = st.variance.dataSync() as Float32Array;
      let a = acc.get(st.node);
      if (!a) {
        a = { s1: new Float64Array(mean.length), s2: new Float64Array(mean.length), count: 0 };
        acc.set(st.node, a);
      }
      for (let c = 0; c < mean.length; c++) {
        const mc = mean[c] as number;
        a.s1[c] = (a.s1[c] as number) + mc * st.count;
        a.s2[c] = (a.s2[c] as number) + ((v[c] as number) + mc * mc) * st.count;
      }
      a.count += st.count;
      tf.dispose([st.mean, st.variance]);
    }
  }
  for (const [node, a] of acc) {
    const c = a.s1.length;
    const mean = new Float32Array(c);
    const vr = new Float32Array(c);
    const unbias = a.count > 1 ? a.count / (a.count - 1) : 1;
    for (let i = 0; i < c; i++) {
      const m = (a.s1[i] as number) / a.count;
      mean[i] = m;
      vr[i] = Math.max(0, (a.s2[i] as number) / a.count - m * m) * unbias;
    }
    model.setEngineWeight(`${node}.mean`, mean);
    model.setEngineWeight(`${node}.var`, vr);
  }
}
