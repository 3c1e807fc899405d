/** Engine lowering of `relu`. */
import { tf } from '../tf.js';
import { unaryEngine } from './unary.js';

/** Lowering of `relu`. */
export const reluEngine = unaryEngine('relu', (x) => tf.relu(x));
