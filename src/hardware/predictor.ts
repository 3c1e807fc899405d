/**
 * Learned cost model (`predictor:<file>`), in the spirit of nn-Meter and VPUNN: gradient-boosted
 * regression trees on per-layer features (layer-key.ts: op kind, log sizes, kernel, stride, groups,
 * channels, bits) predicting log latency.
 *
 * Why gradient-boosted trees: the training sets are small (hundreds to a few thousand measured layers)
 * and tabular, with features of very different scales and strong interactions (op kind x size x bits);
 * trees need no feature scaling, split cleanly on categorical-like codes, and boosting reaches lower bias
 * than a random forest of the same size (nn-Meter itself uses random forests; VPUNN's MLP needs far more
 * data). Fitting log latency makes the squared loss a relative-error loss, which is what MAPE and the
 * ±10% metric measure. Histogram split finding (≤ 64 quantile bins per feature) keeps fitting to well
 * under a second for thousands of samples, in pure TypeScript; row subsampling uses a seeded Rng.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { Workload } from '../ir/workload.js';
import { Rng } from '../util/rng.js';
import { LayerValueTarget, type LayerValue } from './layer-target.js';
import { describeLayer, FEATURE_NAMES, layerFeatures, type LayerDescriptor, parseLayerKey } from './layer-key.js';
import type { LutFile } from './lut.js';
import { ANY_BITS, type Precision, type SupportedBits } from './precision.js';

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
  /** What the model predicts: natural log of latency in ms. */
  readonly target: 'log-latency-ms';
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
    const model1: GbdtModel = { format: 'hwnas-predictor', version: 1, model: 'gbdt', target: 'log-latency-ms', features: names, base: 0, learningRate: lr, trees: [t] };
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
  readonly latencyMs: number;
}

/** Samples from a lookup table (each key parsed back into a descriptor). */
export function samplesFromLut(lut: LutFile): LatencySample[] {
  return lut.entries.filter((e) => e.latencyMs > 0).map((e) => ({ layer: parseLayerKey(e.key), latencyMs: e.latencyMs }));
}

/** Fit a latency predictor on measured samples. */
export function fitPredictor(samples: readonly LatencySample[], opts: GbdtOptions = {}, meta: Readonly<Record<string, string | number>> = {}): GbdtModel {
  const pos = samples.filter((s) => s.latencyMs > 0);
  const m = fitGbdt(
    pos.map((s) => layerFeatures(s.layer)),
    pos.map((s) => Math.log(s.latencyMs)),
    FEATURE_NAMES,
    opts,
  );
  return { ...m, meta: { samples: pos.length, ...meta } };
}

/** Predicted latency (ms) of a descriptor. */
export function predictLatency(m: GbdtModel, d: LayerDescriptor): number {
  return Math.exp(predictRow(m, layerFeatures(d)));
}

/** Evaluate a predictor on held-out samples. */
export function evalPredictor(m: GbdtModel, samples: readonly LatencySample[]): FitMetrics {
  return fitMetrics(
    samples.map((s) => s.latencyMs),
    samples.map((s) => predictLatency(m, s.layer)),
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
    throw new ConfigError(`predictor ${path}: expected {"format": "hwnas-predictor", "model": "gbdt", "base", "trees": [...]} as written by 'hwnas predictor fit'`);
  }
  if (JSON.stringify(o.features) !== JSON.stringify(FEATURE_NAMES)) {
    throw new ConfigError(`predictor ${path}: feature list ${JSON.stringify(o.features)} does not match this version's (${FEATURE_NAMES.join(', ')}); refit it`);
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

/** A target whose per-layer latency comes from a learned model. */
export class PredictorTarget extends LayerValueTarget {
  readonly kind = 'learned' as const;
  readonly description: string;
  readonly supportedBits: SupportedBits = { weight: ANY_BITS, act: ANY_BITS };
  readonly hasEnergy = false;
  readonly fuse: boolean;

  constructor(
    readonly model: GbdtModel,
    readonly name = 'predictor',
    opts: { readonly fuse?: boolean; readonly networkOverheadMs?: number } = {},
  ) {
    super();
    this.fuse = opts.fuse ?? model.meta?.fused === 1;
    this.overhead = opts.networkOverheadMs ?? (typeof model.meta?.networkOverheadMs === 'number' ? model.meta.networkOverheadMs : 0);
    this.description = `learned latency model (gradient-boosted trees, ${model.trees.length} trees${model.meta?.device ? `, ${model.meta.device}` : ''})`;
  }

  private readonly overhead: number;

  protected override networkOverheadMs(): number {
    return this.overhead;
  }

  protected layerValue(w: Workload, p: Precision): LayerValue {
    return { latencyMs: predictLatency(this.model, describeLayer(w, p)) };
  }
}
