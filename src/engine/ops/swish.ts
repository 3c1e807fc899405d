/** Engine lowering of `swish`: x * sigmoid(x). */
import { tf } from '../tf.js';
import { unaryEngine } from './unary.js';

/** Lowering of `swish`. */
export const swishEngine = unaryEngine('swish', (x) => tf.mul(x, tf.sigmoid(x)));
