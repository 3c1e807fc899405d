/** Entry of a {@link makeThreadPoolEvaluator} worker thread: runs trial jobs posted by the pool. */
import { parentPort, workerData } from 'node:worker_threads';
import { isUserError } from '../errors.js';
import { executeTrialJob } from './execute.js';
import { importEvaluationModules } from './registry.js';
import type { TrialJob } from './types.js';

/** Message from the pool to a thread. */
export type ToThread = { readonly kind: 'run'; readonly id: number; readonly job: TrialJob } | { readonly kind: 'abort'; readonly id: number };

/** Message from a thread to the pool. */
export type FromThread =
  | { readonly kind: 'ready' }
  | { readonly kind: 'result'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'result'; readonly id: number; readonly ok: false; readonly error: string; readonly userError: boolean };

const port = parentPort;
if (port) {
  const controllers = new Map<number, AbortController>();
  const imports = ((workerData as { imports?: string[] } | undefined)?.imports ?? []) as string[];
  const ready = importEvaluationModules(imports);
  port.on('message', (m: ToThread) => {
    if (m.kind === 'abort') {
      controllers.get(m.id)?.abort();
      return;
    }
    const ac = new AbortController();
    controllers.set(m.id, ac);
    ready
      .then(() => executeTrialJob(m.job, ac.signal))
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
