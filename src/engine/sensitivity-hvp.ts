/**
 * Layer-wise Hessian-vector products of the training loss (mean softmax cross-entropy) with respect to
 * one layer's weights, by exact double backprop ({@link hessianVectorProduct}). Vectors are in the IR's
 * ONNX layout of that weight (conv `[O, I/g, kH, kW]`, dense `[out, in]`), so callers never see the
 * engine layout. The building block of Hutchinson Hessian-trace estimates (src/quant).
 */
import { ConfigError, ShapeError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { crossEntropyLoss } from './grads/cross-entropy.js';
import { hessianVectorProduct } from './hvp.js';
import type { EngineModel } from './model.js';
import { tf } from './tf.js';

/** Options of {@link layerHvpFn} and {@link layerHvp}. */
export interface LayerHvpOptions {
  /** Which parameter of the layer (default 'weight'; e.g. 'bias', 'scale'). */
  readonly param?: string;
  /** Batch norm in training mode (batch statistics) instead of eval mode (default false: eval). */
  readonly training?: boolean;
  /** Label smoothing of the loss (default 0). */
  readonly labelSmoothing?: number;
  /** Number of samples (default: all of `x`). */
  readonly n?: number;
}

/** A Hessian-vector product operator on one layer's weights for a fixed batch. */
export interface LayerHvp {
  /** Number of entries of the weight (length of the vectors). */
  readonly size: number;
  /** IR (ONNX) shape of the weight. */
  readonly shape: readonly number[];
  /** Mean loss on the batch. */
  readonly loss: number;
  /** H v, with v and the result in the IR layout of the weight. */
  hvp(v: Float32Array): Float32Array;
  /** Frees the batch tensors. */
  dispose(): void;
}

/**
 * Prepares H·v for the weights of `layer` on `n` NCHW samples `x` with labels `y`; reuse it for many
 * vectors (Hutchinson) and dispose it afterwards.
 * @example
 * const op = layerHvpFn(model, 'conv1', x, y);
 * const hv = op.hvp(rademacher(op.size, rng)); op.dispose();
 */
export function layerHvpFn(model: EngineModel, layer: string, x: Float32Array, y: ArrayLike<number>, opts: LayerHvpOptions = {}): LayerHvp {
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  const n = opts.n ?? Math.floor(x.length / per);
  const key = `${layer}.${opts.param ?? 'weight'}`;
  const variable = model.variables.get(key);
  if (!variable || !model.trainableKeys.includes(key)) {
    throw new ConfigError(`layer weight '${key}' not found in model '${model.graph.name}': expected one of ${model.trainableKeys.join(', ')}`);
  }
  if (y.length < n) throw new ShapeError(`layerHvp: ${y.length} labels for ${n} samples`);
  const k = model.outputShape.reduce((a, b) => a * b, 1);
  const oneHot = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const label = y[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= k) throw new ShapeError(`layerHvp: label ${label} at index ${i} out of range 0..${k - 1}`);
    oneHot[i * k + label] = 1;
  }
  const xt = model.inputTensor(x, n);
  const yt = tf.tensor2d(oneHot, [n, k]);
  const training = opts.training === true;
  const ls = opts.labelSmoothing ?? 0;
  const lossFn = (ps: tf.Tensor[]): tf.Scalar =>
    crossEntropyLoss(model.forward(xt, { training, secondOrder: true, overrides: new Map([[key, ps[0] as tf.Tensor]]) }).reshape([n, k]), yt, ls);
  const lossT = tf.tidy(() => lossFn([variable]));
  const loss = (lossT.dataSync() as Float32Array)[0] as number;
  lossT.dispose();
  const irShape = model.getWeights().get(key)?.shape ?? [];
  const size = variable.size;
  return {
    size,
    shape: irShape,
    loss,
    hvp(v: Float32Array): Float32Array {
      if (v.length !== size) throw new ShapeError(`layerHvp '${key}': vector has ${v.length} entries, expected ${size}`);
      const vt = tf.tensor(model.toEngineLayout(key, v), variable.shape, 'float32');
      try {
        const [hv] = hessianVectorProduct(lossFn, [variable], [vt]);
        const out = (hv as tf.Tensor).dataSync() as Float32Array;
        (hv as tf.Tensor).dispose();
        return model.toIrLayout(key, out);
      } finally {
        vt.dispose();
      }
    },
    dispose(): void {
      xt.dispose();
      yt.dispose();
    },
  };
}

/** H·v of the loss on one batch with respect to one layer's weights (IR layouts); see {@link layerHvpFn}. */
export function layerHvp(model: EngineModel, layer: string, x: Float32Array, y: ArrayLike<number>, v: Float32Array, opts: LayerHvpOptions = {}): Float32Array {
  const op = layerHvpFn(model, layer, x, y, opts);
  try {
    return op.hvp(v);
  } finally {
    op.dispose();
  }
}

/** A Rademacher vector (entries ±1 with probability 1/2), for Hutchinson trace estimates. */
export function rademacher(size: number, rng: Rng): Float32Array {
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = rng.next() < 0.5 ? -1 : 1;
  return v;
}

/** Dot product in float64. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
