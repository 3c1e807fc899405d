/**
 * Uniform quantizers on plain typed arrays: 1-8 bits (16 and 32 mean "not quantized"), symmetric or
 * asymmetric, per tensor or per channel, range calibration (min/max, percentile, MSE-optimal),
 * nearest or seeded stochastic rounding, 1-bit sign with a per-channel scale, and true bit packing.
 *
 * Conventions: a value x maps to q = clamp(round(x / scale) + zeroPoint, qmin, qmax) and back to
 * (q - zeroPoint) * scale. Symmetric grids are signed and restricted ([-(2^(b-1)-1), 2^(b-1)-1], zero
 * point 0, as ONNX/TensorRT do for weights); asymmetric grids are unsigned ([0, 2^b-1]) with an integer
 * zero point so that 0 is exact. 1-bit symmetric is the binary sign quantizer q in {-1, +1} with
 * scale = mean |x| of the channel (the L2-optimal scale for sign(x)).
 */
import { ConfigError, ShapeError } from '../errors.js';
import type { Rng } from '../util/rng.js';

/** Whole tensor shares one scale, or one scale per slice along `channelAxis`. */
export type Granularity = 'per-tensor' | 'per-channel';
/** Round to nearest (ties to even), or stochastically (unbiased, needs an `Rng`). */
export type RoundingMode = 'nearest' | 'stochastic';
/** How the clipping range is chosen: full min/max, a percentile, or the MSE-optimal clip. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'mse';

/** Bit widths hwnas accepts: 1..8 are quantized, 16 and 32 are float (left as is). */
export const SUPPORTED_BITS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 16, 32];

/** Options of a quantizer. */
export interface QuantizerOptions {
  /** 1..8, or 16/32 for "not quantized". */
  readonly bits: number;
  /** Symmetric signed grid (default true) or asymmetric unsigned grid with a zero point. */
  readonly symmetric?: boolean;
  /** Default 'per-tensor'. */
  readonly granularity?: Granularity;
  /** Channel axis for 'per-channel' (default 0: output channels of ONNX conv/dense weights). */
  readonly channelAxis?: number;
  /** Default 'minmax'. */
  readonly calibration?: CalibrationMethod;
  /** Upper percentile for 'percentile' calibration, in (50, 100] (default 99.99). */
  readonly percentile?: number;
  /** Default 'nearest'. */
  readonly rounding?: RoundingMode;
  /** Required for stochastic rounding. */
  readonly rng?: Rng;
}

/** Scale and zero point(s) of a quantized tensor. */
export interface QuantParams {
  readonly bits: number;
  readonly symmetric: boolean;
  /** Smallest and largest integer code. */
  readonly qmin: number;
  readonly qmax: number;
  /** One scale per channel (length 1 when per tensor). */
  readonly scale: Float32Array;
  /** One zero point per channel (all 0 when symmetric). */
  readonly zeroPoint: Int32Array;
  /** Channel axis, or undefined when per tensor. */
  readonly channelAxis: number | undefined;
  /** True for the 1-bit sign quantizer (codes -1/+1, no zero). */
  readonly binary: boolean;
}

/** A clipping range. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** True when `bits` means "keep float" (16 or 32). */
export function isFloatBits(bits: number): boolean {
  return bits >= 16;
}

/** Throws a ConfigError unless `bits` is one of {@link SUPPORTED_BITS}. */
export function validateBits(bits: number, what = 'bits'): void {
  if (!SUPPORTED_BITS.includes(bits)) {
    throw new ConfigError(`${what}=${String(bits)} is not supported: expected an integer 1..8, or 16/32 for float`);
  }
}

/** Integer code range of a grid. */
export function codeRange(bits: number, symmetric: boolean): { qmin: number; qmax: number } {
  validateBits(bits);
  if (isFloatBits(bits)) throw new ConfigError(`bits=${bits} is float: it has no integer code range`);
  if (symmetric) {
    if (bits === 1) return { qmin: -1, qmax: 1 };
    const m = 2 ** (bits - 1) - 1;
    return { qmin: -m, qmax: m };
  }
  return { qmin: 0, qmax: 2 ** bits - 1 };
}

/** Scale and zero point of one channel from its clipping range. */
export function rangeToScale(range: Range, bits: number, symmetric: boolean): { scale: number; zeroPoint: number } {
  const { qmin, qmax } = codeRange(bits, symmetric);
  if (symmetric) {
    const a = Math.max(Math.abs(range.min), Math.abs(range.max));
    return { scale: a > 0 ? a / qmax : 1, zeroPoint: 0 };
  }
  const lo = Math.min(range.min, 0);
  const hi = Math.max(range.max, 0);
  if (hi - lo <= 0) return { scale: 1, zeroPoint: qmin };
  const scale = (hi - lo) / (qmax - qmin);
  const zeroPoint = Math.min(qmax, Math.max(qmin, Math.round(qmin - lo / scale)));
  return { scale, zeroPoint };
}

/** Round to nearest, ties to even (as ONNX QuantizeLinear and tf.round do). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Value at percentile `p` (0..100) of a sorted array, linear interpolation. */
function percentileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = (p / 100) * (n - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  const a = sorted[i] as number;
  const b = sorted[Math.min(n - 1, i + 1)] as number;
  return a + f * (b - a);
}

/** At most `limit` values of `values`, taken with an even stride (deterministic subsample). */
function subsample(values: ArrayLike<number>, limit: number): Float64Array {
  const n = values.length;
  const step = n > limit ? n / limit : 1;
  const m = n > limit ? limit : n;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) out[i] = values[Math.floor(i * step)] as number;
  return out;
}

/** Mean squared error of fake-quantizing `values` with one (scale, zeroPoint). */
function quantMse(values: Float64Array, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  let err = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    const q = Math.min(qmax, Math.max(qmin, roundHalfEven(x / scale) + zeroPoint));
    const d = (q - zeroPoint) * scale - x;
    err += d * d;
  }
  return err / Math.max(1, values.length);
}

/**
 * Clipping range of a set of values (e.g. one channel, or calibration activations).
 * 'percentile' clips at the `percentile`-th and (100 - percentile)-th values; 'mse' searches 100 clip
 * fractions of the min/max range and keeps the one with the smallest fake-quantization MSE at `bits`.
 */
export function calibrateRange(
  values: ArrayLike<number>,
  method: CalibrationMethod,
  opts: { readonly bits?: number; readonly symmetric?: boolean; readonly percentile?: number } = {},
): Range {
  if (values.length === 0) return { min: 0, max: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new ConfigError(`cannot calibrate a range over non-finite values (min ${min}, max ${max})`);
  }
  switch (method) {
    case 'minmax':
      return { min, max };
    case 'percentile': {
      const p = opts.percentile ?? 99.99;
      if (!(p > 50 && p <= 100)) throw new ConfigError(`percentile=${p} must be in (50, 100]`);
      const sorted = subsample(values, 1 << 20).sort();
      return { min: percentileSorted(sorted, 100 - p), max: percentileSorted(sorted, p) };
    }
    case 'mse': {
      const bits = opts.bits ?? 8;
      const symmetric = opts.symmetric ?? true;
      if (isFloatBits(bits)) return { min, max };
      const { qmin, qmax } = codeRange(bits, symmetric);
      const sample = subsample(values, 1 << 14);
      let best: Range = { min, max };
      let bestErr = Infinity;
      for (let k = 100; k >= 1; k--) {
        const r: Range = { min: (min * k) / 100, max: (max * k) / 100 };
        const { scale, zeroPoint } = rangeToScale(r, bits, symmetric);
        const err = quantMse(sample, scale, zeroPoint, qmin, qmax);
        if (err < bestErr - 1e-15) {
          bestErr = err;
          best = r;
        }
      }
      return best;
    }
    default:
      throw new ConfigError(`unknown calibration method '${String(method)}': expected minmax, percentile or mse`);
  }
}

/** Number of elements of a shape. */
function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Channel layout helpers: count of channels and size of the block after the axis. */
function channelLayout(shape: readonly number[], axis: number | undefined): { channels: number; inner: number } {
  if (axis === undefined) return { channels: 1, inner: numel(shape) };
  if (axis < 0 || axis >= shape.length || !Number.isInteger(axis)) {
    throw new ShapeError(`channel axis ${axis} is out of range for shape [${shape.join(', ')}]`);
  }
  return { channels: shape[axis] as number, inner: numel(shape.slice(axis + 1)) };
}

/** Channel index of each flat element. */
function channelOf(i: number, channels: number, inner: number): number {
  return channels === 1 ? 0 : Math.floor(i / inner) % channels;
}

/** The values of each channel, gathered. */
function gatherChannels(data: ArrayLike<number>, channels: number, inner: number): Float64Array[] {
  const counts = new Array<number>(channels).fill(0);
  const n = data.length;
  const per = n / channels;
  const out = Array.from({ length: channels }, () => new Float64Array(per));
  for (let i = 0; i < n; i++) {
    const c = channelOf(i, channels, inner);
    (out[c] as Float64Array)[counts[c] as number] = data[i] as number;
    counts[c] = (counts[c] as number) + 1;
  }
  return out;
}

/**
 * Scale and zero point(s) for a tensor: calibrates each channel (or the whole tensor) and builds the grid.
 * @example computeQuantParams(w, [16, 3, 3, 3], { bits: 4, granularity: 'per-channel' })
 */
export function computeQuantParams(data: ArrayLike<number>, shape: readonly number[], opts: QuantizerOptions): QuantParams {
  validateBits(opts.bits);
  if (numel(shape) !== data.length) {
    throw new ShapeError(`data has ${data.length} values but shape [${shape.join(', ')}] needs ${numel(shape)}`);
  }
  const symmetric = opts.symmetric ?? true;
  const axis = (opts.granularity ?? 'per-tensor') === 'per-channel' ? (opts.channelAxis ?? 0) : undefined;
  const { channels, inner } = channelLayout(shape, axis);
  const scale = new Float32Array(channels);
  const zeroPoint = new Int32Array(channels);
  if (isFloatBits(opts.bits)) {
    scale.fill(1);
    return { bits: opts.bits, symmetric, qmin: -Infinity, qmax: Infinity, scale, zeroPoint, channelAxis: axis, binary: false };
  }
  const { qmin, qmax } = codeRange(opts.bits, symmetric);
  const binary = opts.bits === 1 && symmetric;
  const groups = gatherChannels(data, channels, inner);
  groups.forEach((vals, c) => {
    if (binary) {
      let s = 0;
      for (let i = 0; i < vals.length; i++) s += Math.abs(vals[i] as number);
      scale[c] = vals.length > 0 && s > 0 ? s / vals.length : 1;
      return;
    }
    const range = calibrateRange(vals, opts.calibration ?? 'minmax', {
      bits: opts.bits,
      symmetric,
      ...(opts.percentile !== undefined ? { percentile: opts.percentile } : {}),
    });
    const r = rangeToScale(range, opts.bits, symmetric);
    scale[c] = r.scale;
    zeroPoint[c] = r.zeroPoint;
  });
  return { bits: opts.bits, symmetric, qmin, qmax, scale, zeroPoint, channelAxis: axis, binary };
}

/** Integer codes of a tensor under `params` (for float bits, throws). */
export function quantize(data: ArrayLike<number>, shape: readonly number[], params: QuantParams, rounding: RoundingMode = 'nearest', rng?: Rng): Int32Array {
  if (isFloatBits(params.bits)) throw new ConfigError(`bits=${params.bits} is float: nothing to quantize`);
  if (rounding === 'stochastic' && !rng) throw new ConfigError("rounding='stochastic' needs an rng");
  const { channels, inner } = channelLayout(shape, params.channelAxis);
  if (channels !== params.scale.length) {
    throw new ShapeError(`params have ${params.scale.length} channels but shape [${shape.join(', ')}] has ${channels}`);
  }
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = channelOf(i, channels, inner);
    const s = params.scale[c] as number;
    const x = (data[i] as number) / s;
    if (params.binary) {
      // sign; stochastic: P(+1) = (clip(x,-1,1)+1)/2 (unbiased for |x| <= 1)
      if (rounding === 'stochastic') out[i] = (rng as Rng).next() < (Math.max(-1, Math.min(1, x)) + 1) / 2 ? 1 : -1;
      else out[i] = x >= 0 ? 1 : -1;
      continue;
    }
    let r: number;
    if (rounding === 'stochastic') {
      const f = Math.floor(x);
      r = f + ((rng as Rng).next() < x - f ? 1 : 0);
    } else r = roundHalfEven(x);
    const q = r + (params.zeroPoint[c] as number);
    out[i] = q < params.qmin ? params.qmin : q > params.qmax ? params.qmax : q;
  }
  return out;
}

/** Float values of integer codes under `params`. */
export function dequantize(q: ArrayLike<number>, shape: readonly number[], params: QuantParams): Float32Array {
  const { channels, inner } = channelLayout(shape, params.channelAxis);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = channelOf(i, channels, inner);
    out[i] = ((q[i] as number) - (params.zeroPoint[c] as number)) * (params.scale[c] as number);
  }
  return out;
}

/**
 * Quantize-dequantize a tensor (what the forward pass of fake quantization computes). Float bits
 * (16/32) return a copy unchanged.
 */
export function fakeQuantize(data: ArrayLike<number>, shape: readonly number[], opts: QuantizerOptions): Float32Array {
  if (isFloatBits(opts.bits)) {
    validateBits(opts.bits);
    return Float32Array.from(data);
  }
  const params = computeQuantParams(data, shape, opts);
  return dequantize(quantize(data, shape, params, opts.rounding ?? 'nearest', opts.rng), shape, params);
}

/** Squared L2 norm of Q(w) - w: the quantization perturbation HAWQ weighs by the Hessian trace. */
export function perturbationNorm2(data: ArrayLike<number>, shape: readonly number[], opts: QuantizerOptions): number {
  const q = fakeQuantize(data, shape, opts);
  let s = 0;
  for (let i = 0; i < q.length; i++) {
    const d = (q[i] as number) - (data[i] as number);
    s += d * d;
  }
  return s;
}

/** Per-channel squared perturbation norms (channel axis `channelAxis`, default 0). */
export function perturbationNorm2PerChannel(data: ArrayLike<number>, shape: readonly number[], opts: QuantizerOptions): Float64Array {
  const axis = opts.channelAxis ?? 0;
  const q = fakeQuantize(data, shape, opts);
  const { channels, inner } = channelLayout(shape, axis);
  const out = new Float64Array(channels);
  for (let i = 0; i < q.length; i++) {
    const d = (q[i] as number) - (data[i] as number);
    const c = channelOf(i, channels, inner);
    out[c] = (out[c] as number) + d * d;
  }
  return out;
}

/**
 * Pack integer codes at `bits` bits each, LSB first, storing `q - qmin` (so codes are unsigned).
 * Binary codes (-1/+1) are stored as one bit (0 = -1, 1 = +1).
 */
export function packCodes(q: ArrayLike<number>, params: Pick<QuantParams, 'bits' | 'qmin' | 'binary'>): Uint8Array {
  const bits = params.bits;
  const out = new Uint8Array(Math.ceil((q.length * bits) / 8));
  let bitPos = 0;
  for (let i = 0; i < q.length; i++) {
    const v = params.binary ? ((q[i] as number) > 0 ? 1 : 0) : (q[i] as number) - params.qmin;
    for (let b = 0; b < bits; b++) {
      if ((v >>> b) & 1) out[bitPos >>> 3] = (out[bitPos >>> 3] as number) | (1 << (bitPos & 7));
      bitPos++;
    }
  }
  return out;
}

/** Inverse of {@link packCodes}: `n` integer codes. */
export function unpackCodes(bytes: Uint8Array, n: number, params: Pick<QuantParams, 'bits' | 'qmin' | 'binary'>): Int32Array {
  const bits = params.bits;
  if (bytes.length * 8 < n * bits) throw new ShapeError(`${bytes.length} bytes cannot hold ${n} codes of ${bits} bits`);
  const out = new Int32Array(n);
  let bitPos = 0;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++) {
      if (((bytes[bitPos >>> 3] as number) >>> (bitPos & 7)) & 1) v |= 1 << b;
      bitPos++;
    }
    out[i] = params.binary ? (v ? 1 : -1) : v + params.qmin;
  }
  return out;
}

/** A tensor stored packed: codes plus the float32 scales and (asymmetric only) int32 zero points. */
export interface PackedTensor {
  readonly shape: readonly number[];
  readonly params: QuantParams;
  readonly codes: Uint8Array;
  /** Total bytes: packed codes + 4 per scale + 4 per zero point if asymmetric (float tensors: 4 per value, or 2 at 16 bits). */
  readonly bytes: number;
}

/** Bytes of a tensor packed at `bits` with `channels` scales (the analytic twin of {@link packTensor}). */
export function packedTensorBytes(elems: number, bits: number, channels = 1, symmetric = true): number {
  validateBits(bits);
  if (isFloatBits(bits)) return (elems * bits) / 8;
  return Math.ceil((elems * bits) / 8) + 4 * channels + (symmetric ? 0 : 4 * channels);
}

/** Quantize and pack a tensor; `bytes` is its true stored size. */
export function packTensor(data: ArrayLike<number>, shape: readonly number[], opts: QuantizerOptions): PackedTensor {
  const params = computeQuantParams(data, shape, opts);
  if (isFloatBits(opts.bits)) {
    return { shape, params, codes: new Uint8Array(0), bytes: (data.length * opts.bits) / 8 };
  }
  const codes = packCodes(quantize(data, shape, params, opts.rounding ?? 'nearest', opts.rng), params);
  const ch = params.scale.length;
  return { shape, params, codes, bytes: codes.length + 4 * ch + (params.symmetric ? 0 : 4 * ch) };
}

/** Dequantized float values of a packed tensor. */
export function unpackTensor(t: PackedTensor): Float32Array {
  const n = numel(t.shape);
  return dequantize(unpackCodes(t.codes, n, t.params), t.shape, t.params);
}
