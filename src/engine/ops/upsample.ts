/** Engine lowering of `upsample`: nearest upsampling as a broadcast multiply by ones (differentiable, NHWC). */
import { tf } from '../tf.js';
import type { EngineOp } from './types.js';

/** Lowering of `upsample`. */
export const upsampleEngine: EngineOp<'upsample'> = {
  op: 'upsample',
  layoutPreserving: false,
  run(ctx) {
    const s = ctx.node.scale;
    const x = ctx.arg(0);
    if (s === 1) return x;
    const [, h, w, ch] = x.shape as [number, number, number, number];
    const ones = tf.ones([1, 1, s, 1, s, 1]);
    return tf.mul(x.reshape([-1, h, 1, w, 1, ch]), ones).reshape([-1, h * s, w * s, ch]);
  },
};
