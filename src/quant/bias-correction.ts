/**
 * Empirical bias correction (Nagel et al. 2019, section 4.2, with the expectation measured on
 * calibration images as AIMET's empirical variant does): the quantized layer's mean output is moved back
 * to the float layer's, b_c += w_c . E[x] - w^_c . E[x^], where x is the float network's input of the
 * layer and x^ the quantized network's (upstream weights and activations quantized), so the correction
 * also removes the mean shift that upstream quantization and this layer's input quantizer cause.
 *
 * Difference from the paper: the paper's data-free version computes E[x] from the preceding batch norm
 * (a clipped normal); here it is measured (calibration images), which also covers layers without a batch
 * norm in front and the activation quantizer's rounding and clipping.
 */
import type { LayerInputStats } from './layer-stats.js';

/**
 * The corrected bias of a layer: `bias` (length out, or undefined for none), float weights `w` and
 * quantized weights `wq` (IR layout, `[out, k]` per group), input statistics `s`.
 */
export function correctedBias(bias: Float32Array | undefined, w: Float32Array, wq: Float32Array, out: number, s: LayerInputStats): Float32Array {
  const b = bias ? Float32Array.from(bias) : new Float32Array(out);
  const perGroup = out / s.groups;
  for (let c = 0; c < out; c++) {
    const g = Math.floor(c / perGroup);
    let d = 0;
    for (let i = 0; i < s.k; i++) {
      d += (w[c * s.k + i] as number) * (s.meanFloat[g * s.k + i] as number) - (wq[c * s.k + i] as number) * (s.meanQuant[g * s.k + i] as number);
    }
    b[c] = (b[c] as number) + d;
  }
  return b;
}
