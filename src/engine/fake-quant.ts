/**
 * Fake quantization on tfjs tensors for the engine's forward hooks (owned by src/quant; the only
 * quantization code that touches tfjs). Forward: quantize-dequantize on a uniform grid, ties to even
 * (as tf.round and ONNX QuantizeLinear). Backward: the clipped straight-through estimator (gradient 1
 * inside the representable range, 0 outside), or LSQ (learned step size, Esser et al. 2020) which
 * also returns the step-size gradient.
 *
 * {@link quantHooks} turns a plain-data {@link QuantHooksConfig} (what src/quant builds from a policy)
 * into {@link ForwardHooks}; being plain data, the same config also rebuilds the hooks inside training
 * worker threads through {@link quantHooksModule}.
 */
import { ConfigError } from '../errors.js';
import type { BiasInfo, ForwardHooks, HooksModule, TransformedWeight } from './model.js';
import { type ActQuantConfig, actChannelGrids, actGrid, biasInputScale, type QuantHooksConfig, type WeightQuantConfig } from './quant-grid.js';
import { tf } from './tf.js';

/**
 * Fake-quantize `x` with a (broadcastable) scale and zero point to integer codes [qmin, qmax];
 * clipped straight-through gradient for `x`.
 */
export function fakeQuantSte(x: tf.Tensor, scale: tf.Tensor, zeroPoint: tf.Tensor, qmin: tf.Tensor | number, qmax: tf.Tensor | number): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xt = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const q = tf.add(tf.round(tf.div(xt, scale)), zeroPoint);
    const value = tf.mul(tf.sub(tf.minimum(tf.maximum(q, qmin), qmax), zeroPoint), scale);
    // range bounds are scale-sized; the full-size mask is only built when a gradient is asked for
    save([xt, tf.mul(tf.sub(qmin, zeroPoint), scale), tf.mul(tf.sub(qmax, zeroPoint), scale)]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, lo, hi] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return [tf.mul(dy, tf.cast(tf.logicalAnd(tf.greaterEqual(xs, lo), tf.lessEqual(xs, hi)), 'float32'))];
      },
    };
  });
  return f(x);
}

/**
 * LSQ fake quantization with learnable step `s` (scalar or broadcastable), zero point 0: returns a tensor
 * whose gradient w.r.t. `x` is the clipped STE and w.r.t. `s` is LSQ's
 * (-x/s + round(x/s) inside the range, qmin or qmax outside) scaled by g = 1/sqrt(numel x qmax).
 */
export function fakeQuantLsq(x: tf.Tensor, s: tf.Tensor, qmin: number, qmax: number): tf.Tensor {
  const g = 1 / Math.sqrt(x.size * Math.max(1, qmax));
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xi = args[0] as tf.Tensor;
    const si = args[1] as tf.Tensor;
    const save = args[2] as tf.GradSaveFunc;
    const xs = tf.div(xi, si);
    const clipped = tf.minimum(tf.maximum(xs, qmin), qmax);
    const r = tf.round(clipped);
    const value = tf.mul(r, si);
    const inside = tf.cast(tf.logicalAnd(tf.greaterEqual(xs, qmin), tf.lessEqual(xs, qmax)), 'float32');
    // d value / d s: (round(x/s) - x/s) inside, qmin/qmax outside = r - inside * xs
    const ds = tf.sub(r, tf.mul(inside, xs));
    save([inside, ds]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ins, dsv] = saved as [tf.Tensor, tf.Tensor];
        const dx = tf.mul(dy, ins);
        let dS = tf.mul(tf.mul(dy, dsv), g);
        // reduce to the shape of s (broadcast)
        const extra = dS.rank - si.rank;
        if (extra > 0)
          dS = tf.sum(
            dS,
            Array.from({ length: extra }, (_, i) => i),
          );
        const axes: number[] = [];
        si.shape.forEach((d, i) => {
          if (d === 1 && (dS.shape[i] ?? 1) !== 1) axes.push(i);
        });
        if (axes.length > 0) dS = tf.sum(dS, axes, true);
        return [dx, tf.reshape(dS, si.shape)];
      },
    };
  });
  return f(x, s);
}

/** Bits of each output channel of a weight config (>= 16 = float), checked against the layer's channel count. */
function weightChannelBits(outChannels: number, cfg: WeightQuantConfig): readonly number[] {
  const bits = cfg.channelBits ?? new Array<number>(outChannels).fill(cfg.bits ?? 32);
  if (bits.length !== outChannels) throw new ConfigError(`channelBits has ${bits.length} entries, expected ${outChannels} output channels`);
  return bits;
}

/** 1 for each float (>= 16 bits) channel, 0 for each quantized one; undefined when no channel is float. */
function floatChannelMask(bits: readonly number[]): tf.Tensor1D | undefined {
  return bits.some((b) => b >= 16) ? tf.tensor1d(Float32Array.from(bits, (b) => (b >= 16 ? 1 : 0))) : undefined;
}

/** Keeps `x` where the mask is 1 and `y` elsewhere (mask broadcast over the last axis). */
function keepFloat(y: tf.Tensor, x: tf.Tensor, mask: tf.Tensor | undefined): tf.Tensor {
  return mask ? tf.add(tf.mul(y, tf.sub(1, mask)), tf.mul(x, mask)) : y;
}

/**
 * The weight scale of each output channel of `w2` (`[-1, outChannels]`) as {@link fakeQuantWeight} quantizes it:
 * max|w_c| / (2^(b-1) - 1), mean|w_c| for 1-bit layers, 1 for an all-zero channel (as src/quant's quantizer);
 * also the code limit per channel (float channels: 2^23, a grid finer than float32 around the value).
 */
function weightScales(w2: tf.Tensor, bits: readonly number[]): { scale: tf.Tensor1D; qmax: tf.Tensor1D } {
  const qmax = tf.tensor1d(Float32Array.from(bits, (b) => (b === 1 ? 1 : b >= 16 ? 2 ** 23 : 2 ** (b - 1) - 1)));
  const m = bits.every((b) => b === 1) ? tf.mean(tf.abs(w2), 0) : tf.div(tf.max(tf.abs(w2), 0), qmax);
  return { scale: tf.where(tf.greater(m, 0), m, tf.onesLike(m)) as tf.Tensor1D, qmax };
}

/**
 * Fake-quantize a weight in engine layout (output channels last after reshaping to [-1, outChannels])
 * symmetrically per output channel: scale_c = max|w_c| / (2^(b_c-1) - 1); 1-bit = sign x mean|w_c|.
 * Returns the weight with that scale `[outChannels]` (an all-zero channel's scale is 1; no scale when every
 * channel is float), which a weight hook hands on to the bias hook ({@link fakeQuantBiasAt}).
 */
export function fakeQuantWeightScaled(w: tf.Tensor, outChannels: number, cfg: WeightQuantConfig): TransformedWeight {
  const bits = weightChannelBits(outChannels, cfg);
  if (bits.every((b) => b >= 16)) return { weight: w };
  const [weight, scale] = tf.tidy(() => {
    const w2 = tf.reshape(w, [-1, outChannels]);
    if (bits.every((b) => b === 1)) {
      // binary weights: sign x per-channel mean |w|, identity straight-through gradient
      const m = tf.mean(tf.abs(w2), 0);
      const s = tf.reshape(m, [1, outChannels]);
      const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
        value: tf.mul(tf.sub(tf.mul(tf.cast(tf.greaterEqual(args[0] as tf.Tensor, 0), 'float32'), 2), 1), s),
        gradFunc: (dy: tf.Tensor) => [dy],
      }));
      return [tf.reshape(f(w2), w.shape), tf.where(tf.greater(m, 0), m, tf.onesLike(m))];
    }
    for (const b of bits) {
      if (!(b >= 2 && b <= 8 && Number.isInteger(b)) && b < 16)
        throw new ConfigError(`weight bits ${b} per channel: expected 2..8 or >= 16 (1-bit only for a whole layer)`);
    }
    // scale is a constant to the custom gradient (only x is its input): no gradient flows into max|w|
    const { scale, qmax } = weightScales(w2, bits);
    const y = fakeQuantSte(w2, scale, tf.zerosLike(scale), tf.neg(qmax), qmax);
    return [tf.reshape(keepFloat(y, w2, floatChannelMask(bits)), w.shape), scale];
  }) as [tf.Tensor, tf.Tensor];
  return { weight, scale };
}

/** {@link fakeQuantWeightScaled} without the scale: the fake-quantized weight alone. */
export function fakeQuantWeight(w: tf.Tensor, outChannels: number, cfg: WeightQuantConfig): tf.Tensor {
  const { weight, scale } = fakeQuantWeightScaled(w, outChannels, cfg);
  scale?.dispose();
  return weight;
}

/** Codes of an int32 bias: [-2^31, 2^31 - 128] (2^31 - 1 is not a float32; the largest float32 below it). */
const INT32_MIN = -(2 ** 31);
const INT32_MAX_F32 = 2 ** 31 - 128;

/**
 * Fake-quantize a conv/dense bias `[outChannels]` as integer hardware adds it to the int32 accumulator: rounded
 * (ties to even) to int32 codes at scale `inScale x weightScale_c`, clamped to the int32 range, dequantized;
 * clipped straight-through gradient for the bias, none into the scales. `weightScale` `[outChannels]` is the
 * weight quantizer's scale (a learned step under LSQ); float channels (>= 16 bits) keep their bias.
 */
export function fakeQuantBiasAt(b: tf.Tensor, weightScale: tf.Tensor, inScale: number | tf.Tensor, bits: readonly number[]): tf.Tensor {
  if (bits.every((x) => x >= 16)) return b;
  return tf.tidy(() => {
    const scale = tf.mul(tf.reshape(weightScale, [-1]), inScale);
    const y = fakeQuantSte(b, scale, tf.zerosLike(scale), INT32_MIN, INT32_MAX_F32);
    return keepFloat(y, b, floatChannelMask(bits));
  });
}

/**
 * {@link fakeQuantBiasAt} with the weight scale of {@link fakeQuantWeight} computed from the layer's float weight `w`
 * (a reference: the hooks reuse the scale their weight hook computed, {@link BiasInfo.weightScale}).
 */
export function fakeQuantBias(b: tf.Tensor, w: tf.Tensor, outChannels: number, cfg: WeightQuantConfig, inScale: number): tf.Tensor {
  const bits = weightChannelBits(outChannels, cfg);
  if (bits.every((x) => x >= 16)) return b;
  return tf.tidy(() => fakeQuantBiasAt(b, weightScales(tf.reshape(w, [-1, outChannels]), bits).scale, inScale, bits));
}

/**
 * Fake-quantize an activation on a fixed asymmetric grid (clipped STE); with `cfg.channels`, each channel
 * (last axis of the engine tensor) on its own grid. `shape` is the per-sample IR shape (checked for channels).
 */
export function fakeQuantActivation(a: tf.Tensor, cfg: ActQuantConfig, shape?: readonly number[]): tf.Tensor {
  if (cfg.channels) {
    const C = cfg.channels.bits.length;
    if (shape !== undefined && (shape.length !== 3 || shape[0] !== C))
      throw new ConfigError(`channel-wise activation bits: ${C} channels given for a value of per-sample shape [${shape.join(', ')}], expected [${C}, H, W]`);
    if ((a.shape[a.rank - 1] as number) !== C)
      throw new ConfigError(`channel-wise activation bits: ${C} channels, tensor has ${a.shape[a.rank - 1]} on its last axis`);
    if (cfg.channels.bits.every((b) => b >= 16)) return a;
    const g = actChannelGrids(cfg);
    // float channels pass through (masked)
    const fl = cfg.channels.bits.some((b) => b >= 16) ? Float32Array.from(cfg.channels.bits, (b) => (b >= 16 ? 1 : 0)) : undefined;
    return tf.tidy(() => {
      const y = fakeQuantSte(a, tf.tensor1d(g.scale), tf.tensor1d(g.zeroPoint), 0, tf.tensor1d(g.qmax));
      if (!fl) return y;
      const m = tf.tensor1d(fl);
      return tf.add(tf.mul(y, tf.sub(1, m)), tf.mul(a, m));
    });
  }
  if (cfg.bits >= 16) return a;
  const g = actGrid(cfg);
  return tf.tidy(() => fakeQuantSte(a, tf.scalar(g.scale), tf.scalar(g.zeroPoint), g.qmin, g.qmax));
}

/**
 * A bias hook's int32 fake quantization at the scale its weight hook reported ({@link BiasInfo.weightScale})
 * times `inScale`; float layers keep their bias.
 */
function quantBiasOfLayer(b: tf.Tensor, info: BiasInfo, cfg: WeightQuantConfig, inScale: number | tf.Tensor): tf.Tensor {
  const bits = weightChannelBits(info.outChannels, cfg);
  if (bits.every((x) => x >= 16)) return b;
  if (!info.weightScale)
    throw new ConfigError(
      `layer '${info.layer}': its bias is quantized at the weight's scale, but the weight hook returned no scale (expected { weight, scale })`,
    );
  return fakeQuantBiasAt(b, info.weightScale, inScale, bits);
}

/** Forward hooks that fake-quantize weights and activations as `config` says. */
export function quantHooks(config: QuantHooksConfig): ForwardHooks {
  return {
    weightTransform: (w, info) => {
      const c = config.weights[info.layer];
      return c ? fakeQuantWeightScaled(w, info.outChannels, c) : w;
    },
    biasTransform: (b, info) => {
      const c = config.weights[info.layer];
      const inScale = biasInputScale(config, info.input);
      return c && inScale !== undefined ? quantBiasOfLayer(b, info, c, inScale) : b;
    },
    activationTransform: (a, info) => {
      const c = config.activations[info.node];
      return c ? fakeQuantActivation(a, c, info.shape) : a;
    },
  };
}

/** The {@link HooksModule} that rebuilds {@link quantHooks}(config) inside a training worker thread. */
export function quantHooksModule(config: QuantHooksConfig): HooksModule {
  return { module: new URL(import.meta.url).href, exportName: 'quantHooks', config };
}

/** Calibration statistics of one node's output: exact min/max and a strided sample of values. */
export interface ActivationStats {
  readonly min: number;
  readonly max: number;
  readonly samples: Float32Array;
}

/**
 * Record activation statistics for calibration: calls `run` with hooks that observe every node in
 * `nodes` (the caller runs forward passes with them), keeping the exact min/max and up to `limit` samples.
 */
export function recordActivations(run: (hooks: ForwardHooks) => void, nodes: ReadonlySet<string>, limit = 1 << 15): Map<string, ActivationStats> {
  const chunks = new Map<string, number[]>();
  const mins = new Map<string, number>();
  const maxs = new Map<string, number>();
  run({
    activationTransform: (a, info) => {
      if (!nodes.has(info.node)) return a;
      const d = a.dataSync() as Float32Array;
      let lo = mins.get(info.node) ?? Infinity;
      let hi = maxs.get(info.node) ?? -Infinity;
      for (let i = 0; i < d.length; i++) {
        const v = d[i] as number;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      mins.set(info.node, lo);
      maxs.set(info.node, hi);
      const list = chunks.get(info.node) ?? [];
      const room = limit - list.length;
      if (room > 0) {
        // stratified sampling with a golden-ratio jitter inside each stratum: a plain stride that divides the
        // per-image size (784 / 49 = 16 on MNIST) would read the same few pixel positions of every image, mostly
        // background, and the MSE range calibration would then clip the bright pixels (W8A8 mbnet32 81.9% -> 37.3%)
        const take = Math.min(d.length, room, Math.max(1, Math.floor(limit / 8)));
        const width = d.length / take;
        for (let j = 0; j < take; j++) {
          const jitter = (j * 0.6180339887498949 + list.length * 0.7548776662466927) % 1;
          list.push(d[Math.min(d.length - 1, Math.floor((j + jitter) * width))] as number);
        }
      }
      chunks.set(info.node, list);
      return a;
    },
  });
  const out = new Map<string, ActivationStats>();
  for (const [k, list] of chunks) out.set(k, { min: mins.get(k) as number, max: maxs.get(k) as number, samples: Float32Array.from(list) });
  return out;
}

/** LSQ hooks with their learned step sizes (read them back with {@link lsqLearnedConfig}). */
export interface LsqHooks extends ForwardHooks {
  /** Weight step per output channel, keyed by layer (layers quantized with LSQ only). */
  readonly weightSteps: ReadonlyMap<string, tf.Variable>;
  /** Activation step and (fixed) integer zero point, keyed by node. */
  readonly actSteps: ReadonlyMap<string, { readonly step: tf.Variable; readonly zeroPoint: number; readonly qmax: number }>;
  /** The config the hooks were built from. */
  readonly config: QuantHooksConfig;
}

let lsqIds = 0;

/**
 * LSQ (learned step size, Esser et al. 2020) hooks for QAT: each conv/dense layer quantized at one bit
 * width 2..8 gets a learnable step per output channel (initialised to the min/max step max|w_c|/qmax, so
 * training starts from the post-training grid), each quantized activation a learnable step with the
 * calibrated zero point kept fixed. Layers with per-channel bits (CW-HAWQ) or 1-bit weights keep the
 * min/max STE quantizer. The steps are exposed as `trainable`, so {@link train} updates them (in-thread
 * only: train with `workers: 1`).
 * @example model.hooks = lsqQuantHooks(config, (layer) => ({ weight: model.variables.get(`${layer}.weight`), outChannels }));
 */
export function lsqQuantHooks(
  config: QuantHooksConfig,
  weightOf: (layer: string) => { readonly weight: tf.Tensor; readonly outChannels: number } | undefined,
): LsqHooks {
  const weightSteps = new Map<string, tf.Variable>();
  const actSteps = new Map<string, { step: tf.Variable; zeroPoint: number; qmax: number }>();
  for (const [layer, c] of Object.entries(config.weights)) {
    const b = c.bits;
    if (c.channelBits !== undefined || b === undefined || b < 2 || b > 8) continue;
    const found = weightOf(layer);
    if (!found) throw new ConfigError(`LSQ: the model has no weight for layer '${layer}'`);
    const w = found.weight;
    const out = found.outChannels;
    const qmax = 2 ** (b - 1) - 1;
    const init = tf.tidy(() => {
      const m = tf.max(tf.abs(tf.reshape(w, [-1, out])), 0, true);
      return tf.maximum(tf.div(m, qmax), 1e-8);
    });
    weightSteps.set(layer, tf.variable(init, true, `lsq${lsqIds++}/w/${layer}`));
    init.dispose();
  }
  for (const [node, c] of Object.entries(config.activations)) {
    // channel-wise activation bits keep the fixed-grid STE quantizer (as channel-wise weights do)
    if (c.bits >= 16 || c.channels) continue;
    const g = actGrid(c);
    actSteps.set(node, { step: tf.variable(tf.scalar(g.scale), true, `lsq${lsqIds++}/a/${node}`), zeroPoint: g.zeroPoint, qmax: g.qmax });
  }
  return {
    config,
    weightSteps,
    actSteps,
    trainable: [...weightSteps.values(), ...[...actSteps.values()].map((a) => a.step)],
    weightTransform: (w, info) => {
      const s = weightSteps.get(info.layer);
      const c = config.weights[info.layer];
      if (!s) return c ? fakeQuantWeightScaled(w, info.outChannels, c) : w;
      const qmax = 2 ** ((c?.bits as number) - 1) - 1;
      return { weight: tf.tidy(() => tf.reshape(fakeQuantLsq(tf.reshape(w, [-1, info.outChannels]), s, -qmax, qmax), w.shape)), scale: s };
    },
    biasTransform: (b, info) => {
      const c = config.weights[info.layer];
      const inScale = biasInputScale(config, info.input);
      // the learned steps where LSQ learns them (the weight hook returns its step as the scale; the bias
      // follows them, no gradient flows into a step from it)
      return c && inScale !== undefined ? quantBiasOfLayer(b, info, c, actSteps.get(info.input)?.step ?? inScale) : b;
    },
    activationTransform: (a, info) => {
      const s = actSteps.get(info.node);
      if (!s) {
        const c = config.activations[info.node];
        return c?.channels ? fakeQuantActivation(a, c, info.shape) : a;
      }
      // asymmetric grid with integer zero point z: codes q in [0, qmax] <=> q - z in [-z, qmax - z]
      return tf.tidy(() => fakeQuantLsq(a, s.step, -s.zeroPoint, s.qmax - s.zeroPoint));
    },
  };
}

/**
 * The learned activation grids of LSQ hooks as a plain {@link QuantHooksConfig} (range = step x
 * [-z, qmax - z], which {@link actGrid} maps back to the same step and zero point); weights keep their
 * bits (their learned steps stay in the hooks).
 */
export function lsqLearnedConfig(h: LsqHooks): QuantHooksConfig {
  const activations: Record<string, ActQuantConfig> = { ...h.config.activations };
  for (const [node, a] of h.actSteps) {
    const s = (a.step.dataSync() as Float32Array)[0] as number;
    activations[node] = { bits: (h.config.activations[node] as ActQuantConfig).bits, min: -a.zeroPoint * s, max: (a.qmax - a.zeroPoint) * s };
  }
  return { weights: h.config.weights, activations, ...(h.config.floatBiases === true ? { floatBiases: true } : {}) };
}

/** Frees the step-size variables of LSQ hooks. */
export function disposeLsqHooks(h: LsqHooks): void {
  for (const v of h.weightSteps.values()) v.dispose();
  for (const a of h.actSteps.values()) a.step.dispose();
}
