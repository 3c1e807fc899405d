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

/** The problem as a CPLEX LP-format string (objective and rows normalised for numerical safety). */
export function allocationLp<T>(p: AllocationProblem<T>, kinds: readonly CostKind[]): string {
  const maxScore = Math.max(1e-300, ...p.layers.flatMap((l) => l.options.map((o) => Math.abs(o.score))));
  const lines: string[] = ['Minimize', ' obj:'];
  const objTerms: string[] = [];
  p.layers.forEach((l, i) => l.options.forEach((o, j) => objTerms.push(`${o.score >= 0 ? '+' : '-'} ${num(Math.abs(o.score) / maxScore)} x${i}_${j}`)));
  // break long lines (the LP reader accepts continuation lines)
  for (let s = 0; s < objTerms.length; s += 8) lines.push(`  ${objTerms.slice(s, s + 8).join(' ')}`);
  lines.push('Subject To');
  p.layers.forEach((l, i) => lines.push(` one${i}: ${l.options.map((_, j) => `+ x${i}_${j}`).join(' ')} = 1`));
  for (const k of kinds) {
    const budget = p.budget[k] as number;
    const rhs = (budget - (p.fixedCost?.[k] ?? 0)) / budget;
    const terms: string[] = [];
    p.layers.forEach((l, i) =>
      l.options.forEach((o, j) => {
        const c = (o.cost[k] as number) / budget;
        if (c !== 0) terms.push(`${c >= 0 ? '+' : '-'} ${num(Math.abs(c))} x${i}_${j}`);
      }),
    );
    lines.push(` b_${k}:`);
    for (let s = 0; s < terms.length; s += 8) lines.push(`  ${terms.slice(s, s + 8).join(' ')}`);
    if (terms.length === 0) lines.push('  0 x0_0');
    lines.push(`  <= ${num(rhs)}`);
  }
  lines.push('Binary');
  p.layers.forEach((l, i) => lines.push(` ${l.options.map((_, j) => `x${i}_${j}`).join(' ')}`));
  lines.push('End');
  return lines.join('\n');
}

/**
 * Solve a bit-allocation problem exactly with HiGHS (MIP gap 0). Throws {@link BudgetInfeasibleError}
 * (an InfeasibleError) with the cheapest achievable costs when no choice meets the budget.
 * @example const s = await solveAllocation({ layers, budget: { latency: 0.6 * w8a8Latency } });
 */
export async function solveAllocation<T>(p: AllocationProblem<T>): Promise<AllocationSolution<T>> {
  const kinds = checkProblem(p);
  const cheapest = cheapestCosts(p, kinds);
  if (kinds.some((k) => (cheapest[k] as number) > (p.budget[k] as number) * (1 + 1e-9))) throw infeasible(p, kinds);
  const highs = await loadHighs();
  const lp = allocationLp(p, kinds);
  const t0 = performance.now();
  const r = highs.solve(lp, { mip_rel_gap: 0, mip_abs_gap: 0, output_flag: false, log_to_console: false });
  const solveMs = performance.now() - t0;
  if (r.Status === 'Infeasible' || r.Status === 'Primal infeasible or unbounded') throw infeasible(p, kinds);
  if (r.Status !== 'Optimal') throw new Error(`HiGHS ended with status '${r.Status}' on a ${p.layers.length}-layer allocation`);
  const choice = p.layers.map((l, i) => {
    let best = 0;
    let bestV = -Infinity;
    l.options.forEach((_, j) => {
      const v = r.Columns[`x${i}_${j}`]?.Primal ?? 0;
      if (v > bestV) {
        bestV = v;
        best = j;
      }
    });
    return best;
  });
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
