/**
 * BatchMatMul gradient that avoids wasm's slow path: tfjs's stock gradient uses matMul with
 * transpose flags, which wasm runs as a naive loop; for rank-2 operands (dense layers) this one
 * transposes explicitly (a fast kernel) and multiplies without flags (XNNPACK).
 */
import { tf } from '../tf.js';
import { savedAt, single } from './run-kernel.js';

const mm = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
const tr = (a: tf.Tensor): tf.Tensor => tf.transpose(a);

/** Wraps the stock gradient `fallback` (used for batched operands). */
export function matMulGradConfig(fallback: tf.GradConfig | undefined): tf.GradConfig {
  return {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dyIn, saved, attrs) => {
      const a = savedAt(saved, 0, tf.BatchMatMul);
      const b = savedAt(saved, 1, tf.BatchMatMul);
      if (a.rank !== 2 || b.rank !== 2) {
        if (fallback === undefined) throw new Error('internal: no stock BatchMatMul gradient');
        return fallback.gradFunc(dyIn, saved, attrs);
      }
      const dy = single(dyIn);
      const ta = attrs['transposeA'] === true;
      const tb = attrs['transposeB'] === true;
      if (!ta && !tb) return { a: () => mm(dy, tr(b)), b: () => mm(tr(a), dy) };
      if (!ta && tb) return { a: () => mm(dy, b), b: () => mm(tr(dy), a) };
      if (ta && !tb) return { a: () => mm(b, tr(dy)), b: () => mm(a, dy) };
      return { a: () => mm(tr(b), tr(dy)), b: () => mm(tr(dy), tr(a)) };
    },
  };
}
