/**
 * The plain-data side of fake quantization, without the tensor library: the configs that src/quant builds
 * from a policy and that `quantHooks` (src/engine/fake-quant.ts) runs, and the arithmetic of their
 * activation grids, shared by the engine's hooks, the QDQ ONNX export and the fault models. Modules that
 * only build or read these configs import this file, so they do not load tfjs.
 */
import { ConfigError } from '../errors.js';

/** How one conv/dense layer's weights are fake-quantized (symmetric, per output channel, min/max). */
export interface WeightQuantConfig {
  /** Bits of every output channel (>= 16 or absent = float), unless `channelBits` is given. */
  readonly bits?: number;
  /** Bits per output channel (CW-HAWQ), each 2..8 or >= 16; overrides `bits`. */
  readonly channelBits?: readonly number[];
}

/** How one node's output activations are fake-quantized: asymmetric grid over a fixed range. */
export interface ActQuantConfig {
  readonly bits: number;
  readonly min: number;
  readonly max: number;
  /**
   * Per-channel grids (CW-HAWQ's channel-wise activation bits): channel c (IR axis 0 of a `[C, H, W]` value,
   * the last axis of the engine's NHWC tensor) on the asymmetric grid of `bits[c]` over `[min[c], max[c]]`;
   * `bits`/`min`/`max` above then describe the widest channel. Only for feature maps (`[C, H, W]` values).
   */
  readonly channels?: { readonly bits: readonly number[]; readonly min: readonly number[]; readonly max: readonly number[] };
}

/** Plain-data description of a quantized forward pass. */
export interface QuantHooksConfig {
  /** Keyed by conv/dense layer name. */
  readonly weights: Readonly<Record<string, WeightQuantConfig>>;
  /** Keyed by node name (the node whose output is quantized). */
  readonly activations: Readonly<Record<string, ActQuantConfig>>;
  /**
   * The policy's default bits (what a node no layer reads, e.g. the last residual add, is costed at); the QDQ export
   * records it in the file so the policy read back from the file costs the same as the policy itself.
   */
  readonly policyDefault?: { readonly weightBits: number; readonly actBits: number };
  /**
   * Keep conv/dense biases float instead of int32 at input scale x weight scale (what hwnas did before session 55,
   * and what a runtime that accumulates in float computes); the engine's hooks and the QDQ export both follow it.
   */
  readonly floatBiases?: boolean;
}

/** Scale/zero point/code range of an asymmetric activation grid (same arithmetic as src/quant). */
export function actGrid(c: ActQuantConfig): { scale: number; zeroPoint: number; qmin: number; qmax: number } {
  const qmax = 2 ** c.bits - 1;
  const lo = Math.min(c.min, 0);
  const hi = Math.max(c.max, 0);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0, qmin: 0, qmax };
  const scale = Math.fround((hi - lo) / qmax);
  const zeroPoint = Math.min(qmax, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint, qmin: 0, qmax };
}

/** Per-channel grids of a channel-wise activation config (float channels >= 16 bits get a grid finer than float32). */
export function actChannelGrids(cfg: ActQuantConfig): { scale: Float32Array; zeroPoint: Float32Array; qmax: Float32Array } {
  const ch = cfg.channels;
  if (!ch) throw new ConfigError('actChannelGrids: the config has no per-channel bits');
  const C = ch.bits.length;
  if (ch.min.length !== C || ch.max.length !== C)
    throw new ConfigError(`channel-wise activation grid: ${C} bit-widths but ${ch.min.length} minima and ${ch.max.length} maxima`);
  const scale = new Float32Array(C);
  const zeroPoint = new Float32Array(C);
  const qmax = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const b = ch.bits[c] as number;
    if (!(Number.isInteger(b) && ((b >= 2 && b <= 8) || b >= 16)))
      throw new ConfigError(`channel-wise activation bits: channel ${c} has ${b} bits, expected 2..8 or >= 16 (float)`);
    if (b >= 16) {
      // a placeholder grid: fakeQuantActivation passes float channels through unchanged
      scale[c] = 1;
      zeroPoint[c] = 0;
      qmax[c] = 2 ** 31;
      continue;
    }
    const g = actGrid({ bits: b, min: ch.min[c] as number, max: ch.max[c] as number });
    scale[c] = g.scale;
    zeroPoint[c] = g.zeroPoint;
    qmax[c] = g.qmax;
  }
  return { scale, zeroPoint, qmax };
}

/**
 * The per-tensor scale of the grid of a layer's input (the value `input`) when its bias is quantized to int32, else
 * undefined (also under `floatBiases`): the input must
 * be quantized on one grid (a float input, or channel-wise grids, have no single accumulator scale: the bias stays
 * float, as a runtime accumulating in float would keep it).
 */
export function biasInputScale(config: QuantHooksConfig, input: string): number | undefined {
  const c = config.activations[input];
  return c && c.bits < 16 && !c.channels && config.floatBiases !== true ? actGrid(c).scale : undefined;
}
