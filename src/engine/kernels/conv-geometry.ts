/**
 * Shared geometry of the wasm backprop kernels: conv info, zero insertion for strides, and the
 * explicit paddings of the equivalent forward convolutions (NHWC only, dilation 1).
 */
import { UnsupportedOpError } from '../../errors.js';
import { tf } from '../tf.js';

/** Padding attribute of tfjs conv kernels. */
export type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
/** Rounding attribute of tfjs conv kernels. */
export type DimRounding = 'floor' | 'round' | 'ceil' | undefined;
/** Four-element shape. */
export type Shape4 = [number, number, number, number];

/** Geometry of one forward convolution, as the backprop kernels need it. */
export interface ConvGeometry {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly top: number;
  readonly left: number;
}

/** Checks the attributes a kernel supports and computes the forward convolution's geometry. */
export function convGeometry(
  kernel: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | readonly number[],
  pad: ConvPad,
  dimRoundingMode: DimRounding,
  depthwise: boolean,
  dataFormat: string | undefined,
  dilations?: number | readonly number[] | null,
): ConvGeometry {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new UnsupportedOpError(kernel, 'wasm', `dataFormat '${dataFormat}' is not supported: expected 'NHWC'`);
  }
  const dil = dilations == null ? [1, 1] : typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (dil.some((d) => d !== 1)) {
    throw new UnsupportedOpError(kernel, 'wasm', `dilations [${dil.join(', ')}] are not supported: expected 1`);
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new UnsupportedOpError(kernel, 'wasm', `input ${JSON.stringify(xShape)} and filter ${JSON.stringify(filterShape)} must be rank 4`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    strides as number | [number, number],
    1,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    outH: info.outHeight,
    outW: info.outWidth,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * Inserts `sh-1` zero rows and `sw-1` zero columns after every entry of `dy` (NHWC); the
 * result is [N, outH*sh, outW*sw, C] (trailing zeros included). Uses rank-4 pads only.
 */
export function zeroInsert(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, h, w, c] = dy.shape;
  let t: tf.Tensor4D = dy;
  if (sw > 1) {
    t = tf.pad(tf.reshape(t, [n * h, w, 1, c]), [
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
  }
  if (sh > 1) {
    t = tf.pad(tf.reshape(t, [n, h, 1, w * sw * c]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]);
  }
  return sh > 1 || sw > 1 ? tf.reshape(t, [n, h * sh, w * sw, c]) : t;
}

/**
 * Pads/crops a zero-inserted gradient so that a stride-1 'valid' correlation with the flipped
 * filter gives the input gradient: returns the tensor (cropped where a pad would be negative)
 * and the non-negative explicit padding to pass to the forward convolution.
 */
export function transposedConvPadding(dyd: tf.Tensor4D, g: ConvGeometry): { readonly x: tf.Tensor4D; readonly pad: tf.backend_util.ExplicitPadding } {
  let padTop = g.kh - 1 - g.top;
  let padBottom = g.inH + g.top - g.outH * g.sh;
  let padLeft = g.kw - 1 - g.left;
  let padRight = g.inW + g.left - g.outW * g.sw;
  let x = dyd;
  if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
    const [n, h, w, c] = dyd.shape;
    const r0 = Math.max(0, -padTop);
    const c0 = Math.max(0, -padLeft);
    const rows = h - r0 - Math.max(0, -padBottom);
    const cols = w - c0 - Math.max(0, -padRight);
    x = tf.slice(dyd, [0, r0, c0, 0], [n, rows, cols, c]);
    padTop = Math.max(0, padTop);
    padBottom = Math.max(0, padBottom);
    padLeft = Math.max(0, padLeft);
    padRight = Math.max(0, padRight);
  }
  return {
    x,
    pad: [
      [0, 0],
      [padTop, padBottom],
      [padLeft, padRight],
      [0, 0],
    ],
  };
}

/**
 * For filter gradients: crops `x` (NHWC) to the rows/columns the forward convolution reads and
 * returns the explicit padding that makes a stride-1 convolution dilated by the stride produce
 * exactly kh x kw outputs.
 */
export function filterGradInput(x: tf.Tensor4D, g: ConvGeometry): { readonly x: tf.Tensor4D; readonly pad: tf.backend_util.ExplicitPadding } {
  const needH = g.kh + (g.outH - 1) * g.sh; // padded rows read
  const needW = g.kw + (g.outW - 1) * g.sw;
  let bottom = needH - g.inH - g.top;
  let right = needW - g.inW - g.left;
  let cropped = x;
  if (bottom < 0 || right < 0) {
    const [n, h, w, c] = x.shape;
    cropped = tf.slice(x, [0, 0, 0, 0], [n, h + Math.min(0, bottom), w + Math.min(0, right), c]);
    bottom = Math.max(0, bottom);
    right = Math.max(0, right);
  }
  return {
    x: cropped,
    pad: [
      [0, 0],
      [g.top, bottom],
      [g.left, right],
      [0, 0],
    ],
  };
}
