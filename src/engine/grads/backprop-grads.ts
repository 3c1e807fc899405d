/**
 * Gradients of the backprop kernels themselves (conv/depthwise filter and input gradients,
 * max/avg pool gradients), so that double backprop (exact Hessian-vector products) works
 * through conv, depthwise and pooling layers. Each backprop kernel is linear in dy (and bilinear
 * in dy and the other tensor for convs), so its gradient is another conv or pool.
 */
import { tf } from '../tf.js';
import { runKernel, savedAt, single } from './run-kernel.js';

type Attrs = tf.NamedAttrMap;

function convAttrs(a: Attrs): Record<string, unknown> {
  return { strides: a['strides'], pad: a['pad'], dataFormat: a['dataFormat'] ?? 'NHWC', dimRoundingMode: a['dimRoundingMode'], dilations: 1 };
}

function dwAttrs(a: Attrs): Record<string, unknown> {
  return { strides: a['strides'], pad: a['pad'], dilations: a['dilations'] ?? 1, dimRoundingMode: a['dimRoundingMode'] };
}

/** d/d(x, dy) of Conv2DBackpropFilter(x, dy): input gradient of dy by ddW, and conv of x with ddW. */
export const conv2dBackpropFilterGrad: tf.GradConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const g = single(ddw);
    const x = savedAt(saved, 0, tf.Conv2DBackpropFilter);
    const dy = savedAt(saved, 1, tf.Conv2DBackpropFilter);
    const a = convAttrs(attrs);
    return {
      x: () => runKernel(tf.Conv2DBackpropInput, { dy, filter: g }, { ...a, inputShape: x.shape }),
      dy: () => runKernel(tf.Conv2D, { x, filter: g }, a),
    };
  },
};

/** d/d(dy, filter) of DepthwiseConv2dNativeBackpropInput(dy, filter). */
export const depthwiseBackpropInputGrad: tf.GradConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const g = single(ddx);
    const dy = savedAt(saved, 0, tf.DepthwiseConv2dNativeBackpropInput);
    const filter = savedAt(saved, 1, tf.DepthwiseConv2dNativeBackpropInput);
    const a = dwAttrs(attrs);
    return {
      dy: () => runKernel(tf.DepthwiseConv2dNative, { x: g, filter }, a),
      filter: () => runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: g, dy }, { ...a, filterShape: filter.shape }),
    };
  },
};

/** d/d(x, dy) of DepthwiseConv2dNativeBackpropFilter(x, dy). */
export const depthwiseBackpropFilterGrad: tf.GradConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const g = single(ddw);
    const x = savedAt(saved, 0, tf.DepthwiseConv2dNativeBackpropFilter);
    const dy = savedAt(saved, 1, tf.DepthwiseConv2dNativeBackpropFilter);
    const a = dwAttrs(attrs);
    return {
      x: () => runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: g }, { ...a, inputShape: x.shape }),
      dy: () => runKernel(tf.DepthwiseConv2dNative, { x, filter: g }, a),
    };
  },
};

/**
 * MaxPoolGrad(dy, input, output) routes dy to each window's argmax: its derivative in dy gathers
 * the upstream gradient at the argmax positions; it is piecewise constant in input and output.
 */
export const maxPoolGradGrad: tf.GradConfig = {
  kernelName: tf.MaxPoolGrad,
  inputsToSave: ['dy', 'input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const g = single(ddx);
    const dy = savedAt(saved, 0, tf.MaxPoolGrad);
    const input = savedAt(saved, 1, tf.MaxPoolGrad);
    const output = savedAt(saved, 2, tf.MaxPoolGrad);
    return {
      dy: () => {
        const engine = tf.engine() as unknown as {
          runKernel(n: string, i: Record<string, tf.Tensor>, a: object): tf.Tensor[];
        };
        const [, indexes] = engine.runKernel(
          tf.MaxPoolWithArgmax,
          { x: input },
          {
            filterSize: attrs['filterSize'],
            strides: attrs['strides'],
            pad: attrs['pad'],
            includeBatchInIndex: true,
          },
        );
        if (indexes === undefined) throw new Error('internal: MaxPoolWithArgmax returned no indexes');
        return tf.reshape(tf.gather(tf.reshape(g, [-1]), tf.cast(tf.reshape(indexes, [-1]), 'int32')), dy.shape);
      },
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};

/**
 * AvgPoolGrad(dy, input) spreads dy / (kh*kw) over each window (tfjs divides by the full window
 * even at padded borders): its adjoint is a 'valid' average pool of the zero-padded gradient.
 */
export const avgPoolGradGrad: tf.GradConfig = {
  kernelName: tf.AvgPoolGrad,
  inputsToSave: ['input'],
  gradFunc: (ddx, saved, attrs) => {
    const g = single(ddx) as tf.Tensor4D;
    const input = savedAt(saved, 0, tf.AvgPoolGrad);
    const filterSize = attrs['filterSize'] as number | [number, number];
    const strides = attrs['strides'] as number | [number, number];
    const pad = attrs['pad'] as 'valid' | 'same' | number;
    const rounding = attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, rounding);
    const p = info.padInfo;
    return {
      dy: () => {
        const padded =
          p.top || p.bottom || p.left || p.right
            ? tf.pad(g, [
                [0, 0],
                [p.top, p.bottom],
                [p.left, p.right],
                [0, 0],
              ])
            : g;
        const out = tf.avgPool(padded, [info.filterHeight, info.filterWidth], [info.strideHeight, info.strideWidth], 'valid');
        return tf.slice(out, [0, 0, 0, 0], [info.batchSize, info.outHeight, info.outWidth, info.outChannels]);
      },
      input: () => tf.zerosLike(input),
    };
  },
};
