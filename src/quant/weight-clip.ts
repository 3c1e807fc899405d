/**
 * Weight clipping for post-training quantization: the step of each output channel's symmetric grid is
 * chosen from a clipped range instead of max |w|. 'mse' takes, among 100 clip fractions of max |w|, the
 * one with the smallest quantization MSE of the channel's weights at its bits (as the activation
 * calibration does, and as TensorRT's and AIMET's MSE / "enhanced" weight encodings do); 'percentile'
 * clips at a percentile of the values (default 99.99). The clipped weights saturate at the grid's end
 * code, so the channel's largest |value| after quantization is qmax x step: the engine's min/max
 * fake quantizer, run on the prepared weights, finds the same step again (see src/quant/ptq.ts).
 */
import { ConfigError } from '../errors.js';
import { calibrateRange } from './quantizer.js';

/** How a channel's weight range is chosen. */
export type WeightClipMethod = 'minmax' | 'mse' | 'percentile';

/** The symmetric step of one channel's weights `w` at `bits` (2..8) with `method`. */
export function weightStep(w: ArrayLike<number>, bits: number, method: WeightClipMethod, percentile?: number): number {
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 8)) throw new ConfigError(`weight clipping at ${bits} bits: expected 2..8`);
  const qmax = 2 ** (bits - 1) - 1;
  let maxAbs = 0;
  for (let i = 0; i < w.length; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i] as number));
  if (!(maxAbs > 0)) return 1;
  if (method === 'minmax') return maxAbs / qmax;
  const r = calibrateRange(w, method, { bits, symmetric: true, ...(percentile !== undefined ? { percentile } : {}) });
  const a = Math.min(maxAbs, Math.max(Math.abs(r.min), Math.abs(r.max)));
  return a > 0 ? a / qmax : maxAbs / qmax;
}
