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
import type { ActivationInfo, EngineModel, ForwardHooks } from './model.js';
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
 * The batch of a loss: the first `n` samples of `x` as the model's input tensor, their labels `y` one-hot over the
 * model's `k` outputs; a ShapeError starting with `what` for too few labels or one out of range. Dispose both.
 */
function lossBatch(model: EngineModel, x: Float32Array, y: ArrayLike<number>, n: number, what: string): { k: number; xt: tf.Tensor; yt: tf.Tensor2D } {
  if (y.length < n) throw new ShapeError(`${what}: ${y.length} labels for ${n} samples`);
  const k = model.outputShape.reduce((a, b) => a * b, 1);
  const oneHot = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const label = y[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= k) throw new ShapeError(`${what}: label ${label} at index ${i} out of range 0..${k - 1}`);
    oneHot[i * k + label] = 1;
  }
  return { k, xt: model.inputTensor(x, n), yt: tf.tensor2d(oneHot, [n, k]) };
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
  const { k, xt, yt } = lossBatch(model, x, y, n, 'layerHvp');
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

/** Options of {@link activationHvpFn}. */
export interface ActivationHvpOptions {
  /** Batch norm in training mode (default false: eval). */
  readonly training?: boolean;
  /** Label smoothing of the loss (default 0). */
  readonly labelSmoothing?: number;
  /** Number of samples (default: all of `x`). */
  readonly n?: number;
}

/** A Hessian-vector product operator on one node's output activation (all samples of a fixed batch). */
export interface ActivationHvp extends Omit<LayerHvp, 'shape'> {
  /** Per-sample IR shape of the activation (NCHW). */
  readonly shape: readonly number[];
  /** Channels: axis 0 of the per-sample IR shape (features of a vector). Vectors are channel-major, see {@link activationHvpFn}. */
  readonly channels: number;
  /** Samples of the batch. */
  readonly n: number;
  /** The activation itself on the batch (unperturbed), channel-major like the vectors. */
  readonly values: Float32Array;
}

/**
 * Prepares H·v, where H is the Hessian of the mean loss on `n` samples with respect to the output of node
 * `node` (any node, the graph input included): a perturbation `d` (zeros) is added to that output inside the
 * forward pass (an activation hook, composed after the model's own hooks) and H·v is the exact double
 * backprop of the loss in `d` at `d = 0`. Every reader of the value sees the perturbation.
 *
 * Vectors are **channel-major**: `[C, n, ...rest]` of the per-sample IR shape `[C, ...rest]` (a vector value's
 * features are its channels), so channel `c` is the consecutive block `c·size/C ... (c+1)·size/C - 1` and
 * Hutchinson's per-block traces ({@link hutchinsonTrace} in src/quant with `channels: C`) are per-channel traces.
 */
export function activationHvpFn(model: EngineModel, node: string, x: Float32Array, y: ArrayLike<number>, opts: ActivationHvpOptions = {}): ActivationHvp {
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  const n = opts.n ?? Math.floor(x.length / per);
  if (!(Number.isInteger(n) && n >= 1)) throw new ShapeError(`activationHvp: ${n} samples, expected at least 1`);
  if (!model.graph.nodes.some((m) => m.name === node))
    throw new ConfigError(
      `activationHvp: node '${node}' not found in model '${model.graph.name}': expected one of ${model.graph.nodes.map((m) => m.name).join(', ')}`,
    );
  const { k, xt, yt } = lossBatch(model, x, y, n, 'activationHvp');
  const training = opts.training === true;
  const ls = opts.labelSmoothing ?? 0;
  // one forward pass to learn the value's engine tensor shape and layout
  let seen: { shape: number[]; info: ActivationInfo; data: Float32Array } | undefined;
  const own = model.hooks;
  const withPerturbation = (d: tf.Tensor | undefined): ForwardHooks => ({
    ...own,
    activationTransform: (a, info) => {
      const b = own.activationTransform ? own.activationTransform(a, info) : a;
      if (info.node !== node) return b;
      if (!d) {
        seen = { shape: [...b.shape], info, data: (b.dataSync() as Float32Array).slice() };
        return b;
      }
      return tf.add(b, d);
    },
  });
  const run = (d: tf.Tensor | undefined): tf.Scalar => {
    model.hooks = withPerturbation(d);
    try {
      return crossEntropyLoss(model.forward(xt, { training, secondOrder: true }).reshape([n, k]), yt, ls);
    } finally {
      model.hooks = own;
    }
  };
  let loss: number;
  try {
    const lossT = tf.tidy(() => run(undefined));
    loss = (lossT.dataSync() as Float32Array)[0] as number;
    lossT.dispose();
  } catch (e) {
    xt.dispose();
    yt.dispose();
    throw e;
  }
  if (!seen) {
    xt.dispose();
    yt.dispose();
    throw new ConfigError(`activationHvp: node '${node}' does not feed the output of model '${model.graph.name}'`);
  }
  const { shape: engineShape, info, data } = seen;
  const irShape = [...info.shape];
  const size = engineShape.reduce((a, b) => a * b, 1);
  const perSample = size / n;
  const channels = irShape[0] as number;
  // perm[i] = engine-layout index of channel-major index i
  const perm = new Int32Array(size);
  const rest = perSample / channels;
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < perSample; j++) {
      let c: number;
      let r: number;
      if (info.layout === 'nhwc') {
        c = j % channels;
        r = Math.floor(j / channels);
      } else if (info.layout === 'flat-hwc') {
        // a flatten kept in HWC order: engine index (p·ch + c0) is IR feature c0·hw + p
        const ch = info.flatFrom?.[0] ?? 1;
        const hw = perSample / ch;
        c = (j % ch) * hw + Math.floor(j / ch);
        r = 0;
      } else {
        c = Math.floor(j / rest);
        r = j % rest;
      }
      perm[c * n * rest + s * rest + r] = s * perSample + j;
    }
  }
  const inv = new Int32Array(size);
  for (let i = 0; i < size; i++) inv[perm[i] as number] = i;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = data[perm[i] as number] as number;
  const zeros = tf.zeros(engineShape);
  return {
    size,
    shape: irShape,
    channels,
    n,
    values,
    loss,
    hvp(v: Float32Array): Float32Array {
      if (v.length !== size) throw new ShapeError(`activationHvp '${node}': vector has ${v.length} entries, expected ${size}`);
      const e = new Float32Array(size);
      for (let i = 0; i < size; i++) e[perm[i] as number] = v[i] as number;
      const vt = tf.tensor(e, engineShape, 'float32');
      try {
        const [hv] = hessianVectorProduct((ps) => run(ps[0] as tf.Tensor), [zeros], [vt]);
        const out = (hv as tf.Tensor).dataSync() as Float32Array;
        (hv as tf.Tensor).dispose();
        const r = new Float32Array(size);
        for (let j = 0; j < size; j++) r[inv[j] as number] = out[j] as number;
        return r;
      } finally {
        vt.dispose();
      }
    },
    dispose(): void {
      xt.dispose();
      yt.dispose();
      zeros.dispose();
    },
  };
}
