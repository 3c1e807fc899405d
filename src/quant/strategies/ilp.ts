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
  readonly fault?: {
    readonly damage: readonly (readonly (readonly number[])[])[];
    readonly max: number;
    /**
     * Protection as per-layer decisions (issue 14): every (layer, w, a) option also exists hardened (SEC-DED ECC on
     * the layer's weights), with damage x `factor` and the budgeted cost plus `extra[layer][w][a]` (the target's own
     * extra cost of that layer's ECC, in the budget's units). Proposals carry `<layer>.ecc` = 0/1.
     */
    readonly harden?: { readonly factor: number; readonly extra: readonly (readonly (readonly number[])[])[] };
    /**
     * Range restriction as a whole-network decision: the problem is also solved with the damage table `damage`
     * (the predictor's with every layer bounded) and the budget reduced by `extra` (the clip nodes' cost on the
     * target); the solution with the smaller score is proposed (ties: without). Proposals carry `range` = 0/1.
     */
    readonly range?: { readonly damage: readonly (readonly (readonly number[])[])[]; readonly extra: number };
  };
}

/** One proposal of the ILP: bits per layer, and the protection chosen when the study has it. */
interface IlpSolution {
  readonly wb: number[];
  readonly ab: number[];
  readonly ecc: boolean[];
  readonly range: boolean;
}

const optionsSchema = z
  .object({
    problem: z.unknown(),
    scores: z.array(z.array(z.array(z.number()))),
    tighten: z.number().gt(0).lt(1).optional(),
    fault: z
      .object({
        damage: z.array(z.array(z.array(z.number().nonnegative()))),
        max: z.number().positive(),
        harden: z
          .object({ factor: z.number().min(0).max(1), extra: z.array(z.array(z.array(z.number().nonnegative()))) })
          .strict()
          .optional(),
        range: z
          .object({ damage: z.array(z.array(z.array(z.number().nonnegative()))), extra: z.number().nonnegative() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** One option of a layer in the integer program: its precision, hardened or not. */
interface IlpChoice extends Precision {
  readonly ecc: boolean;
}

/** The ILP's proposals, solved lazily and memoised. */
export class IlpStrategy implements SearchStrategy {
  readonly name = 'ilp';
  private readonly solutions: IlpSolution[] = [];
  private factor = 1;
  private exhausted = false;
  private readonly layers: AllocationLayer<IlpChoice>[];
  private rangeLayers: AllocationLayer<IlpChoice>[] | undefined;

  constructor(private readonly o: IlpStrategyOptions) {
    const p = o.problem;
    const ok = o.scores.length === p.layers.length && o.scores.every((s) => s.length === p.weightBits.length && s.every((r) => r.length === p.actBits.length));
    if (!ok)
      throw new ConfigError(
        `strategy 'ilp' options.scores: expected [${p.layers.length} layers][${p.weightBits.length} weight bits][${p.actBits.length} activation bits]`,
      );
    const shaped = (t: readonly (readonly (readonly number[])[])[] | undefined, what: string): void => {
      if (t && !(t.length === p.layers.length && t.every((x) => x.length === p.weightBits.length && x.every((r) => r.length === p.actBits.length))))
        throw new ConfigError(
          `strategy 'ilp' options.fault.${what}: expected [${p.layers.length} layers][${p.weightBits.length} weight bits][${p.actBits.length} activation bits]`,
        );
    };
    shaped(o.fault?.damage, 'damage');
    shaped(o.fault?.harden?.extra, 'harden.extra');
    shaped(o.fault?.range?.damage, 'range.damage');
    this.layers = this.allocationLayers(o.fault?.damage);
    if (o.fault?.range) this.rangeLayers = this.allocationLayers(o.fault.range.damage);
  }

  private allocationLayers(fd: readonly (readonly (readonly number[])[])[] | undefined): AllocationLayer<IlpChoice>[] {
    const o = this.o;
    const p = o.problem;
    const kind = p.budget.kind;
    const at = (t: readonly (readonly (readonly number[])[])[], i: number, wi: number, ai: number): number =>
      ((t[i] as number[][])[wi] as number[])[ai] as number;
    const harden = o.fault?.harden;
    return p.layers.map((l, i) => ({
      name: l.name,
      options: p.weightBits.flatMap((w, wi) =>
        p.actBits.flatMap((a, ai) => {
          const score = at(o.scores, i, wi, ai);
          const delta = at(p.table.deltas, i, wi, ai);
          const plain = { value: { weightBits: w, actBits: a, ecc: false }, score, cost: { [kind]: delta, ...(fd ? { fault: at(fd, i, wi, ai) } : {}) } };
          if (!harden || !fd) return [plain];
          const hardened = {
            value: { weightBits: w, actBits: a, ecc: true },
            score,
            cost: { [kind]: delta + at(harden.extra, i, wi, ai), fault: at(fd, i, wi, ai) * harden.factor },
          };
          return [plain, hardened];
        }),
      ),
    }));
  }

  private async solveWith(
    layers: AllocationLayer<IlpChoice>[],
    factor: number,
    extra: number,
    damage: readonly (readonly (readonly number[])[])[] | undefined,
  ) {
    const p = this.o.problem;
    const f = this.o.fault;
    const sol = await solveAllocation({
      layers,
      // the fault row (when given) keeps its line while the cost budget is tightened
      budget: { [p.budget.kind]: p.budget.value * factor, ...(f ? { fault: f.max } : {}) },
      fixedCost: { [p.budget.kind]: p.table.base + extra },
    });
    const values = [...sol.values];
    const harden = f?.harden;
    if (f && harden && damage) {
      // hardening does not change the score: drop any the fault line does not need (ties are otherwise arbitrary)
      const d = (i: number, v: IlpChoice): number =>
        (((damage[i] as number[][])[p.weightBits.indexOf(v.weightBits)] as number[])[p.actBits.indexOf(v.actBits)] as number) * (v.ecc ? harden.factor : 1);
      let total = values.reduce((s, v, i) => s + d(i, v), 0);
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as IlpChoice;
        if (!v.ecc) continue;
        const plain = { ...v, ecc: false };
        if (total - d(i, v) + d(i, plain) <= f.max) {
          total += d(i, plain) - d(i, v);
          values[i] = plain;
        }
      }
    }
    return { values, objective: values.reduce((s, v, i) => s + this.scoreOf(i, v), 0) };
  }

  private scoreOf(i: number, v: IlpChoice): number {
    const p = this.o.problem;
    return ((this.o.scores[i] as number[][])[p.weightBits.indexOf(v.weightBits)] as number[])[p.actBits.indexOf(v.actBits)] as number;
  }

  private async solve(factor: number): Promise<IlpSolution> {
    const toSolution = (values: readonly IlpChoice[], range: boolean): IlpSolution => ({
      wb: values.map((v) => v.weightBits),
      ab: values.map((v) => v.actBits),
      ecc: values.map((v) => v.ecc),
      range,
    });
    const range = this.o.fault?.range;
    if (!range || !this.rangeLayers) return toSolution((await this.solveWith(this.layers, factor, 0, this.o.fault?.damage)).values, false);
    // range restriction as a decision: solve with and without it, keep the better score (ties: without, it costs more)
    let plain: Awaited<ReturnType<IlpStrategy['solveWith']>> | undefined;
    let error: unknown;
    try {
      plain = await this.solveWith(this.layers, factor, 0, this.o.fault?.damage);
    } catch (e) {
      if (!(e instanceof BudgetInfeasibleError)) throw e;
      error = e;
    }
    let restricted: Awaited<ReturnType<IlpStrategy['solveWith']>> | undefined;
    try {
      restricted = await this.solveWith(this.rangeLayers, factor, range.extra, range.damage);
    } catch (e) {
      if (!(e instanceof BudgetInfeasibleError)) throw e;
      error ??= e;
    }
    if (plain && (!restricted || plain.objective <= restricted.objective)) return toSolution(plain.values, false);
    if (restricted) return toSolution(restricted.values, true);
    throw error;
  }

  /**
   * The k-th solution (k = 0: the optimum under the full budget); `overshoot[j]` is how far trial j's
   * cost on the target was over the budget (<= 0 or undefined: within it).
   */
  async solution(k: number, overshoot: readonly (number | undefined)[] = []): Promise<IlpSolution> {
    const same = (a: IlpSolution, b: IlpSolution): boolean =>
      a.range === b.range && a.wb.every((x, i) => x === b.wb[i]) && a.ab.every((x, i) => x === b.ab[i]) && a.ecc.every((x, i) => x === b.ecc[i]);
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
    return this.solutions[Math.min(k, this.solutions.length - 1)] as IlpSolution;
  }

  async ask(ctx: AskContext): Promise<Params> {
    const eps = episodeOutcomes(ctx.history);
    const overshoot = eps.map((e) => (e.trial.state === 'complete' ? (e.trial.constraints?.[0] ?? undefined) : undefined));
    const s = await this.solution(eps.length, overshoot);
    const f = this.o.fault;
    return bitsParams(this.o.problem.layers, s.wb, s.ab, {
      ...(f?.harden ? { ecc: s.ecc } : {}),
      ...(f?.range ? { range: s.range } : {}),
    });
  }
}

/** Builds the `ilp` strategy from JSON options (ConfigError naming a bad field). */
export function createIlpStrategy(options: Readonly<Record<string, unknown>>, _ctx: StrategyContext | undefined): IlpStrategy {
  const o = parseWith(optionsSchema, options, "strategy 'ilp' options");
  return new IlpStrategy({ ...o, problem: parseQuantProblem(o.problem, "strategy 'ilp' options.problem") } as IlpStrategyOptions);
}
