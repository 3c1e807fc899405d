/**
 * MaxPoolGrad and MaxPoolWithArgmax for the wasm backend. tfjs-wasm's own versions start each
 * window's running max at FLT_MIN (a tiny positive number) instead of -Infinity, so in any window
 * whose maximum is <= 0 they route the gradient to the window's first element rather than to its
 * maximum (measured: wrong first-order gradients for max-pool applied to negative activations),
 * and they break ties towards the last element. These replacements follow the cpu backend
 * exactly: the first maximal element of each window wins.
 */
import { tf } from '../tf.js';
import type { DimRounding } from './conv-geometry.js';

interface PoolAttrs {
  readonly filterSize: number | [number, number];
  readonly strides: number | [number, number];
  readonly pad: 'valid' | 'same' | number;
  readonly dimRoundingMode?: DimRounding;
}

/** For each output element of a max pool over x (NHWC), the flat index in x of its first maximum (-1 if empty). */
export function maxPoolArgmax(x: Float32Array, shape: readonly number[], attrs: PoolAttrs): { info: tf.backend_util.Conv2DInfo; argmax: Int32Array } {
  const info = tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const argmax = new Int32Array(batchSize * outHeight * outWidth * c);
  const best = new Float32Array(c);
  // Channels innermost (contiguous in NHWC); windows scanned row-major so the first maximum wins
  // (strict '>'); NaN never wins, as on the cpu backend.
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    const xb = b * inHeight * inWidth * c;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inHeight, y0 + kh);
      for (let ox = 0; ox < outWidth; ox++, o += c) {
        const x0 = ox * strideWidth - left;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inWidth, x0 + kw);
        if (yStart >= yEnd || xStart >= xEnd) {
          argmax.fill(-1, o, o + c);
          continue;
        }
        const first = xb + (yStart * inWidth + xStart) * c;
        for (let ch = 0; ch < c; ch++) {
          best[ch] = x[first + ch] as number;
          argmax[o + ch] = first + ch;
        }
        for (let yy = yStart; yy < yEnd; yy++) {
          for (let xx = yy === yStart ? xStart + 1 : xStart; xx < xEnd; xx++) {
            const base = xb + (yy * inWidth + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch] as number;
              if (v > (best[ch] as number)) {
                best[ch] = v;
                argmax[o + ch] = base + ch;
              }
            }
          }
        }
      }
    }
  }
  return { info, argmax };
}

function read(backend: object, t: tf.TensorInfo): Float32Array {
  return (backend as tf.KernelBackend).readSync(t.dataId) as Float32Array;
}

/** Kernel config of MaxPoolGrad (backend 'wasm'): dy scattered to each window's first maximum. */
export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const dy = inputs['dy'] as tf.TensorInfo;
    const input = inputs['input'] as tf.TensorInfo;
    const { argmax } = maxPoolArgmax(read(backend, input), input.shape, attrs as unknown as PoolAttrs);
    const dyv = read(backend, dy);
    const dx = new Float32Array(input.shape.reduce((a, b) => a * b, 1));
    for (let o = 0; o < argmax.length; o++) {
      const at = argmax[o] as number;
      if (at >= 0) dx[at] = (dx[at] as number) + (dyv[o] as number);
    }
    return tf.tensor(dx, input.shape, 'float32');
  },
};

/** Kernel config of MaxPoolWithArgmax (backend 'wasm'): pooled values and TF-style flat indexes. */
export const maxPoolWithArgmaxConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolWithArgmax,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const x = inputs['x'] as tf.TensorInfo;
    const xv = read(backend, x);
    const withBatch = (attrs as { includeBatchInIndex?: boolean }).includeBatchInIndex === true;
    const { info, argmax } = maxPoolArgmax(xv, x.shape, attrs as unknown as PoolAttrs);
    const perImage = info.inHeight * info.inWidth * info.inChannels;
    const perOut = info.outHeight * info.outWidth * info.outChannels;
    const pooled = new Float32Array(argmax.length);
    const indexes = new Int32Array(argmax.length);
    for (let o = 0; o < argmax.length; o++) {
      const at = argmax[o] as number;
      pooled[o] = at >= 0 ? (xv[at] as number) : Number.NEGATIVE_INFINITY;
      indexes[o] = withBatch || at < 0 ? at : at - Math.floor(o / perOut) * perImage;
    }
    return [tf.tensor(pooled, info.outShape, 'float32'), tf.tensor(indexes, info.outShape, 'int32')];
  },
};
