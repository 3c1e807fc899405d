/**
 * `l2norm`: division by the L2 norm along a per-sample axis, `y = x / ||x||₂` (ONNX LpNormalization with
 * p = 2, axis + 1). A slice whose norm is 0 stays 0 (onnxruntime leaves it unchanged). Retrieval models end
 * their embedding with it, so an exported file outputs the normalised embedding.
 */
import { ShapeError } from '../../errors.js';
import { fmtShape, numel } from '../geometry.js';
import { elementCost, needInputs, noWeights } from './common.js';
import type { OpDef } from './types.js';

/** L2 normalisation. */
export const l2normOp: OpDef<'l2norm'> = {
  op: 'l2norm',
  kind: 'elementwise',
  weightShapes: noWeights,
  inferShape(node, ins) {
    needInputs(node, ins, 1);
    const x = ins[0] as readonly number[];
    const ax = node.axis < 0 ? node.axis + x.length : node.axis;
    if (!Number.isInteger(node.axis) || ax < 0 || ax >= x.length)
      throw new ShapeError(`l2norm '${node.name}': axis ${node.axis} out of range for ${fmtShape(x)}`);
    return x;
  },
  // a square-and-add per element, one square root per slice, a multiply per element
  cost: (_n, _i, out) => elementCost(2 * numel(out)),
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
        const base = o * len * inner + l;
        let ss = 0;
        for (let k = 0; k < len; k++) ss += (x[base + k * inner] as number) ** 2;
        const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
        for (let k = 0; k < len; k++) y[base + k * inner] = (x[base + k * inner] as number) * inv;
      }
    }
    return y;
  },
  onnxTypes: ['LpNormalization'],
  toOnnx(node, ctx) {
    return [
      {
        opType: 'LpNormalization',
        inputs: [ctx.inputs[0] as string],
        outputs: [node.name],
        attributes: { axis: { i: node.axis < 0 ? node.axis : node.axis + 1 }, p: { i: 2 } },
      },
    ];
  },
  fromOnnx(ctx) {
    const x = ctx.act(0);
    const p = ctx.int('p', 2);
    if (p !== 2) throw ctx.unsupported(`p=${p}: only the L2 norm (p=2) is supported`);
    const rank = ctx.shapeOf(x).length + 1;
    const axis = ctx.int('axis', -1);
    const ax = axis < 0 ? axis + rank : axis;
    if (ax <= 0 || ax >= rank) throw ctx.unsupported(`axis ${axis} is not supported for a rank-${rank} input (the batch axis is not allowed)`);
    return { node: { op: 'l2norm', name: ctx.name(), inputs: [x], axis: axis < 0 ? axis : axis - 1 } };
  },
  examples: [
    { title: 'l2norm of a vector', input: [16], nodes: [{ op: 'l2norm', name: 'y', inputs: ['x'], axis: -1 }] },
    { title: 'l2norm over channels of [4,3,2]', input: [4, 3, 2], nodes: [{ op: 'l2norm', name: 'y', inputs: ['x'], axis: 0 }] },
    { title: 'l2norm over the last axis of [4,3,2]', input: [4, 3, 2], nodes: [{ op: 'l2norm', name: 'y', inputs: ['x'], axis: -1 }] },
    {
      title: 'l2norm of a dense embedding (the retrieval head)',
      input: [3, 4, 4],
      nodes: [
        { op: 'flatten', name: 'f', inputs: ['x'] },
        { op: 'dense', name: 'e', inputs: ['f'], inFeatures: 48, outFeatures: 8, bias: true },
        { op: 'l2norm', name: 'y', inputs: ['e'], axis: -1 },
      ],
    },
  ],
};
