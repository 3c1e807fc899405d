/**
 * One gradient computation of the loss on a batch, written into flat arrays: the unit of work that
 * the training loop runs in the main thread and that data-parallel workers run on their share.
 */
import { crossEntropyLoss } from './grads/cross-entropy.js';
import type { BnBatchStats, EngineModel } from './model.js';
import { tf } from './tf.js';

/** Where each trainable tensor and each batch-norm statistic lives in the flat arrays. */
export interface FlatLayout {
  readonly keys: readonly string[];
  /** The variables, in `keys` order. */
  readonly vars: readonly tf.Variable[];
  readonly offsets: readonly number[];
  readonly sizes: readonly number[];
  /** Total trainable parameters. */
  readonly total: number;
  /** Batch-norm nodes with their channel count and offset in the statistics array (mean then var). */
  readonly bn: readonly { readonly node: string; readonly channels: number; readonly offset: number }[];
  /** Length of the statistics array. */
  readonly statsTotal: number;
}

/** The flat layout of a model's trainable parameters and batch-norm statistics. */
export function flatLayout(model: EngineModel): FlatLayout {
  const all = model.trainables();
  const keys = all.map((t) => t.key);
  const vars = all.map((t) => t.variable);
  const sizes = vars.map((v) => v.size);
  const offsets: number[] = [];
  let total = 0;
  for (const s of sizes) {
    offsets.push(total);
    total += s;
  }
  const bn: { node: string; channels: number; offset: number }[] = [];
  let st = 0;
  for (const n of model.graph.nodes) {
    if (n.op !== 'batchnorm') continue;
    bn.push({ node: n.name, channels: n.channels, offset: st });
    st += 2 * n.channels;
  }
  return { keys, vars, offsets, sizes, total, bn, statsTotal: st };
}

/** Copies the model's trainable parameters into a flat array. */
export function readParams(model: EngineModel, layout: FlatLayout, out = new Float32Array(layout.total)): Float32Array {
  void model;
  layout.vars.forEach((v, i) => out.set(v.dataSync() as Float32Array, layout.offsets[i]));
  return out;
}

/** Writes a flat parameter array into the model's variables. */
export function writeParams(model: EngineModel, layout: FlatLayout, flat: Float32Array): void {
  void model;
  layout.vars.forEach((v, i) => {
    const off = layout.offsets[i] as number;
    const t = tf.tensor(flat.slice(off, off + (layout.sizes[i] as number)), v.shape, 'float32');
    v.assign(t);
    t.dispose();
  });
}

/**
 * Gradients of `loss` with respect to `vars` (a subset of the layout's variables; the others get 0), written to
 * `gradOut` (flat layout), and the batch-norm batch statistics the forward pass pushed to `bnStats`, written to
 * `statsOut`. `loss` runs the forward pass in training mode; the statistics' tensors are disposed. Returns the loss.
 */
export function flatGradients(
  layout: FlatLayout,
  vars: readonly tf.Variable[],
  loss: (bnStats: BnBatchStats[]) => tf.Scalar,
  gradOut: Float32Array,
  statsOut: Float32Array,
): number {
  const stats: BnBatchStats[] = [];
  try {
    const { value, grads } = tf.variableGrads(() => loss(stats), vars as tf.Variable[]);
    const out = (value.dataSync() as Float32Array)[0] as number;
    value.dispose();
    layout.vars.forEach((v, i) => {
      const g = grads[v.name];
      const off = layout.offsets[i] as number;
      if (g) {
        gradOut.set(g.dataSync() as Float32Array, off);
        g.dispose();
      } else gradOut.fill(0, off, off + (layout.sizes[i] as number));
    });
    for (const b of layout.bn) {
      const s = stats.find((q) => q.node === b.node);
      if (!s) continue;
      statsOut.set(s.mean.dataSync() as Float32Array, b.offset);
      statsOut.set(s.variance.dataSync() as Float32Array, b.offset + b.channels);
    }
    return out;
  } finally {
    for (const s of stats) tf.dispose([s.mean, s.variance]);
  }
}

/**
 * Mean loss and its gradients on `n` samples (input in engine layout, one-hot labels), training mode.
 * Gradients go to `gradOut` (flat layout), batch-norm batch statistics to `statsOut`. Returns the loss.
 */
export function computeGradients(
  model: EngineModel,
  layout: FlatLayout,
  x: Float32Array,
  oneHot: Float32Array,
  n: number,
  labelSmoothing: number,
  gradOut: Float32Array,
  statsOut: Float32Array,
): number {
  const inShape = model.inputShape;
  const engineIn = inShape.length === 3 ? [inShape[1] as number, inShape[2] as number, inShape[0] as number] : [...inShape];
  const per = engineIn.reduce((a, b) => a * b, 1);
  const k = model.outputShape.reduce((a, b) => a * b, 1);
  const xt = tf.tensor(x.subarray(0, n * per), [n, ...engineIn], 'float32');
  const yt = tf.tensor2d(oneHot.subarray(0, n * k), [n, k]);
  try {
    return flatGradients(
      layout,
      layout.vars,
      (bnStats) => crossEntropyLoss(model.forward(xt, { training: true, bnStats }).reshape([n, k]), yt, labelSmoothing),
      gradOut,
      statsOut,
    );
  } finally {
    xt.dispose();
    yt.dispose();
  }
}
