/**
 * HAQ (hardware-aware automated quantization): a DDPG agent walks the conv/dense layers, one step for the
 * weight bits of each layer and (optionally) one for its activation bits, from a per-layer state (index,
 * channels, kernel, stride, params, depthwise flag, weight/activation step, previous action). Continuous
 * actions map to bit-widths; after an episode the resource budget (latency, energy, size or BOPs on the
 * target) is enforced by lowering bits until the policy fits, as HAQ does; the reward comes from an
 * accuracy callback (post-training evaluation or a short fine-tune). Also: the uniform and random baselines.
 */
import { ConfigError } from '../errors.js';
import { policyFromVectors, type PrecisionPolicy } from '../hardware/precision.js';
import { Rng } from '../util/rng.js';
import { type CostVector, costOf, type PolicyCoster, type QuantLayerInfo, type ResourceBudget, budgetInfeasible } from './cost.js';
import { DdpgAgent, type DdpgOptions } from './ddpg.js';

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

/** Lets the event loop run (signal handlers such as Ctrl-C's) between episodes of a search whose steps are synchronous. */
export const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

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

/** Min-max normalised static features of each layer (index, in/out channels, kernel, stride, log params, depthwise, dense). */
export function layerFeatures(layers: readonly QuantLayerInfo[]): number[][] {
  const raw = layers.map((l) => [l.index, l.inChannels, l.outChannels, l.kernel, l.stride, Math.log(1 + l.params), l.depthwise ? 1 : 0, l.op === 'dense' ? 1 : 0]);
  const dims = raw[0]?.length ?? 0;
  for (let d = 0; d < dims; d++) {
    const col = raw.map((r) => r[d] as number);
    const lo = Math.min(...col);
    const hi = Math.max(...col);
    for (const r of raw) r[d] = hi > lo ? ((r[d] as number) - lo) / (hi - lo) : 0;
  }
  return raw;
}

/**
 * Lower bits until the policy fits the budget (HAQ's final action wall): repeatedly walk the layers and
 * drop the layer's weight (then activation) bits by one notch, re-costing after each change.
 * Throws InfeasibleError with the cheapest cost when even the lowest bits do not fit.
 */
export function enforceBudget(coster: PolicyCoster, budget: ResourceBudget, wb: number[], ab: number[], wChoices: readonly number[], aChoices: readonly number[]): CostVector {
  lowerUntilFits((w, a) => costOf(coster.cost(w, a), budget.kind), budget, wb, ab, wChoices, aChoices);
  return coster.cost(wb, ab);
}

/**
 * The budget wall on any cost function of per-layer bit vectors (see {@link enforceBudget}); lowers `wb`
 * and `ab` in place and returns the final cost.
 */
export function lowerUntilFits(cost: (wb: readonly number[], ab: readonly number[]) => number, budget: ResourceBudget, wb: number[], ab: number[], wChoices: readonly number[], aChoices: readonly number[]): number {
  let c = cost(wb, ab);
  if (c <= budget.value) return c;
  const n = wb.length;
  for (;;) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      for (const [v, ch] of [
        [wb, wChoices],
        [ab, aChoices],
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
    if (!changed) throw budgetInfeasible(budget, c, `any policy with weight bits {${wChoices.join(', ')}} and activation bits {${aChoices.join(', ')}}`);
  }
}

/**
 * Run HAQ: returns the most accurate policy found within the budget.
 * @example const r = await haqSearch({ coster, budget: parseBudget('latency=0.6x', coster.uniformCost({weightBits: 8, actBits: 8})), weightBits: [2,3,4,5,6,7,8], actBits: [2,3,4,5,6,7,8], accuracy, seed: 1 });
 */
export async function haqSearch(o: HaqOptions): Promise<QuantSearchResult> {
  const t0 = performance.now();
  const coster = o.coster;
  const sup = coster.target.supportedBits;
  const wChoices = checkBits('weight bits', o.weightBits, sup.weight, coster.target.name);
  const withAct = o.actBits !== undefined;
  const layers = coster.layers;
  const n = layers.length;
  const fixed = o.fixedActBits ?? 8;
  if (typeof fixed !== 'number' && fixed.length !== n) throw new ConfigError(`haq: ${fixed.length} fixed activation bit-widths for ${n} layers`);
  const fixedAct = (i: number): number => (typeof fixed === 'number' ? fixed : (fixed[i] as number));
  const aChoices = withAct ? checkBits('activation bits', o.actBits ?? [], sup.act, coster.target.name) : [...new Set(Array.from({ length: n }, (_, i) => fixedAct(i)))].sort((a, b) => a - b);
  const feats = layerFeatures(layers);
  // cheapest policy must fit
  const actStart = (): number[] => (withAct ? new Array<number>(n).fill(aChoices[0] as number) : Array.from({ length: n }, (_, i) => fixedAct(i)));
  const lowest = coster.cost(new Array<number>(n).fill(wChoices[0] as number), actStart());
  if (costOf(lowest, o.budget.kind) > o.budget.value) throw budgetInfeasible(o.budget, costOf(lowest, o.budget.kind));
  const stateDim = (feats[0]?.length ?? 0) + 2; // + is-weight-step + previous action
  const agent = new DdpgAgent({ stateDim, actionDim: 1, seed: o.seed, ...o.agent });
  const episodes = o.episodes ?? 100;
  const warm = o.warmupEpisodes ?? Math.min(20, Math.floor(episodes / 4));
  const scale = o.rewardScale ?? 10;
  const history: HaqEpisode[] = [];
  let best: { wb: number[]; ab: number[]; acc: number; cost: CostVector } | undefined;
  const stepsPerLayer = withAct ? 2 : 1;
  const stateOf = (layer: number, weightStep: boolean, prev: number): number[] => [...(feats[layer] as number[]), weightStep ? 1 : 0, prev];
  let interrupted = false;
  for (let ep = 0; ep < episodes; ep++) {
    await yieldToEventLoop();
    if (o.signal?.aborted) {
      interrupted = true;
      break;
    }
    const isWarm = ep < warm;
    const states: number[][] = [];
    const wb = new Array<number>(n);
    const ab = actStart();
    let prev = 0;
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < stepsPerLayer; s++) {
        const st = stateOf(i, s === 0, prev);
        states.push(st);
        const a = (isWarm ? agent.randomAction() : agent.explore(st))[0] as number;
        if (s === 0) wb[i] = actionToBits(a, wChoices);
        else ab[i] = actionToBits(a, aChoices);
        prev = a;
      }
    }
    const cost = enforceBudget(coster, o.budget, wb, ab, wChoices, withAct ? aChoices : []);
    const policy = policyFromVectors(coster.graph, wb, ab, `haq-ep${ep}`);
    const acc = await o.accuracy(policy);
    const reward = scale * acc;
    // store the actions actually run (after the budget wall), each step rewarded with the episode's reward
    const actions: number[] = [];
    for (let i = 0; i < n; i++) {
      actions.push(bitsToAction(wb[i] as number, wChoices));
      if (withAct) actions.push(bitsToAction(ab[i] as number, aChoices));
    }
    const steps = states.length;
    for (let t = 0; t < steps; t++) {
      const st = states[t] as number[];
      const nextSt = t + 1 < steps ? [...(states[t + 1] as number[]).slice(0, -1), actions[t] as number] : st;
      agent.observe({ state: [...st.slice(0, -1), t > 0 ? (actions[t - 1] as number) : 0], action: [actions[t] as number], reward, nextState: nextSt, done: t + 1 === steps });
    }
    agent.trackReward(reward);
    if (!isWarm) {
      for (let u = 0; u < steps; u++) agent.update();
      agent.decayNoise();
    }
    if (!best || acc > best.acc || (acc === best.acc && costOf(cost, o.budget.kind) < costOf(best.cost, o.budget.kind))) {
      best = { wb: [...wb], ab: [...ab], acc, cost };
    }
    const e: HaqEpisode = { episode: ep, weightBits: [...wb], actBits: [...ab], accuracy: acc, reward, cost, bestAccuracy: best.acc, warmup: isWarm };
    history.push(e);
    o.onEpisode?.(e);
  }
  if (!best) throw new ConfigError('haq: the search was aborted before the first episode finished');
  return {
    policy: policyFromVectors(coster.graph, best.wb, best.ab, 'haq'),
    weightBits: best.wb,
    actBits: best.ab,
    accuracy: best.acc,
    cost: best.cost,
    history,
    wallMs: performance.now() - t0,
    interrupted,
  };
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

/** Random baseline: uniform random bits per layer, pushed under the budget the same way, best of `trials`. */
export async function randomSearch(o: RandomSearchOptions): Promise<QuantSearchResult> {
  const t0 = performance.now();
  const rng = new Rng(o.seed);
  const n = o.coster.layers.length;
  const wCh = [...o.weightBits].sort((a, b) => a - b);
  const aCh = o.actBits ? [...o.actBits].sort((a, b) => a - b) : [o.fixedActBits ?? 8];
  const history: HaqEpisode[] = [];
  let best: { wb: number[]; ab: number[]; acc: number; cost: CostVector } | undefined;
  let interrupted = false;
  for (let t = 0; t < o.trials; t++) {
    await yieldToEventLoop();
    if (o.signal?.aborted) {
      interrupted = true;
      break;
    }
    const wb = Array.from({ length: n }, () => rng.choice(wCh));
    const ab = Array.from({ length: n }, () => rng.choice(aCh));
    const cost = enforceBudget(o.coster, o.budget, wb, ab, wCh, aCh);
    const acc = await o.accuracy(policyFromVectors(o.coster.graph, wb, ab, `random-${t}`));
    if (!best || acc > best.acc) best = { wb, ab, acc, cost };
    history.push({ episode: t, weightBits: wb, actBits: ab, accuracy: acc, reward: acc, cost, bestAccuracy: best.acc, warmup: false });
  }
  if (!best) throw new ConfigError('random search: aborted before the first trial');
  return { policy: policyFromVectors(o.coster.graph, best.wb, best.ab, 'random'), weightBits: best.wb, actBits: best.ab, accuracy: best.acc, cost: best.cost, history, wallMs: performance.now() - t0, interrupted };
}
