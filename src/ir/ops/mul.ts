/** `mul`: element-wise product with numpy broadcasting (ONNX Mul; Mul(x, Sigmoid(x)) imports as swish). */
import { binaryOp } from './binary.js';
import type { OpDef } from './types.js';

/** Element-wise multiplication. */
export const mulOp: OpDef<'mul'> = binaryOp('mul', 'Mul', (a, b) => a * b);
