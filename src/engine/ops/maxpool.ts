/** Engine lowering of `maxpool`: tfjs maxPool with explicit pads. */
import { tf } from '../tf.js';
import { toExplicit } from './layout.js';
import type { EngineOp } from './types.js';

/** Lowering of `maxpool`. */
export const maxpoolEngine: EngineOp<'maxpool'> = {
  op: 'maxpool',
  layoutPreserving: false,
  run(ctx) {
    const n = ctx.node;
    const pad = n.pads.every((p) => p === 0) ? 'valid' : toExplicit(n.pads);
    return tf.maxPool(ctx.arg(0) as tf.Tensor4D, n.kernel as [number, number], n.stride as [number, number], pad as 'valid');
  },
};
