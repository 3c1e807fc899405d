/**
 * Distributed trials on a BullMQ queue in Redis.
 *
 * - The study process uses {@link makeRedisEvaluator}: each trial becomes a job whose id is
 *   `<study>.<study uid>.<trial number>` (so enqueueing the same trial twice is one job, and a new study
 *   that reuses an old study's name never meets the old study's kept jobs), carrying the params and the
 *   evaluation's registry name; it awaits the job's result, checks that the result names the same
 *   study, uid and trial, and `runStudy` writes it to the store.
 * - `hwnas worker --redis ...` runs {@link runWorker}: it takes jobs, builds the evaluation from the
 *   registry and returns the result as the job's return value.
 * - A study process that dies leaves its jobs on the queue. When the resumed study retries those trials
 *   (same params, `ctx.previousAttempts`), the evaluator takes over the earlier attempt's job if it is
 *   still waiting, running or completed (not failed) instead of enqueuing the point again, so the
 *   orphaned work is used, not duplicated; the trial records the job in `hwnas:adopted_job`.
 * - A worker that dies mid-trial stops renewing its job lock; after `lockDuration` BullMQ's
 *   stalled-job check (run by every live worker each `stalledInterval`) puts the job back in the
 *   queue and another worker runs it. The dead worker can no longer complete it (its lock is gone),
 *   and the store finishes each (study, trial number) once (finished trials are immutable), so a
 *   result is never counted twice.
 * - Pruning: with a study pruner the job says so (`pruning`); the worker's `ctx.report` sends each
 *   intermediate value as the job's progress, the study process (its QueueEvents) asks its pruner and
 *   pushes the answer on a list per report ({@link pruneDecisionKey}) that the worker blocks on.
 * - Connections are `ioredis` clients from {@link connectRedis}: an unreachable URL is a ConfigError
 *   within seconds; after that, dropped connections reconnect. BullMQ owns the duplicates it opens for
 *   QueueEvents and the Worker; `close()` closes those and then ours, so the process can exit.
 */
import { randomUUID } from 'node:crypto';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { ConfigError } from '../errors.js';
import type { EvaluationContext, EvaluationResult } from '../study/run-study.js';
import { executeTrialJob } from './execute.js';
import { connectRedis } from './redis-connection.js';
import { disposeEvaluators, type EvaluationSpec, getEvaluation, importEvaluationModules } from './registry.js';
import type { RemoteEvaluator, TrialJob, TrialJobResult } from './types.js';

/** Trial attribute naming the job of an earlier attempt whose result a retry took over (see makeRedisEvaluator). */
export const ADOPTED_JOB_ATTR = 'hwnas:adopted_job';

/** JSON with object keys sorted (params compared whatever their key order). */
function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

/**
 * The Redis list a worker blocks on for the study's pruning decision on report `seq` of run `run` of job `jobId`: the
 * study process pushes '1' (prune), '0' (continue) or 'error:<message>' (the report was invalid). `run` is a random id
 * of one execution of the job: a job run again (its first worker died, or the stall check gave it to another) must not
 * take a decision pushed for a report of the earlier run (before session 56 it did, seq restarting at 0).
 */
export function pruneDecisionKey(queueName: string, jobId: string, seq: number, run?: string): string {
  return `hwnas-prune:${queueName}:${jobId}:${run === undefined ? '' : `${run}:`}${seq}`;
}

/** What a worker's `ctx.report` sends as the job's progress (read by the study process's QueueEvents). */
interface ReportProgress {
  readonly hwnas: 'report';
  readonly seq: number;
  /** The execution of the job that reported (see pruneDecisionKey); absent from workers before session 56. */
  readonly run?: string;
  readonly step: number;
  /** null for a non-finite value (JSON has no NaN) */
  readonly value: number | null;
}

const isReport = (d: unknown): d is ReportProgress =>
  typeof d === 'object' && d !== null && (d as ReportProgress).hwnas === 'report' && Number.isInteger((d as ReportProgress).seq);

/** What {@link within} gives for a call that has not answered in time. */
const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * `p`'s value, or TIMED_OUT when `p` has not settled within `ms` (its late value or error is then dropped: it
 * reaches nobody). The timer does not hold the process open.
 */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  p.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms).unref();
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** BullMQ options of every trial job: one attempt (the study loop retries), finished jobs kept a day (for adoption). */
const JOB_OPTIONS = { attempts: 1, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 24 * 3600 } } as const;

/** Default queue name. */
export const DEFAULT_QUEUE = 'hwnas-trials';

/** Job id of a trial: `<study>.<uid>.<number>` (`<study>.<number>` without a uid), URI-encoded (BullMQ ids may not contain ':'). */
export function trialJobId(studyName: string, trialNumber: number, studyUid?: string): string {
  return studyUid === undefined
    ? `${encodeURIComponent(studyName)}.${trialNumber}`
    : `${encodeURIComponent(studyName)}.${encodeURIComponent(studyUid)}.${trialNumber}`;
}

/** The queue name, checked (ConfigError naming it): 1-100 letters, digits, '_', '.', '-'; never blank. */
export function checkQueueName(name: string): string {
  if (name.trim() === '')
    throw new ConfigError(
      `queue name ${JSON.stringify(name)} is empty: expected a name (1-100 letters, digits, '_', '.', '-') or no --queue for '${DEFAULT_QUEUE}'`,
    );
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) throw new ConfigError(`queue name ${JSON.stringify(name)}: expected 1-100 letters, digits, '_', '.', '-'`);
  return name;
}

/** Options of {@link makeRedisEvaluator}. */
export interface RedisEvaluatorOptions {
  /** redis://host:port[/db] */
  readonly redisUrl: string;
  /** Queue name (default 'hwnas-trials'); workers must use the same. */
  readonly queueName?: string;
  /** The registered evaluation workers run. */
  readonly evaluation: EvaluationSpec;
  /**
   * Unique id of the study (its `uid` attribute; default: the one the study loop gives each evaluation,
   * `EvaluationContext.studyUid`): part of every job id, so jobs kept from an earlier study of the same name
   * (BullMQ keeps finished jobs 24 h) are never taken for this study's; workers hand it to the evaluation.
   */
  readonly studyUid?: string;
  /** Evaluations in flight at once (default 4): pass the returned `concurrency` to runStudy. */
  readonly concurrency?: number;
  /** Give up waiting for one trial after this many ms (default: wait forever). */
  readonly timeoutMs?: number;
  /** Give up connecting to Redis after this many ms (default 5,000). */
  readonly connectTimeoutMs?: number;
  /**
   * How often the state of each awaited job is read from Redis (default 5,000 ms): a job that is gone (Redis
   * restarted without its data, or flushed) is enqueued again; a finished job whose event was lost is taken.
   */
  readonly checkIntervalMs?: number;
  /**
   * Longest wait for one Redis call of that state check (default 10,000 ms). A call still unanswered then (its
   * connection stuck across a Redis restart, or a network path that went silent) is abandoned, its answer ignored
   * if it ever comes, the connection is dropped and reopened, and the check runs again on the next tick.
   */
  readonly callTimeoutMs?: number;
  /** A job lost this many times fails its trial with an error naming it (default 3; the study's retries apply). */
  readonly maxRequeues?: number;
  /** Receives one line per notable event: the queue being waited on, a lost job enqueued again (default: none). */
  readonly log?: (line: string) => void;
}

/**
 * An evaluator that enqueues trials on Redis and awaits the workers' results.
 * @example
 * const remote = await makeRedisEvaluator({ redisUrl: 'redis://127.0.0.1:6379', evaluation: { name: 'zdt1' } });
 * await runStudy({ ...opts, evaluate: remote.evaluate, concurrency: remote.concurrency });
 * await remote.close();
 */
export async function makeRedisEvaluator(o: RedisEvaluatorOptions): Promise<RemoteEvaluator> {
  getEvaluation(o.evaluation.name); // fail early on an unknown name
  const name = checkQueueName(o.queueName ?? DEFAULT_QUEUE);
  const conn = await connectRedis(o.redisUrl, o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {});
  // The Queue uses this connection; QueueEvents (blocking XREAD) opens and owns a duplicate of it.
  const queue = new Queue<TrialJob, TrialJobResult>(name, { connection: conn.client });
  queue.on('error', () => undefined); // reconnects are automatic; the errors would otherwise throw from EventEmitter.emit
  let events: QueueEvents | undefined;
  try {
    await queue.waitUntilReady();
    // Events are read from the stream's current end, not from '$' (BullMQ's default): with '$', an event
    // written before the first blocking read reaches Redis is lost, and a job finishing then (such as an
    // orphaned job a retry takes over just after a restart) would be waited for forever.
    const tail = (await conn.client.xrevrange(queue.keys.events as string, '+', '-', 'COUNT', 1)) as [string, string[]][];
    events = new QueueEvents(name, { connection: conn.client, lastEventId: tail[0]?.[0] ?? '0-0' });
    events.on('error', () => undefined);
    await events.waitUntilReady();
  } catch (e) {
    await Promise.allSettled([events?.close(), queue.close()]);
    await conn.close();
    throw e;
  }
  const ev = events;
  const checkMs = o.checkIntervalMs ?? 5000;
  const maxRequeues = o.maxRequeues ?? 3;
  const callMs = o.callTimeoutMs ?? 10_000;
  // One Redis call of a job's state check, bounded: unanswered in time -> TIMED_OUT, and the connection (which
  // answers in order, so everything behind the stuck call waits too) is dropped and reopened; ioredis sends the
  // unanswered commands again on the new one.
  const bounded = async <T>(what: string, jobId: string, p: Promise<T>): Promise<T | typeof TIMED_OUT> => {
    const r = await within(p, callMs);
    if (r === TIMED_OUT) {
      o.log?.(`Redis did not answer ${what} of job ${jobId} within ${callMs} ms: reconnecting; the job's state is read again in ${checkMs} ms`);
      if (conn.client.status === 'ready') conn.client.disconnect(true);
    }
    return r;
  };
  let inFlight = 0;
  let finished = 0;
  let announced = false;
  const shownUrl = o.redisUrl.replace(/\/\/[^@/]*@/, '//***@'); // no password in logs
  // pruning: intermediate values arrive as job progress events; the study's pruner answers on a Redis list
  const reporters = new Map<string, (report: ReportProgress) => void>();
  ev.on('progress', ({ jobId, data }: { jobId: string; data: unknown }) => {
    if (isReport(data)) reporters.get(jobId)?.(data);
  });
  // Each awaited job's finish, from the events stream. (Not BullMQ's `job.waitUntilFinished`: its first check
  // runs in an async Promise executor, so a job that Redis lost meanwhile ("Missing key for job ... isFinished")
  // became an unhandled rejection that failed the trial or the process, before the state check below could
  // enqueue the job again.) The waiter is set before the job is enqueued, so no event can come before it.
  const waiters = new Map<string, { resolve: (value: unknown) => void; reject: (e: Error) => void }>();
  ev.on('completed', ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => waiters.get(jobId)?.resolve(returnvalue));
  ev.on('failed', ({ jobId, failedReason }: { jobId: string; failedReason: string }) =>
    waiters.get(jobId)?.reject(new Error(failedReason || `job ${jobId} failed`)),
  );
  const evaluate = async (params: Parameters<RemoteEvaluator['evaluate']>[0], ctx: EvaluationContext): Promise<EvaluationResult> => {
    const uid = o.studyUid ?? ctx.studyUid;
    const data: TrialJob = {
      studyName: ctx.studyName,
      trialNumber: ctx.trialNumber,
      ...(uid !== undefined ? { studyUid: uid } : {}),
      seed: ctx.seed,
      params,
      evaluation: o.evaluation,
      ...(ctx.report ? { pruning: true } : {}),
    };
    // A retry of trials whose study process died: their jobs may still be queued, running or done on the
    // workers. Take over the newest one that has not failed (same study uid and params) instead of running
    // the point again; its result then names that earlier trial.
    let adopted: { job: Job<TrialJob, TrialJobResult>; id: string; trial: number } | undefined;
    for (const p of ctx.previousAttempts ?? []) {
      const id = trialJobId(ctx.studyName, p, uid);
      const old = (await queue.getJob(id)) as Job<TrialJob, TrialJobResult> | undefined;
      if (!old || old.data.studyUid !== uid || stableJson(old.data.params) !== stableJson(params)) continue;
      const state = await old.getState();
      if (state === 'failed' || state === 'unknown') continue;
      adopted = { job: old, id, trial: p };
      break;
    }
    const jobId = adopted?.id ?? trialJobId(ctx.studyName, ctx.trialNumber, uid);
    const owner = adopted?.trial ?? ctx.trialNumber;
    const report = ctx.report;
    if (report) {
      reporters.set(jobId, (r) => {
        const key = pruneDecisionKey(name, jobId, r.seq, typeof r.run === 'string' ? r.run : undefined);
        Promise.resolve()
          .then(() => report(r.step, r.value ?? Number.NaN))
          .then(
            (prune) => (prune ? '1' : '0'),
            (e: unknown) => `error:${e instanceof Error ? e.message : String(e)}`,
          )
          .then((answer) => conn.client.multi().rpush(key, answer).expire(key, 3600).exec())
          .catch(() => undefined); // Redis gone: the worker's wait times out and it carries on
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const notified = new Promise<unknown>((resolve, reject) => {
      waiters.set(jobId, { resolve, reject });
      if (o.timeoutMs !== undefined)
        timer = setTimeout(
          () => reject(new Error(`job ${jobId} (trial ${ctx.studyName}#${ctx.trialNumber}) did not finish within ${o.timeoutMs} ms`)),
          o.timeoutMs,
        );
    });
    notified.catch(() => undefined);
    const jobData = adopted?.job.data ?? data;
    const enqueue = (): Promise<Job<TrialJob, TrialJobResult>> => queue.add('trial', jobData, { jobId, ...JOB_OPTIONS });
    let job = adopted?.job ?? (await enqueue());
    inFlight++;
    if (!announced) {
      announced = true;
      // once the first round is enqueued (the study loop adds its `concurrency` trials back to back)
      setTimeout(() => {
        if (finished === 0)
          o.log?.(`${inFlight} trial(s) enqueued on queue '${name}' at ${shownUrl}; waiting for workers (hwnas worker --redis <url> --queue ${name})`);
      }, 200).unref();
    }
    let rejectAbort: (e: Error) => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      rejectAbort = reject;
    });
    aborted.catch(() => undefined);
    let watching = true; // the job's state is checked (below) until this trial settles or is aborted
    const onAbort = (): void => {
      watching = false;
      // Not started yet: take it off the queue. A running job finishes on its worker; its result is ignored.
      void job.remove().catch(() => undefined);
      rejectAbort(new Error('aborted'));
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    // The completion event is not enough: a Redis restarted without its data (or flushed) forgets the job and
    // nobody would ever finish it, and an event written while this process was reconnecting may be lost. So the
    // job's state is read every checkInterval: gone -> enqueued again (the same id and data, so the result still
    // names this trial, and its waiter above still listens for that id); finished -> its result is taken from the job.
    const watched = (async (): Promise<unknown> => {
      let requeues = 0;
      // an adopted job may have finished already: its state is read at once
      for (let wait = adopted === undefined; ; wait = true) {
        if (wait) await new Promise((r) => setTimeout(r, checkMs).unref()); // unref: a settled trial's last wait must not hold the process open
        if (!watching) return new Promise<never>(() => undefined);
        // A call that timed out is abandoned (its answer, if any, is dropped by `within`; this loop only ever
        // reads this trial's job id) and the state is read again on the next tick.
        const state = await bounded('the state check', jobId, queue.getJobState(jobId));
        if (!watching) return new Promise<never>(() => undefined);
        if (state === TIMED_OUT) continue;
        if (state === 'completed' || state === 'failed') {
          const done = await bounded('the result read', jobId, queue.getJob(jobId) as Promise<Job<TrialJob, TrialJobResult> | undefined>);
          if (!watching) return new Promise<never>(() => undefined);
          if (done === TIMED_OUT) continue;
          if (done && state === 'completed') return done.returnvalue;
          if (done) throw new Error(done.failedReason || `job ${jobId} failed`);
        } else if (state !== 'unknown') continue;
        if (++requeues > maxRequeues)
          throw new Error(
            `job ${jobId} (trial ${ctx.studyName}#${ctx.trialNumber}) vanished from Redis ${requeues} times; is the Redis at ${shownUrl} being restarted without its data or flushed? (see docs/evaluators.md, Redis workers)`,
          );
        o.log?.(
          `job ${jobId} (trial ${ctx.studyName}#${ctx.trialNumber}) is gone from Redis (restarted without its data, or flushed?): enqueued it again on queue '${name}'`,
        );
        const again = await bounded('enqueuing again', jobId, enqueue());
        if (again === TIMED_OUT) continue; // it may still land: same id and data, so the next tick finds it either way
        job = again;
        if (!watching) await job.remove().catch(() => undefined); // aborted meanwhile: take it off again
      }
    })();
    watched.catch(() => undefined);
    try {
      const raw: unknown = await Promise.race([notified, watched, aborted]);
      const r = (typeof raw === 'string' ? JSON.parse(raw) : raw) as TrialJobResult | null;
      if (r === null || typeof r !== 'object' || !Array.isArray(r.values))
        throw new Error(`job ${jobId} returned ${JSON.stringify(raw)}; expected {values: number[]}`);
      // A result must belong to this trial: a job id reused by another study (or a worker bug) is an error, never a value.
      if ((r.studyName !== undefined && r.studyName !== ctx.studyName) || (r.trialNumber !== undefined && r.trialNumber !== owner) || r.studyUid !== uid) {
        throw new Error(
          `job ${jobId} returned the result of ${JSON.stringify({ study: r.studyName, uid: r.studyUid, trial: r.trialNumber })}; expected ${JSON.stringify({ study: ctx.studyName, uid, trial: owner })}`,
        );
      }
      return {
        values: r.values.map((v) => (typeof v === 'number' ? v : Number.NaN)),
        ...(r.constraints ? { constraints: r.constraints } : {}),
        userAttrs: { ...(r.userAttrs ?? {}), 'hwnas:worker': r.worker, ...(adopted ? { [ADOPTED_JOB_ATTR]: jobId } : {}) },
        ...(r.state ? { state: r.state } : {}),
      };
    } finally {
      inFlight--;
      finished++;
      watching = false;
      ctx.signal.removeEventListener('abort', onAbort);
      reporters.delete(jobId);
      waiters.delete(jobId);
      clearTimeout(timer);
    }
  };
  return {
    evaluate,
    concurrency: o.concurrency ?? 4,
    async close() {
      await ev.close();
      await queue.close();
      await conn.close();
    },
  };
}

/**
 * How worker logs name a trial: `<study>#<number>` and the first 8 characters of the study's uid, so two
 * same-named studies (of two stores) sharing a queue can be told apart.
 * @example trialLabel({ studyName: 'r1', trialNumber: 5, studyUid: '3f2a91c0-...' }) // 'r1#5 (uid 3f2a91c0)'
 */
export function trialLabel(t: Pick<TrialJob, 'studyName' | 'trialNumber' | 'studyUid'>): string {
  return `${t.studyName}#${t.trialNumber}${t.studyUid !== undefined ? ` (uid ${t.studyUid.slice(0, 8)})` : ''}`;
}

/** Options of {@link runWorker}. */
export interface RunWorkerOptions {
  /** redis://host:port[/db] */
  readonly redisUrl: string;
  /** Queue name (default 'hwnas-trials'). */
  readonly queueName?: string;
  /** Trials run at once by this worker (default 1). */
  readonly concurrency?: number;
  /** Modules to import first: they register more evaluations. */
  readonly imports?: readonly string[];
  /** A job whose lock is not renewed for this long is stalled (default 30,000 ms). */
  readonly lockDurationMs?: number;
  /** How often this worker checks for stalled jobs (default 30,000 ms). */
  readonly stalledIntervalMs?: number;
  /** Stalls before a job fails for good (default 3). */
  readonly maxStalledCount?: number;
  /** Give up connecting to Redis after this many ms (default 5,000). */
  readonly connectTimeoutMs?: number;
  /**
   * Pruning: how long an evaluation's `ctx.report` waits for the study process's decision before it
   * carries on as if told to continue (default 60,000 ms; the study process may have died).
   */
  readonly reportTimeoutMs?: number;
  /** Called once connected, before the first job is taken (e.g. to print a banner). */
  readonly onReady?: () => void;
  /**
   * Called when a job starts and ends (for logs): `done` once its result is stored in Redis, `undelivered`
   * when it was computed but Redis no longer had the job (restarted without its data or flushed), `error` when
   * the evaluation failed.
   */
  readonly onJob?: (e: {
    readonly event: 'start' | 'done' | 'undelivered' | 'error';
    readonly jobId: string;
    readonly trial: TrialJob;
    readonly result?: TrialJobResult;
    readonly error?: string;
  }) => void;
}

/** A running worker. */
export interface RunningWorker {
  /** Jobs this worker completed (a result Redis could not take, its job gone, is not counted). */
  readonly completed: () => number;
  /** The trials running now. */
  readonly running: () => readonly TrialJob[];
  /** True while the connection to Redis is up. */
  readonly connected: () => boolean;
  /**
   * Stops taking jobs, waits for the running ones, closes connections and disposes the evaluations the process
   * keeps (registry.ts, disposeEvaluators). With `force`, running jobs are abandoned (BullMQ's stall check gives them to
   * another worker) and nothing waits for Redis.
   */
  close(o?: { readonly force?: boolean }): Promise<void>;
}

/** Starts a worker that runs queued trials until closed. */
export async function runWorker(o: RunWorkerOptions): Promise<RunningWorker> {
  const name = checkQueueName(o.queueName ?? DEFAULT_QUEUE);
  await importEvaluationModules(o.imports ?? []);
  const conn = await connectRedis(o.redisUrl, o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {});
  let completed = 0;
  const running = new Map<string, TrialJob>();
  const worker = new Worker<TrialJob, TrialJobResult>(
    name,
    async (job: Job<TrialJob, TrialJobResult>, _token?: string, signal?: AbortSignal) => {
      const id = job.id ?? '?';
      running.set(id, job.data);
      o.onJob?.({ event: 'start', jobId: id, trial: job.data });
      // pruning: each intermediate value goes to the study process as the job's progress; the decision
      // comes back on a list this job blocks on (its own connection: BLPOP holds it)
      let blocking: ReturnType<typeof conn.client.duplicate> | undefined;
      let seq = 0;
      const run = randomUUID();
      const waitS = Math.max(1, Math.ceil((o.reportTimeoutMs ?? 60_000) / 1000));
      const report = job.data.pruning
        ? async (step: number, value: number): Promise<boolean> => {
            const s = seq++;
            await job.updateProgress({ hwnas: 'report', seq: s, run, step, value: Number.isFinite(value) ? value : null } satisfies ReportProgress);
            blocking ??= conn.client.duplicate();
            const got = await blocking.blpop(pruneDecisionKey(name, id, s, run), waitS);
            if (got === null) return false; // no answer: the study process is gone or busy; keep going
            if (got[1].startsWith('error:')) throw new ConfigError(got[1].slice('error:'.length));
            return got[1] === '1';
          }
        : undefined;
      try {
        const r = await executeTrialJob(job.data, signal ?? new AbortController().signal, report);
        completed++; // counted here (the study may see the result before the 'completed' event below); undone if undelivered
        return r;
      } catch (e) {
        running.delete(id);
        o.onJob?.({ event: 'error', jobId: id, trial: job.data, error: String((e as Error)?.message ?? e) });
        throw e;
      } finally {
        blocking?.disconnect();
      }
    },
    {
      // The worker opens and owns two duplicates of this connection (both blocking-safe).
      connection: conn.client,
      concurrency: o.concurrency ?? 1,
      lockDuration: o.lockDurationMs ?? 30_000,
      stalledInterval: o.stalledIntervalMs ?? 30_000,
      maxStalledCount: o.maxStalledCount ?? 3,
      autorun: false,
    },
  );
  // 'completed' comes once the result is stored in Redis: only then is the trial done
  worker.on('completed', (job: Job<TrialJob, TrialJobResult>, result: TrialJobResult) => {
    const id = job.id ?? '?';
    running.delete(id);
    o.onJob?.({ event: 'done', jobId: id, trial: job.data, result });
  });
  worker.on('error', (e: Error) => {
    // connection hiccups are retried by BullMQ; never crash the process on them. A result that could not be
    // stored because Redis lost the job (restarted without its data, or flushed) is reported, not taken for done.
    const lost = /Missing (?:key|lock) for job (\S+?)\.? /.exec(`${e?.message ?? ''} `);
    const id = lost?.[1];
    const trial = id !== undefined ? running.get(id) : undefined;
    if (id === undefined || trial === undefined) return;
    running.delete(id);
    completed--;
    o.onJob?.({ event: 'undelivered', jobId: id, trial, error: e.message });
  });
  try {
    await worker.waitUntilReady();
  } catch (e) {
    await worker.close(true).catch(() => undefined);
    await conn.close();
    throw e;
  }
  o.onReady?.();
  void worker.run().catch(() => undefined); // errors are emitted as 'error' too
  return {
    completed: () => completed,
    running: () => [...running.values()],
    connected: () => conn.client.status === 'ready',
    async close(c = {}) {
      if (c.force) {
        // nothing may wait for Redis: drop every connection, then let BullMQ's close finish on the dead sockets
        conn.client.disconnect();
        await Promise.race([worker.close(true).catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
        await disposeEvaluators(); // the abandoned trials' evaluations are disposed when their calls end
        return;
      }
      await worker.close();
      await conn.close();
      await disposeEvaluators(); // the evaluations this worker built free their tensors
    },
  };
}
