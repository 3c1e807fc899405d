/**
 * `auto`: picks the strategy for the space at its first proposal, by how many points of the space compute the same
 * network. Where the NAS repeat filter gives a class key (`AskContext.classOf`) and the space's classes of equal
 * computation average at least `minClassSize` points, it runs `large` (default NSGA-II); otherwise `small` (default
 * TPE). Issue 18: on the blind tables (bench/data/blind-record.csv) TPE met the goal on 20 of 57 full tables and NSGA-II
 * on 14, but on EC-NAS-Bench (NAS-Bench-101 cells, 10.9 encodings per class; every other space 1.00-2.78) NSGA-II had
 * the higher mean and worst seed on all 10 problems (goal 5 of 10 against TPE's 2): TPE's densities live on the
 * encodings, and the front's rare classes of 1-3 encodings get no mass from them. The bar 4 is search21's (session 44),
 * set on seen spaces.
 *
 * Option `midClassSize` (default off; issue 18, session 49, search28) adds a third side, `mid`: spaces whose mean class
 * size is at least `midClassSize` and below `minClassSize` run it (on the seen spaces: TransNAS-Bench-101 micro, 2.46
 * points per class, against NB201 1.99, NAS-Bench-Graph 2.25, NAS-Bench-Macro 1.65, EC-NAS 10.9).
 *
 * After the choice every call goes to the chosen strategy and nothing else is drawn from the rng, so a run of `auto`
 * gives the trials of the strategy it chose.
 */
import { ConfigError } from '../../errors.js';
import type { SearchSpace } from '../space.js';
import type { AskContext, Objective, Params, SearchStrategy, StrategyStatus, Trial } from '../types.js';
import { classIndex } from './tpe.js';

/** Options of {@link Auto}. */
export interface AutoOptions {
  /** The mean class size (points per class of equal computation) from which `large` runs (default 4). */
  readonly minClassSize?: number;
  /** With `mid`: the mean class size from which `mid` runs, below `minClassSize` (default: no `mid` side). */
  readonly midClassSize?: number;
}

/** The space's mean class size under `classOf` (undefined: no class key, or a space too large or not categorical to enumerate). */
export function meanClassSize(space: SearchSpace, classOf: ((p: Params) => string) | undefined): number | undefined {
  if (!classOf) return undefined;
  const idx = classIndex(space, classOf);
  return idx === null ? undefined : idx.points / idx.keys.length;
}

/** The strategies `auto` picks between unless told otherwise. */
export const AUTO_PICKS = { large: 'nsga2', small: 'tpe' } as const;

/** Which side `auto` picks on `space` under `classOf`, and the mean class size it picked on (undefined: none known). */
export function autoPick(
  space: SearchSpace,
  classOf: ((p: Params) => string) | undefined,
  minClassSize = 4,
  midClassSize?: number,
): { readonly side: 'large' | 'mid' | 'small'; readonly classSize: number | undefined } {
  const classSize = meanClassSize(space, classOf);
  if (classSize === undefined) return { side: 'small', classSize };
  if (classSize >= minClassSize) return { side: 'large', classSize };
  if (midClassSize !== undefined && classSize >= midClassSize) return { side: 'mid', classSize };
  return { side: 'small', classSize };
}

/** Runs `large` on spaces of large classes of equal computation, `small` elsewhere (see the module comment). */
export class Auto implements SearchStrategy {
  readonly name = 'auto';
  private readonly minClassSize: number;
  private readonly midClassSize: number | undefined;
  private chosenStrategy: SearchStrategy | undefined;
  /** The mean class size the choice was made on (undefined: none known, `small` runs). */
  classSize: number | undefined;

  constructor(
    private readonly large: SearchStrategy,
    private readonly small: SearchStrategy,
    options: AutoOptions = {},
    private readonly mid?: SearchStrategy,
  ) {
    this.minClassSize = options.minClassSize ?? 4;
    this.midClassSize = options.midClassSize;
    if ((mid === undefined) !== (this.midClassSize === undefined))
      throw new ConfigError(
        `strategy 'auto' options mid and midClassSize: expected both or neither (mid ${mid === undefined ? 'absent' : `'${mid.name}'`}, midClassSize ${JSON.stringify(options.midClassSize)})`,
      );
  }

  /** That of the strategy chosen at the first proposal (false before it). */
  get timingFree(): boolean {
    return this.chosenStrategy?.timingFree === true;
  }

  /** The strategy chosen at the first proposal (undefined before it). */
  get chosen(): SearchStrategy | undefined {
    return this.chosenStrategy;
  }

  ask(ctx: AskContext): Params | Promise<Params> {
    if (this.chosenStrategy === undefined) {
      const pick = autoPick(ctx.space, ctx.classOf, this.minClassSize, this.midClassSize);
      this.classSize = pick.classSize;
      this.chosenStrategy = pick.side === 'large' ? this.large : pick.side === 'mid' ? (this.mid as SearchStrategy) : this.small;
    }
    return this.chosenStrategy.ask(ctx);
  }

  tell(trial: Trial, ctx: { readonly objectives: readonly Objective[] }): void {
    this.chosenStrategy?.tell?.(trial, ctx);
  }

  status(ctx: { readonly history: readonly Trial[]; readonly objectives: readonly Objective[] }): StrategyStatus {
    const s = this.chosenStrategy;
    return s?.status ? s.status(ctx) : 'ask';
  }
}
