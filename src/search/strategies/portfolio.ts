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
 */
import { ConfigError } from '../../errors.js';
import type { AskContext, Objective, Params, SearchStrategy, StrategyStatus, Trial } from '../types.js';

/** The members a `portfolio` has unless told otherwise. */
export const PORTFOLIO_MEMBERS = { first: 'tpe', second: 'nsga2' } as const;

/** Options of {@link Portfolio}. */
export interface PortfolioOptions {
  /** The proposal index from which `second` asks (default 0). */
  readonly secondFrom?: number;
  /** From `secondFrom`, every `secondEvery`-th ask is `second`'s (default 2: alternate; 1: all of them). */
  readonly secondEvery?: number;
}

/** Checks {@link PortfolioOptions} (a ConfigError naming the bad value). */
export function checkPortfolioOptions(o: PortfolioOptions): Required<PortfolioOptions> {
  const secondFrom = o.secondFrom ?? 0;
  const secondEvery = o.secondEvery ?? 2;
  if (!Number.isInteger(secondFrom) || secondFrom < 0)
    throw new ConfigError(`portfolio secondFrom ${JSON.stringify(o.secondFrom)}: expected an integer >= 0 (a proposal index)`);
  if (!Number.isInteger(secondEvery) || secondEvery < 1)
    throw new ConfigError(`portfolio secondEvery ${JSON.stringify(o.secondEvery)}: expected an integer >= 1`);
  return { secondFrom, secondEvery };
}

/** Whether proposal `n` is `second`'s under the (checked) options. */
export function isSecondAsk(n: number, o: Required<PortfolioOptions>): boolean {
  return n >= o.secondFrom && (n - o.secondFrom) % o.secondEvery === 0;
}

/** Two strategies over one history, each ask given to one of them by its index (see the module comment). */
export class Portfolio implements SearchStrategy {
  readonly name = 'portfolio';
  private readonly o: Required<PortfolioOptions>;

  constructor(
    readonly first: SearchStrategy,
    readonly second: SearchStrategy,
    options: PortfolioOptions = {},
  ) {
    this.o = checkPortfolioOptions(options);
  }

  /** The member that answers proposal `n`. */
  memberFor(n: number): SearchStrategy {
    return isSecondAsk(n, this.o) ? this.second : this.first;
  }

  ask(ctx: AskContext): Params | Promise<Params> {
    return this.memberFor(ctx.trialNumber).ask(ctx);
  }

  tell(trial: Trial, ctx: { readonly objectives: readonly Objective[] }): void {
    this.first.tell?.(trial, ctx);
    this.second.tell?.(trial, ctx);
  }

  /** The status of the member whose turn the next proposal most likely is (index = history length; retries aside). */
  status(ctx: { readonly history: readonly Trial[]; readonly objectives: readonly Objective[] }): StrategyStatus {
    const m = this.memberFor(ctx.history.length);
    return m.status ? m.status(ctx) : 'ask';
  }
}
