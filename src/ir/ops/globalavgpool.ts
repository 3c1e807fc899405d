/**
 * `globalavgpool`: mean over H and W, [C,H,W] -> [C,1,1] (ONNX GlobalAveragePool; also ONNX ReduceMean over the
 * spatial axes, PyTorch's `x.mean((2, 3))`: keepdims 1 is this node, keepdims 0 this node and a flatten).
 */
import { numel } from '../geometry.js';
import { chw, elementCost, importAxes, noWeights } from './common.js';
import type { OpDef } from './types.js';

/** Global average pooling. */
export const globalavgpoolOp: OpDef<'globalavgpool'> = {
  op: 'globalavgpool',
  kind: 'pool',
  weightShapes: noWeights,
  inferShape(node, ins) {
    const [c] = chw(node, ins);
    return [c, 1, 1];
  },
  cost: (_n, ins) => elementCost(ins.reduce((s, x) => s + numel(x), 0)),
  forward({ inputs, inShapes, batch }) {
    const x = inputs[0] as Float64Array;
    const [c, h, w] = inShapes[0] as [number, number, number];
    const y = new Float64Array(batch * c);
    for (let nc = 0; nc < batch * c; nc++) {
      let acc = 0;
      for (let k = 0; k < h * w; k++) acc += x[nc * h * w + k] as number;
      y[nc] = acc / (h * w);
    }
    return y;
  },
  onnxTypes: ['GlobalAveragePool', 'ReduceMean'],
  toOnnx: (node, ctx) => [{ opType: 'GlobalAveragePool', inputs: [ctx.inputs[0] as string], outputs: [node.name] }],
  fromOnnx(ctx) {
    const x = ctx.act(0);
    if (ctx.opType === 'GlobalAveragePool') return { node: { op: 'globalavgpool', name: ctx.name(), inputs: [x] } };
    const xs = ctx.shapeOf(x);
    const rank = xs.length + 1;
    const keep = ctx.int('keepdims', 1);
    const axes = importAxes(ctx, 18, rank);
    if (!(rank === 4 && axes?.length === 2 && axes[0] === 2 && axes[1] === 3)) {
      const what = axes === undefined ? 'no axes (the mean of every axis, the batch included)' : `axes [${axes.join(',')}]`;
      throw ctx.unsupported(
        `${what} with keepdims ${keep} on an [N,${xs.join(',')}] input: only the mean over the spatial axes of an [N,C,H,W] input (axes [2,3] or [-2,-1], keepdims 0 or 1) is supported, as a global average pool; in PyTorch, pool with x.mean((2, 3)) or F.adaptive_avg_pool2d(x, 1)`,
      );
    }
    if (keep !== 0) return { node: { op: 'globalavgpool', name: ctx.name(), inputs: [x] } };
    const pool = ctx.helperName('pool');
    return { before: [{ op: 'globalavgpool', name: pool, inputs: [x] }], node: { op: 'flatten', name: ctx.name(), inputs: [pool] } };
  },
  examples: [
    { title: 'global average pool of [5,4,3]', input: [5, 4, 3], nodes: [{ op: 'globalavgpool', name: 'y', inputs: ['x'] }] },
    { title: 'global average pool of [3,1,1]', input: [3, 1, 1], nodes: [{ op: 'globalavgpool', name: 'y', inputs: ['x'] }] },
  ],
};
