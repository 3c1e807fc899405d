/**
 * Two-stage search after HURRICANE: stage 1 searches only the hardware-sensitive parameters (the
 * rest fixed at a reference point), stage 2 searches the remaining parameters together with a choice
 * among stage 1's Pareto-optimal settings of the sensitive part. Each stage runs an inner ask/tell
 * strategy on its own sub-space; like every strategy, all state is rebuilt from the history.
 *
 * Which parameters are hardware-sensitive comes from {@link sensitiveParams}: the first-order
 * (main-effect) share of each parameter in the variance of the target's cost over random points, so
 * e.g. the kernel and expansion of the blocks with the largest latency share come first.
 */
import { ConfigError } from '../errors.js';
import { crowdingDistance, paretoTrials, toMinimization } from '../search/pareto.js';
import { type ParamSpec, SearchSpace } from '../search/space.js';
import type { AskContext, JsonValue, Params, SearchStrategy, Trial } from '../search/types.js';
import { Rng } from '../util/rng.js';

/** Options of {@link TwoStageSearch}. */
export interface TwoStageOptions {
  /** Names of the hardware-sensitive parameters (searched in stage 1). */
  readonly sensitive: readonly string[];
  /** Trials of stage 1 (the rest of the budget is stage 2). */
  readonly stage1Trials: number;
  /** Creates the inner strategy of a stage (called once per stage). */
  readonly inner: (stage: 1 | 2) => SearchStrategy;
  /** Seed of the reference point that fixes the non-sensitive parameters in stage 1 (default 0). */
  readonly referenceSeed?: number;
  /** Most stage-1 Pareto settings stage 2 chooses among (default 8, the least crowded kept). */
  readonly keep?: number;
}

const S1 = '__stage1';

const pick = (p: Params, names: readonly string[]): Record<string, JsonValue> => Object.fromEntries(names.map((n) => [n, p[n] as JsonValue]));
const key = (p: Params, names: readonly string[]): string => JSON.stringify(names.map((n) => p[n]));

/** HURRICANE-style two-stage strategy (see module doc). */
export class TwoStageSearch implements SearchStrategy {
  readonly name = 'two-stage';
  private readonly s1: SearchStrategy;
  private readonly s2: SearchStrategy;

  constructor(private readonly o: TwoStageOptions) {
    if (o.sensitive.length === 0) throw new ConfigError('two-stage search: no hardware-sensitive parameters given; expected at least one');
    if (!Number.isInteger(o.stage1Trials) || o.stage1Trials < 1)
      throw new ConfigError(`two-stage search: stage1Trials ${o.stage1Trials}: expected an integer >= 1`);
    this.s1 = o.inner(1);
    this.s2 = o.inner(2);
  }

  async ask(ctx: AskContext): Promise<Params> {
    const names = ctx.space.names;
    for (const s of this.o.sensitive)
      if (!names.includes(s)) throw new ConfigError(`two-stage search: sensitive parameter '${s}' is not in the space (${names.join(', ')})`);
    const sens = this.o.sensitive;
    const rest = names.filter((n) => !sens.includes(n));
    const reference = ctx.space.sample(new Rng(this.o.referenceSeed ?? 0));
    const n1 = this.o.stage1Trials;
    if (ctx.trialNumber < n1 || rest.length === 0) {
      const sub = new SearchSpace(Object.fromEntries(sens.map((n) => [n, ctx.space.params[n] as ParamSpec])));
      const hist = ctx.history.filter((t) => t.number < n1).map((t) => ({ ...t, params: pick(t.params, sens) }));
      const p = await this.s1.ask({ ...ctx, space: sub, history: hist });
      return { ...reference, ...p };
    }
    const stage1 = ctx.history.filter((t) => t.number < n1);
    const front = this.front(stage1, ctx);
    if (front.length === 0) return ctx.space.sample(ctx.rng);
    const settings = front.map((t) => pick(t.params, sens));
    const index = new Map(settings.map((s, i) => [key(s, sens), i]));
    const sub = new SearchSpace({
      ...Object.fromEntries(rest.map((n) => [n, ctx.space.params[n] as ParamSpec])),
      [S1]: { kind: 'categorical', choices: settings.map((_, i) => i) },
    });
    const hist: Trial[] = [];
    for (const t of ctx.history) {
      if (t.number < n1) continue;
      const i = index.get(key(t.params, sens));
      if (i === undefined) continue;
      hist.push({ ...t, number: t.number - n1, params: { ...pick(t.params, rest), [S1]: i } });
    }
    const p = await this.s2.ask({ ...ctx, space: sub, history: hist, trialNumber: ctx.trialNumber - n1 });
    const chosen = settings[p[S1] as number] as Params;
    return { ...pick(p, rest), ...chosen };
  }

  /** Stage 1's Pareto trials, at most `keep`, distinct in the sensitive part, least crowded first. */
  private front(stage1: readonly Trial[], ctx: AskContext): Trial[] {
    const seen = new Set<string>();
    const f = paretoTrials(stage1, ctx.objectives).filter((t) => {
      const k = key(t.params, this.o.sensitive);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const keep = this.o.keep ?? 8;
    if (f.length <= keep) return f;
    const cd = crowdingDistance(f.map((t) => toMinimization(t.values as number[], ctx.objectives)));
    return f
      .map((t, i) => ({ t, c: cd[i] as number, i }))
      .sort((a, b) => b.c - a.c || a.i - b.i)
      .slice(0, keep)
      .sort((a, b) => a.i - b.i)
      .map((x) => x.t);
  }
}

/** Options of {@link sensitiveParams}. */
export interface SensitivityOptions {
  /** Random points evaluated (default 200). */
  readonly samples?: number;
  /** Parameters are taken, most effective first, until their effects sum to this share (default 0.6). */
  readonly share?: number;
}

/** One parameter's first-order effect on the cost. */
export interface ParamEffect {
  readonly name: string;
  /** Variance of the conditional mean cost across the parameter's values. */
  readonly effect: number;
  /** Share of the sum of all effects. */
  readonly share: number;
}

/**
 * Main-effect sensitivity of a cost (e.g. latency on a target) to each parameter over random points;
 * returns every parameter's effect (descending) and the chosen hardware-sensitive set.
 */
export function sensitiveParams(
  space: SearchSpace,
  cost: (p: Params) => number,
  rng: Rng,
  o: SensitivityOptions = {},
): { readonly effects: ParamEffect[]; readonly sensitive: string[] } {
  const n = o.samples ?? 200;
  const pts = Array.from({ length: n }, () => space.sample(rng));
  const ys = pts.map(cost);
  const mean = ys.reduce((s, v) => s + v, 0) / n;
  const raw = space.names.map((name) => {
    const groups = new Map<string, { s: number; c: number }>();
    pts.forEach((p, i) => {
      const k = JSON.stringify(p[name]);
      const g = groups.get(k) ?? { s: 0, c: 0 };
      g.s += ys[i] as number;
      g.c++;
      groups.set(k, g);
    });
    let v = 0;
    for (const g of groups.values()) v += (g.c / n) * (g.s / g.c - mean) ** 2;
    return { name, effect: v };
  });
  const total = raw.reduce((s, r) => s + r.effect, 0) || 1;
  const effects = raw.map((r) => ({ ...r, share: r.effect / total })).sort((a, b) => b.effect - a.effect || a.name.localeCompare(b.name));
  const target = o.share ?? 0.6;
  const sensitive: string[] = [];
  let acc = 0;
  for (const e of effects) {
    if (acc >= target || sensitive.length >= space.names.length - 1) break;
    sensitive.push(e.name);
    acc += e.share;
  }
  return { effects, sensitive };
}
