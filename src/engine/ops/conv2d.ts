/** Engine lowering of `conv2d`: tfjs conv2d / depthwiseConv2d (grouped convs split by group), NHWC. */
import type { Conv2dNode } from '../../ir/types.js';
import type { WeightInfo } from '../model.js';
import { tf } from '../tf.js';
import { invPerm, padArg, transposeArray, vectorParam } from './layout.js';
import type { EngineOp } from './types.js';

/** True for a depthwise conv (groups = in channels > 1), which runs as tfjs depthwiseConv2d. */
export function isDepthwise(n: Conv2dNode): boolean {
  return n.groups > 1 && n.groups === n.inChannels;
}

/** What the weight hook is told about a conv's weight. */
export function convWeightInfo(n: Conv2dNode): WeightInfo {
  return { layer: n.name, op: 'conv2d', layout: isDepthwise(n) ? 'depthwise' : 'hwio', outChannels: n.outChannels };
}

/** 0/1 matrix `[(kh-1)*dh+1 * (kw-1)*dw+1, kh*kw]` spreading a filter's taps onto a dilated grid. */
function dilationMatrix(kh: number, kw: number, dh: number, dw: number): Float32Array {
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const m = new Float32Array(eh * ew * kh * kw);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) m[(i * dh * ew + j * dw) * kh * kw + i * kw + j] = 1;
  return m;
}

/** A conv's filter (engine layout), spread out when dilated, with its effective kernel size. */
export function convFilter(n: Conv2dNode, w: tf.Tensor, dilation: tf.Tensor | undefined): { w: tf.Tensor; kh: number; kw: number } {
  let [kh, kw] = n.kernel;
  if (!dilation) return { w, kh, kw };
  // Dilated conv as a plain conv with a zero-spread filter (differentiable to any order).
  const eh = (kh - 1) * n.dilation[0] + 1;
  const ew = (kw - 1) * n.dilation[1] + 1;
  const rest = w.shape.slice(2);
  const spread = tf.matMul(dilation as tf.Tensor2D, w.reshape([kh * kw, -1])).reshape([eh, ew, ...rest]);
  kh = eh;
  kw = ew;
  return { w: spread, kh, kw };
}

/** Lowering of `conv2d`. */
export const conv2dEngine: EngineOp<'conv2d'> = {
  op: 'conv2d',
  layoutPreserving: false,
  params(n) {
    const [kh, kw] = n.kernel;
    const irShape = [n.outChannels, n.inChannels / n.groups, kh, kw];
    let engineShape: number[];
    let toEngine: (d: Float32Array) => Float32Array;
    let toIr: (d: Float32Array) => Float32Array;
    if (isDepthwise(n)) {
      const mult = n.outChannels / n.inChannels;
      // [O,1,kh,kw] == [C,mult,kh,kw] -> [kh,kw,C,mult]
      const mid = [n.inChannels, mult, kh, kw];
      engineShape = [kh, kw, n.inChannels, mult];
      toEngine = (d) => transposeArray(d, mid, [2, 3, 0, 1]);
      toIr = (d) => transposeArray(d, engineShape, invPerm([2, 3, 0, 1]));
    } else {
      engineShape = [kh, kw, n.inChannels / n.groups, n.outChannels];
      toEngine = (d) => transposeArray(d, irShape, [2, 3, 1, 0]);
      toIr = (d) => transposeArray(d, engineShape, invPerm([2, 3, 1, 0]));
    }
    return [{ param: 'weight', irShape, engineShape, trainable: true, toEngine, toIr }, ...(n.bias ? [vectorParam('bias', n.outChannels, true)] : [])];
  },
  constants(n) {
    const out = new Map<string, tf.Tensor>();
    if (n.dilation[0] > 1 || n.dilation[1] > 1) {
      const eh = (n.kernel[0] - 1) * n.dilation[0] + 1;
      const ew = (n.kernel[1] - 1) * n.dilation[1] + 1;
      out.set('dilation', tf.tensor2d(dilationMatrix(n.kernel[0], n.kernel[1], n.dilation[0], n.dilation[1]), [eh * ew, n.kernel[0] * n.kernel[1]]));
    }
    return out;
  },
  run(ctx) {
    const n = ctx.node;
    const x = ctx.arg(0) as tf.Tensor4D;
    const info = convWeightInfo(n);
    const { w, kh, kw } = convFilter(n, ctx.weight(`${n.name}.weight`, info), ctx.constant('dilation'));
    const [, h, wd] = x.shape as [number, number, number, number];
    const pad = padArg(n.pads, h, wd, [kh, kw], n.stride) as 'valid';
    const stride = n.stride as [number, number];
    let y: tf.Tensor;
    if (isDepthwise(n)) {
      y = tf.depthwiseConv2d(x, w as tf.Tensor4D, stride, pad);
    } else if (n.groups === 1) {
      y = tf.conv2d(x, w as tf.Tensor4D, stride, pad);
    } else {
      const xs = tf.split(x, n.groups, 3);
      const ws = tf.split(w, n.groups, 3);
      y = tf.concat(
        xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ws[i] as tf.Tensor4D, stride, pad)),
        3,
      );
    }
    if (n.bias) y = tf.add(y, ctx.bias(info));
    return y;
  },
};
