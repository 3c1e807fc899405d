/** `relu`: max(x, 0) (ONNX Relu). */
import { activationParts, mapForward } from './common.js';
import type { OpDef } from './types.js';

/** Rectified linear unit. */
export const reluOp: OpDef<'relu'> = {
  ...activationParts('relu'),
  forward: (a) => mapForward(a, (v) => Math.max(v, 0)),
  onnxTypes: ['Relu'],
  toOnnx: (node, ctx) => [{ opType: 'Relu', inputs: [ctx.inputs[0] as string], outputs: [node.name] }],
  fromOnnx: (ctx) => ({ node: { op: 'relu', name: ctx.name(), inputs: [ctx.act(0)] } }),
};
