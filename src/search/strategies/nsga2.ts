/**
 * NSGA-II (Deb et al. 2002): non-dominated sorting, crowding distance, constraint domination,
 * binary tournaments, SBX and polynomial mutation. Generations are derived from trial numbers
 * (trial n belongs to generation floor(n / populationSize)), so the population is rebuilt from
 * history alone; settled generations are memoised.
 */
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../util/rng.js';
import { crowdingDistance, nonDominatedSort, toMinimization, violation } from '../pareto.js';
import type { AskContext, Params, SearchStrategy, Trial } from '../types.js';
import { breed, NSGA2_VARIATION } from './variation.js';

/** Options of {@link Nsga2}. */
export interface Nsga2Options {
  /** Individuals per generation (default 50). */
  readonly populationSize?: number;
  /** Probability that a child is made by crossover rather than copied (default 0.9). */
  readonly crossoverProb?: number;
  /** SBX distribution index (default 15). */
  readonly sbxEta?: number;
  /** Polynomial-mutation distribution index (default 20). */
  readonly mutationEta?: number;
  /** Per-parameter mutation probability (default 1 / number of parameters). */
  readonly mutationProb?: number;
}

interface Population {
  readonly trials: Trial[];
  readonly rank: number[];
  readonly crowd: number[];
  readonly settled: boolean;
}

/** The NSGA-II strategy (any number of objectives, constraint domination). */
export class Nsga2 implements SearchStrategy {
  readonly name = 'nsga2';
  readonly populationSize: number;
  private readonly opts: Required<Omit<Nsga2Options, 'mutationProb'>> & { mutationProb: number | undefined };
  private cache = new Map<number, Population>();
  private cacheKey = '';

  constructor(options: Nsga2Options = {}) {
    this.populationSize = options.populationSize ?? 50;
    if (!Number.isInteger(this.populationSize) || this.populationSize < 2) {
      throw new ConfigError(`nsga2 populationSize ${JSON.stringify(options.populationSize)}: expected an integer >= 2`);
    }
    this.opts = {
      populationSize: this.populationSize,
      crossoverProb: options.crossoverProb ?? NSGA2_VARIATION.crossoverProb,
      sbxEta: options.sbxEta ?? NSGA2_VARIATION.sbxEta,
      mutationEta: options.mutationEta ?? NSGA2_VARIATION.mutationEta,
      mutationProb: options.mutationProb,
    };
  }

  ask(ctx: AskContext): Params {
    const g = Math.floor(ctx.trialNumber / this.populationSize);
    if (g === 0) return ctx.space.sample(ctx.rng);
    const pop = this.population(ctx, g - 1);
    if (pop.trials.length < 2) return ctx.space.sample(ctx.rng);
    const rng = ctx.rng;
    const p1 = this.tournament(pop, rng);
    const p2 = this.tournament(pop, rng);
    return breed(ctx.space, p1.params, p2.params, rng, {
      crossoverProb: this.opts.crossoverProb,
      sbxEta: this.opts.sbxEta,
      mutationEta: this.opts.mutationEta,
      mutationProb: this.opts.mutationProb ?? 1 / ctx.space.names.length,
    });
  }

  /** The parent population after generation `k` (its rank and crowding distance included). */
  private population(ctx: AskContext, k: number): Population {
    const key = `${ctx.history[0]?.startedAt ?? ''}|${ctx.objectives.map((o) => o.direction).join(',')}`;
    if (key !== this.cacheKey) {
      this.cache.clear();
      this.cacheKey = key;
    }
    const cached = this.cache.get(k);
    if (cached) return cached;
    // Walk forward from the last memoised generation so that the recursion depth stays small.
    let start = k;
    while (start > 0 && !this.cache.has(start - 1)) start--;
    let prev: Population | undefined = start > 0 ? this.cache.get(start - 1) : undefined;
    for (let j = start; j <= k; j++) {
      const pop = this.select(ctx, j, prev);
      if (pop.settled) this.cache.set(j, pop);
      prev = pop;
    }
    return prev as Population;
  }

  private select(ctx: AskContext, k: number, prev: Population | undefined): Population {
    const P = this.populationSize;
    const lo = k * P;
    const hi = lo + P;
    let gen: Trial[];
    let settled = prev === undefined || prev.settled;
    const slice = ctx.history.slice(lo, hi);
    if (slice.length === P && slice[0]?.number === lo && slice[P - 1]?.number === hi - 1) gen = slice;
    else {
      gen = ctx.history.filter((t) => t.number >= lo && t.number < hi);
      if (gen.length < P) settled = false;
    }
    if (gen.some((t) => t.state === 'running')) settled = false;
    const candidates = [...(prev?.trials ?? []), ...gen.filter((t) => t.state === 'complete' && t.values !== null)];
    const points = candidates.map((t) => toMinimization(t.values as number[], ctx.objectives));
    const viol = candidates.map((t) => violation(t.constraints));
    const fronts = nonDominatedSort(points, viol);
    const trials: Trial[] = [];
    const rank: number[] = [];
    const crowd: number[] = [];
    for (let f = 0; f < fronts.length && trials.length < P; f++) {
      const front = fronts[f] as number[];
      const cd = crowdingDistance(front.map((i) => points[i] as number[]));
      let order = front.map((_, j) => j);
      if (trials.length + front.length > P) order = order.sort((a, b) => (cd[b] as number) - (cd[a] as number) || a - b).slice(0, P - trials.length);
      for (const j of order) {
        trials.push(candidates[front[j] as number] as Trial);
        rank.push(f);
        crowd.push(cd[j] as number);
      }
    }
    return { trials, rank, crowd, settled };
  }

  private tournament(pop: Population, rng: Rng): Trial {
    const n = pop.trials.length;
    const a = rng.int(0, n - 1);
    const b = rng.int(0, n - 1);
    const ra = pop.rank[a] as number;
    const rb = pop.rank[b] as number;
    const pick = ra < rb ? a : rb < ra ? b : (pop.crowd[a] as number) >= (pop.crowd[b] as number) ? a : b;
    return pop.trials[pick] as Trial;
  }
}
