/** Engine lowering of `sigmoid`. */
import { tf } from '../tf.js';
import { unaryEngine } from './unary.js';

/** Lowering of `sigmoid`. */
export const sigmoidEngine = unaryEngine('sigmoid', (x) => tf.sigmoid(x));
