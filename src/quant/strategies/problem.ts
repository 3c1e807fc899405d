/**
 * The JSON problem every quantization strategy receives in its options: the conv/dense layers, the
 * candidate bit-widths, the budget, and per-layer cost tables computed once from a {@link PolicyCoster}
 * (so a resumed study rebuilds its strategy without the model or the target). Also the one bits space
 * of these studies and the conversions between its points and per-layer bit vectors.
 *
 * Layer-wise tables are exact for targets whose network cost is a sum over layers (every analytical
 * target: checked in problem.test.ts); the evaluation always re-costs a candidate on the target itself.
 */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { policyFromVectors } from '../../hardware/precision.js';
import { sliceWorkload } from '../../hardware/prepared.js';
import { type ParamSpec, SearchSpace } from '../../search/space.js';
import type { JsonValue, Params, Trial } from '../../search/types.js';
import { ATTR } from '../../study/run-study.js';
import { parseWith } from '../../util/zod-error.js';
import { costOf, layerWeightBytes, type PolicyCoster, type ResourceBudget } from '../cost.js';
import { layerFeatures } from '../haq.js';
import type { CostKind } from '../ilp.js';

/** A conv/dense layer as the strategies see it. */
export interface QuantLayerJson {
  readonly name: string;
  readonly outChannels: number;
}

/**
 * Budgeted cost of per-layer bit vectors as `base + sum_i deltas[i][w][a]`, where `base` is the cost with
 * every layer at the highest bits and `deltas[i][w][a]` the change when layer i alone moves to
 * (weightBits[w], actBits[a]).
 */
export interface LayerCostTable {
  readonly base: number;
  readonly deltas: readonly (readonly (readonly number[])[])[];
}

/** What every quantization strategy is given (JSON, stored with the study). */
export interface QuantProblem {
  readonly layers: readonly QuantLayerJson[];
  /** Candidate weight bits, ascending. */
  readonly weightBits: readonly number[];
  /** Candidate activation bits, ascending. */
  readonly actBits: readonly number[];
  /** The budget in absolute units of its kind. */
  readonly budget: ResourceBudget;
  readonly table: LayerCostTable;
  /** Min-max normalised static features per layer (HAQ's state; see layerFeatures). */
  readonly features: readonly (readonly number[])[];
}

/**
 * Channel-wise cost table (CW-HAWQ): a layer whose output channels all run at `bits[k]` costs
 * `whole[k]`; a layer split into several channel groups costs the sum of its groups, a group of n
 * channels at `bits[k]` costing `slices[k][n - 1]` (targets cost each group as its own slice). `lowest`
 * is the network's cost with every layer whole at `bits[0]`. Activation bits are fixed per layer and width.
 */
export interface ChannelCostTable {
  readonly bits: readonly number[];
  /** Activation bits of a channel group, per layer and width (`[layer][k]`). */
  readonly actBits: readonly (readonly number[])[];
  readonly lowest: number;
  /** Per layer: `whole[k]` (change of the network cost, layer whole at bits[k]), `slices[k][n - 1]`, and `lowestWhole`, its own cost whole at bits[0]. */
  readonly layers: readonly { readonly whole: readonly number[]; readonly slices: readonly (readonly number[])[]; readonly lowestWhole: number }[];
}

const costKind = z.enum(['latency', 'energy', 'size', 'bops']);
const bitList = z.array(z.number().int().min(1).max(32)).min(1);

/** Schema of {@link QuantProblem}. */
export const quantProblemSchema = z
  .object({
    layers: z.array(z.object({ name: z.string().min(1), outChannels: z.number().int().min(1) }).strict()).min(1),
    weightBits: bitList,
    actBits: bitList,
    budget: z.object({ kind: costKind, value: z.number().positive() }).strict(),
    table: z.object({ base: z.number(), deltas: z.array(z.array(z.array(z.number()))) }).strict(),
    features: z.array(z.array(z.number())),
  })
  .strict();

/** Schema of {@link ChannelCostTable}. */
export const channelCostTableSchema = z
  .object({
    bits: bitList,
    actBits: z.array(z.array(z.number().int().min(1).max(32))),
    lowest: z.number(),
    layers: z.array(z.object({ whole: z.array(z.number()), slices: z.array(z.array(z.number())), lowestWhole: z.number() }).strict()),
  })
  .strict();

/** Validates a problem (ConfigError naming the bad field; shapes of the table checked against the layers and bits). */
export function parseQuantProblem(value: unknown, where: string): QuantProblem {
  const p = parseWith(quantProblemSchema, value, where) as QuantProblem;
  const asc = (b: readonly number[]): boolean => b.every((x, i) => i === 0 || x > (b[i - 1] as number));
  if (!asc(p.weightBits) || !asc(p.actBits))
    throw new ConfigError(`${where}: weightBits ${JSON.stringify(p.weightBits)} and actBits ${JSON.stringify(p.actBits)} must be strictly ascending`);
  const L = p.layers.length;
  const ok = p.table.deltas.length === L && p.table.deltas.every((d) => d.length === p.weightBits.length && d.every((r) => r.length === p.actBits.length));
  if (!ok) throw new ConfigError(`${where}.table.deltas: expected [${L} layers][${p.weightBits.length} weight bits][${p.actBits.length} activation bits]`);
  if (p.features.length !== L) throw new ConfigError(`${where}.features: ${p.features.length} rows, expected one per layer (${L})`);
  return p;
}

/** Validates a channel cost table against the problem's layers. */
export function parseChannelTable(value: unknown, p: QuantProblem, where: string): ChannelCostTable {
  const t = parseWith(channelCostTableSchema, value, where) as ChannelCostTable;
  const K = t.bits.length;
  const ok =
    t.layers.length === p.layers.length &&
    t.actBits.length === p.layers.length &&
    t.actBits.every((a) => a.length === K) &&
    t.layers.every((l, i) => l.whole.length === K && l.slices.length === K && l.slices.every((s) => s.length === (p.layers[i] as QuantLayerJson).outChannels));
  if (!ok) throw new ConfigError(`${where}: expected, per layer of the problem, whole[${K}], slices[${K}][out channels] and actBits[${K}]`);
  for (const b of t.bits)
    if (!p.weightBits.includes(b)) throw new ConfigError(`${where}.bits: ${b} is not a candidate weight width ${JSON.stringify(p.weightBits)}`);
  for (const b of t.actBits.flat())
    if (!p.actBits.includes(b)) throw new ConfigError(`${where}.actBits: ${b} is not a candidate activation width ${JSON.stringify(p.actBits)}`);
  return t;
}

/** Builds the problem of a graph on a target (the tables cost the budget's kind only). */
export function quantProblem(coster: PolicyCoster, budget: ResourceBudget, weightBits: readonly number[], actBits: readonly number[]): QuantProblem {
  const wb = [...new Set(weightBits)].sort((a, b) => a - b);
  const ab = [...new Set(actBits)].sort((a, b) => a - b);
  const n = coster.layers.length;
  const hiW = new Array<number>(n).fill(wb[wb.length - 1] as number);
  const hiA = new Array<number>(n).fill(ab[ab.length - 1] as number);
  const base = costOf(coster.cost(hiW, hiA), budget.kind);
  const deltas = coster.layers.map((_, i) =>
    wb.map((w) =>
      ab.map((a) => {
        const ws = [...hiW];
        const as = [...hiA];
        ws[i] = w;
        as[i] = a;
        return costOf(coster.cost(ws, as), budget.kind) - base;
      }),
    ),
  );
  return {
    layers: coster.layers.map((l) => ({ name: l.name, outChannels: l.outChannels })),
    weightBits: wb,
    actBits: ab,
    budget: { kind: budget.kind, value: budget.value },
    table: { base, deltas },
    features: layerFeatures(coster.layers),
  };
}

/** Budgeted cost of per-layer bit vectors from the problem's table. */
export function tableCost(p: QuantProblem, weightBits: readonly number[], actBits: readonly number[]): number {
  let c = p.table.base;
  p.table.deltas.forEach((d, i) => {
    const wi = p.weightBits.indexOf(weightBits[i] as number);
    const ai = p.actBits.indexOf(actBits[i] as number);
    if (wi < 0 || ai < 0) throw new ConfigError(`layer '${p.layers[i]?.name}': w${weightBits[i]}a${actBits[i]} is not among the candidate bits`);
    c += (d[wi] as number[])[ai] as number;
  });
  return c;
}

/** Cost of one budget kind of a slice of `n` output channels of layer `li` at (w, a) on the coster's target. */
function sliceCost(coster: PolicyCoster, kind: CostKind, li: number, n: number, w: number, a: number): number {
  const l = coster.layers[li];
  if (!l) throw new Error(`no layer ${li}`);
  const sub = sliceWorkload(l.workload, 0, n);
  if (kind === 'size') return layerWeightBytes(sub, w, n);
  if (kind === 'bops') return sub.macs * w * a;
  const c = coster.target.layerCost(sub, { weightBits: w, actBits: a });
  return kind === 'latency' ? c.latencyMs : c.energyMj;
}

/** Builds the channel-wise table of CW-HAWQ (channel widths `bits`, activation bits `actBits[layer][k]` of a group at width k). */
export function channelCostTable(coster: PolicyCoster, kind: CostKind, bits: readonly number[], actBits: readonly (readonly number[])[]): ChannelCostTable {
  const b = [...new Set(bits)].sort((x, y) => x - y);
  const n = coster.layers.length;
  if (actBits.length !== n || actBits.some((a) => a.length !== b.length))
    throw new ConfigError(`channel cost table: activation widths must be given per layer (${n}) and channel width (${b.length})`);
  const lowW = new Array<number>(n).fill(b[0] as number);
  // one activation width per layer, the widest asked (a layer's input is quantized once: activation-bits.ts)
  const layerAct = actBits.map((a) => Math.max(...a));
  const lowA = layerAct;
  const lowest = costOf(coster.cost(lowW, lowA), kind);
  const low = coster.target.networkCost(coster.graph, policyFromVectors(coster.graph, lowW, lowA));
  const layers = coster.layers.map((l, li) => ({
    lowestWhole:
      kind === 'size'
        ? layerWeightBytes(l.workload, b[0] as number, l.outChannels)
        : kind === 'bops'
          ? l.macs * (b[0] as number) * (lowA[li] as number)
          : ((nc) => (kind === 'latency' ? nc.latencyMs : nc.energyMj))(
              low.layers.find((x) => x.node === l.name) ?? { latencyMs: Number.NaN, energyMj: Number.NaN },
            ),
    whole: b.map((w) => {
      const ws = [...lowW];
      const as = [...lowA];
      ws[li] = w;
      as[li] = layerAct[li] as number;
      return costOf(coster.cost(ws, as), kind) - lowest;
    }),
    slices: b.map((w) => Array.from({ length: l.outChannels }, (_, j) => sliceCost(coster, kind, li, j + 1, w, layerAct[li] as number))),
  }));
  return { bits: b, actBits: layerAct.map((a) => b.map(() => a)), lowest, layers };
}

/** Cost contribution of layer `li` at channel counts `counts` (per width of `t.bits`), relative to the layer whole at the lowest width. */
export function channelLayerCost(t: ChannelCostTable, li: number, counts: readonly number[]): number {
  const l = t.layers[li] as ChannelCostTable['layers'][number];
  const used = counts.map((c, k) => [c, k] as const).filter(([c]) => c > 0);
  if (used.length === 1) return l.whole[(used[0] as readonly [number, number])[1]] as number;
  // a split layer: each group is costed as its own slice, replacing the layer's whole cost in `lowest`
  let s = 0;
  for (const [c, k] of used) s += (l.slices[k] as number[])[c - 1] as number;
  return s - l.lowestWhole;
}

/** Network cost of channel counts per layer from the table. */
export function channelCost(t: ChannelCostTable, counts: readonly (readonly number[])[]): number {
  let c = t.lowest;
  counts.forEach((cl, li) => {
    c += channelLayerCost(t, li, cl);
  });
  return c;
}

/** Parameter names of layer `name` in the bits space. */
export const paramName = {
  weight: (layer: string): string => `${layer}.w`,
  act: (layer: string): string => `${layer}.a`,
  channels: (layer: string, bits: number): string => `${layer}.c${bits}`,
} as const;

/**
 * The bits space of a quantization study: per layer `<layer>.w` and `<layer>.a` (categorical over the
 * candidate bits); with `channelBits` (CW-HAWQ) the channel counts `<layer>.c<b>` at each width b
 * instead (integers in [0, out channels], summing to the layer's channels; activation bits are the
 * study's fixed ones per width).
 */
export function quantSpace(p: Pick<QuantProblem, 'layers' | 'weightBits' | 'actBits'>, channelBits?: readonly number[]): SearchSpace {
  const params: Record<string, ParamSpec> = {};
  for (const l of p.layers) {
    if (channelBits) {
      for (const b of channelBits) params[paramName.channels(l.name, b)] = { kind: 'int', low: 0, high: l.outChannels };
      continue;
    }
    params[paramName.weight(l.name)] = { kind: 'categorical', choices: [...p.weightBits] };
    params[paramName.act(l.name)] = { kind: 'categorical', choices: [...p.actBits] };
  }
  return new SearchSpace(params);
}

/** A point of the bits space from per-layer weight and activation bits. */
export function bitsParams(layers: readonly QuantLayerJson[], weightBits: readonly number[], actBits: readonly number[]): Params {
  const out: Record<string, JsonValue> = {};
  layers.forEach((l, i) => {
    out[paramName.weight(l.name)] = weightBits[i] as number;
    out[paramName.act(l.name)] = actBits[i] as number;
  });
  return out;
}

/** A point of the channel-wise bits space from channel counts per layer and width. */
export function channelParams(layers: readonly QuantLayerJson[], bits: readonly number[], counts: readonly (readonly number[])[]): Params {
  const out: Record<string, JsonValue> = {};
  layers.forEach((l, i) => bits.forEach((b, k) => (out[paramName.channels(l.name, b)] = (counts[i] as number[])[k] as number)));
  return out;
}

/** What a point of the bits space says, per layer: weight and activation bits, or channel counts per width. */
export interface BitsPoint {
  /** Per-layer bits (layer-wise points). */
  readonly weightBits: readonly number[] | undefined;
  readonly actBits: readonly number[] | undefined;
  readonly channels: { readonly bits: readonly number[]; readonly counts: readonly (readonly number[])[] } | undefined;
}

/** Reads a point of the bits space (ConfigError naming a missing or bad parameter). */
export function readBitsParams(layers: readonly QuantLayerJson[], params: Params): BitsPoint {
  const num = (k: string): number => {
    const v = params[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(`parameter '${k}' = ${JSON.stringify(v)}: expected an integer`);
    return v;
  };
  const first = layers[0] as QuantLayerJson;
  const prefix = `${first.name}.c`;
  const cwBits = Object.keys(params)
    .filter((k) => k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length)))
    .map((k) => Number(k.slice(prefix.length)))
    .sort((a, b) => a - b);
  if (cwBits.length === 0)
    return { weightBits: layers.map((l) => num(paramName.weight(l.name))), actBits: layers.map((l) => num(paramName.act(l.name))), channels: undefined };
  const counts = layers.map((l) => {
    const c = cwBits.map((b) => num(paramName.channels(l.name, b)));
    const sum = c.reduce((s, x) => s + x, 0);
    if (sum !== l.outChannels)
      throw new ConfigError(
        `layer '${l.name}': channel counts ${JSON.stringify(c)} at ${JSON.stringify(cwBits)} bits sum to ${sum}, expected its ${l.outChannels} channels`,
      );
    return c;
  });
  return { weightBits: undefined, actBits: undefined, channels: { bits: cwBits, counts } };
}

/**
 * The episodes of a study in proposal order with their outcome: one per trial that is not a retry
 * (a retry re-runs its original's parameters after a crash), with the value of the original or, when
 * that failed, of its completed retry; `undefined` while none is known (running, or failed).
 */
export function episodeOutcomes(history: readonly Trial[]): { readonly trial: Trial; readonly value: number | undefined }[] {
  const retryOf = (t: Trial): number | undefined => {
    const of = t.userAttrs[ATTR.retryOf];
    return typeof of === 'number' ? of : undefined;
  };
  const byNumber = new Map(history.map((t) => [t.number, t]));
  const root = (t: Trial): number => {
    let n = t.number;
    for (let of = retryOf(t); of !== undefined; of = retryOf(byNumber.get(n) as Trial)) n = of;
    return n;
  };
  // the value of a completed retry (or retry of a retry) counts for the original episode
  const retryValue = new Map<number, number>();
  for (const t of history) if (retryOf(t) !== undefined && t.state === 'complete' && t.values) retryValue.set(root(t), t.values[0] as number);
  return history
    .filter((t) => retryOf(t) === undefined)
    .map((t) => ({ trial: t, value: t.state === 'complete' && t.values ? (t.values[0] as number) : retryValue.get(t.number) }));
}

/** The study seed a strategy factory was given (0 without a study). */
export function studySeed(ctx: { readonly seed: number } | undefined): number {
  return ctx?.seed ?? 0;
}
