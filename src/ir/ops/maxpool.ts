/** `maxpool`: max over windows (ONNX MaxPool). */
import { poolOp } from './pool.js';
import type { OpDef } from './types.js';

/** Max pooling. */
export const maxpoolOp: OpDef<'maxpool'> = poolOp('maxpool');
