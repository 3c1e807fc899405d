/**
 * Learned cost model (`predictor:<file>`), in the spirit of nn-Meter and VPUNN: gradient-boosted
 * regression trees on per-kernel features (layer-key.ts: op kind, log sizes, kernel, stride, groups,
 * channels, bits; plus what the runtime fuses into the kernel: batchnorm, activation, residual add; and the
 * kernel's work with channels padded to the runtime's 16-wide blocks) predicting log latency per unit of work.
 * Whole networks are predicted per runtime kernel (`kernelPlan`) and composed with a small fitted
 * {@link NetworkComposition} (per-run and per-kernel overheads), as nn-Meter predicts kernels after fusion.
 *
 * Why gradient-boosted trees: the training sets are small (hundreds to a few thousand measured kernels)
 * and tabular, with features of very different scales and strong interactions (op kind x size x bits);
 * trees need no feature scaling, split cleanly on categorical-like codes, and boosting reaches lower bias
 * than a random forest of the same size (nn-Meter itself uses random forests; VPUNN's MLP needs far more
 * data). Fitting log latency makes the squared loss a relative-error loss, which is what MAPE and the
 * ±10% metric measure; dividing by the kernel's work first leaves the trees a flat function (time per
 * operation) instead of a steep one they could only approximate by steps. Histogram split finding (≤ 64
 * quantile bins per feature) keeps fitting to about a second for a thousand samples, in pure TypeScript; row
 * subsampling uses a seeded Rng.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { Workload } from '../ir/workload.js';
import { Rng } from '../util/rng.js';
import { median } from '../util/stats.js';
import { fitHostComposition, usableTiming } from './composition.js';
import { describeLayer, FEATURE_NAMES, type LayerDescriptor, layerFeatures, parseLayerKey } from './layer-key.js';
import { type LayerValue, LayerValueTarget } from './layer-target.js';
import type { LutFile, NetworkTiming } from './lut.js';
import { ANY_BITS, type Precision, type SupportedBits } from './precision.js';
import { kernelPostOps, type PreparedNetwork, prepareNetwork } from './prepared.js';

/** One regression tree in flat arrays: node j splits on `feature[j]` at `threshold[j]` (go left when x <= t); leaves have feature -1. */
export interface TreeJson {
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

/** A fitted gradient-boosted model (JSON file form of `predictor:<file>`). */
export interface GbdtModel {
  readonly format: 'hwnas-predictor';
  readonly version: 1;
  readonly model: 'gbdt';
  /**
   * What the trees predict: the natural log of latency in ms, or (`log-ms-per-work`, kernel models) the log of
   * latency per unit of {@link kernelWork}, a flatter function of the features that trees fit with fewer samples.
   */
  readonly target: 'log-latency-ms' | 'log-ms-per-work';
  readonly features: readonly string[];
  readonly base: number;
  readonly learningRate: number;
  readonly trees: readonly TreeJson[];
  /** Free-form provenance (device, sample count, fit metrics). */
  readonly meta?: Readonly<Record<string, string | number>>;
}

/** Options of {@link fitGbdt}. */
export interface GbdtOptions {
  readonly rounds?: number;
  readonly learningRate?: number;
  readonly maxDepth?: number;
  readonly minLeaf?: number;
  /** Row subsample per tree (0..1]. */
  readonly subsample?: number;
  readonly bins?: number;
  /** L2 regularisation of leaf values. */
  readonly lambda?: number;
  readonly seed?: number;
}

/** Predict one row with a model (returns the model's target scale, i.e. log latency). */
export function predictRow(m: GbdtModel, x: ArrayLike<number>): number {
  let y = m.base;
  for (const t of m.trees) {
    let j = 0;
    while ((t.feature[j] as number) >= 0) {
      j = (x[t.feature[j] as number] as number) <= (t.threshold[j] as number) ? (t.left[j] as number) : (t.right[j] as number);
    }
    y += m.learningRate * (t.value[j] as number);
  }
  return y;
}

/**
 * Fit gradient-boosted regression trees (squared loss) to rows `x` and targets `y`.
 * Same data and seed give the same model.
 */
export function fitGbdt(x: readonly (readonly number[])[], y: readonly number[], names: readonly string[], opts: GbdtOptions = {}): GbdtModel {
  const n = x.length;
  if (n < 2 || y.length !== n) throw new ConfigError(`predictor fit: need >= 2 samples with one target each, got ${n} rows and ${y.length} targets`);
  const F = names.length;
  const rounds = opts.rounds ?? 300;
  const lr = opts.learningRate ?? 0.1;
  const maxDepth = opts.maxDepth ?? 5;
  const minLeaf = opts.minLeaf ?? 3;
  const sub = opts.subsample ?? 0.8;
  const nb = opts.bins ?? 64;
  const lambda = opts.lambda ?? 1;
  const rng = new Rng(opts.seed ?? 1);
  // quantile bin edges per feature
  const edges: number[][] = [];
  const bin = new Uint8Array(n * F);
  for (let f = 0; f < F; f++) {
    const vals = [...new Set(x.map((r) => r[f] as number))].sort((a, b) => a - b);
    let e: number[];
    if (vals.length <= nb) e = vals.slice(0, -1).map((v, i) => (v + (vals[i + 1] as number)) / 2);
    else {
      e = [];
      for (let b = 1; b < nb; b++) {
        const q = vals[Math.floor((b * vals.length) / nb)] as number;
        const pq = vals[Math.floor((b * vals.length) / nb) - 1] as number;
        const t = (q + pq) / 2;
        if (e.length === 0 || t > (e[e.length - 1] as number)) e.push(t);
      }
    }
    edges.push(e);
    for (let i = 0; i < n; i++) {
      const v = x[i]?.[f] as number;
      let lo = 0;
      let hi = e.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= (e[mid] as number)) hi = mid;
        else lo = mid + 1;
      }
      bin[i * F + f] = lo;
    }
  }
  const base = y.reduce((s, v) => s + v, 0) / n;
  const pred = new Float64Array(n).fill(base);
  const resid = new Float64Array(n);
  const trees: TreeJson[] = [];
  const gs = new Float64Array(F * (nb + 1));
  const cs = new Float64Array(F * (nb + 1));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) resid[i] = (y[i] as number) - (pred[i] as number);
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (sub >= 1 || rng.next() < sub) rows.push(i);
    const t: TreeJson = { feature: [], threshold: [], left: [], right: [], value: [] };
    const grow = (idx: number[], depth: number): number => {
      const j = t.feature.length;
      let sum = 0;
      for (const i of idx) sum += resid[i] as number;
      t.feature.push(-1);
      t.threshold.push(0);
      t.left.push(-1);
      t.right.push(-1);
      t.value.push(sum / (idx.length + lambda));
      if (depth >= maxDepth || idx.length < 2 * minLeaf) return j;
      gs.fill(0);
      cs.fill(0);
      for (const i of idx) {
        const ri = resid[i] as number;
        for (let f = 0; f < F; f++) {
          const k = f * (nb + 1) + (bin[i * F + f] as number);
          gs[k] = (gs[k] as number) + ri;
          cs[k] = (cs[k] as number) + 1;
        }
      }
      const parent = (sum * sum) / (idx.length + lambda);
      let best = 1e-12;
      let bf = -1;
      let bb = -1;
      for (let f = 0; f < F; f++) {
        const ne = (edges[f] as number[]).length;
        let gl = 0;
        let cl = 0;
        for (let b = 0; b < ne; b++) {
          const k = f * (nb + 1) + b;
          gl += gs[k] as number;
          cl += cs[k] as number;
          const cr = idx.length - cl;
          if (cl < minLeaf || cr < minLeaf) continue;
          const gr = sum - gl;
          const gain = (gl * gl) / (cl + lambda) + (gr * gr) / (cr + lambda) - parent;
          if (gain > best) {
            best = gain;
            bf = f;
            bb = b;
          }
        }
      }
      if (bf < 0) return j;
      const L: number[] = [];
      const R: number[] = [];
      for (const i of idx) ((bin[i * F + bf] as number) <= bb ? L : R).push(i);
      t.feature[j] = bf;
      t.threshold[j] = (edges[bf] as number[])[bb] as number;
      t.left[j] = grow(L, depth + 1);
      t.right[j] = grow(R, depth + 1);
      return j;
    };
    grow(rows, 0);
    const model1: GbdtModel = {
      format: 'hwnas-predictor',
      version: 1,
      model: 'gbdt',
      target: 'log-latency-ms',
      features: names,
      base: 0,
      learningRate: lr,
      trees: [t],
    };
    for (let i = 0; i < n; i++) pred[i] = (pred[i] as number) + predictRow(model1, x[i] as number[]);
    trees.push(t);
  }
  return { format: 'hwnas-predictor', version: 1, model: 'gbdt', target: 'log-latency-ms', features: [...names], base, learningRate: lr, trees };
}

/** Fidelity of predictions against measurements. */
export interface FitMetrics {
  readonly n: number;
  /** Root mean square error (same unit as the values, ms). */
  readonly rmse: number;
  /** Mean absolute percentage error (fraction, 0.05 = 5%). */
  readonly mape: number;
  /** Kendall rank correlation (tau-b). */
  readonly kendallTau: number;
  /** Share of predictions within ±10% of the measured value (nn-Meter's metric). */
  readonly within10: number;
}

/** Kendall's tau-b of two equal-length arrays (O(n²)). */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  let conc = 0;
  let disc = 0;
  let tieA = 0;
  let tieB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign((a[i] as number) - (a[j] as number));
      const db = Math.sign((b[i] as number) - (b[j] as number));
      if (da === 0 && db === 0) continue;
      if (da === 0) tieA++;
      else if (db === 0) tieB++;
      else if (da === db) conc++;
      else disc++;
    }
  }
  const d = Math.sqrt((conc + disc + tieA) * (conc + disc + tieB));
  return d > 0 ? (conc - disc) / d : 0;
}

/** RMSE, MAPE, Kendall tau and ±10% share of `predicted` against `measured`. */
export function fitMetrics(measured: readonly number[], predicted: readonly number[]): FitMetrics {
  const n = measured.length;
  if (n === 0 || predicted.length !== n) throw new ConfigError(`metrics need equal non-empty arrays, got ${n} and ${predicted.length}`);
  let se = 0;
  let ape = 0;
  let w10 = 0;
  for (let i = 0; i < n; i++) {
    const m = measured[i] as number;
    const p = predicted[i] as number;
    se += (p - m) ** 2;
    const rel = Math.abs(p - m) / Math.abs(m);
    ape += rel;
    if (rel <= 0.1) w10++;
  }
  return { n, rmse: Math.sqrt(se / n), mape: ape / n, kendallTau: kendallTau(measured, predicted), within10: w10 / n };
}

/** A measured sample for fitting: a layer descriptor and its latency. */
export interface LatencySample {
  readonly layer: LayerDescriptor;
  /** Ops fused after the layer in its runtime kernel (see `kernelPlan`), e.g. `['batchnorm', 'relu6']`; default none. */
  readonly post?: readonly string[];
  readonly latencyMs: number;
}

/** Feature names of {@link kernelFeatures}: the layer features plus what is fused into the kernel. */
export const KERNEL_FEATURE_NAMES: readonly string[] = [...FEATURE_NAMES, 'post_bn', 'post_act', 'post_sum', 'log2_work', 'pad_ratio', 'log2_macs_per_weight'];

const ceil16 = (c: number): number => Math.ceil(c / 16) * 16;

/**
 * The work of one kernel in "operations": MACs with channels padded to the 16-wide blocks of onnxruntime's NCHWc
 * kernels (AVX-512), plus every element read or written (inputs, output, weights). Roughly proportional to time
 * within a kernel kind, so the trees learn the time per unit of work.
 */
export function kernelWork(d: LayerDescriptor): number {
  const { macs, padRatio, elems } = workParts(d);
  return macs * padRatio + elems + 1;
}

function workParts(d: LayerDescriptor): { macs: number; padRatio: number; elems: number; weights: number } {
  const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  const inE = d.inShapes.reduce((a, x) => a + numel(x), 0);
  const outE = numel(d.outShape);
  const cin = d.inShapes[0]?.[0] ?? 1;
  const cout = d.outShape[0] ?? 1;
  const g = d.groups ?? 1;
  const k = (d.kernel?.[0] ?? 1) * (d.kernel?.[1] ?? 1);
  let macs = 0;
  let weights = 0;
  let padRatio = 1;
  if (d.op === 'conv2d') {
    macs = outE * (cin / g) * k;
    weights = cout * (cin / g) * k;
    padRatio = ceil16(cout) / cout;
    if (g === 1 && cin >= 8) padRatio *= ceil16(cin) / cin;
  } else if (d.op === 'dense') {
    macs = inE * outE;
    weights = macs;
  }
  return { macs, padRatio, elems: inE + outE + weights, weights };
}

const ACT_CODE: Readonly<Record<string, number>> = { relu: 1, leakyrelu: 1, relu6: 2, clip: 2, sigmoid: 3, hardsigmoid: 3, swish: 4, hardswish: 4 };

/** Numeric features of one runtime kernel: {@link layerFeatures} + fused batchnorm, activation code, fused residual add. */
export function kernelFeatures(d: LayerDescriptor, post: readonly string[] = []): number[] {
  let act = 0;
  for (const op of post) act = Math.max(act, ACT_CODE[op] ?? 0);
  const { macs, padRatio, weights } = workParts(d);
  return [
    ...layerFeatures(d),
    post.includes('batchnorm') ? 1 : 0,
    act,
    post.includes('add') ? 1 : 0,
    Math.log2(kernelWork(d)),
    padRatio,
    Math.log2(1 + macs / Math.max(1, weights)),
  ];
}

/** Samples from a lookup table (each key parsed back into a descriptor). */
export function samplesFromLut(lut: LutFile): LatencySample[] {
  return lut.entries.filter((e) => e.latencyMs > 0).map((e) => ({ layer: parseLayerKey(e.key), latencyMs: e.latencyMs }));
}

/**
 * The provenance a predictor fitted on these lookup tables must carry so `predictor:<file>` costs networks as
 * the tables do: `fused: 1` when the tables hold runtime kernels (`fused: true`, as `hwnas measure` writes them),
 * and their calibration (`kernelScale`, `networkOverheadMs`, which {@link compositionOf} reads) as
 * {@link tableCalibration} gives it, with `calibration` naming how (`pooled` or `median`). Tables of both kinds are
 * refused: an unfused table times batchnorm and activations as nodes of their own, a fused one inside their conv, so
 * one model cannot learn both.
 */
export function lutPredictorMeta(tables: readonly LutSource[]): Record<string, string | number> {
  const fused = tables.filter((t) => t.lut.fused === true).map((t) => t.path);
  const plain = tables.filter((t) => t.lut.fused !== true).map((t) => t.path);
  if (fused.length > 0 && plain.length > 0) {
    throw new ConfigError(
      `predictor fit: the tables mix fused kernels (${fused.join(', ')}) with unfused per-node timings (${plain.join(', ')}); expected all fused (as 'hwnas measure' writes) or all unfused`,
    );
  }
  const meta: Record<string, string | number> = { source: tables.map((t) => t.path).join(',') };
  if (fused.length > 0) meta.fused = 1;
  const cal = tableCalibration(tables);
  if (cal.kernelScale !== undefined) meta.kernelScale = cal.kernelScale;
  if (cal.networkOverheadMs !== undefined) meta.networkOverheadMs = cal.networkOverheadMs;
  if (cal.method !== undefined) meta.calibration = cal.method;
  const devices = [...new Set(tables.map((t) => t.lut.device))];
  if (devices.length === 1 && devices[0] !== undefined) meta.device = devices[0];
  return meta;
}

/** A lookup table and the path it was read from (named in messages). */
export interface LutSource {
  readonly path: string;
  readonly lut: LutFile;
}

/** One table's calibration as written in it (kernel scale 1 and overhead 0 where a table gives only the other). */
export interface TableCalibration {
  readonly path: string;
  readonly kernelScale: number;
  readonly networkOverheadMs: number;
}

/** One measured network under the pooled calibration: its table, its whole timing and what the calibration gives. */
export interface PooledNetwork extends NetworkTiming {
  readonly path: string;
  /** kernelScale · kernelSumMs + networkOverheadMs */
  readonly predictedMs: number;
  /** (predicted - measured) / measured */
  readonly error: number;
}

/**
 * The calibration a predictor fitted on `tables` uses:
 * - `pooled` when every table that has a calibration also keeps the whole-network timings it was fitted on
 *   (`networks`, as `hwnas measure` writes them): one scale and one overhead fitted on all those networks together
 *   ({@link fitHostComposition}, least squares on relative error), as host-cpu fits several measured networks;
 * - `median` otherwise (tables written before the timings were kept, or by hand): each key's median over the tables
 *   that have it. Each such table's calibration is exact on its one network, so there is nothing to refit, and the
 *   median of an odd count keeps one table measured under load from setting it.
 * No table with a calibration: none.
 */
export function tableCalibration(tables: readonly LutSource[]): {
  readonly method?: 'pooled' | 'median';
  readonly kernelScale?: number;
  readonly networkOverheadMs?: number;
} {
  const calibrated = tables.filter((t) => t.lut.kernelScale !== undefined || t.lut.networkOverheadMs !== undefined);
  const timings = tables.flatMap((t) => t.lut.networks ?? []);
  if (calibrated.length > 0 && calibrated.every((t) => (t.lut.networks ?? []).length > 0)) {
    const c = fitHostComposition(timings);
    return { method: 'pooled', kernelScale: c.kernelScale, networkOverheadMs: c.fixedMs };
  }
  const medianOf = (k: 'kernelScale' | 'networkOverheadMs'): number | undefined => {
    const xs = tables.map((t) => t.lut[k]).filter((v): v is number => typeof v === 'number');
    return xs.length === 0 ? undefined : median(xs);
  };
  const kernelScale = medianOf('kernelScale');
  const networkOverheadMs = medianOf('networkOverheadMs');
  if (kernelScale === undefined && networkOverheadMs === undefined) return {};
  return {
    method: 'median',
    ...(kernelScale !== undefined ? { kernelScale } : {}),
    ...(networkOverheadMs !== undefined ? { networkOverheadMs } : {}),
  };
}

/**
 * What `predictor fit` shows of the calibration: each table's own, and
 * - pooled: every measured network with what the pooled calibration gives it and the relative error, `farthest`
 *   (from three networks on) the network (as `<graph> in <path>`) with the largest error, a network timed under load;
 * - median: `farthest` the table farthest from the median overhead (undefined with fewer than two tables); each
 *   table's calibration is exact on its own network, so the spread between tables is the only sign of one measured
 *   under load.
 */
export function lutCalibrations(tables: readonly LutSource[]): {
  readonly tables: readonly TableCalibration[];
  readonly networks?: readonly PooledNetwork[];
  readonly farthest?: string;
} {
  const rows = tables
    .filter((t) => t.lut.kernelScale !== undefined || t.lut.networkOverheadMs !== undefined)
    .map((t) => ({ path: t.path, kernelScale: t.lut.kernelScale ?? 1, networkOverheadMs: t.lut.networkOverheadMs ?? 0 }));
  const cal = tableCalibration(tables);
  if (cal.method === 'pooled') {
    const networks = tables.flatMap((t) =>
      (t.lut.networks ?? []).filter(usableTiming).map((n) => {
        const predictedMs = (cal.kernelScale ?? 1) * n.kernelSumMs + (cal.networkOverheadMs ?? 0);
        return {
          path: t.path,
          graph: n.graph,
          kernelSumMs: n.kernelSumMs,
          networkMs: n.networkMs,
          predictedMs,
          error: (predictedMs - n.networkMs) / n.networkMs,
        };
      }),
    );
    // a scale and an overhead fit two networks exactly (unless clamped), so only a third can stand out
    if (networks.length < 3) return { tables: rows, networks };
    const far = networks.reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a));
    return { tables: rows, networks, farthest: `${far.graph} in ${far.path}` };
  }
  if (rows.length < 2) return { tables: rows };
  const med = median(rows.map((r) => r.networkOverheadMs));
  let far = rows[0] as TableCalibration;
  for (const r of rows) if (Math.abs(r.networkOverheadMs - med) > Math.abs(far.networkOverheadMs - med)) far = r;
  return { tables: rows, farthest: far.path };
}

/** Fit a latency predictor on measured samples. */
export function fitPredictor(samples: readonly LatencySample[], opts: GbdtOptions = {}, meta: Readonly<Record<string, string | number>> = {}): GbdtModel {
  const pos = samples.filter((s) => s.latencyMs > 0);
  const m = fitGbdt(
    pos.map((s) => kernelFeatures(s.layer, s.post)),
    pos.map((s) => Math.log(s.latencyMs / kernelWork(s.layer))),
    KERNEL_FEATURE_NAMES,
    opts,
  );
  // the bit widths seen in training: a model fitted on fp32 kernels says nothing about int8 ones
  const bits = (k: 'weightBits' | 'actBits'): string =>
    [...new Set(pos.map((s) => s.layer[k]).filter((b): b is number => typeof b === 'number'))].sort((a, b) => a - b).join(',');
  return { ...m, target: 'log-ms-per-work', meta: { samples: pos.length, weightBits: bits('weightBits'), actBits: bits('actBits'), ...meta } };
}

/**
 * The precisions a model can cost: the weight and activation bits of its training samples (`meta.weightBits`,
 * `meta.actBits`, comma-separated), or any bits for models written before they were recorded.
 */
export function predictorBits(m: GbdtModel): SupportedBits {
  const list = (k: string): number[] | undefined => {
    const v = m.meta?.[k];
    if (typeof v !== 'string' || v === '') return undefined;
    const xs = v.split(',').map(Number);
    return xs.every((x) => Number.isInteger(x) && x >= 1 && x <= 32) ? xs : undefined;
  };
  return { weight: list('weightBits') ?? ANY_BITS, act: list('actBits') ?? ANY_BITS };
}

/** Predicted latency (ms) of a descriptor (a kernel with the ops `post` fused after it). */
export function predictLatency(m: GbdtModel, d: LayerDescriptor, post: readonly string[] = []): number {
  if (m.target === 'log-ms-per-work') return Math.exp(predictRow(m, kernelFeatures(d, post))) * kernelWork(d);
  return Math.exp(predictRow(m, m.features.length === KERNEL_FEATURE_NAMES.length ? kernelFeatures(d, post) : layerFeatures(d)));
}

/** Evaluate a predictor on held-out samples. */
export function evalPredictor(m: GbdtModel, samples: readonly LatencySample[]): FitMetrics {
  return fitMetrics(
    samples.map((s) => s.latencyMs),
    samples.map((s) => predictLatency(m, s.layer, s.post)),
  );
}

/** Parse a predictor model file's JSON text. */
export function parsePredictor(text: string, path: string): GbdtModel {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`predictor ${path}: not valid JSON (${(e as Error).message})`);
  }
  const o = j as Partial<GbdtModel>;
  if (o?.format !== 'hwnas-predictor' || o.model !== 'gbdt' || !Array.isArray(o.trees) || typeof o.base !== 'number') {
    throw new ConfigError(
      `predictor ${path}: expected {"format": "hwnas-predictor", "model": "gbdt", "base", "trees": [...]} as written by 'hwnas predictor fit'`,
    );
  }
  if (JSON.stringify(o.features) !== JSON.stringify(KERNEL_FEATURE_NAMES) && JSON.stringify(o.features) !== JSON.stringify(FEATURE_NAMES)) {
    throw new ConfigError(
      `predictor ${path}: feature list ${JSON.stringify(o.features)} does not match this version's (${KERNEL_FEATURE_NAMES.join(', ')}); refit it`,
    );
  }
  return o as GbdtModel;
}

/** Read a predictor model file. */
export function loadPredictor(path: string): GbdtModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`predictor file '${path}' cannot be read`);
  }
  return parsePredictor(text, path);
}

/** Write a predictor model file. */
export function savePredictor(m: GbdtModel, path: string): void {
  writeFileSync(path, JSON.stringify(m));
}

/**
 * How kernel times compose into a whole-network run on the runtime (fitted on measured training networks):
 * `network = fixedMs + Σ over kernels (kernelScale · kernelMs + perKernelMs + perMByteMs · MB of weights and
 * output the kernel touches)`. The per-kernel terms are the executor's dispatch and allocation cost and the
 * cache misses a kernel has inside a network but not when timed alone; the fixed term is one run's overhead.
 */
export interface NetworkComposition {
  readonly fixedMs: number;
  readonly kernelScale: number;
  readonly perKernelMs: number;
  readonly perMByteMs: number;
}

/** The identity composition (Σ kernels + a fixed overhead). */
export function plainComposition(fixedMs = 0): NetworkComposition {
  return { fixedMs, kernelScale: 1, perKernelMs: 0, perMByteMs: 0 };
}

/** One runtime kernel of a network: descriptor, fused ops and the MB of weights and output it touches. */
export interface NetworkKernel {
  readonly node: string;
  readonly layer: LayerDescriptor;
  readonly post: readonly string[];
  readonly mbytes: number;
}

/** The runtime kernels of a graph (float32), after `kernelPlan`. */
export function networkKernels(graph: Graph): NetworkKernel[] {
  const net = prepareNetwork(graph);
  const posts = kernelPostOps(net);
  const out: NetworkKernel[] = [];
  for (let i = 0; i < net.n; i++) {
    const post = posts[i];
    if (!post) continue;
    const w = net.workloads[i] as Workload;
    out.push({ node: w.node, layer: describeLayer(w, FP32), post, mbytes: (4 * (w.weightElems + w.outElems)) / 1e6 });
  }
  return out;
}

const FP32: Precision = { weightBits: 32, actBits: 32 };

/** A training row of {@link fitComposition}: a measured network and its kernels' times. */
export interface CompositionRow {
  readonly kernelMs: readonly number[];
  readonly kernelMBytes: readonly number[];
  readonly measuredMs: number;
}

/** Compose kernel times into a network latency. */
export function composeNetwork(c: NetworkComposition, kernelMs: readonly number[], kernelMBytes: readonly number[]): number {
  let t = c.fixedMs;
  for (let i = 0; i < kernelMs.length; i++) t += c.kernelScale * (kernelMs[i] as number) + c.perKernelMs + c.perMByteMs * (kernelMBytes[i] as number);
  return t;
}

/**
 * Fit a {@link NetworkComposition} by least squares on relative error (each network weighted by 1/measured²),
 * so small and large networks count alike. Needs >= 4 networks.
 */
export function fitComposition(rows: readonly CompositionRow[]): NetworkComposition {
  if (rows.length < 4) throw new ConfigError(`composition fit: need >= 4 measured networks, got ${rows.length}`);
  const X = rows.map((r) => [1, r.kernelMs.reduce((a, b) => a + b, 0), r.kernelMs.length, r.kernelMBytes.reduce((a, b) => a + b, 0)]);
  const y = rows.map((r) => r.measuredMs);
  const wts = rows.map((r) => 1 / (r.measuredMs * r.measuredMs));
  const P = 4;
  const A: number[][] = Array.from({ length: P }, () => new Array<number>(P + 1).fill(0));
  for (let i = 0; i < rows.length; i++) {
    const x = X[i] as number[];
    for (let a = 0; a < P; a++) {
      const row = A[a] as number[];
      for (let b = 0; b < P; b++) row[b] = (row[b] as number) + (wts[i] as number) * (x[a] as number) * (x[b] as number);
      row[P] = (row[P] as number) + (wts[i] as number) * (x[a] as number) * (y[i] as number);
    }
  }
  // ridge towards the plain model (scale 1, others 0) keeps the fit stable on few networks
  const prior = [0, 1, 0, 0];
  for (let a = 0; a < P; a++) {
    const row = A[a] as number[];
    const lam = 1e-6 * (row[a] as number);
    row[a] = (row[a] as number) + lam;
    row[P] = (row[P] as number) + lam * (prior[a] as number);
  }
  for (let c = 0; c < P; c++) {
    let piv = c;
    for (let r = c + 1; r < P; r++) if (Math.abs((A[r] as number[])[c] as number) > Math.abs((A[piv] as number[])[c] as number)) piv = r;
    [A[c], A[piv]] = [A[piv] as number[], A[c] as number[]];
    const pr = A[c] as number[];
    for (let r = 0; r < P; r++) {
      if (r === c) continue;
      const row = A[r] as number[];
      const f = (row[c] as number) / (pr[c] as number);
      for (let k = c; k <= P; k++) row[k] = (row[k] as number) - f * (pr[k] as number);
    }
  }
  const beta = A.map((row, i) => (row[P] as number) / (row[i] as number));
  return { fixedMs: beta[0] as number, kernelScale: beta[1] as number, perKernelMs: beta[2] as number, perMByteMs: beta[3] as number };
}

/** Predicted whole-network latency (ms): the model's kernel times composed with `c`. */
export function predictNetwork(m: GbdtModel, graph: Graph, c: NetworkComposition = compositionOf(m)): number {
  const ks = networkKernels(graph);
  return composeNetwork(
    c,
    ks.map((k) => predictLatency(m, k.layer, k.post)),
    ks.map((k) => k.mbytes),
  );
}

/** The composition stored in a model's meta (`fixedMs`, `kernelScale`, `perKernelMs`, `perMByteMs`), else the plain one. */
export function compositionOf(m: GbdtModel): NetworkComposition {
  const g = (k: string, d: number): number => (typeof m.meta?.[k] === 'number' ? (m.meta[k] as number) : d);
  return {
    fixedMs: g('fixedMs', g('networkOverheadMs', 0)),
    kernelScale: g('kernelScale', 1),
    perKernelMs: g('perKernelMs', 0),
    perMByteMs: g('perMByteMs', 0),
  };
}

/**
 * A target whose per-kernel latency comes from a learned model. With `fuse` (models fitted on runtime kernels,
 * `meta.fused = 1`), networks are costed per kernel of `kernelPlan` (conv+bn+act, + residual add+act) and
 * composed with the model's {@link NetworkComposition}; otherwise every node is predicted alone and summed.
 */
export class PredictorTarget extends LayerValueTarget {
  readonly kind = 'learned' as const;
  readonly description: string;
  /** The bits of its training samples ({@link predictorBits}): other precisions are refused, not extrapolated. */
  readonly supportedBits: SupportedBits;
  readonly hasEnergy = false;
  readonly fuse: boolean;
  private readonly comp: NetworkComposition;
  /** Fused ops of kernel anchors (a channel-group slice of an anchor runs with its layer's fused ops). */
  private readonly posts = new WeakMap<Workload, readonly string[]>();

  constructor(
    readonly model: GbdtModel,
    readonly name = 'predictor',
    opts: { readonly fuse?: boolean; readonly networkOverheadMs?: number; readonly composition?: NetworkComposition } = {},
  ) {
    super();
    this.fuse = opts.fuse ?? model.meta?.fused === 1;
    this.supportedBits = predictorBits(model);
    const c = opts.composition ?? compositionOf(model);
    this.comp = opts.networkOverheadMs !== undefined ? { ...c, fixedMs: opts.networkOverheadMs } : c;
    this.description = `learned latency model (gradient-boosted trees, ${model.trees.length} trees${model.meta?.device ? `, ${model.meta.device}` : ''})`;
  }

  protected override networkOverheadMs(): number {
    return this.comp.fixedMs;
  }

  /** With `fuse`, values are whole kernels: residual adds (and their activation) fused into a conv cost 0. */
  protected override costsKernels(): boolean {
    return this.fuse;
  }

  /** Also notes each kernel anchor's fused ops (the model's features). */
  protected override markNetwork(net: PreparedNetwork): void {
    super.markNetwork(net);
    if (!this.fuse) return;
    const posts = kernelPostOps(net);
    for (let i = 0; i < net.n; i++) {
      const p = posts[i];
      if (p) this.posts.set(net.workloads[i] as Workload, p);
    }
  }

  protected layerValue(w: Workload, p: Precision): LayerValue {
    const c = this.comp;
    const mb = (4 * (w.weightElems + w.outElems)) / 1e6;
    return {
      latencyMs: Math.max(
        0,
        c.kernelScale * predictLatency(this.model, describeLayer(w, p), this.posts.get(w.sliceOf ?? w) ?? []) + c.perKernelMs + c.perMByteMs * mb,
      ),
    };
  }
}
