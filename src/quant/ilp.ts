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

/**
 * What an allocation can be bounded on: the hardware costs, plus `fault` (a resilience budget: the summed
 * per-layer expected fault damage of src/resilience/predictor.ts, additive over layers by construction).
 */
export type AllocationKind = CostKind | 'fault';

/** All allocation kinds, in a fixed order. */
export const ALLOCATION_KINDS: readonly AllocationKind[] = [...COST_KINDS, 'fault'];

/** One choice for one layer: its score (lower is better) and its additive costs. */
export interface AllocationOption<T = unknown> {
  /** What the option stands for (e.g. a Precision); returned as is. */
  readonly value: T;
  /** Objective contribution, e.g. trace x ||Q(w)-w||^2; must be finite. */
  readonly score: number;
  /** Additive cost of this layer at this option (kinds not budgeted may be omitted). */
  readonly cost: Readonly<Partial<Record<AllocationKind, number>>>;
}

/** A layer and its options. */
export interface AllocationLayer<T = unknown> {
  readonly name: string;
  readonly options: readonly AllocationOption<T>[];
}

/** An upper bound per cost kind (absolute units of the costs). */
export type Budget = Readonly<Partial<Record<AllocationKind, number>>>;

/** A bit-allocation problem. */
export interface AllocationProblem<T = unknown> {
  readonly layers: readonly AllocationLayer<T>[];
  readonly budget: Budget;
  /** Costs that do not depend on the choice (e.g. non-quantizable nodes), added to every total. */
  readonly fixedCost?: Readonly<Partial<Record<AllocationKind, number>>>;
}

/** The solution: the chosen option index per layer, its objective and costs. */
export interface AllocationSolution<T = unknown> {
  readonly choice: readonly number[];
  readonly values: readonly T[];
  readonly objective: number;
  /** Totals including `fixedCost`, for every kind any option carries. */
  readonly cost: Readonly<Partial<Record<AllocationKind, number>>>;
  /** Solver wall time in ms (excluding wasm load). */
  readonly solveMs: number;
  /**
   * What closed the problem after the LP relaxation and pruning: 'pruning' (one option left per layer),
   * 'branch-and-bound' (the exact depth-first search over the open options), 'highs' (HiGHS's MIP, when
   * that search exceeded its node limit), 'exhaustive' (the oracle).
   */
  readonly solver?: 'pruning' | 'branch-and-bound' | 'highs' | 'exhaustive';
  /** Options still open after pruning (sum over layers). */
  readonly openOptions?: number;
}

/** Options of {@link solveAllocation}. */
export interface SolveOptions {
  /**
   * Node limit of the exact branch and bound after pruning (default 2,000,000); past it HiGHS's MIP
   * solves the pruned problem. 0 always uses HiGHS.
   */
  readonly nodeLimit?: number;
}

/** Thrown when no allocation meets the budget; carries the cheapest achievable total per budgeted kind. */
export class BudgetInfeasibleError extends InfeasibleError {
  override name = 'BudgetInfeasibleError';
  constructor(
    message: string,
    /** The cheapest achievable total of each budgeted kind, each minimised on its own. */
    readonly cheapest: Readonly<Partial<Record<AllocationKind, number>>>,
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

function checkProblem(p: AllocationProblem): AllocationKind[] {
  if (p.layers.length === 0) throw new ConfigError('bit allocation: no layers to allocate (the model has no conv/dense layers)');
  const kinds: AllocationKind[] = [];
  for (const [k, v] of Object.entries(p.budget)) {
    if (!(ALLOCATION_KINDS as readonly string[]).includes(k))
      throw new ConfigError(`budget kind '${k}' is unknown: expected one of ${ALLOCATION_KINDS.join(', ')}`);
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`budget ${k}=${v} must be a positive finite number`);
    kinds.push(k as AllocationKind);
  }
  for (const l of p.layers) {
    if (l.options.length === 0) throw new ConfigError(`bit allocation: layer '${l.name}' has no options`);
    l.options.forEach((o, i) => {
      if (!Number.isFinite(o.score)) throw new ConfigError(`bit allocation: layer '${l.name}' option ${i} has score ${o.score}: expected a finite number`);
      for (const k of kinds) {
        const c = o.cost[k];
        if (c === undefined || !Number.isFinite(c))
          throw new ConfigError(`bit allocation: layer '${l.name}' option ${i} has no finite '${k}' cost but '${k}' is budgeted`);
      }
    });
  }
  return kinds;
}

/** Totals of a choice, including fixed costs. */
export function allocationCost<T>(p: AllocationProblem<T>, choice: readonly number[]): Partial<Record<AllocationKind, number>> {
  const out: Partial<Record<AllocationKind, number>> = {};
  for (const k of ALLOCATION_KINDS) {
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
export function cheapestCosts<T>(
  p: AllocationProblem<T>,
  kinds: readonly AllocationKind[] = ALLOCATION_KINDS.filter((k) => p.budget[k] !== undefined),
): Partial<Record<AllocationKind, number>> {
  const out: Partial<Record<AllocationKind, number>> = {};
  for (const k of kinds) {
    out[k] = p.layers.reduce((s, l) => s + Math.min(...l.options.map((o) => o.cost[k] ?? 0)), p.fixedCost?.[k] ?? 0);
  }
  return out;
}

function infeasible<T>(p: AllocationProblem<T>, kinds: readonly AllocationKind[]): BudgetInfeasibleError {
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

function normalise<T>(p: AllocationProblem<T>, kinds: readonly AllocationKind[]): Normalised {
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
    const out = keep.filter(
      (j) =>
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

function lpString(n: Normalised, relax = false): string {
  const lines: string[] = ['Minimize', ' obj:'];
  const objTerms: string[] = [];
  n.keep.forEach((keep, i) =>
    keep.forEach((j) => {
      const v = (n.score[i] as Float64Array)[j] as number;
      objTerms.push(`${v >= 0 ? '+' : '-'} ${num(Math.abs(v))} x${i}_${j}`);
    }),
  );
  // break long lines (the LP reader accepts continuation lines)
  for (let s = 0; s < objTerms.length; s += 8) lines.push(`  ${objTerms.slice(s, s + 8).join(' ')}`);
  lines.push('Subject To');
  n.cost.forEach((c, k) => {
    const terms: string[] = [];
    n.keep.forEach((keep, i) =>
      keep.forEach((j) => {
        const v = (c[i] as Float64Array)[j] as number;
        if (v !== 0) terms.push(`${v >= 0 ? '+' : '-'} ${num(Math.abs(v))} x${i}_${j}`);
      }),
    );
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
export function allocationLp<T>(p: AllocationProblem<T>, kinds: readonly AllocationKind[]): string {
  return lpString(normalise(p, kinds));
}

function feasibleN(n: Normalised, choice: readonly number[], tol = 1e-6): boolean {
  return n.cost.every((c, k) => choice.reduce((s, j, i) => s + ((c[i] as Float64Array)[j] as number), 0) <= (n.rhs[k] as number) + tol);
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
    n.keep.forEach((keep, i) =>
      keep.forEach((j) => {
        if (j === choice[i]) return;
        const t = totals.map(
          (v, k) =>
            v +
            (((n.cost[k] as Float64Array[])[i] as Float64Array)[j] as number) -
            (((n.cost[k] as Float64Array[])[i] as Float64Array)[choice[i] as number] as number),
        );
        const gain = v0 - violation(t);
        if (gain <= 1e-15) return;
        const rate = (((n.score[i] as Float64Array)[j] as number) - ((n.score[i] as Float64Array)[choice[i] as number] as number)) / gain;
        if (rate < bestRate) {
          bestRate = rate;
          best = [i, j];
        }
      }),
    );
    if (!best) return undefined;
    move(best[0], best[1]);
  }
  if (violation(totals) > 1e-12) return undefined;
  for (let guard = 0; guard < 100000; guard++) {
    let best: [number, number] | undefined;
    let bestDelta = -1e-15;
    n.keep.forEach((keep, i) =>
      keep.forEach((j) => {
        const d = ((n.score[i] as Float64Array)[j] as number) - ((n.score[i] as Float64Array)[choice[i] as number] as number);
        if (d >= bestDelta) return;
        const ok = n.cost.every(
          (c, k) =>
            (totals[k] as number) + ((c[i] as Float64Array)[j] as number) - ((c[i] as Float64Array)[choice[i] as number] as number) <=
            (n.rhs[k] as number) + 1e-12,
        );
        if (ok) {
          bestDelta = d;
          best = [i, j];
        }
      }),
    );
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
  const adj = (i: number, j: number): number =>
    ((n.score[i] as Float64Array)[j] as number) + lambda.reduce((s, l, k) => s + l * (((n.cost[k] as Float64Array[])[i] as Float64Array)[j] as number), 0);
  const mins = n.keep.map((keep, i) => Math.min(...keep.map((j) => adj(i, j))));
  const lower = mins.reduce((s, v) => s + v, 0) - lambda.reduce((s, l, k) => s + l * (n.rhs[k] as number), 0);
  const slack = upper - lower + 1e-9 * Math.max(1, Math.abs(upper)) + 1e-12;
  n.keep.forEach((keep, i) => {
    const out = keep.filter((j) => adj(i, j) - (mins[i] as number) <= slack);
    keep.splice(0, keep.length, ...out);
  });
}

/**
 * The same MIP with each layer's scores and costs measured from that layer's smallest open value and
 * every row rescaled to unit spread (exact: each layer takes one option, so the shifts are constants):
 * after pruning the open options differ by little, and this keeps those differences far above HiGHS's
 * tolerances.
 */
function shifted(n: Normalised): Normalised {
  const shift = (v: readonly Float64Array[]): { v: Float64Array[]; base: number; spread: number } => {
    let base = 0;
    let spread = 0;
    const out = v.map((row, i) => {
      const keep = n.keep[i] as number[];
      const m = Math.min(...keep.map((j) => row[j] as number));
      base += m;
      const r = row.map((x) => x - m);
      for (const j of keep) spread = Math.max(spread, r[j] as number);
      return r;
    });
    return { v: out, base, spread: spread > 0 ? spread : 1 };
  };
  const sc = shift(n.score);
  const score = sc.v.map((r) => r.map((x) => x / sc.spread));
  const cost: Float64Array[][] = [];
  const rhs: number[] = [];
  n.cost.forEach((c, k) => {
    const cc = shift(c);
    cost.push(cc.v.map((r) => r.map((x) => x / cc.spread)));
    rhs.push(((n.rhs[k] as number) - cc.base) / cc.spread);
  });
  return { score, cost, rhs, keep: n.keep };
}

/** Node limit of {@link branchAndBound} before handing the problem to HiGHS. */
const BNB_NODE_LIMIT = 2_000_000;

/**
 * Exact depth-first branch and bound over the open options, with the Lagrangian bound of fixed
 * multipliers `lambda` >= 0: for any feasible choice x, objective(x) >= LB + sum_i rc(i, x_i), where
 * LB = sum_i min_j adj(i, j) - lambda . rhs and rc(i, j) = adj(i, j) - min_j adj(i, j) >= 0; plus a
 * feasibility cut on every budget row. Layers with the widest rc spread are branched first, options in
 * rc order. Returns undefined past {@link BNB_NODE_LIMIT} nodes (the caller then uses HiGHS).
 */
function branchAndBound(n: Normalised, lambda: readonly number[], start: number[] | undefined, nodeLimit = BNB_NODE_LIMIT): number[] | undefined {
  const L = n.keep.length;
  const K = n.cost.length;
  const adj = (i: number, j: number): number =>
    ((n.score[i] as Float64Array)[j] as number) + lambda.reduce((s, l, k) => s + l * (((n.cost[k] as Float64Array[])[i] as Float64Array)[j] as number), 0);
  const opts = n.keep.map((keep, i) => {
    const a = keep.map((j) => adj(i, j));
    const m = Math.min(...a);
    return keep.map((j, q) => ({ j, rc: (a[q] as number) - m })).sort((x, y) => x.rc - y.rc);
  });
  const order = Array.from({ length: L }, (_, i) => i).sort((x, y) => {
    const sx = (opts[x] as { rc: number }[]).at(-1)?.rc ?? 0;
    const sy = (opts[y] as { rc: number }[]).at(-1)?.rc ?? 0;
    return sy - sx;
  });
  const lower = n.keep.reduce((s, keep, i) => s + Math.min(...keep.map((j) => adj(i, j))), 0) - lambda.reduce((s, l, k) => s + l * (n.rhs[k] as number), 0);
  // suffix sums over `order` of each row's cheapest open cost
  const minRest = Array.from({ length: K }, (_, k) => {
    const out = new Float64Array(L + 1);
    for (let d = L - 1; d >= 0; d--) {
      const i = order[d] as number;
      out[d] = (out[d + 1] as number) + Math.min(...(n.keep[i] as number[]).map((j) => ((n.cost[k] as Float64Array[])[i] as Float64Array)[j] as number));
    }
    return out;
  });
  let best = start && feasibleN(n, start, 1e-9) ? [...start] : undefined;
  let bestObj = best ? objN(n, best) : Infinity;
  const tol = (v: number): number => 1e-12 * Math.max(1, Math.abs(v));
  const cur = new Array<number>(L).fill(0);
  const used = new Float64Array(K);
  let nodes = 0;
  let aborted = false;
  const dfs = (d: number, rcSum: number, obj: number): void => {
    if (aborted) return;
    if (++nodes > nodeLimit) {
      aborted = true;
      return;
    }
    if (d === L) {
      if (obj < bestObj - tol(bestObj)) {
        bestObj = obj;
        best = [...cur];
      }
      return;
    }
    const i = order[d] as number;
    for (const { j, rc } of opts[i] as { j: number; rc: number }[]) {
      // options come in rc order: once the bound fails it fails for the rest
      if (lower + rcSum + rc > bestObj + tol(bestObj)) break;
      let ok = true;
      for (let k = 0; k < K; k++) {
        const c = ((n.cost[k] as Float64Array[])[i] as Float64Array)[j] as number;
        if ((used[k] as number) + c + (minRest[k]?.[d + 1] as number) > (n.rhs[k] as number) + 1e-9) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      for (let k = 0; k < K; k++) used[k] = (used[k] as number) + (((n.cost[k] as Float64Array[])[i] as Float64Array)[j] as number);
      cur[i] = j;
      dfs(d + 1, rcSum + rc, obj + ((n.score[i] as Float64Array)[j] as number));
      for (let k = 0; k < K; k++) used[k] = (used[k] as number) - (((n.cost[k] as Float64Array[])[i] as Float64Array)[j] as number);
    }
  };
  dfs(0, 0, 0);
  return aborted ? undefined : best;
}

/** The option of each layer minimising score + lambda . cost (ties to the lower index). */
function lagrangeArgmin(n: Normalised, lambda: readonly number[]): number[] {
  return n.keep.map((keep, i) => {
    let best = keep[0] as number;
    let bestV = Infinity;
    for (const j of keep) {
      let v = (n.score[i] as Float64Array)[j] as number;
      for (let k = 0; k < lambda.length; k++) v += (lambda[k] as number) * (((n.cost[k] as Float64Array[])[i] as Float64Array)[j] as number);
      if (v < bestV) {
        bestV = v;
        best = j;
      }
    }
    return best;
  });
}

/**
 * Multipliers lambda >= 0 of the budget rows maximising the Lagrangian bound
 * g(lambda) = sum_i min_j (score + lambda . cost) - lambda . rhs (concave, piecewise linear): exact by
 * bisection on the supergradient for one budget, cyclic exact line searches for several (any lambda >= 0
 * gives a valid bound; for one budget the maximum equals the LP relaxation's optimum).
 */
function lagrangeMultipliers(n: Normalised): number[] {
  const K = n.cost.length;
  const lambda = new Array<number>(K).fill(0);
  // supergradient of g along row k at lambda: the argmin's row-k cost minus rhs_k
  const grad = (k: number, l: number[]): number => {
    const x = lagrangeArgmin(n, l);
    return x.reduce((s, j, i) => s + (((n.cost[k] as Float64Array[])[i] as Float64Array)[j] as number), 0) - (n.rhs[k] as number);
  };
  const rounds = K === 1 ? 1 : 6;
  for (let r = 0; r < rounds; r++) {
    let moved = false;
    for (let k = 0; k < K; k++) {
      const at = (v: number): number[] => lambda.map((x, q) => (q === k ? v : x));
      if (grad(k, at(0)) <= 0) {
        moved ||= lambda[k] !== 0;
        lambda[k] = 0;
        continue;
      }
      let hi = 1;
      while (grad(k, at(hi)) > 0 && hi < 1e15) hi *= 4;
      let lo = 0;
      for (let it = 0; it < 60 && hi - lo > 1e-14 * hi; it++) {
        const mid = 0.5 * (lo + hi);
        if (grad(k, at(mid)) > 0) lo = mid;
        else hi = mid;
      }
      moved ||= Math.abs(hi - (lambda[k] as number)) > 1e-9 * hi;
      lambda[k] = hi;
    }
    if (!moved) break;
  }
  return lambda;
}

function highsOptions(): Record<string, unknown> {
  return { mip_rel_gap: 0, mip_abs_gap: 0, output_flag: false, log_to_console: false };
}

/**
 * Solve a bit-allocation problem exactly. Options dominated in score and every budgeted cost are
 * dropped; Lagrangian multipliers of the budget rows (exact bisection for one budget, else coordinate
 * ascent, then HiGHS's LP duals if needed) give a lower bound, a greedy repaired incumbent an upper
 * bound, and options whose bound exceeds the incumbent are dropped (reduced-cost fixing). The few open
 * options are closed by an exact depth-first branch and bound, or by HiGHS's MIP (gap 0) past its node
 * limit. Throws {@link BudgetInfeasibleError} (an InfeasibleError) with the cheapest achievable costs
 * when no choice meets the budget.
 * @example const s = await solveAllocation({ layers, budget: { latency: 0.6 * w8a8Latency } });
 */
export async function solveAllocation<T>(p: AllocationProblem<T>, opts: SolveOptions = {}): Promise<AllocationSolution<T>> {
  const nodeLimit = opts.nodeLimit ?? BNB_NODE_LIMIT;
  const kinds = checkProblem(p);
  const cheapest = cheapestCosts(p, kinds);
  if (kinds.some((k) => (cheapest[k] as number) > (p.budget[k] as number) * (1 + 1e-9))) throw infeasible(p, kinds);
  const highs = await loadHighs();
  const t0 = performance.now();
  const n = normalise(p, kinds);
  pruneDominated(n);
  let inc: number[] | undefined;
  let choice: number[] | undefined;
  let solver: NonNullable<AllocationSolution['solver']> = 'pruning';
  // round 1: own Lagrangian multipliers; round 2 (several budgets, when round 1's search gave up): the
  // LP relaxation's duals from HiGHS, which maximise the bound where coordinate ascent stalls
  for (let round = 0; round < 2 && !choice; round++) {
    let mult: readonly number[];
    if (round === 0) mult = lagrangeMultipliers(n);
    else {
      if (kinds.length < 2) break;
      const lp = highs.solve(lpString(n, true), highsOptions());
      if (lp.Status === 'Infeasible' || lp.Status === 'Primal infeasible or unbounded') throw infeasible(p, kinds);
      if (lp.Status !== 'Optimal') break;
      // budget rows come first; a <= row's dual is <= 0 in HiGHS's sign convention
      mult = kinds.map((_, k) => Math.abs(lp.Rows?.[k]?.Dual ?? 0));
    }
    const start = incumbent(
      n,
      lagrangeArgmin(
        n,
        mult.map((l) => l * (1 + 1e-9) + 1e-15),
      ),
    );
    if (start && (!inc || objN(n, start) < objN(n, inc))) inc = start;
    if (inc) pruneByBound(n, mult, objN(n, inc));
    if (n.keep.every((k) => k.length === 1)) choice = n.keep.map((k) => k[0] as number);
    else {
      choice = branchAndBound(n, mult, inc, round === 0 && kinds.length > 1 ? Math.floor(nodeLimit / 10) : nodeLimit);
      solver = 'branch-and-bound';
    }
  }
  if (!choice) {
    solver = 'highs';
    const r = highs.solve(lpString(shifted(n)), highsOptions());
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
  const found = choice;
  const solveMs = performance.now() - t0;
  return {
    solver,
    openOptions: n.keep.reduce((s, k) => s + k.length, 0),
    choice: found,
    values: found.map((c, i) => (p.layers[i] as AllocationLayer<T>).options[c]?.value as T),
    objective: objectiveOf(p, found),
    cost: allocationCost(p, found),
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
    solver: 'exhaustive',
    choice,
    values: choice.map((c, i) => (p.layers[i] as AllocationLayer<T>).options[c]?.value as T),
    objective: bestObj,
    cost: allocationCost(p, choice),
    solveMs: performance.now() - t0,
  };
}
