/**
 * `l2norm`: division by the L2 norm along a per-sample axis, `y = x / ||x||₂` (ONNX LpNormalization with
 * p = 2, axis + 1). A slice whose norm is 0 stays 0 (onnxruntime leaves it unchanged). Retrieval models end
 * their embedding with it, so an exported file outputs the normalised embedding.
 */
import { numel } from '../geometry.js';
import { elementCost, forEachSlice, importSampleAxis, noWeights, onnxAxis, sameShapeAlongAxis } from './common.js';
import type { OpDef } from './types.js';

/** L2 normalisation. */
export const l2normOp: OpDef<'l2norm'> = {
  op: 'l2norm',
  kind: 'elementwise',
  weightShapes: noWeights,
  inferShape: sameShapeAlongAxis,
  // a square-and-add per element, one square root per slice, a multiply per element
  cost: (_n, _i, out) => elementCost(2 * numel(out)),
  forward({ node, inputs, outShape }) {
    const x = inputs[0] as Float64Array;
    const y = new Float64Array(x.length);
    forEachSlice(x, outShape, node.axis, (first, stride, len) => {
      let ss = 0;
      for (let k = 0; k < len; k++) ss += (x[first + k * stride] as number) ** 2;
      const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      for (let k = 0; k < len; k++) y[first + k * stride] = (x[first + k * stride] as number) * inv;
    });
    return y;
  },
  onnxTypes: ['LpNormalization'],
  toOnnx(node, ctx) {
    return [
      {
        opType: 'LpNormalization',
        inputs: [ctx.inputs[0] as string],
        outputs: [node.name],
        attributes: { axis: { i: onnxAxis(node.axis) }, p: { i: 2 } },
      },
    ];
  },
  fromOnnx(ctx) {
    const x = ctx.act(0);
    const p = ctx.int('p', 2);
    if (p !== 2) throw ctx.unsupported(`p=${p}: only the L2 norm (p=2) is supported`);
    return { node: { op: 'l2norm', name: ctx.name(), inputs: [x], axis: importSampleAxis(ctx, x, -1) } };
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
