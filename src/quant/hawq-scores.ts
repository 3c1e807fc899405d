/**
 * HAWQ's scores from Hessian traces, on plain weights (no tensor library): the sensitivity of a channel
 * (`|trace|`), the HAWQ score `|mean trace| x ||Q(w) - w||^2` per layer at each bit-width, the per-channel
 * damage of CW-HAWQ's wall. The traces are estimated in src/quant/sensitivity.ts (engine).
 */
import { ConfigError } from '../errors.js';
import type { Model } from '../ir/types.js';
import { perturbationNorm2PerChannel } from './quantizer.js';

/**
 * The sensitivity of a channel from its Hessian trace estimate: |trace|. One convention for ordering
 * channels (which get the most bits) and for weighing damage in the budget wall: a Hutchinson estimate
 * of a channel's trace can come out negative (noise, or negative curvature away from a minimum), and its
 * magnitude still measures how much the loss bends along that channel. (Sorting by the signed value,
 * as before, ranked a channel with a large negative estimate as the least sensitive one while the wall
 * weighed its damage as large.)
 */
export function channelSensitivity(trace: number): number {
  return Math.abs(trace);
}

/** Sensitivity of one conv/dense layer. */
export interface LayerSensitivity {
  readonly layer: string;
  readonly params: number;
  readonly trace: number;
  /** trace / params (HAWQ-V2's average Hessian trace). */
  readonly meanTrace: number;
  /** Per output channel block traces (when requested). */
  readonly channelTraces?: readonly number[];
  readonly iterations: number;
  readonly stdError: number;
  readonly converged: boolean;
}

/** HAWQ score of one layer at one weight bit-width. */
export interface HawqScore {
  readonly layer: string;
  readonly bits: number;
  /** ||Q(w) - w||^2 (per-channel symmetric min/max quantizer). */
  readonly perturbation: number;
  /** meanTrace x perturbation (HAWQ-V2/V3 objective term). */
  readonly score: number;
}

/**
 * HAWQ scores of each layer at each bit-width: `|meanTrace| x ||Q(w)-w||^2` with the deployment
 * quantizer (symmetric, per output channel). With per-channel traces, the per-channel form
 * `sum_c (|channelTrace_c| / params_c) ||Q(w_c)-w_c||^2` is used instead (|trace|: {@link channelSensitivity}).
 */
export function hawqScores(model: Model, sens: readonly LayerSensitivity[], bits: readonly number[]): HawqScore[] {
  const out: HawqScore[] = [];
  for (const s of sens) {
    const w = model.weights.get(`${s.layer}.weight`);
    if (!w) throw new ConfigError(`model has no weight '${s.layer}.weight'`);
    const outC = w.shape[0] as number;
    for (const b of bits) {
      const per = perturbationNorm2PerChannel(w.data, w.shape, { bits: b, granularity: 'per-channel', channelAxis: 0 });
      const total = per.reduce((a, v) => a + v, 0);
      let score: number;
      if (s.channelTraces) {
        const pc = w.data.length / outC;
        score = per.reduce((a, v, c) => a + (channelSensitivity(s.channelTraces?.[c] as number) / pc) * v, 0);
      } else score = channelSensitivity(s.meanTrace) * total;
      out.push({ layer: s.layer, bits: b, perturbation: total, score });
    }
  }
  return out;
}

/**
 * Per-channel HAWQ damage for CW-HAWQ's wall: `[layer][k][channel] = |trace_c| / n_c x ||Q_b(w_c) - w_c||^2 / 2`
 * (the second-order loss increase of channel c's weights at `bits[k]`, per-channel symmetric quantizer),
 * made non-increasing in the bits (a wider channel never estimates more damage). Needs per-channel traces.
 */
export function channelDamage(model: Model, sens: readonly LayerSensitivity[], bits: readonly number[]): number[][][] {
  return sens.map((s) => {
    const w = model.weights.get(`${s.layer}.weight`);
    if (!w) throw new ConfigError(`model has no weight '${s.layer}.weight'`);
    if (!s.channelTraces) throw new ConfigError(`layer '${s.layer}': channel damage needs per-channel traces`);
    const outC = w.shape[0] as number;
    const pc = w.data.length / outC;
    const rows = bits.map((b) =>
      perturbationNorm2PerChannel(w.data, w.shape, { bits: b, granularity: 'per-channel', channelAxis: 0 }).map(
        (v, c) => (0.5 * channelSensitivity(s.channelTraces?.[c] as number) * v) / pc,
      ),
    );
    return nonIncreasing(rows.map((r) => Array.from(r)));
  });
}

/**
 * Rows of damage over ascending bit-widths, each entry at least 0 and at least the next (wider) row's
 * (a measured loss increase can be noisy or negative at high bits: the wall's moves then never gain).
 */
export function nonIncreasing(rows: readonly (readonly number[])[]): number[][] {
  const out = rows.map((r) => r.map((v) => Math.max(0, v)));
  for (let k = out.length - 2; k >= 0; k--) {
    const r = out[k] as number[];
    const next = out[k + 1] as number[];
    for (let c = 0; c < r.length; c++) r[c] = Math.max(r[c] as number, next[c] as number);
  }
  return out;
}
