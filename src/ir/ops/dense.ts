/** `dense`: fully connected layer `y = x Wᵀ + b` (ONNX Gemm with transB=1; imports Gemm and MatMul). */
import { ShapeError } from '../../errors.js';
import { fmtShape } from '../geometry.js';
import { constF32, constVector, needInputs } from './common.js';
import type { OpDef } from './types.js';

/** Fully connected layer. Weight `[out, in]`, bias `[out]`. */
export const denseOp: OpDef<'dense'> = {
  op: 'dense',
  kind: 'dense',
  weightShapes: (n) => [['weight', [n.outFeatures, n.inFeatures]], ...(n.bias ? ([['bias', [n.outFeatures]]] as const) : [])],
  inferShape(node, ins) {
    needInputs(node, ins, 1);
    const x = ins[0] as readonly number[];
    const f = x.length === 1 ? (x[0] as number) : -1;
    if (f !== node.inFeatures) throw new ShapeError(`dense '${node.name}' expects a [${node.inFeatures}] input, got ${fmtShape(x)}`);
    return [node.outFeatures];
  },
  cost(node) {
    const weightElems = node.inFeatures * node.outFeatures;
    const biasElems = node.bias ? node.outFeatures : 0;
    return { macs: weightElems, params: weightElems + biasElems, weightElems, biasElems, elementOps: 0 };
  },
  forward({ node, inputs, batch, weight }) {
    const x = inputs[0] as Float64Array;
    const wt = weight('weight');
    const b = node.bias ? weight('bias') : undefined;
    const fi = node.inFeatures;
    const fo = node.outFeatures;
    const y = new Float64Array(batch * fo);
    for (let n = 0; n < batch; n++) {
      for (let o = 0; o < fo; o++) {
        let acc = b ? (b[o] as number) : 0;
        for (let i = 0; i < fi; i++) acc += (x[n * fi + i] as number) * (wt[o * fi + i] as number);
        y[n * fo + o] = acc;
      }
    }
    return y;
  },
  onnxTypes: ['Gemm', 'MatMul'],
  toOnnx(node, ctx) {
    const ins = [ctx.inputs[0] as string, ctx.weight('weight')];
    if (node.bias) ins.push(ctx.weight('bias'));
    return [{ opType: 'Gemm', inputs: ins, outputs: [node.name], attributes: { transB: { i: 1 } } }];
  },
  fromOnnx(ctx) {
    const gemm = ctx.opType === 'Gemm';
    const x = ctx.act(0);
    const B = ctx.need(1, 'weight');
    if (B.dims.length !== 2) throw ctx.unsupported(`weight has rank ${B.dims.length}; only a 2-D constant weight is supported`);
    if (gemm && ctx.int('transA', 0) !== 0) throw ctx.unsupported('transA=1 is not supported');
    const transB = gemm && ctx.int('transB', 0) === 1;
    const [r, c] = B.dims as [number, number];
    const [outF, inF] = transB ? [r, c] : [c, r];
    const src = constF32(B);
    let data = src;
    if (!transB) {
      data = new Float32Array(src.length);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = src[i * c + j] as number;
    }
    const alpha = gemm ? ctx.float('alpha', 1) : 1;
    if (alpha !== 1) for (let k = 0; k < data.length; k++) data[k] = Math.fround(alpha * (data[k] as number));
    let bias: Float32Array | undefined;
    if (gemm) {
      const C = ctx.cst(2, 'bias C');
      if (C) {
        bias = constVector(ctx, C, outF, 'bias C');
        const beta = ctx.float('beta', 1);
        if (beta !== 1) for (let k = 0; k < bias.length; k++) bias[k] = Math.fround(beta * (bias[k] as number));
      }
    } else if (ctx.foldedBias) bias = constVector(ctx, ctx.foldedBias, outF, 'bias');
    const name = ctx.name();
    return {
      node: { op: 'dense', name, inputs: [x], inFeatures: inF, outFeatures: outF, bias: !!bias },
      weights: [{ param: 'weight', shape: [outF, inF], data }, ...(bias ? [{ param: 'bias', shape: [outF], data: bias }] : [])],
    };
  },
  examples: [
    { title: 'dense 12 -> 5 with bias', input: [12], nodes: [{ op: 'dense', name: 'y', inputs: ['x'], inFeatures: 12, outFeatures: 5, bias: true }] },
    {
      title: 'dense after flatten of [2,3,3], no bias',
      input: [2, 3, 3],
      nodes: [
        { op: 'flatten', name: 'f', inputs: ['x'] },
        { op: 'dense', name: 'y', inputs: ['f'], inFeatures: 18, outFeatures: 4, bias: false },
      ],
    },
  ],
};
