/**
 * Conv2DBackpropInput for the wasm backend, replacing wasm's naive loop: zero insertion for the
 * stride, padding, and one XNNPACK forward convolution with the spatially flipped filter whose
 * in/out channel axes are swapped.
 */
import { tf } from '../tf.js';
import { type ConvPad, convGeometry, type DimRounding, type Shape4, transposedConvPadding, zeroInsert } from './conv-geometry.js';

/** Attributes of the Conv2DBackpropInput kernel. */
interface Attrs {
  readonly inputShape: Shape4;
  readonly strides: number | [number, number];
  readonly pad: ConvPad;
  readonly dataFormat?: string;
  readonly dimRoundingMode?: DimRounding;
}

/** dx of a conv2d (NHWC), from dy [N,Ho,Wo,Co] and filter [kh,kw,Ci,Co]. */
export function conv2dBackpropInputImpl(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: Attrs): tf.Tensor4D {
  const g = convGeometry('Conv2DBackpropInput', attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, false, attrs.dataFormat);
  return tf.tidy(() => {
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    const { x, pad } = transposedConvPadding(zeroInsert(dy, g.sh, g.sw), g);
    return tf.conv2d(x, flipped, 1, pad);
  });
}

/** Kernel config (backend 'wasm'). */
export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) => conv2dBackpropInputImpl(inputs['dy'] as tf.Tensor4D, inputs['filter'] as tf.Tensor4D, attrs as unknown as Attrs),
};
