/** Standard test problems with known optima, for strategy conformance tests and benchmarks. */
import { SearchSpace } from '../space.js';
import type { Objective, Params } from '../types.js';

/** A benchmark problem: space, objectives and a pure evaluation function. */
export interface TestProblem {
  readonly name: string;
  readonly space: SearchSpace;
  readonly objectives: readonly Objective[];
  evaluate(p: Params): number[];
}

function unitSpace(n: number): SearchSpace {
  const params: Record<string, { kind: 'float'; low: number; high: number }> = {};
  for (let i = 0; i < n; i++) params[`x${i}`] = { kind: 'float', low: 0, high: 1 };
  return new SearchSpace(params);
}

function zdtG(p: Params, n: number): number {
  let s = 0;
  for (let i = 1; i < n; i++) s += p[`x${i}`] as number;
  return 1 + (9 * s) / (n - 1);
}

const twoMin: readonly Objective[] = [
  { name: 'f1', direction: 'minimize' },
  { name: 'f2', direction: 'minimize' },
];

/** ZDT1 (convex front f2 = 1 - sqrt(f1)), n variables in [0, 1] (default 30). */
export function zdt1(n = 30): TestProblem {
  return {
    name: 'zdt1',
    space: unitSpace(n),
    objectives: twoMin,
    evaluate: (p) => {
      const f1 = p.x0 as number;
      const g = zdtG(p, n);
      return [f1, g * (1 - Math.sqrt(f1 / g))];
    },
  };
}

/** ZDT2 (concave front f2 = 1 - f1^2), n variables in [0, 1] (default 30). */
export function zdt2(n = 30): TestProblem {
  return {
    name: 'zdt2',
    space: unitSpace(n),
    objectives: twoMin,
    evaluate: (p) => {
      const f1 = p.x0 as number;
      const g = zdtG(p, n);
      return [f1, g * (1 - (f1 / g) ** 2)];
    },
  };
}

/** Hypervolume of the true ZDT1 front with reference point (r, r), r >= 1 (exact: r^2 - 1/3). */
export function zdt1TrueHypervolume(r = 1.1): number {
  // Integral over f1 in [0, 1] of (r - (1 - sqrt f1)) plus the strip f1 in [1, r] of height r.
  return r - 1 + 2 / 3 + (r - 1) * r;
}

/** Hypervolume of the true ZDT2 front with reference point (r, r), r >= 1 (exact: r^2 - 2/3). */
export function zdt2TrueHypervolume(r = 1.1): number {
  return r - 1 + 1 / 3 + (r - 1) * r;
}

/** Branin-Hoo on [-5, 10] x [0, 15]; global minimum 0.397887 at three points. */
export function branin(): TestProblem {
  return {
    name: 'branin',
    space: new SearchSpace({ x1: { kind: 'float', low: -5, high: 10 }, x2: { kind: 'float', low: 0, high: 15 } }),
    objectives: [{ name: 'f', direction: 'minimize' }],
    evaluate: (p) => {
      const x1 = p.x1 as number;
      const x2 = p.x2 as number;
      const a = x2 - (5.1 / (4 * Math.PI ** 2)) * x1 * x1 + (5 / Math.PI) * x1 - 6;
      return [a * a + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10];
    },
  };
}

/** Branin's global minimum value. */
export const BRANIN_MINIMUM = 0.397887;
