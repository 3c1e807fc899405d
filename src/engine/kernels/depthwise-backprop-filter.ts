/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (missing there): the batch is folded
 * into the channels, dy becomes a depthwise filter dilated by the stride, one depthwise
 * convolution gives every (batch, channel) product, and a sum over the batch finishes.
 */
import { tf } from '../tf.js';
import { convGeometry, filterGradInput, type ConvPad, type DimRounding, type Shape4 } from './conv-geometry.js';

/** Attributes of the DepthwiseConv2dNativeBackpropFilter kernel. */
interface Attrs {
  readonly filterShape: Shape4;
  readonly strides: number | [number, number];
  readonly pad: ConvPad;
  readonly dilations?: number | [number, number];
  readonly dimRoundingMode?: DimRounding;
}

/** dW of a depthwise conv (NHWC), from x [N,H,W,Ci] and dy [N,Ho,Wo,Ci*M]; returns [kh,kw,Ci,M]. */
export function depthwiseBackpropFilterImpl(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Attrs): tf.Tensor4D {
  const fs = attrs.filterShape;
  const g = convGeometry(
    'DepthwiseConv2dNativeBackpropFilter',
    x.shape,
    fs,
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
    undefined,
    attrs.dilations,
  );
  const [kh, kw, ci, m] = fs;
  const n = x.shape[0];
  return tf.tidy(() => {
    const { x: xc, pad } = filterGradInput(x, g);
    const [, hc, wc] = xc.shape;
    // [N,H,W,Ci] -> [1, H, W, N*Ci]: channel index n*Ci + c
    const xs = n === 1 ? xc : (tf.reshape(tf.transpose(xc, [1, 2, 0, 3]), [1, hc, wc, n * ci]) as tf.Tensor4D);
    // [N,Ho,Wo,Ci*M] -> [Ho, Wo, N*Ci, M]
    const dyT = n === 1 ? dy : tf.transpose(dy, [1, 2, 0, 3]);
    const dyf = tf.reshape(dyT, [g.outH, g.outW, n * ci, m]) as tf.Tensor4D;
    const out = tf.depthwiseConv2d(xs, dyf, 1, pad, 'NHWC', [g.sh, g.sw]); // [1, kh, kw, N*Ci*M]
    if (n === 1) return tf.reshape(out, fs);
    return tf.reshape(tf.sum(tf.reshape(out, [kh * kw, n, ci * m]), 1), fs);
  });
}

/** Kernel config (backend 'wasm'). */
export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) =>
    depthwiseBackpropFilterImpl(inputs['x'] as tf.Tensor4D, inputs['dy'] as tf.Tensor4D, attrs as unknown as Attrs),
};
