/** `concat`: concatenation along a per-sample axis, 0 = channels (ONNX Concat, axis + 1). */
import { ShapeError } from '../../errors.js';
import { fmtShape, numel } from '../geometry.js';
import { checkSampleAxis, elementCost, noWeights, onnxAxis, sampleAxis } from './common.js';
import type { OpDef } from './types.js';

/** Concatenation. */
export const concatOp: OpDef<'concat'> = {
  op: 'concat',
  kind: 'elementwise',
  weightShapes: noWeights,
  inferShape(node, ins) {
    if (ins.length < 1) throw new ShapeError(`concat '${node.name}' has no inputs`);
    const x = ins[0] as readonly number[];
    const rank = x.length;
    const ax = checkSampleAxis(node, x);
    const out = [...x];
    out[ax] = 0;
    for (const s of ins) {
      if (s.length !== rank || s.some((v, i) => i !== ax && v !== x[i])) {
        throw new ShapeError(`concat '${node.name}': input shapes ${ins.map(fmtShape).join(' ')} differ off axis ${ax}`);
      }
      out[ax] = (out[ax] as number) + (s[ax] as number);
    }
    return out;
  },
  cost: (_n, _i, out) => elementCost(numel(out)),
  forward({ node, inputs, inShapes, outShape, batch }) {
    const ax = sampleAxis(node.axis, outShape.length);
    const outer = numel(outShape.slice(0, ax));
    const inner = numel(outShape.slice(ax + 1));
    const outAx = outShape[ax] as number;
    const outN = numel(outShape);
    const y = new Float64Array(batch * outN);
    for (let n = 0; n < batch; n++) {
      let off = 0;
      inputs.forEach((v, k) => {
        const s = inShapes[k] as readonly number[];
        const len = s[ax] as number;
        const nIn = numel(s);
        for (let o = 0; o < outer; o++) {
          for (let l = 0; l < len * inner; l++) y[n * outN + (o * outAx + off) * inner + l] = v[n * nIn + o * len * inner + l] as number;
        }
        off += len;
      });
    }
    return y;
  },
  onnxTypes: ['Concat'],
  toOnnx: (node, ctx) => [{ opType: 'Concat', inputs: ctx.inputs, outputs: [node.name], attributes: { axis: { i: onnxAxis(node.axis) } } }],
  fromOnnx(ctx) {
    const xs = ctx.inputs.map((_, k) => ctx.act(k));
    const rank = ctx.shapeOf(xs[0] as string).length + 1;
    const axis = ctx.attr('axis');
    if (typeof axis !== 'number') throw ctx.bad('attribute axis is missing');
    if (axis === 0 || axis === -rank) throw ctx.unsupported('concatenation along the batch axis is not supported');
    return { node: { op: 'concat', name: ctx.name(), inputs: xs, axis: axis < 0 ? axis : axis - 1 } };
  },
  examples: [
    {
      title: 'concat of three maps along channels',
      input: [2, 3, 4],
      nodes: [
        { op: 'sigmoid', name: 's', inputs: ['x'] },
        {
          op: 'conv2d',
          name: 'c',
          inputs: ['x'],
          inChannels: 2,
          outChannels: 3,
          kernel: [1, 1],
          stride: [1, 1],
          dilation: [1, 1],
          pads: [0, 0, 0, 0],
          groups: 1,
          bias: false,
        },
        { op: 'concat', name: 'y', inputs: ['x', 's', 'c'], axis: 0 },
      ],
    },
    {
      title: 'concat along the last axis (-1)',
      input: [2, 3, 4],
      nodes: [
        { op: 'relu', name: 'r', inputs: ['x'] },
        { op: 'concat', name: 'y', inputs: ['r', 'x'], axis: -1 },
      ],
    },
  ],
};
