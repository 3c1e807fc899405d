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
import { tensorIo } from './tensor-memory.js';

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

/**
 * MaxPoolGrad of a non-overlapping 2x2 stride-2 pool without padding (every window whole), written
 * straight into `dx`: each window's four entries get dy at its first maximum (row-major, strict
 * '>', as the cpu backend) and 0 elsewhere. Trailing odd rows/columns (outside every window) get 0.
 */
export function maxPoolGrad2x2(x: Float32Array, dy: Float32Array, dx: Float32Array, shape: readonly number[]): void {
  const [batch, h, w, c] = shape as [number, number, number, number];
  const oh = Math.floor(h / 2);
  const ow = Math.floor(w / 2);
  const row = w * c;
  if (oh * 2 !== h || ow * 2 !== w) dx.fill(0);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      let p = b * h * row + 2 * oy * row; // top-left of the first window of this output row
      for (let ox = 0; ox < ow; ox++, p += 2 * c) {
        const q = p + c; // top-right
        const r = p + row; // bottom-left
        const t = r + c; // bottom-right
        for (let ch = 0; ch < c; ch++, o++) {
          const v0 = x[p + ch] as number;
          const v1 = x[q + ch] as number;
          const v2 = x[r + ch] as number;
          const v3 = x[t + ch] as number;
          let best = v0;
          let at = 0;
          if (v1 > best) {
            best = v1;
            at = 1;
          }
          if (v2 > best) {
            best = v2;
            at = 2;
          }
          if (v3 > best) at = 3;
          const g = dy[o] as number;
          dx[p + ch] = at === 0 ? g : 0;
          dx[q + ch] = at === 1 ? g : 0;
          dx[r + ch] = at === 2 ? g : 0;
          dx[t + ch] = at === 3 ? g : 0;
        }
      }
    }
  }
}

/** True when a pool's windows are exactly the non-overlapping, unpadded 2x2 stride-2 tiles. */
function isTiled2x2(info: tf.backend_util.Conv2DInfo): boolean {
  const p = info.padInfo;
  return (
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    p.top === 0 &&
    p.left === 0 &&
    info.outHeight === Math.floor(info.inHeight / 2) &&
    info.outWidth === Math.floor(info.inWidth / 2)
  );
}

/** Kernel config of MaxPoolGrad (backend 'wasm'): dy scattered to each window's first maximum. */
export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const dy = inputs['dy'] as tf.TensorInfo;
    const input = inputs['input'] as tf.TensorInfo;
    const a = attrs as unknown as PoolAttrs;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    if (isTiled2x2(info) && input.dtype === 'float32' && dy.dtype === 'float32') {
      const { ins, outs, infos } = tensorIo(backend, [input, dy], [input.shape]);
      maxPoolGrad2x2(ins[0] as Float32Array, ins[1] as Float32Array, outs[0] as Float32Array, input.shape);
      return infos[0] as tf.TensorInfo;
    }
    const { argmax } = maxPoolArgmax(read(backend, input), input.shape, a);
    const dyv = read(backend, dy);
    const dx = new Float32Array(input.shape.reduce((p, q) => p * q, 1));
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
