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
 * Channel-wise cost table (CW-HAWQ): per layer, its candidate activation widths `acts` (one: fixed;
 * several: searched, the `<layer>.a` parameter). A layer whose output channels all run at `bits[k]`,
 * input at `acts[a]`, costs `whole[a][k]` (change of the network cost against `lowest`); a layer split
 * into several channel groups costs the sum of its groups, a group of n channels at `bits[k]` costing
 * `slices[a][k][n - 1]` (targets cost each group as its own slice), in place of its own whole cost
 * `lowestWhole[a]` at `bits[0]`. `lowest` is the network's cost with every layer whole at `bits[0]` and
 * its lowest activation width `acts[0]`.
 */
export interface ChannelCostTable {
  readonly bits: readonly number[];
  readonly lowest: number;
  readonly layers: readonly ChannelLayerTable[];
}

/** One layer of a {@link ChannelCostTable}. */
export interface ChannelLayerTable {
  /** Activation widths of the layer's input, ascending. */
  readonly acts: readonly number[];
  /** `whole[a][k]`. */
  readonly whole: readonly (readonly number[])[];
  /** `slices[a][k][n - 1]`. */
  readonly slices: readonly (readonly (readonly number[])[])[];
  /** `lowestWhole[a]`: the layer's own cost whole at `bits[0]`, input at `acts[a]`. */
  readonly lowestWhole: readonly number[];
}

const costKind = z.enum(['latency', 'energy', 'size', 'bops']);
const bitList = z.array(z.number().int().min(1).max(32)).min(1);

/** Schema of {@link QuantProblem}. */
export const quantProblemSchema = z
  .object({
    layers: z.array(z.object({ name: z.string().min(1), outChannels: z.number().int().min(1) }).strict()).min(1),
    weightBits: bitList,
    actBits: bitList,
    budget: z.object({ kind: costKind, value: z.number().positive(), reference: z.number().positive().optional() }).strict(),
    table: z.object({ base: z.number(), deltas: z.array(z.array(z.array(z.number()))) }).strict(),
    features: z.array(z.array(z.number())),
  })
  .strict();

const numbers = z.array(z.number());
/** Schema of {@link ChannelCostTable} (and of the fixed-activation table stored by studies before 2026-12-03, converted on reading). */
export const channelCostTableSchema = z.union([
  z
    .object({
      bits: bitList,
      lowest: z.number(),
      layers: z.array(z.object({ acts: bitList, whole: z.array(numbers), slices: z.array(z.array(numbers)), lowestWhole: numbers }).strict()),
    })
    .strict(),
  z
    .object({
      bits: bitList,
      actBits: z.array(z.array(z.number().int().min(1).max(32))),
      lowest: z.number(),
      layers: z.array(z.object({ whole: numbers, slices: z.array(numbers), lowestWhole: z.number() }).strict()),
    })
    .strict(),
]);

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
  const raw = parseWith(channelCostTableSchema, value, where);
  const t: ChannelCostTable =
    'actBits' in raw
      ? {
          bits: raw.bits,
          lowest: raw.lowest,
          layers: raw.layers.map((l, i) => ({
            acts: [Math.max(...(raw.actBits[i] ?? [8]))],
            whole: [l.whole],
            slices: [l.slices],
            lowestWhole: [l.lowestWhole],
          })),
        }
      : raw;
  const K = t.bits.length;
  const ok =
    t.layers.length === p.layers.length &&
    t.layers.every(
      (l, i) =>
        l.acts.length >= 1 &&
        l.whole.length === l.acts.length &&
        l.slices.length === l.acts.length &&
        l.lowestWhole.length === l.acts.length &&
        l.whole.every((w) => w.length === K) &&
        l.slices.every((sa) => sa.length === K && sa.every((s) => s.length === (p.layers[i] as QuantLayerJson).outChannels)),
    );
  if (!ok)
    throw new ConfigError(
      `${where}: expected, per layer of the problem, acts[A], whole[A][${K}], slices[A][${K}][out channels] and lowestWhole[A] (A activation widths)`,
    );
  for (const b of t.bits)
    if (!p.weightBits.includes(b)) throw new ConfigError(`${where}.bits: ${b} is not a candidate weight width ${JSON.stringify(p.weightBits)}`);
  for (const b of t.layers.flatMap((l) => l.acts))
    if (!p.actBits.includes(b)) throw new ConfigError(`${where}: activation width ${b} is not a candidate activation width ${JSON.stringify(p.actBits)}`);
  return t;
}

/** True when the table lets the search pick some layer's activation width (the `<layer>.a` parameters). */
export function searchesActBits(t: ChannelCostTable): boolean {
  return t.layers.some((l) => l.acts.length > 1);
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
    budget: { kind: budget.kind, value: budget.value, ...(budget.reference !== undefined ? { reference: budget.reference } : {}) },
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

/**
 * Builds the channel-wise table of CW-HAWQ: channel widths `bits`; activation widths either fixed
 * (`actBits[layer][k]`, one per layer: the widest, since a layer's input is quantized once,
 * activation-bits.ts) or, with `searchActs`, every one of those widths for every layer (searched).
 */
export function channelCostTable(
  coster: PolicyCoster,
  kind: CostKind,
  bits: readonly number[],
  actBits: readonly (readonly number[])[],
  searchActs?: readonly number[],
): ChannelCostTable {
  const b = [...new Set(bits)].sort((x, y) => x - y);
  const n = coster.layers.length;
  if (searchActs === undefined && (actBits.length !== n || actBits.some((a) => a.length !== b.length)))
    throw new ConfigError(`channel cost table: activation widths must be given per layer (${n}) and channel width (${b.length})`);
  const choices = searchActs !== undefined ? [...new Set(searchActs)].sort((x, y) => x - y) : undefined;
  if (choices !== undefined && choices.length === 0) throw new ConfigError('channel cost table: no activation width to search');
  const acts = coster.layers.map((_, li) => choices ?? [Math.max(...(actBits[li] as readonly number[]))]);
  const lowW = new Array<number>(n).fill(b[0] as number);
  const lowA = acts.map((a) => a[0] as number);
  const lowest = costOf(coster.cost(lowW, lowA), kind);
  const ownCost = (li: number, a: number): number => {
    const l = coster.layers[li] as PolicyCoster['layers'][number];
    if (kind === 'size') return layerWeightBytes(l.workload, b[0] as number, l.outChannels);
    if (kind === 'bops') return l.macs * (b[0] as number) * a;
    const as = [...lowA];
    as[li] = a;
    const nc = coster.target.networkCost(coster.graph, policyFromVectors(coster.graph, lowW, as)).layers.find((x) => x.node === l.name);
    return nc ? (kind === 'latency' ? nc.latencyMs : nc.energyMj) : Number.NaN;
  };
  const layers = coster.layers.map((l, li) => {
    const la = acts[li] as number[];
    return {
      acts: la,
      lowestWhole: la.map((a) => ownCost(li, a)),
      whole: la.map((a) =>
        b.map((w) => {
          const ws = [...lowW];
          const as = [...lowA];
          ws[li] = w;
          as[li] = a;
          return costOf(coster.cost(ws, as), kind) - lowest;
        }),
      ),
      slices: la.map((a) => b.map((w) => Array.from({ length: l.outChannels }, (_, j) => sliceCost(coster, kind, li, j + 1, w, a)))),
    };
  });
  return { bits: b, lowest, layers };
}

/**
 * Cost contribution of layer `li` at channel counts `counts` (per width of `t.bits`) and activation
 * width index `a` (into its `acts`; default 0), relative to `t.lowest`.
 */
export function channelLayerCost(t: ChannelCostTable, li: number, counts: readonly number[], a = 0): number {
  const l = t.layers[li] as ChannelLayerTable;
  const whole = l.whole[a] as readonly number[];
  const used = counts.map((c, k) => [c, k] as const).filter(([c]) => c > 0);
  if (used.length === 1) return whole[(used[0] as readonly [number, number])[1]] as number;
  // a split layer: each group is costed as its own slice, replacing the layer's own whole cost; what the
  // activation width changes outside the layer (the nodes it reads from) is in whole[a][0]
  let s = 0;
  for (const [c, k] of used) s += ((l.slices[a] as readonly (readonly number[])[])[k] as readonly number[])[c - 1] as number;
  return s - (l.lowestWhole[a] as number) + (whole[0] as number);
}

/**
 * Cost contribution of layer `li` whose input channels are split (channel-wise activation bits): a share
 * `share` of them at `acts[a + 1]`, the rest at `acts[a]`; the share-weighted sum of the two (the targets'
 * model of mixed input widths, src/hardware/activation-bits.ts `inputShares`).
 */
export function channelLayerCostMixed(t: ChannelCostTable, li: number, counts: readonly number[], a: number, share: number): number {
  if (!(share > 0)) return channelLayerCost(t, li, counts, a);
  return (1 - share) * channelLayerCost(t, li, counts, a) + share * channelLayerCost(t, li, counts, a + 1);
}

/**
 * Network cost of channel counts per layer from the table; `shares[li]` (channel-wise activation bits) is the
 * share of layer li's input channels one activation width above `acts[li]`.
 */
export function channelCost(t: ChannelCostTable, counts: readonly (readonly number[])[], acts?: readonly number[], shares?: readonly number[]): number {
  let c = t.lowest;
  counts.forEach((cl, li) => {
    c += channelLayerCostMixed(t, li, cl, acts?.[li] ?? 0, shares?.[li] ?? 0);
  });
  return c;
}

/** Parameter names of layer `name` in the bits space. */
export const paramName = {
  weight: (layer: string): string => `${layer}.w`,
  act: (layer: string): string => `${layer}.a`,
  channels: (layer: string, bits: number): string => `${layer}.c${bits}`,
  /** Channel-wise activation bits: input channels of the layer one activation width above `<layer>.a`. */
  actHigh: (layer: string): string => `${layer}.ah`,
  /** Protection (issue 14): SEC-DED ECC on the layer's weights, 0/1. */
  ecc: (layer: string): string => `${layer}.ecc`,
  /** Protection (issue 14): range restriction of the whole network, 0/1. */
  range: 'range',
} as const;

/** Which protection decisions a bits space carries (issue 14; src/resilience/protection.ts). */
export interface ProtectionChoices {
  /** Per layer `<layer>.ecc` in {0, 1}. */
  readonly ecc?: boolean;
  /** `range` in {0, 1}. */
  readonly range?: boolean;
}

/** The bits space with the protection decisions added: `<layer>.ecc` and / or `range`, each 0 or 1. */
export function protectedQuantSpace(p: Pick<QuantProblem, 'layers' | 'weightBits' | 'actBits'>, protect: ProtectionChoices): SearchSpace {
  const params: Record<string, ParamSpec> = { ...quantSpace(p).params };
  if (protect.ecc) for (const l of p.layers) params[paramName.ecc(l.name)] = { kind: 'categorical', choices: [0, 1] };
  if (protect.range) params[paramName.range] = { kind: 'categorical', choices: [0, 1] };
  return new SearchSpace(params);
}

/**
 * The protection a point chooses: hardened layers and range restriction (none when the point has no such
 * parameters; ConfigError for a flag that is not 0 or 1).
 */
export function readProtection(layers: readonly QuantLayerJson[], params: Params): { readonly hardened: string[]; readonly range: boolean } {
  const flag = (k: string): boolean => {
    const v = params[k];
    if (v === undefined) return false;
    if (v !== 0 && v !== 1) throw new ConfigError(`parameter '${k}' = ${JSON.stringify(v)}: expected 0 or 1 (protection off / on)`);
    return v === 1;
  };
  return { hardened: layers.filter((l) => flag(paramName.ecc(l.name))).map((l) => l.name), range: flag(paramName.range) };
}

/**
 * The bits space of a quantization study: per layer `<layer>.w` and `<layer>.a` (categorical over the
 * candidate bits); with `channelBits` (CW-HAWQ) the channel counts `<layer>.c<b>` at each width b
 * instead (integers in [0, out channels], summing to the layer's channels), with `<layer>.a` over
 * `channelActs` when the channel-wise search picks activation widths (without it they are the study's
 * fixed ones).
 */
export function quantSpace(
  p: Pick<QuantProblem, 'layers' | 'weightBits' | 'actBits'>,
  channelBits?: readonly number[],
  channelActs?: readonly number[],
  /** Channel-wise activation bits: per layer its input channels when split (`<layer>.ah` in [0, n]), else undefined. */
  actChannels?: readonly (number | undefined)[],
): SearchSpace {
  const params: Record<string, ParamSpec> = {};
  for (const [li, l] of p.layers.entries()) {
    if (channelBits) {
      for (const b of channelBits) params[paramName.channels(l.name, b)] = { kind: 'int', low: 0, high: l.outChannels };
      if (channelActs && channelActs.length > 1) params[paramName.act(l.name)] = { kind: 'categorical', choices: [...channelActs] };
      const inC = actChannels?.[li];
      if (inC !== undefined && channelActs && channelActs.length > 1) params[paramName.actHigh(l.name)] = { kind: 'int', low: 0, high: inC };
      continue;
    }
    params[paramName.weight(l.name)] = { kind: 'categorical', choices: [...p.weightBits] };
    params[paramName.act(l.name)] = { kind: 'categorical', choices: [...p.actBits] };
  }
  return new SearchSpace(params);
}

/** A point of the bits space from per-layer weight and activation bits. */
export function bitsParams(
  layers: readonly QuantLayerJson[],
  weightBits: readonly number[],
  actBits: readonly number[],
  protection?: { readonly ecc?: readonly boolean[]; readonly range?: boolean },
): Params {
  const out: Record<string, JsonValue> = {};
  layers.forEach((l, i) => {
    out[paramName.weight(l.name)] = weightBits[i] as number;
    out[paramName.act(l.name)] = actBits[i] as number;
    if (protection?.ecc) out[paramName.ecc(l.name)] = protection.ecc[i] ? 1 : 0;
  });
  if (protection?.range !== undefined) out[paramName.range] = protection.range ? 1 : 0;
  return out;
}

/** A point of the channel-wise bits space from channel counts per layer and width. */
export function channelParams(
  layers: readonly QuantLayerJson[],
  bits: readonly number[],
  counts: readonly (readonly number[])[],
  actBits?: readonly number[],
  /** Channel-wise activation bits: per layer the input channels one width above its `actBits` (undefined: not split). */
  actHigh?: readonly (number | undefined)[],
): Params {
  const out: Record<string, JsonValue> = {};
  layers.forEach((l, i) => {
    bits.forEach((b, k) => (out[paramName.channels(l.name, b)] = (counts[i] as number[])[k] as number));
    if (actBits) out[paramName.act(l.name)] = actBits[i] as number;
    const h = actHigh?.[i];
    if (h !== undefined) out[paramName.actHigh(l.name)] = h;
  });
  return out;
}

/** What a point of the bits space says, per layer: weight and activation bits, or channel counts per width. */
export interface BitsPoint {
  /** Per-layer bits (layer-wise points). */
  readonly weightBits: readonly number[] | undefined;
  readonly actBits: readonly number[] | undefined;
  readonly channels:
    | {
        readonly bits: readonly number[];
        readonly counts: readonly (readonly number[])[];
        /** Per-layer activation bits when the point carries them (a channel-wise search that picks them). */
        readonly actBits?: readonly number[];
        /** Channel-wise activation bits: per layer the input channels one width above `actBits` (undefined: not split). */
        readonly actHigh?: readonly (number | undefined)[];
      }
    | undefined;
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
  const acts = params[paramName.act(first.name)] !== undefined ? layers.map((l) => num(paramName.act(l.name))) : undefined;
  const actHigh = layers.map((l) => (params[paramName.actHigh(l.name)] !== undefined ? num(paramName.actHigh(l.name)) : undefined));
  const split = actHigh.some((h) => h !== undefined);
  return { weightBits: undefined, actBits: undefined, channels: { bits: cwBits, counts, ...(acts ? { actBits: acts } : {}), ...(split ? { actHigh } : {}) } };
}

/**
 * The proposals of a study in order (the trials that are not retries; a retry re-runs its original's parameters after a
 * crash), each with its outcome: the trial itself when complete, else its last completed retry (or retry of a retry);
 * `running` when it or a retry of it is still running.
 */
export function episodeTrials(history: readonly Trial[]): { readonly trial: Trial; readonly outcome: Trial | undefined; readonly running: boolean }[] {
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
  const retryDone = new Map<number, Trial>();
  const running = new Set<number>();
  for (const t of history) {
    if (retryOf(t) !== undefined && t.state === 'complete' && t.values) retryDone.set(root(t), t);
    if (t.state === 'running') running.add(root(t));
  }
  return history
    .filter((t) => retryOf(t) === undefined)
    .map((t) => ({ trial: t, outcome: t.state === 'complete' && t.values ? t : retryDone.get(t.number), running: running.has(t.number) }));
}

/**
 * The episodes of a study in proposal order with their outcome: one per trial that is not a retry, with the value of
 * the original or, when that failed, of its completed retry; `undefined` while none is known (running, or failed).
 */
export function episodeOutcomes(history: readonly Trial[]): { readonly trial: Trial; readonly value: number | undefined }[] {
  return episodeTrials(history).map((e) => ({ trial: e.trial, value: e.outcome ? ((e.outcome.values as readonly number[])[0] as number) : undefined }));
}

/** The study seed a strategy factory was given (0 without a study). */
export function studySeed(ctx: { readonly seed: number } | undefined): number {
  return ctx?.seed ?? 0;
}
