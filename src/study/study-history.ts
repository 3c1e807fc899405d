/**
 * The study loop's cached view of a study's trials. It reads the store incrementally
 * ({@link Store.getTrialsSince}: trials newer than those held, plus held running ones that have
 * finished, whichever process wrote them) and keeps the budget bookkeeping (trials counted, retries
 * pending) and the best set up to date per change, so that the loop's overhead per trial does not grow
 * with the number of trials. Finished trials are immutable, so nothing else can go stale; a running
 * trial's attributes are re-read when it finishes.
 */
import { ParetoArchive, toMinimization, violation } from '../search/pareto.js';
import { FAIL_REASON_ATTR, type Objective, RETRY_OF_ATTR, type Trial } from '../search/types.js';
import type { Store } from '../store/types.js';

/** Attribute names the loop writes on trials. */
export const ATTR = {
  failReason: FAIL_REASON_ATTR,
  error: 'hwnas:error',
  retryOf: RETRY_OF_ATTR,
} as const;

/** Why a trial failed, on one line of at most 300 characters: its stored error, else its fail reason. */
export function failureReason(t: Trial): string {
  const e = t.userAttrs[ATTR.error];
  const text = typeof e === 'string' ? e : `${String(t.userAttrs[ATTR.failReason] ?? 'no reason stored')}`;
  const one = text.replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, ' | ');
  return one.length > 300 ? `${one.slice(0, 297)}...` : one;
}

/** Times a trial whose process died (or that was interrupted) is run again before it counts as failed. */
export const DEFAULT_MAX_RETRIES = 3;

/** Options of {@link StudyHistory}. */
export interface StudyHistoryOptions {
  readonly store: Store;
  readonly studyName: string;
  readonly objectives: readonly Objective[];
  /** Retries per original trial (default {@link DEFAULT_MAX_RETRIES}, as in the study loop). */
  readonly maxRetries?: number;
  /** Trials that failed with an evaluation error are retried too (default false). */
  readonly retryOnError?: boolean;
}

/** How a trial counts against the budget: counted, waiting for a retry, or replaced by its retry. */
type Status = 'count' | 'retry' | 'skip';

/** Trials of one study held in memory, with budget bookkeeping and the best set kept incrementally. */
export class StudyHistory {
  private readonly all: Trial[] = [];
  private readonly status: Status[] = [];
  private readonly depth: number[] = [];
  private readonly proposalOf: number[] = [];
  private readonly retried = new Set<number>();
  private readonly pending = new Set<number>();
  private readonly runningSet = new Set<number>();
  private countedN = 0;
  private proposalsN = 0;
  private readonly archive = new ParetoArchive<Trial>();
  private single: { trial: Trial; value: number } | undefined;
  private readonly maxRetries: number;
  private readonly retryOnError: boolean;

  constructor(private readonly o: StudyHistoryOptions) {
    this.maxRetries = o.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.retryOnError = o.retryOnError ?? false;
  }

  /** Reads what changed in the store since the last read (first call: everything). */
  refresh(): void {
    for (const t of this.o.store.getTrialsSince(this.o.studyName, this.all.length, [...this.runningSet])) this.put(t);
  }

  /**
   * Takes a trial this process has just written (createTrial, finishTrial); a new trial whose number
   * leaves a gap (another process created trials meanwhile) triggers a read of the gap.
   */
  put(t: Trial): void {
    if (t.number > this.all.length) {
      this.refresh();
      if (t.number >= this.all.length) throw new Error(`study '${this.o.studyName}': trial ${t.number} is not in the store after a read`);
    }
    const prev = this.all[t.number];
    if (prev !== undefined && prev.state !== 'running') return; // finished trials are immutable
    this.all[t.number] = t;
    if (prev === undefined) {
      const of = t.userAttrs[ATTR.retryOf];
      this.depth[t.number] = typeof of === 'number' ? (this.depth[of] ?? 0) + 1 : 0;
      if (typeof of === 'number') {
        this.proposalOf[t.number] = this.proposalOf[of] ?? of;
        this.retried.add(of);
        this.classify(of);
      } else this.proposalOf[t.number] = this.proposalsN++;
    }
    this.classify(t.number);
    if (t.state === 'running') this.runningSet.add(t.number);
    else {
      this.runningSet.delete(t.number);
      if (t.state === 'complete') this.addBest(t);
    }
  }

  /** Every trial held, in number order (a copy: later changes do not show through it). */
  trials(): Trial[] {
    return this.all.slice();
  }

  /** Number of trials held (the next trial number, when no other process creates one first). */
  get length(): number {
    return this.all.length;
  }

  /**
   * Trials that a strategy proposed (all but the retries of crashed trials): the index of the next
   * proposal. It equals {@link length} unless crashed trials were run again, and it is what the next
   * proposal's randomness is derived from, so a study resumed after a crash proposes what an
   * uninterrupted one does.
   */
  get proposals(): number {
    return this.proposalsN;
  }

  /**
   * The proposal index of trial `n`: the index its parameters were proposed at (for a retry, that of the trial it
   * retries, through the whole retry chain). It equals the trial number unless crashed trials were run again; the
   * evaluation's seed is derived from it, so a retried trial and every later one are evaluated with the seeds of an
   * uninterrupted run.
   */
  proposalIndex(n: number): number {
    const p = this.proposalOf[n];
    if (p === undefined) throw new Error(`study '${this.o.studyName}': trial ${n} is not held`);
    return p;
  }

  /** Trials held as running. */
  get running(): number {
    return this.runningSet.size;
  }

  /** Trials that count against the budget (complete, pruned, running, or failed and not to be retried). */
  get counted(): number {
    return this.countedN;
  }

  /** Failed trials waiting to be run again (each will count once its retry is created). */
  get pendingRetries(): number {
    return this.pending.size;
  }

  /** Whether trial `n` is a failed trial still waiting to be run again (no retry of it created yet). */
  isPending(n: number): boolean {
    return this.pending.has(n);
  }

  /** Whether trial `n` failed and has been run again (a retry of it is held). */
  isRetried(n: number): boolean {
    return this.retried.has(n);
  }

  /** The trials that trial `n` retries (its retry-of chain), newest first. */
  previousAttempts(n: number): number[] {
    const out: number[] = [];
    for (let of = this.all[n]?.userAttrs[ATTR.retryOf]; typeof of === 'number' && out.length < this.all.length; of = this.all[of]?.userAttrs[ATTR.retryOf])
      out.push(of);
    return out;
  }

  /** The lowest-numbered failed trial waiting to be run again, or undefined. */
  nextRetry(): Trial | undefined {
    let min = Infinity;
    for (const n of this.pending) if (n < min) min = n;
    return this.all[min];
  }

  /** Best feasible trial (one objective) or the feasible Pareto set (several), in number order. */
  best(): Trial[] {
    if (this.o.objectives.length > 1) return this.archive.items();
    return this.single ? [this.single.trial] : [];
  }

  private classify(n: number): void {
    const t = this.all[n];
    if (t === undefined) return;
    const next: Status = this.retried.has(n) ? 'skip' : this.retryable(t) && (this.depth[n] ?? 0) < this.maxRetries ? 'retry' : 'count';
    const prev = this.status[n];
    if (prev === next) return;
    if (prev === 'count') this.countedN--;
    if (prev === 'retry') this.pending.delete(n);
    if (next === 'count') this.countedN++;
    if (next === 'retry') this.pending.add(n);
    this.status[n] = next;
  }

  private retryable(t: Trial): boolean {
    if (t.state !== 'failed') return false;
    const reason = t.userAttrs[ATTR.failReason];
    return reason === 'worker-died' || reason === 'aborted' || (this.retryOnError && reason === 'error');
  }

  private addBest(t: Trial): void {
    if (t.values === null || violation(t.constraints) > 0) return;
    const z = toMinimization(t.values, this.o.objectives);
    if (this.o.objectives.length > 1) {
      this.archive.add(z, t, t.number);
      return;
    }
    const v = z[0] as number;
    // The first (lowest-numbered) of equal values wins, as in a scan in number order.
    if (this.single === undefined || v < this.single.value || (v === this.single.value && t.number < this.single.trial.number))
      this.single = { trial: t, value: v };
  }
}
