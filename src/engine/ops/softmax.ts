/** Engine lowering of `softmax`: exp(x - logSumExp(x)) along the axis in the value's layout. */
import { tf } from '../tf.js';
import { engineAxis } from './layout.js';
import type { EngineOp } from './types.js';

/** Lowering of `softmax`. */
export const softmaxEngine: EngineOp<'softmax'> = {
  op: 'softmax',
  layoutPreserving: false,
  run(ctx) {
    const x = ctx.arg(0);
    return tf.exp(tf.sub(x, tf.logSumExp(x, engineAxis(ctx.node.axis, ctx.value), true)));
  },
};
