/** Entry of a {@link makeThreadPoolEvaluator} worker thread: runs trial jobs posted by the pool. */
import { parentPort, workerData } from 'node:worker_threads';
import { isUserError } from '../errors.js';
import { executeTrialJob } from './execute.js';
import { importEvaluationModules } from './registry.js';
import type { TrialJob } from './types.js';

/** Message from the pool to a thread. */
export type ToThread =
  | { readonly kind: 'run'; readonly id: number; readonly job: TrialJob }
  | { readonly kind: 'abort'; readonly id: number }
  /** The study's pruner answered intermediate report `seq` of trial job `id`. */
  | { readonly kind: 'decision'; readonly id: number; readonly seq: number; readonly prune: boolean; readonly error?: string };

/** Message from a thread to the pool. */
export type FromThread =
  | { readonly kind: 'ready' }
  /** An intermediate value of job `id` for the study's pruner (answered by a 'decision'). */
  | { readonly kind: 'report'; readonly id: number; readonly seq: number; readonly step: number; readonly value: number }
  | { readonly kind: 'result'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'result'; readonly id: number; readonly ok: false; readonly error: string; readonly userError: boolean };

const port = parentPort;
if (port) {
  const controllers = new Map<number, AbortController>();
  // decisions awaited by the jobs' reports: `${job id}:${seq}` -> settle
  const pending = new Map<string, { resolve(prune: boolean): void; reject(e: Error): void }>();
  let seq = 0;
  const imports = ((workerData as { imports?: string[] } | undefined)?.imports ?? []) as string[];
  const ready = importEvaluationModules(imports);
  port.on('message', (m: ToThread) => {
    if (m.kind === 'abort') {
      controllers.get(m.id)?.abort();
      return;
    }
    if (m.kind === 'decision') {
      const p = pending.get(`${m.id}:${m.seq}`);
      pending.delete(`${m.id}:${m.seq}`);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.prune);
      return;
    }
    const ac = new AbortController();
    controllers.set(m.id, ac);
    const report = m.job.pruning
      ? (step: number, value: number): Promise<boolean> =>
          new Promise<boolean>((resolve, reject) => {
            const s = seq++;
            pending.set(`${m.id}:${s}`, { resolve, reject });
            port.postMessage({ kind: 'report', id: m.id, seq: s, step, value } satisfies FromThread);
          })
      : undefined;
    ready
      .then(() => executeTrialJob(m.job, ac.signal, report))
      .then(
        (result) => port.postMessage({ kind: 'result', id: m.id, ok: true, result } satisfies FromThread),
        (e: unknown) =>
          port.postMessage({
            kind: 'result',
            id: m.id,
            ok: false,
            error: e instanceof Error ? e.message : String(e),
            userError: isUserError(e),
          } satisfies FromThread),
      )
      .finally(() => controllers.delete(m.id));
  });
  port.postMessage({ kind: 'ready' } satisfies FromThread);
}
