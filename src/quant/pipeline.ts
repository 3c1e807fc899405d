/**
 * The end-to-end mixed-precision pipeline behind `hwnas quantize`: calibrate, estimate sensitivity,
 * search a policy with one strategy under a hardware budget, fine-tune (QAT), and report cost and accuracy
 * against the uniform W8A8 baseline on the same target.
 */
import type { Dataset, Split } from '../data/index.js';
import { buildModel, type EngineModel } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { uniformPolicy, type HardwareTarget, type Precision, type PrecisionPolicy } from '../hardware/index.js';
import type { Model } from '../ir/index.js';
import { activationSensitivity, calibrateActivations, evaluatePolicy, qatFinetune, quantConfig, type Calibration, type ChannelBits } from './apply.js';
import { costOf, parseBudget, PolicyCoster, type CostVector, type ResourceBudget } from './cost.js';
import { cwHawqSearch } from './cw-hawq.js';
import { haqSearch, randomSearch } from './haq.js';
import { ilpSearch, precisionGrid } from './hawq-ilp.js';
import { hawqScores, layerSensitivities, type LayerSensitivity } from './sensitivity.js';

/** Strategies of {@link quantizePipeline}. */
export type QuantStrategy = 'haq' | 'ilp' | 'cw-hawq' | 'uniform' | 'random';

/** Progress events of the pipeline. */
export type QuantEvent =
  | { readonly kind: 'stage'; readonly stage: string }
  | { readonly kind: 'episode'; readonly episode: number; readonly episodes: number; /** Validation accuracy of this episode's policy. */ readonly accuracy: number; readonly best: number };

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
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: QuantEvent) => void;
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
  /** Final test accuracy (after fine-tune when epochs > 0). */
  readonly accuracy: number;
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
}

function sub(s: Split, n: number): Split {
  const k = Math.min(n, s.n);
  const per = s.x.length / s.n;
  return { x: s.x.subarray(0, k * per), y: s.y.subarray(0, k), n: k };
}

/** Run the whole mixed-precision pipeline. */
export async function quantizePipeline(o: QuantizeOptions): Promise<QuantizeResult> {
  const seed = o.seed ?? 0;
  const say = (stage: string): void => o.onEvent?.({ kind: 'stage', stage });
  const supported = o.target.supportedBits;
  const bits = [...(o.bits ?? [2, 3, 4, 5, 6, 7, 8])].sort((a, b) => a - b);
  const wBits = bits.filter((b) => supported.weight.includes(b));
  const aBits = bits.filter((b) => supported.act.includes(b));
  if (wBits.length === 0 || aBits.length === 0) {
    throw new ConfigError(
      `--bits ${bits.join(',')}: target '${o.target.name}' runs weights at ${supported.weight.join(',')} and activations at ${supported.act.join(',')} bits only`,
    );
  }
  const fm: EngineModel = buildModel(o.model);
  try {
    const { test } = o.dataset;
    const searchSet = sub(o.dataset.val, o.searchImages ?? 1000);
    say('calibrating activation ranges (MSE-optimal) on 512 training images');
    const cal = calibrateActivations(fm, o.dataset.train.x, Math.min(512, o.dataset.train.n), 'mse');
    const ptq = (p: PrecisionPolicy, set: Split = test, cb: ChannelBits = {}): number => evaluatePolicy(fm, p, set, cal, cb).accuracy;
    const floatAccuracy = fm.evaluate(test.x, test.y, test.n).accuracy;
    const coster = new PolicyCoster(o.model.graph, o.target);
    const ref = coster.uniformCost({ weightBits: 8, actBits: 8 });
    const budget: ResourceBudget = parseBudget(o.budget, ref);
    const baselineAccuracy = ptq(uniformPolicy(8, 8));
    const t0 = performance.now();
    let policy: PrecisionPolicy;
    let channelBits: ChannelBits = {};
    let interrupted = false;
    const onEpisode = (episodes: number) => (e: { episode: number; accuracy: number; bestAccuracy: number }) =>
      o.onEvent?.({ kind: 'episode', episode: e.episode + 1, episodes, accuracy: e.accuracy, best: e.bestAccuracy });
    const episodes = o.episodes ?? 40;
    let sens: LayerSensitivity[] | undefined;
    const sensitivity = (perChannel: boolean): LayerSensitivity[] => {
      say(`Hessian traces (Hutchinson) of ${coster.layers.length} layers${perChannel ? ', per channel' : ''}`);
      const hv = sub(o.dataset.train, 128);
      sens = layerSensitivities(fm, hv.x, hv.y, hv.n, { seed, perChannel, maxIter: 24, minIter: 8, tol: 1e-2 });
      return sens;
    };
    switch (o.strategy) {
      case 'uniform': {
        const fit = [...new Set(wBits.filter((b) => aBits.includes(b)))]
          .sort((a, b) => b - a)
          .find((b) => costOf(coster.uniformCost({ weightBits: b, actBits: b }), budget.kind) <= budget.value);
        if (fit === undefined) {
          const cheapest = Math.min(...wBits.filter((b) => aBits.includes(b)).map((b) => costOf(coster.uniformCost({ weightBits: b, actBits: b }), budget.kind)));
          throw new ConfigError(`no uniform precision meets ${o.budget} on '${o.target.name}' (cheapest uniform ${budget.kind}: ${cheapest.toPrecision(4)})`);
        }
        policy = uniformPolicy(fit, fit);
        break;
      }
      case 'ilp': {
        const s = sensitivity(false);
        const scores = hawqScores(o.model, s, wBits);
        say('activation sensitivity on 500 validation images');
        const actSens = activationSensitivity(fm, sub(o.dataset.val, 500), cal, aBits);
        const score = (i: number, p: Precision): number => {
          const l = coster.layers[i]?.name;
          const w = scores.find((x) => x.layer === l && x.bits === p.weightBits)?.score ?? 0;
          return 0.5 * w + Math.max(0, (actSens[i] as number[])[aBits.indexOf(p.actBits)] as number);
        };
        say('solving the ILP (HiGHS)');
        const r = await ilpSearch({ coster, budget: { [budget.kind]: budget.value }, options: precisionGrid(wBits, aBits), score });
        policy = r.policy;
        break;
      }
      case 'haq':
      case 'random': {
        say(`${o.strategy === 'haq' ? 'HAQ (DDPG)' : 'random search'}: ${episodes} episodes, reward = accuracy on ${searchSet.n} validation images`);
        const common = { coster, budget, weightBits: wBits, actBits: aBits, accuracy: (p: PrecisionPolicy) => ptq(p, searchSet), seed, ...(o.signal ? { signal: o.signal } : {}) };
        const r =
          o.strategy === 'haq'
            ? await haqSearch({ ...common, episodes, warmupEpisodes: Math.floor(episodes / 4), onEpisode: onEpisode(episodes) })
            : await randomSearch({ ...common, trials: episodes });
        policy = r.policy;
        interrupted = r.interrupted;
        break;
      }
      case 'cw-hawq': {
        const s = sensitivity(true);
        const cwBits = wBits.filter((b) => [2, 4, 8].includes(b));
        const act = aBits.includes(8) ? 8 : (aBits[aBits.length - 1] as number);
        say(`CW-HAWQ (DDPG over per-layer channel ratios of ${cwBits.join('/')}-bit weights, channels in Hessian-trace order)`);
        const r = await cwHawqSearch({
          coster,
          budget,
          bits: cwBits.length ? cwBits : wBits,
          actBits: act,
          channelTraces: s.map((x) => x.channelTraces ?? []),
          accuracy: (a) => ptq(a.policy, searchSet, a.channelBits),
          episodes,
          warmupEpisodes: Math.floor(episodes / 4),
          seed,
          onEpisode: (e) => o.onEvent?.({ kind: 'episode', episode: e.episode + 1, episodes, accuracy: e.accuracy, best: e.bestAccuracy }),
          ...(o.signal ? { signal: o.signal } : {}),
        });
        policy = r.allocation.policy;
        channelBits = r.allocation.channelBits;
        interrupted = r.interrupted;
        break;
      }
      default:
        throw new ConfigError(`unknown strategy '${String(o.strategy)}': expected haq, ilp, cw-hawq, uniform or random`);
    }
    const searchSeconds = (performance.now() - t0) / 1000;
    void sens;
    const ptqAccuracy = ptq(policy, test, channelBits);
    let accuracy = ptqAccuracy;
    const epochs = o.finetuneEpochs ?? 1;
    let finalModel: Model = o.model;
    if (epochs > 0 && !o.signal?.aborted) {
      say(`quantization-aware fine-tuning: ${epochs} epoch(s)`);
      const tm = buildModel(o.model);
      try {
        await qatFinetune(tm, policy, sub(o.dataset.train, o.finetuneImages ?? o.dataset.train.n), { epochs, batchSize: 128, lr: 2e-4, seed, calibration: cal, channelBits });
        accuracy = evaluatePolicy(tm, policy, test, cal, channelBits).accuracy;
        finalModel = tm.toModel();
      } finally {
        tm.dispose();
      }
    }
    const cost: CostVector = coster.policyCost(policy);
    const layers: QuantLayerRow[] = coster.layers.map((l) => {
      const lp = policy.layers[l.name] ?? policy.default;
      const cb = channelBits[l.name];
      const wb = cb && cb.length ? summarizeChannelBits(cb) : lp.weightBits;
      return { layer: l.name, weightBits: wb, actBits: lp.actBits, params: l.params, macs: l.macs };
    });
    return {
      strategy: o.strategy,
      target: o.target.name,
      budget: { kind: budget.kind, value: budget.value },
      policy,
      channelBits,
      layers,
      floatAccuracy,
      baselineAccuracy,
      ptqAccuracy,
      accuracy,
      latencyMs: cost.latency,
      baselineLatencyMs: ref.latency,
      energyMj: cost.energy,
      baselineEnergyMj: ref.energy,
      sizeBytes: cost.size,
      baselineSizeBytes: ref.size,
      searchSeconds,
      interrupted,
      finalModel,
      calibration: cal,
    };
  } finally {
    fm.dispose();
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
