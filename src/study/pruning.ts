/**
 * Pruners: early stopping of unpromising trials from their intermediate values (one value of the
 * study's first objective per step, e.g. validation accuracy after each epoch), as Optuna users know
 * them. An evaluation reports through `ctx.report(step, value)` (present when the study has a pruner,
 * and the evaluation runs in the study's process); a `true` answer asks it to stop and return
 * `state: 'pruned'`. Reported values are stored on the trial as `hwnas:intermediate` ({step: value}),
 * so pruners read the other trials' curves from the store and a resumed study prunes the same way.
 *
 * - `median` (Optuna's MedianPruner): stop at `step` when the trial's best value so far is worse than
 *   the median of the values the complete trials reported at that same step. Options: `startupTrials`
 *   (no pruning until this many trials are complete, default 5), `warmupSteps` (no pruning before this
 *   step, default 0).
 * - `successive-halving` (asynchronous successive halving, Li et al. 2020, as Optuna's
 *   SuccessiveHalvingPruner): rung k sits at step `minResource * reductionFactor^(minEarlyStoppingRate + k)`;
 *   a trial reaching a rung continues only if its value there is among the best 1/`reductionFactor` of
 *   every trial that reached the rung (the best one when fewer than `reductionFactor` have). Options:
 *   `minResource` = 1, `reductionFactor` = 4, `minEarlyStoppingRate` = 0.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { JsonValue, Objective, Trial } from '../search/types.js';
import { median } from '../util/stats.js';
import { parseWith } from '../util/zod-error.js';

/** Trial attribute holding the intermediate values ({"<step>": value}). */
export const INTERMEDIATE_ATTR = 'hwnas:intermediate';

/** What a pruner sees at one report. */
export interface PruneQuery {
  readonly trialNumber: number;
  readonly step: number;
  /** This trial's values so far, by step (the current one included). */
  readonly values: ReadonlyMap<number, number>;
  /** The study's other trials (any state), with their stored intermediate values. */
  readonly others: readonly Trial[];
  readonly direction: Objective['direction'];
}

/** Decides whether a trial stops early. */
export interface Pruner {
  readonly name: string;
  shouldPrune(q: PruneQuery): boolean;
}

/** A pruner by name with JSON options (what a study config carries). */
export interface PrunerSpec {
  readonly name: string;
  readonly options?: Readonly<Record<string, JsonValue>> | undefined;
}

/** Names of the pruners. */
export const PRUNER_NAMES = ['median', 'successive-halving'] as const;

/** The intermediate values of a stored trial, by step. */
export function intermediateValues(t: Trial): Map<number, number> {
  const out = new Map<number, number>();
  const v = t.userAttrs[INTERMEDIATE_ATTR];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'number' && /^\d+$/.test(k)) out.set(Number(k), x);
  return out;
}

const better = (a: number, b: number, d: Objective['direction']): boolean => (d === 'maximize' ? a > b : a < b);

const medianOptions = z.object({ startupTrials: z.number().int().min(0).optional(), warmupSteps: z.number().int().min(0).optional() }).strict();

/** Optuna's median rule; see the module comment. */
export function medianPruner(options: Readonly<Record<string, JsonValue>> = {}): Pruner {
  const o = parseWith(medianOptions, options, "pruner 'median' options");
  const startup = o.startupTrials ?? 5;
  const warmup = o.warmupSteps ?? 0;
  return {
    name: 'median',
    shouldPrune(q) {
      if (q.step < warmup) return false;
      const complete = q.others.filter((t) => t.state === 'complete' && t.number !== q.trialNumber);
      if (complete.length < startup) return false;
      const atStep = complete.map((t) => intermediateValues(t).get(q.step)).filter((v): v is number => v !== undefined);
      if (atStep.length === 0) return false;
      let best: number | undefined;
      for (const [s, v] of q.values) if (s <= q.step && (best === undefined || better(v, best, q.direction))) best = v;
      return best !== undefined && better(median(atStep), best, q.direction);
    },
  };
}

const shOptions = z
  .object({
    minResource: z.number().int().min(1).optional(),
    reductionFactor: z.number().int().min(2).optional(),
    minEarlyStoppingRate: z.number().int().min(0).optional(),
  })
  .strict();

/** The value of a curve at a rung: the one reported at the first step at or after it. */
function valueAtRung(values: ReadonlyMap<number, number>, rungStep: number): number | undefined {
  let step = Infinity;
  let v: number | undefined;
  for (const [s, x] of values)
    if (s >= rungStep && s < step) {
      step = s;
      v = x;
    }
  return v;
}

/** Asynchronous successive halving; see the module comment. */
export function successiveHalvingPruner(options: Readonly<Record<string, JsonValue>> = {}): Pruner {
  const o = parseWith(shOptions, options, "pruner 'successive-halving' options");
  const r = o.minResource ?? 1;
  const eta = o.reductionFactor ?? 4;
  const s = o.minEarlyStoppingRate ?? 0;
  return {
    name: 'successive-halving',
    shouldPrune(q) {
      // every rung this trial has reached is checked (a trial reporting sparse steps may cross several at once)
      for (let k = 0; ; k++) {
        const rungStep = r * eta ** (s + k);
        if (rungStep > q.step) return false;
        const own = valueAtRung(q.values, rungStep);
        if (own === undefined) continue;
        const competing = [own];
        for (const t of q.others) {
          if (t.number === q.trialNumber || t.state === 'failed') continue;
          const v = valueAtRung(intermediateValues(t), rungStep);
          if (v !== undefined) competing.push(v);
        }
        const keep = Math.max(1, Math.floor(competing.length / eta));
        competing.sort((a, b) => (q.direction === 'maximize' ? b - a : a - b));
        const threshold = competing[keep - 1] as number;
        if (better(threshold, own, q.direction)) return true;
      }
    },
  };
}

/** The pruner of a spec (ConfigError naming the known ones). */
export function createPruner(spec: PrunerSpec): Pruner {
  if (spec.name === 'median') return medianPruner(spec.options);
  if (spec.name === 'successive-halving') return successiveHalvingPruner(spec.options);
  throw new ConfigError(`unknown pruner ${JSON.stringify(spec.name)}; expected one of ${PRUNER_NAMES.join(', ')}`);
}

/**
 * The `report` function the study loop gives an evaluation when the study has a pruner: it stores the
 * value (attribute {@link INTERMEDIATE_ATTR}) and asks the pruner.
 */
export function pruneReporter(o: {
  readonly pruner: Pruner;
  readonly trialNumber: number;
  readonly direction: Objective['direction'];
  readonly others: () => readonly Trial[];
  readonly store: (values: Record<string, number>) => void;
}): (step: number, value: number) => boolean {
  const values = new Map<number, number>();
  return (step, value) => {
    if (!Number.isInteger(step) || step < 0) throw new ConfigError(`intermediate step ${JSON.stringify(step)}: expected an integer >= 0`);
    if (!Number.isFinite(value)) return false; // a NaN epoch is the evaluation's to fail, not a pruning signal
    values.set(step, value);
    o.store(Object.fromEntries([...values].map(([k, v]) => [String(k), v])));
    return o.pruner.shouldPrune({ trialNumber: o.trialNumber, step, values, others: o.others(), direction: o.direction });
  };
}
