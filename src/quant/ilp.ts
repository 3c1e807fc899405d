/**
 * HAWQ-V3 / HANT style bit allocation as an integer linear program, solved exactly with HiGHS:
 * choose one option (a precision) per layer, minimising the summed sensitivity score (e.g. Hessian
 * trace x quantization perturbation) subject to additive budgets on latency, energy, size and BOPs.
 */
import { ConfigError, InfeasibleError } from '../errors.js';

/** Resources an allocation can be budgeted on. */
export type CostKind = 'latency' | 'energy' | 'size' | 'bops';

/** All cost kinds, in a fixed order. */
export const COST_KINDS: readonly CostKind[] = ['latency', 'energy', 'size', 'bops'];

/** One choice for one layer: its score (lower is better) and its additive costs. */
export interface AllocationOption<T = unknown> {
  /** What the option stands for (e.g. a Precision); returned as is. */
  readonly value: T;
  /** Objective contribution, e.g. trace x ||Q(w)-w||^2; must be finite. */
  readonly score: number;
  /** Additive cost of this layer at this option (kinds not budgeted may be omitted). */
  readonly cost: Readonly<Partial<Record<CostKind, number>>>;
}

/** A layer and its options. */
export interface AllocationLayer<T = unknown> {
  readonly name: string;
  readonly options: readonly AllocationOption<T>[];
}

/** An upper bound per cost kind (absolute units of the costs). */
export type Budget = Readonly<Partial<Record<CostKind, number>>>;

/** A bit-allocation problem. */
export interface AllocationProblem<T = unknown> {
  readonly layers: readonly AllocationLayer<T>[];
  readonly budget: Budget;
  /** Costs that do not depend on the choice (e.g. non-quantizable nodes), added to every total. */
  readonly fixedCost?: Readonly<Partial<Record<CostKind, number>>>;
}

/** The solution: the chosen option index per layer, its objective and costs. */
export interface AllocationSolution<T = unknown> {
  readonly choice: readonly number[];
  readonly values: readonly T[];
  readonly objective: number;
  /** Totals including `fixedCost`, for every kind any option carries. */
  readonly cost: Readonly<Partial<Record<CostKind, number>>>;
  /** Solver wall time in ms (excluding wasm load). */
  readonly solveMs: number;
}

/** Thrown when no allocation meets the budget; carries the cheapest achievable total per budgeted kind. */
export class BudgetInfeasibleError extends InfeasibleError {
  override name = 'BudgetInfeasibleError';
  constructor(
    message: string,
    /** The cheapest achievable total of each budgeted kind, each minimised on its own. */
    readonly cheapest: Readonly<Partial<Record<CostKind, number>>>,
  ) {
    super(message);
  }
}

interface HighsColumn {
  readonly Primal: number;
}
interface HighsResult {
  readonly Status: string;
  readonly ObjectiveValue: number;
  readonly Columns: Record<string, HighsColumn>;
  /** Rows in model order; `Dual` is present for LP solves. */
  readonly Rows?: readonly { readonly Dual?: number }[];
}
interface HighsSolver {
  solve(problem: string, options?: Record<string, unknown>): HighsResult;
}

let highsPromise: Promise<HighsSolver> | undefined;

/** The HiGHS wasm solver, loaded once per process. */
export function loadHighs(): Promise<HighsSolver> {
  highsPromise ??= import('highs').then(async (m) => (await (m.default as unknown as () => Promise<unknown>)()) as HighsSolver);
  return highsPromise;
}

function checkProblem(p: AllocationProblem): CostKind[] {
  if (p.layers.length === 0) throw new ConfigError('bit allocation: no layers to allocate (the model has no conv/dense layers)');
  const kinds: CostKind[] = [];
  for (const [k, v] of Object.entries(p.budget)) {
    if (!(COST_KINDS as readonly string[]).includes(k)) throw new ConfigError(`budget kind '${k}' is unknown: expected one of ${COST_KINDS.join(', ')}`);
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`budget ${k}=${v} must be a positive finite number`);
    kinds.push(k as CostKind);
  }
  for (const l of p.layers) {
    if (l.options.length === 0) throw new ConfigError(`bit allocation: layer '${l.name}' has no options`);
    l.options.forEach((o, i) => {
      if (!Number.isFinite(o.score)) throw new ConfigError(`bit allocation: layer '${l.name}' option ${i} has score ${o.score}: expected a finite number`);
      for (const k of kinds) {
        const c = o.cost[k];
        if (c === undefined || !Number.isFinite(c)) throw new ConfigError(`bit allocation: layer '${l.name}' option ${i} has no finite '${k}' cost but '${k}' is budgeted`);
      }
    });
  }
  return kinds;
}

/** Totals of a choice, including fixed costs. */
export function allocationCost<T>(p: AllocationProblem<T>, choice: readonly number[]): Partial<Record<CostKind, number>> {
  const out: Partial<Record<CostKind, number>> = {};
  for (const k of COST_KINDS) {
    let s = p.fixedCost?.[k] ?? 0;
    let any = p.fixedCost?.[k] !== undefined;
    p.layers.forEach((l, i) => {
      const c = l.options[choice[i] as number]?.cost[k];
      if (c !== undefined) {
        s += c;
        any = true;
      }
    });
    if (any) out[k] = s;
  }
  return out;
}

function objectiveOf<T>(p: AllocationProblem<T>, choice: readonly number[]): number {
  return p.layers.reduce((s, l, i) => s + (l.options[choice[i] as number] as AllocationOption<T>).score, 0);
}

/** Cheapest achievable total per budgeted kind (each minimised independently). */
export function cheapestCosts<T>(p: AllocationProblem<T>, kinds: readonly CostKind[] = COST_KINDS.filter((k) => p.budget[k] !== undefined)): Partial<Record<CostKind, number>> {
  const out: Partial<Record<CostKind, number>> = {};
  for (const k of kinds) {
    out[k] = p.layers.reduce((s, l) => s + Math.min(...l.options.map((o) => o.cost[k] ?? 0)), p.fixedCost?.[k] ?? 0);
  }
  return out;
}

function infeasible<T>(p: AllocationProblem<T>, kinds: readonly CostKind[]): BudgetInfeasibleError {
  const cheapest = cheapestCosts(p, kinds);
  const parts = kinds.map((k) => `${k} budget ${fmt(p.budget[k] as number)} (cheapest achievable ${fmt(cheapest[k] as number)})`);
  const single = kinds.filter((k) => (cheapest[k] as number) > (p.budget[k] as number) * (1 + 1e-9));
  const why = single.length > 0 ? `${single.join(', ')} cannot be met by any policy` : 'the budgets cannot all be met together';
  return new BudgetInfeasibleError(`infeasible budget: ${parts.join('; ')}: ${why}`, cheapest);
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

function num(x: number): string {
  // LP format: plain decimal or exponent notation, never "Infinity"/"NaN".
  return x === 0 ? '0' : x.toExponential(15);
}

/**
 * A problem in normalised form: scores divided by the largest |score|, costs by their budget, so every
 * budget row reads `sum(cost) <= rhs` with rhs <= 1. `keep[i]` lists the option indices of layer `i`
 * still in the model (after dominance and bound pruning).
 */
interface Normalised {
  readonly score: readonly Float64Array[];
  /** cost[k][i][j] for budgeted kind index k. */
  readonly cost: readonly (readonly Float64Array[])[];
  readonly rhs: readonly number[];
  readonly keep: readonly number[][];
}

function normalise<T>(p: AllocationProblem<T>, kinds: readonly CostKind[]): Normalised {
  const maxScore = Math.max(1e-300, ...p.layers.flatMap((l) => l.options.map((o) => Math.abs(o.score))));
  return {
    score: p.layers.map((l) => Float64Array.from(l.options, (o) => o.score / maxScore)),
    cost: kinds.map((k) => p.layers.map((l) => Float64Array.from(l.options, (o) => (o.cost[k] as number) / (p.budget[k] as number)))),
    rhs: kinds.map((k) => ((p.budget[k] as number) - (p.fixedCost?.[k] ?? 0)) / (p.budget[k] as number)),
    keep: p.layers.map((l) => l.options.map((_, j) => j)),
  };
}

/**
 * Drops options dominated in score and every budgeted cost by another option of the same layer (ties
 * keep the lower index): exact, since swapping to the dominating option never hurts.
 */
function pruneDominated(n: Normalised): void {
  n.keep.forEach((keep, i) => {
    const s = n.score[i] as Float64Array;
    const out = keep.filter((j) =>
      !keep.some((q) => {
        if (q === j) return false;
        const sq = s[q] as number;
        const sj = s[j] as number;
        if (sq > sj) return false;
        let strict = sq < sj;
        for (const c of n.cost) {
          const cq = (c[i] as Float64Array)[q] as number;
          const cj = (c[i] as Float64Array)[j] as number;
          if (cq > cj) return false;
          if (cq < cj) strict = true;
        }
        return strict || q < j;
      }),
    );
    keep.splice(0, keep.length, ...out);
  });
}

function lpString(n: Normalised, relax: boolean): string {
  const lines: string[] = ['Minimize', ' obj:'];
  const objTerms: string[] = [];
  n.keep.forEach((keep, i) => keep.forEach((j) => {
    const v = (n.score[i] as Float64Array)[j] as number;
    objTerms.push(`${v >= 0 ? '+' : '-'} ${num(Math.abs(v))} x${i}_${j}`);
  }));
  // break long lines (the LP reader accepts continuation lines)
  for (let s = 0; s < objTerms.length; s += 8) lines.push(`  ${objTerms.slice(s, s + 8).join(' ')}`);
  lines.push('Subject To');
  n.cost.forEach((c, k) => {
    const terms: string[] = [];
    n.keep.forEach((keep, i) => keep.forEach((j) => {
      const v = (c[i] as Float64Array)[j] as number;
      if (v !== 0) terms.push(`${v >= 0 ? '+' : '-'} ${num(Math.abs(v))} x${i}_${j}`);
    }));
    lines.push(` b${k}:`);
    for (let s = 0; s < terms.length; s += 8) lines.push(`  ${terms.slice(s, s + 8).join(' ')}`);
    if (terms.length === 0) lines.push(`  0 x0_${n.keep[0]?.[0] ?? 0}`);
    lines.push(`  <= ${num(n.rhs[k] as number)}`);
  });
  n.keep.forEach((keep, i) => lines.push(` one${i}: ${keep.map((j) => `+ x${i}_${j}`).join(' ')} = 1`));
  if (relax) {
    lines.push('Bounds');
    n.keep.forEach((keep, i) => keep.forEach((j) => lines.push(` 0 <= x${i}_${j} <= 1`)));
  } else {
    lines.push('Binary');
    n.keep.forEach((keep, i) => lines.push(` ${keep.map((j) => `x${i}_${j}`).join(' ')}`));
  }
  lines.push('End');
  return lines.join('\n');
}

/** The problem as a CPLEX LP-format string (objective and rows normalised for numerical safety). */
export function allocationLp<T>(p: AllocationProblem<T>, kinds: readonly CostKind[]): string {
  return lpString(normalise(p, kinds), false);
}

function feasibleN(n: Normalised, choice: readonly number[]): boolean {
  return n.cost.every((c, k) => choice.reduce((s, j, i) => s + ((c[i] as Float64Array)[j] as number), 0) <= (n.rhs[k] as number) + 1e-6);
}

function objN(n: Normalised, choice: readonly number[]): number {
  return choice.reduce((s, j, i) => s + ((n.score[i] as Float64Array)[j] as number), 0);
}

/**
 * A feasible choice near the LP optimum: the largest LP value per layer, then greedy repair (cheapest
 * score increase per unit of budget violation removed) and greedy improvement (largest score decrease
 * that stays feasible). Undefined when the repair fails.
 */
function incumbent(n: Normalised, start: number[]): number[] | undefined {
  const choice = [...start];
  const totals = n.cost.map((c) => choice.reduce((s, j, i) => s + ((c[i] as Float64Array)[j] as number), 0));
  const violation = (t: readonly number[]): number => t.reduce((s, v, k) => s + Math.max(0, v - (n.rhs[k] as number)), 0);
  const move = (i: number, j: number): void => {
    n.cost.forEach((c, k) => {
      totals[k] = (totals[k] as number) + ((c[i] as Float64Array)[j] as number) - ((c[i] as Float64Array)[choice[i] as number] as number);
    });
    choice[i] = j;
  };
  for (let guard = 0; violation(totals) > 1e-12 && guard < 100000; guard++) {
    const v0 = violation(totals);
    let best: [number, number] | undefined;
    let bestRate = Infinity;
    n.keep.forEach((keep, i) => keep.forEach((j) => {
      if (j === choice[i]) return;
      const t = totals.map((v, k) => v + ((n.cost[k]?.[i] as Float64Array)[j] as number) - ((n.cost[k]?.[i] as Float64Array)[choice[i] as number] as number));
      const gain = v0 - violation(t);
      if (gain <= 1e-15) return;
      const rate = (((n.score[i] as Float64Array)[j] as number) - ((n.score[i] as Float64Array)[choice[i] as number] as number)) / gain;
      if (rate < bestRate) {
        bestRate = rate;
        best = [i, j];
      }
    }));
    if (!best) return undefined;
    move(best[0], best[1]);
  }
  if (violation(totals) > 1e-12) return undefined;
  for (let guard = 0; guard < 100000; guard++) {
    let best: [number, number] | undefined;
    let bestDelta = -1e-15;
    n.keep.forEach((keep, i) => keep.forEach((j) => {
      const d = ((n.score[i] as Float64Array)[j] as number) - ((n.score[i] as Float64Array)[choice[i] as number] as number);
      if (d >= bestDelta) return;
      const ok = n.cost.every((c, k) => (totals[k] as number) + ((c[i] as Float64Array)[j] as number) - ((c[i] as Float64Array)[choice[i] as number] as number) <= (n.rhs[k] as number) + 1e-12);
      if (ok) {
        bestDelta = d;
        best = [i, j];
      }
    }));
    if (!best) break;
    move(best[0], best[1]);
  }
  return choice;
}

/**
 * Exact bound pruning (reduced-cost fixing): with multipliers lambda >= 0 on the budget rows (the LP
 * duals), any feasible choice costs at least LB + rc(i, j) when layer i takes option j, where LB is the
 * Lagrangian bound and rc the option's Lagrangian excess over its layer's best. Options with
 * LB + rc above a known feasible objective cannot be optimal and are dropped.
 */
function pruneByBound(n: Normalised, lambda: readonly number[], upper: number): void {
  const adj = (i: number, j: number): number => ((n.score[i] as Float64Array)[j] as number) + lambda.reduce((s, l, k) => s + l * ((n.cost[k]?.[i] as Float64Array)[j] as number), 0);
  const mins = n.keep.map((keep, i) => Math.min(...keep.map((j) => adj(i, j))));
  const lower = mins.reduce((s, v) => s + v, 0) - lambda.reduce((s, l, k) => s + l * (n.rhs[k] as number), 0);
  if ((globalThis as Record<string, unknown>).__ilpDebug) console.error("LB", lower, "UB", upper);
  const slack = upper - lower + 1e-9 * Math.max(1, Math.abs(upper)) + 1e-12;
  n.keep.forEach((keep, i) => {
    const out = keep.filter((j) => adj(i, j) - (mins[i] as number) <= slack);
    keep.splice(0, keep.length, ...out);
  });
}

function highsOptions(): Record<string, unknown> {
  return { mip_rel_gap: 0, mip_abs_gap: 0, output_flag: false, log_to_console: false };
}

/**
 * Solve a bit-allocation problem exactly with HiGHS (MIP gap 0). Before the MIP, options dominated in
 * score and every budgeted cost are dropped, the LP relaxation (HiGHS) gives duals and a rounded,
 * repaired incumbent, and options whose Lagrangian bound exceeds the incumbent are dropped: all exact,
 * and on typical problems they leave a handful of open options. Throws {@link BudgetInfeasibleError}
 * (an InfeasibleError) with the cheapest achievable costs when no choice meets the budget.
 * @example const s = await solveAllocation({ layers, budget: { latency: 0.6 * w8a8Latency } });
 */
export async function solveAllocation<T>(p: AllocationProblem<T>): Promise<AllocationSolution<T>> {
  const kinds = checkProblem(p);
  const cheapest = cheapestCosts(p, kinds);
  if (kinds.some((k) => (cheapest[k] as number) > (p.budget[k] as number) * (1 + 1e-9))) throw infeasible(p, kinds);
  const highs = await loadHighs();
  const t0 = performance.now();
  const n = normalise(p, kinds);
  pruneDominated(n);
  let inc: number[] | undefined;
  if (kinds.length > 0) {
    const lp = highs.solve(lpString(n, true), highsOptions());
    if (lp.Status === 'Infeasible' || lp.Status === 'Primal infeasible or unbounded') throw infeasible(p, kinds);
    if (lp.Status === 'Optimal') {
      const start = n.keep.map((keep, i) => {
        let best = keep[0] as number;
        let bestV = -Infinity;
        for (const j of keep) {
          const v = lp.Columns[`x${i}_${j}`]?.Primal ?? 0;
          if (v > bestV) {
            bestV = v;
            best = j;
          }
        }
        return best;
      });
      inc = incumbent(n, start);
      // budget rows come first; a <= row's dual is <= 0 in HiGHS's sign convention
      const lambda = kinds.map((_, k) => Math.abs(lp.Rows?.[k]?.Dual ?? 0));
      if ((globalThis as Record<string, unknown>).__ilpDebug) console.error("pre", n.keep.map((k) => k.length).join(""));
      if (inc) pruneByBound(n, lambda, objN(n, inc));
      if ((globalThis as Record<string, unknown>).__ilpDebug) console.error("dbg", lp.Status, lambda, lp.ObjectiveValue, inc && objN(n, inc), n.keep.map((k) => k.length).join(""), JSON.stringify(lp.Rows?.slice(0, 3)));
    }
  } else {
    inc = n.keep.map((keep, i) => keep.reduce((b, j) => (((n.score[i] as Float64Array)[j] as number) < ((n.score[i] as Float64Array)[b] as number) ? j : b), keep[0] as number));
  }
  let choice: number[];
  if (n.keep.every((k) => k.length === 1)) {
    choice = n.keep.map((k) => k[0] as number);
  } else {
    const r = highs.solve(lpString(n, false), highsOptions());
    if (r.Status === 'Infeasible' || r.Status === 'Primal infeasible or unbounded') throw infeasible(p, kinds);
    if (r.Status !== 'Optimal') throw new Error(`HiGHS ended with status '${r.Status}' on a ${p.layers.length}-layer allocation`);
    choice = n.keep.map((keep, i) => {
      let best = keep[0] as number;
      let bestV = -Infinity;
      for (const j of keep) {
        const v = r.Columns[`x${i}_${j}`]?.Primal ?? 0;
        if (v > bestV) {
          bestV = v;
          best = j;
        }
      }
      return best;
    });
    // HiGHS's solution is optimal up to its tolerances; never return worse than the incumbent
    if (inc && (!feasibleN(n, choice) || objN(n, inc) < objN(n, choice))) choice = inc;
  }
  if (!feasibleN(n, choice)) throw infeasible(p, kinds);
  const solveMs = performance.now() - t0;
  return {
    choice,
    values: choice.map((c, i) => (p.layers[i] as AllocationLayer<T>).options[c]?.value as T),
    objective: objectiveOf(p, choice),
    cost: allocationCost(p, choice),
    solveMs,
  };
}

/** Exhaustive search over all choices (the oracle for small problems; refuses more than 5e6 combinations). */
export function exhaustiveAllocation<T>(p: AllocationProblem<T>): AllocationSolution<T> {
  const kinds = checkProblem(p);
  const total = p.layers.reduce((s, l) => s * l.options.length, 1);
  if (total > 5e6) throw new ConfigError(`exhaustive allocation over ${total} combinations is too large (limit 5e6)`);
  const t0 = performance.now();
  const n = p.layers.length;
  const idx = new Array<number>(n).fill(0);
  let best: number[] | undefined;
  let bestObj = Infinity;
  for (let it = 0; it < total; it++) {
    const cost = allocationCost(p, idx);
    if (kinds.every((k) => (cost[k] as number) <= (p.budget[k] as number) * (1 + 1e-9))) {
      const o = objectiveOf(p, idx);
      if (o < bestObj) {
        bestObj = o;
        best = [...idx];
      }
    }
    for (let i = 0; i < n; i++) {
      idx[i] = (idx[i] as number) + 1;
      if ((idx[i] as number) < (p.layers[i] as AllocationLayer<T>).options.length) break;
      idx[i] = 0;
    }
  }
  if (!best) throw infeasible(p, kinds);
  const choice = best;
  return {
    choice,
    values: choice.map((c, i) => (p.layers[i] as AllocationLayer<T>).options[c]?.value as T),
    objective: bestObj,
    cost: allocationCost(p, choice),
    solveMs: performance.now() - t0,
  };
}
