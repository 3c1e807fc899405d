/**
 * `portfolio`: two strategies sharing one study. Each ask goes to `first` or `second` by its proposal index alone
 * (`AskContext.trialNumber`): before `secondFrom` every ask is `first`'s; from it, every `secondEvery`-th ask (counted
 * from `secondFrom`, the ask at `secondFrom` included) is `second`'s and the others `first`'s. Both see the whole
 * history (TPE and NSGA-II build their models and populations from it), and both are told every finished trial, so
 * `secondFrom` 150 with `secondEvery` 1 is "TPE for 150 queries, then NSGA-II whose first parents are the best of
 * TPE's trials", and `secondFrom` 0 with `secondEvery` 2 alternates them from the start.
 *
 * Issue 18 (session 49, search28): on the blind TransNAS micro problems NSGA-II had the better worst seed than TPE on
 * 12 of 19, TPE the better mean on most; a portfolio was screened to take both. Its screening result is in
 * docs/search-strategies.md; no default uses it.
 *
 * Option `window` (default off; issue 18, session 50, search29) makes the choice ADAPTIVE from `secondFrom` on
 * (adaptive operator selection): each member is credited with the share of its own last `window` told asks that
 * entered the run's front (no earlier told trial weakly dominates the new one; a repeat of a known vector does not
 * enter), smoothed as (entered + 1) / (told + 2), and ask n goes to `second` with probability
 * `minShare + (1 - 2 minShare) * credit(second) / (credit(first) + credit(second))` (`selection` 'match', probability
 * matching) or `1 - minShare` / `minShare` as `second`'s credit is above / not above `first`'s (`selection` 'greedy').
 * The draw comes from an Rng seeded by the ask's own seed (`ctx.rng.seed`), not from `ctx.rng`, so the member sees the
 * stream it would see alone, a re-ask of the same proposal (the repeat filter's) goes to the same member, and a run is
 * reproducible seed for seed. Which member proposed a trial is remembered in memory (by its parameters), so a resumed
 * study credits only the trials proposed since it resumed.
 */
import { ConfigError } from '../../errors.js';
import { Rng } from '../../util/rng.js';
import { toMinimization, violation } from '../pareto.js';
import type { AskContext, Objective, Params, SearchStrategy, StrategyStatus, Trial } from '../types.js';

/** The members a `portfolio` has unless told otherwise. */
export const PORTFOLIO_MEMBERS = { first: 'tpe', second: 'nsga2' } as const;

/** Options of {@link Portfolio}. */
export interface PortfolioOptions {
  /** The proposal index from which `second` asks (default 0). */
  readonly secondFrom?: number;
  /** From `secondFrom`, every `secondEvery`-th ask is `second`'s (default 2: alternate; 1: all of them). Not with `window`. */
  readonly secondEvery?: number;
  /** Adaptive choice from `secondFrom` on, each member credited over its last `window` told asks (default: off). */
  readonly window?: number;
  /** With `window`: the least probability of either member per ask, in [0, 0.5] (default 0.1). */
  readonly minShare?: number;
  /** With `window`: 'match' (probability matching, default) or 'greedy' (the higher credit gets 1 - minShare). */
  readonly selection?: 'match' | 'greedy';
}

/** {@link PortfolioOptions} checked, with defaults (`window` 0: the fixed schedule). */
export interface CheckedPortfolioOptions {
  readonly secondFrom: number;
  readonly secondEvery: number;
  readonly window: number;
  readonly minShare: number;
  readonly selection: 'match' | 'greedy';
}

/** Checks {@link PortfolioOptions} (a ConfigError naming the bad value). */
export function checkPortfolioOptions(o: PortfolioOptions): CheckedPortfolioOptions {
  const secondFrom = o.secondFrom ?? 0;
  const secondEvery = o.secondEvery ?? 2;
  if (!Number.isInteger(secondFrom) || secondFrom < 0)
    throw new ConfigError(`portfolio secondFrom ${JSON.stringify(o.secondFrom)}: expected an integer >= 0 (a proposal index)`);
  if (!Number.isInteger(secondEvery) || secondEvery < 1)
    throw new ConfigError(`portfolio secondEvery ${JSON.stringify(o.secondEvery)}: expected an integer >= 1`);
  const window = o.window ?? 0;
  if (o.window !== undefined && (!Number.isInteger(o.window) || o.window < 1))
    throw new ConfigError(`portfolio window ${JSON.stringify(o.window)}: expected an integer >= 1 (told asks credited per member)`);
  if (window === 0) {
    for (const k of ['minShare', 'selection'] as const)
      if (o[k] !== undefined) throw new ConfigError(`portfolio ${k} ${JSON.stringify(o[k])}: expected only with option window (the adaptive choice)`);
  } else if (o.secondEvery !== undefined)
    throw new ConfigError(`portfolio secondEvery ${JSON.stringify(o.secondEvery)} with window ${window}: expected one of them (a fixed schedule or the adaptive choice)`);
  const minShare = o.minShare ?? 0.1;
  if (typeof minShare !== 'number' || !(minShare >= 0 && minShare <= 0.5))
    throw new ConfigError(`portfolio minShare ${JSON.stringify(o.minShare)}: expected a number in [0, 0.5] (the least probability of a member)`);
  const selection = o.selection ?? 'match';
  if (selection !== 'match' && selection !== 'greedy')
    throw new ConfigError(`portfolio selection ${JSON.stringify(o.selection)}: expected 'match' or 'greedy'`);
  return { secondFrom, secondEvery, window, minShare, selection };
}

/** Whether proposal `n` is `second`'s under the (checked) options' fixed schedule. */
export function isSecondAsk(n: number, o: Pick<CheckedPortfolioOptions, 'secondFrom' | 'secondEvery'>): boolean {
  return n >= o.secondFrom && (n - o.secondFrom) % o.secondEvery === 0;
}

/** A member's credit: the smoothed share of its last `window` told asks that entered the front, (entered + 1) / (told + 2). */
export function memberCredit(entered: readonly boolean[], window: number): number {
  const last = entered.slice(Math.max(0, entered.length - window));
  return (last.filter(Boolean).length + 1) / (last.length + 2);
}

/** The probability that the adaptive choice gives an ask to `second`, from the two members' credits. */
export function secondProbability(firstCredit: number, secondCredit: number, o: Pick<CheckedPortfolioOptions, 'minShare' | 'selection'>): number {
  if (o.selection === 'greedy') return secondCredit > firstCredit ? 1 - o.minShare : o.minShare;
  return o.minShare + ((1 - 2 * o.minShare) * secondCredit) / (firstCredit + secondCredit);
}

/** Salt of the adaptive choice's Rng (kept apart from the ask's own stream). */
const CHOICE_SALT = 0x51ed2701;

const paramsKey = (p: Params): string => JSON.stringify(p);

/** Two strategies over one history, each ask given to one of them by its index (see the module comment). */
export class Portfolio implements SearchStrategy {
  readonly name = 'portfolio';
  private readonly o: CheckedPortfolioOptions;
  /** Adaptive choice: the member (0 first, 1 second) that proposed each parameter set, by its key. */
  private readonly proposer = new Map<string, 0 | 1>();
  /** Adaptive choice: per member, whether each of its told asks entered the front, in tell order. */
  readonly entered: [boolean[], boolean[]] = [[], []];
  /** Adaptive choice: the told trials' minimisation vectors (complete and feasible), to test front entry. */
  private readonly told: number[][] = [];

  constructor(
    readonly first: SearchStrategy,
    readonly second: SearchStrategy,
    options: PortfolioOptions = {},
  ) {
    this.o = checkPortfolioOptions(options);
  }

  /** Whether the choice is adaptive (option `window`). */
  get adaptive(): boolean {
    return this.o.window > 0;
  }

  /** The probability that the adaptive choice gives the next ask from `secondFrom` on to `second`, from the credits so far. */
  secondShare(): number {
    return secondProbability(memberCredit(this.entered[0], this.o.window), memberCredit(this.entered[1], this.o.window), this.o);
  }

  /** The member that answers proposal `n` (adaptive: `seed` is the ask's own seed, `ctx.rng.seed`). */
  memberFor(n: number, seed = 0): SearchStrategy {
    if (!this.adaptive) return isSecondAsk(n, this.o) ? this.second : this.first;
    if (n < this.o.secondFrom) return this.first;
    return new Rng((seed ^ CHOICE_SALT) >>> 0).next() < this.secondShare() ? this.second : this.first;
  }

  ask(ctx: AskContext): Params | Promise<Params> {
    const m = this.memberFor(ctx.trialNumber, ctx.rng.seed);
    if (!this.adaptive) return m.ask(ctx);
    const who: 0 | 1 = m === this.first ? 0 : 1;
    const record = (p: Params): Params => {
      this.proposer.set(paramsKey(p), who);
      return p;
    };
    const p = m.ask(ctx);
    return p instanceof Promise ? p.then(record) : record(p);
  }

  tell(trial: Trial, ctx: { readonly objectives: readonly Objective[] }): void {
    if (this.adaptive) this.credit(trial, ctx.objectives);
    this.first.tell?.(trial, ctx);
    this.second.tell?.(trial, ctx);
  }

  /** Records whether `trial` entered the front, for the member that proposed it (none known: only the front grows). */
  private credit(trial: Trial, objectives: readonly Objective[]): void {
    let entered = false;
    if (trial.state === 'complete' && trial.values !== null && violation(trial.constraints) <= 0) {
      const v = toMinimization(trial.values, objectives);
      entered = !this.told.some((u) => u.every((x, i) => x <= (v[i] as number)));
      this.told.push(v);
    }
    const who = this.proposer.get(paramsKey(trial.params));
    if (who !== undefined) this.entered[who].push(entered);
  }

  /**
   * The status of the member whose turn the next proposal most likely is (index = history length; retries aside).
   * Adaptive: the member more likely to answer it (`second` when its probability is at least a half).
   */
  status(ctx: { readonly history: readonly Trial[]; readonly objectives: readonly Objective[] }): StrategyStatus {
    const n = ctx.history.length;
    const m = !this.adaptive || n < this.o.secondFrom ? this.memberFor(n) : this.secondShare() >= 0.5 ? this.second : this.first;
    return m.status ? m.status(ctx) : 'ask';
  }
}
