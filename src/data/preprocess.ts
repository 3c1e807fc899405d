/**
 * Turns stored images (8-bit or float, NCHW or NHWC) into the float NCHW samples of a split:
 * gather by index, scale, pad/crop or resample to the output size, replicate grey to more
 * channels, standardise. One pass, no intermediate copies.
 */
import { DatasetError } from '../errors.js';
import type { Labels, Preprocessing, SampleShape, Split } from './types.js';

/** Numeric arrays that can hold stored pixel values. */
export type PixelData = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** Stored images: `n` samples of `c x h x w` in the given memory layout. */
export interface RawImages {
  readonly data: PixelData;
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly layout: 'nchw' | 'nhwc';
}

/** The output geometry and value mapping of {@link gatherImages}. */
export interface PixelTransform {
  readonly outC: number;
  readonly outH: number;
  readonly outW: number;
  readonly resize: 'pad' | 'bilinear';
  /** value = (stored * scale - mean) / std */
  readonly scale: number;
  readonly mean: number;
  readonly std: number;
}

/** Options that decide the output geometry and normalisation (subset of the loader options). */
export interface GeometryOptions {
  readonly size?: number;
  /** Output width when it differs from `size` (see LoadDatasetOptions.width). */
  readonly width?: number;
  readonly resize?: 'pad' | 'bilinear';
  readonly channels?: number;
}

/**
 * Stored images of more channels than asked for (e.g. CIFAR-10's RGB for a 1-channel model): only 1-channel images are
 * replicated, and only image folders are turned grey (when decoded). Carries both shapes, so a command can say which
 * model or space expects what and what to use instead.
 */
export class ChannelMismatchError extends DatasetError {
  constructor(
    /** The stored per-sample shape `[C, H, W]`. */
    readonly stored: SampleShape,
    /** The channels asked for. */
    readonly channels: number,
  ) {
    super(
      `cannot turn ${stored[0]}-channel images into ${channels} channel${channels === 1 ? '' : 's'}: only 1-channel images can be replicated (image folders, imagefolder:, are decoded grey or RGB as asked; other data sets keep their channels)`,
    );
  }
}

/** Checks the geometry options against stored images and returns the output shape. */
export function outputShape(src: { c: number; h: number; w: number }, opts: GeometryOptions): SampleShape {
  const size = opts.size;
  for (const [what, v] of [
    ['size', size],
    ['width', opts.width],
  ] as const)
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 4096))
      throw new DatasetError(`output ${what} ${v} is invalid: expected an integer in [1, 4096]`);
  const channels = opts.channels ?? src.c;
  if (!Number.isInteger(channels) || channels < 1) throw new DatasetError(`channels ${channels} is invalid: expected a positive integer`);
  if (channels !== src.c && src.c !== 1) throw new ChannelMismatchError([src.c, src.h, src.w], channels);
  return [channels, size ?? src.h, size === undefined ? src.w : (opts.width ?? size)];
}

/** The {@link Preprocessing} record matching a transform. */
export function describeTransform(src: { h: number; w: number }, t: PixelTransform): Preprocessing {
  const resized = t.outH !== src.h || t.outW !== src.w;
  return {
    scale: t.scale,
    resize: resized ? t.resize : 'none',
    mean: t.mean,
    std: t.std,
    background: (0 - t.mean) / t.std,
  };
}

/** Bilinear sampling table: four source indices (within one plane) and weights per output pixel. */
interface Sampler {
  readonly idx4: Int32Array;
  readonly w4: Float32Array;
}

function makeBilinear(h: number, w: number, oh: number, ow: number): Sampler {
  // Bilinear with half-pixel centres (PyTorch align_corners=False, TF half_pixel_centers=True).
  const idx4 = new Int32Array(oh * ow * 4);
  const w4 = new Float32Array(oh * ow * 4);
  const coord = (o: number, scale: number, len: number): [number, number, number] => {
    const s = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), len - 1);
    const lo = Math.floor(s);
    const hi = Math.min(lo + 1, len - 1);
    return [lo, hi, s - lo];
  };
  for (let i = 0; i < oh; i++) {
    const [y0, y1, fy] = coord(i, h / oh, h);
    for (let j = 0; j < ow; j++) {
      const [x0, x1, fx] = coord(j, w / ow, w);
      const k = (i * ow + j) * 4;
      idx4[k] = y0 * w + x0;
      idx4[k + 1] = y0 * w + x1;
      idx4[k + 2] = y1 * w + x0;
      idx4[k + 3] = y1 * w + x1;
      w4[k] = (1 - fy) * (1 - fx);
      w4[k + 1] = (1 - fy) * fx;
      w4[k + 2] = fy * (1 - fx);
      w4[k + 3] = fy * fx;
    }
  }
  return { idx4, w4 };
}

/**
 * Gathers the samples `indices` of `src` into a new float NCHW array of shape
 * `[indices.length, outC, outH, outW]`, applying the transform.
 */
export function gatherImages(src: RawImages, indices: ArrayLike<number>, t: PixelTransform): Float32Array {
  const { c, h, w, layout, data } = src;
  const { outC, outH, outW } = t;
  if (outC !== c && c !== 1) throw new ChannelMismatchError([c, h, w], outC);
  if (!(t.std > 0)) throw new DatasetError(`standard deviation ${t.std} is invalid: expected a positive number`);
  const plane = h * w;
  const oplane = outH * outW;
  const sampleOut = outC * oplane;
  const out = new Float32Array(indices.length * sampleOut);
  const bilinear = t.resize === 'bilinear' && (outH !== h || outW !== w) ? makeBilinear(h, w, outH, outW) : undefined;
  const a = t.scale / t.std;
  const b = 0 - t.mean / t.std; // (0 - 0 is +0, not -0)
  const bg = b; // stored value 0
  const pstride = layout === 'nchw' ? 1 : c;
  const lut = data instanceof Uint8Array ? Float32Array.from({ length: 256 }, (_, v) => v * a + b) : undefined;
  const oy = Math.floor((outH - h) / 2);
  const ox = Math.floor((outW - w) / 2);
  const j0 = Math.max(0, ox); // output columns [j0, j1) read stored columns j - ox
  const j1 = Math.min(outW, w + ox);
  for (let s = 0; s < indices.length; s++) {
    const si = indices[s] as number;
    if (!(si >= 0 && si < src.n)) throw new DatasetError(`sample index ${si} is outside [0, ${src.n})`);
    const srcChannels = outC === c ? c : 1;
    for (let ch = 0; ch < srcChannels; ch++) {
      const base = layout === 'nchw' ? (si * c + ch) * plane : si * plane * c + ch;
      const o = s * sampleOut + ch * oplane;
      if (bilinear !== undefined) {
        const { idx4, w4 } = bilinear;
        for (let k = 0; k < oplane; k++) {
          const k4 = k * 4;
          const v =
            (data[base + (idx4[k4] as number) * pstride] as number) * (w4[k4] as number) +
            (data[base + (idx4[k4 + 1] as number) * pstride] as number) * (w4[k4 + 1] as number) +
            (data[base + (idx4[k4 + 2] as number) * pstride] as number) * (w4[k4 + 2] as number) +
            (data[base + (idx4[k4 + 3] as number) * pstride] as number) * (w4[k4 + 3] as number);
          out[o + k] = v * a + b;
        }
      } else {
        // Zero padding / centre crop, row by row: output row i reads stored row i - oy.
        for (let i = 0; i < outH; i++) {
          const y = i - oy;
          const row = o + i * outW;
          if (y < 0 || y >= h) {
            out.fill(bg, row, row + outW);
            continue;
          }
          if (j0 > 0) out.fill(bg, row, row + j0);
          if (j1 < outW) out.fill(bg, row + j1, row + outW);
          const srow = base + (y * w - ox) * pstride;
          if (lut !== undefined && pstride === 1) {
            const d = data as Uint8Array;
            for (let j = j0; j < j1; j++) out[row + j] = lut[d[srow + j] as number] as number;
          } else {
            for (let j = j0; j < j1; j++) out[row + j] = (data[srow + j * pstride] as number) * a + b;
          }
        }
      }
    }
    if (srcChannels === 1 && outC > 1) {
      const o = s * sampleOut;
      for (let ch = 1; ch < outC; ch++) out.copyWithin(o + ch * oplane, o, o + oplane);
    }
  }
  return out;
}

/** Mean and standard deviation of `stored * scale` over the samples `indices` (all channels pooled). */
export function pixelStats(src: RawImages, indices: ArrayLike<number>, scale: number): { mean: number; std: number } {
  const per = src.c * src.h * src.w;
  let sum = 0;
  let sq = 0;
  for (let s = 0; s < indices.length; s++) {
    const base = (indices[s] as number) * per;
    let ls = 0;
    let lq = 0;
    for (let k = 0; k < per; k++) {
      const v = (src.data[base + k] as number) * scale;
      ls += v;
      lq += v * v;
    }
    sum += ls;
    sq += lq;
  }
  const count = indices.length * per;
  if (count === 0) return { mean: 0, std: 1 };
  const mean = sum / count;
  const std = Math.sqrt(Math.max(sq / count - mean * mean, 0));
  return { mean, std: std > 0 ? std : 1 };
}

/** Gathers labels by index into the same array type. */
export function gatherLabels(y: Labels, indices: ArrayLike<number>): Labels {
  const out = y instanceof Uint8Array ? new Uint8Array(indices.length) : new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = y[indices[i] as number] as number;
  return out;
}

/** Builds a split from stored images and labels. */
export function makeSplit(src: RawImages, y: Labels, indices: ArrayLike<number>, t: PixelTransform): Split {
  return { x: gatherImages(src, indices, t), y: gatherLabels(y, indices), n: indices.length };
}
