/** `batchnorm`: batch normalisation over the channel axis (ONNX BatchNormalization, inference form). */
import { ShapeError } from '../../errors.js';
import { fmtShape, numel } from '../geometry.js';
import { cleanF32, constVector, needInputs } from './common.js';
import type { OpDef } from './types.js';

const PARAMS = ['scale', 'bias', 'mean', 'var'] as const;

/** Batch normalisation. Weights `scale`, `bias`, `mean`, `var`, each `[C]`. */
export const batchnormOp: OpDef<'batchnorm'> = {
  op: 'batchnorm',
  kind: 'elementwise',
  weightShapes: (n) => PARAMS.map((p) => [p, [n.channels]] as const),
  inferShape(node, ins) {
    needInputs(node, ins, 1);
    const x = ins[0] as readonly number[];
    if (x[0] !== node.channels) throw new ShapeError(`batchnorm '${node.name}' expects ${node.channels} channels, input is ${fmtShape(x)}`);
    return x;
  },
  cost: (node, _ins, out) => ({ macs: 0, params: 2 * node.channels, weightElems: 0, biasElems: 0, elementOps: 2 * numel(out) }),
  forward({ node, inputs, outShape, batch, weight, training }) {
    const x = inputs[0] as Float64Array;
    const c = node.channels;
    const inner = numel(outShape) / c;
    const mean = new Float64Array(c);
    const vr = new Float64Array(c);
    if (training) {
      const cnt = batch * inner;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let n = 0; n < batch; n++) for (let i = 0; i < inner; i++) s += x[(n * c + ch) * inner + i] as number;
        const m = s / cnt;
        let q = 0;
        for (let n = 0; n < batch; n++) for (let i = 0; i < inner; i++) q += ((x[(n * c + ch) * inner + i] as number) - m) ** 2;
        mean[ch] = m;
        vr[ch] = q / cnt;
      }
    } else {
      mean.set(weight('mean'));
      vr.set(weight('var'));
    }
    const sc = weight('scale');
    const bi = weight('bias');
    const y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const ch = Math.floor(i / inner) % c;
      y[i] = (((x[i] as number) - (mean[ch] as number)) / Math.sqrt((vr[ch] as number) + node.eps)) * (sc[ch] as number) + (bi[ch] as number);
    }
    return y;
  },
  onnxTypes: ['BatchNormalization'],
  toOnnx(node, ctx) {
    return [
      {
        opType: 'BatchNormalization',
        inputs: [ctx.inputs[0] as string, ...PARAMS.map((p) => ctx.weight(p))],
        outputs: [node.name],
        attributes: { epsilon: { f: node.eps }, momentum: { f: 1 - node.momentum } },
      },
    ];
  },
  fromOnnx(ctx) {
    const x = ctx.act(0);
    const ch = ctx.shapeOf(x)[0] as number;
    if (ctx.int('training_mode', 0) !== 0) throw ctx.unsupported('training_mode=1 is not supported (expected an inference graph)');
    const params = PARAMS.map((p, k) => constVector(ctx, ctx.need(k + 1, p), ch, p));
    const name = ctx.name();
    const eps = cleanF32(ctx.float('epsilon', 1e-5));
    const momentum = cleanF32(1 - cleanF32(ctx.float('momentum', 0.9)));
    return {
      node: { op: 'batchnorm', name, inputs: [x], channels: ch, eps, momentum },
      weights: PARAMS.map((param, k) => ({ param, shape: [ch], data: params[k] as Float32Array })),
    };
  },
  examples: [
    { title: 'batchnorm on [4,3,5]', input: [4, 3, 5], nodes: [{ op: 'batchnorm', name: 'y', inputs: ['x'], channels: 4, eps: 1e-3, momentum: 0.1 }] },
    { title: 'batchnorm on a vector [6]', input: [6], nodes: [{ op: 'batchnorm', name: 'y', inputs: ['x'], channels: 6, eps: 1e-5, momentum: 0.1 }] },
  ],
};
