/** Shared parts of the element-wise binary ops `add` and `mul` (numpy broadcasting of per-sample shapes). */
import { broadcastShapes, numel } from '../geometry.js';
import type { Shape } from '../types.js';
import { elementCost, needInputs, noWeights } from './common.js';
import type { OnnxExportContext, OnnxImportContext, OnnxNodeData, OpDef, OpExample } from './types.js';

/** Builds the op definition of a broadcasting binary op. */
export function binaryOp<O extends 'add' | 'mul'>(op: O, onnxType: 'Add' | 'Mul', f: (a: number, b: number) => number): OpDef<O> {
  return {
    op,
    kind: 'elementwise',
    weightShapes: noWeights,
    inferShape(node, ins) {
      needInputs(node, ins, 2);
      return broadcastShapes(ins[0] as Shape, ins[1] as Shape, node.name);
    },
    cost: (_n, _i, out) => elementCost(numel(out)),
    forward({ inputs, inShapes, outShape, batch }) {
      const a = inputs[0] as Float64Array;
      const b = inputs[1] as Float64Array;
      const r = outShape.length;
      const strides = (s: Shape): number[] => {
        const pad = [...new Array<number>(r - s.length).fill(1), ...s];
        const st = new Array<number>(r).fill(0);
        let acc = 1;
        for (let d = r - 1; d >= 0; d--) {
          st[d] = pad[d] === 1 ? 0 : acc;
          acc *= pad[d] as number;
        }
        return st;
      };
      const stA = strides(inShapes[0] as Shape);
      const stB = strides(inShapes[1] as Shape);
      const nA = numel(inShapes[0] as Shape);
      const nB = numel(inShapes[1] as Shape);
      const outN = numel(outShape);
      const y = new Float64Array(batch * outN);
      for (let n = 0; n < batch; n++) {
        for (let i = 0; i < outN; i++) {
          let rem = i;
          let ia = 0;
          let ib = 0;
          for (let d = r - 1; d >= 0; d--) {
            const dim = outShape[d] as number;
            const idx = rem % dim;
            rem = Math.floor(rem / dim);
            ia += idx * (stA[d] as number);
            ib += idx * (stB[d] as number);
          }
          y[n * outN + i] = f(a[n * nA + ia] as number, b[n * nB + ib] as number);
        }
      }
      return y;
    },
    onnxTypes: [onnxType],
    toOnnx(node, ctx: OnnxExportContext): OnnxNodeData[] {
      // Per-sample shapes broadcast from the right; with the batch axis in front, a lower-rank operand
      // must get explicit size-1 axes after its batch axis.
      const r = Math.max(ctx.inShape(0).length, ctx.inShape(1).length);
      const out: OnnxNodeData[] = [];
      const ins = ctx.inputs.map((t, i) => {
        const s = ctx.inShape(i);
        if (s.length === r) return t;
        const y = ctx.uniqueName(`${node.name}/expand${i}`);
        out.push({
          opType: 'Reshape',
          inputs: [t, ctx.constant(`${y}.shape`, 'int64', [r + 1], [0, ...new Array<number>(r - s.length).fill(1), ...s])],
          outputs: [y],
        });
        return y;
      });
      out.push({ opType: onnxType, inputs: ins, outputs: [node.name] });
      return out;
    },
    fromOnnx(ctx: OnnxImportContext) {
      const a = ctx.act(0);
      const b = ctx.act(1);
      return { node: { op, name: ctx.name(), inputs: [a, b] } };
    },
    examples: binaryExamples(op),
  };
}

function binaryExamples(op: 'add' | 'mul'): OpExample[] {
  return [
    {
      title: `${op} of two [4,3,5] maps`,
      input: [4, 3, 5],
      nodes: [
        { op: 'relu', name: 's', inputs: ['x'] },
        { op, name: 'y', inputs: ['x', 's'] },
      ],
    },
    {
      title: `${op} of [4,3,5] and a per-channel [4,1,1]`,
      input: [4, 3, 5],
      nodes: [
        { op: 'globalavgpool', name: 'g', inputs: ['x'] },
        { op, name: 'y', inputs: ['g', 'x'] },
      ],
    },
    {
      title: `${op} of [4,3,5] and a rank-1 [5]`,
      input: [4, 3, 5],
      nodes: [
        { op: 'globalavgpool', name: 'g', inputs: ['x'] },
        { op: 'flatten', name: 'f', inputs: ['g'] },
        { op: 'dense', name: 'd', inputs: ['f'], inFeatures: 4, outFeatures: 5, bias: true },
        { op, name: 'y', inputs: ['x', 'd'] },
      ],
    },
  ];
}
