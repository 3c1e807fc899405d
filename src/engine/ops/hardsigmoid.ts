/** Engine lowering of `hardsigmoid`: relu6(x + 3) / 6. */
import { tf } from '../tf.js';
import { unaryEngine } from './unary.js';

/** Lowering of `hardsigmoid`. */
export const hardsigmoidEngine = unaryEngine('hardsigmoid', (x) => tf.div(tf.relu6(tf.add(x, 3)), 6));
