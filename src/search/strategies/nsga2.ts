/**
 * NSGA-II (Deb et al. 2002): non-dominated sorting, crowding distance, constraint domination,
 * binary tournaments, SBX and polynomial mutation. Generations are derived from proposal indices
 * (proposal i belongs to generation floor(i / populationSize)), so the population is rebuilt from
 * history alone; settled generations are memoised. A retry of a crashed or interrupted trial takes
 * the proposal index of the trial it runs again, so a resumed study breeds as an uninterrupted one.
 */
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../util/rng.js';
import { crowdingDistance, nonDominatedSort, toMinimization, violation } from '../pareto.js';
import { type AskContext, type Objective, type Params, RETRY_OF_ATTR, type SearchStrategy, type StrategyStatus, type Trial } from '../types.js';
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

/** Proposal indices of a history, read incrementally (finished trials are immutable, retry links are set at creation). */
interface Proposals {
  /** Trials read: the history prefix `[0, read)`. */
  read: number;
  /** Number and start time of the first and last trial read (a history that does not extend them is read again). */
  first: string;
  last: string;
  /** Proposal index of each trial read, by history position. */
  readonly index: number[];
  /** History position of each trial number read. */
  readonly position: Map<number, number>;
  /** Retries read so far whose original was found (each shifts later proposals down by one). */
  retries: number;
  /** History positions of each generation's members, in proposal order (a retry right after its original). */
  readonly members: number[][];
  /** Proposals (not retries) of each generation: it is complete at populationSize. */
  readonly fresh: number[];
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
  /** A generation is bred from the settled generation before it, which `status` waits for. */
  readonly timingFree = true;
  readonly populationSize: number;
  private readonly opts: Required<Omit<Nsga2Options, 'mutationProb'>> & { mutationProb: number | undefined };
  private cache = new Map<number, Population>();
  private cacheKey = '';
  private proposals: Proposals = Nsga2.noProposals();

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

  /**
   * `wait` while a trial of a generation before the next proposal's is still running: a generation is bred from the
   * settled generation before it, so that with trials in parallel the parents (and the proposals) do not depend on
   * which trials happened to finish first. Before session 54 NSGA-II had no such hook and bred from whatever had
   * finished.
   */
  status(ctx: { readonly history: readonly Trial[]; readonly objectives: readonly Objective[] }): StrategyStatus {
    const props = this.readProposals(ctx.history);
    const next = ctx.history.length - props.retries;
    const bred = Math.floor(next / this.populationSize) * this.populationSize;
    if (bred === 0) return 'ask';
    for (let at = 0; at < ctx.history.length; at++) {
      if ((props.index[at] as number) < bred && (ctx.history[at] as Trial).state === 'running') return 'wait';
    }
    return 'ask';
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
    const props = this.readProposals(ctx.history);
    const cached = this.cache.get(k);
    if (cached) return cached;
    // Walk forward from the last memoised generation so that the recursion depth stays small.
    let start = k;
    while (start > 0 && !this.cache.has(start - 1)) start--;
    let prev: Population | undefined = start > 0 ? this.cache.get(start - 1) : undefined;
    for (let j = start; j <= k; j++) {
      const pop = this.select(ctx, props, j, prev);
      if (pop.settled) this.cache.set(j, pop);
      prev = pop;
    }
    return prev as Population;
  }

  private static noProposals(): Proposals {
    return { read: 0, first: '', last: '', index: [], position: new Map(), retries: 0, members: [], fresh: [] };
  }

  /**
   * The proposal index of every trial of `history`, read from where the last call stopped. A trial that is not a retry
   * has its number less the retries before it (so without retries: its number, also in a wrapper's renumbered
   * history); a retry (RETRY_OF_ATTR) has its original's index when the original is in the history with the same
   * parameters, else it counts as a proposal of its own.
   */
  private readProposals(history: readonly Trial[]): Proposals {
    const mark = (t: Trial | undefined): string => (t ? `${t.number}|${t.startedAt}` : '');
    let p = this.proposals;
    if (history.length < p.read || mark(history[0]) !== p.first || mark(history[p.read - 1]) !== p.last) {
      p = Nsga2.noProposals();
      this.proposals = p;
      this.cache.clear();
      p.first = mark(history[0]);
    }
    const P = this.populationSize;
    for (; p.read < history.length; p.read++) {
      const t = history[p.read] as Trial;
      const of = t.userAttrs[RETRY_OF_ATTR];
      const at = typeof of === 'number' && of < t.number ? p.position.get(of) : undefined;
      const original = at === undefined ? undefined : history[at];
      const retry = original !== undefined && JSON.stringify(original.params) === JSON.stringify(t.params);
      const i = retry ? (p.index[at as number] as number) : t.number - p.retries;
      if (retry) p.retries++;
      p.index.push(i);
      p.position.set(t.number, p.read);
      const g = Math.floor(i / P);
      while (p.members.length <= g) {
        p.members.push([]);
        p.fresh.push(0);
      }
      const m = p.members[g] as number[];
      // keep proposal order (a retry may come after later proposals when trials run concurrently)
      let j = m.length;
      while (j > 0 && (p.index[m[j - 1] as number] as number) > i) j--;
      m.splice(j, 0, p.read);
      if (!retry) p.fresh[g] = (p.fresh[g] as number) + 1;
    }
    p.last = mark(history[p.read - 1]);
    return p;
  }

  /**
   * Generation `k`'s survivors among the parents `prev` and the complete trials of its proposals. It is settled (never
   * to change, so memoised) when all its proposals exist and none is running: the study loop runs every pending retry
   * of a crashed trial before it asks, so a retry cannot appear after its generation was read as settled.
   */
  private select(ctx: AskContext, props: Proposals, k: number, prev: Population | undefined): Population {
    const P = this.populationSize;
    const gen = (props.members[k] ?? []).map((at) => ctx.history[at] as Trial);
    let settled = (prev === undefined || prev.settled) && (props.fresh[k] ?? 0) >= P;
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
