/** Engine lowering of `relu6`. */
import { tf } from '../tf.js';
import { unaryEngine } from './unary.js';

/** Lowering of `relu6`. */
export const relu6Engine = unaryEngine('relu6', (x) => tf.relu6(x));
