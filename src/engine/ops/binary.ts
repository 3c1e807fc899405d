/** Engine lowering of the broadcasting binary ops `add` and `mul`. */
import type { tf } from '../tf.js';
import { alignOperand } from './layout.js';
import type { EngineOp } from './types.js';

/** Lowering of a binary op: both operands brought to the output's layout, then `f`. */
export function binaryEngine<O extends 'add' | 'mul'>(op: O, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): EngineOp<O> {
  return {
    op,
    layoutPreserving: false,
    run: (ctx) => f(alignOperand(ctx.arg(0), ctx.argValue(0), ctx.value), alignOperand(ctx.arg(1), ctx.argValue(1), ctx.value)),
  };
}
