/**
 * `uniform`: the uniform-precision baseline as a study strategy. Its proposals are the uniform
 * precisions (every layer at the same weight and activation bits) that fit the budget, most bits first:
 * equal weight/activation widths first (the first trial is the highest WbAb that fits), then mixed
 * pairs by total bits; past the last one it proposes the cheapest again. Deterministic.
 */
import { z } from 'zod';
import { InfeasibleError } from '../../errors.js';
import type { StrategyContext } from '../../search/registry.js';
import type { AskContext, Params, SearchStrategy } from '../../search/types.js';
import { parseWith } from '../../util/zod-error.js';
import { bitsParams, episodeOutcomes, parseQuantProblem, type QuantProblem, tableCost } from './problem.js';

/** Options of the `uniform` strategy (JSON). */
export interface UniformOptions {
  readonly problem: QuantProblem;
}

/** The uniform precisions of a problem that fit its budget, in proposal order. */
export function uniformCandidates(p: QuantProblem): { readonly weightBits: number; readonly actBits: number; readonly cost: number }[] {
  const n = p.layers.length;
  const all = p.weightBits.flatMap((w) =>
    p.actBits.map((a) => ({ weightBits: w, actBits: a, cost: tableCost(p, new Array<number>(n).fill(w), new Array<number>(n).fill(a)) })),
  );
  return all
    .filter((c) => c.cost <= p.budget.value)
    .sort(
      (x, y) =>
        Number(y.weightBits === y.actBits) - Number(x.weightBits === x.actBits) ||
        y.weightBits + y.actBits - (x.weightBits + x.actBits) ||
        y.weightBits - x.weightBits,
    );
}

/** Uniform precisions under the budget, most bits first. */
export class UniformStrategy implements SearchStrategy {
  readonly name = 'uniform';
  private readonly order: ReturnType<typeof uniformCandidates>;
  constructor(private readonly p: QuantProblem) {
    this.order = uniformCandidates(p);
    if (this.order.length === 0) {
      const n = p.layers.length;
      const cheapest = tableCost(p, new Array<number>(n).fill(p.weightBits[0] as number), new Array<number>(n).fill(p.actBits[0] as number));
      throw new InfeasibleError(
        `no uniform precision meets the ${p.budget.kind} budget ${Number(p.budget.value.toPrecision(4))} (cheapest uniform ${p.budget.kind}: ${cheapest.toPrecision(4)}); expected a larger budget`,
      );
    }
  }

  ask(ctx: AskContext): Params {
    const k = Math.min(episodeOutcomes(ctx.history).length, this.order.length - 1);
    const c = this.order[k] as (typeof this.order)[number];
    const n = this.p.layers.length;
    return bitsParams(this.p.layers, new Array<number>(n).fill(c.weightBits), new Array<number>(n).fill(c.actBits));
  }
}

/** Builds the `uniform` strategy from JSON options. */
export function createUniformStrategy(options: Readonly<Record<string, unknown>>, _ctx: StrategyContext | undefined): UniformStrategy {
  const o = parseWith(z.object({ problem: z.unknown() }).strict(), options, "strategy 'uniform' options");
  return new UniformStrategy(parseQuantProblem(o.problem, "strategy 'uniform' options.problem"));
}
