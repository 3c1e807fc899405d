/**
 * Variation operators shared by the evolutionary strategies: simulated binary crossover (SBX) and
 * polynomial mutation in the unit interval for numeric parameters, uniform crossover and random
 * reset for categoricals, and the codec's own operators for structured parameters.
 */
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../util/rng.js';
import { categoricalIndex, fromUnit, type ParamSpec, type SearchSpace, toUnit } from '../space.js';
import type { JsonValue, Params } from '../types.js';

/** Tuning of {@link crossover} and {@link mutate}. */
export interface VariationOptions {
  /** SBX distribution index (larger: children closer to parents). */
  readonly sbxEta: number;
  /** Polynomial-mutation distribution index. */
  readonly mutationEta: number;
  /** Probability that each parameter is mutated. */
  readonly mutationProb: number;
}

/** NSGA-II's variation defaults (Deb et al. 2002): crossover probability 0.9, SBX index 15, mutation index 20. */
export const NSGA2_VARIATION = { crossoverProb: 0.9, sbxEta: 15, mutationEta: 20 } as const;

/**
 * Checks a population size the user gave an evolutionary strategy (NSGA-II, regularized evolution) against the
 * study's trial budget: with a population of at least the budget, every trial is a random sample of the first
 * generation and the strategy is random search under another name. ConfigError naming both numbers.
 * @example checkPopulationFits('nsga2', 100, 10) // throws: nsga2 populationSize 100 is not below the study's 10 trials ...
 */
export function checkPopulationFits(strategy: string, populationSize: number, nTrials: number): void {
  if (populationSize < nTrials) return;
  throw new ConfigError(
    `${strategy} populationSize ${populationSize} is not below the study's ${nTrials} trials: every trial would be a random sample of the first generation; expected populationSize < ${nTrials} (about a tenth of the trials) or more than ${populationSize} trials`,
  );
}

/** One NSGA-II child of parents a and b: {@link crossover} with probability `crossoverProb` (else a copy of a), then {@link mutate}. */
export function breed(space: SearchSpace, a: Params, b: Params, rng: Rng, opts: VariationOptions & { readonly crossoverProb: number }): Params {
  const child = rng.next() < opts.crossoverProb ? crossover(space, a, b, rng, opts) : { ...a };
  return mutate(space, child, rng, opts);
}

/** One child of two parents: SBX for numbers, uniform choice for categoricals, codec crossover for structured. */
export function crossover(space: SearchSpace, a: Params, b: Params, rng: Rng, opts: VariationOptions): Params {
  const out: Record<string, JsonValue> = {};
  const first = rng.next() < 0.5;
  for (const name of space.names) {
    const spec = space.params[name] as ParamSpec;
    const va = a[name] as JsonValue;
    const vb = b[name] as JsonValue;
    if (spec.kind === 'categorical') out[name] = rng.next() < 0.5 ? va : vb;
    else if (spec.kind === 'structured') {
      if (spec.codec.crossover) out[name] = spec.codec.crossover(va, vb, rng);
      else {
        const ea = spec.codec.encode(va);
        const eb = spec.codec.encode(vb);
        out[name] = spec.codec.decode(ea.map((x, i) => (rng.next() < 0.5 ? x : (eb[i] as number))));
      }
    } else {
      const [c1, c2] = sbx(toUnit(spec, va as number), toUnit(spec, vb as number), opts.sbxEta, rng);
      out[name] = fromUnit(spec, first ? c1 : c2);
    }
  }
  return out;
}

/** Mutates each parameter with probability `mutationProb`. */
export function mutate(space: SearchSpace, x: Params, rng: Rng, opts: VariationOptions): Params {
  const out: Record<string, JsonValue> = { ...x };
  for (const name of space.names) {
    if (rng.next() < opts.mutationProb) out[name] = mutateParam(space.params[name] as ParamSpec, x[name] as JsonValue, rng, opts.mutationEta);
  }
  return out;
}

/** A changed value of one parameter (different from `v` whenever the parameter has another value). */
export function mutateParam(spec: ParamSpec, v: JsonValue, rng: Rng, eta: number): JsonValue {
  switch (spec.kind) {
    case 'categorical': {
      if (spec.choices.length === 1) return v;
      const i = categoricalIndex(spec, v);
      let j = rng.int(0, spec.choices.length - 2);
      if (j >= i) j++;
      return spec.choices[j] as JsonValue;
    }
    case 'structured':
      return spec.codec.mutate(v, rng);
    case 'float':
      return fromUnit(spec, polynomialMutation(toUnit(spec, v as number), eta, rng));
    case 'int': {
      const y = fromUnit(spec, polynomialMutation(toUnit(spec, v as number), eta, rng));
      if (y !== v || spec.low === spec.high) return y;
      const step = spec.step ?? 1;
      const up = (v as number) + step <= spec.high;
      const down = (v as number) - step >= spec.low;
      return (v as number) + (up && (!down || rng.next() < 0.5) ? step : -step);
    }
  }
}

/** Deb's bounded SBX on [0, 1]: two children. */
export function sbx(x1: number, x2: number, eta: number, rng: Rng): [number, number] {
  if (rng.next() >= 0.5 || Math.abs(x1 - x2) < 1e-14) return [x1, x2];
  const y1 = Math.min(x1, x2);
  const y2 = Math.max(x1, x2);
  const r = rng.next();
  const spread = (beta: number): number => {
    const alpha = 2 - beta ** -(eta + 1);
    return r <= 1 / alpha ? (r * alpha) ** (1 / (eta + 1)) : (1 / (2 - r * alpha)) ** (1 / (eta + 1));
  };
  const bq1 = spread(1 + (2 * y1) / (y2 - y1));
  const bq2 = spread(1 + (2 * (1 - y2)) / (y2 - y1));
  let c1 = Math.min(1, Math.max(0, 0.5 * (y1 + y2 - bq1 * (y2 - y1))));
  let c2 = Math.min(1, Math.max(0, 0.5 * (y1 + y2 + bq2 * (y2 - y1))));
  if (rng.next() < 0.5) [c1, c2] = [c2, c1];
  return [c1, c2];
}

/** Deb's bounded polynomial mutation on [0, 1]. */
export function polynomialMutation(y: number, eta: number, rng: Rng): number {
  const r = rng.next();
  const p = 1 / (eta + 1);
  let dq: number;
  if (r < 0.5) {
    const v = 2 * r + (1 - 2 * r) * (1 - y) ** (eta + 1);
    dq = v ** p - 1;
  } else {
    const v = 2 * (1 - r) + 2 * (r - 0.5) * y ** (eta + 1);
    dq = 1 - v ** p;
  }
  return Math.min(1, Math.max(0, y + dq));
}
