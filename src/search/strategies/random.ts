/** Random search: independent uniform samples of the space. */
import type { AskContext, Params, SearchStrategy } from '../types.js';

/** Options of {@link RandomSearch} (none yet). */
export type RandomSearchOptions = Record<string, never>;

/** Samples every parameter independently and uniformly (log-uniformly where asked). */
export class RandomSearch implements SearchStrategy {
  readonly name = 'random';
  /** Its proposals ignore the history. */
  readonly timingFree = true;
  ask(ctx: AskContext): Params {
    return ctx.space.sample(ctx.rng);
  }
}
