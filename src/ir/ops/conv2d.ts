/** `conv2d`: 2-D convolution, grouped or depthwise via `groups` (ONNX Conv). */
import { ShapeError } from '../../errors.js';
import { fmtShape, numel, windowOut } from '../geometry.js';
import { attrPads, attrPair, chw, chwInput, constF32, constVector } from './common.js';
import type { OnnxNodeData, OpDef } from './types.js';

/** 2-D convolution. Weight `[outC, inC/groups, kH, kW]`, bias `[outC]`. */
export const conv2dOp: OpDef<'conv2d'> = {
  op: 'conv2d',
  kind: 'conv',
  weightShapes: (n) => [
    ['weight', [n.outChannels, n.inChannels / n.groups, n.kernel[0], n.kernel[1]]],
    ...(n.bias ? ([['bias', [n.outChannels]]] as const) : []),
  ],
  inferShape(node, ins) {
    const [c, h, w] = chw(node, ins);
    const x = ins[0];
    if (c !== node.inChannels) {
      throw new ShapeError(`conv '${node.name}' expects ${node.inChannels} input channels, its input has ${c} (shape ${fmtShape(x)})`);
    }
    if (node.groups < 1 || c % node.groups !== 0 || node.outChannels % node.groups !== 0) {
      throw new ShapeError(`conv '${node.name}': groups=${node.groups} must divide in channels ${c} and out channels ${node.outChannels}`);
    }
    const oh = windowOut(h, node.kernel[0], node.stride[0], node.dilation[0], node.pads[0], node.pads[2]);
    const ow = windowOut(w, node.kernel[1], node.stride[1], node.dilation[1], node.pads[1], node.pads[3]);
    if (oh < 1 || ow < 1) throw new ShapeError(`conv '${node.name}': kernel larger than padded input ${fmtShape(x)}`);
    return [node.outChannels, oh, ow];
  },
  cost(node, ins, out) {
    const kArea = node.kernel[0] * node.kernel[1];
    const cinPerGroup = node.inChannels / node.groups;
    const weightElems = node.outChannels * cinPerGroup * kArea;
    const biasElems = node.bias ? node.outChannels : 0;
    const x = ins[0] as readonly number[];
    return {
      macs: numel(out) * cinPerGroup * kArea,
      params: weightElems + biasElems,
      weightElems,
      biasElems,
      elementOps: 0,
      conv: {
        inChannels: node.inChannels,
        outChannels: node.outChannels,
        kernel: node.kernel,
        stride: node.stride,
        groups: node.groups,
        depthwise: node.groups === node.inChannels && node.groups > 1,
        inH: x[1] as number,
        inW: x[2] as number,
        outH: out[1] as number,
        outW: out[2] as number,
      },
    };
  },
  forward({ node, inputs, inShapes, outShape, batch, weight }) {
    const x = inputs[0] as Float64Array;
    const [c, h, w] = inShapes[0] as [number, number, number];
    const [oc, oh, ow] = outShape as [number, number, number];
    const [kh, kw] = node.kernel;
    const icg = c / node.groups;
    const ocg = oc / node.groups;
    const wt = weight('weight');
    const b = node.bias ? weight('bias') : undefined;
    const y = new Float64Array(batch * oc * oh * ow);
    for (let n = 0; n < batch; n++) {
      for (let o = 0; o < oc; o++) {
        const gi = Math.floor(o / ocg);
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            let acc = b ? (b[o] as number) : 0;
            for (let ci = 0; ci < icg; ci++) {
              const cin = gi * icg + ci;
              for (let u = 0; u < kh; u++) {
                const r = i * node.stride[0] - node.pads[0] + u * node.dilation[0];
                if (r < 0 || r >= h) continue;
                for (let v = 0; v < kw; v++) {
                  const q = j * node.stride[1] - node.pads[1] + v * node.dilation[1];
                  if (q < 0 || q >= w) continue;
                  acc += (x[((n * c + cin) * h + r) * w + q] as number) * (wt[((o * icg + ci) * kh + u) * kw + v] as number);
                }
              }
            }
            y[((n * oc + o) * oh + i) * ow + j] = acc;
          }
        }
      }
    }
    return y;
  },
  onnxTypes: ['Conv'],
  toOnnx(node, ctx): OnnxNodeData[] {
    const ins = [ctx.inputs[0] as string, ctx.weight('weight')];
    if (node.bias) ins.push(ctx.weight('bias'));
    return [
      {
        opType: 'Conv',
        inputs: ins,
        outputs: [node.name],
        attributes: {
          kernel_shape: { ints: node.kernel },
          strides: { ints: node.stride },
          dilations: { ints: node.dilation },
          pads: { ints: node.pads },
          group: { i: node.groups },
        },
      },
    ];
  },
  fromOnnx(ctx) {
    const x = ctx.act(0);
    const W = ctx.need(1, 'weight');
    if (W.dims.length !== 4) throw ctx.unsupported(`weight has rank ${W.dims.length}; only 2-D convolution (rank-4 weight) is supported`);
    const xs = chwInput(ctx, x);
    const [oc, icg, kh, kw] = W.dims as [number, number, number, number];
    const groups = ctx.int('group', 1);
    const kernel = attrPair(ctx, 'kernel_shape', 0);
    if (ctx.ints('kernel_shape') && (kernel[0] !== kh || kernel[1] !== kw)) {
      throw ctx.bad(`kernel_shape [${kernel.join(',')}] disagrees with weight dims [${W.dims.join(',')}]`);
    }
    const stride = attrPair(ctx, 'strides', 1);
    const dilation = attrPair(ctx, 'dilations', 1);
    const name = ctx.name();
    const B = ctx.cst(2, 'bias');
    return {
      node: {
        op: 'conv2d',
        name,
        inputs: [x],
        inChannels: icg * groups,
        outChannels: oc,
        kernel: [kh, kw],
        stride,
        dilation,
        pads: attrPads(ctx, xs, [kh, kw], stride, dilation),
        groups,
        bias: !!B,
      },
      weights: [{ param: 'weight', shape: W.dims, data: constF32(W) }, ...(B ? [{ param: 'bias', shape: [oc], data: constVector(ctx, B, oc, 'bias') }] : [])],
    };
  },
  examples: [
    {
      title: 'conv 3x3, stride 2, asymmetric pads, bias',
      input: [3, 9, 8],
      nodes: [
        {
          op: 'conv2d',
          name: 'y',
          inputs: ['x'],
          inChannels: 3,
          outChannels: 5,
          kernel: [3, 3],
          stride: [2, 2],
          dilation: [1, 1],
          pads: [0, 1, 1, 1],
          groups: 1,
          bias: true,
        },
      ],
    },
    {
      title: 'grouped conv 3x1, dilation 2, no bias',
      input: [4, 7, 7],
      nodes: [
        {
          op: 'conv2d',
          name: 'y',
          inputs: ['x'],
          inChannels: 4,
          outChannels: 6,
          kernel: [3, 1],
          stride: [1, 1],
          dilation: [2, 1],
          pads: [2, 0, 2, 0],
          groups: 2,
          bias: false,
        },
      ],
    },
    {
      title: 'depthwise conv 3x3 with multiplier 2',
      input: [3, 6, 6],
      nodes: [
        {
          op: 'conv2d',
          name: 'y',
          inputs: ['x'],
          inChannels: 3,
          outChannels: 6,
          kernel: [3, 3],
          stride: [1, 1],
          dilation: [1, 1],
          pads: [1, 1, 1, 1],
          groups: 3,
          bias: true,
        },
      ],
    },
  ],
};
