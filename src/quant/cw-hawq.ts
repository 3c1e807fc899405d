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
import type { Trial } from '../search/types.js';
import type { ChannelBits } from './apply.js';
import { budgetInfeasible, type CostVector, type PolicyCoster, type ResourceBudget } from './cost.js';
import type { DdpgOptions } from './ddpg.js';
import { channelSensitivity } from './sensitivity.js';
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
): ChannelAllocation {
  const layers: Record<string, LayerPrecision> = {};
  const channelBits: Record<string, number[]> = {};
  coster.layers.forEach((l, li) => {
    const c = counts[li] as readonly number[];
    const order = orders[li] as readonly number[];
    // one activation width per layer: the engine quantizes a layer's input tensor once, so every channel
    // group reads it at the widest width asked for the layer (src/hardware/activation-bits.ts)
    const layerAct = Math.max(...bits.map((b, k) => groupActBits(actBits, li, k, b, minActBits)));
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
    layers[l.name] =
      groups.length === 1 ? { weightBits: first.weightBits, actBits: first.actBits } : { weightBits: first.weightBits, actBits: first.actBits, groups };
    channelBits[l.name] = perChannel;
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
  /** Budgeted cost of the network at these counts and activation width indices. */
  readonly cost: (counts: readonly (readonly number[])[], acts: readonly number[]) => number;
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
export function channelWall(o: ChannelWallOptions): (counts: number[][], acts?: number[]) => number {
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
  const layerCost = o.layerCost;
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
  return (counts: number[][], actsIn?: number[]): number => {
    const acts = actsIn ?? new Array<number>(L).fill(0);
    let c = o.cost(counts, acts);
    while (c > o.budget.value) {
      type Move = { li: number; next?: number[]; act?: number };
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
        const base = layerCost(li, cl, a);
        for (let k = 1; k < K; k++) {
          const n = cl[k] as number;
          if (n === 0) continue;
          const start = startOf(cl, k);
          // a slice of the least sensitive, or the whole width (merging groups saves per-group costs)
          for (const m of new Set([Math.min(stepOf(li), n), n])) {
            const next = moved(cl, k, -1, m);
            consider({ li, next }, base - layerCost(li, next, a), moveDamage(li, start + n - m, start + n, k, -1));
          }
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
      c = o.cost(counts, acts);
    }
    // fill (option): spend budget left over by promoting the most sensitive channels of a width one
    // width up, greedily by damage removed per unit of cost added (so 2 -> 4 before 4 -> 8), while it fits
    for (; o.fill === true; ) {
      const now = c;
      let best: { li: number; next: number[]; gain: number } | undefined;
      for (let li = 0; li < L; li++) {
        const cl = counts[li] as number[];
        const a = acts[li] as number;
        const base = layerCost(li, cl, a);
        for (let k = 0; k + 1 < K; k++) {
          const n = cl[k] as number;
          if (n === 0) continue;
          const start = startOf(cl, k);
          for (const m of new Set([Math.min(stepOf(li), n), 1, n])) {
            const next = moved(cl, k, 1, m);
            const added = layerCost(li, next, a) - base;
            if (now + added > o.budget.value) continue;
            const gain = added > 0 ? moveDamage(li, start, start + m, k, 1) / added : Infinity;
            if (!best || gain > best.gain) best = { li, next, gain };
          }
        }
      }
      if (!best) break;
      const prev = counts[best.li] as number[];
      counts[best.li] = best.next;
      const cc = o.cost(counts, acts);
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
  const act = coster.layers.map((_, li) => bits.map((b, k) => groupActBits(actBits, li, k, b, minAct)));
  const make = (counts: readonly (readonly number[])[], layerActs?: readonly number[]): ChannelAllocation =>
    buildAllocation(coster, bits, counts, orders, layerActs ?? act, minAct);
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
    },
    o.seed,
    episodes,
  );
  const layers = problem.layers;
  const history: CwHawqEpisode[] = [];
  let best: { counts: readonly (readonly number[])[]; acts: readonly number[] | undefined; acc: number; cost: CostVector } | undefined;
  const record = (t: Trial): void => {
    if (t.state !== 'complete' || !t.values) return;
    const ch = readBitsParams(layers, t.params).channels;
    const counts = ch?.counts ?? [];
    const acc = t.values[0] as number;
    const alloc = make(counts, ch?.actBits);
    const cost = coster.policyCost(alloc.policy);
    if (!best || acc > best.acc) best = { counts, acts: ch?.actBits, acc, cost };
    const actOf = coster.layers.map((l) => alloc.policy.layers[l.name]?.actBits ?? 8);
    const e: CwHawqEpisode = { episode: history.length, counts: counts.map((c) => [...c]), actBits: actOf, accuracy: acc, cost, bestAccuracy: best.acc };
    history.push(e);
    o.onEpisode?.(e);
  };
  const r = await runAccuracyStudy({
    strategy,
    space: quantSpace(problem, bits, searchActs),
    nTrials: episodes,
    seed: o.seed,
    accuracy: (p) => {
      const ch = readBitsParams(layers, p).channels;
      return o.accuracy(make(ch?.counts ?? [], ch?.actBits));
    },
    onTrial: record,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const b = best as { counts: readonly (readonly number[])[]; acts: readonly number[] | undefined; acc: number; cost: CostVector } | undefined;
  if (!b) throw new ConfigError('cw-hawq: aborted before the first episode finished');
  return { allocation: make(b.counts, b.acts), accuracy: b.acc, cost: b.cost, history, wallMs: performance.now() - t0, interrupted: r.aborted };
}
