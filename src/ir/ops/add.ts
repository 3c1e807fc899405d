/** `add`: element-wise sum with numpy broadcasting (ONNX Add). */
import { binaryOp } from './binary.js';
import type { OpDef } from './types.js';

/** Element-wise addition. */
export const addOp: OpDef<'add'> = binaryOp('add', 'Add', (a, b) => a + b);
