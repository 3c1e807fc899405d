/** Engine lowering of `hardswish`: x * relu6(x + 3) / 6. */
import { tf } from '../tf.js';
import { unaryEngine } from './unary.js';

/** Lowering of `hardswish`. */
export const hardswishEngine = unaryEngine('hardswish', (x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)));
