/**
 * `quant-random`: the random baseline of the quantization studies. Each trial draws uniform random
 * weight and activation bits per layer (from an Rng seeded by the study seed and the episode number,
 * so a resumed study draws the same), then, as in HAQ, the first and last layers go to the widest bits
 * (when the budget admits it) and the budget wall lowers bits until the table cost fits.
 */
import { z } from 'zod';
import type { StrategyContext } from '../../search/registry.js';
import { type AskContext, type Params, type SearchStrategy, trialSeed } from '../../search/types.js';
import { Rng } from '../../util/rng.js';
import { parseWith } from '../../util/zod-error.js';
import { budgetInfeasible } from '../cost.js';
import { lowerUntilFits, pinFirstLast } from '../haq.js';
import { bitsParams, episodeOutcomes, parseQuantProblem, type QuantProblem, studySeed, tableCost } from './problem.js';

/** Options of the `quant-random` strategy (JSON). */
export interface QuantRandomOptions {
  readonly problem: QuantProblem;
}

/** Uniform random per-layer bits pushed under the budget. */
export class QuantRandomStrategy implements SearchStrategy {
  readonly name = 'quant-random';
  constructor(
    private readonly p: QuantProblem,
    private readonly seed: number,
  ) {
    const n = p.layers.length;
    const low = tableCost(p, new Array<number>(n).fill(p.weightBits[0] as number), new Array<number>(n).fill(p.actBits[0] as number));
    if (low > p.budget.value) throw budgetInfeasible(p.budget, low);
  }

  ask(ctx: AskContext): Params {
    const rng = new Rng(trialSeed(this.seed, episodeOutcomes(ctx.history).length));
    const p = this.p;
    const wb = p.layers.map(() => rng.choice(p.weightBits));
    const ab = p.layers.map(() => rng.choice(p.actBits));
    // the same first/last pins and budget wall as HAQ, so the comparison isolates the agent
    const cost = (w: readonly number[], a: readonly number[]): number => tableCost(p, w, a);
    const pins = pinFirstLast(cost, p.budget, wb, ab, p.weightBits, p.actBits);
    lowerUntilFits(cost, p.budget, wb, ab, p.weightBits, p.actBits, pins);
    return bitsParams(p.layers, wb, ab);
  }
}

/** Builds the `quant-random` strategy from JSON options. */
export function createQuantRandomStrategy(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): QuantRandomStrategy {
  const o = parseWith(z.object({ problem: z.unknown() }).strict(), options, "strategy 'quant-random' options");
  return new QuantRandomStrategy(parseQuantProblem(o.problem, "strategy 'quant-random' options.problem"), studySeed(ctx));
}
