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
 * (adaptive operator selection): each member is credited with the share of its own last `window` finished asks that
 * entered the front (no earlier trial weakly dominates it; a repeat of a known vector does not enter), smoothed as
 * (entered + 1) / (finished + 2), and its target share of ask n is `minShare + (1 - 2 minShare) * credit(second) /
 * (credit(first) + credit(second))` (`selection` 'match', probability matching) or `1 - minShare` / `minShare` as
 * `second`'s credit is above / not above `first`'s (`selection` 'greedy'). The asks follow the target shares by
 * deterministic rounding (error diffusion: the shares are summed from `secondFrom` on, and an ask is `second`'s when
 * the sum less the asks `second` already had reaches one half), not by a random draw: the choice is then a function of
 * the history alone, so a resumed study (a fresh instance) replays every earlier choice and chooses as an
 * uninterrupted one, and the members see the ask streams (`ctx.rng`) they would see alone. A trial counts for the
 * credit of ask n if its proposal index is below n and it finished no later than the trial of ask n started (so a
 * replay of a parallel study credits what the live ask saw, up to trials finishing between an ask and its trial's
 * creation); the trial at history position j is taken as proposal j (a retry of a crashed trial shifts that by one).
 *
 * Option `credit` 'hv' (default 'front'; issue 18, session 51, search30) credits each ask with the HYPERVOLUME it
 * added instead of whether it entered the front: the gain of trial j is HV(F + v_j) - HV(F), F the front of the
 * complete feasible trials before j, in objective space scaled to [0, 1] by the bounds of the complete feasible trials
 * up to and including j, reference 1.1 in every objective (so each gain is fixed once trial j is known: a replay
 * computes it as the live ask did). A member's credit is (its gains over its last `window` told asks + 1e-9) /
 * (told + 2): the mean gain, both members equal when neither gained. Front entry weighs a small step as a needle;
 * the gain weighs the needle (search26: small front classes carrying 5% of the hypervolume) by what it adds.
 */
import { ConfigError } from '../../errors.js';
import { hypervolume, toMinimization, violation } from '../pareto.js';
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
  /** With `window`: 'front' (an ask's credit is whether it entered the front, default) or 'hv' (the hypervolume it added). */
  readonly credit?: 'front' | 'hv';
}

/** {@link PortfolioOptions} checked, with defaults (`window` 0: the fixed schedule). */
export interface CheckedPortfolioOptions {
  readonly secondFrom: number;
  readonly secondEvery: number;
  readonly window: number;
  readonly minShare: number;
  readonly selection: 'match' | 'greedy';
  readonly credit: 'front' | 'hv';
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
    for (const k of ['minShare', 'selection', 'credit'] as const)
      if (o[k] !== undefined) throw new ConfigError(`portfolio ${k} ${JSON.stringify(o[k])}: expected only with option window (the adaptive choice)`);
  } else if (o.secondEvery !== undefined)
    throw new ConfigError(
      `portfolio secondEvery ${JSON.stringify(o.secondEvery)} with window ${window}: expected one of them (a fixed schedule or the adaptive choice)`,
    );
  const minShare = o.minShare ?? 0.1;
  if (typeof minShare !== 'number' || !(minShare >= 0 && minShare <= 0.5))
    throw new ConfigError(`portfolio minShare ${JSON.stringify(o.minShare)}: expected a number in [0, 0.5] (the least probability of a member)`);
  const selection = o.selection ?? 'match';
  if (selection !== 'match' && selection !== 'greedy')
    throw new ConfigError(`portfolio selection ${JSON.stringify(o.selection)}: expected 'match' or 'greedy'`);
  const credit = o.credit ?? 'front';
  if (credit !== 'front' && credit !== 'hv') throw new ConfigError(`portfolio credit ${JSON.stringify(o.credit)}: expected 'front' or 'hv'`);
  return { secondFrom, secondEvery, window, minShare, selection, credit };
}

/** Whether proposal `n` is `second`'s under the (checked) options' fixed schedule. */
export function isSecondAsk(n: number, o: Pick<CheckedPortfolioOptions, 'secondFrom' | 'secondEvery'>): boolean {
  return n >= o.secondFrom && (n - o.secondFrom) % o.secondEvery === 0;
}

/**
 * A member's credit from its told asks' scores, the last `window` of them: front entry (booleans), the smoothed share
 * (entered + 1) / (told + 2); hypervolume gains (numbers), (sum + 1e-9) / (told + 2).
 */
export function memberCredit(scores: readonly (boolean | number)[], window: number): number {
  const last = scores.slice(Math.max(0, scores.length - window));
  if (last.every((x) => typeof x === 'boolean')) return (last.filter(Boolean).length + 1) / (last.length + 2);
  return (last.reduce<number>((a, x) => a + Number(x), 0) + 1e-9) / (last.length + 2);
}

/**
 * Each trial's hypervolume gain (see the module comment): 0 unless complete, feasible and outside the region earlier
 * trials weakly dominate. `known`: the gains of a prefix of `history` already computed (kept, not recomputed).
 */
export function hypervolumeGains(history: readonly Trial[], objectives: readonly Objective[], known: readonly number[] = []): number[] {
  const gains: number[] = [];
  const front: number[][] = [];
  const lo: number[] = objectives.map(() => Infinity);
  const hi: number[] = objectives.map(() => -Infinity);
  for (const [j, t] of history.entries()) {
    let g = 0;
    if (t.state === 'complete' && t.values !== null && violation(t.constraints) <= 0) {
      const v = toMinimization(t.values, objectives);
      v.forEach((x, i) => {
        lo[i] = Math.min(lo[i] as number, x);
        hi[i] = Math.max(hi[i] as number, x);
      });
      if (!front.some((u) => u.every((x, i) => x <= (v[i] as number)))) {
        if (j < known.length) g = known[j] as number;
        else {
          const scale = (p: readonly number[]): number[] =>
            p.map((x, i) => (hi[i] === lo[i] ? 0 : (x - (lo[i] as number)) / ((hi[i] as number) - (lo[i] as number))));
          const ref = objectives.map(() => 1.1);
          const before = front.map(scale);
          g = Math.max(0, hypervolume([...before, scale(v)], ref) - hypervolume(before, ref));
        }
        for (let i = front.length - 1; i >= 0; i--) if ((front[i] as number[]).every((x, k) => (v[k] as number) <= x)) front.splice(i, 1);
        front.push(v);
      }
    }
    gains.push(j < known.length ? (known[j] as number) : g);
  }
  return gains;
}

/** The probability that the adaptive choice gives an ask to `second`, from the two members' credits. */
export function secondProbability(firstCredit: number, secondCredit: number, o: Pick<CheckedPortfolioOptions, 'minShare' | 'selection'>): number {
  if (o.selection === 'greedy') return secondCredit > firstCredit ? 1 - o.minShare : o.minShare;
  return o.minShare + ((1 - 2 * o.minShare) * secondCredit) / (firstCredit + secondCredit);
}

/**
 * The adaptive choice over a history: which member (0 first, 1 second) proposal k was (k < the history's length) and
 * which member answers proposal `n`, replayed from proposal 0 (see the module comment).
 */
export function adaptiveChoices(
  history: readonly Trial[],
  objectives: readonly Objective[],
  n: number,
  o: Pick<CheckedPortfolioOptions, 'secondFrom' | 'window' | 'minShare' | 'selection'> & { readonly credit?: 'front' | 'hv' },
  gains?: readonly number[],
): { readonly members: readonly (0 | 1)[]; readonly next: 0 | 1 } {
  // whether each trial entered the front: complete, feasible, and no earlier complete feasible trial weakly dominates it
  const entered: (boolean | number)[] = [];
  const front: number[][] = [];
  for (const t of history) {
    let e = false;
    if (t.state === 'complete' && t.values !== null && violation(t.constraints) <= 0) {
      const v = toMinimization(t.values, objectives);
      e = !front.some((u) => u.every((x, i) => x <= (v[i] as number)));
      if (e) {
        for (let i = front.length - 1; i >= 0; i--) if ((front[i] as number[]).every((x, j) => (v[j] as number) <= x)) front.splice(i, 1);
        front.push(v);
      }
    }
    entered.push(e);
  }
  if (o.credit === 'hv') {
    const g = gains ?? hypervolumeGains(history, objectives);
    for (let j = 0; j < entered.length; j++) entered[j] = g[j] as number;
  }
  const finished = (t: Trial): boolean => t.state !== 'running';
  const members: (0 | 1)[] = [];
  let sum = 0;
  let seconds = 0;
  for (let k = 0; k <= n; k++) {
    let m: 0 | 1 = 0;
    if (k >= o.secondFrom) {
      const asOf = history[k]?.startedAt;
      const got: [(boolean | number)[], (boolean | number)[]] = [[], []];
      for (let j = Math.min(k, history.length) - 1; j >= 0 && (got[0].length < o.window || got[1].length < o.window); j--) {
        const t = history[j] as Trial;
        const g = got[members[j] as 0 | 1];
        if (g.length < o.window && finished(t) && (asOf === undefined || (t.finishedAt ?? '') <= asOf)) g.push(entered[j] as boolean | number);
      }
      sum += secondProbability(memberCredit(got[0], o.window), memberCredit(got[1], o.window), o);
      if (sum - seconds >= 0.5) {
        m = 1;
        seconds++;
      }
    }
    if (k < n) members.push(m);
    else return { members, next: m };
  }
  return { members, next: 0 };
}

/** Two strategies over one history, each ask given to one of them by its index (see the module comment). */
export class Portfolio implements SearchStrategy {
  readonly name = 'portfolio';
  private readonly o: CheckedPortfolioOptions;
  /** Adaptive choice: the last choice made, by the history it was made on (the repeat filter re-asks on one history). */
  private last: { key: string; n: number; next: 0 | 1 } | undefined;
  /** Credit 'hv': the gains computed so far, by the per-trial keys of the history they were computed on. */
  private gainCache: { keys: string[]; gains: number[] } = { keys: [], gains: [] };

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

  /** The member that answers proposal `n` under the fixed schedule (adaptive: before `secondFrom`, else undefined). */
  scheduled(n: number): SearchStrategy | undefined {
    if (!this.adaptive) return isSecondAsk(n, this.o) ? this.second : this.first;
    return n < this.o.secondFrom ? this.first : undefined;
  }

  /** The member that answers proposal `n` on `history` (the adaptive choice replayed from the history). */
  memberFor(n: number, history: readonly Trial[] = [], objectives: readonly Objective[] = []): SearchStrategy {
    const fixed = this.scheduled(n);
    if (fixed) return fixed;
    const h = history.slice(0, n);
    const keys = h.map((t) => `${t.number}:${t.state}:${t.finishedAt ?? ''}`);
    const key = `${h.length}|${keys.join(',')}`;
    if (this.last?.key !== key || this.last.n !== n)
      this.last = { key, n, next: adaptiveChoices(h, objectives, n, this.o, this.gains(h, keys, objectives)).next };
    return this.last.next === 1 ? this.second : this.first;
  }

  /** Credit 'hv': the history's gains, reusing those of the longest prefix whose trials are unchanged (a gain depends on its prefix alone). */
  private gains(h: readonly Trial[], keys: readonly string[], objectives: readonly Objective[]): number[] | undefined {
    if (this.o.credit !== 'hv') return undefined;
    const c = this.gainCache;
    let same = 0;
    while (same < keys.length && same < c.keys.length && c.keys[same] === keys[same] && h[same]?.state !== 'running') same++;
    const gains = hypervolumeGains(h, objectives, c.gains.slice(0, same));
    this.gainCache = { keys: [...keys], gains };
    return gains;
  }

  ask(ctx: AskContext): Params | Promise<Params> {
    return this.memberFor(ctx.trialNumber, ctx.history, ctx.objectives).ask(ctx);
  }

  tell(trial: Trial, ctx: { readonly objectives: readonly Objective[] }): void {
    this.first.tell?.(trial, ctx);
    this.second.tell?.(trial, ctx);
  }

  /**
   * The status of the member whose turn the next proposal most likely is (index = history length; retries aside).
   * Adaptive: the member the choice replayed on the history gives it.
   */
  status(ctx: { readonly history: readonly Trial[]; readonly objectives: readonly Objective[] }): StrategyStatus {
    const m = this.memberFor(ctx.history.length, ctx.history, ctx.objectives);
    return m.status ? m.status(ctx) : 'ask';
  }
}
