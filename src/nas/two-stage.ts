/**
 * Two-stage search after HURRICANE: stage 1 searches only the hardware-sensitive parameters (the
 * rest fixed at a reference point), stage 2 searches the remaining parameters together with a choice
 * among stage 1's Pareto-optimal settings of the sensitive part. Each stage runs an inner ask/tell
 * strategy on its own sub-space; like every strategy, all state is rebuilt from the history.
 *
 * Which parameters are hardware-sensitive: {@link positionSplit} (HURRICANE's way, the default of `hwnas
 * nas`) cuts the network by **layer position** into an early and a late part (whole stages) and takes the
 * part that carries most of the target's latency variance, plus the global parameters (input size, width);
 * {@link sensitiveParams} alone takes parameters one by one by their first-order (main-effect) share of the
 * cost variance wherever they sit. With {@link preselectOps}, operators (a block's kernel, expansion, SE,
 * activation together) that are slow on the target for what they offer are dropped before the search, and
 * each stage searches one operator index per block instead of the four fields.
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
  /** Per-hardware operator pre-selection ({@link preselectOps}): blocks search only these operators. */
  readonly ops?: OpSet;
}

/** The operators blocks may use: `fields` (parameter suffixes, e.g. `_k _e _se _act`) and the allowed value tuples. */
export interface OpSet {
  readonly fields: readonly string[];
  readonly allowed: readonly (readonly JsonValue[])[];
}

const OP = '_op';

/** Block prefixes among `names` that carry every field of `fields` (e.g. `s1b0` for `s1b0_k`, `s1b0_e`, ...). */
export function blockPrefixes(names: readonly string[], fields: readonly string[]): string[] {
  const f0 = fields[0];
  if (f0 === undefined) return [];
  const set = new Set(names);
  return names
    .filter((n) => n.endsWith(f0))
    .map((n) => n.slice(0, n.length - f0.length))
    .filter((b) => fields.every((f) => set.has(b + f)));
}

/**
 * A view of the parameters `names` of `space` where each block's operator fields become one categorical
 * `<block>_op` over the allowed operators' indices; `toSub` is undefined for a point using a dropped operator.
 */
function collapse(
  space: SearchSpace,
  names: readonly string[],
  ops: OpSet | undefined,
): { space: SearchSpace; toSub(p: Params): Params | undefined; fromSub(p: Params): Params } {
  const blocks = ops ? blockPrefixes(names, ops.fields) : [];
  if (!ops || blocks.length === 0) {
    return {
      space: new SearchSpace(Object.fromEntries(names.map((n) => [n, space.params[n] as ParamSpec]))),
      toSub: (p) => pick(p, names),
      fromSub: (p) => pick(p, names),
    };
  }
  const grouped = new Set(blocks.flatMap((b) => ops.fields.map((f) => b + f)));
  const plain = names.filter((n) => !grouped.has(n));
  const index = new Map(ops.allowed.map((t, i) => [JSON.stringify(t), i]));
  const choices = ops.allowed.map((_, i) => i);
  const params: Record<string, ParamSpec> = Object.fromEntries(plain.map((n) => [n, space.params[n] as ParamSpec]));
  for (const b of blocks) params[b + OP] = { kind: 'categorical', choices };
  return {
    space: new SearchSpace(params),
    toSub: (p) => {
      const out: Record<string, JsonValue> = pick(p, plain);
      for (const b of blocks) {
        const i = index.get(JSON.stringify(ops.fields.map((f) => p[b + f])));
        if (i === undefined) return undefined;
        out[b + OP] = i;
      }
      return out;
    },
    fromSub: (p) => {
      const out: Record<string, JsonValue> = pick(p, plain);
      for (const b of blocks) {
        const t = ops.allowed[p[b + OP] as number] as readonly JsonValue[];
        ops.fields.forEach((f, k) => {
          out[b + f] = t[k] as JsonValue;
        });
      }
      return out;
    },
  };
}

const S1 = '__stage1';

const pick = (p: Params, names: readonly string[]): Record<string, JsonValue> => Object.fromEntries(names.map((n) => [n, p[n] as JsonValue]));
const key = (p: Params, names: readonly string[]): string => JSON.stringify(names.map((n) => p[n]));

/** Replaces, in place, every block operator of `p` that `ops` does not allow by a random allowed one. */
export function projectOps(p: Record<string, JsonValue>, space: SearchSpace, ops: OpSet, rng: Rng): Record<string, JsonValue> {
  const allowed = new Set(ops.allowed.map((t) => JSON.stringify(t)));
  for (const b of blockPrefixes(space.names, ops.fields)) {
    if (allowed.has(JSON.stringify(ops.fields.map((f) => p[b + f])))) continue;
    const t = rng.choice(ops.allowed);
    ops.fields.forEach((f, k) => {
      p[b + f] = t[k] as JsonValue;
    });
  }
  return p;
}

/** The point that fixes the part a stage does not search: a seeded random point, its blocks moved to allowed operators. */
export function twoStageReference(space: SearchSpace, referenceSeed: number, ops?: OpSet): Params {
  const rng = new Rng(referenceSeed);
  const ref: Record<string, JsonValue> = { ...space.sample(rng) };
  return ops ? projectOps(ref, space, ops, rng) : ref;
}

/** HURRICANE-style two-stage strategy (see module doc). */
export class TwoStageSearch implements SearchStrategy {
  readonly name = 'two-stage';
  private readonly s1: SearchStrategy;
  private readonly s2: SearchStrategy;

  constructor(private readonly o: TwoStageOptions) {
    if (o.sensitive.length === 0) throw new ConfigError('two-stage search: no hardware-sensitive parameters given; expected at least one');
    if (!Number.isInteger(o.stage1Trials) || o.stage1Trials < 1)
      throw new ConfigError(`two-stage search: stage1Trials ${o.stage1Trials}: expected an integer >= 1`);
    if (o.ops && (o.ops.fields.length === 0 || o.ops.allowed.length === 0 || o.ops.allowed.some((t) => t.length !== o.ops?.fields.length)))
      throw new ConfigError('two-stage search: ops needs fields and at least one allowed operator with one value per field');
    this.s1 = o.inner(1);
    this.s2 = o.inner(2);
  }

  async ask(ctx: AskContext): Promise<Params> {
    const names = ctx.space.names;
    for (const s of this.o.sensitive)
      if (!names.includes(s)) throw new ConfigError(`two-stage search: sensitive parameter '${s}' is not in the space (${names.join(', ')})`);
    const sens = this.o.sensitive;
    const rest = names.filter((n) => !sens.includes(n));
    const reference = twoStageReference(ctx.space, this.o.referenceSeed ?? 0, this.o.ops);
    const n1 = this.o.stage1Trials;
    if (ctx.trialNumber < n1 || rest.length === 0) {
      const c = collapse(ctx.space, sens, this.o.ops);
      const hist: Trial[] = [];
      for (const t of ctx.history) {
        if (t.number >= n1) continue;
        const sp = c.toSub(t.params);
        if (sp) hist.push({ ...t, params: sp });
      }
      const p = await this.s1.ask({ ...ctx, space: c.space, history: hist });
      return { ...reference, ...c.fromSub(p) };
    }
    const stage1 = ctx.history.filter((t) => t.number < n1);
    const front = this.front(stage1, ctx);
    const c = collapse(ctx.space, rest, this.o.ops);
    if (front.length === 0) {
      if (!this.o.ops) return ctx.space.sample(ctx.rng);
      const c1 = collapse(ctx.space, sens, this.o.ops);
      return { ...reference, ...c1.fromSub(c1.space.sample(ctx.rng)), ...c.fromSub(c.space.sample(ctx.rng)) };
    }
    const settings = front.map((t) => pick(t.params, sens));
    const index = new Map(settings.map((s, i) => [key(s, sens), i]));
    const sub = new SearchSpace({
      ...c.space.params,
      [S1]: { kind: 'categorical', choices: settings.map((_, i) => i) },
    });
    const hist: Trial[] = [];
    for (const t of ctx.history) {
      if (t.number < n1) continue;
      const i = index.get(key(t.params, sens));
      const sp = c.toSub(t.params);
      if (i === undefined || !sp) continue;
      hist.push({ ...t, number: t.number - n1, params: { ...sp, [S1]: i } });
    }
    const p = await this.s2.ask({ ...ctx, space: sub, history: hist, trialNumber: ctx.trialNumber - n1 });
    const chosen = settings[p[S1] as number] as Params;
    const { [S1]: _s1, ...restSub } = p;
    return { ...c.fromSub(restSub), ...chosen };
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

/** The stage (1-based) a parameter belongs to by its name (`s<i>_depth`, `s<i>b<j>_k`, joint `q_s<i>b<j>`), if any. */
export function paramStage(name: string): number | undefined {
  const m = /^(?:q_)?s(\d+)(?:b\d+)?(?:_|$)/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** What {@link positionSplit} chose. */
export interface PositionSplit {
  /** Stage-1 parameters: the global ones and those of the chosen stages. */
  readonly sensitive: string[];
  /** The chosen stages (1-based, contiguous) and the end of the network they sit at. */
  readonly stages: number[];
  readonly end: 'early' | 'late';
  /** Share of the stage parameters' summed latency effect that the chosen stages carry. */
  readonly share: number;
  /** Parameters of no stage (input size, width, stem/head precision), searched in stage 1. */
  readonly global: string[];
}

/**
 * HURRICANE's split by layer position: the network's stages are cut into an early part (stages 1..c) and a
 * late part (c+1..S); the hardware-sensitive part is the smallest early or late part whose stages carry at
 * least `share` (default 0.5) of the summed main effects (from {@link sensitiveParams}) of all stage
 * parameters on the target's cost (ties: the larger share). Parameters of no stage (input size, width) set
 * the whole network's cost and go to stage 1 too. ConfigError for a space without stage-numbered parameters.
 */
export function positionSplit(names: readonly string[], effects: readonly ParamEffect[], share = 0.5): PositionSplit {
  const eff = new Map(effects.map((e) => [e.name, e.effect]));
  const stageOf = new Map<string, number>();
  for (const n of names) {
    const s = paramStage(n);
    if (s !== undefined) stageOf.set(n, s);
  }
  const stageNums = [...new Set(stageOf.values())].sort((a, b) => a - b);
  if (stageNums.length < 2)
    throw new ConfigError(`two-stage split by layer position needs parameters of at least two stages (s<i>_...); got ${names.join(', ')}`);
  const byStage = new Map(stageNums.map((s) => [s, 0]));
  for (const [n, s] of stageOf) byStage.set(s, (byStage.get(s) as number) + (eff.get(n) ?? 0));
  const total = [...byStage.values()].reduce((a, b) => a + b, 0) || 1;
  let best: { stages: number[]; end: 'early' | 'late'; share: number } | undefined;
  for (let c = 1; c < stageNums.length; c++) {
    const parts: { stages: number[]; end: 'early' | 'late' }[] = [
      { stages: stageNums.slice(0, c), end: 'early' },
      { stages: stageNums.slice(c), end: 'late' },
    ];
    for (const part of parts) {
      const sh = part.stages.reduce((a, s) => a + (byStage.get(s) as number), 0) / total;
      if (sh < share) continue;
      if (!best || part.stages.length < best.stages.length || (part.stages.length === best.stages.length && sh > best.share)) best = { ...part, share: sh };
    }
  }
  const chosen = best as { stages: number[]; end: 'early' | 'late'; share: number };
  const global = names.filter((n) => !stageOf.has(n));
  const inPart = new Set(chosen.stages);
  return {
    sensitive: [...global, ...names.filter((n) => inPart.has(stageOf.get(n) as number))],
    stages: chosen.stages,
    end: chosen.end,
    share: chosen.share,
    global,
  };
}

/** One candidate operator of {@link preselectOps} with its cost at each stage position. */
export interface OpProbe {
  readonly op: readonly JsonValue[];
  /** Per stage (in order): latency, MACs and parameters of the probe network. */
  readonly latency: readonly number[];
  readonly macs: readonly number[];
  readonly params: readonly number[];
  /** Kept, or the operators that beat it (lower latency with at least its MACs and parameters) at every stage. */
  readonly kept: boolean;
  readonly dominatedBy: readonly (readonly JsonValue[])[];
}

/** Options of {@link preselectOps}. */
export interface PreselectOptions {
  /** Parameter suffixes forming a block's operator (default `_k _e _se _act`, the mbv2 spaces'). */
  readonly fields?: readonly string[];
  /** The target's cost (latency) of a point. */
  readonly latency: (p: Params) => number;
  /** MACs and weight count of a point (the capacity an operator buys). */
  readonly capacity: (p: Params) => { readonly macs: number; readonly params: number };
  /** The point the probes change (every stage's depth is set to its maximum in the probes). */
  readonly reference: Params;
}

/**
 * Per-hardware operator pre-selection (HURRICANE): every operator of the space (the product of a block's
 * field choices) is probed at every stage: all blocks of that stage (at full depth) use it, the rest of
 * the network is the reference point; the probe's latency on the target, MACs and parameters are recorded.
 * An operator is dropped when another operator is strictly faster on the target at every stage with at
 * least its MACs and its parameters there (it buys nothing for its latency). Returns the allowed
 * operators (an {@link OpSet}) and every probe; an empty `fields` match (no blocks) returns undefined.
 */
export function preselectOps(space: SearchSpace, o: PreselectOptions): { ops: OpSet; probes: OpProbe[] } | undefined {
  const fields = o.fields ?? ['_k', '_e', '_se', '_act'];
  const blocks = blockPrefixes(space.names, fields);
  if (blocks.length === 0) return undefined;
  const first = blocks[0] as string;
  const values = fields.map((f) => {
    const spec = space.params[first + f];
    if (spec?.kind !== 'categorical') throw new ConfigError(`operator pre-selection: parameter '${first + f}' is not categorical`);
    return spec.choices as readonly JsonValue[];
  });
  let tuples: JsonValue[][] = [[]];
  for (const v of values) tuples = tuples.flatMap((t) => v.map((x) => [...t, x]));
  const stageNums = [...new Set(blocks.map((b) => paramStage(b)).filter((s): s is number => s !== undefined))].sort((a, b) => a - b);
  const probes = tuples.map((op) => {
    const lat: number[] = [];
    const macs: number[] = [];
    const params: number[] = [];
    for (const st of stageNums) {
      const p: Record<string, JsonValue> = { ...o.reference };
      const depth = space.params[`s${st}_depth`];
      if (depth?.kind === 'int') p[`s${st}_depth`] = depth.high;
      for (const b of blocks)
        if (paramStage(b) === st)
          fields.forEach((f, k) => {
            p[b + f] = op[k] as JsonValue;
          });
      lat.push(o.latency(p));
      const c = o.capacity(p);
      macs.push(c.macs);
      params.push(c.params);
    }
    return { op, latency: lat, macs, params };
  });
  const out: OpProbe[] = probes.map((a) => {
    const beats = probes.filter(
      (b) =>
        b !== a &&
        stageNums.every(
          (_, i) =>
            (b.latency[i] as number) < (a.latency[i] as number) &&
            (b.macs[i] as number) >= (a.macs[i] as number) &&
            (b.params[i] as number) >= (a.params[i] as number),
        ),
    );
    return { ...a, kept: beats.length === 0, dominatedBy: beats.map((b) => b.op) };
  });
  return { ops: { fields, allowed: out.filter((p) => p.kept).map((p) => p.op) }, probes: out };
}
