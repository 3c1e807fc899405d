/**
 * Forward hooks for bitwise (1-bit weight) networks, on top of the fake quantizers of fake-quant.ts:
 *
 * - binary weights (sign x per-output-channel scale s_c = mean|w_c|, latent float weights kept for
 *   training) with a choice of straight-through estimator: `identity` (gradient passed unchanged, as
 *   fake-quant.ts does for 1-bit layers) or `clipped` (passed only where |w| <= clip x s_c, the
 *   hard-tanh STE of BinaryConnect measured in units of the channel's scale);
 * - binarization in the forward pass either deterministic (`sign`, +1 for w >= 0) or `stochastic`:
 *   +1 with probability p = clip((w / s_c + 1) / 2, 0, 1), the same rule as src/quant's stochastic 1-bit
 *   rounding, drawn fresh every forward pass from a seeded counter (training only: evaluate sampled
 *   members as plain float models instead);
 * - activations on the fixed asymmetric grids of fake-quant.ts, rounded to nearest or stochastically
 *   with the LFSR stream of lfsr.ts (`lfsr`, inference only: no gradient is defined for it).
 *
 * Other layers (first/last at 8 bits, say) fall back to fake-quant.ts's quantizers. The config is plain
 * data, so {@link bitwiseHooksModule} rebuilds the hooks inside training worker threads.
 */
import { ConfigError } from '../errors.js';
import { fakeQuantActivation, fakeQuantWeight } from './fake-quant.js';
import { LfsrStream } from './lfsr.js';
import type { ForwardHooks, HooksModule } from './model.js';
import { type ActQuantConfig, actGrid, type QuantHooksConfig } from './quant-grid.js';
import { tf } from './tf.js';

/** Straight-through estimator of a binary weight. */
export type SteVariant = 'identity' | 'clipped';

/** How binary weights are drawn in the forward pass. */
export type BinarizeMode = 'sign' | 'stochastic';

/** How quantized activations are rounded. */
export type ActRounding = 'nearest' | 'lfsr';

/** Plain-data description of a bitwise forward pass. */
export interface BitwiseHooksConfig {
  /** Weight bits per layer and activation grids (src/quant's `quantConfig`); layers at 1 bit are binarized here. */
  readonly base: QuantHooksConfig;
  /** Default 'identity'. */
  readonly ste?: SteVariant;
  /** `clipped` STE: gradient passes where |w| <= clip x s_c (default 1). */
  readonly clip?: number;
  /** Default 'sign'. */
  readonly binarize?: BinarizeMode;
  /** Seed of stochastic binarization (default 0). */
  readonly seed?: number;
  /** Default 'nearest'. */
  readonly rounding?: ActRounding;
  /** Starting offset of the LFSR stream (default 1). */
  readonly lfsrSeed?: number;
}

/**
 * Binarize `w` (engine layout, output channels last after reshaping to [-1, outChannels]): sign or a
 * stochastic draw (`u` uniform [0, 1) of w's shape), times s_c = mean|w_c|; gradient per `ste`.
 */
export function binarizeWeight(w: tf.Tensor, outChannels: number, ste: SteVariant, clip: number, u?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const w2 = tf.reshape(w, [-1, outChannels]);
    const s = tf.maximum(tf.mean(tf.abs(w2), 0, true), 1e-12);
    const u2 = u ? tf.reshape(u, [-1, outChannels]) : undefined;
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const x = args[0] as tf.Tensor;
      const save = args[1] as tf.GradSaveFunc;
      const plus = u2
        ? tf.less(u2, tf.clipByValue(tf.div(tf.add(tf.div(x, s), 1), 2), 0, 1)) // P(+1) = clip((w/s + 1) / 2, 0, 1)
        : tf.greaterEqual(x, 0);
      const value = tf.mul(tf.sub(tf.mul(tf.cast(plus, 'float32'), 2), 1), s);
      save([x, s]);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          if (ste === 'identity') return [dy];
          const [xs, ss] = saved as [tf.Tensor, tf.Tensor];
          return [tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(xs), tf.mul(ss, clip)), 'float32'))];
        },
      };
    });
    return tf.reshape(f(w2), w.shape);
  });
}

/** Fake-quantize an activation with stochastic rounding: q = clamp(floor(x / scale + z + u), 0, qmax), `u` from the LFSR. */
export function lfsrQuantActivation(a: tf.Tensor, cfg: ActQuantConfig, stream: LfsrStream): tf.Tensor {
  if (cfg.bits >= 16) return a;
  const g = actGrid(cfg);
  const u = stream.next(a.size);
  return tf.tidy(() => {
    const q = tf.floor(tf.add(tf.add(tf.div(a, g.scale), g.zeroPoint), tf.tensor(u, a.shape)));
    return tf.mul(tf.sub(tf.clipByValue(q, g.qmin, g.qmax), g.zeroPoint), g.scale);
  });
}

/** Forward hooks of a bitwise network as `config` says. */
export function bitwiseHooks(config: BitwiseHooksConfig): ForwardHooks {
  const ste = config.ste ?? 'identity';
  const clip = config.clip ?? 1;
  if (ste !== 'identity' && ste !== 'clipped') throw new ConfigError(`STE variant '${String(ste)}' is unknown: expected identity or clipped`);
  if (!(clip > 0)) throw new ConfigError(`STE clip ${clip} must be > 0`);
  const binarize = config.binarize ?? 'sign';
  if (binarize !== 'sign' && binarize !== 'stochastic') throw new ConfigError(`binarize mode '${String(binarize)}' is unknown: expected sign or stochastic`);
  const rounding = config.rounding ?? 'nearest';
  if (rounding !== 'nearest' && rounding !== 'lfsr') throw new ConfigError(`activation rounding '${String(rounding)}' is unknown: expected nearest or lfsr`);
  const stream = new LfsrStream(config.lfsrSeed ?? 1);
  const seed = config.seed ?? 0;
  let draws = 0;
  return {
    weightTransform: (w, info) => {
      const c = config.base.weights[info.layer];
      if (!c) return w;
      if (c.bits !== 1 || c.channelBits !== undefined) return fakeQuantWeight(w, info.outChannels, c);
      if (binarize === 'sign') return binarizeWeight(w, info.outChannels, ste, clip);
      return tf.tidy(() => binarizeWeight(w, info.outChannels, ste, clip, tf.randomUniform(w.shape, 0, 1, 'float32', seed * 1_000_003 + draws++)));
    },
    activationTransform: (a, info) => {
      const c = config.base.activations[info.node];
      if (!c) return a;
      return rounding === 'lfsr' ? lfsrQuantActivation(a, c, stream) : fakeQuantActivation(a, c);
    },
  };
}

/** The {@link HooksModule} that rebuilds {@link bitwiseHooks}(config) inside a training worker thread. */
export function bitwiseHooksModule(config: BitwiseHooksConfig): HooksModule {
  return { module: new URL(import.meta.url).href, exportName: 'bitwiseHooks', config };
}
