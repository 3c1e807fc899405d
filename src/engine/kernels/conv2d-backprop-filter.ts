/**
 * Conv2DBackpropFilter for the wasm backend (missing there): a forward convolution of the input
 * with batch and channel axes swapped, using dy as the filter dilated by the stride; a 1x1
 * stride-1 unpadded case is a single matrix product.
 */
import { tf } from '../tf.js';
import { type ConvPad, convGeometry, type DimRounding, filterGradInput, type Shape4 } from './conv-geometry.js';

/** Attributes of the Conv2DBackpropFilter kernel. */
interface Attrs {
  readonly filterShape: Shape4;
  readonly strides: number | [number, number];
  readonly pad: ConvPad;
  readonly dataFormat?: string;
  readonly dimRoundingMode?: DimRounding;
}

/** dW of a conv2d (NHWC), from x [N,H,W,Ci] and dy [N,Ho,Wo,Co]; returns [kh,kw,Ci,Co]. */
export function conv2dBackpropFilterImpl(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Attrs): tf.Tensor4D {
  const fs = attrs.filterShape;
  const g = convGeometry('Conv2DBackpropFilter', x.shape, fs, attrs.strides, attrs.pad, attrs.dimRoundingMode, false, attrs.dataFormat);
  const [n, h, w, ci] = x.shape;
  const co = fs[3];
  return tf.tidy(() => {
    if (g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.top === 0 && g.left === 0 && g.outH === h && g.outW === w) {
      const xt = tf.transpose(tf.reshape(x, [n * h * w, ci]));
      return tf.reshape(tf.matMul(xt, tf.reshape(dy, [n * h * w, co])), fs);
    }
    const { x: xc, pad } = filterGradInput(x, g);
    const xs = tf.transpose(xc, [3, 1, 2, 0]); // [Ci, H, W, N]
    const dyf = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    const out = tf.conv2d(xs, dyf, 1, pad, 'NHWC', [g.sh, g.sw]); // [Ci, kh, kw, Co]
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/** Kernel config (backend 'wasm'). */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) => conv2dBackpropFilterImpl(inputs['x'] as tf.Tensor4D, inputs['dy'] as tf.Tensor4D, attrs as unknown as Attrs),
};
