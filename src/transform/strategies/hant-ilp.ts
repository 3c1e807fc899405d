/**
 * `hant-ilp`: HANT's choice of one alternative per unit as a study strategy. Its options are the
 * per-unit alternative table (each alternative's latency on the target and its relative distillation
 * loss, computed once by the screening) with the latency budget; the space has one categorical
 * parameter per unit whose choices are the alternatives' names.
 *
 * Trial 0 is the integer linear program's solution (minimum summed loss with `fixedMs + Σ latency <=
 * budgetMs`, exact, `src/quant/ilp.ts`). Every further trial is the next-best solution of the same ILP
 * not yet in the study (k-best by Murty's partitioning: the space left after the best solution is split
 * into disjoint subproblems, one ILP each, and the best of them is the second solution, and so on), so
 * a larger budget measures the ILP's runners-up, whose summed losses are close but whose students may
 * be more accurate once assembled. Once every feasible choice has been proposed, the optimum is
 * proposed again. The ranking depends on the table only (no randomness), and the next proposal is the
 * first ranked choice absent from the history, so a resumed study proposes what an uninterrupted one does.
 */
import { ConfigError } from '../../errors.js';
import { type AllocationProblem, BudgetInfeasibleError, solveAllocation } from '../../quant/ilp.js';
import { type ParamSpec, SearchSpace } from '../../search/space.js';
import type { AskContext, Params, SearchStrategy } from '../../search/types.js';

/** One alternative of a unit as the selection sees it. */
export interface HantIlpAlternative {
  /** Name, unique within its unit (the parameter's value). */
  readonly name: string;
  /** Latency of the alternative's subgraph on the target (ms). */
  readonly latencyMs: number;
  /** Relative distillation loss MSE / Var(target) (lower is better). */
  readonly loss: number;
}

/** One unit (a parameter of the space) with its alternatives. */
export interface HantIlpUnit {
  readonly name: string;
  readonly alternatives: readonly HantIlpAlternative[];
}

/** JSON options of the `hant-ilp` strategy: the alternative table and the budget. */
export interface HantIlpOptions {
  /** Network latency budget (ms). */
  readonly budgetMs: number;
  /** Latency of the network outside the units (ms), added to every choice. */
  readonly fixedMs: number;
  readonly units: readonly HantIlpUnit[];
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Validates `hant-ilp` options (ConfigError naming the bad field). */
export function parseHantIlpOptions(o: Readonly<Record<string, unknown>>): HantIlpOptions {
  const where = "strategy 'hant-ilp' options";
  for (const k of Object.keys(o))
    if (k !== 'budgetMs' && k !== 'fixedMs' && k !== 'units') throw new ConfigError(`${where}: unknown field '${k}'; expected budgetMs, fixedMs and units`);
  if (!finite(o.budgetMs) || o.budgetMs <= 0) throw new ConfigError(`${where}.budgetMs = ${JSON.stringify(o.budgetMs)}: expected a latency budget in ms > 0`);
  if (!finite(o.fixedMs) || o.fixedMs < 0)
    throw new ConfigError(`${where}.fixedMs = ${JSON.stringify(o.fixedMs)}: expected the latency outside the units in ms >= 0`);
  if (!Array.isArray(o.units) || o.units.length === 0) throw new ConfigError(`${where}.units: expected a non-empty array of { name, alternatives }`);
  const names = new Set<string>();
  const units = (o.units as unknown[]).map((u, i): HantIlpUnit => {
    const uu = u as { name?: unknown; alternatives?: unknown } | null;
    if (typeof uu?.name !== 'string' || uu.name === '' || names.has(uu.name))
      throw new ConfigError(`${where}.units[${i}].name = ${JSON.stringify(uu?.name)}: expected a unique unit name`);
    names.add(uu.name);
    if (!Array.isArray(uu.alternatives) || uu.alternatives.length === 0)
      throw new ConfigError(`${where}.units[${i}].alternatives: expected a non-empty array of { name, latencyMs, loss }`);
    const alts = new Set<string>();
    const alternatives = (uu.alternatives as unknown[]).map((a, j): HantIlpAlternative => {
      const aa = a as { name?: unknown; latencyMs?: unknown; loss?: unknown } | null;
      const at = `${where}.units[${i}].alternatives[${j}]`;
      if (typeof aa?.name !== 'string' || aa.name === '' || alts.has(aa.name))
        throw new ConfigError(`${at}.name = ${JSON.stringify(aa?.name)}: expected a name unique within unit '${uu.name as string}'`);
      alts.add(aa.name);
      if (!finite(aa.latencyMs) || aa.latencyMs < 0) throw new ConfigError(`${at}.latencyMs = ${JSON.stringify(aa.latencyMs)}: expected a latency in ms >= 0`);
      if (!finite(aa.loss)) throw new ConfigError(`${at}.loss = ${JSON.stringify(aa.loss)}: expected a finite distillation loss`);
      return { name: aa.name, latencyMs: aa.latencyMs, loss: aa.loss };
    });
    return { name: uu.name, alternatives };
  });
  return { budgetMs: o.budgetMs, fixedMs: o.fixedMs, units };
}

/** The space of a HANT selection: one categorical parameter per unit, choices = its alternatives' names. */
export function hantSpace(o: { readonly units: readonly HantIlpUnit[] }): SearchSpace {
  const p: Record<string, ParamSpec> = {};
  for (const u of o.units) p[u.name] = { kind: 'categorical', choices: u.alternatives.map((a) => a.name) };
  return new SearchSpace(p);
}

/** A subproblem of the k-best search: the options each unit may still take, and its optimum. */
interface Node {
  readonly allowed: readonly (readonly number[])[];
  readonly choice: readonly number[];
  readonly objective: number;
}

/** Lexicographic order of two choices (ties of the objective are broken by it, so the ranking is total). */
function lexCompare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

/**
 * The feasible choices of a selection ILP in order of summed loss (ties: lexicographic), generated on
 * demand by Murty's partitioning with one exact ILP per subproblem.
 */
export class RankedSelections {
  private readonly ranked: (readonly number[])[] = [];
  private pending: Node[] | undefined;

  constructor(private readonly o: HantIlpOptions) {}

  /** The `k`-th best choice (0-based; indices into each unit's alternatives), or undefined past the last feasible one. */
  async get(k: number): Promise<readonly number[] | undefined> {
    if (!this.pending) {
      const all = this.o.units.map((u) => u.alternatives.map((_, j) => j));
      const first = await this.solve(all);
      if (!first) {
        const cheapest = this.o.fixedMs + this.o.units.reduce((s, u) => s + Math.min(...u.alternatives.map((a) => a.latencyMs)), 0);
        throw new ConfigError(
          `strategy 'hant-ilp': latency budget ${this.o.budgetMs.toPrecision(4)} ms is infeasible: the cheapest choice of alternatives takes ${cheapest.toPrecision(4)} ms`,
        );
      }
      this.pending = [first];
    }
    while (this.ranked.length <= k && this.pending.length > 0) {
      let bi = 0;
      this.pending.forEach((n, i) => {
        const b = this.pending?.[bi] as Node;
        if (n.objective < b.objective || (n.objective === b.objective && lexCompare(n.choice, b.choice) < 0)) bi = i;
      });
      const best = this.pending.splice(bi, 1)[0] as Node;
      this.ranked.push(best.choice);
      // Murty: subproblem i keeps units < i at the best's choice, forbids its choice at unit i, leaves units > i as they were
      for (let i = 0; i < best.allowed.length; i++) {
        const rest = (best.allowed[i] as readonly number[]).filter((j) => j !== best.choice[i]);
        if (rest.length === 0) continue;
        const allowed = best.allowed.map((a, u) => (u < i ? [best.choice[u] as number] : u === i ? rest : a));
        const n = await this.solve(allowed);
        if (n) this.pending.push(n);
      }
    }
    return this.ranked[k];
  }

  /** The ILP optimum restricted to `allowed` options per unit; undefined when infeasible. */
  private async solve(allowed: readonly (readonly number[])[]): Promise<Node | undefined> {
    const problem: AllocationProblem<number> = {
      layers: this.o.units.map((u, i) => ({
        name: u.name,
        options: (allowed[i] as readonly number[]).map((j) => {
          const a = u.alternatives[j] as HantIlpAlternative;
          return { value: j, score: a.loss, cost: { latency: a.latencyMs } };
        }),
      })),
      budget: { latency: this.o.budgetMs },
      fixedCost: { latency: this.o.fixedMs },
    };
    try {
      const s = await solveAllocation(problem);
      return { allowed, choice: s.values, objective: s.objective };
    } catch (e) {
      if (e instanceof BudgetInfeasibleError) return undefined;
      throw e;
    }
  }
}

/** The `hant-ilp` strategy (see the module comment). */
export class HantIlp implements SearchStrategy {
  readonly name = 'hant-ilp';
  private readonly ranked: RankedSelections;

  constructor(private readonly o: HantIlpOptions) {
    this.ranked = new RankedSelections(o);
  }

  /** Parameters of a choice (unit name -> alternative name). */
  private params(choice: readonly number[]): Params {
    return Object.fromEntries(this.o.units.map((u, i) => [u.name, u.alternatives[choice[i] as number]?.name as string]));
  }

  private key(p: Params): string {
    return JSON.stringify(this.o.units.map((u) => p[u.name] ?? null));
  }

  async ask(ctx: AskContext): Promise<Params> {
    const seen = new Set(ctx.history.map((t) => this.key(t.params)));
    for (let k = 0; ; k++) {
      const c = await this.ranked.get(k);
      if (!c) break;
      const p = this.params(c);
      if (!seen.has(this.key(p))) return p;
    }
    return this.params((await this.ranked.get(0)) as readonly number[]);
  }
}
