/**
 * Hessian sensitivity of layers and output channels: Hutchinson trace estimates (Rademacher vectors,
 * stopping once the estimate's relative standard error is within a tolerance) built on the engine's exact layer Hessian-vector
 * products. The HAWQ score `mean trace x ||Q(w) - w||^2` per layer (and per channel) at each bit-width, from
 * these traces, is src/quant/hawq-scores.ts (no tensor library).
 */

import type { EngineModel } from '../engine/model.js';
import { actGrid } from '../engine/quant-grid.js';
import { activationHvpFn, layerHvpFn, rademacher } from '../engine/sensitivity-hvp.js';
import { ConfigError } from '../errors.js';
import { quantizableLayers } from '../ir/workload.js';
import { Rng } from '../util/rng.js';
import { channelSensitivity, type LayerSensitivity, nonIncreasing } from './hawq-scores.js';
import { activationConfig, type Calibration } from './quant-config.js';
import { isFloatBits } from './quantizer.js';

/** Something that multiplies by a symmetric matrix of size `size`. */
export interface HvpOperator {
  readonly size: number;
  hvp(v: Float32Array): Float32Array;
}

/**
 * When {@link hutchinsonTrace} stops probing (after at least `minIter` probes, at most `maxIter`):
 * - `'relative-error'` (default): once the standard error of the mean of the probes is at most `tol` x |mean|, i.e.
 *   the estimate is known to within `tol` (relative, one standard error); default `tol` 0.05.
 * - `'mean-change'` (HAWQ-V2's rule): once the running mean moved by at most `tol` (relative) for `patience` probes
 *   in a row; default `tol` 1e-3. After k probes a new probe moves the mean by ~1/k of its deviation, so this
 *   stops at about the same count whatever the variance: cheap, but it says nothing about the estimate's error.
 */
export type HutchinsonStop = 'relative-error' | 'mean-change';

/** Options of {@link hutchinsonTrace}. */
export interface HutchinsonOptions {
  /** The stopping rule (default `'relative-error'`; see {@link HutchinsonStop}). */
  readonly stop?: HutchinsonStop;
  /** Tolerance of the stopping rule (default 0.05 for `'relative-error'`, 1e-3 for `'mean-change'`). */
  readonly tol?: number;
  /** At least this many probes (default 8). */
  readonly minIter?: number;
  /** At most this many probes (default 100). */
  readonly maxIter?: number;
  /** `'mean-change'`: consecutive iterations the tolerance must hold (default 3). */
  readonly patience?: number;
  /** Channels for per-channel traces: the vector splits into `channels` equal consecutive blocks (axis 0 of an ONNX weight). */
  readonly channels?: number;
}

/** A trace estimate. */
export interface TraceEstimate {
  readonly trace: number;
  /** Block traces per channel (sum = trace), when `channels` was given. */
  readonly channelTraces?: Float64Array;
  readonly iterations: number;
  /** Standard error of the mean of the probes. */
  readonly stdError: number;
  /** True when the stopping rule held before `maxIter` probes (with `'relative-error'`: stdError <= tol x |trace|). */
  readonly converged: boolean;
}

/**
 * Hutchinson's estimator tr(H) = E[v^T H v] with Rademacher v; per-channel block traces come from the
 * same probes (E[v_i v_j] = delta_ij, so each block's v_b^T (Hv)_b estimates tr(H_bb)).
 */
export function hutchinsonTrace(op: HvpOperator, rng: Rng, opts: HutchinsonOptions = {}): TraceEstimate {
  const rule = opts.stop ?? 'relative-error';
  const tol = opts.tol ?? (rule === 'relative-error' ? 0.05 : 1e-3);
  const minIter = opts.minIter ?? 8;
  const maxIter = opts.maxIter ?? 100;
  const patience = opts.patience ?? 3;
  const ch = opts.channels;
  if (ch !== undefined && (op.size % ch !== 0 || ch < 1)) throw new ConfigError(`cannot split ${op.size} weights into ${ch} channels`);
  const per = ch ? op.size / ch : op.size;
  const chSum = ch ? new Float64Array(ch) : undefined;
  let sum = 0;
  let sumSq = 0;
  let prevMean = 0;
  let calm = 0;
  let k = 0;
  let converged = false;
  while (k < maxIter) {
    const v = rademacher(op.size, rng);
    const hv = op.hvp(v);
    let t = 0;
    for (let i = 0; i < op.size; i++) {
      const p = (v[i] as number) * (hv[i] as number);
      t += p;
      if (chSum) {
        const c = Math.floor(i / per);
        chSum[c] = (chSum[c] as number) + p;
      }
    }
    k++;
    sum += t;
    sumSq += t * t;
    const mean = sum / k;
    if (rule === 'mean-change') {
      if (k > 1 && Math.abs(mean - prevMean) <= tol * Math.abs(prevMean)) calm++;
      else calm = 0;
      prevMean = mean;
      if (k >= minIter && calm >= patience) {
        converged = true;
        break;
      }
    } else if (k >= minIter && k > 1 && standardError(sum, sumSq, k) <= tol * Math.abs(mean)) {
      converged = true;
      break;
    }
  }
  return {
    trace: sum / k,
    ...(chSum ? { channelTraces: chSum.map((s) => s / k) } : {}),
    iterations: k,
    stdError: standardError(sum, sumSq, k),
    converged,
  };
}

/** Standard error of the mean of k values from their sum and sum of squares (0 for one value). */
function standardError(sum: number, sumSq: number, k: number): number {
  if (k < 2) return 0;
  const mean = sum / k;
  return Math.sqrt(Math.max(0, (sumSq - k * mean * mean) / (k - 1)) / k);
}

/** Options of {@link layerSensitivities}. */
export interface SensitivityOptions extends Omit<HutchinsonOptions, 'channels'> {
  readonly seed: number;
  /** Also estimate per-output-channel traces. */
  readonly perChannel?: boolean;
  /** Restrict to these layers (default all conv/dense). */
  readonly layers?: readonly string[];
  /** Called after each layer. */
  readonly onLayer?: (s: LayerSensitivity, index: number, total: number) => void;
}

/**
 * Hessian traces of every conv/dense layer's weights on a batch (`n` samples of `x`, labels `y`),
 * eval-mode batch norm. Use a few hundred samples; the loss is the batch mean cross-entropy.
 * @example const s = layerSensitivities(engineModel, x, y, 256, { seed: 1, perChannel: true });
 */
export function layerSensitivities(model: EngineModel, x: Float32Array, y: ArrayLike<number>, n: number, opts: SensitivityOptions): LayerSensitivity[] {
  const all = quantizableLayers(model.graph);
  const names = opts.layers ?? all.map((l) => l.name);
  const rng = new Rng(opts.seed);
  const out: LayerSensitivity[] = [];
  names.forEach((name, idx) => {
    const node = all.find((l) => l.name === name);
    if (!node) throw new ConfigError(`unknown layer '${name}': expected a conv/dense layer of '${model.graph.name}' (${all.map((l) => l.name).join(', ')})`);
    const outC = node.op === 'conv2d' ? node.outChannels : node.outFeatures;
    const op = layerHvpFn(model, name, x, y, { n });
    try {
      const est = hutchinsonTrace(op, rng.fork(), { ...opts, ...(opts.perChannel ? { channels: outC } : {}) });
      const s: LayerSensitivity = {
        layer: name,
        params: op.size,
        trace: est.trace,
        meanTrace: est.trace / op.size,
        ...(est.channelTraces ? { channelTraces: Array.from(est.channelTraces) } : {}),
        iterations: est.iterations,
        stdError: est.stdError,
        converged: est.converged,
      };
      out.push(s);
      opts.onLayer?.(s, idx, names.length);
    } finally {
      op.dispose();
    }
  });
  return out;
}

/** Hessian sensitivity of one conv/dense layer's input activation (see {@link activationHessianDamage}). */
export interface ActivationSensitivity {
  readonly layer: string;
  /** The node whose output is the layer's input (shared by every reader of that value). */
  readonly node: string;
  /** Entries of the activation on the batch (samples x per-sample size). */
  readonly size: number;
  readonly trace: number;
  readonly meanTrace: number;
  /** Per input channel (axis 0 of the per-sample IR shape; features of a vector) block traces, sum = trace. */
  readonly channelTraces: readonly number[];
  readonly iterations: number;
  readonly stdError: number;
  readonly converged: boolean;
}

/**
 * CW-HAWQ's activation side from Hessian traces instead of measured loss increases: for every conv/dense layer,
 * Hutchinson traces of the loss Hessian w.r.t. the layer's input activation, per input channel (the engine's
 * activation-perturbation HVP, {@link activationHvpFn}), on `n` samples of `x` (labels `y`), and the damage
 * `[layer][k] = sum_c |trace_c| / n_c x ||Q_b(a_c) - a_c||^2 / 2` of quantizing that activation to `bits[k]`
 * with its calibrated per-tensor grid (`cal`, as deployed), the activation's channels taken on the same batch:
 * the second-order loss increase, the activation analogue of `channelDamage` (src/quant/hawq-scores.ts). Made non-increasing in
 * the bits. Float widths (>= 16) cost nothing. A value read by several layers is traced once.
 */
export function activationHessianDamage(
  model: EngineModel,
  x: Float32Array,
  y: ArrayLike<number>,
  n: number,
  cal: Calibration,
  bits: readonly number[],
  opts: Omit<SensitivityOptions, 'perChannel' | 'layers' | 'onLayer'> & {
    readonly onLayer?: (s: ActivationSensitivity, index: number, total: number) => void;
  },
): {
  sensitivities: ActivationSensitivity[];
  damage: number[][];
  /** Per layer, per width, per input channel: `|trace_c| / n_c x ||Q_b(a_c) - a_c||^2 / 2` (non-increasing in the bits per channel). */
  channelDamage: number[][][];
} {
  const layers = quantizableLayers(model.graph);
  const rng = new Rng(opts.seed);
  const byNode = new Map<string, { est: TraceEstimate; size: number; perChannel: number[][] }>();
  const sensitivities: ActivationSensitivity[] = [];
  const damage: number[][] = [];
  const channelDamage: number[][][] = [];
  layers.forEach((l, idx) => {
    const node = l.inputs[0] as string;
    let hit = byNode.get(node);
    if (!hit) {
      const op = activationHvpFn(model, node, x, y, { n });
      try {
        const est = hutchinsonTrace(op, rng.fork(), { ...opts, channels: op.channels });
        const per = op.size / op.channels;
        // ||Q_b(a_c) - a_c||^2 per bit-width and channel, with the calibrated per-tensor grid
        const perChannel = bits.map((b) => {
          const out = new Array<number>(op.channels).fill(0);
          if (isFloatBits(b)) return out;
          const g = actGrid(activationConfig(cal, node, b));
          for (let c = 0; c < op.channels; c++) {
            let e = 0;
            for (let i = c * per; i < (c + 1) * per; i++) {
              const v = op.values[i] as number;
              const q = Math.min(g.qmax, Math.max(g.qmin, Math.round(v / g.scale) + g.zeroPoint));
              const d = (q - g.zeroPoint) * g.scale - v;
              e += d * d;
            }
            out[c] = e;
          }
          return out;
        });
        hit = { est, size: op.size, perChannel };
        byNode.set(node, hit);
      } finally {
        op.dispose();
      }
    }
    const { est, size, perChannel } = hit;
    const traces = Array.from(est.channelTraces ?? []);
    const nc = size / Math.max(1, traces.length);
    const s: ActivationSensitivity = {
      layer: l.name,
      node,
      size,
      trace: est.trace,
      meanTrace: est.trace / size,
      channelTraces: traces,
      iterations: est.iterations,
      stdError: est.stdError,
      converged: est.converged,
    };
    sensitivities.push(s);
    const perC = perChannel.map((row) => row.map((e, c) => (0.5 * channelSensitivity(traces[c] as number) * e) / nc));
    channelDamage.push(nonIncreasing(perC));
    damage.push(perC.map((row) => row.reduce((a, v) => a + v, 0)));
    opts.onLayer?.(s, idx, layers.length);
  });
  return { sensitivities, damage: damage.map((row) => nonIncreasing(row.map((v) => [v])).map((r) => r[0] as number)), channelDamage };
}
