/** Engine lowering of `flatten`: a free reshape when the model keeps the value in HWC order ('flat-hwc'), else NCHW order. */
import { toStd } from './layout.js';
import type { EngineOp } from './types.js';

/** Lowering of `flatten`. */
export const flattenEngine: EngineOp<'flatten'> = {
  op: 'flatten',
  layoutPreserving: false,
  run(ctx) {
    const x = ctx.arg(0);
    const f = ctx.value.shape[0] as number;
    if (ctx.value.layout === 'flat-hwc') return x.reshape([-1, f]);
    return toStd(x, ctx.argValue(0)).reshape([-1, f]);
  },
};
