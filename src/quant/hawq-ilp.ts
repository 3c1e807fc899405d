/**
 * HAWQ-V3 style ILP over a real network and target: one (weight bits, activation bits) option per
 * conv/dense layer, minimising the summed sensitivity scores under latency / energy / size / BOPs budgets,
 * with each option's cost taken from the target as the change of the network cost when that layer alone
 * moves from the reference precision. That is exact for targets whose network cost is a sum of layer
 * costs; it is not for non-additive ones (fusion-aware or measured targets, a tensor read by several
 * layers: src/hardware/activation-bits.ts). So the solution is checked against every budget with the
 * target's own network cost and, when over, repaired: the ILP is solved again with each exceeded budget
 * tightened by the overshoot, up to `maxRepairs` times; then it fails with an InfeasibleError.
 */
import { ConfigError, InfeasibleError } from '../errors.js';
import { type Precision, type PrecisionPolicy, policyFromVectors } from '../hardware/precision.js';
import type { CostVector, PolicyCoster } from './cost.js';
import { type AllocationKind, type AllocationLayer, type Budget, BudgetInfeasibleError, COST_KINDS, type CostKind, solveAllocation } from './ilp.js';

/** Options of {@link ilpSearch}. */
export interface IlpSearchOptions {
  readonly coster: PolicyCoster;
  /** Absolute budgets, e.g. `{ latency: 0.6 * w8a8.latency }`. */
  readonly budget: Budget;
  /** Precision options of every layer (e.g. all pairs of {2..8} x {4..8}). */
  readonly options: readonly Precision[];
  /** Sensitivity score of layer `i` (index in `coster.layers`) at precision `p` (lower is better). */
  readonly score: (layer: number, p: Precision) => number;
  /** Re-solves with tightened budgets when the target's network cost exceeds a budget (default 20). */
  readonly maxRepairs?: number;
  /**
   * Resilience constraint (issue 14): the summed per-layer fault damage (e.g. the expected damage of
   * src/resilience/predictor.ts of layer `i` at precision `p`, with the other layers as they are) must
   * not exceed `max`. Additive by construction, so it is one more ILP row and needs no repair. Absent:
   * the allocation is exactly as without it.
   */
  readonly fault?: {
    readonly damage: (layer: number, p: Precision) => number;
    readonly max: number;
    /**
     * Protection as a per-layer decision: every (layer, precision) option also exists hardened (e.g. SEC-DED ECC
     * on the layer's weights), whose damage is `damage x factor` and whose cost adds `extraCost(layer, p)` (the
     * target's own extra cost of protecting that layer, e.g. src/resilience/protection.ts). The solution names
     * the hardened layers; the budget check adds their extra cost to the policy's network cost.
     */
    readonly harden?: { readonly factor: number; readonly extraCost: (layer: number, p: Precision) => Readonly<Partial<Record<CostKind, number>>> };
  };
}

/** Result of {@link ilpSearch}. */
export interface IlpSearchResult {
  readonly policy: PrecisionPolicy;
  readonly weightBits: readonly number[];
  readonly actBits: readonly number[];
  readonly objective: number;
  /** Cost of the chosen policy, re-evaluated on the target. */
  readonly cost: CostVector;
  readonly solveMs: number;
  readonly wallMs: number;
  /** Re-solves needed before the target's own cost met every budget (0: the first solution did). */
  readonly repairs: number;
  /** Summed fault damage of the solution (when a fault constraint was given), hardening included. */
  readonly fault?: number;
  /** Layers the solution hardens (when `fault.harden` was given). */
  readonly hardened?: readonly string[];
}

/** All (w, a) pairs of two bit lists. */
export function precisionGrid(weightBits: readonly number[], actBits: readonly number[]): Precision[] {
  return weightBits.flatMap((w) => actBits.map((a) => ({ weightBits: w, actBits: a })));
}

/**
 * Solve the bit allocation exactly; throws an InfeasibleError (with the cheapest achievable costs) when
 * no policy over `options` fits.
 * @example await ilpSearch({ coster, budget: { latency: 0.6 * ref.latency }, options: precisionGrid([2,3,4,5,6,7,8], [4,5,6,7,8]), score })
 */
export async function ilpSearch(o: IlpSearchOptions): Promise<IlpSearchResult> {
  const t0 = performance.now();
  const { coster } = o;
  const sup = coster.target.supportedBits;
  if (o.options.length === 0) throw new ConfigError('ilp: no precision options');
  for (const p of o.options) {
    if (!sup.weight.includes(p.weightBits) || !sup.act.includes(p.actBits)) {
      throw new ConfigError(
        `ilp: precision w${p.weightBits}a${p.actBits} cannot run on target '${coster.target.name}': expected weight bits in {${sup.weight.join(', ')}} and activation bits in {${sup.act.join(', ')}}`,
      );
    }
  }
  const n = coster.layers.length;
  const ref = o.options[o.options.length - 1] as Precision;
  const refW = new Array<number>(n).fill(ref.weightBits);
  const refA = new Array<number>(n).fill(ref.actBits);
  const base = coster.cost(refW, refA);
  const kinds = COST_KINDS.filter((k) => o.budget[k] !== undefined);
  for (const k of kinds) if (!Number.isFinite(base[k])) throw new ConfigError(`ilp: target '${coster.target.name}' has no ${k} model; cannot budget ${k}`);
  const harden = o.fault?.harden;
  if (harden && !(harden.factor >= 0 && harden.factor <= 1))
    throw new ConfigError(`ilp: hardening damage factor ${harden.factor}: expected a number in [0, 1]`);
  const layers: AllocationLayer<{ p: Precision; hardened: boolean }>[] = coster.layers.map((l, i) => ({
    name: l.name,
    options: o.options.flatMap((p) => {
      const wb = [...refW];
      const ab = [...refA];
      wb[i] = p.weightBits;
      ab[i] = p.actBits;
      const c = coster.cost(wb, ab);
      const cost: Partial<Record<AllocationKind, number>> = {};
      for (const k of kinds) cost[k] = c[k] - base[k];
      if (o.fault) {
        const d = o.fault.damage(i, p);
        if (!(Number.isFinite(d) && d >= 0))
          throw new ConfigError(`ilp: fault damage of layer '${l.name}' at w${p.weightBits}a${p.actBits} is ${d}: expected a finite number >= 0`);
        cost.fault = d;
      }
      const plain = { value: { p, hardened: false }, score: o.score(i, p), cost };
      if (!harden) return [plain];
      const extra = harden.extraCost(i, p);
      const hcost: Partial<Record<AllocationKind, number>> = { ...cost, fault: (cost.fault as number) * harden.factor };
      for (const k of kinds) hcost[k] = (cost[k] as number) + (extra[k] ?? 0);
      return [plain, { value: { p, hardened: true }, score: o.score(i, p), cost: hcost }];
    }),
  }));
  const extraOf = (values: readonly { p: Precision; hardened: boolean }[], k: (typeof kinds)[number]): number =>
    harden ? values.reduce((a, v, i) => a + (v.hardened ? (harden.extraCost(i, v.p)[k] ?? 0) : 0), 0) : 0;
  // with deltas from the reference policy, the fixed part is the reference total
  const fixedCost: Partial<Record<AllocationKind, number>> = {};
  for (const k of kinds) fixedCost[k] = base[k];
  // check the solution with the target's own network cost; repair by tightening what is exceeded
  const maxRepairs = o.maxRepairs ?? 20;
  const tight: Partial<Record<AllocationKind, number>> = {};
  for (const k of kinds) tight[k] = o.budget[k] as number;
  if (o.fault) {
    if (!(o.fault.max > 0 && Number.isFinite(o.fault.max))) throw new ConfigError(`ilp: maximum fault damage ${o.fault.max}: expected a positive number`);
    tight.fault = o.fault.max;
  }
  let solveMs = 0;
  for (let repairs = 0; ; repairs++) {
    let sol: Awaited<ReturnType<typeof solveAllocation<{ p: Precision; hardened: boolean }>>>;
    try {
      sol = await solveAllocation({ layers, budget: tight, fixedCost });
    } catch (e) {
      if (repairs > 0 && e instanceof BudgetInfeasibleError)
        throw new InfeasibleError(
          `ilp: no policy meets the budget on target '${coster.target.name}' by its own network cost: after ${repairs} repair(s) the layer-additive model admits nothing (${e.message})`,
        );
      throw e;
    }
    solveMs += sol.solveMs;
    if (harden && o.fault) {
      // hardening does not change the score: drop any the fault line does not need (ties are otherwise arbitrary)
      const f = o.fault;
      const values = [...sol.values];
      let total = values.reduce((a, v, i) => a + f.damage(i, v.p) * (v.hardened ? harden.factor : 1), 0);
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as { p: Precision; hardened: boolean };
        if (!v.hardened) continue;
        const d = f.damage(i, v.p);
        if (total - d * harden.factor + d <= f.max) {
          total += d - d * harden.factor;
          values[i] = { p: v.p, hardened: false };
        }
      }
      sol = { ...sol, values };
    }
    const wb = sol.values.map((v) => v.p.weightBits);
    const ab = sol.values.map((v) => v.p.actBits);
    const cost = { ...coster.cost(wb, ab) };
    for (const k of kinds) cost[k] += extraOf(sol.values, k);
    const over = kinds.filter((k) => cost[k] > (o.budget[k] as number) * (1 + 1e-9));
    if (over.length === 0)
      return {
        policy: policyFromVectors(coster.graph, wb, ab, 'hawq-ilp'),
        weightBits: wb,
        actBits: ab,
        objective: sol.objective,
        cost,
        solveMs,
        wallMs: performance.now() - t0,
        repairs,
        ...(o.fault
          ? {
              fault: sol.values.reduce(
                (a, v, i) => a + (o.fault as NonNullable<IlpSearchOptions['fault']>).damage(i, v.p) * (v.hardened ? (harden?.factor ?? 1) : 1),
                0,
              ),
            }
          : {}),
        ...(harden ? { hardened: coster.layers.filter((_, i) => sol.values[i]?.hardened).map((l) => l.name) } : {}),
      };
    if (repairs >= maxRepairs)
      throw new InfeasibleError(
        `ilp: after ${repairs} repair(s) the solution still exceeds the budget on target '${coster.target.name}': ${over
          .map((k) => `${k} ${fmt(cost[k])} > ${fmt(o.budget[k] as number)}`)
          .join(', ')}; expected a larger budget`,
      );
    for (const k of over) {
      tight[k] = (tight[k] as number) - (cost[k] - (o.budget[k] as number)) - 1e-9 * (o.budget[k] as number);
      if (!((tight[k] as number) > 0))
        throw new InfeasibleError(
          `ilp: no policy meets the ${k} budget ${fmt(o.budget[k] as number)} on target '${coster.target.name}' by its own network cost (the solution costs ${fmt(cost[k])}; repairs exhausted the budget); expected a larger budget`,
        );
    }
  }
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
