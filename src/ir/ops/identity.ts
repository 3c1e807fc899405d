/** `identity`: y = x (ONNX Identity; Dropout imports as identity, and an Identity of a constant stays a constant). */
import { elementCost, mapForward, noWeights, sameShape, unaryExamples } from './common.js';
import type { OpDef } from './types.js';

/** Identity. */
export const identityOp: OpDef<'identity'> = {
  op: 'identity',
  kind: 'free',
  weightShapes: noWeights,
  inferShape: sameShape,
  cost: () => elementCost(0),
  forward: (a) => mapForward(a, (v) => v),
  onnxTypes: ['Identity', 'Dropout'],
  toOnnx: (node, ctx) => [{ opType: 'Identity', inputs: [ctx.inputs[0] as string], outputs: [node.name] }],
  fromOnnx(ctx) {
    if (ctx.opType === 'Identity' && ctx.isConst(0)) return { constant: ctx.need(0, 'input') };
    return { node: { op: 'identity', name: ctx.name(), inputs: [ctx.act(0)] } };
  },
  examples: unaryExamples('identity'),
};
