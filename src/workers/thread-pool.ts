/**
 * Local parallel trials: a pool of node:worker_threads, each building the evaluation from the
 * registry (functions cannot be sent to a thread; the study names its evaluation). The embedded
 * default when no Redis is given. A thread that crashes fails only its own trial (runStudy records
 * it) and is replaced. With a pruner, a thread's `ctx.report` posts each intermediate value here; the
 * study's pruner decides in this thread and the decision is posted back (a message round trip).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConfigError, UserError } from '../errors.js';
import type { Params } from '../search/types.js';
import type { EvaluationContext, EvaluationResult } from '../study/run-study.js';
import { type EvaluationSpec, getEvaluation } from './registry.js';
import type { FromThread, ToThread } from './thread-worker.js';
import type { RemoteEvaluator, TrialJobResult } from './types.js';

/** Options of {@link makeThreadPoolEvaluator}. */
export interface ThreadPoolOptions {
  /** The registered evaluation the threads run. */
  readonly evaluation: EvaluationSpec;
  /** Threads (default: the machine's available parallelism). */
  readonly threads?: number;
  /** Modules each thread imports first (they register more evaluations). */
  readonly imports?: readonly string[];
}

interface Task {
  readonly id: number;
  readonly msg: ToThread & { kind: 'run' };
  /** The study's `ctx.report` (its pruner), answering the thread's reports. */
  readonly report: ((step: number, value: number) => boolean | Promise<boolean>) | undefined;
  resolve(r: EvaluationResult): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  task: Task | undefined;
}

/**
 * An evaluator that runs trials in worker threads.
 * @example
 * const pool = makeThreadPoolEvaluator({ evaluation: { name: 'policy-cost' }, threads: 2 });
 * await runStudy({ ...opts, evaluate: pool.evaluate, concurrency: pool.concurrency });
 * await pool.close();
 */
export function makeThreadPoolEvaluator(o: ThreadPoolOptions): RemoteEvaluator {
  getEvaluation(o.evaluation.name);
  const n = o.threads ?? Math.max(1, availableParallelism());
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`threads ${JSON.stringify(o.threads)}: expected an integer >= 1`);
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 0;
  let closed = false;

  const spawnSlot = (): Slot => {
    const worker = new Worker(new URL('./thread-worker.js', import.meta.url), { workerData: { imports: [...(o.imports ?? [])] } });
    const slot: Slot = { worker, task: undefined };
    worker.on('message', (m: FromThread) => {
      if (m.kind === 'report') {
        // the round trip of pruning: the study's pruner decides here, the thread awaits the answer
        const t = slot.task;
        if (!t || t.id !== m.id) return;
        const answer = (d: { prune: boolean } | { error: string }): void =>
          worker.postMessage({
            kind: 'decision',
            id: m.id,
            seq: m.seq,
            prune: 'prune' in d && d.prune,
            ...('error' in d ? { error: d.error } : {}),
          } satisfies ToThread);
        try {
          Promise.resolve(t.report ? t.report(m.step, m.value) : false).then(
            (prune) => answer({ prune }),
            (e: unknown) => answer({ error: e instanceof Error ? e.message : String(e) }),
          );
        } catch (e) {
          answer({ error: e instanceof Error ? e.message : String(e) });
        }
        return;
      }
      if (m.kind !== 'result') return;
      const t = slot.task;
      if (!t || t.id !== m.id) return;
      slot.task = undefined;
      if (m.ok) {
        const r = m.result as TrialJobResult;
        t.resolve({
          values: r.values,
          ...(r.constraints ? { constraints: r.constraints } : {}),
          ...(r.userAttrs ? { userAttrs: r.userAttrs } : {}),
          ...(r.state ? { state: r.state } : {}),
        });
      } else t.reject(m.userError ? new UserError(m.error) : new Error(m.error));
      pump();
    });
    worker.on('error', () => undefined);
    worker.on('exit', (code) => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      slot.task?.reject(new Error(`evaluation thread exited with code ${code} during the trial`));
      slot.task = undefined;
      if (!closed) pump();
    });
    worker.unref();
    slots.push(slot);
    return slot;
  };

  const pump = (): void => {
    while (queue.length > 0) {
      let slot = slots.find((s) => s.task === undefined);
      if (!slot && slots.length < n) slot = spawnSlot();
      if (!slot) return;
      const t = queue.shift() as Task;
      slot.task = t;
      slot.worker.ref();
      slot.worker.postMessage(t.msg);
    }
    for (const s of slots) if (s.task === undefined) s.worker.unref();
  };

  const evaluate = (params: Params, ctx: EvaluationContext): Promise<EvaluationResult> => {
    if (closed) return Promise.reject(new Error('thread pool is closed'));
    const id = nextId++;
    return new Promise<EvaluationResult>((resolve, reject) => {
      const msg: ToThread & { kind: 'run' } = {
        kind: 'run',
        id,
        job: {
          studyName: ctx.studyName,
          ...(ctx.studyUid !== undefined ? { studyUid: ctx.studyUid } : {}),
          trialNumber: ctx.trialNumber,
          seed: ctx.seed,
          params,
          evaluation: o.evaluation,
          ...(ctx.report ? { pruning: true } : {}),
        },
      };
      const onAbort = (): void => {
        const qi = queue.findIndex((t) => t.id === id);
        if (qi >= 0) {
          queue.splice(qi, 1);
          reject(new Error('aborted before it started'));
        } else slots.find((s) => s.task?.id === id)?.worker.postMessage({ kind: 'abort', id } satisfies ToThread);
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => ctx.signal.removeEventListener('abort', onAbort);
      queue.push({
        id,
        msg,
        report: ctx.report,
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      pump();
    });
  };

  return {
    evaluate,
    concurrency: n,
    async close() {
      closed = true;
      for (const t of queue.splice(0)) t.reject(new Error('thread pool closed'));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
