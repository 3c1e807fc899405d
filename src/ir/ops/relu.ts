/** `relu`: max(x, 0) (ONNX Relu). */
import { elementCost, mapForward, noWeights, sameShape, unaryExamples } from './common.js';
import { numel } from '../geometry.js';
import type { OpDef } from './types.js';

/** Rectified linear unit. */
export const reluOp: OpDef<'relu'> = {
  op: 'relu',
  kind: 'activation',
  weightShapes: noWeights,
  inferShape: sameShape,
  cost: (_n, _i, out) => elementCost(numel(out)),
  forward: (a) => mapForward(a, (v) => Math.max(v, 0)),
  onnxTypes: ['Relu'],
  toOnnx: (node, ctx) => [{ opType: 'Relu', inputs: [ctx.inputs[0] as string], outputs: [node.name] }],
  fromOnnx: (ctx) => ({ node: { op: 'relu', name: ctx.name(), inputs: [ctx.act(0)] } }),
  examples: unaryExamples('relu'),
};
