/** `softmax`: softmax along a per-sample axis (ONNX Softmax, axis + 1; opset < 13 only over the last axis). */
import { ShapeError, UserError } from '../../errors.js';
import { fmtShape, numel } from '../geometry.js';
import { elementCost, needInputs, noWeights } from './common.js';
import type { OpDef } from './types.js';

/** Softmax. */
export const softmaxOp: OpDef<'softmax'> = {
  op: 'softmax',
  kind: 'elementwise',
  weightShapes: noWeights,
  inferShape(node, ins) {
    needInputs(node, ins, 1);
    const x = ins[0] as readonly number[];
    const ax = node.axis < 0 ? node.axis + x.length : node.axis;
    if (ax < 0 || ax >= x.length) throw new ShapeError(`softmax '${node.name}': axis ${node.axis} out of range for ${fmtShape(x)}`);
    return x;
  },
  cost: (_n, _i, out) => elementCost(numel(out)),
  forward({ node, inputs, outShape }) {
    const x = inputs[0] as Float64Array;
    const rank = outShape.length;
    const ax = node.axis < 0 ? node.axis + rank : node.axis;
    const len = outShape[ax] as number;
    const inner = numel(outShape.slice(ax + 1));
    const outer = x.length / (len * inner);
    const y = new Float64Array(x.length);
    for (let o = 0; o < outer; o++) {
      for (let l = 0; l < inner; l++) {
        const at = (k: number): number => (o * len + k) * inner + l;
        let m = -Infinity;
        for (let k = 0; k < len; k++) m = Math.max(m, x[at(k)] as number);
        let sum = 0;
        for (let k = 0; k < len; k++) sum += Math.exp((x[at(k)] as number) - m);
        for (let k = 0; k < len; k++) y[at(k)] = Math.exp((x[at(k)] as number) - m) / sum;
      }
    }
    return y;
  },
  onnxTypes: ['Softmax'],
  toOnnx(node, ctx) {
    if (ctx.opset < 13) {
      const rank = ctx.inShape(0).length;
      const ax = node.axis < 0 ? node.axis + rank : node.axis;
      if (ax !== rank - 1) {
        throw new UserError(`ONNX export: softmax '${node.name}' over axis ${node.axis} of a rank-${rank} tensor needs opset >= 13 (got opset ${ctx.opset})`);
      }
    }
    return [
      { opType: 'Softmax', inputs: [ctx.inputs[0] as string], outputs: [node.name], attributes: { axis: { i: node.axis < 0 ? node.axis : node.axis + 1 } } },
    ];
  },
  fromOnnx(ctx) {
    const x = ctx.act(0);
    const rank = ctx.shapeOf(x).length + 1;
    const axis = ctx.int('axis', ctx.opset < 13 ? 1 : -1);
    const ax = axis < 0 ? axis + rank : axis;
    if (ax <= 0 || ax >= rank) throw ctx.unsupported(`axis ${axis} is not supported for a rank-${rank} input (the batch axis is not allowed)`);
    if (ctx.opset < 13 && ax !== rank - 1) throw ctx.unsupported(`opset-${ctx.opset} softmax over flattened axes ${axis}..end is not supported`);
    return { node: { op: 'softmax', name: ctx.name(), inputs: [x], axis: axis < 0 ? axis : axis - 1 } };
  },
  examples: [
    { title: 'softmax of a vector', input: [10], nodes: [{ op: 'softmax', name: 'y', inputs: ['x'], axis: -1 }] },
    { title: 'softmax over channels of [4,3,2]', input: [4, 3, 2], nodes: [{ op: 'softmax', name: 'y', inputs: ['x'], axis: 0 }] },
    { title: 'softmax over the last axis of [4,3,2]', input: [4, 3, 2], nodes: [{ op: 'softmax', name: 'y', inputs: ['x'], axis: -1 }] },
  ],
};
