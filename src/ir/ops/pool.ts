/** Shared parts of the windowed pools `maxpool` and `avgpool` (ONNX MaxPool / AveragePool). */
import { ShapeError } from '../../errors.js';
import { fmtShape, numel, windowOut } from '../geometry.js';
import type { PoolNode } from '../types.js';
import { attrPads, attrPair, chw, chwInput, elementCost, noWeights } from './common.js';
import type { OnnxAttr, OpDef, OpExample } from './types.js';

/** Builds the op definition of a windowed pool. */
export function poolOp<O extends 'maxpool' | 'avgpool'>(op: O): OpDef<O> {
  const onnxType = op === 'maxpool' ? 'MaxPool' : 'AveragePool';
  return {
    op,
    kind: 'pool',
    weightShapes: noWeights,
    inferShape(node, ins) {
      const [c, h, w] = chw(node, ins);
      const oh = windowOut(h, node.kernel[0], node.stride[0], 1, node.pads[0], node.pads[2]);
      const ow = windowOut(w, node.kernel[1], node.stride[1], 1, node.pads[1], node.pads[3]);
      if (oh < 1 || ow < 1) throw new ShapeError(`pool '${node.name}': window larger than input ${fmtShape(ins[0])}`);
      return [c, oh, ow];
    },
    cost: (node, _i, out) => elementCost(numel(out) * node.kernel[0] * node.kernel[1]),
    forward({ node, inputs, inShapes, outShape, batch }) {
      const x = inputs[0] as Float64Array;
      const [c, h, w] = inShapes[0] as [number, number, number];
      const [, oh, ow] = outShape as [number, number, number];
      const [kh, kw] = node.kernel;
      const max = node.op === 'maxpool';
      const y = new Float64Array(batch * c * oh * ow);
      for (let nc = 0; nc < batch * c; nc++) {
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            let acc = max ? -Infinity : 0;
            let cnt = 0;
            for (let u = 0; u < kh; u++) {
              const r = i * node.stride[0] - node.pads[0] + u;
              if (r < 0 || r >= h) continue;
              for (let v = 0; v < kw; v++) {
                const q = j * node.stride[1] - node.pads[1] + v;
                if (q < 0 || q >= w) continue;
                const val = x[(nc * h + r) * w + q] as number;
                acc = max ? Math.max(acc, val) : acc + val;
                cnt++;
              }
            }
            y[(nc * oh + i) * ow + j] = max ? acc : acc / (node.countIncludePad ? kh * kw : cnt);
          }
        }
      }
      return y;
    },
    onnxTypes: [onnxType],
    toOnnx(node, ctx) {
      const attributes: Record<string, OnnxAttr> = { kernel_shape: { ints: node.kernel }, strides: { ints: node.stride }, pads: { ints: node.pads } };
      if (op === 'avgpool') attributes.count_include_pad = { i: node.countIncludePad ? 1 : 0 };
      return [{ opType: onnxType, inputs: [ctx.inputs[0] as string], outputs: [node.name], attributes }];
    },
    fromOnnx(ctx) {
      const x = ctx.act(0);
      const xs = chwInput(ctx, x);
      const kernel = attrPair(ctx, 'kernel_shape', 0);
      if (kernel[0] < 1) throw ctx.bad('attribute kernel_shape is missing');
      const stride = attrPair(ctx, 'strides', 1);
      const dil = attrPair(ctx, 'dilations', 1);
      if (dil[0] !== 1 || dil[1] !== 1) throw ctx.unsupported(`dilations [${dil.join(',')}] are not supported (expected 1)`);
      const pads = [...attrPads(ctx, xs, kernel, stride, [1, 1])] as [number, number, number, number];
      const countIncludePad = ctx.int('count_include_pad', 0) === 1;
      if (ctx.int('ceil_mode', 0) === 1) {
        // Express ceil rounding as extra end padding (the last window must start inside input or begin pad).
        for (const ax of [0, 1] as const) {
          const size = xs[ax + 1] as number;
          const end = ax + 2;
          const padded = size + pads[ax] + (pads[end] as number);
          let out = Math.ceil((padded - kernel[ax]) / stride[ax]) + 1;
          if ((out - 1) * stride[ax] >= size + pads[ax]) out--;
          const extra = (out - 1) * stride[ax] + kernel[ax] - padded;
          if (extra > 0) {
            if (op === 'avgpool' && countIncludePad) throw ctx.unsupported('ceil_mode=1 with count_include_pad=1 is not supported');
            pads[end] = (pads[end] as number) + extra;
          }
        }
      }
      const node: PoolNode = { op, name: ctx.name(), inputs: [x], kernel, stride, pads, countIncludePad: op === 'avgpool' && countIncludePad };
      return { node };
    },
    examples: poolExamples(op),
  };
}

function poolExamples(op: 'maxpool' | 'avgpool'): OpExample[] {
  const pool = (
    name: string,
    kernel: [number, number],
    stride: [number, number],
    pads: [number, number, number, number],
    countIncludePad = false,
  ): PoolNode => ({
    op,
    name,
    inputs: ['x'],
    kernel,
    stride,
    pads,
    countIncludePad,
  });
  const out: OpExample[] = [
    { title: `${op} 2x2 stride 2`, input: [3, 6, 8], nodes: [pool('y', [2, 2], [2, 2], [0, 0, 0, 0])] },
    { title: `${op} 3x3 stride 2, asymmetric pads`, input: [2, 7, 6], nodes: [pool('y', [3, 3], [2, 2], [1, 1, 0, 1])] },
  ];
  if (op === 'avgpool') out.push({ title: 'avgpool 3x3, pads counted', input: [2, 5, 5], nodes: [pool('y', [3, 3], [1, 1], [1, 1, 1, 1], true)] });
  return out;
}
