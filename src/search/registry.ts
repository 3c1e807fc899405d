/** Registry of search strategies by name, so configs and the CLI can pick one. */
import { ConfigError } from '../errors.js';
import { BayesianOptimization, type BayesianOptimizationOptions } from './strategies/bayesian.js';
import { Nsga2, type Nsga2Options } from './strategies/nsga2.js';
import { RandomSearch } from './strategies/random.js';
import { RegularizedEvolution, type RegularizedEvolutionOptions } from './strategies/regularized-evolution.js';
import type { SearchStrategy } from './types.js';

/** Builds a strategy from a JSON options object. */
export type StrategyFactory = (options: Readonly<Record<string, unknown>>) => SearchStrategy;

const factories = new Map<string, StrategyFactory>();

/** Registers (or replaces) a strategy factory under `name`. */
export function registerStrategy(name: string, factory: StrategyFactory): void {
  factories.set(name, factory);
}

/** Names of the registered strategies, sorted. */
export function strategyNames(): string[] {
  return [...factories.keys()].sort();
}

/** A new strategy by registry name (ConfigError naming the known ones when unknown). */
export function createStrategy(name: string, options: Readonly<Record<string, unknown>> = {}): SearchStrategy {
  const f = factories.get(name);
  if (!f) throw new ConfigError(`unknown search strategy '${name}'; expected one of ${strategyNames().join(', ')}`);
  return f(options);
}

registerStrategy('random', () => new RandomSearch());
registerStrategy('nsga2', (o) => new Nsga2(o as Nsga2Options));
registerStrategy('bo', (o) => new BayesianOptimization(o as BayesianOptimizationOptions));
registerStrategy('regularized-evolution', (o) => new RegularizedEvolution(o as RegularizedEvolutionOptions));
