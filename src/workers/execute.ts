/** Runs one {@link TrialJob} through the evaluation registry, where the job is received (worker process or thread). */
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';
import type { JsonValue } from '../search/types.js';
import type { EvaluationContext } from '../study/run-study.js';
import './builtin.js';
import { evaluatorFor } from './registry.js';
import type { TrialJob, TrialJobResult } from './types.js';

/** host:pid, plus the thread id inside worker threads. */
export function workerName(): string {
  return `${hostname()}:${process.pid}${threadId ? `:t${threadId}` : ''}`;
}

/**
 * Evaluates a job; `report` (given when the job asks for pruning) carries intermediate values to the study
 * process and brings back its pruner's decision. Attributes the evaluation sets with `ctx.setUserAttr` cannot reach the store from
 * here: they are collected and returned with the result (the result's own attributes win).
 */
export async function executeTrialJob(job: TrialJob, signal: AbortSignal, report?: (step: number, value: number) => Promise<boolean>): Promise<TrialJobResult> {
  const f = evaluatorFor(job.evaluation);
  const attrs: Record<string, JsonValue> = {};
  const ctx: EvaluationContext = {
    studyName: job.studyName,
    ...(job.studyUid !== undefined ? { studyUid: job.studyUid } : {}),
    trialNumber: job.trialNumber,
    seed: job.seed,
    signal,
    setUserAttr: (k, v) => {
      attrs[k] = v;
    },
    ...(report ? { report } : {}),
  };
  const r = await f(job.params, ctx);
  const userAttrs = { ...attrs, ...(r.userAttrs ?? {}) };
  return {
    values: [...r.values],
    ...(r.constraints ? { constraints: [...r.constraints] } : {}),
    ...(Object.keys(userAttrs).length > 0 ? { userAttrs } : {}),
    ...(r.state ? { state: r.state } : {}),
    worker: workerName(),
    studyName: job.studyName,
    trialNumber: job.trialNumber,
    ...(job.studyUid !== undefined ? { studyUid: job.studyUid } : {}),
  };
}
