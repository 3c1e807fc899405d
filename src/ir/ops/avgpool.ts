/** `avgpool`: mean over windows, padded cells counted or not (ONNX AveragePool, count_include_pad). */
import { poolOp } from './pool.js';
import type { OpDef } from './types.js';

/** Average pooling. */
export const avgpoolOp: OpDef<'avgpool'> = poolOp('avgpool');
