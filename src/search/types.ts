/**
 * Core types of the search: parameter values, objectives, trials and the ask/tell strategy interface.
 */
import type { Rng } from '../util/rng.js';
import type { SearchSpace } from './space.js';

/** A JSON value (what a parameter, user attribute or artifact descriptor may hold). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Parameter values of one candidate, by parameter name. */
export type Params = Readonly<Record<string, JsonValue>>;

/** Whether an objective is to be made small or large. */
export type Direction = 'minimize' | 'maximize';

/** A named objective with its direction. */
export interface Objective {
  /** Name shown in reports (e.g. 'accuracy', 'latency_ms'). */
  readonly name: string;
  /** 'minimize' or 'maximize'. */
  readonly direction: Direction;
}

/** Life cycle of a trial: running until finished as complete, pruned or failed (then immutable). */
export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

/** One evaluated (or running) candidate of a study. */
export interface Trial {
  /** 0-based number within its study, assigned by the store in creation order. */
  readonly number: number;
  /** Parameter values. */
  readonly params: Params;
  /** Objective values in the order of the study's objectives; null until complete. */
  readonly values: readonly number[] | null;
  /** Constraint violation amounts (<= 0 means satisfied); null when the study has no constraints. */
  readonly constraints: readonly number[] | null;
  /** Current state. */
  readonly state: TrialState;
  /** Free-form attributes written by the evaluator or the loop. */
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  /** ISO-8601 time the trial was created. */
  readonly startedAt: string;
  /** ISO-8601 time the trial finished; null while running. */
  readonly finishedAt: string | null;
}

/** The user attribute in which the study loop records why a trial failed (a {@link FailReason}). */
export const FAIL_REASON_ATTR = 'hwnas:fail_reason';

/** The user attribute in which the study loop links a retry to the trial number it runs again (NSGA-II reads it). */
export const RETRY_OF_ATTR = 'hwnas:retry_of';

/**
 * Why a trial failed: the process that ran it died, it was interrupted (both retried by the study loop), its
 * evaluation threw, or it gave non-finite values.
 */
export type FailReason = 'worker-died' | 'aborted' | 'error' | 'non-finite';

/**
 * Whether a trial failed because of its point (its evaluation threw or gave non-finite values, or no reason is
 * recorded), not because of the process that ran it (`worker-died`, `aborted`: the same point is run again).
 */
export function failedOnItsPoint(t: Trial): boolean {
  if (t.state !== 'failed') return false;
  const reason = t.userAttrs[FAIL_REASON_ATTR];
  return reason !== 'worker-died' && reason !== 'aborted';
}

/** Everything a strategy may look at when proposing the next candidate. */
export interface AskContext {
  /** The space to propose a point of. */
  readonly space: SearchSpace;
  /** The study's objectives (directions matter). */
  readonly objectives: readonly Objective[];
  /**
   * Every trial of the study so far, in number order, including running and failed ones, as the study loop shows it
   * (src/study/proposal-view.ts): with n trials in flight the last n - 1 proposals appear as running even if they have
   * finished, and after a resume the attempts that died and were run again are left out, each retry numbered in its
   * proposal's place. Without either, exactly the stored trials.
   */
  readonly history: readonly Trial[];
  /**
   * The index of this proposal among the study's proposals: the trials in `history` that are not retries
   * of crashed trials (so it equals history.length, the number the trial will most likely get, unless
   * crashed trials were run again). Retries do not shift it, so a resumed study asks as an uninterrupted one.
   */
  readonly trialNumber: number;
  /** Randomness for this ask only (derived from the study seed and `trialNumber`, the proposal index, by the loop). */
  readonly rng: Rng;
  /**
   * Present in a cost-aware study: the objectives that cost no budget (hardware cost from a model, a LUT
   * or a table) computed for any candidate without a trial; the others (accuracy) need an evaluation.
   */
  readonly cheapObjectives?: CheapObjectives;
  /**
   * Present where points are grouped into classes of equal computation (the NAS repeat filter fills it from the
   * architecture space, e.g. NB201 cells equal up to dead edges or isomorphism): the class key of any point of
   * `space`. Points with the same key give the same evaluation; a strategy may model and pick classes instead of points.
   */
  readonly classOf?: (params: Params) => string;
}

/**
 * Objectives a strategy may compute for a candidate without spending a trial (hardware cost from a cost
 * model, a lookup table or a predictor). Only evaluations of the others (accuracy) count against the budget.
 */
export interface CheapObjectives {
  /** Indices, into the study's objectives, of the objectives {@link CheapObjectives.values} returns (in that order). */
  readonly indices: readonly number[];
  /** The cheap objectives' values of a candidate, in `indices` order, in the objectives' own units and directions. */
  values(params: Params): readonly number[];
}

/**
 * A search strategy: proposes parameters with `ask`. Its state is rebuilt from `history` on every
 * call (memoised at will), so a study can resume after a crash or run in several processes.
 * `tell` is an optional hook (default: nothing) called when a trial finishes.
 */
export interface SearchStrategy {
  /** Registry name ('random', 'nsga2', 'bo', 'regularized-evolution', ...). */
  readonly name: string;
  /** Propose the parameters of the next trial. Must only use `ctx.rng` for randomness. */
  ask(ctx: AskContext): Params | Promise<Params>;
  /** Optional notification that a trial has finished (state is in the store already). */
  tell?(trial: Trial, ctx: { readonly objectives: readonly Objective[] }): void;
  /**
   * Optional: whether the strategy has a proposal now. `ask` (the default without this hook): call
   * `ask`. `wait`: its next proposal depends on trials still running; the loop waits for one to finish.
   * `done`: it has nothing more to propose; the study ends before its trial budget once nothing runs.
   */
  status?(ctx: { readonly history: readonly Trial[]; readonly objectives: readonly Objective[] }): StrategyStatus;
  /**
   * True when proposal k never depends on which of the trials running at its ask have finished (it depends on k, the
   * seed, the points proposed before it, and trials it waits for with `status`): the study loop then asks it as soon as
   * a trial slot is free and shows it the stored history as it is. Otherwise (the default) the loop, with n trials in
   * flight, asks proposal k once proposals up to k - n have finished and shows it proposals k - n + 1 .. k - 1 as
   * running, so that the same seed gives the same trials whatever the durations (src/study/proposal-view.ts).
   */
  readonly timingFree?: boolean;
}

/** What {@link SearchStrategy.status} answers. */
export type StrategyStatus = 'ask' | 'wait' | 'done';

/** Derives the per-trial seed from a study seed and a trial number (deterministic, well mixed). */
export function trialSeed(studySeed: number, trialNumber: number): number {
  let h = (studySeed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = (h + Math.imul(trialNumber + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
