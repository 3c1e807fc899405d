/**
 * Statistics of one conv/dense layer's input, as the layer sees it (im2col patches in the IR weight's
 * order: input channel of the group, kernel row, kernel column), for the post-training steps that
 * fit a layer's quantized weights to its inputs (bias correction, learned rounding):
 * the mean patch of the float network's input x and of the quantized network's input x^ (per group),
 * and optionally E[x^ x^^T] and E[x x^^T] (per group, k x k) on the same patches.
 * Patches are sampled per image at up to `positions` output positions (stratified, seeded), so the
 * cost per layer is one forward pass of each network over the calibration images.
 */
import type { ActivationInfo, EngineModel, ForwardHooks } from '../engine/model.js';
import { ConfigError } from '../errors.js';
import type { Node } from '../ir/types.js';
import { Rng } from '../util/rng.js';

type Layer = Extract<Node, { op: 'conv2d' | 'dense' }>;

/** Input statistics of one layer (arrays per group, concatenated). */
export interface LayerInputStats {
  readonly groups: number;
  /** Patch length per group. */
  readonly k: number;
  /** Patches accumulated. */
  readonly count: number;
  /** E[x] of the float network, `[groups * k]`. */
  readonly meanFloat: Float64Array;
  /** E[x^] of the quantized network, `[groups * k]`. */
  readonly meanQuant: Float64Array;
  /** E[x^ x^^T], `[groups * k * k]` (when asked). */
  readonly gramQuant?: Float64Array;
  /** E[x x^^T] (row: float index, column: quantized index), `[groups * k * k]` (when asked). */
  readonly cross?: Float64Array;
}

/** Options of {@link layerInputStats}. */
export interface LayerStatsOptions {
  readonly batchSize?: number;
  /** Output positions sampled per image (default 64). */
  readonly positions?: number;
  /** Also accumulate the second moments (default false). */
  readonly secondOrder?: boolean;
  readonly seed?: number;
}

/** The captured value of one node per sample in IR (CHW) order. */
interface Captured {
  data: Float32Array;
  per: number;
}

/** Reads node `node`'s value of a forward pass, converted to the IR's per-sample order. */
function captureHooks(base: ForwardHooks, node: string, irShape: readonly number[], sink: (c: Captured) => void): ForwardHooks {
  return {
    ...(base.weightTransform ? { weightTransform: base.weightTransform } : {}),
    ...(base.biasTransform ? { biasTransform: base.biasTransform } : {}),
    activationTransform: (a, info: ActivationInfo) => {
      const y = base.activationTransform ? base.activationTransform(a, info) : a;
      if (info.node === node) sink(toIr(y.dataSync() as Float32Array, y.shape, info.layout, irShape));
      return y;
    },
  };
}

function toIr(d: Float32Array, shape: readonly number[], layout: string, irShape: readonly number[]): Captured {
  const per = irShape.reduce((a, b) => a * b, 1);
  if (layout !== 'nhwc' || shape.length !== 4) return { data: Float32Array.from(d), per };
  const [n, h, w, c] = shape as [number, number, number, number];
  const out = new Float32Array(d.length);
  for (let s = 0; s < n; s++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[s * per + (ch * h + y) * w + x] = d[s * per + (y * w + x) * c + ch] as number;
  return { data: out, per };
}

/**
 * The node whose value a layer's patches are read from, with its IR shape: the layer's input, or for a
 * dense layer behind a flatten of a feature map, the feature map (the engine may hold the flattened value
 * in HWC order; the IR's flatten is CHW).
 */
function sourceOf(model: EngineModel, layer: Layer): { node: string; shape: readonly number[] } {
  let node = layer.inputs[0] as string;
  const byName = new Map(model.graph.nodes.map((n) => [n.name, n] as const));
  for (;;) {
    const n = byName.get(node);
    if (n?.op === 'flatten' && model.valueShape(n.inputs[0] as string).length === 3) node = n.inputs[0] as string;
    else break;
  }
  return { node, shape: model.valueShape(node) };
}

/** Sampled output positions of one image (stratified with a seeded jitter). */
function positionsOf(total: number, m: number, rng: Rng): number[] {
  if (total <= m) return Array.from({ length: total }, (_, i) => i);
  const width = total / m;
  return Array.from({ length: m }, (_, j) => Math.min(total - 1, Math.floor((j + rng.next()) * width)));
}

/** Writes the patch of group `g` at output position `pos` of sample data `x` (CHW) into `out`. */
function patchOf(layer: Layer, inShape: readonly number[], outShape: readonly number[], x: Float32Array, g: number, pos: number, out: Float64Array): void {
  if (layer.op === 'dense') {
    for (let i = 0; i < out.length; i++) out[i] = x[i] as number;
    return;
  }
  const [, h, w] = inShape as [number, number, number];
  const ow = outShape[2] as number;
  const oy = Math.floor(pos / ow);
  const ox = pos % ow;
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const [dh, dw] = layer.dilation;
  const [pt, pl] = layer.pads;
  const icg = layer.inChannels / layer.groups;
  let k = 0;
  for (let ic = 0; ic < icg; ic++) {
    const ch = g * icg + ic;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - pt + ky * dh;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw - pl + kx * dw;
        out[k++] = iy >= 0 && iy < h && ix >= 0 && ix < w ? (x[(ch * h + iy) * w + ix] as number) : 0;
      }
    }
  }
}

/**
 * Input statistics of `layer` over `n` images `x`: `floatModel` runs with its own hooks (none: float),
 * `quantModel` with `quantHooks` (the quantized network as far as it is known); both read the same
 * patches.
 */
export function layerInputStats(
  floatModel: EngineModel,
  quantModel: EngineModel,
  quantHooks: ForwardHooks,
  layer: Layer,
  x: Float32Array,
  n: number,
  opts: LayerStatsOptions = {},
): LayerInputStats {
  if (n < 1) throw new ConfigError('layer statistics need at least 1 calibration image');
  const src = sourceOf(floatModel, layer);
  const outShape = floatModel.valueShape(layer.name);
  const groups = layer.op === 'conv2d' ? layer.groups : 1;
  const k = layer.op === 'conv2d' ? (layer.inChannels / layer.groups) * layer.kernel[0] * layer.kernel[1] : layer.inFeatures;
  const totalPos = layer.op === 'conv2d' ? (outShape[1] as number) * (outShape[2] as number) : 1;
  const m = Math.min(totalPos, opts.positions ?? 64);
  const second = opts.secondOrder === true;
  const meanFloat = new Float64Array(groups * k);
  const meanQuant = new Float64Array(groups * k);
  const gramQuant = second ? new Float64Array(groups * k * k) : undefined;
  const cross = second ? new Float64Array(groups * k * k) : undefined;
  const rng = new Rng(opts.seed ?? 0);
  const inPer = floatModel.inputShape.reduce((a, b) => a * b, 1);
  const bs = opts.batchSize ?? 64;
  const pf = new Float64Array(k);
  const pq = new Float64Array(k);
  let count = 0;
  const savedF = floatModel.hooks;
  const savedQ = quantModel.hooks;
  try {
    for (let s0 = 0; s0 < n; s0 += bs) {
      const b = Math.min(bs, n - s0);
      const xb = x.subarray(s0 * inPer, (s0 + b) * inPer);
      let cf: Captured | undefined;
      let cq: Captured | undefined;
      floatModel.hooks = captureHooks(savedF, src.node, src.shape, (c) => {
        cf = c;
      });
      floatModel.predict(xb, b, { batchSize: b });
      quantModel.hooks = captureHooks(quantHooks, src.node, src.shape, (c) => {
        cq = c;
      });
      quantModel.predict(xb, b, { batchSize: b });
      if (!cf || !cq) throw new ConfigError(`internal: no value of node '${src.node}' was seen for layer '${layer.name}'`);
      const F = cf as Captured;
      const Q = cq as Captured;
      for (let i = 0; i < b; i++) {
        const xf = F.data.subarray(i * F.per, (i + 1) * F.per);
        const xq = Q.data.subarray(i * Q.per, (i + 1) * Q.per);
        for (const pos of positionsOf(totalPos, m, rng)) {
          for (let g = 0; g < groups; g++) {
            patchOf(layer, src.shape, outShape, xf, g, pos, pf);
            patchOf(layer, src.shape, outShape, xq, g, pos, pq);
            const o = g * k;
            for (let a = 0; a < k; a++) {
              meanFloat[o + a] = (meanFloat[o + a] as number) + (pf[a] as number);
              meanQuant[o + a] = (meanQuant[o + a] as number) + (pq[a] as number);
            }
            if (gramQuant && cross) {
              const oo = g * k * k;
              for (let a = 0; a < k; a++) {
                const fa = pf[a] as number;
                const qa = pq[a] as number;
                const row = oo + a * k;
                if (qa !== 0) for (let c = a; c < k; c++) gramQuant[row + c] = (gramQuant[row + c] as number) + qa * (pq[c] as number);
                if (fa !== 0) for (let c = 0; c < k; c++) cross[row + c] = (cross[row + c] as number) + fa * (pq[c] as number);
              }
            }
          }
          count++;
        }
      }
    }
  } finally {
    floatModel.hooks = savedF;
    quantModel.hooks = savedQ;
  }
  const inv = 1 / count;
  for (let i = 0; i < meanFloat.length; i++) {
    meanFloat[i] = (meanFloat[i] as number) * inv;
    meanQuant[i] = (meanQuant[i] as number) * inv;
  }
  if (gramQuant && cross) {
    for (let g = 0; g < groups; g++) {
      const oo = g * k * k;
      for (let a = 0; a < k; a++)
        for (let c = 0; c < k; c++) {
          if (c >= a) gramQuant[oo + a * k + c] = (gramQuant[oo + a * k + c] as number) * inv;
          else gramQuant[oo + a * k + c] = gramQuant[oo + c * k + a] as number;
          cross[oo + a * k + c] = (cross[oo + a * k + c] as number) * inv;
        }
    }
  }
  return { groups, k, count, meanFloat, meanQuant, ...(gramQuant && cross ? { gramQuant, cross } : {}) };
}
