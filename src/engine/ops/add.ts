/** Engine lowering of `add`. */
import { tf } from '../tf.js';
import { binaryEngine } from './binary.js';

/** Lowering of `add`. */
export const addEngine = binaryEngine('add', (a, b) => tf.add(a, b));
