/**
 * `cw-hawq`: channel-wise mixed precision as a study strategy. Each trial is one DDPG episode: one step
 * per layer whose action is the ratios of its output channels at each width (channels go to widths in
 * Hessian-trace order) and, when the channel table offers several activation widths, one more
 * component for the width of the layer's input (HAQ's mapping of a continuous action to bits); then
 * CW-HAWQ's budget wall on the channel cost table, which only repairs a violation. The agent learns from
 * the actions after the wall (as HAQ). It is rebuilt from the history by replaying the stored episodes
 * (memoised), like `haq`.
 */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import type { StrategyContext } from '../../search/registry.js';
import type { AskContext, Params, SearchStrategy } from '../../search/types.js';
import { parseWith } from '../../util/zod-error.js';
import { budgetInfeasible } from '../cost.js';
import { type ActChannelLayer, channelWall, ratiosToCounts, traceOrder } from '../cw-hawq.js';
import { DdpgAgent } from '../ddpg.js';
import { actionToBits, bitsToAction } from '../haq.js';
import { channelSensitivity } from '../hawq-scores.js';
import { agentSchema, type HaqStrategyOptions } from './haq.js';
import {
  type ChannelCostTable,
  channelCost,
  channelLayerCost,
  channelParams,
  episodeOutcomes,
  parseChannelTable,
  parseQuantProblem,
  type QuantProblem,
  searchesActBits,
  studySeed,
} from './problem.js';

/** Options of the `cw-hawq` strategy (JSON). */
export interface CwHawqStrategyOptions extends Omit<HaqStrategyOptions, 'fixedActBits'> {
  readonly problem: QuantProblem;
  /** Channel widths and their cost table (activation bits fixed per layer and width in it). */
  readonly channel: ChannelCostTable;
  /** Per layer, per output channel Hessian traces. */
  readonly channelTraces: readonly (readonly number[])[];
  /** The wall's weight damage, `[layer][k][channel]` (see ChannelWallOptions.weightDamage). */
  readonly channelDamage?: readonly (readonly (readonly number[])[])[];
  /** The wall's activation damage, `[layer][a]`; required when the table searches activation widths. */
  readonly actDamage?: readonly (readonly number[])[];
  /**
   * Channel-wise activation bits (needs a table that searches activation widths): per layer its input
   * channels' Hessian traces and per-channel damage `[a][c]`, or null for an input kept at one width. The
   * activation component of such a layer's action is then continuous over its widths: position
   * `x (A - 1)` between widths `a` and `a + 1` puts that fraction of the input channels (the most
   * sensitive, by their own traces) at the higher one (the `<layer>.ah` parameter).
   */
  readonly actChannels?: readonly (ActChannelLayer | null)[];
}

const optionsSchema = z
  .object({
    problem: z.unknown(),
    channel: z.unknown(),
    channelTraces: z.array(z.array(z.number())),
    channelDamage: z.array(z.array(z.array(z.number()))).optional(),
    actDamage: z.array(z.array(z.number())).optional(),
    actChannels: z
      .array(
        z
          .object({ traces: z.array(z.number()), damage: z.array(z.array(z.number())) })
          .strict()
          .nullable(),
      )
      .optional(),
    warmupEpisodes: z.number().int().min(0).optional(),
    rewardScale: z.number().positive().optional(),
    agent: agentSchema.optional(),
  })
  .strict();

/** Per-layer trace feature: log of the mean |trace|, min-max normalised. */
function traceFeatures(traces: readonly (readonly number[])[]): number[] {
  const m = traces.map((t) => Math.log(1e-12 + t.reduce((a, b) => a + channelSensitivity(b), 0) / Math.max(1, t.length)));
  const lo = Math.min(...m);
  const hi = Math.max(...m);
  return m.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
}

interface Episode {
  readonly counts: number[][];
  /** Activation width index per layer (into the layer's `acts`). */
  readonly acts: number[];
  /** Channel-wise activation bits: input channels one width above `acts` per layer (0 for layers not split). */
  readonly high: number[];
}

/** CW-HAWQ's DDPG over per-layer channel ratios, one episode per trial. */
export class CwHawqStrategy implements SearchStrategy {
  readonly name = 'cw-hawq';
  private agent: DdpgAgent | undefined;
  private done = 0;
  private pending: Episode | undefined;
  private readonly warm: number;
  private readonly wall: (counts: number[][], acts: number[], high: number[]) => number;
  /** Per layer: input channels most sensitive first, when its input is split channel-wise. */
  private readonly actOrders: readonly (readonly number[] | undefined)[];
  private readonly traceFeat: number[];
  private readonly K: number;
  /** Whether the agent picks activation widths (one more action component per layer). */
  private readonly searchAct: boolean;
  private readonly A: number;

  constructor(
    private readonly o: CwHawqStrategyOptions,
    private readonly seed: number,
    nTrials: number | undefined,
  ) {
    const p = o.problem;
    const t = o.channel;
    if (o.channelTraces.length !== p.layers.length)
      throw new ConfigError(`cw-hawq: channel traces for ${o.channelTraces.length} layers, expected ${p.layers.length}`);
    p.layers.forEach((l, i) => {
      const n = (o.channelTraces[i] as readonly number[]).length;
      if (n !== l.outChannels) throw new ConfigError(`cw-hawq: layer '${l.name}' has ${l.outChannels} channels but ${n} traces`);
    });
    this.K = t.bits.length;
    this.searchAct = searchesActBits(t);
    this.A = this.K + (this.searchAct ? 1 : 0);
    const L = p.layers.length;
    const shape = (x: readonly unknown[] | undefined, what: string, inner: (li: number) => number[]): void => {
      if (x === undefined) return;
      const ok = x.length === L && x.every((r, li) => JSON.stringify(dims(r)) === JSON.stringify(inner(li)));
      if (!ok)
        throw new ConfigError(
          `cw-hawq: ${what} must be given per layer (${L}) as ${inner(0)
            .map((n) => `[${n}]`)
            .join('')}... (first layer)`,
        );
    };
    shape(o.channelDamage, 'channelDamage', (li) => [this.K, (p.layers[li] as { outChannels: number }).outChannels]);
    shape(o.actDamage, 'actDamage', (li) => [(t.layers[li] as { acts: readonly number[] }).acts.length]);
    if (this.searchAct && (o.actDamage === undefined || o.channelDamage === undefined))
      throw new ConfigError('cw-hawq: a channel table that searches activation widths needs actDamage and channelDamage (the wall weighs them in one unit)');
    if (o.actChannels !== undefined) {
      if (!this.searchAct) throw new ConfigError('cw-hawq: channel-wise activation bits (actChannels) need a channel table that searches activation widths');
      if (o.actChannels.length !== L) throw new ConfigError(`cw-hawq: actChannels for ${o.actChannels.length} layers, expected ${L}`);
      o.actChannels.forEach((ac, li) => {
        const A = (t.layers[li] as { acts: readonly number[] }).acts.length;
        if (ac && (ac.traces.length === 0 || ac.damage.length !== A || ac.damage.some((r) => r.length !== ac.traces.length)))
          throw new ConfigError(
            `cw-hawq: actChannels of layer '${(p.layers[li] as { name: string }).name}': expected traces[n] and damage[${A}][n] (n input channels > 0)`,
          );
      });
    }
    this.actOrders = p.layers.map((_, li) => {
      const ac = o.actChannels?.[li];
      return ac ? traceOrder(ac.traces) : undefined;
    });
    const lowest = p.layers.map((l) => t.bits.map((_, k) => (k === 0 ? l.outChannels : 0)));
    const cheapest = channelCost(t, lowest);
    const what = `any channel allocation over bits {${t.bits.join(', ')}}${this.searchAct ? '' : ' at the fixed activation widths'}`;
    if (cheapest > p.budget.value) throw budgetInfeasible(p.budget, cheapest, what);
    this.warm = o.warmupEpisodes ?? Math.min(20, Math.floor((nTrials ?? 80) / 4));
    this.wall = channelWall({
      bits: t.bits,
      channelTraces: o.channelTraces,
      budget: p.budget,
      layerCost: (li, c, a) => channelLayerCost(t, li, c, a),
      cost: (c, a, h) => channelCost(t, c, a, h ? this.shares(h) : undefined),
      ...(o.channelDamage ? { weightDamage: o.channelDamage } : {}),
      ...(o.actDamage && this.searchAct ? { actDamage: o.actDamage } : {}),
      ...(o.actChannels
        ? { actChannels: o.actChannels.map((ac, li) => (ac ? { order: this.actOrders[li] as readonly number[], damage: ac.damage } : undefined)) }
        : {}),
    });
    this.traceFeat = traceFeatures(o.channelTraces);
  }

  /** Share of each layer's input channels one activation width up. */
  private shares(high: readonly number[]): number[] {
    return high.map((h, li) => {
      const n = this.actOrders[li]?.length ?? 0;
      return n > 0 ? h / n : 0;
    });
  }

  private stateOf(li: number, prev: readonly number[]): number[] {
    return [...(this.o.problem.features[li] as number[]), this.traceFeat[li] as number, ...prev];
  }

  private actsOf(li: number): readonly number[] {
    return (this.o.channel.layers[li] as { acts: readonly number[] }).acts;
  }

  private generate(agent: DdpgAgent): Episode {
    const isWarm = this.done < this.warm;
    const counts: number[][] = [];
    const acts: number[] = [];
    const high: number[] = [];
    let prev = new Array<number>(this.A).fill(0);
    this.o.problem.layers.forEach((l, li) => {
      const a = isWarm ? agent.randomAction() : agent.explore(this.stateOf(li, prev));
      counts.push(ratiosToCounts(a.slice(0, this.K), l.outChannels));
      const choices = this.actsOf(li);
      const order = this.actOrders[li];
      if (this.searchAct && order && choices.length > 1) {
        // continuous over the widths: the fractional position puts that share of the channels one width up
        const pos = Math.min(1, Math.max(0, a[this.K] as number)) * (choices.length - 1);
        let ai = Math.min(Math.floor(pos), choices.length - 2);
        let h = Math.round((pos - ai) * order.length);
        if (h >= order.length) {
          ai++;
          h = 0;
        }
        acts.push(ai);
        high.push(ai + 1 < choices.length ? h : 0);
      } else {
        acts.push(this.searchAct ? choices.indexOf(actionToBits(a[this.K] as number, choices)) : 0);
        high.push(0);
      }
      prev = a;
    });
    this.wall(counts, acts, high);
    return { counts, acts, high };
  }

  /** The action of layer li after the wall (what the agent learns from). */
  private actionOf(e: Episode, li: number): number[] {
    const n = this.o.problem.layers[li]?.outChannels ?? 1;
    const r = (e.counts[li] as number[]).map((c) => c / n);
    if (!this.searchAct) return r;
    const choices = this.actsOf(li);
    const order = this.actOrders[li];
    if (order && choices.length > 1) return [...r, ((e.acts[li] as number) + (e.high[li] as number) / order.length) / (choices.length - 1)];
    return [...r, bitsToAction(choices[e.acts[li] as number] as number, choices)];
  }

  private learn(agent: DdpgAgent, e: Episode, accuracy: number | undefined): void {
    const isWarm = this.done < this.warm;
    this.done++;
    this.pending = undefined;
    if (accuracy === undefined || !Number.isFinite(accuracy)) return;
    const layers = this.o.problem.layers;
    const L = layers.length;
    const reward = (this.o.rewardScale ?? 10) * accuracy;
    const actions = layers.map((_, li) => this.actionOf(e, li));
    const zero = new Array<number>(this.A).fill(0);
    for (let t = 0; t < L; t++) {
      const st = this.stateOf(t, t > 0 ? (actions[t - 1] as number[]) : zero);
      const next = t + 1 < L ? this.stateOf(t + 1, actions[t] as number[]) : st;
      agent.observe({ state: st, action: actions[t] as number[], reward, nextState: next, done: t + 1 === L });
    }
    agent.trackReward(reward);
    if (!isWarm) {
      for (let u = 0; u < L; u++) agent.update();
      agent.decayNoise();
    }
  }

  ask(ctx: AskContext): Params {
    const eps = episodeOutcomes(ctx.history);
    if (!this.agent || this.done > eps.length) {
      this.agent = new DdpgAgent({ stateDim: (this.o.problem.features[0]?.length ?? 0) + 1 + this.A, actionDim: this.A, seed: this.seed, ...this.o.agent });
      this.done = 0;
      this.pending = undefined;
    }
    const agent = this.agent;
    while (this.done < eps.length) this.learn(agent, this.pending ?? this.generate(agent), eps[this.done]?.value);
    this.pending ??= this.generate(agent);
    const p = this.pending;
    const acts = this.searchAct ? p.acts.map((a, li) => this.actsOf(li)[a] as number) : undefined;
    const high = this.o.actChannels ? p.high.map((h, li) => (this.actOrders[li] ? h : undefined)) : undefined;
    return channelParams(this.o.problem.layers, this.o.channel.bits, p.counts, acts, high);
  }
}

/** Dimensions of a nested array (of its first elements). */
function dims(x: unknown): number[] {
  const out: number[] = [];
  for (let v = x; Array.isArray(v); v = v[0]) out.push(v.length);
  return out;
}

/** Builds the `cw-hawq` strategy from JSON options (ConfigError naming a bad field). */
export function createCwHawqStrategy(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): CwHawqStrategy {
  const o = parseWith(optionsSchema, options, "strategy 'cw-hawq' options");
  const problem = parseQuantProblem(o.problem, "strategy 'cw-hawq' options.problem");
  const channel = parseChannelTable(o.channel, problem, "strategy 'cw-hawq' options.channel");
  const { problem: _p, channel: _c, ...rest } = o;
  return new CwHawqStrategy({ ...(rest as Omit<CwHawqStrategyOptions, 'problem' | 'channel'>), problem, channel }, studySeed(ctx), ctx?.nTrials);
}
