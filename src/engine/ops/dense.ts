/** Engine lowering of `dense`: x·W (weight pre-transposed to `[in, out]`) plus bias. */
import { tf } from '../tf.js';
import type { EngineOp } from './types.js';

/** Lowering of `dense`. */
export const denseEngine: EngineOp<'dense'> = {
  op: 'dense',
  layoutPreserving: false,
  run(ctx) {
    const n = ctx.node;
    const w = ctx.weight(`${n.name}.weight`, { layer: n.name, op: 'dense', layout: 'dense-io', outChannels: n.outFeatures });
    const x = ctx.arg(0);
    const x2 = ctx.argValue(0).layout === 'nhwc' ? x.reshape([-1, n.inFeatures]) : x;
    let y = tf.matMul(x2 as tf.Tensor2D, w as tf.Tensor2D);
    if (n.bias) y = tf.add(y, ctx.param(`${n.name}.bias`));
    return y;
  },
};
