/**
 * Evaluation of architectures by short real training (no table): build the IR graph at the
 * architecture's own input size (mbv2 spaces; the data are resampled bilinearly to it) or else the data
 * set's, initialise weights from the trial seed, train on the engine (tfjs-wasm), measure accuracy on
 * the **validation** split (the test split stays unseen by the search), and take latency/energy from a
 * hardware target (measured targets are prepared first). Points of joint spaces (architecture + precision,
 * BOMP-NAS) are scored under their own policy: trained in float, activation ranges calibrated on training
 * images, then quantization-aware fine-tuned (QAFT) from the float weights and evaluated with weights **and
 * activations** fake-quantized (see {@link scoreUnderPolicy}).
 */
import { makeSplit } from '../data/preprocess.js';
import type { Dataset, SampleShape, Split } from '../data/types.js';
import { buildModel, type EngineModel, type EpochSummary, initEngine, train } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { defaultPolicy, type PrecisionPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import { initWeights } from '../ir/init.js';
import type { Graph, Model } from '../ir/types.js';
import { graphTotals } from '../ir/workload.js';
import { calibrateActivations, evaluatePolicy, qatFinetune } from '../quant/apply.js';
import { PolicyCoster } from '../quant/cost.js';
import { quantConfig } from '../quant/quant-config.js';
import { runFaultCampaign } from '../resilience/campaign.js';
import { predictResilience } from '../resilience/predictor.js';
import { protectionCost } from '../resilience/protection.js';
import type { ArchSpace } from '../search/spaces/types.js';
import type { CheapObjectives, Objective } from '../search/types.js';
import type { EvaluationResult, Evaluator } from '../study/run-study.js';
import { Rng } from '../util/rng.js';
import { type ArchLatencyOptions, archLatencyMs, archPolicy } from './cost.js';
import { ECC_SHARE_PARAM, finiteMetrics } from './objectives.js';

/** True when every layer of the policy runs float (16/32 bits): faults then hit float32 bit patterns. */
function floatPolicy(p: PrecisionPolicy): boolean {
  return [p.default, ...Object.values(p.layers)].every((l) => l.weightBits >= 16 && l.actBits >= 16);
}

/** The samples of `split` (per-sample shape `shape`) resampled bilinearly to `size` x `size` (the split itself at its own size). */
export function resizeSplit(split: Split, shape: SampleShape, size: number): Split {
  const [c, h, w] = shape;
  if (size === h && size === w) return split;
  const src = { data: split.x, n: split.n, c, h, w, layout: 'nchw' as const };
  const idx = Int32Array.from({ length: split.n }, (_, i) => i);
  return makeSplit(src, split.y, idx, { outC: c, outH: size, outW: size, resize: 'bilinear', scale: 1, mean: 0, std: 1 });
}

/** A memoised `size -> split` view of a split (same samples, same order at every size). */
export function splitAtSizes(split: Split, shape: SampleShape): (size: number) => Split {
  const cache = new Map<number, Split>();
  return (size) => {
    let s = cache.get(size);
    if (!s) {
      s = resizeSplit(split, shape, size);
      cache.set(size, s);
    }
    return s;
  };
}

/** The input size an architecture fixes itself (mbv2 points, also inside joint points), if any. */
export function archInputSize(a: unknown): number | undefined {
  const o = a as { inputSize?: unknown; arch?: { inputSize?: unknown } } | null;
  const v = o?.inputSize ?? o?.arch?.inputSize;
  return typeof v === 'number' ? v : undefined;
}

/** How a joint-space point is scored under its policy after float training. */
export type PolicyScoring = 'qaft' | 'ptq';

/** Options of {@link scoreUnderPolicy}. */
export interface PolicyScoreOptions {
  /** 'qaft' (default, BOMP-NAS): quantization-aware fine-tuning from the float weights; 'ptq': post-training quantization only. */
  readonly scoring?: PolicyScoring;
  /** QAFT epochs (default 1). */
  readonly qaftEpochs?: number;
  /** QAFT learning rate (default 2e-4, as `hwnas quantize`'s fine-tuning). */
  readonly qaftLr?: number;
  /** Training images activation ranges are calibrated on (default 512, MSE-optimal ranges as `hwnas quantize`). */
  readonly calibImages?: number;
  readonly batchSize?: number;
  readonly seed: number;
  readonly workers?: 1 | 2;
  /**
   * A second split the same quantized model is also evaluated on (e.g. the test split, never seen by a
   * search that selects on `evalData`): reported as {@link PolicyScore.heldOutAccuracy}.
   */
  readonly heldOut?: Split;
}

/** What {@link scoreUnderPolicy} measured. */
export interface PolicyScore {
  /** Accuracy and loss with the policy's weights and activations fake-quantized. */
  readonly accuracy: number;
  readonly loss: number;
  /** Accuracy of the float model the quantized one starts from. */
  readonly floatAccuracy: number;
  /** Fake-quantized weight tensors and activation tensors (nodes feeding conv/dense layers below 16 bits). */
  readonly weightQuantizers: number;
  readonly activationQuantizers: number;
  /** Accuracy on {@link PolicyScoreOptions.heldOut} under the same policy, when it was given. */
  readonly heldOutAccuracy?: number;
  /** The fake-quantization the accuracy was measured under (bits, calibrated activation grids): what a QDQ export needs. */
  readonly quant: ReturnType<typeof quantConfig>;
}

/**
 * Scores a float-trained model under a precision policy (BOMP-NAS): calibrates activation ranges on
 * `calibImages` training images (float model), then either quantization-aware fine-tunes it in place from
 * its float weights (`qaft`, fixed calibrated grids, straight-through gradients) or not (`ptq`), and
 * evaluates it with weights and activations fake-quantized. Without the calibration, activations would stay
 * float (`quantConfig`, src/quant/quant-config.ts) while latency is charged at the policy's activation bits.
 */
export async function scoreUnderPolicy(
  em: EngineModel,
  policy: PrecisionPolicy,
  trainData: Split,
  evalData: Split,
  o: PolicyScoreOptions,
): Promise<PolicyScore> {
  if (trainData.n === 0) throw new ConfigError('cannot calibrate activation ranges: the training split is empty');
  if (o.heldOut !== undefined && o.heldOut.n === 0) throw new ConfigError('heldOut: the held-out split is empty (expected at least one image)');
  const floatAccuracy = em.evaluate(evalData.x, evalData.y, evalData.n).accuracy;
  const nCal = Math.min(o.calibImages ?? 512, trainData.n);
  if (!(nCal >= 1)) throw new ConfigError(`calibImages ${o.calibImages}: expected a positive number of training images`);
  const cal = calibrateActivations(em, trainData.x, nCal, 'mse');
  const cfg = quantConfig(em.graph, policy, cal);
  const epochs = o.qaftEpochs ?? 1;
  if ((o.scoring ?? 'qaft') === 'qaft' && epochs > 0) {
    await qatFinetune(em, policy, trainData, {
      epochs,
      batchSize: o.batchSize ?? 64,
      lr: o.qaftLr ?? 2e-4,
      seed: o.seed,
      workers: o.workers ?? 1,
      calibration: cal,
    });
  }
  const r = evaluatePolicy(em, policy, evalData, cal);
  const held = o.heldOut !== undefined ? evaluatePolicy(em, policy, o.heldOut, cal).accuracy : undefined;
  return {
    ...(held !== undefined ? { heldOutAccuracy: held } : {}),
    accuracy: r.accuracy,
    loss: r.loss,
    floatAccuracy,
    weightQuantizers: Object.values(cfg.weights).filter((w) => w.channelBits !== undefined || (w.bits !== undefined && w.bits < 16)).length,
    activationQuantizers: Object.keys(cfg.activations).length,
    quant: cfg,
  };
}

/**
 * Metrics the training evaluator can report (objective names). `size_kb` is the packed model size at the
 * trial's policy (conv/dense weights packed at their bits with per-channel float32 scales, biases and
 * other parameters float32; float layers at 4 bytes per weight), as `hwnas quantize` reports it.
 */
export const TRAIN_METRICS = ['accuracy', 'latency_ms', 'energy_mj', 'macs', 'params', 'size_kb', 'loss', 'fault_drop', 'fault_score'] as const;

/**
 * Resilience of each trial (issue 14): `fault_drop` is measured by a small weight-fault injection run
 * (src/resilience/campaign.ts: `runs` seeded runs at `ber` on the first `images` evaluation images, the
 * trained net deployed under its policy: QDQ codes in onnxruntime, or float32 bit patterns for fp32);
 * `fault_score` is the topology predictor's expected damage (no injection, src/resilience/predictor.ts).
 */
export interface FaultObjectiveOptions {
  /** Bit error rate of the weights (default 1e-5). */
  readonly ber?: number;
  /** Injection runs per trial for `fault_drop` (default 5). */
  readonly runs?: number;
  /** Evaluation images of each run (default 1000). */
  readonly images?: number;
  /** Trials whose measured drop (accuracy fraction, e.g. 0.01 = 1 pp) exceeds this are infeasible. */
  readonly maxDrop?: number;
}

/** Options of {@link trainingEvaluator}. */
export interface TrainingEvaluatorOptions {
  readonly space: ArchSpace;
  readonly dataset: Dataset;
  readonly target: HardwareTarget;
  readonly objectives: readonly Objective[];
  /** Training epochs per trial (default 1). */
  readonly epochs?: number;
  readonly batchSize?: number;
  /** Precision for latency when the space has none of its own (default: fp32 where supported, else w8a8). */
  readonly policy?: PrecisionPolicy;
  /** Engine gradient threads (default 1: trials stay reproducible and the machine shared). */
  readonly workers?: 1 | 2;
  /** Split accuracy is measured on (default 'val': the search never sees the test split). */
  readonly evalSplit?: 'val' | 'test';
  /** How latency is taken (default: the target's cost model; `{ mode: 'network' }` times the whole network on host-cpu). */
  readonly latency?: ArchLatencyOptions;
  /** Trials whose latency exceeds this (ms) are infeasible (constraint `latency - max`). */
  readonly maxLatencyMs?: number;
  /** Joint spaces: 'qaft' (default) fine-tunes the float-trained net under its policy, 'ptq' only quantizes it. */
  readonly scoring?: PolicyScoring;
  /** Joint spaces: QAFT epochs after the float training (default 1). */
  readonly qaftEpochs?: number;
  /** Settings of the `fault_drop` / `fault_score` metrics and the fault-drop constraint. */
  readonly faults?: FaultObjectiveOptions;
  /**
   * Protection as a choice of each trial (issue 14): the point's {@link ECC_SHARE_PARAM} parameter hardens that share
   * of the net's conv/dense layers with SEC-DED ECC, the predictor's most vulnerable first (ranked on the untrained
   * graph under the trial's policy, so the cost is known before training); the ECC cost on the target joins
   * latency_ms / energy_mj (and the latency line), the fault runs and fault_score account for it.
   */
  readonly protect?: 'ecc';
  /**
   * Called with each trained network (its weights after the training, before the evaluator lets it go) and the
   * accuracy the trial reports; in a joint space the weights are those scored under the trial's policy (after the
   * quantization-aware fine-tuning, with `qaft`) and `quant` is that fake-quantization. `hwnas nas --out` retrains
   * front architectures with it to write them as ONNX (QDQ with `quant`).
   */
  readonly onTrained?: (
    model: Model,
    r: { readonly arch: string; readonly accuracy: number; readonly quant?: ReturnType<typeof quantConfig> },
  ) => void | Promise<void>;
  /** Skip the hardware cost (latency_ms, energy_mj and ECC cost are NaN): for retraining a known trial's network only. */
  readonly costless?: boolean;
}

/** The `share` most vulnerable conv/dense layers of a graph under a policy (the predictor's per-layer damage at `ber`). */
export function eccHardenedLayers(graph: Graph, policy: PrecisionPolicy, ber: number, share: number): string[] {
  if (!(share >= 0 && share <= 1)) throw new ConfigError(`${ECC_SHARE_PARAM} ${share}: expected a share in [0, 1]`);
  const layers = [...predictResilience(graph, policy, ber).layers].sort((a, b) => b.damage - a.damage || a.layer.localeCompare(b.layer));
  return layers.slice(0, Math.ceil(share * layers.length)).map((l) => l.layer);
}

/** An evaluator that trains each architecture briefly and costs it on the target. */
export function trainingEvaluator(o: TrainingEvaluatorOptions): Evaluator {
  for (const ob of o.objectives) {
    if (!(TRAIN_METRICS as readonly string[]).includes(ob.name))
      throw new ConfigError(
        `objective '${ob.name}' cannot be measured by training: expected one of ${TRAIN_METRICS.join(', ')} (or give a --table with that column)`,
      );
  }
  const [c, h] = o.dataset.shape;
  const evalSplit = o.evalSplit ?? 'val';
  const trainAt = splitAtSizes(o.dataset.train, o.dataset.shape);
  const evalAt = splitAtSizes(o.dataset[evalSplit], o.dataset.shape);
  const fo = o.faults ?? {};
  const ber = fo.ber ?? 1e-5;
  if (!(ber > 0 && ber <= 1)) throw new ConfigError(`fault BER ${ber}: expected a bit error rate in (0, 1]`);
  const faultRuns = fo.runs ?? 5;
  if (!(Number.isInteger(faultRuns) && faultRuns >= 1)) throw new ConfigError(`fault runs ${faultRuns}: expected an integer >= 1`);
  const faultImages = fo.images ?? 1000;
  if (!(Number.isInteger(faultImages) && faultImages >= 1)) throw new ConfigError(`fault images ${faultImages}: expected an integer >= 1`);
  if (fo.maxDrop !== undefined && !(fo.maxDrop >= 0 && fo.maxDrop <= 1))
    throw new ConfigError(`maximum fault drop ${fo.maxDrop}: expected an accuracy fraction in [0, 1] (0.01 = 1 pp)`);
  const wantsDrop = o.objectives.some((x) => x.name === 'fault_drop') || fo.maxDrop !== undefined;
  // what a pruner is told after each epoch: the first objective, when training measures it per epoch
  const first = o.objectives[0]?.name;
  const intermediateMetric = first === 'accuracy' || first === 'loss' ? first : undefined;
  return async (params, ctx): Promise<EvaluationResult> => {
    await initEngine();
    let share = 0;
    let archParams = params;
    if (o.protect) {
      const { [ECC_SHARE_PARAM]: v, ...rest } = params;
      share = Number(v ?? 0);
      archParams = rest;
    }
    const a = o.space.fromParams(archParams);
    const arch = o.space.format(a);
    const size = archInputSize(a) ?? h;
    const graph = o.space.graph(a, { inputSize: size, inChannels: c, classes: o.dataset.numClasses });
    const policy = archPolicy(o.space, a, graph, o.policy ?? defaultPolicy(o.target));
    const baseLat = o.costless ? { latencyMs: Number.NaN, energyMj: Number.NaN } : await archLatencyMs(o.target, graph, policy, o.latency ?? {});
    // ECC on the chosen share of layers (issue 14): the target's cost of the 9/8 weight traffic joins the trial's cost
    const hardened = share > 0 ? eccHardenedLayers(graph, policy, ber, share) : [];
    const pc = hardened.length > 0 && !o.costless ? protectionCost(o.target, graph, policy, { hardened: new Set(hardened) }) : undefined;
    const lat = pc
      ? { ...baseLat, latencyMs: baseLat.latencyMs + (pc.latencyMs - pc.baseLatencyMs), energyMj: baseLat.energyMj + (pc.energyMj - pc.baseEnergyMj) }
      : baseLat;
    const protection = pc
      ? { ecc_share: share, hardened, ecc_latency_ms: pc.latencyMs - pc.baseLatencyMs, ecc_extra_bytes: pc.extraWeightBytes }
      : o.protect
        ? { ecc_share: 0, hardened: [] }
        : undefined;
    const totals = graphTotals(graph);
    const sizeKb = o.objectives.some((x) => x.name === 'size_kb') ? new PolicyCoster(graph, o.target).policyCost(policy).size / 1024 : Number.NaN;
    const needsAcc = o.objectives.some((x) => x.name === 'accuracy' || x.name === 'loss') || wantsDrop;
    let accuracy = Number.NaN;
    let loss = Number.NaN;
    let quantInfo: Record<string, number> = {};
    let faultDrop = Number.NaN;
    const prot = hardened.length > 0 ? { hardened: new Set(hardened) } : {};
    let faultScore = predictResilience(graph, floatPolicy(policy) ? undefined : policy, ber, undefined, prot).score;
    let prunedAt: number | undefined;
    let epochsTrained: number | undefined;
    // over the latency constraint: infeasible whatever its accuracy, so it is not trained (accuracy 0,
    // loss that of a uniform guess; userAttrs.trained = false)
    const overBudget = o.maxLatencyMs !== undefined && lat.latencyMs > o.maxLatencyMs;
    if (needsAcc && overBudget) {
      accuracy = 0;
      loss = Math.log(o.dataset.numClasses);
      faultDrop = 1;
    }
    if (needsAcc && !overBudget) {
      const em = buildModel({ graph, weights: initWeights(graph, new Rng(ctx.seed)) });
      try {
        const topts = { epochs: o.epochs ?? 1, batchSize: o.batchSize ?? 64, seed: ctx.seed, workers: o.workers ?? 1 } as const;
        const joint = o.space.policy !== undefined;
        let quant: ReturnType<typeof quantConfig> | undefined;
        const trainData = trainAt(size);
        const evalData = evalAt(size);
        if (evalData.n === 0) throw new ConfigError(`data set '${o.dataset.name}' has an empty ${evalSplit} split: cannot measure accuracy`);
        // a study with a pruner: the float net's validation accuracy (or loss) after each epoch is reported
        // at step = epochs done; a "prune" answer stops the training there
        const report = ctx.report !== undefined && intermediateMetric !== undefined ? ctx.report : undefined;
        let last: { accuracy: number; loss: number } | undefined;
        const tr = await train(em, trainData, {
          ...topts,
          ...(report !== undefined
            ? {
                validation: evalData,
                onEpochEnd: async (e: EpochSummary) => {
                  last = { accuracy: e.valAccuracy as number, loss: e.valLoss as number };
                  const stop = await report(e.epoch + 1, intermediateMetric === 'loss' ? last.loss : last.accuracy);
                  if (stop) prunedAt = e.epoch + 1;
                  return stop;
                },
              }
            : {}),
        });
        epochsTrained = tr.epochs.length;
        if (prunedAt !== undefined && last !== undefined) {
          // joint spaces: the float net's accuracy is not the objective (that is measured under the policy)
          if (joint) quantInfo = { float_accuracy: last.accuracy };
          else {
            accuracy = last.accuracy;
            loss = last.loss;
          }
        } else if (joint) {
          const s = await scoreUnderPolicy(em, policy, trainData, evalData, {
            seed: ctx.seed,
            batchSize: topts.batchSize,
            workers: topts.workers,
            ...(o.scoring ? { scoring: o.scoring } : {}),
            ...(o.qaftEpochs !== undefined ? { qaftEpochs: o.qaftEpochs } : {}),
          });
          accuracy = s.accuracy;
          loss = s.loss;
          quant = s.quant;
          quantInfo = { float_accuracy: s.floatAccuracy, act_quantizers: s.activationQuantizers, weight_quantizers: s.weightQuantizers };
        } else if (last !== undefined) {
          // the last epoch's validation already measured this net on this split
          accuracy = last.accuracy;
          loss = last.loss;
        } else {
          const r = em.evaluate(evalData.x, evalData.y, evalData.n);
          accuracy = r.accuracy;
          loss = r.loss;
        }
        const trained = em.toModel();
        if (o.onTrained && prunedAt === undefined) await o.onTrained(trained, { arch, accuracy, ...(quant ? { quant } : {}) });
        faultScore = predictResilience(graph, floatPolicy(policy) ? undefined : policy, ber, trained.weights, prot).score;
        if (wantsDrop && prunedAt === undefined) {
          const k = Math.min(faultImages, evalData.n);
          const per = evalData.x.length / evalData.n;
          const r = await runFaultCampaign({
            model: trained,
            ...(floatPolicy(policy) ? {} : { policy }),
            data: { x: evalData.x.subarray(0, k * per), y: evalData.y.subarray(0, k), n: k },
            calibration: { x: trainData.x, n: Math.min(512, trainData.n) },
            bers: [ber],
            sites: ['weights'],
            trials: faultRuns,
            seed: ctx.seed,
            layerTrials: 0,
            ...(hardened.length > 0 ? { hardened: new Set(hardened) } : {}),
          });
          const row = r.results[0];
          if (!row) throw new Error('fault campaign returned no result');
          faultDrop = r.baselineAccuracy - row.meanAccuracy;
          quantInfo = { ...quantInfo, fault_baseline: r.baselineAccuracy, fault_p5: row.p5Accuracy };
        }
      } finally {
        em.dispose();
      }
    }
    const m: Record<string, number> = {
      accuracy,
      loss,
      latency_ms: lat.latencyMs,
      energy_mj: lat.energyMj,
      macs: totals.macs,
      params: totals.params,
      size_kb: sizeKb,
      fault_drop: faultDrop,
      fault_score: faultScore,
    };
    const constraints = [
      ...(o.maxLatencyMs !== undefined ? [lat.latencyMs - o.maxLatencyMs] : []),
      ...(fo.maxDrop !== undefined ? [faultDrop - fo.maxDrop] : []),
    ];
    const values = o.objectives.map((x) => m[x.name] as number);
    const userAttrs = {
      arch,
      ...finiteMetrics(m),
      ...quantInfo,
      ...(needsAcc && overBudget ? { trained: false } : {}),
      ...(protection ? { protection } : {}),
      ...(epochsTrained !== undefined ? { epochs_trained: epochsTrained } : {}),
    };
    if (prunedAt !== undefined) {
      // stopped by the pruner: the values measured when it stopped (validation accuracy/loss of that epoch,
      // costs); none when an objective was not measured (joint spaces' policy accuracy, fault_drop)
      return { values: values.every(Number.isFinite) ? values : [], state: 'pruned', userAttrs: { ...userAttrs, 'hwnas:pruned_at_step': prunedAt } };
    }
    return { values, ...(constraints.length > 0 ? { constraints } : {}), userAttrs };
  };
}

/** Metrics of the training evaluator that need no training: the target's cost model and the graph's size. */
export const TRAIN_COST_METRICS = ['latency_ms', 'energy_mj', 'macs', 'params', 'size_kb'] as const;

/** Options of {@link trainCheapObjectives}: what {@link trainingEvaluator} costs a point with. */
export interface TrainCheapObjectivesOptions {
  readonly space: ArchSpace;
  readonly target: HardwareTarget;
  readonly objectives: readonly Objective[];
  /** The data set's per-sample shape `[C, H, W]` and class count (they shape the graph's stem and classifier). */
  readonly shape: SampleShape;
  readonly classes: number;
  readonly policy?: PrecisionPolicy;
  readonly latency?: ArchLatencyOptions;
}

/**
 * Cost-aware search with a training evaluator: the objectives among {@link TRAIN_COST_METRICS} computed for
 * any point without training, with the same graph, policy and cost model as {@link trainingEvaluator}
 * (so a screened candidate's cheap values equal its trial's). Latency and energy are cheap only from an
 * analytical cost model (a target without a `prepare` step, latency mode `model`); a measured target or
 * network timing leaves them to the trial. Undefined when no objective is cheap.
 */
export function trainCheapObjectives(o: TrainCheapObjectivesOptions): CheapObjectives | undefined {
  const modelLatency = (o.latency?.mode ?? 'model') === 'model' && o.target.prepare === undefined;
  const cheapNames: readonly string[] = modelLatency ? TRAIN_COST_METRICS : ['macs', 'params', 'size_kb'];
  const indices = o.objectives.map((ob, i) => (cheapNames.includes(ob.name) ? i : -1)).filter((i) => i >= 0);
  if (indices.length === 0) return undefined;
  const names = indices.map((i) => (o.objectives[i] as Objective).name);
  const [c, h] = o.shape;
  const fallback = o.policy ?? defaultPolicy(o.target);
  return {
    indices,
    values(params) {
      const a = o.space.fromParams(params);
      const graph = o.space.graph(a, { inputSize: archInputSize(a) ?? h, inChannels: c, classes: o.classes });
      const policy = archPolicy(o.space, a, graph, fallback);
      const totals = graphTotals(graph);
      const m: Record<string, () => number> = {
        latency_ms: () => o.target.networkCost(graph, policy).latencyMs,
        energy_mj: () => o.target.networkCost(graph, policy).energyMj,
        macs: () => totals.macs,
        params: () => totals.params,
        size_kb: () => new PolicyCoster(graph, o.target).policyCost(policy).size / 1024,
      };
      return names.map((n) => (m[n] as () => number)());
    },
  };
}
