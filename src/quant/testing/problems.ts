/** Random resource-allocation problems for the ILP's tests and benchmark. */
import type { Rng } from '../../util/rng.js';
import { type AllocationProblem, cheapestCosts } from '../ilp.js';

/** A random allocation problem shaped like a real one (score falls, costs rise with bits). */
export function randomAllocationProblem(
  rng: Rng,
  layers: number,
  bits: readonly number[],
  budgetFrac: number,
  kinds: readonly ('latency' | 'size' | 'energy' | 'bops')[],
): AllocationProblem<number> {
  const ls = Array.from({ length: layers }, (_, i) => {
    const sens = Math.exp(rng.normal(0, 2));
    const macs = rng.uniform(1e4, 1e6);
    const params = rng.uniform(1e3, 1e5);
    return {
      name: `l${i}`,
      options: bits.map((b) => ({
        value: b,
        score: sens * 4 ** -b * rng.uniform(0.8, 1.2),
        cost: { latency: (macs * b) / 8e6 + rng.uniform(0, 0.01), size: (params * b) / 8, energy: macs * (0.5 + b / 8) * 1e-6, bops: macs * b * b },
      })),
    };
  });
  const budget: Record<string, number> = {};
  for (const k of kinds) {
    const hi = ls.reduce((s, l) => s + (l.options[l.options.length - 1]?.cost[k] ?? 0), 0);
    const lo = cheapestCosts({ layers: ls, budget: {} }, [k])[k] as number;
    budget[k] = lo + budgetFrac * (hi - lo);
  }
  return { layers: ls, budget };
}
