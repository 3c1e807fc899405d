/** Engine lowering of `reshape`: in IR order, then to NHWC when the result is a [C,H,W] map. */
import { tf } from '../tf.js';
import { toStd } from './layout.js';
import type { EngineOp } from './types.js';

/** Lowering of `reshape`. */
export const reshapeEngine: EngineOp<'reshape'> = {
  op: 'reshape',
  layoutPreserving: false,
  run(ctx) {
    const s = toStd(ctx.arg(0), ctx.argValue(0)).reshape([-1, ...ctx.value.shape]);
    return ctx.value.layout === 'nhwc' ? tf.transpose(s, [0, 2, 3, 1]) : s;
  },
};
