/**
 * Regularised (aging) evolution (Real et al. 2019): the population is the most recent
 * `populationSize` complete trials; a tournament of `sampleSize` picks a parent; the child
 * changes one parameter. Multi-objective tournaments use constraint-aware non-dominated rank
 * then crowding distance. All state comes from history.
 */
import { ConfigError } from '../../errors.js';
import { crowdingDistance, nonDominatedSort, toMinimization, violation } from '../pareto.js';
import type { AskContext, JsonValue, Params, SearchStrategy, Trial } from '../types.js';
import { mutateParam } from './variation.js';

/** Options of {@link RegularizedEvolution}. */
export interface RegularizedEvolutionOptions {
  /** Number of most recent complete trials forming the population (default 50). */
  readonly populationSize?: number;
  /** Tournament size (default 10). */
  readonly sampleSize?: number;
  /** Polynomial-mutation distribution index for numeric parameters (default 20). */
  readonly mutationEta?: number;
}

/** Aging evolution; random sampling until the first population is complete. */
export class RegularizedEvolution implements SearchStrategy {
  readonly name = 'regularized-evolution';
  readonly populationSize: number;
  readonly sampleSize: number;
  private readonly mutationEta: number;

  constructor(options: RegularizedEvolutionOptions = {}) {
    this.populationSize = options.populationSize ?? 50;
    this.sampleSize = options.sampleSize ?? 10;
    this.mutationEta = options.mutationEta ?? 20;
    if (!Number.isInteger(this.populationSize) || this.populationSize < 2) {
      throw new ConfigError(`regularized-evolution populationSize ${JSON.stringify(options.populationSize)}: expected an integer >= 2`);
    }
    if (!Number.isInteger(this.sampleSize) || this.sampleSize < 1 || this.sampleSize > this.populationSize) {
      throw new ConfigError(`regularized-evolution sampleSize ${JSON.stringify(options.sampleSize)}: expected an integer in [1, populationSize]`);
    }
  }

  ask(ctx: AskContext): Params {
    const { rng, space } = ctx;
    const complete: Trial[] = [];
    for (let i = ctx.history.length - 1; i >= 0 && complete.length < this.populationSize; i--) {
      const t = ctx.history[i] as Trial;
      if (t.state === 'complete' && t.values !== null) complete.push(t);
    }
    if (complete.length < this.populationSize) return space.sample(rng);
    const sample = rng.shuffle(complete.slice()).slice(0, this.sampleSize);
    const points = sample.map((t) => toMinimization(t.values as number[], ctx.objectives));
    const viol = sample.map((t) => violation(t.constraints));
    const front = nonDominatedSort(points, viol)[0] as number[];
    const cd = crowdingDistance(front.map((i) => points[i] as number[]));
    let best = 0;
    for (let j = 1; j < front.length; j++) if ((cd[j] as number) > (cd[best] as number)) best = j;
    const parent = (sample[front[best] as number] as Trial).params;
    const name = rng.choice(space.names);
    const child: Record<string, JsonValue> = { ...parent };
    child[name] = mutateParam(space.spec(name), parent[name] as JsonValue, rng, this.mutationEta);
    return child;
  }
}
