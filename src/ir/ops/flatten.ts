/** `flatten`: [C,H,W] -> [C*H*W] in NCHW order (ONNX Flatten, axis 1). */
import { numel } from '../geometry.js';
import { elementCost, mapForward, needInputs, noWeights } from './common.js';
import type { OpDef } from './types.js';

/** Flatten to a vector. */
export const flattenOp: OpDef<'flatten'> = {
  op: 'flatten',
  kind: 'free',
  weightShapes: noWeights,
  inferShape(node, ins) {
    needInputs(node, ins, 1);
    return [numel(ins[0] as readonly number[])];
  },
  cost: () => elementCost(0),
  forward: (a) => mapForward(a, (v) => v),
  onnxTypes: ['Flatten'],
  toOnnx: (node, ctx) => [{ opType: 'Flatten', inputs: [ctx.inputs[0] as string], outputs: [node.name], attributes: { axis: { i: 1 } } }],
  fromOnnx(ctx) {
    const x = ctx.act(0);
    const rank = ctx.shapeOf(x).length + 1;
    const axis = ctx.int('axis', 1);
    if ((axis < 0 ? axis + rank : axis) !== 1) throw ctx.unsupported(`axis ${axis} is not supported (expected 1: keep the batch axis)`);
    return { node: { op: 'flatten', name: ctx.name(), inputs: [x] } };
  },
  examples: [
    { title: 'flatten [3,4,5]', input: [3, 4, 5], nodes: [{ op: 'flatten', name: 'y', inputs: ['x'] }] },
    {
      title: 'flatten feeding a dense layer (engine HWC fast path)',
      input: [3, 2, 2],
      nodes: [
        { op: 'flatten', name: 'y', inputs: ['x'] },
        { op: 'dense', name: 'd', inputs: ['y'], inFeatures: 12, outFeatures: 3, bias: true },
      ],
    },
  ],
};
