/** Engine lowering of `clip`. */
import { tf } from '../tf.js';
import { unaryEngine } from './unary.js';

/** Lowering of `clip`. */
export const clipEngine = unaryEngine('clip', (x, ctx) => tf.clipByValue(x, ctx.node.min, ctx.node.max));
