/** `softmax`: softmax along a per-sample axis (ONNX Softmax, axis + 1; opset < 13 only over the last axis). */
import { UserError } from '../../errors.js';
import { numel } from '../geometry.js';
import { elementCost, forEachSlice, importSampleAxis, noWeights, onnxAxis, sameShapeAlongAxis, sampleAxis } from './common.js';
import type { OpDef } from './types.js';

/** Softmax. */
export const softmaxOp: OpDef<'softmax'> = {
  op: 'softmax',
  kind: 'elementwise',
  weightShapes: noWeights,
  inferShape: sameShapeAlongAxis,
  cost: (_n, _i, out) => elementCost(numel(out)),
  forward({ node, inputs, outShape }) {
    const x = inputs[0] as Float64Array;
    const y = new Float64Array(x.length);
    forEachSlice(x, outShape, node.axis, (first, stride, len) => {
      let m = -Infinity;
      for (let k = 0; k < len; k++) m = Math.max(m, x[first + k * stride] as number);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp((x[first + k * stride] as number) - m);
      for (let k = 0; k < len; k++) y[first + k * stride] = Math.exp((x[first + k * stride] as number) - m) / sum;
    });
    return y;
  },
  onnxTypes: ['Softmax'],
  toOnnx(node, ctx) {
    if (ctx.opset < 13) {
      const rank = ctx.inShape(0).length;
      if (sampleAxis(node.axis, rank) !== rank - 1) {
        throw new UserError(`ONNX export: softmax '${node.name}' over axis ${node.axis} of a rank-${rank} tensor needs opset >= 13 (got opset ${ctx.opset})`);
      }
    }
    return [{ opType: 'Softmax', inputs: [ctx.inputs[0] as string], outputs: [node.name], attributes: { axis: { i: onnxAxis(node.axis) } } }];
  },
  fromOnnx(ctx) {
    const x = ctx.act(0);
    const axis = importSampleAxis(ctx, x, ctx.opset < 13 ? 1 : -1);
    const rank = ctx.shapeOf(x).length;
    if (ctx.opset < 13 && sampleAxis(axis, rank) !== rank - 1)
      throw ctx.unsupported(`opset-${ctx.opset} softmax over flattened axes ${onnxAxis(axis)}..end is not supported`);
    return { node: { op: 'softmax', name: ctx.name(), inputs: [x], axis } };
  },
  examples: [
    { title: 'softmax of a vector', input: [10], nodes: [{ op: 'softmax', name: 'y', inputs: ['x'], axis: -1 }] },
    { title: 'softmax over channels of [4,3,2]', input: [4, 3, 2], nodes: [{ op: 'softmax', name: 'y', inputs: ['x'], axis: 0 }] },
    { title: 'softmax over the last axis of [4,3,2]', input: [4, 3, 2], nodes: [{ op: 'softmax', name: 'y', inputs: ['x'], axis: -1 }] },
  ],
};
