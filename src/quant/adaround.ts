/**
 * AdaRound-style learned rounding (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training
 * Quantization"), layer by layer: each weight of output channel c is rounded down or up, whichever makes
 * the layer's output closest to the float layer's on calibration data. The objective per channel is the
 * paper's layer-wise reconstruction error (its eq. 21 form, before the activation function),
 *   L(q) = E[(w_c . x / s_c - q . x^)^2]      q_i in {floor(w_i / s_c), floor(w_i / s_c) + 1},
 * with x the float network's input of the layer and x^ the quantized network's (asymmetric reconstruction,
 * as the paper's section 5 and AIMET do), measured in grid steps. It is a quadratic in q with exact second
 * moments over the sampled patches (E[x^ x^^T], E[x^ x^T], see layer-stats.ts).
 *
 * Difference from the paper, for speed: the binary problem is solved by greedy coordinate descent from
 * round-to-nearest (flip the weight whose flip lowers L, update the gradient in O(k), repeat sweeps until
 * no flip helps) instead of the paper's continuous relaxation (rectified sigmoid, annealed regulariser,
 * 10,000 Adam steps). Every flip lowers L, so the result is never worse than rounding to nearest on the
 * calibration patches; a sweep costs k^2 per channel like one Adam step of the relaxation, and a few
 * sweeps suffice. Weights that round to the end codes +/-qmax (|w / s| >= qmax - 0.5, clipped ones
 * included) keep round-to-nearest, so every channel keeps a value at qmax x step and the engine's min/max
 * fake quantizer finds the same step again.
 */
import { ConfigError } from '../errors.js';

/** Options of learned rounding. */
export interface AdaRoundOptions {
  /** Sweeps over the channel's weights at most (default 20; it stops earlier when no flip helps). */
  readonly iterations?: number;
}

/**
 * Integer codes of one output channel with learned rounding. `w`: the channel's float weights (length
 * k); `step`, `qmax`: its grid; `gram`: E[x^ x^^T] (k x k, row-major, symmetric); `target`: E[x^ x^T] w
 * (length k).
 */
export function adaroundChannel(
  w: ArrayLike<number>,
  step: number,
  qmax: number,
  gram: ArrayLike<number>,
  target: ArrayLike<number>,
  opts: AdaRoundOptions = {},
): Int32Array {
  const k = w.length;
  if (gram.length !== k * k || target.length !== k) throw new ConfigError(`adaround: gram ${gram.length} / target ${target.length} do not match ${k} weights`);
  if (!(step > 0)) throw new ConfigError(`adaround: step ${step} must be > 0`);
  const sweeps = opts.iterations ?? 20;
  const codes = new Int32Array(k);
  const fl = new Int32Array(k);
  const free: number[] = [];
  for (let i = 0; i < k; i++) {
    const r = (w[i] as number) / step;
    codes[i] = Math.max(-qmax, Math.min(qmax, Math.round(r)));
    fl[i] = Math.floor(r);
    if (Math.abs(r) < qmax - 0.5) free.push(i);
  }
  if (free.length === 0 || sweeps < 1) return codes;
  // g = gram q - target / step: half the gradient of L; flipping q_i by d changes L by 2 d g_i + d^2 gram_ii
  const g = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    const row = i * k;
    for (let j = 0; j < k; j++) s += (gram[row + j] as number) * (codes[j] as number);
    g[i] = s - (target[i] as number) / step;
  }
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let flips = 0;
    for (const i of free) {
      const d = codes[i] === fl[i] ? 1 : -1;
      const delta = 2 * d * (g[i] as number) + (gram[i * k + i] as number);
      if (!(delta < -1e-12)) continue;
      codes[i] = (codes[i] as number) + d;
      const row = i * k;
      for (let j = 0; j < k; j++) g[j] = (g[j] as number) + d * (gram[row + j] as number);
      flips++;
    }
    if (flips === 0) break;
  }
  return codes;
}
