/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend (missing there): zero insertion for the
 * stride, padding, and a depthwise convolution with the spatially flipped filter; channel
 * multipliers > 1 sum the M output channels of each input channel.
 */
import { tf } from '../tf.js';
import { type ConvPad, convGeometry, type DimRounding, type Shape4, transposedConvPadding, zeroInsert } from './conv-geometry.js';

/** Attributes of the DepthwiseConv2dNativeBackpropInput kernel. */
interface Attrs {
  readonly inputShape: Shape4;
  readonly strides: number | [number, number];
  readonly pad: ConvPad;
  readonly dilations?: number | [number, number];
  readonly dimRoundingMode?: DimRounding;
}

/** dx of a depthwise conv (NHWC), from dy [N,Ho,Wo,Ci*M] and filter [kh,kw,Ci,M]. */
export function depthwiseBackpropInputImpl(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: Attrs): tf.Tensor4D {
  const g = convGeometry(
    'DepthwiseConv2dNativeBackpropInput',
    attrs.inputShape,
    filter.shape,
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
    undefined,
    attrs.dilations,
  );
  const [n, h, w, ci] = attrs.inputShape;
  const [kh, kw, , m] = filter.shape;
  return tf.tidy(() => {
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, ci * m, 1]) as tf.Tensor4D;
    const { x, pad } = transposedConvPadding(zeroInsert(dy, g.sh, g.sw), g);
    const out = tf.depthwiseConv2d(x, flipped, 1, pad); // [N, H, W, Ci*M]
    if (m === 1) return out;
    return tf.reshape(tf.sum(tf.reshape(out, [n * h * w, ci, m]), 2), [n, h, w, ci]);
  });
}

/** Kernel config (backend 'wasm'). */
export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) => depthwiseBackpropInputImpl(inputs['dy'] as tf.Tensor4D, inputs['filter'] as tf.Tensor4D, attrs as unknown as Attrs),
};
