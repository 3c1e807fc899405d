/** `globalavgpool`: mean over H and W, [C,H,W] -> [C,1,1] (ONNX GlobalAveragePool). */
import { numel } from '../geometry.js';
import { chw, elementCost, noWeights } from './common.js';
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
  onnxTypes: ['GlobalAveragePool'],
  toOnnx: (node, ctx) => [{ opType: 'GlobalAveragePool', inputs: [ctx.inputs[0] as string], outputs: [node.name] }],
  fromOnnx: (ctx) => ({ node: { op: 'globalavgpool', name: ctx.name(), inputs: [ctx.act(0)] } }),
  examples: [
    { title: 'global average pool of [5,4,3]', input: [5, 4, 3], nodes: [{ op: 'globalavgpool', name: 'y', inputs: ['x'] }] },
    { title: 'global average pool of [3,1,1]', input: [3, 1, 1], nodes: [{ op: 'globalavgpool', name: 'y', inputs: ['x'] }] },
  ],
};
