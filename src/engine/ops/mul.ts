/** Engine lowering of `mul`. */
import { tf } from '../tf.js';
import { binaryEngine } from './binary.js';

/** Lowering of `mul`. */
export const mulEngine = binaryEngine('mul', (a, b) => tf.mul(a, b));
