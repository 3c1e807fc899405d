/**
 * Metric-learning losses and the training loop of embedding (retrieval) models.
 *
 * A retrieval model (src/tasks/retrieval.ts) outputs an embedding `e` (first output) and holds one proxy
 * per class as the weight of its bias-free dense node `proxies` (engine layout `[dim, classes]`). With
 * `ê`, `p̂` the L2-normalised embedding and proxies and `cos = ê p̂ᵀ`:
 * - `norm-softmax` (normalised softmax / cosine classifier, Zhai & Wu 2019): softmax cross-entropy of
 *   `scale * cos` (default scale 16);
 * - `proxy-anchor` (Kim et al. 2020): for every proxy with positives in the batch,
 *   `log(1 + Σ_pos exp(-α (cos - δ)))` averaged over those proxies, plus `log(1 + Σ_neg exp(α (cos + δ)))`
 *   averaged over all proxies (α = 32, δ = 0.1);
 * - compatibility (backward-compatible training, BCT-style): the query model's proxies are the frozen
 *   gallery model's (copied in, excluded from updates), and an alignment term
 *   `λ · mean(1 - ê · ĝ)` pulls each training image's query embedding towards the gallery model's
 *   embedding of the same image (`align.targets`, precomputed).
 *
 * The loop is src/engine/train.ts's on one thread: seeded shuffling, then per batch the gradients into the flat
 * layout (`flatGradients`) and `TrainLoop`'s step (Adam/SGD on a flat parameter copy, learning-rate schedule,
 * batch-norm running statistics, progress, epoch summaries).
 */
import { ConfigError, ShapeError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { crossEntropyLoss } from './grads/cross-entropy.js';
import type { BnBatchStats, EngineModel } from './model.js';
import { Optimizer, type OptimizerName, type ScheduleName } from './optim.js';
import { tf } from './tf.js';
import { decayMask, type EpochSummary, type TrainData, TrainLoop, type TrainProgress } from './train.js';
import { flatGradients, flatLayout } from './train-step.js';

/** Metric-learning loss names. */
export type MetricLossName = 'norm-softmax' | 'proxy-anchor';

/** Loss settings. */
export interface MetricLossOptions {
  readonly loss?: MetricLossName;
  /** norm-softmax: logit scale (inverse temperature), default 16. */
  readonly scale?: number;
  /** proxy-anchor: alpha (default 32) and margin delta (default 0.1). */
  readonly alpha?: number;
  readonly delta?: number;
}

/** Rows of `x` scaled to unit L2 norm along `axis`. */
export function l2NormalizeTensor<T extends tf.Tensor>(x: T, axis: number): T {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), axis, true), 1e-12))) as T);
}

/**
 * The metric loss of a batch: `emb` `[n, dim]`, `proxies` `[dim, classes]` (engine dense layout),
 * `oneHot` `[n, classes]`.
 */
export function metricLoss(emb: tf.Tensor2D, proxies: tf.Tensor2D, oneHot: tf.Tensor2D, o: MetricLossOptions = {}): tf.Scalar {
  const kind = o.loss ?? 'norm-softmax';
  return tf.tidy(() => {
    const cos = tf.matMul(l2NormalizeTensor(emb, 1), l2NormalizeTensor(proxies, 0));
    if (kind === 'norm-softmax') return crossEntropyLoss(tf.mul(cos, o.scale ?? 16), oneHot);
    if (kind !== 'proxy-anchor') throw new ConfigError(`unknown metric loss '${String(kind)}': expected 'norm-softmax' or 'proxy-anchor'`);
    const alpha = o.alpha ?? 32;
    const delta = o.delta ?? 0.1;
    const neg = tf.sub(1, oneHot);
    const posSum = tf.sum(tf.mul(tf.exp(tf.mul(tf.sub(cos, delta), -alpha)), oneHot), 0);
    const negSum = tf.sum(tf.mul(tf.exp(tf.mul(tf.add(cos, delta), alpha)), neg), 0);
    const withPos = tf.sum(tf.cast(tf.greater(tf.sum(oneHot, 0), 0), 'float32'));
    const classes = oneHot.shape[1];
    const posTerm = tf.div(tf.sum(tf.log1p(posSum)), tf.maximum(withPos, 1));
    const negTerm = tf.div(tf.sum(tf.log1p(negSum)), classes);
    return tf.add(posTerm, negTerm) as tf.Scalar;
  });
}

/** `mean(1 - ê · t̂)` of embeddings `emb` against targets `[n, dim]` (the gallery model's embeddings). */
export function alignmentLoss(emb: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(1, tf.sum(tf.mul(l2NormalizeTensor(emb, 1), l2NormalizeTensor(targets, 1)), 1))) as tf.Scalar);
}

/** Options of {@link trainEmbedding}. */
export interface EmbeddingTrainOptions extends MetricLossOptions {
  readonly epochs: number;
  /** Default 64. */
  readonly batchSize?: number;
  /** Default 'adam'. */
  readonly optimizer?: OptimizerName;
  /** Peak learning rate (default 3e-3 Adam, 0.05 SGD). */
  readonly lr?: number;
  /** Default 'cosine'. */
  readonly schedule?: ScheduleName;
  /** L2 weight decay on conv/dense weights (not on proxies; default 0). */
  readonly weightDecay?: number;
  /** Seed of the shuffling (default 0). */
  readonly seed?: number;
  /** Weight key of the class proxies (default 'proxies.weight'). */
  readonly proxiesKey?: string;
  /** Keep the proxies fixed (compatible training with a gallery model's proxies; default false). */
  readonly freezeProxies?: boolean;
  /** Alignment with a gallery model: its embeddings of the training images (n x dim, data order) and λ. */
  readonly align?: { readonly targets: Float32Array; readonly weight: number };
  readonly onProgress?: (p: TrainProgress) => void;
  /** Called after each epoch and awaited before the next one (e.g. a validation pass on the model as trained so far). */
  readonly onEpochEnd?: (e: EpochSummary) => void | Promise<void>;
  /** Longest stretch of batches without an event-loop turn, in ms (default 250; see TrainOptions). */
  readonly yieldEveryMs?: number;
}

/** What {@link trainEmbedding} returns. */
export interface EmbeddingTrainResult {
  readonly epochs: readonly EpochSummary[];
  readonly steps: number;
  /** Mean loss of the last epoch. */
  readonly loss: number;
  readonly imagesPerSec: number;
  readonly seconds: number;
}

/**
 * Trains a retrieval model in place with a metric loss (plus the alignment term when `align` is given).
 * @example
 * await trainEmbedding(em, ds.train, { epochs: 2, loss: 'norm-softmax', seed: 1 });
 */
export async function trainEmbedding(model: EngineModel, data: TrainData, opts: EmbeddingTrainOptions): Promise<EmbeddingTrainResult> {
  const key = opts.proxiesKey ?? 'proxies.weight';
  const proxyVar = model.variables.get(key);
  if (proxyVar?.rank !== 2) throw new ConfigError(`model '${model.graph.name}' has no class proxies '${key}': build it with the retrieval head`);
  const [dim, classes] = proxyVar.shape as [number, number];
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(opts.epochs) || opts.epochs < 0) throw new ConfigError(`epochs ${opts.epochs} must be a non-negative integer`);
  if (!Number.isInteger(data.n) || data.n < 1) throw new ShapeError(`training data has n=${data.n} samples, expected a positive integer`);
  if (data.x.length < data.n * per) throw new ShapeError(`training data x has ${data.x.length} values, expected n x ${per}`);
  for (let i = 0; i < data.n; i++) {
    const v = data.y[i] as number;
    if (!Number.isInteger(v) || v < 0 || v >= classes)
      throw new ShapeError(`label ${v} at index ${i} is out of range: expected 0..${classes - 1} (the model's proxies)`);
  }
  const embDim = model.outputShape.reduce((a, b) => a * b, 1);
  if (embDim !== dim) throw new ShapeError(`model '${model.graph.name}': embedding output has ${embDim} values, proxies ${dim}`);
  const align = opts.align;
  if (align) {
    if (align.targets.length !== data.n * dim)
      throw new ShapeError(`alignment targets have ${align.targets.length} values, expected n x dim = ${data.n} x ${dim}`);
    if (!(align.weight >= 0)) throw new ConfigError(`alignment weight ${align.weight} must be >= 0`);
  }
  const bs = Math.min(opts.batchSize ?? 64, data.n);
  if (!Number.isInteger(bs) || bs < 1) throw new ConfigError(`batchSize ${opts.batchSize} must be a positive integer`);
  const kind = opts.optimizer ?? 'adam';
  const lr0 = opts.lr ?? (kind === 'adam' ? 3e-3 : 0.05);
  if (!(lr0 > 0)) throw new ConfigError(`lr ${lr0} must be > 0`);
  const batches = Math.ceil(data.n / bs);
  const schedule = { kind: opts.schedule ?? 'cosine', lr: lr0, totalSteps: batches * opts.epochs } as const;

  const layout = flatLayout(model);
  const pIndex = layout.keys.indexOf(key);
  const frozen = opts.freezeProxies === true;
  const optim = new Optimizer(layout.total, { kind, weightDecay: opts.weightDecay ?? 0 }, decayMask(layout, key));
  const trainVars = layout.vars.filter((_, i) => !(frozen && i === pIndex)) as tf.Variable[];
  const order = Int32Array.from({ length: data.n }, (_, i) => i);
  const rng = new Rng(opts.seed ?? 0);
  const bx = new Float32Array(bs * per);
  const by = new Float32Array(bs * classes);
  const bt = new Float32Array(bs * dim);
  const loop = new TrainLoop(model, layout, optim, schedule, batches, { ...opts, what: 'embedding training' });
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    rng.shuffle(order as unknown as number[]);
    loop.beginEpoch(epoch);
    for (let b = 0; b < batches; b++) {
      const start = b * bs;
      const n = Math.min(bs, data.n - start);
      by.fill(0, 0, n * classes);
      for (let i = 0; i < n; i++) {
        const src = order[start + i] as number;
        bx.set(data.x.subarray(src * per, (src + 1) * per), i * per);
        by[i * classes + (data.y[src] as number)] = 1;
        if (align) bt.set(align.targets.subarray(src * dim, (src + 1) * dim), i * dim);
      }
      const xt = model.inputTensor(bx, n);
      const yt = tf.tensor2d(by.subarray(0, n * classes), [n, classes]);
      const tt = align ? tf.tensor2d(bt.subarray(0, n * dim), [n, dim]) : undefined;
      let loss: number;
      try {
        const lossOf = (bnStats: BnBatchStats[]): tf.Scalar => {
          const emb = model.forward(xt, { training: true, bnStats }).reshape([n, dim]) as tf.Tensor2D;
          const m = metricLoss(emb, proxyVar as unknown as tf.Tensor2D, yt, opts);
          return tt && align ? (tf.add(m, tf.mul(alignmentLoss(emb, tt), align.weight)) as tf.Scalar) : m;
        };
        loss = flatGradients(layout, trainVars, lossOf, loop.grads, loop.stats);
      } finally {
        tf.dispose([xt, yt, ...(tt ? [tt] : [])]);
      }
      await loop.afterBatch(loss, n);
    }
    await loop.endEpoch();
  }
  return loop.result();
}
