/**
 * Engine lowering of `l2norm`: `x · rsqrt(max(Σx², 1e-24))` along the axis in the value's layout. The floor
 * keeps the gradient finite; a zero slice maps to zero as in onnxruntime (slices with Σx² below 1e-24 are
 * scaled by 1e12 instead of to unit norm).
 */
import { tf } from '../tf.js';
import { engineAxis } from './layout.js';
import type { EngineOp } from './types.js';

/** Smallest sum of squares the lowering divides by. */
export const L2NORM_FLOOR = 1e-24;

/** Lowering of `l2norm`. */
export const l2normEngine: EngineOp<'l2norm'> = {
  op: 'l2norm',
  layoutPreserving: false,
  run(ctx) {
    const x = ctx.arg(0);
    return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), engineAxis(ctx.node.axis, ctx.value), true), L2NORM_FLOOR)));
  },
};
