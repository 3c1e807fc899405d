/** Engine lowering of `leakyrelu` (tfjs's LeakyRelu kernel; its gradient, dy where x > 0 else alpha * dy, runs on kernels the wasm backend has). */
import { tf } from '../tf.js';
import { unaryEngine } from './unary.js';

/** Lowering of `leakyrelu`. */
export const leakyreluEngine = unaryEngine('leakyrelu', (x, ctx) => tf.leakyRelu(x, ctx.node.alpha));
