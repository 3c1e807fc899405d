/** Shared types of distributed trial evaluation (Redis queue, worker threads). */
import type { JsonValue, Params } from '../search/types.js';
import type { Evaluator } from '../study/run-study.js';
import type { EvaluationSpec } from './registry.js';

/** What travels to a worker for one trial (JSON only). */
export interface TrialJob {
  readonly studyName: string;
  readonly trialNumber: number;
  /** A unique id of the study (made when it was created): a new study of the same name has another. */
  readonly studyUid?: string;
  readonly seed: number;
  readonly params: Params;
  readonly evaluation: EvaluationSpec;
  /**
   * The study has a pruner: the worker gives the evaluation a `ctx.report` that sends each intermediate
   * value to the study process and awaits its pruner's decision.
   */
  readonly pruning?: boolean;
}

/** What a worker sends back: an EvaluationResult plus who computed it. */
export interface TrialJobResult {
  readonly values: readonly number[];
  readonly constraints?: readonly number[];
  readonly userAttrs?: Readonly<Record<string, JsonValue>>;
  readonly state?: 'complete' | 'pruned';
  /** host:pid (and thread) of the worker that computed it. */
  readonly worker: string;
  /** The trial this result belongs to (echoed from the job, checked by the study process). */
  readonly studyName?: string;
  readonly trialNumber?: number;
  readonly studyUid?: string;
}

/** An evaluator backed by other threads, processes or machines; `close` releases them. */
export interface RemoteEvaluator {
  /** Pass to runStudy as `evaluate`. */
  readonly evaluate: Evaluator;
  /** How many evaluations can usefully run at once (pass to runStudy as `concurrency`). */
  readonly concurrency: number;
  /** Stops the workers / closes the connections. */
  close(): Promise<void>;
}
