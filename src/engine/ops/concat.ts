/** Engine lowering of `concat`: tfjs concat along the axis in the output's layout. */
import { tf } from '../tf.js';
import { engineAxis, toStd } from './layout.js';
import type { EngineOp } from './types.js';

/** Lowering of `concat`. */
export const concatEngine: EngineOp<'concat'> = {
  op: 'concat',
  layoutPreserving: false,
  run(ctx) {
    const parts = ctx.node.inputs.map((_, i) => (ctx.argValue(i).layout === 'flat-hwc' ? toStd(ctx.arg(i), ctx.argValue(i)) : ctx.arg(i)));
    return tf.concat(parts, engineAxis(ctx.node.axis, ctx.value));
  },
};
