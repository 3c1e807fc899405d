/**
 * CW-HAWQ: channel-wise mixed precision (docs/quantization.md). Output channels of each layer are ordered
 * by the magnitude of their Hessian trace; a DDPG agent picks, per layer, the ratios of channels at each
 * bit-width (any widths the target runs) and, optionally (`searchActBits`), the width of the layer's input;
 * bits go to channels in trace order (most sensitive channels get the most bits). Hardware cost is computed
 * per channel group (the policy's `groups`). The agent decides the allocation: the budget wall only repairs
 * a violation (as action clipping does in HAQ): while over budget, it applies the move with the most cost
 * saved per estimated damage: the least sensitive channels of some width one width down (a slice of 1/8 of
 * the layer, or a whole width, since merging groups saves the target's per-group cost), or a layer's input
 * one activation width down. Damage is in loss units with damage tables (HAWQ's channel term, measured
 * activation loss), else |trace| x the growth of the relative quantization MSE 1/qmax^2 (so 8 -> 4 goes
 * before 4 -> 2). Spending budget left over (`fill`, off by default) is kept as an option: with it the
 * wall, not the agent, decides most of the result.
 */
import { ConfigError } from '../errors.js';
import type { ChannelGroup, LayerPrecision, PrecisionPolicy } from '../hardware/precision.js';
import type { Graph } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';
import type { Trial } from '../search/types.js';
import { budgetInfeasible, type CostVector, costOf, type PolicyCoster, type ResourceBudget } from './cost.js';
import type { DdpgOptions } from './ddpg.js';
import { channelSensitivity } from './hawq-scores.js';
import { activationNodes, type ChannelBits, inputBitsKey } from './quant-config.js';
import { CwHawqStrategy } from './strategies/cw-hawq.js';
import { channelCostTable, quantProblem, quantSpace, readBitsParams } from './strategies/problem.js';
import { runAccuracyStudy } from './strategies/run.js';

/** A channel-wise allocation: bits per output channel, the cost policy and its cost. */
export interface ChannelAllocation {
  /** Per layer: channels per bit option (same order as `bits`). */
  readonly counts: readonly (readonly number[])[];
  /** Per-output-channel weight bits (for the fake-quant/export). */
  readonly channelBits: ChannelBits;
  /** Policy with channel groups (for the hardware cost; groups ordered by bits, high first). */
  readonly policy: PrecisionPolicy;
}

/**
 * Channel-wise activation bits of one layer's input (CW-HAWQ's activation side): per input channel its
 * Hessian trace (channels ordered by it, most sensitive first) and the estimated damage of each channel at
 * each of the searched activation widths (`damage[a][c]`, non-increasing in a).
 */
export interface ActChannelLayer {
  readonly traces: readonly number[];
  readonly damage: readonly (readonly number[])[];
}

/** How a layer's input channels are split between two adjacent activation widths. */
export interface ActSplit {
  /** Width of the less sensitive channels. */
  readonly low: number;
  /** Width of the `count` most sensitive channels (by `order`). */
  readonly high: number;
  readonly count: number;
  /** Input channel indices, most sensitive first (traceOrder of the activation traces). */
  readonly order: readonly number[];
}

/**
 * The split of a layer's input from the point's activation width index `a` (into `acts`) and `high` channels
 * one width up; undefined when the layer is not split (no `high`, or every channel at one width).
 */
export function actSplitOf(acts: readonly number[], a: number, high: number | undefined, order: readonly number[] | undefined): ActSplit | undefined {
  if (high === undefined || order === undefined || high <= 0 || a + 1 >= acts.length) return undefined;
  if (high > order.length) throw new ConfigError(`channel-wise activation bits: ${high} channels one width up, the layer's input has ${order.length}`);
  return { low: acts[a] as number, high: acts[a + 1] as number, count: high, order };
}

/**
 * Which layers' inputs CW-HAWQ splits channel-wise, with their activation traces and per-channel damage
 * (`activationHessianDamage`'s `sensitivities[i].channelTraces` and `channelDamage[i]`, in `quantizableLayers`
 * order): conv layers whose input no other layer reads (the engine quantizes a tensor once; a shared tensor
 * would need its readers to agree on each channel's width). Dense layers keep one width: a dense layer's
 * input order in the engine is the NHWC flatten, not the IR's channels.
 */
export function actChannelLayers(
  graph: Graph,
  traces: readonly (readonly number[])[],
  damage: readonly (readonly (readonly number[])[])[],
): (ActChannelLayer | undefined)[] {
  const readers = activationNodes(graph);
  return quantizableLayers(graph).map((l, i) => {
    if (l.op !== 'conv2d' || (readers.get(l.inputs[0] as string)?.length ?? 0) !== 1) return undefined;
    const t = traces[i] as readonly number[];
    if (t.length !== l.inChannels) throw new ConfigError(`cw-hawq: layer '${l.name}' input has ${l.inChannels} channels but ${t.length} activation traces`);
    return { traces: t, damage: damage[i] as readonly (readonly number[])[] };
  });
}

/** Options of {@link cwHawqSearch}. */
export interface CwHawqOptions {
  readonly coster: PolicyCoster;
  readonly budget: ResourceBudget;
  /** Bit options of a channel's weights, e.g. [2, 4, 8]. */
  readonly bits: readonly number[];
  /**
   * Activation bits: one number for all layers, one per layer (e.g. from an ILP/HAQ layer-wise policy),
   * or 'same' (= each group's weight bits, at least `minActBits`; the engine then quantizes the layer's
   * input at the widest group's bits). Default 8.
   */
  readonly actBits?: number | readonly number[] | 'same';
  /** Lower bound of activation bits with actBits 'same' (default 4). */
  readonly minActBits?: number;
  /**
   * Activation widths the agent picks from, per layer (one more action component; `actBits` is then
   * ignored). Needs `actDamage` and `channelDamage` (the wall weighs activation and weight moves in one unit).
   */
  readonly searchActBits?: readonly number[];
  /** The wall's weight damage `[layer][k][channel]` (ChannelWallOptions.weightDamage). */
  readonly channelDamage?: readonly (readonly (readonly number[])[])[];
  /** The wall's activation damage `[layer][a]` over `searchActBits` (ChannelWallOptions.actDamage). */
  readonly actDamage?: readonly (readonly number[])[];
  /**
   * Channel-wise activation bits (with `searchActBits`): per layer, its input channels' traces and damage, or
   * undefined for a layer whose input stays per tensor (dense layers, inputs several layers read).
   */
  readonly actChannels?: readonly (ActChannelLayer | undefined)[];
  /** Per layer, per output channel Hessian traces (layer order of `coster.layers`). */
  readonly channelTraces: readonly (readonly number[])[];
  /** Accuracy in [0, 1] of an allocation. */
  readonly accuracy: (a: ChannelAllocation) => number | Promise<number>;
  readonly episodes?: number;
  readonly warmupEpisodes?: number;
  readonly seed: number;
  readonly rewardScale?: number;
  readonly agent?: Partial<Omit<DdpgOptions, 'stateDim' | 'actionDim' | 'seed'>>;
  readonly onEpisode?: (e: CwHawqEpisode) => void;
  readonly signal?: AbortSignal;
}

/** One finished episode. */
export interface CwHawqEpisode {
  readonly episode: number;
  readonly counts: readonly (readonly number[])[];
  /** Activation bits per layer. */
  readonly actBits: readonly number[];
  readonly accuracy: number;
  readonly cost: CostVector;
  readonly bestAccuracy: number;
}

/** Result of {@link cwHawqSearch}. */
export interface CwHawqResult {
  readonly allocation: ChannelAllocation;
  readonly accuracy: number;
  readonly cost: CostVector;
  readonly history: readonly CwHawqEpisode[];
  /** Episodes whose allocation the target costs above the budget (never picked). */
  readonly overBudget: number;
  readonly wallMs: number;
  readonly interrupted: boolean;
}

/** Split `total` channels by ratios (largest remainder, exact sum). */
export function ratiosToCounts(ratios: readonly number[], total: number): number[] {
  const s = ratios.reduce((a, b) => a + Math.max(0, b), 0);
  const r = s > 0 ? ratios.map((x) => Math.max(0, x) / s) : ratios.map(() => 1 / ratios.length);
  const raw = r.map((x) => x * total);
  const counts = raw.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = raw.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts;
}

/** Channel indices of each layer sorted by decreasing sensitivity |trace| (ties by index). */
export function traceOrder(traces: readonly number[]): number[] {
  return traces
    .map((t, i) => [channelSensitivity(t), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .map(([, i]) => i);
}

/**
 * Activation bits of channel groups: one number for all, one per layer, one per layer and width
 * (`[layer][k]`, k indexing the ascending channel widths), or 'same' (the group's weight bits, at least
 * a minimum).
 */
export type ActBitsSpec = number | readonly number[] | readonly (readonly number[])[] | 'same';

/** The activation bits of the group at width index `k` (`bits` wide) of layer `li`. */
export function groupActBits(spec: ActBitsSpec, li: number, k: number, bits: number, minActBits: number): number {
  if (spec === 'same') return Math.max(bits, minActBits);
  if (typeof spec === 'number') return spec;
  const v = spec[li];
  return typeof v === 'number' ? v : ((v as readonly number[])[k] as number);
}

/**
 * Build the allocation from per-layer channel counts per bit option: the most sensitive channels get the
 * highest bits. `bits` ascending; `counts[l][k]` channels of layer l at bits[k].
 */
export function buildAllocation(
  coster: PolicyCoster,
  bits: readonly number[],
  counts: readonly (readonly number[])[],
  orders: readonly (readonly number[])[],
  actBits: ActBitsSpec,
  minActBits: number,
  /** Channel-wise activation bits: per layer the split of its input (undefined: one width). */
  actSplit?: readonly (ActSplit | undefined)[],
): ChannelAllocation {
  const layers: Record<string, LayerPrecision> = {};
  const channelBits: Record<string, number[]> = {};
  coster.layers.forEach((l, li) => {
    const c = counts[li] as readonly number[];
    const order = orders[li] as readonly number[];
    const split = actSplit?.[li];
    // one activation width per layer: the engine quantizes a layer's input tensor once, so every channel
    // group reads it at the widest width asked for the layer (src/hardware/activation-bits.ts); with a split
    // input, the widest of the split
    const layerAct = split ? split.high : Math.max(...bits.map((b, k) => groupActBits(actBits, li, k, b, minActBits)));
    const perChannel = new Array<number>(l.outChannels).fill(bits[0] as number);
    const groups: ChannelGroup[] = [];
    let pos = 0;
    for (let k = bits.length - 1; k >= 0; k--) {
      const b = bits[k] as number;
      const n = c[k] as number;
      for (let j = 0; j < n; j++) perChannel[order[pos + j] as number] = b;
      pos += n;
      if (n > 0) groups.push({ channels: n, weightBits: b, actBits: layerAct });
    }
    const first = groups[0] as ChannelGroup;
    const inputGroups = split
      ? [
          { channels: split.count, actBits: split.high },
          ...(split.count < split.order.length ? [{ channels: split.order.length - split.count, actBits: split.low }] : []),
        ]
      : undefined;
    layers[l.name] = {
      weightBits: first.weightBits,
      actBits: first.actBits,
      ...(groups.length > 1 ? { groups } : {}),
      ...(inputGroups ? { inputGroups } : {}),
    };
    channelBits[l.name] = perChannel;
    if (split) {
      // the most sensitive input channels (activation-trace order) at the higher width
      const inBits = new Array<number>(split.order.length).fill(split.low);
      for (let j = 0; j < split.count; j++) inBits[split.order[j] as number] = split.high;
      channelBits[inputBitsKey(l.name)] = inBits;
    }
  });
  const policy: PrecisionPolicy = { name: 'cw-hawq', default: { weightBits: 8, actBits: 8 }, layers };
  return { counts: counts.map((c) => [...c]), channelBits, policy };
}

/** Inputs of {@link channelWall}. */
export interface ChannelWallOptions {
  /** Channel widths, ascending. */
  readonly bits: readonly number[];
  /** Per layer, per output channel Hessian traces. */
  readonly channelTraces: readonly (readonly number[])[];
  readonly budget: ResourceBudget;
  /**
   * Budgeted cost of layer `li` at channel counts `counts` and activation width index `a` (up to a
   * constant per layer: differences rank the moves).
   */
  readonly layerCost: (li: number, counts: readonly number[], a: number) => number;
  /**
   * Budgeted cost of the network at these counts and activation width indices (with `actChannels`, `high[li]`
   * input channels of layer li one activation width up).
   */
  readonly cost: (counts: readonly (readonly number[])[], acts: readonly number[], high?: readonly number[]) => number;
  /**
   * Channel-wise activation bits (with `actDamage`): per layer, its input channels most sensitive first
   * (`order`) and each channel's damage at each activation width (`damage[a][c]`, same units as
   * `weightDamage`); undefined for a layer whose input stays one width. The wall then lowers such an input
   * a slice (1/8) of its least sensitive channels at a time, and costs a split input as the share-weighted
   * sum of its two widths' costs.
   */
  readonly actChannels?: readonly ({ readonly order: readonly number[]; readonly damage: readonly (readonly number[])[] } | undefined)[];
  /** Also spend budget left over by promoting channels (default false: the wall only repairs violations). */
  readonly fill?: boolean;
  /**
   * Estimated loss increase of each output channel of each layer at each width (`[layer][k][channel]`,
   * HAWQ's `|trace_c| / n_c x ||Q(w_c) - w_c||^2 / 2`). Without it the damage of a move is |trace| x the
   * growth of the relative quantization MSE (unitless, weights only).
   */
  readonly weightDamage?: readonly (readonly (readonly number[])[])[];
  /**
   * Estimated loss increase of each layer's input at each of its activation widths (`[layer][a]`, a
   * indexing its ascending activation widths). Given (with `weightDamage`), the wall may also lower a
   * layer's activation width by one notch, weighed against the weight moves in the same units.
   */
  readonly actDamage?: readonly (readonly number[])[];
}

/**
 * CW-HAWQ's budget wall (see the module comment): returns a function that moves channel counts (and,
 * with `actDamage`, activation width indices) in place until they fit the budget, and returns the final
 * cost. Activation indices are left alone when none are given.
 */
export function channelWall(o: ChannelWallOptions): (counts: number[][], acts?: number[], high?: number[]) => number {
  const bits = o.bits;
  const K = bits.length;
  const L = o.channelTraces.length;
  if (o.actDamage !== undefined && o.weightDamage === undefined)
    throw new ConfigError('cw-hawq wall: activation damage needs the weight damage in the same units (weightDamage)');
  const orders = o.channelTraces.map(traceOrder);
  // budget wall: greedily apply the demotion (a slice of the least sensitive channels of one layer at
  // one width, one width down; or, with activation damage, one layer's input one activation width down)
  // with the largest cost saving per unit of estimated damage. Without a damage table, damage = sum of
  // the moved channels' |trace| x the growth of the relative quantization MSE (1/qmax(b)^2,
  // qmax = 2^(b-1)-1). Draining the middle width first (4 -> 2 before 8 -> 4) turned most channels into
  // 2-bit ones and collapsed accuracy; 8 -> 4 costs ~100x less damage than 4 -> 2.
  const relMse = (b: number): number => 1 / (2 ** (b - 1) - 1) ** 2;
  const absTraces = o.channelTraces.map((t) => t.map(channelSensitivity));
  const traceFloor = o.channelTraces.map((t) => 1e-9 * (1 + t.reduce((a, v) => Math.max(a, Math.abs(v)), 0)));
  if (o.actChannels !== undefined && o.actDamage === undefined)
    throw new ConfigError('cw-hawq wall: channel-wise activation bits need the activation damage (actDamage)');
  /** Layer li's cost with `h` of its input channels one activation width above index a (share-weighted). */
  const layerCost = (li: number, cl: readonly number[], a: number, h = 0): number => {
    const n = o.actChannels?.[li]?.order.length ?? 0;
    if (h <= 0 || n === 0) return o.layerCost(li, cl, a);
    const s = h / n;
    return (1 - s) * o.layerCost(li, cl, a) + s * o.layerCost(li, cl, a + 1);
  };
  /** Damage of moving input positions [from, to) (trace order) of layer li from activation index a + 1 to a. */
  const actSliceDamage = (li: number, from: number, to: number, a: number): number => {
    const ac = o.actChannels?.[li] as { order: readonly number[]; damage: readonly (readonly number[])[] };
    let t = 0;
    for (let j = from; j < to; j++) {
      const c = ac.order[j] as number;
      t += Math.max(0, ((ac.damage[a] as readonly number[])[c] as number) - ((ac.damage[a + 1] as readonly number[])[c] as number));
    }
    return t + 1e-12 * (to - from);
  };
  /** Channels of layer `li` at `bits[k]`: positions [start, start + n) of its trace order. */
  const startOf = (cl: readonly number[], k: number): number => {
    let start = 0;
    for (let j = K - 1; j > k; j--) start += cl[j] as number;
    return start;
  };
  /** Damage of moving trace-order positions [from, to) of layer li from bits[k] to bits[k + d]. */
  const moveDamage = (li: number, from: number, to: number, k: number, d: number): number => {
    const order = orders[li] as readonly number[];
    const wd = o.weightDamage?.[li];
    let t = 0;
    if (wd) {
      const lo = d < 0 ? k + d : k;
      const hi = d < 0 ? k : k + d;
      for (let j = from; j < to; j++) {
        const c = order[j] as number;
        t += Math.max(0, ((wd[lo] as readonly number[])[c] as number) - ((wd[hi] as readonly number[])[c] as number));
      }
      return t + 1e-12 * (to - from);
    }
    const tr = absTraces[li] as readonly number[];
    for (let j = from; j < to; j++) t += (tr[order[j] as number] as number) + (traceFloor[li] as number);
    return t * Math.abs(relMse(bits[d < 0 ? k + d : k] as number) - relMse(bits[d < 0 ? k : k + d] as number));
  };
  const stepOf = (li: number): number => Math.max(1, Math.ceil((o.channelTraces[li] as readonly number[]).length / 8));
  /** Layer li's counts with m channels moved from bits[k] to bits[k + d] (d = +-1). */
  const moved = (cl: readonly number[], k: number, d: number, m: number): number[] => cl.map((x, j) => (j === k ? x - m : j === k + d ? x + m : x));
  return (counts: number[][], actsIn?: number[], highIn?: number[]): number => {
    const acts = actsIn ?? new Array<number>(L).fill(0);
    const high = highIn ?? new Array<number>(L).fill(0);
    let c = o.cost(counts, acts, high);
    while (c > o.budget.value) {
      type Move = { li: number; next?: number[]; act?: number; high?: number };
      let best: (Move & { gain: number }) | undefined;
      // when no single step saves (a step can leave the cost flat), still progress with the step of
      // largest saving, then least damage: every step lowers some bits, so this ends at the cheapest
      let flat: (Move & { saving: number; damage: number }) | undefined;
      const consider = (m: Move, saving: number, damage: number): void => {
        if (!flat || saving > flat.saving || (saving === flat.saving && damage < flat.damage)) flat = { ...m, saving, damage };
        if (saving <= 0) return;
        const gain = saving / damage;
        if (!best || gain > best.gain) best = { ...m, gain };
      };
      for (let li = 0; li < L; li++) {
        const cl = counts[li] as number[];
        const a = acts[li] as number;
        const h = high[li] as number;
        const base = layerCost(li, cl, a, h);
        for (let k = 1; k < K; k++) {
          const n = cl[k] as number;
          if (n === 0) continue;
          const start = startOf(cl, k);
          // a slice of the least sensitive, or the whole width (merging groups saves per-group costs)
          for (const m of new Set([Math.min(stepOf(li), n), n])) {
            const next = moved(cl, k, -1, m);
            consider({ li, next }, base - layerCost(li, next, a, h), moveDamage(li, start + n - m, start + n, k, -1));
          }
        }
        const ac = o.actChannels?.[li];
        if (ac) {
          // channel-wise input: the least sensitive channels of the higher width one width down (a slice or all
          // of them); with none above, a slice of the least sensitive at this width to the width below
          const nIn = ac.order.length;
          const step = Math.max(1, Math.ceil(nIn / 8));
          if (h > 0) {
            for (const m of new Set([Math.min(step, h), h])) consider({ li, high: h - m }, base - layerCost(li, cl, a, h - m), actSliceDamage(li, h - m, h, a));
          } else if (a > 0) {
            for (const m of new Set([Math.min(step, nIn), nIn]))
              consider({ li, act: a - 1, high: nIn - m }, base - layerCost(li, cl, a - 1, nIn - m), actSliceDamage(li, nIn - m, nIn, a - 1));
          }
          continue;
        }
        const ad = o.actDamage?.[li];
        if (ad && a > 0) {
          const damage = Math.max(0, (ad[a - 1] as number) - (ad[a] as number)) + 1e-12;
          consider({ li, act: a - 1 }, base - layerCost(li, cl, a - 1), damage);
        }
      }
      const move: Move | undefined = best ?? flat;
      if (!move) throw budgetInfeasible(o.budget, c);
      if (move.next) counts[move.li] = move.next;
      if (move.act !== undefined) acts[move.li] = move.act;
      if (move.high !== undefined) high[move.li] = move.high;
      c = o.cost(counts, acts, high);
    }
    // fill (option): spend budget left over by promoting the most sensitive channels of a width one
    // width up, greedily by damage removed per unit of cost added (so 2 -> 4 before 4 -> 8), while it fits
    for (; o.fill === true; ) {
      const now = c;
      let best: { li: number; next: number[]; gain: number } | undefined;
      for (let li = 0; li < L; li++) {
        const cl = counts[li] as number[];
        const a = acts[li] as number;
        const h = high[li] as number;
        const base = layerCost(li, cl, a, h);
        for (let k = 0; k + 1 < K; k++) {
          const n = cl[k] as number;
          if (n === 0) continue;
          const start = startOf(cl, k);
          for (const m of new Set([Math.min(stepOf(li), n), 1, n])) {
            const next = moved(cl, k, 1, m);
            const added = layerCost(li, next, a, h) - base;
            if (now + added > o.budget.value) continue;
            const gain = added > 0 ? moveDamage(li, start, start + m, k, 1) / added : Infinity;
            if (!best || gain > best.gain) best = { li, next, gain };
          }
        }
      }
      if (!best) break;
      const prev = counts[best.li] as number[];
      counts[best.li] = best.next;
      const cc = o.cost(counts, acts, high);
      if (cc > o.budget.value) {
        counts[best.li] = prev; // the target's cost is not a sum over layers: stop here, within budget
        break;
      }
      c = cc;
    }
    return c;
  };
}

/**
 * Run CW-HAWQ: one DDPG step per layer whose action is a vector of per-bit-width ratios.
 * @example const r = await cwHawqSearch({ coster, budget, bits: [2, 4, 8], channelTraces, accuracy, seed: 1 });
 */
export async function cwHawqSearch(o: CwHawqOptions): Promise<CwHawqResult> {
  const t0 = performance.now();
  const coster = o.coster;
  const bits = [...new Set(o.bits)].sort((a, b) => a - b);
  for (const b of bits) {
    if (!coster.target.supportedBits.weight.includes(b))
      throw new ConfigError(
        `cw-hawq: ${b}-bit weights cannot run on target '${coster.target.name}': expected one of ${coster.target.supportedBits.weight.join(', ')}`,
      );
    if (b < 2 || b > 8) throw new ConfigError(`cw-hawq: channel bits must be 2..8, got ${b}`);
  }
  const L = coster.layers.length;
  if (o.channelTraces.length !== L) throw new ConfigError(`cw-hawq: channel traces for ${o.channelTraces.length} layers, expected ${L}`);
  coster.layers.forEach((l, i) => {
    if ((o.channelTraces[i] as readonly number[]).length !== l.outChannels)
      throw new ConfigError(`cw-hawq: layer '${l.name}' has ${l.outChannels} channels but ${(o.channelTraces[i] as readonly number[]).length} traces`);
  });
  const actBits = o.actBits ?? 8;
  if (Array.isArray(actBits) && actBits.length !== L) throw new ConfigError(`cw-hawq: ${actBits.length} activation bit-widths for ${L} layers`);
  const minAct = o.minActBits ?? 4;
  const orders = o.channelTraces.map(traceOrder);
  const searchActs = o.searchActBits ? [...new Set(o.searchActBits)].sort((a, b) => a - b) : undefined;
  if (searchActs) {
    for (const a of searchActs)
      if (!coster.target.supportedBits.act.includes(a))
        throw new ConfigError(
          `cw-hawq: ${a}-bit activations cannot run on target '${coster.target.name}': expected one of ${coster.target.supportedBits.act.join(', ')}`,
        );
  }
  if (o.actChannels !== undefined) {
    if (!searchActs || searchActs.length < 2)
      throw new ConfigError('cw-hawq: channel-wise activation bits need at least two searched activation widths (searchActBits)');
    if (o.actChannels.length !== L) throw new ConfigError(`cw-hawq: actChannels for ${o.actChannels.length} layers, expected ${L}`);
  }
  const actOrders = coster.layers.map((_, li) => {
    const ac = o.actChannels?.[li];
    return ac ? traceOrder(ac.traces) : undefined;
  });
  const act = coster.layers.map((_, li) => bits.map((b, k) => groupActBits(actBits, li, k, b, minAct)));
  const make = (counts: readonly (readonly number[])[], layerActs?: readonly number[], high?: readonly (number | undefined)[]): ChannelAllocation =>
    buildAllocation(
      coster,
      bits,
      counts,
      orders,
      layerActs ?? act,
      minAct,
      high && layerActs && searchActs
        ? coster.layers.map((_, li) => actSplitOf(searchActs, searchActs.indexOf(layerActs[li] as number), high[li], actOrders[li]))
        : undefined,
    );
  const problem = quantProblem(coster, o.budget, bits, searchActs ?? [...new Set(act.flat())]);
  const channel = channelCostTable(coster, o.budget.kind, bits, act, searchActs);
  const episodes = o.episodes ?? 100;
  const strategy = new CwHawqStrategy(
    {
      problem,
      channel,
      channelTraces: o.channelTraces,
      warmupEpisodes: o.warmupEpisodes ?? Math.min(20, Math.floor(episodes / 4)),
      ...(o.rewardScale !== undefined ? { rewardScale: o.rewardScale } : {}),
      ...(o.agent ? { agent: o.agent } : {}),
      ...(o.channelDamage ? { channelDamage: o.channelDamage } : {}),
      ...(o.actDamage ? { actDamage: o.actDamage } : {}),
      ...(o.actChannels ? { actChannels: o.actChannels.map((ac) => ac ?? null) } : {}),
    },
    o.seed,
    episodes,
  );
  const layers = problem.layers;
  const history: CwHawqEpisode[] = [];
  type Best = {
    counts: readonly (readonly number[])[];
    acts: readonly number[] | undefined;
    high: readonly (number | undefined)[] | undefined;
    acc: number;
    cost: CostVector;
  };
  let best: Best | undefined;
  let overBudget = 0;
  const record = (t: Trial): void => {
    if (t.state !== 'complete' || !t.values) return;
    const ch = readBitsParams(layers, t.params).channels;
    const counts = ch?.counts ?? [];
    const acc = t.values[0] as number;
    const alloc = make(counts, ch?.actBits, ch?.actHigh);
    const cost = coster.policyCost(alloc.policy);
    // the pick must fit the budget by the target's own cost (the wall works on the cost table: exact for
    // additive targets; with channel-wise activation bits the producer of a split input is stored at its
    // widest width, which the table's share-weighted estimate leaves out)
    const fits = costOf(cost, o.budget.kind) <= o.budget.value * (1 + 1e-9);
    if (!fits) overBudget++;
    if (fits && (!best || acc > best.acc)) best = { counts, acts: ch?.actBits, high: ch?.actHigh, acc, cost };
    const actOf = coster.layers.map((l) => alloc.policy.layers[l.name]?.actBits ?? 8);
    const e: CwHawqEpisode = {
      episode: history.length,
      counts: counts.map((c) => [...c]),
      actBits: actOf,
      accuracy: acc,
      cost,
      bestAccuracy: best?.acc ?? Number.NaN,
    };
    history.push(e);
    o.onEpisode?.(e);
  };
  const r = await runAccuracyStudy({
    strategy,
    space: quantSpace(
      problem,
      bits,
      searchActs,
      o.actChannels?.map((ac) => ac?.traces.length),
    ),
    nTrials: episodes,
    seed: o.seed,
    accuracy: (p) => {
      const ch = readBitsParams(layers, p).channels;
      return o.accuracy(make(ch?.counts ?? [], ch?.actBits, ch?.actHigh));
    },
    onTrial: record,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const b = best as Best | undefined;
  if (!b)
    throw new ConfigError(
      overBudget > 0
        ? `cw-hawq: none of the ${overBudget} finished episodes fits the ${o.budget.kind} budget ${o.budget.value} by the target's cost`
        : 'cw-hawq: aborted before the first episode finished',
    );
  return {
    allocation: make(b.counts, b.acts, b.high),
    accuracy: b.acc,
    cost: b.cost,
    history,
    overBudget,
    wallMs: performance.now() - t0,
    interrupted: r.aborted,
  };
}
