/**
 * HAQ (hardware-aware automated quantization): a DDPG agent walks the conv/dense layers, one step for the
 * weight bits of each layer and (optionally) one for its activation bits, from a per-layer state (index,
 * channels, kernel, stride, params, depthwise flag, weight/activation step, previous action). Continuous
 * actions map to bit-widths; after an episode the resource budget (latency, energy, size or BOPs on the
 * target) is enforced by lowering bits until the policy fits, as HAQ does; the reward comes from an
 * accuracy callback (post-training evaluation or a short fine-tune). Also: the uniform and random baselines.
 */
import { ConfigError } from '../errors.js';
import { type PrecisionPolicy, policyFromVectors } from '../hardware/precision.js';
import type { Params, Trial } from '../search/types.js';
import { budgetInfeasible, type CostVector, costOf, type PolicyCoster, type QuantLayerInfo, type ResourceBudget } from './cost.js';
import type { DdpgOptions } from './ddpg.js';
import { HaqStrategy } from './strategies/haq.js';
import { quantProblem, quantSpace, readBitsParams } from './strategies/problem.js';
import { QuantRandomStrategy } from './strategies/random.js';
import { runAccuracyStudy } from './strategies/run.js';

/** Accuracy (fraction in [0, 1]) of the model under a policy. */
export type AccuracyFn = (policy: PrecisionPolicy) => number | Promise<number>;

/** One finished episode. */
export interface HaqEpisode {
  readonly episode: number;
  readonly weightBits: readonly number[];
  readonly actBits: readonly number[];
  readonly accuracy: number;
  readonly reward: number;
  readonly cost: CostVector;
  /** Best accuracy so far. */
  readonly bestAccuracy: number;
  readonly warmup: boolean;
}

/** The outcome of a search. */
export interface QuantSearchResult {
  readonly policy: PrecisionPolicy;
  readonly weightBits: readonly number[];
  readonly actBits: readonly number[];
  readonly accuracy: number;
  readonly cost: CostVector;
  readonly history: readonly HaqEpisode[];
  readonly wallMs: number;
  /** True when stopped early by the abort signal (the best policy so far is returned). */
  readonly interrupted: boolean;
}

/** Options of {@link haqSearch}. */
export interface HaqOptions {
  readonly coster: PolicyCoster;
  readonly budget: ResourceBudget;
  /** Allowed weight bits, e.g. [2, 3, 4, 5, 6, 7, 8]. */
  readonly weightBits: readonly number[];
  /** Allowed activation bits; omitted = weights only, activations at `fixedActBits`. */
  readonly actBits?: readonly number[];
  /** Activation bits when `actBits` is omitted: one for all layers or one per layer (default 8). */
  readonly fixedActBits?: number | readonly number[];
  readonly accuracy: AccuracyFn;
  readonly episodes?: number;
  /** Episodes with uniform random actions before learning (default 20, HAQ uses 20 of 600). */
  readonly warmupEpisodes?: number;
  readonly seed: number;
  /** Reward = rewardScale x accuracy (HAQ: 0.1 per percentage point = 10 per unit). */
  readonly rewardScale?: number;
  readonly agent?: Partial<Omit<DdpgOptions, 'stateDim' | 'actionDim' | 'seed'>>;
  readonly onEpisode?: (e: HaqEpisode) => void;
  /** Abort (e.g. Ctrl-C): stops after the current episode and returns the best so far. */
  readonly signal?: AbortSignal;
}

function checkBits(name: string, bits: readonly number[], supported: readonly number[], target: string): number[] {
  if (bits.length === 0) throw new ConfigError(`${name}: empty list of bit-widths`);
  for (const b of bits) {
    if (!supported.includes(b)) throw new ConfigError(`${name}: ${b}-bit cannot run on target '${target}': expected one of ${supported.join(', ')}`);
  }
  return [...new Set(bits)].sort((a, b) => a - b);
}

/** Map an action in [0, 1] to one of `choices` (sorted ascending), HAQ's rounding. */
export function actionToBits(a: number, choices: readonly number[]): number {
  const i = Math.min(choices.length - 1, Math.max(0, Math.floor(a * choices.length)));
  return choices[i] as number;
}

/** The centre action of a bit choice (inverse of {@link actionToBits}). */
export function bitsToAction(bits: number, choices: readonly number[]): number {
  const i = Math.max(0, choices.indexOf(bits));
  return (i + 0.5) / choices.length;
}

/**
 * HAQ's static state of each layer, min-max normalised over the network: layer index, input channels,
 * output channels, stride, kernel size, log input feature-map size (H x W of the layer's input), log
 * parameters, log MACs (HAQ's FLOPs), depthwise flag, dense flag. (The step's weight/activation flag and
 * the previous action are appended per step by the strategy.)
 */
export function layerFeatures(layers: readonly QuantLayerInfo[]): number[][] {
  const raw = layers.map((l) => {
    const inShape = l.workload.inShapes[0] ?? [];
    const fmap = inShape.length >= 3 ? (inShape[inShape.length - 2] as number) * (inShape[inShape.length - 1] as number) : 1;
    return [
      l.index,
      l.inChannels,
      l.outChannels,
      l.stride,
      l.kernel,
      Math.log(fmap),
      Math.log(1 + l.params),
      Math.log(1 + l.macs),
      l.depthwise ? 1 : 0,
      l.op === 'dense' ? 1 : 0,
    ];
  });
  const dims = raw[0]?.length ?? 0;
  for (let d = 0; d < dims; d++) {
    const col = raw.map((r) => r[d] as number);
    const lo = Math.min(...col);
    const hi = Math.max(...col);
    for (const r of raw) r[d] = hi > lo ? ((r[d] as number) - lo) / (hi - lo) : 0;
  }
  return raw;
}

/** Layers HAQ keeps at the widest bits: the first and the last (when the network has more than one). */
export function firstLastLayers(n: number): number[] {
  return n <= 1 ? [0] : [0, n - 1];
}

/**
 * Pin the first and last layers at the widest weight and activation bits, as HAQ does, when the
 * budget still admits it (the rest at the lowest bits fits); returns the pinned layer indices (empty
 * when pinning would make the budget unreachable).
 */
export function pinFirstLast(
  cost: (wb: readonly number[], ab: readonly number[]) => number,
  budget: ResourceBudget,
  wb: number[],
  ab: number[],
  wChoices: readonly number[],
  aChoices: readonly number[],
): number[] {
  const n = wb.length;
  const pins = firstLastLayers(n);
  const wHi = wChoices[wChoices.length - 1] as number;
  const aHi = aChoices.length > 0 ? (aChoices[aChoices.length - 1] as number) : undefined;
  const lw = new Array<number>(n).fill(wChoices[0] as number);
  const la = aHi === undefined ? [...ab] : new Array<number>(n).fill(aChoices[0] as number);
  for (const i of pins) {
    lw[i] = wHi;
    if (aHi !== undefined) la[i] = aHi;
  }
  if (cost(lw, la) > budget.value) return [];
  for (const i of pins) {
    wb[i] = wHi;
    if (aHi !== undefined) ab[i] = aHi;
  }
  return pins;
}

/**
 * Lower bits until the policy fits the budget (HAQ's final action wall): repeatedly walk the layers and
 * drop the layer's activation (then weight) bits by one notch, re-costing after each change.
 * Throws InfeasibleError with the cheapest cost when even the lowest bits do not fit.
 */
export function enforceBudget(
  coster: PolicyCoster,
  budget: ResourceBudget,
  wb: number[],
  ab: number[],
  wChoices: readonly number[],
  aChoices: readonly number[],
): CostVector {
  lowerUntilFits((w, a) => costOf(coster.cost(w, a), budget.kind), budget, wb, ab, wChoices, aChoices);
  return coster.cost(wb, ab);
}

/**
 * HAQ's budget wall on any cost function of per-layer bit vectors: while over budget, walk the layers
 * from the last to the first and lower each one's activation bits by one notch, then its weight bits
 * by one notch, re-costing after every change and stopping as soon as the policy fits (HAQ's
 * `_final_action_wall`: activations before weights, last layer first). Layers in `pinned` are left
 * alone (HAQ's first and last layers at 8 bits). Lowers `wb` and `ab` in place; returns the cost.
 */
export function lowerUntilFits(
  cost: (wb: readonly number[], ab: readonly number[]) => number,
  budget: ResourceBudget,
  wb: number[],
  ab: number[],
  wChoices: readonly number[],
  aChoices: readonly number[],
  pinned: readonly number[] = [],
): number {
  let c = cost(wb, ab);
  if (c <= budget.value) return c;
  const n = wb.length;
  const pin = new Set(pinned);
  for (;;) {
    let changed = false;
    for (let i = n - 1; i >= 0; i--) {
      if (pin.has(i)) continue;
      for (const [v, ch] of [
        [ab, aChoices],
        [wb, wChoices],
      ] as const) {
        const k = ch.indexOf(v[i] as number);
        if (k > 0) {
          v[i] = ch[k - 1] as number;
          changed = true;
          c = cost(wb, ab);
          if (c <= budget.value) return c;
        }
      }
    }
    if (!changed) {
      if (pin.size > 0) return lowerUntilFits(cost, budget, wb, ab, wChoices, aChoices);
      throw budgetInfeasible(budget, c, `any policy with weight bits {${wChoices.join(', ')}} and activation bits {${aChoices.join(', ')}}`);
    }
  }
}

/** The outcome of a search from its complete trials: the history of episodes and the best (ties: the cheaper). */
function searchResult(o: {
  readonly coster: PolicyCoster;
  readonly budget: ResourceBudget;
  readonly trials: readonly Trial[];
  readonly warm: number;
  readonly scale: number;
  readonly name: string;
  readonly t0: number;
  readonly aborted: boolean;
  readonly onEpisode?: (e: HaqEpisode) => void;
}): QuantSearchResult {
  const layers = o.coster.layers.map((l) => ({ name: l.name, outChannels: l.outChannels }));
  const history: HaqEpisode[] = [];
  let best: HaqEpisode | undefined;
  for (const t of o.trials) {
    if (t.state !== 'complete' || !t.values) continue;
    const r = readBitsParams(layers, t.params);
    const wb = r.weightBits as number[];
    const ab = r.actBits as number[];
    const cost = o.coster.cost(wb, ab);
    const acc = t.values[0] as number;
    const ep = history.length;
    const e0 = { episode: ep, weightBits: wb, actBits: [...ab], accuracy: acc, reward: o.scale * acc, cost, warmup: ep < o.warm };
    if (!best || acc > best.accuracy || (acc === best.accuracy && costOf(cost, o.budget.kind) < costOf(best.cost, o.budget.kind)))
      best = { ...e0, bestAccuracy: acc };
    history.push({ ...e0, bestAccuracy: best.accuracy });
  }
  if (!best) throw new ConfigError(`${o.name}: the search was aborted before the first episode finished`);
  return {
    policy: policyFromVectors(o.coster.graph, best.weightBits, best.actBits, o.name),
    weightBits: best.weightBits,
    actBits: best.actBits,
    accuracy: best.accuracy,
    cost: best.cost,
    history,
    wallMs: performance.now() - o.t0,
    interrupted: o.aborted,
  };
}

/** The accuracy callback of a search as the evaluation of a point of the bits space. */
function accuracyOfParams(coster: PolicyCoster, accuracy: AccuracyFn, name: string): (p: Params) => number | Promise<number> {
  const layers = coster.layers.map((l) => ({ name: l.name, outChannels: l.outChannels }));
  let k = 0;
  return (p) => {
    const r = readBitsParams(layers, p);
    return accuracy(policyFromVectors(coster.graph, r.weightBits as number[], r.actBits as number[], `${name}-${k++}`));
  };
}

/**
 * Run HAQ (the `haq` strategy through the study loop, in memory): returns the most accurate policy
 * found within the budget.
 * @example const r = await haqSearch({ coster, budget: parseBudget('latency=0.6x', coster.uniformCost({weightBits: 8, actBits: 8})), weightBits: [2,3,4,5,6,7,8], actBits: [2,3,4,5,6,7,8], accuracy, seed: 1 });
 */
export async function haqSearch(o: HaqOptions): Promise<QuantSearchResult> {
  const t0 = performance.now();
  const coster = o.coster;
  const sup = coster.target.supportedBits;
  const wChoices = checkBits('weight bits', o.weightBits, sup.weight, coster.target.name);
  const n = coster.layers.length;
  const fixed = o.fixedActBits ?? 8;
  if (typeof fixed !== 'number' && fixed.length !== n) throw new ConfigError(`haq: ${fixed.length} fixed activation bit-widths for ${n} layers`);
  const fixedActs = o.actBits === undefined ? Array.from({ length: n }, (_, i) => (typeof fixed === 'number' ? fixed : (fixed[i] as number))) : undefined;
  const aChoices = fixedActs ? [...new Set(fixedActs)].sort((a, b) => a - b) : checkBits('activation bits', o.actBits ?? [], sup.act, coster.target.name);
  const problem = quantProblem(coster, o.budget, wChoices, aChoices);
  const episodes = o.episodes ?? 100;
  const warm = o.warmupEpisodes ?? Math.min(20, Math.floor(episodes / 4));
  const scale = o.rewardScale ?? 10;
  const strategy = new HaqStrategy(
    { problem, ...(fixedActs ? { fixedActBits: fixedActs } : {}), warmupEpisodes: warm, rewardScale: scale, ...(o.agent ? { agent: o.agent } : {}) },
    o.seed,
    episodes,
  );
  let live: QuantSearchResult | undefined;
  const seen: Trial[] = [];
  const r = await runAccuracyStudy({
    strategy,
    space: quantSpace(problem),
    nTrials: episodes,
    seed: o.seed,
    accuracy: accuracyOfParams(coster, o.accuracy, 'haq-ep'),
    ...(o.signal ? { signal: o.signal } : {}),
    onTrial: (t) => {
      seen.push(t);
      if (!o.onEpisode) return;
      live = searchResult({ coster, budget: o.budget, trials: seen, warm, scale, name: 'haq', t0, aborted: false });
      const e = live.history[live.history.length - 1];
      if (e) o.onEpisode(e);
    },
  });
  return searchResult({ coster, budget: o.budget, trials: r.trials, warm, scale, name: 'haq', t0, aborted: r.aborted });
}

/** Options of {@link randomSearch}. */
export interface RandomSearchOptions {
  readonly coster: PolicyCoster;
  readonly budget: ResourceBudget;
  readonly weightBits: readonly number[];
  readonly actBits?: readonly number[];
  readonly fixedActBits?: number;
  readonly accuracy: AccuracyFn;
  readonly trials: number;
  readonly seed: number;
  readonly signal?: AbortSignal;
}

/** Random baseline (the `quant-random` strategy through the study loop): uniform random bits per layer, pushed under the budget the same way, best of `trials`. */
export async function randomSearch(o: RandomSearchOptions): Promise<QuantSearchResult> {
  const t0 = performance.now();
  const wCh = [...new Set(o.weightBits)].sort((a, b) => a - b);
  const aCh = o.actBits ? [...new Set(o.actBits)].sort((a, b) => a - b) : [o.fixedActBits ?? 8];
  const problem = quantProblem(o.coster, o.budget, wCh, aCh);
  const r = await runAccuracyStudy({
    strategy: new QuantRandomStrategy(problem, o.seed),
    space: quantSpace(problem),
    nTrials: o.trials,
    seed: o.seed,
    accuracy: accuracyOfParams(o.coster, o.accuracy, 'random'),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return searchResult({ coster: o.coster, budget: o.budget, trials: r.trials, warm: 0, scale: 1, name: 'random', t0, aborted: r.aborted });
}
