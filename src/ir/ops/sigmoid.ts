/** `sigmoid`: 1 / (1 + e^-x) (ONNX Sigmoid). */
import { activationParts, mapForward } from './common.js';
import type { OpDef } from './types.js';

/** Logistic sigmoid. */
export const sigmoidOp: OpDef<'sigmoid'> = {
  ...activationParts('sigmoid'),
  forward: (a) => mapForward(a, (v) => 1 / (1 + Math.exp(-v))),
  onnxTypes: ['Sigmoid'],
  toOnnx: (node, ctx) => [{ opType: 'Sigmoid', inputs: [ctx.inputs[0] as string], outputs: [node.name] }],
  fromOnnx: (ctx) => ({ node: { op: 'sigmoid', name: ctx.name(), inputs: [ctx.act(0)] } }),
};
