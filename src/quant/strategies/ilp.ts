/**
 * `ilp`: the HAWQ-style integer program as a study strategy. One-shot: the first trial is the optimum
 * (least summed sensitivity score) under the budget. Further trials, when the study allows them, are
 * the optima under budgets tightened in steps of `tighten` (default 2% of the budget) until the solution
 * changes, so each trial is a new policy on the accuracy/cost trade-off; once the tightened budget
 * admits nothing, the last solution is proposed again. Budget check: the evaluation costs each trial
 * with the target's own network cost (the table is layer-additive; fusion-aware or measured targets are
 * not); when a trial was over its budget (constraint > 0), the next solution is the optimum under the
 * budget tightened by that overshoot (a repair), so an over-budget optimum is followed by one that
 * fits. Deterministic (seed-independent): the overshoots are stored with the trials.
 */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import type { Precision } from '../../hardware/precision.js';
import type { StrategyContext } from '../../search/registry.js';
import type { AskContext, Params, SearchStrategy } from '../../search/types.js';
import { parseWith } from '../../util/zod-error.js';
import { type AllocationLayer, BudgetInfeasibleError, solveAllocation } from '../ilp.js';
import { bitsParams, episodeOutcomes, parseQuantProblem, type QuantProblem } from './problem.js';

/** Options of the `ilp` strategy (JSON). */
export interface IlpStrategyOptions {
  readonly problem: QuantProblem;
  /** Sensitivity score per layer, weight width and activation width (`[layer][w][a]`, smaller is better). */
  readonly scores: readonly (readonly (readonly number[])[])[];
  /** Fraction of the budget removed per further trial (default 0.02). */
  readonly tighten?: number;
  /**
   * Resilience row (issue 14): expected fault damage per layer, weight width and activation width
   * (`[layer][w][a]`, e.g. the topology predictor's per-layer term), whose sum must not exceed `max`.
   */
  readonly fault?: { readonly damage: readonly (readonly (readonly number[])[])[]; readonly max: number };
}

const optionsSchema = z
  .object({
    problem: z.unknown(),
    scores: z.array(z.array(z.array(z.number()))),
    tighten: z.number().gt(0).lt(1).optional(),
    fault: z
      .object({ damage: z.array(z.array(z.array(z.number().nonnegative()))), max: z.number().positive() })
      .strict()
      .optional(),
  })
  .strict();

/** The ILP's proposals, solved lazily and memoised. */
export class IlpStrategy implements SearchStrategy {
  readonly name = 'ilp';
  private readonly solutions: { readonly wb: number[]; readonly ab: number[] }[] = [];
  private factor = 1;
  private exhausted = false;
  private readonly layers: AllocationLayer<Precision>[];

  constructor(private readonly o: IlpStrategyOptions) {
    const p = o.problem;
    const ok = o.scores.length === p.layers.length && o.scores.every((s) => s.length === p.weightBits.length && s.every((r) => r.length === p.actBits.length));
    if (!ok)
      throw new ConfigError(
        `strategy 'ilp' options.scores: expected [${p.layers.length} layers][${p.weightBits.length} weight bits][${p.actBits.length} activation bits]`,
      );
    const fd = o.fault?.damage;
    if (fd && !(fd.length === p.layers.length && fd.every((s) => s.length === p.weightBits.length && s.every((r) => r.length === p.actBits.length))))
      throw new ConfigError(
        `strategy 'ilp' options.fault.damage: expected [${p.layers.length} layers][${p.weightBits.length} weight bits][${p.actBits.length} activation bits]`,
      );
    const kind = p.budget.kind;
    this.layers = p.layers.map((l, i) => ({
      name: l.name,
      options: p.weightBits.flatMap((w, wi) =>
        p.actBits.map((a, ai) => ({
          value: { weightBits: w, actBits: a },
          score: ((o.scores[i] as number[][])[wi] as number[])[ai] as number,
          cost: {
            [kind]: ((p.table.deltas[i] as number[][])[wi] as number[])[ai] as number,
            ...(fd ? { fault: ((fd[i] as number[][])[wi] as number[])[ai] as number } : {}),
          },
        })),
      ),
    }));
  }

  private async solve(factor: number): Promise<{ wb: number[]; ab: number[] }> {
    const p = this.o.problem;
    const sol = await solveAllocation({
      layers: this.layers,
      // the fault row (when given) keeps its line while the cost budget is tightened
      budget: { [p.budget.kind]: p.budget.value * factor, ...(this.o.fault ? { fault: this.o.fault.max } : {}) },
      fixedCost: { [p.budget.kind]: p.table.base },
    });
    return { wb: sol.values.map((v) => v.weightBits), ab: sol.values.map((v) => v.actBits) };
  }

  /**
   * The k-th solution (k = 0: the optimum under the full budget); `overshoot[j]` is how far trial j's
   * cost on the target was over the budget (<= 0 or undefined: within it).
   */
  async solution(k: number, overshoot: readonly (number | undefined)[] = []): Promise<{ readonly wb: number[]; readonly ab: number[] }> {
    const same = (a: { wb: number[]; ab: number[] }, b: { wb: number[]; ab: number[] }): boolean =>
      a.wb.every((x, i) => x === b.wb[i]) && a.ab.every((x, i) => x === b.ab[i]);
    const budget = this.o.problem.budget.value;
    while (this.solutions.length <= k && !this.exhausted) {
      if (this.solutions.length === 0) {
        this.solutions.push(await this.solve(1)); // infeasible: the error names the cheapest achievable cost
        continue;
      }
      const over = overshoot[this.solutions.length - 1] ?? 0;
      if (over > 0) {
        // repair: the last solution was over budget on the target; tighten by its overshoot
        this.factor -= over / budget + 1e-9;
        try {
          this.solutions.push(await this.solve(this.factor));
        } catch (e) {
          if (!(e instanceof BudgetInfeasibleError)) throw e;
          this.exhausted = true;
        }
        continue;
      }
      const step = this.o.tighten ?? 0.02;
      for (;;) {
        this.factor -= step;
        if (this.factor <= 0) {
          this.exhausted = true;
          break;
        }
        try {
          const s = await this.solve(this.factor);
          if (this.solutions.some((x) => same(x, s))) continue;
          this.solutions.push(s);
          break;
        } catch (e) {
          if (!(e instanceof BudgetInfeasibleError)) throw e;
          this.exhausted = true;
          break;
        }
      }
    }
    return this.solutions[Math.min(k, this.solutions.length - 1)] as { wb: number[]; ab: number[] };
  }

  async ask(ctx: AskContext): Promise<Params> {
    const eps = episodeOutcomes(ctx.history);
    const overshoot = eps.map((e) => (e.trial.state === 'complete' ? (e.trial.constraints?.[0] ?? undefined) : undefined));
    const s = await this.solution(eps.length, overshoot);
    return bitsParams(this.o.problem.layers, s.wb, s.ab);
  }
}

/** Builds the `ilp` strategy from JSON options (ConfigError naming a bad field). */
export function createIlpStrategy(options: Readonly<Record<string, unknown>>, _ctx: StrategyContext | undefined): IlpStrategy {
  const o = parseWith(optionsSchema, options, "strategy 'ilp' options");
  return new IlpStrategy({ ...o, problem: parseQuantProblem(o.problem, "strategy 'ilp' options.problem") } as IlpStrategyOptions);
}
