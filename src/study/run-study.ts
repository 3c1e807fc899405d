/**
 * The optimisation loop, written on ask/tell: ask the strategy (state rebuilt from the stored
 * history, shown as ./proposal-view.ts makes it timing-independent), create the trial, evaluate it (possibly remotely, several at once), finish it in the
 * store, report progress. Resumes from whatever the store holds: trials left running by a dead
 * process are marked failed and retried per the {@link RetryPolicy}. The history is held in a
 * {@link StudyHistory} that reads only what changed in the store, so the overhead per trial does not
 * grow with the number of trials, and trials written by other processes are still seen.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { ConfigError, UserError } from '../errors.js';
import { paretoTrials, toMinimization, violation } from '../search/pareto.js';
import type { SearchSpace } from '../search/space.js';
import {
  type CheapObjectives,
  type FailReason,
  type JsonValue,
  type Objective,
  type Params,
  type SearchStrategy,
  type Trial,
  trialSeed,
} from '../search/types.js';
import type { RunningTrialInfo, Store, StudyRecord } from '../store/types.js';
import { Rng } from '../util/rng.js';
import { proposalView } from './proposal-view.js';
import { INTERMEDIATE_ATTR, type Pruner, pruneReporter } from './pruning.js';
import { ATTR, DEFAULT_MAX_RETRIES, StudyHistory } from './study-history.js';

/** What the loop hands to an evaluation besides the parameters; everything but `signal` and `setUserAttr` is JSON, so evaluation can be remote. */
export interface EvaluationContext {
  readonly studyName: string;
  /**
   * The study's unique id ({@link studyUid}): study names are unique only within a store, so whatever an evaluation
   * keeps outside the store (the `command` evaluation's trial folders) is named with it.
   */
  readonly studyUid?: string;
  readonly trialNumber: number;
  /**
   * A seed for the evaluation's own randomness, derived from the study seed and the trial's proposal index (the
   * trial number in a run without retries; a retry gets its first attempt's seed).
   */
  readonly seed: number;
  /** Aborted when the study is being stopped (Ctrl-C); long evaluations should give up early. */
  readonly signal: AbortSignal;
  /** Writes an attribute of the running trial (progress, intermediate metrics). */
  readonly setUserAttr: (key: string, value: JsonValue) => void;
  /**
   * Present when the study has a pruner: reports the first objective's intermediate value at `step`; true
   * means stop now and return `state: 'pruned'`. In the study's process the answer is immediate (a
   * boolean); in a worker thread or a Redis worker it is a promise, settled when the study process's
   * pruner has answered (a message round trip), so an evaluation must `await` it.
   */
  readonly report?: (step: number, value: number) => boolean | Promise<boolean>;
  /**
   * Earlier attempts at these same parameters: the trials this one retries because their process died,
   * newest first (absent or empty for a first attempt). A remote evaluator may take over their work
   * still queued, running or finished elsewhere instead of starting it again (the Redis evaluator does).
   */
  readonly previousAttempts?: readonly number[];
}

/** Result of one evaluation. */
export interface EvaluationResult {
  /** One value per objective, in the study's objective order. */
  readonly values: readonly number[];
  /** Constraint violations (<= 0 feasible). */
  readonly constraints?: readonly number[];
  /** Attributes to store with the result (sizes, per-layer costs, file paths, ...). */
  readonly userAttrs?: Readonly<Record<string, JsonValue>>;
  /** 'pruned' when the evaluation stopped early on purpose (default 'complete'). */
  readonly state?: 'complete' | 'pruned';
}

/** Evaluates one candidate; may run in another thread, process or machine. */
export type Evaluator = (params: Params, ctx: EvaluationContext) => Promise<EvaluationResult>;

export { DEFAULT_MAX_RETRIES } from './study-history.js';

/** Which failed trials are run again (as new trials with the same parameters and evaluation seed). */
export interface RetryPolicy {
  /** Retries per original trial (default {@link DEFAULT_MAX_RETRIES}). */
  readonly maxRetries?: number;
  /** Also retry trials whose evaluation threw (default false: only crashed/interrupted ones). */
  readonly onError?: boolean;
}

/** Progress report after every finished trial. */
export interface StudyProgress {
  /**
   * Finished trials counted against the budget so far (those of earlier runs of the study included; running trials,
   * which count against the budget already, are not done): it grows by one per finished counted trial, so a resumed
   * study with 2 stored trials reports 3, 4, ... and the budget is reported once.
   */
  readonly done: number;
  /** The budget (nTrials). */
  readonly total: number;
  /** The trial that just finished. */
  readonly trial: Trial;
  /** Best feasible trial (one objective) or the feasible Pareto set (several). */
  readonly best: readonly Trial[];
  /** Milliseconds since this run started. */
  readonly elapsedMs: number;
  /** Estimated milliseconds to finish (null until a trial of this run has finished). */
  readonly etaMs: number | null;
}

/** Options of {@link runStudy}. */
export interface RunStudyOptions {
  readonly store: Store;
  readonly studyName: string;
  readonly space: SearchSpace;
  readonly objectives: readonly Objective[];
  readonly strategy: SearchStrategy;
  readonly evaluate: Evaluator;
  /** Budget: the study ends when this many trials count (complete, pruned, or failed and not retried). */
  readonly nTrials: number;
  /** Study seed; the same seed and history give the same proposals. */
  readonly seed: number;
  readonly onProgress?: (p: StudyProgress) => void;
  /** Stops asking; in-flight evaluations see an aborted signal; finished work is kept. */
  readonly signal?: AbortSignal;
  readonly retry?: RetryPolicy;
  /** Keep going when an evaluation throws (the trial is marked failed either way; default false: rethrow). */
  readonly catchErrors?: boolean;
  /**
   * Evaluations in flight at once (default 1). With n > 1, proposal k is asked once proposals up to k - n have finished
   * (unless the strategy is `timingFree`), so the same seed gives the same trials whatever the evaluations' durations.
   */
  readonly concurrency?: number;
  /**
   * With `concurrency` > 1: ask each proposal as soon as a slot is free, shown whatever has finished by then (the
   * behaviour before session 54). Faster when evaluation durations vary (measured up to 2x at 4 in flight with
   * exponential durations), but the same seed may give other trials from run to run and after a resume. Default false.
   */
  readonly asFinished?: boolean;
  /** A running trial whose heartbeat is older than this is considered dead (default {@link DEFAULT_STALE_AFTER_MS}: 10 minutes). */
  readonly staleAfterMs?: number;
  /** Heartbeat interval of running trials (default 30 s). */
  readonly heartbeatMs?: number;
  /** Stops unpromising trials early from their intermediate values (see ./pruning.ts). */
  readonly pruner?: Pruner;
  /** Study attributes written when the study is created. */
  readonly studyUserAttrs?: Readonly<Record<string, JsonValue>>;
  /** Cost-aware studies: objectives the strategy may compute for any candidate without a trial (handed to every ask). */
  readonly cheapObjectives?: CheapObjectives;
}

/** What {@link runStudy} returns. */
export interface StudyResult {
  readonly study: StudyRecord;
  /** Every trial of the study at the end. */
  readonly trials: readonly Trial[];
  /** Trials created by this call. */
  readonly created: number;
  /** Trials marked failed because their process had died. */
  readonly recovered: number;
  /** True when stopped by the signal before the budget was reached. */
  readonly aborted: boolean;
  /** Best feasible trial (one objective) or feasible Pareto set. */
  readonly best: readonly Trial[];
}

export { ATTR } from './study-history.js';

/** Best feasible trial (single objective) or the feasible Pareto set (several objectives). */
export function bestTrials(trials: readonly Trial[], objectives: readonly Objective[]): Trial[] {
  if (objectives.length > 1) return paretoTrials(trials, objectives);
  let best: Trial | undefined;
  let bestV = Infinity;
  for (const t of trials) {
    if (t.state !== 'complete' || t.values === null || violation(t.constraints) > 0) continue;
    const v = toMinimization(t.values, objectives)[0] as number;
    if (v < bestV) {
      bestV = v;
      best = t;
    }
  }
  return best ? [best] : [];
}

/** True when a process with this pid exists on this machine. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A running trial's heartbeat older than this (default of {@link RunStudyOptions.staleAfterMs}) means its process is gone. */
export const DEFAULT_STALE_AFTER_MS = 600_000;

/**
 * Why a running trial's process is presumed gone, or undefined while it may be alive: `'process-gone'` (its worker ran
 * on this host and that pid no longer exists; a trial of this process is never gone) or `'stale-heartbeat'` (no
 * heartbeat for `staleAfterMs`; the loop beats every 30 s). Reads nothing and writes nothing.
 */
export function runningTrialGone(r: RunningTrialInfo, staleAfterMs = DEFAULT_STALE_AFTER_MS, now = Date.now()): 'process-gone' | 'stale-heartbeat' | undefined {
  const [h, pidText] = (r.worker ?? '').split(':');
  const pid = Number(pidText);
  if (h === hostname() && Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) return 'process-gone';
  return now - Date.parse(r.heartbeatAt) > staleAfterMs ? 'stale-heartbeat' : undefined;
}

/**
 * Marks as failed the running trials whose worker is gone ({@link runningTrialGone}: same host and the pid no longer
 * exists, or a heartbeat older than `staleAfterMs`). Returns their numbers.
 */
export function recoverStaleTrials(store: Store, studyName: string, staleAfterMs = DEFAULT_STALE_AFTER_MS): number[] {
  const out: number[] = [];
  for (const r of store.getRunningTrials(studyName)) {
    if (runningTrialGone(r, staleAfterMs) === undefined) continue;
    try {
      store.finishTrial(studyName, r.number, { state: 'failed', userAttrs: { [ATTR.failReason]: 'worker-died' } });
      out.push(r.number);
    } catch (e) {
      if (!(e instanceof UserError)) throw e; // finished meanwhile by its (live) worker
    }
  }
  return out;
}

/**
 * Marks failed (reason 'aborted', so they are run again) the running trials of a study that this process created, when
 * it must stop at once (a second Ctrl-C): the store then shows no trial running for a process that is gone, and the
 * next run retries them with their seeds, as after one Ctrl-C. Returns their numbers.
 */
export function abortOwnRunningTrials(store: Store, studyName: string): number[] {
  const mine = `${hostname()}:${process.pid}:`;
  const out: number[] = [];
  for (const r of store.getRunningTrials(studyName)) {
    if (!r.worker?.startsWith(mine)) continue;
    try {
      store.finishTrial(studyName, r.number, {
        state: 'failed',
        userAttrs: { [ATTR.failReason]: 'aborted', [ATTR.error]: 'stopped by a second interrupt' },
      });
      out.push(r.number);
    } catch (e) {
      if (!(e instanceof UserError)) throw e; // finished meanwhile
    }
  }
  return out;
}

/**
 * The unique id of a study: its `uid` attribute (a random UUID, made when `hwnas study create` or a command created it);
 * for a study without one (made before uids existed, or by {@link runStudy} directly) its store id and creation time,
 * which tell a reused name apart within a store.
 */
export function studyUid(study: StudyRecord): string {
  return typeof study.userAttrs.uid === 'string' ? study.userAttrs.uid : `${study.id}-${study.createdAt}`;
}

/** Runs (or resumes) a study until `nTrials` trials count, the signal aborts, or an evaluation throws. */
export async function runStudy(o: RunStudyOptions): Promise<StudyResult> {
  const { store, studyName, space, objectives } = o;
  if (!Number.isInteger(o.nTrials) || o.nTrials < 0) throw new ConfigError(`nTrials ${JSON.stringify(o.nTrials)}: expected an integer >= 0`);
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError(`concurrency ${JSON.stringify(o.concurrency)}: expected an integer >= 1`);
  const maxRetries = o.retry?.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new ConfigError(`maxRetries ${JSON.stringify(o.retry?.maxRetries)}: expected an integer >= 0`);
  const retryOnError = o.retry?.onError ?? false;
  const study = openStudy(o);
  const uid = studyUid(study);
  const worker = `${hostname()}:${process.pid}:${new Rng(Date.now() >>> 0).nextU32().toString(36)}`;
  const recovered = recoverStaleTrials(store, studyName, o.staleAfterMs).length;
  const started = Date.now();
  let created = 0;
  let finishedHere = 0;
  let firstError: unknown;
  /** This process's evaluations in flight, by trial number. */
  const inFlight = new Map<number, Promise<void>>();
  /** The proposal to be asked next and the proposals it is shown finished (those below `visibleBelow`). */
  let gate = { proposal: -1, visibleBelow: 0 };
  const controller = new AbortController();
  // every evaluation in flight may listen for the abort: no "possible memory leak" warning at high concurrency
  setMaxListeners(concurrency + 10, controller.signal);
  const onAbort = (): void => controller.abort(o.signal?.reason);
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });

  const history = new StudyHistory({ store, studyName, objectives, maxRetries, retryOnError });
  history.refresh();

  const finish = (number: number, f: Parameters<Store['finishTrial']>[2]): Trial => {
    const t = store.finishTrial(studyName, number, f);
    history.put(t);
    finishedHere++;
    o.strategy.tell?.(t, { objectives });
    if (o.onProgress) {
      history.refresh();
      // running trials count against the budget but are not done: counting them reported 4/8 after the third of 8
      // trials had finished at 2 threads, and 8/8 twice (when the 7th finished with the 8th running, then the 8th)
      const done = history.counted - history.running;
      const perTrial = (Date.now() - started) / finishedHere;
      o.onProgress({
        done,
        total: o.nTrials,
        trial: t,
        best: history.best(),
        elapsedMs: Date.now() - started,
        etaMs: Math.max(0, ((o.nTrials - done) * perTrial) / concurrency),
      });
    }
    return t;
  };

  const evaluateTrial = async (trial: Trial): Promise<void> => {
    const timer = setInterval(() => {
      try {
        store.heartbeat(studyName, trial.number);
      } catch {
        /* finished meanwhile */
      }
    }, o.heartbeatMs ?? 30_000);
    timer.unref();
    try {
      const ctx: EvaluationContext = {
        studyName,
        studyUid: uid,
        trialNumber: trial.number,
        // From the proposal index, not the trial number: a retry of a crashed trial is evaluated with the seed of
        // its first attempt, and later trials keep theirs, so a resumed study's values are an uninterrupted run's.
        seed: trialSeed(o.seed ^ 0x5bd1e995, history.proposalIndex(trial.number)),
        signal: controller.signal,
        setUserAttr: (k, v) => store.setTrialUserAttr(studyName, trial.number, k, v),
        ...(o.pruner
          ? {
              report: pruneReporter({
                pruner: o.pruner,
                trialNumber: trial.number,
                direction: (objectives[0] as Objective).direction,
                others: () => history.trials(),
                store: (v) => store.setTrialUserAttr(studyName, trial.number, INTERMEDIATE_ATTR, v),
              }),
            }
          : {}),
        ...(trial.userAttrs[ATTR.retryOf] !== undefined ? { previousAttempts: history.previousAttempts(trial.number) } : {}),
      };
      let r: EvaluationResult;
      try {
        r = await o.evaluate(trial.params, ctx);
      } catch (e) {
        const aborted = controller.signal.aborted;
        finish(trial.number, {
          state: 'failed',
          userAttrs: { [ATTR.failReason]: aborted ? 'aborted' : 'error', [ATTR.error]: String((e as Error)?.message ?? e) },
        });
        if (!aborted && !o.catchErrors) throw e;
        return;
      }
      if (r?.state === 'pruned' && Array.isArray(r.values) && r.values.length === 0) {
        finish(trial.number, { state: 'pruned', ...(r.userAttrs ? { userAttrs: r.userAttrs } : {}) }); // stopped before any value of every objective
        return;
      }
      if (!r || !Array.isArray(r.values) || r.values.length !== objectives.length) {
        const e = new ConfigError(
          `evaluation of trial ${trial.number} returned values ${JSON.stringify(r?.values)}; expected ${objectives.length} numbers (${objectives.map((x) => x.name).join(', ')})`,
        );
        finish(trial.number, { state: 'failed', userAttrs: { [ATTR.failReason]: 'error', [ATTR.error]: e.message } });
        throw e;
      }
      const finite = r.values.every(Number.isFinite) && (r.constraints ?? []).every(Number.isFinite);
      if (!finite) {
        finish(trial.number, {
          state: 'failed',
          userAttrs: {
            ...(r.userAttrs ?? {}),
            [ATTR.failReason]: 'non-finite' satisfies FailReason,
            [ATTR.error]: `non-finite result ${JSON.stringify({ values: r.values, constraints: r.constraints })}`,
          },
        });
        return;
      }
      finish(trial.number, {
        state: r.state ?? 'complete',
        values: r.values,
        ...(r.constraints ? { constraints: r.constraints } : {}),
        ...(r.userAttrs ? { userAttrs: r.userAttrs } : {}),
      });
    } finally {
      clearInterval(timer);
    }
  };

  try {
    while (!controller.signal.aborted && firstError === undefined) {
      history.refresh();
      // Counted trials include the running ones (ours in flight, or other live workers'): they count already.
      const running = history.running;
      const remaining = o.nTrials - history.counted;
      if (remaining <= 0 || inFlight.size >= concurrency) {
        if (inFlight.size > 0) await Promise.race(inFlight.values());
        else if (running === 0) break;
        else {
          // Only other workers' trials are running: wait for them, failing those that die.
          await new Promise((r) => setTimeout(r, 200));
          recoverStaleTrials(store, studyName, o.staleAfterMs);
        }
        continue;
      }
      let params: Params;
      const userAttrs: Record<string, JsonValue> = {};
      const retry = history.nextRetry();
      // The proposal index, not the trial number: retries of crashed trials do not shift later proposals' randomness.
      const n = history.proposals;
      if (retry) {
        params = retry.params;
        userAttrs[ATTR.retryOf] = retry.number;
      } else {
        // Proposal n is asked once this process's trials of proposals below n - concurrency + 1 have finished, and is
        // shown those from there on as running (./proposal-view.ts): what it sees does not depend on which trials
        // happened to finish first. A strategy that waits (status) is shown one more finished proposal at a time.
        // A strategy whose proposals do not depend on timing (SearchStrategy.timingFree) is asked at once, shown everything.
        // `asFinished` asks every strategy so (throughput over reproducibility).
        const timingFree = o.strategy.timingFree === true || o.asFinished === true;
        if (gate.proposal !== n) gate = { proposal: n, visibleBelow: timingFree ? n : Math.max(0, n - concurrency + 1) };
        const blocking = timingFree ? [] : [...inFlight].filter(([number]) => history.proposalIndex(number) < gate.visibleBelow).map(([, p]) => p);
        if (blocking.length > 0) {
          await Promise.race(blocking);
          continue;
        }
        const view = proposalView(
          { trials: history.trials(), proposalIndex: (t) => history.proposalIndex(t), isRetried: (t) => history.isRetried(t) },
          gate.visibleBelow,
        );
        const st = o.strategy.status ? o.strategy.status({ history: view, objectives }) : 'ask';
        if (st !== 'ask') {
          if (!timingFree && gate.visibleBelow < n) gate.visibleBelow++;
          else if (inFlight.size > 0) await Promise.race(inFlight.values());
          else if (running > 0) {
            // the trials it waits for run in other processes
            await new Promise((r) => setTimeout(r, 200));
            recoverStaleTrials(store, studyName, o.staleAfterMs);
          } else if (st === 'done') break;
          else throw new Error(`strategy '${o.strategy.name}' waits for running trials, but none is running`);
          continue;
        }
        params = await o.strategy.ask({
          space,
          objectives,
          history: view,
          trialNumber: n,
          rng: new Rng(trialSeed(o.seed, n)),
          ...(o.cheapObjectives ? { cheapObjectives: o.cheapObjectives } : {}),
        });
        const why = space.check(params);
        if (why !== null) throw new ConfigError(`strategy '${o.strategy.name}' proposed an invalid point: ${why}`);
      }
      if (controller.signal.aborted) break;
      // The reservation: inside the store's write transaction, with every other process's trials read, the
      // trial is created only if the budget still has room (a proposal also leaves room for the retries
      // pending), its retry target is still waiting, and no other process took this proposal index.
      const trial = store.tryCreateTrial(studyName, { params, userAttrs, worker }, () => {
        history.refresh();
        if (retry) return history.isPending(retry.number) && history.counted < o.nTrials;
        return history.proposals === n && history.counted + history.pendingRetries < o.nTrials;
      });
      if (trial === undefined) continue; // another process got there first: look again
      history.put(trial);
      created++;
      const p: Promise<void> = evaluateTrial(trial).catch((e: unknown) => {
        if (firstError === undefined) firstError = e;
      });
      inFlight.set(
        trial.number,
        p.finally(() => inFlight.delete(trial.number)),
      );
    }
    await Promise.all(inFlight.values());
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (firstError !== undefined) throw firstError;
  const trials = store.getTrials(studyName);
  history.refresh();
  return {
    study: store.getStudy(studyName) ?? study,
    trials,
    created,
    recovered,
    aborted: controller.signal.aborted && history.counted < o.nTrials,
    best: history.best(),
  };
}

function openStudy(o: RunStudyOptions): StudyRecord {
  const existing = o.store.getStudy(o.studyName);
  if (!existing) {
    return o.store.createStudy({
      name: o.studyName,
      objectives: o.objectives,
      space: o.space.toJSON(),
      userAttrs: { seed: o.seed, strategy: o.strategy.name, ...(o.studyUserAttrs ?? {}) },
    });
  }
  const same =
    existing.objectives.length === o.objectives.length &&
    existing.objectives.every((x, i) => x.name === o.objectives[i]?.name && x.direction === o.objectives[i]?.direction);
  if (!same) {
    throw new ConfigError(
      `study '${o.studyName}' exists with objectives ${JSON.stringify(existing.objectives)}; this run has ${JSON.stringify(o.objectives)} (use another study name)`,
    );
  }
  return existing;
}
