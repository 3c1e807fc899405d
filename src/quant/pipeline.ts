/**
 * The end-to-end mixed-precision pipeline behind `hwnas quantize`: calibrate, estimate sensitivity,
 * search a policy with one strategy under a hardware budget, fine-tune (QAT), and report cost and accuracy
 * against the uniform W8A8 baseline on the same target.
 */
import type { Dataset, Split } from '../data/index.js';
import { buildModel, type EngineModel, type TrainOptions } from '../engine/index.js';
import { ConfigError, InfeasibleError } from '../errors.js';
import { type HardwareTarget, type PrecisionPolicy, uniformPolicy } from '../hardware/index.js';
import type { Model } from '../ir/index.js';
import { createStrategy } from '../search/registry.js';
import type { SearchSpace } from '../search/space.js';
import type { JsonValue, Objective, Trial } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/types.js';
import { bestTrials, runStudy } from '../study/run-study.js';
import { failureReason } from '../study/study-history.js';
import { activationSensitivity, calibrateActivations, evaluatePolicy, qatFinetune } from './apply.js';
import { budgetText, type CostVector, PolicyCoster, parseBudget, type ResourceBudget } from './cost.js';
import { type ActChannelLayer, actChannelLayers, traceOrder } from './cw-hawq.js';
import { type ChannelSetup, candidatePolicy, quantPolicyEvaluator } from './evaluate.js';
import { channelDamage, hawqScores, type LayerSensitivity, nonIncreasing } from './hawq-scores.js';
import { hasPolicySteps, type PtqOptions, prepareFloat, preparePolicy, ptqLabel } from './ptq.js';
import { type Calibration, type ChannelBits, quantConfig } from './quant-config.js';
import { activationHessianDamage, layerSensitivities } from './sensitivity.js';
import './strategies/index.js';
import { greedyTrialBound } from './strategies/greedy.js';
import { channelCostTable, protectedQuantSpace, quantProblem, quantSpace } from './strategies/problem.js';

/** Strategies of {@link quantizePipeline}. */
export type QuantStrategy = 'haq' | 'ilp' | 'cw-hawq' | 'greedy' | 'uniform' | 'random' | 'nsga2';

/** Progress events of the pipeline. */
export type QuantEvent =
  | { readonly kind: 'stage'; readonly stage: string }
  | {
      readonly kind: 'episode';
      readonly episode: number;
      readonly episodes: number /** Validation accuracy of this episode's policy. */;
      readonly accuracy: number;
      readonly best: number;
    };

/** Options of {@link quantizePipeline}. */
export interface QuantizeOptions {
  /** Trained float model. */
  readonly model: Model;
  readonly dataset: Dataset;
  readonly target: HardwareTarget;
  readonly strategy: QuantStrategy;
  /** e.g. `latency=0.6x`, `energy=0.5x`, `size=2e5` (absolute: ms, mJ, bytes). */
  readonly budget: string;
  /** Candidate bit-widths (default 2..8 restricted to what the target runs). */
  readonly bits?: readonly number[];
  readonly episodes?: number;
  readonly finetuneEpochs?: number;
  /** Training images used for fine-tuning (default all). */
  readonly finetuneImages?: number;
  /** Validation images used to score candidates during the search (default 1000). */
  readonly searchImages?: number;
  /** Trials of the one-shot strategies (ilp: further solutions at tighter budgets; uniform: next uniform widths); default 1. */
  readonly trials?: number;
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: QuantEvent) => void;
  /** Store of the study (default: a new MemoryStore). */
  readonly store?: Store;
  /** Study name (default `quantize-<strategy>`); an existing study of that name is continued. */
  readonly studyName?: string;
  /** Post-training steps (src/quant/ptq.ts) applied to the chosen policy before its PTQ accuracy and QAT (default none). */
  readonly ptq?: PtqOptions;
}

/** One layer of the chosen policy with its cost on the target. */
export interface QuantLayerRow {
  readonly layer: string;
  readonly weightBits: number | string;
  readonly actBits: number;
  readonly params: number;
  readonly macs: number;
}

/** Result of {@link quantizePipeline}. */
export interface QuantizeResult {
  readonly strategy: QuantStrategy;
  readonly target: string;
  readonly budget: { readonly kind: string; readonly value: number };
  readonly policy: PrecisionPolicy;
  readonly channelBits: ChannelBits;
  readonly layers: readonly QuantLayerRow[];
  readonly floatAccuracy: number;
  readonly baselineAccuracy: number;
  /** Post-training (before fine-tune) test accuracy of the chosen policy. */
  readonly ptqAccuracy: number;
  /** Final test accuracy (after fine-tune when {@link finetuneEpochs} > 0). */
  readonly accuracy: number;
  /** Fine-tuning epochs that ran: 0 with `finetuneEpochs: 0` and when the search was interrupted (fine-tuning is skipped). */
  readonly finetuneEpochs: number;
  readonly latencyMs: number;
  readonly baselineLatencyMs: number;
  readonly energyMj: number;
  readonly baselineEnergyMj: number;
  readonly sizeBytes: number;
  readonly baselineSizeBytes: number;
  readonly searchSeconds: number;
  readonly interrupted: boolean;
  /** The fine-tuned (or float) model and calibration, for export. */
  readonly finalModel: Model;
  readonly calibration: Calibration;
  /** Number of the chosen trial in the study. */
  readonly trial: number;
  /** The study's name. */
  readonly study?: string;
}

function sub(s: Split, n: number): Split {
  const k = Math.min(n, s.n);
  const per = s.x.length / s.n;
  return { x: s.x.subarray(0, k * per), y: s.y.subarray(0, k), n: k };
}

/** The study's strategy name of a pipeline strategy ('random' is the registry's `quant-random`). */
export function quantStrategyName(s: QuantStrategy): string {
  return s === 'random' ? 'quant-random' : s;
}

/** The one objective of a quantization study. */
export const QUANT_OBJECTIVES: readonly Objective[] = [{ name: 'accuracy', direction: 'maximize' }];

/** What every stage of the pipeline shares: the built float model, calibration, coster, budget, bit choices. */
export interface QuantSession {
  readonly model: Model;
  readonly engine: EngineModel;
  readonly dataset: Dataset;
  readonly target: HardwareTarget;
  readonly calibration: Calibration;
  readonly coster: PolicyCoster;
  readonly budget: ResourceBudget;
  /** Cost of uniform W8A8. */
  readonly reference: CostVector;
  readonly weightBits: readonly number[];
  readonly actBits: readonly number[];
  /** Validation images that score candidates. */
  readonly searchSet: Split;
  /** Frees the engine model. */
  dispose(): void;
}

/** Options of {@link openQuantSession}. */
export type QuantSessionOptions = Pick<QuantizeOptions, 'model' | 'dataset' | 'target' | 'budget' | 'bits' | 'searchImages' | 'onEvent'>;

/** Builds the float model, calibrates activation ranges (MSE-optimal, 512 training images) and parses the budget. */
export function openQuantSession(o: QuantSessionOptions): QuantSession {
  const supported = o.target.supportedBits;
  const bits = [...(o.bits ?? [2, 3, 4, 5, 6, 7, 8])].sort((a, b) => a - b);
  const weightBits = bits.filter((b) => supported.weight.includes(b));
  const actBits = bits.filter((b) => supported.act.includes(b));
  if (weightBits.length === 0 || actBits.length === 0) {
    throw new ConfigError(
      `--bits ${bits.join(',')}: target '${o.target.name}' runs weights at ${supported.weight.join(',')} and activations at ${supported.act.join(',')} bits only`,
    );
  }
  const coster = new PolicyCoster(o.model.graph, o.target);
  const reference = coster.uniformCost({ weightBits: 8, actBits: 8 });
  const budget = parseBudget(o.budget, reference);
  const engine = buildModel(o.model);
  try {
    o.onEvent?.({ kind: 'stage', stage: `calibrating activation ranges (MSE-optimal) on ${Math.min(512, o.dataset.train.n)} training images` });
    const calibration = calibrateActivations(engine, o.dataset.train.x, Math.min(512, o.dataset.train.n), 'mse');
    const searchSet = sub(o.dataset.val, o.searchImages ?? 1000);
    return {
      model: o.model,
      engine,
      dataset: o.dataset,
      target: o.target,
      calibration,
      coster,
      budget,
      reference,
      weightBits,
      actBits,
      searchSet,
      dispose: () => engine.dispose(),
    };
  } catch (e) {
    engine.dispose();
    throw e;
  }
}

/** What a quantization study runs: its strategy (registry name and JSON options), space and budget of trials. */
export interface QuantPlan {
  readonly strategy: { readonly name: string; readonly options: Readonly<Record<string, JsonValue>> };
  readonly space: SearchSpace;
  readonly nTrials: number;
  /** Channel-wise set-up the evaluation needs (CW-HAWQ). */
  readonly channel?: ChannelSetup;
}

/** The CW-HAWQ wall's activation damage when {@link QuantPlanOptions.actDamage} is not given. */
export const DEFAULT_ACT_DAMAGE: 'measured' | 'hessian' = 'hessian';

/** Options of {@link planQuantSearch}. */
export type QuantPlanOptions = Pick<QuantizeOptions, 'strategy' | 'episodes' | 'trials' | 'seed' | 'onEvent'> & {
  /**
   * `ilp` only: a resilience row (issue 14). `damage(layer, p)` is the expected fault damage of layer
   * `layer` (index in the coster's layers) at precision `p` (e.g. the topology predictor's per-layer term,
   * `layerDamageFn` of src/resilience/predictor.ts); the solution's sum must not exceed `max`.
   */
  readonly fault?: {
    readonly damage: (layer: number, p: { weightBits: number; actBits: number }) => number;
    readonly max: number;
    /**
     * Protection as decisions of the ILP (issue 14; src/resilience/protection.ts gives the terms): `harden`, SEC-DED
     * ECC per layer, multiplying the layer's damage by `factor` and adding `extraCost(layer, p)` (the target's extra
     * cost of that layer's ECC, in the budget's units); `range`, range restriction of the whole network, with the
     * damage of every layer bounded (`damage`) and the clip nodes' cost `extraCost` (budget units).
     */
    readonly harden?: { readonly factor: number; readonly extraCost: (layer: number, p: { weightBits: number; actBits: number }) => number };
    readonly range?: { readonly damage: (layer: number, p: { weightBits: number; actBits: number }) => number; readonly extraCost: number };
  };
  /**
   * `cw-hawq` only: how the wall weighs lowering a layer's input activation. `hessian` (default): the second-order
   * estimate from Hutchinson traces of the loss Hessian w.r.t. the activation, per input channel
   * (`sum_c |tr_c|/n_c ||Q(a_c)-a_c||^2 / 2`, {@link activationHessianDamage}, 128 training images), as
   * CW-HAWQ does for activations. `measured`: the loss increase measured with only that activation quantized (500
   * validation images; the default before 2026-12-03, session 27: BENCHMARKS.md has the comparison that changed it).
   * The activation bits stay per layer (the engine quantizes activations per tensor).
   */
  readonly actDamage?: 'measured' | 'hessian';
  /**
   * `cw-hawq` only (needs the `hessian` activation damage): channel-wise activation bits. The input channels of
   * every conv layer whose input no other layer reads are ordered by their own activation Hessian traces, and
   * the agent's activation action puts a share of them (the most sensitive) one activation width up.
   */
  readonly actChannels?: boolean;
  /** `greedy` only: moves re-evaluated per later step besides the moved layer's (default 8; 0 = every move, the exact greedy). */
  readonly recheck?: number;
  /** The user's command that scores each candidate (`quantize --evaluator command`): the progress lines name it, not hwnas's validation images. */
  readonly scoredBy?: string;
};

/**
 * The costly preparation of a study, done once: cost tables, and Hessian traces (ILP: per layer, plus
 * activation sensitivity; CW-HAWQ: per channel). Everything lands in the strategy's JSON options.
 */
export async function planQuantSearch(s: QuantSession, o: QuantPlanOptions): Promise<QuantPlan> {
  const seed = o.seed ?? 0;
  const say = (stage: string): void => o.onEvent?.({ kind: 'stage', stage });
  const episodes = o.episodes ?? 40;
  const problem = quantProblem(s.coster, s.budget, s.weightBits, s.actBits);
  const json = (x: unknown): JsonValue => x as JsonValue;
  const sensitivity = (perChannel: boolean): LayerSensitivity[] => {
    say(`Hessian traces (Hutchinson) of ${s.coster.layers.length} layers${perChannel ? ', per channel' : ''}`);
    const hv = sub(s.dataset.train, 128);
    // HAWQ-V2's stopping rule (8 to 24 probes): a cheap ranking for the search, not an error-bounded estimate
    return layerSensitivities(s.engine, hv.x, hv.y, hv.n, { seed, perChannel, maxIter: 24, minIter: 8, tol: 1e-2, stop: 'mean-change' });
  };
  switch (o.strategy) {
    case 'uniform':
      return { strategy: { name: 'uniform', options: { problem: json(problem) } }, space: quantSpace(problem), nTrials: o.trials ?? 1 };
    case 'greedy':
      say(
        `greedy allocation: each step scores every cheaper width of every layer's weights and input activations on ${s.searchSet.n} validation images (whole policy), until the budget is met`,
      );
      return {
        strategy: { name: 'greedy', options: { problem: json(problem), ...(o.recheck !== undefined ? { recheck: o.recheck } : {}) } },
        space: quantSpace(problem),
        nTrials: o.trials ?? greedyTrialBound(problem.layers.length, problem.weightBits.length, problem.actBits.length),
      };
    case 'ilp': {
      const sens = sensitivity(false);
      const hs = hawqScores(s.model, sens, s.weightBits);
      say(`activation sensitivity on ${Math.min(500, s.dataset.val.n)} validation images`);
      const actSens = activationSensitivity(s.engine, sub(s.dataset.val, 500), s.calibration, s.actBits);
      const scores = s.coster.layers.map((l, i) =>
        s.weightBits.map((w) => {
          const ws = hs.find((x) => x.layer === l.name && x.bits === w)?.score ?? 0;
          return s.actBits.map((_, ai) => 0.5 * ws + Math.max(0, (actSens[i] as number[])[ai] as number));
        }),
      );
      const table = (f: (layer: number, p: { weightBits: number; actBits: number }) => number): number[][][] =>
        s.coster.layers.map((_, i) => s.weightBits.map((w) => s.actBits.map((a) => f(i, { weightBits: w, actBits: a }))));
      const of = o.fault;
      const fault = of
        ? {
            damage: table(of.damage),
            max: of.max,
            ...(of.harden ? { harden: { factor: of.harden.factor, extra: table(of.harden.extraCost) } } : {}),
            ...(of.range ? { range: { damage: table(of.range.damage), extra: of.range.extraCost } } : {}),
          }
        : undefined;
      const protect = { ecc: !!of?.harden, range: !!of?.range };
      say(
        `solving the ILP (HiGHS)${fault ? `, with the fault-damage row (at most ${fault.max})` : ''}${protect.ecc || protect.range ? `, protection as a choice: ${[protect.ecc ? 'ECC per layer' : '', protect.range ? 'range restriction' : ''].filter(Boolean).join(', ')}` : ''}`,
      );
      return {
        strategy: { name: 'ilp', options: { problem: json(problem), scores, ...(fault ? { fault: json(fault) } : {}) } },
        space: protect.ecc || protect.range ? protectedQuantSpace(problem, protect) : quantSpace(problem),
        nTrials: o.trials ?? 1,
      };
    }
    case 'haq':
    case 'random':
      say(
        `${o.strategy === 'haq' ? 'HAQ (DDPG)' : 'random search'}: ${episodes} episodes, reward = ${o.scoredBy !== undefined ? `the accuracy your command reports (${o.scoredBy})` : `accuracy on ${s.searchSet.n} validation images`}`,
      );
      return {
        strategy: {
          name: quantStrategyName(o.strategy),
          options: o.strategy === 'haq' ? { problem: json(problem), warmupEpisodes: Math.floor(episodes / 4) } : { problem: json(problem) },
        },
        space: quantSpace(problem),
        nTrials: episodes,
      };
    case 'nsga2':
      // the generic NSGA-II over the per-layer bits space (issue 14: several objectives, e.g. accuracy, latency and a
      // measured fault drop); a population of episodes / 5 (8..50) gives at least 5 generations
      say(`NSGA-II: ${episodes} trials, population ${nsga2Population(episodes)}`);
      return {
        strategy: { name: 'nsga2', options: { populationSize: nsga2Population(episodes) } },
        space: quantSpace(problem),
        nTrials: episodes,
      };
    case 'cw-hawq': {
      const sens = sensitivity(true);
      const traces = sens.map((x) => x.channelTraces ?? []);
      // channel widths: every candidate weight width the target runs (`--bits`, 2..8 by default), not
      // only the paper's 2/4/8; activation widths searched per layer over the candidate activation widths
      const bits = [...s.weightBits];
      const acts = [...s.actBits];
      let actDamage: number[][];
      let actChannels: (ActChannelLayer | undefined)[] | undefined;
      if (o.actChannels && (o.actDamage ?? DEFAULT_ACT_DAMAGE) !== 'hessian')
        throw new ConfigError('channel-wise activation bits need the hessian activation damage (per-channel traces), not measured');
      if (o.actChannels && acts.length < 2) throw new ConfigError(`channel-wise activation bits need two or more activation widths, got ${acts.join(', ')}`);
      if ((o.actDamage ?? DEFAULT_ACT_DAMAGE) === 'hessian') {
        say(`activation Hessian traces (Hutchinson) of ${s.coster.layers.length} layer inputs, per channel`);
        const hv = sub(s.dataset.train, 128);
        const h = activationHessianDamage(s.engine, hv.x, hv.y, hv.n, s.calibration, acts, {
          seed: seed + 1,
          maxIter: 24,
          minIter: 8,
          tol: 1e-2,
          stop: 'mean-change',
        });
        actDamage = h.damage;
        if (o.actChannels)
          actChannels = actChannelLayers(
            s.model.graph,
            h.sensitivities.map((x) => x.channelTraces),
            h.channelDamage,
          );
      } else {
        say(`activation sensitivity on ${Math.min(500, s.dataset.val.n)} validation images`);
        const actSens = activationSensitivity(s.engine, sub(s.dataset.val, 500), s.calibration, acts);
        actDamage = actSens.map((row) => nonIncreasing(row.map((v) => [v])).map((r) => r[0] as number));
      }
      const channelDamageTable = channelDamage(s.model, sens, bits);
      const fixed = acts.includes(8) ? 8 : (acts[acts.length - 1] as number);
      const actBits = s.coster.layers.map(() => bits.map(() => fixed));
      const channel = channelCostTable(s.coster, s.budget.kind, bits, actBits, acts);
      say(
        `CW-HAWQ (DDPG over per-layer channel ratios of ${bits.join('/')}-bit weights, channels in Hessian-trace order, and the input's activation width of ${acts.join('/')} bits)`,
      );
      return {
        strategy: {
          name: 'cw-hawq',
          options: {
            problem: json(problem),
            channel: json(channel),
            channelTraces: traces,
            channelDamage: channelDamageTable,
            actDamage,
            ...(actChannels ? { actChannels: json(actChannels.map((x) => x ?? null)) } : {}),
            warmupEpisodes: Math.floor(episodes / 4),
          },
        },
        space: quantSpace(
          problem,
          bits,
          acts,
          actChannels?.map((x) => x?.traces.length),
        ),
        nTrials: episodes,
        channel: {
          bits,
          orders: traces.map(traceOrder),
          actBits,
          ...(actChannels ? { actChannels: { acts, orders: actChannels.map((x) => (x ? traceOrder(x.traces) : null)) } } : {}),
        },
      };
    }
    default:
      throw new ConfigError(`unknown strategy '${String(o.strategy)}': expected haq, ilp, cw-hawq, greedy, uniform, random or nsga2`);
  }
}

/** NSGA-II's population for a quantization study of `trials` trials: trials / 5, within 8..50. */
export function nsga2Population(trials: number): number {
  return Math.max(8, Math.min(50, Math.floor(trials / 5)));
}

/** The best feasible complete trial of a quantization study (undefined when there is none). */
export function bestQuantTrial(trials: readonly Trial[]): Trial | undefined {
  return bestTrials(trials, QUANT_OBJECTIVES)[0];
}

/** Options of {@link finishQuantize}. */
export type QuantFinishOptions = Pick<QuantizeOptions, 'strategy' | 'finetuneEpochs' | 'finetuneImages' | 'seed' | 'signal' | 'onEvent' | 'ptq'> & {
  /** The trials of the study (the best feasible one is taken). */
  readonly trials: readonly Trial[];
  readonly channel?: ChannelSetup;
  readonly searchSeconds: number;
  readonly interrupted: boolean;
  readonly study?: string;
  /** Called once the policy is chosen (the best feasible trial's), before any post-training step or fine-tuning. */
  readonly onPolicy?: (policy: PrecisionPolicy, trial: number) => void;
  /**
   * Progress hooks of the quantization-aware fine-tuning (a CLI bar and epoch lines); with them each epoch also scores
   * the fake-quantized model on the validation images (an evaluation only: the fine-tuned weights are the same).
   */
  readonly finetuneProgress?: Pick<TrainOptions, 'onProgress' | 'onEpochEnd'>;
};

/** The final stage outside the loop: the best feasible trial's test accuracy, QAT fine-tune, costs against W8A8. */
export async function finishQuantize(s: QuantSession, o: QuantFinishOptions): Promise<QuantizeResult> {
  const say = (stage: string): void => o.onEvent?.({ kind: 'stage', stage });
  const best = bestQuantTrial(o.trials);
  if (!best) {
    const failed = o.trials.filter((t) => t.state === 'failed');
    const first = failed[0];
    const why = first ? `; first failure (trial ${first.number}): ${failureReason(first)}` : '';
    // every trial failed: the evaluator is the problem, not the budget
    if (o.trials.length > 0 && failed.length === o.trials.length)
      throw new InfeasibleError(`no policy: all ${o.trials.length} trial(s) of the study failed, none was scored${why}`);
    throw new InfeasibleError(
      `no feasible policy: the study has ${o.trials.length} trial(s), ${failed.length} failed${why}, none of the others within the budget ${budgetText(s.budget)}`,
    );
  }
  const { policy: p, channelBits } = candidatePolicy(s.coster, best.params, o.channel, o.strategy);
  const policy: PrecisionPolicy = p;
  o.onPolicy?.(policy, best.number);
  const seed = o.seed ?? 0;
  const { test } = s.dataset;
  const ptq = (q: PrecisionPolicy, cb: ChannelBits = {}): number => evaluatePolicy(s.engine, q, test, s.calibration, cb).accuracy;
  const floatAccuracy = s.engine.evaluate(test.x, test.y, test.n).accuracy;
  const baselineAccuracy = ptq(uniformPolicy(8, 8));
  // post-training steps: fold / equalise (then calibrate again), then the policy's clip / rounding / bias
  const steps = o.ptq ?? {};
  let start: Model = s.model;
  let calibration = s.calibration;
  let ptqAccuracy: number;
  if (steps.fold || steps.equalize || hasPolicySteps(steps)) {
    say(`post-training steps: ${ptqLabel(steps)}`);
    const floatPrep = prepareFloat(s.model, steps).model;
    const fe = buildModel(floatPrep);
    try {
      if (floatPrep !== s.model) calibration = calibrateActivations(fe, s.dataset.train.x, Math.min(512, s.dataset.train.n), 'mse');
      start = preparePolicy(
        floatPrep,
        policy,
        { ...steps, seed },
        { images: { x: s.dataset.train.x, n: Math.min(512, s.dataset.train.n) }, calibration, channelBits },
      );
    } finally {
      fe.dispose();
    }
    const pe = buildModel(start);
    try {
      ptqAccuracy = evaluatePolicy(pe, policy, test, calibration, channelBits).accuracy;
    } finally {
      pe.dispose();
    }
  } else ptqAccuracy = ptq(policy, channelBits);
  let accuracy = ptqAccuracy;
  const epochs = o.finetuneEpochs ?? 1;
  let finalModel: Model = start;
  let epochsRun = 0;
  if (epochs > 0 && !o.signal?.aborted) {
    say(`quantization-aware fine-tuning: ${epochs} epoch(s)`);
    const tm = buildModel(start);
    try {
      await qatFinetune(tm, policy, sub(s.dataset.train, o.finetuneImages ?? s.dataset.train.n), {
        epochs,
        batchSize: 128,
        lr: 2e-4,
        seed,
        calibration,
        channelBits,
        ...(o.finetuneProgress ? { ...o.finetuneProgress, ...(s.dataset.val.n > 0 ? { validation: s.dataset.val } : {}) } : {}),
      });
      accuracy = evaluatePolicy(tm, policy, test, calibration, channelBits).accuracy;
      finalModel = tm.toModel();
      epochsRun = epochs;
    } finally {
      tm.dispose();
    }
  }
  const cost: CostVector = s.coster.policyCost(policy);
  const ref = s.reference;
  const layers: QuantLayerRow[] = s.coster.layers.map((l) => {
    const lp = policy.layers[l.name] ?? policy.default;
    const cb = channelBits[l.name];
    const wb = cb?.length ? summarizeChannelBits(cb) : lp.weightBits;
    return { layer: l.name, weightBits: wb, actBits: lp.actBits, params: l.params, macs: l.macs };
  });
  return {
    strategy: o.strategy,
    target: s.target.name,
    budget: { kind: s.budget.kind, value: s.budget.value },
    policy,
    channelBits,
    layers,
    floatAccuracy,
    baselineAccuracy,
    ptqAccuracy,
    accuracy,
    finetuneEpochs: epochsRun,
    latencyMs: cost.latency,
    baselineLatencyMs: ref.latency,
    energyMj: cost.energy,
    baselineEnergyMj: ref.energy,
    sizeBytes: cost.size,
    baselineSizeBytes: ref.size,
    searchSeconds: o.searchSeconds,
    interrupted: o.interrupted,
    finalModel,
    calibration,
    trial: best.number,
    ...(o.study !== undefined ? { study: o.study } : {}),
  };
}

/**
 * Run the whole mixed-precision pipeline as a study: calibrate, prepare the strategy (sensitivity, cost
 * tables), run the study loop (in `o.store`, a MemoryStore by default), then fine-tune and report the best
 * feasible trial.
 */
export async function quantizePipeline(o: QuantizeOptions): Promise<QuantizeResult> {
  const seed = o.seed ?? 0;
  const s = openQuantSession(o);
  try {
    const t0 = performance.now();
    const plan = await planQuantSearch(s, o);
    const store = o.store ?? new MemoryStore();
    const studyName = o.studyName ?? `quantize-${quantStrategyName(o.strategy)}`;
    const evaluate = quantPolicyEvaluator({
      model: s.engine,
      searchSet: s.searchSet,
      calibration: s.calibration,
      coster: s.coster,
      budget: s.budget,
      ...(plan.channel ? { channel: plan.channel } : {}),
    });
    const ctx = { space: plan.space, objectives: QUANT_OBJECTIVES, nTrials: plan.nTrials, seed };
    const r = await runStudy({
      store,
      studyName,
      space: plan.space,
      objectives: QUANT_OBJECTIVES,
      strategy: createStrategy(plan.strategy.name, plan.strategy.options, ctx),
      evaluate,
      nTrials: plan.nTrials,
      seed,
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (p) => {
        const acc = p.trial.values?.[0];
        const best = p.best[0]?.values?.[0];
        if (acc !== undefined) o.onEvent?.({ kind: 'episode', episode: p.done, episodes: p.total, accuracy: acc, best: best ?? acc });
      },
    });
    return await finishQuantize(s, {
      ...o,
      trials: r.trials,
      ...(plan.channel ? { channel: plan.channel } : {}),
      searchSeconds: (performance.now() - t0) / 1000,
      interrupted: r.aborted,
      study: studyName,
    });
  } finally {
    s.dispose();
  }
}

/** `8x12,4x20,2x32`: bits x channel count, widest first. */
function summarizeChannelBits(cb: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const b of cb) counts.set(b, (counts.get(b) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([b, c]) => `${b}x${c}`)
    .join(',');
}

/** The QDQ export config of a pipeline result. */
export function resultQuantConfig(r: QuantizeResult): ReturnType<typeof quantConfig> {
  return quantConfig(r.finalModel.graph, r.policy, r.calibration, r.channelBits);
}
