/** Engine lowering of `globalavgpool`: mean over H and W of an NHWC value. */
import { tf } from '../tf.js';
import type { EngineOp } from './types.js';

/** Lowering of `globalavgpool`. */
export const globalavgpoolEngine: EngineOp<'globalavgpool'> = {
  op: 'globalavgpool',
  layoutPreserving: false,
  run: (ctx) => tf.mean(ctx.arg(0), [1, 2], true),
};
