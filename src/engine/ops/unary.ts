/** Helper for the one-input element-wise lowerings (activations): they keep their input's layout. */
import type { NodeOf } from '../../ir/ops/types.js';
import type { OpType } from '../../ir/types.js';
import type { tf } from '../tf.js';
import type { EngineOp, EngineOpContext } from './types.js';

/** An element-wise lowering `f(x)` that keeps a 'flat-hwc' value in its layout. */
export function unaryEngine<O extends OpType>(op: O, f: (x: tf.Tensor, ctx: EngineOpContext<NodeOf<O>>) => tf.Tensor): EngineOp<O> {
  return { op, layoutPreserving: true, run: (ctx) => f(ctx.arg(0), ctx) };
}
