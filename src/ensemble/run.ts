/**
 * The ensemble pipeline: train (or take) a float model, train bitwise latent model(s) from it with the
 * straight-through estimator, draw K members (K samples of one latent model, or the deterministic
 * binarization of K latent models trained with different seeds), evaluate every member and the
 * ensemble on the test split, and hand back everything the cost and export steps need.
 */

import { requireScoredSplit } from '../data/split.js';
import type { Dataset, Split } from '../data/types.js';
import { type ActRounding, type BinarizeMode, bitwiseHooks, bitwiseHooksModule, type SteVariant } from '../engine/bitwise.js';
import { recalibrateBatchNorm } from '../engine/distill.js';
import { buildModel, type EngineModel } from '../engine/model.js';
import type { ActQuantConfig } from '../engine/quant-grid.js';
import { type TrainOptions, type TrainProgress, train } from '../engine/train.js';
import { ConfigError } from '../errors.js';
import { type PrecisionPolicy, uniformPolicy } from '../hardware/precision.js';
import type { Model, Weights } from '../ir/types.js';
import { calibrateActivations, evaluatePolicy } from '../quant/apply.js';
import { type Calibration, quantConfig } from '../quant/quant-config.js';
import { Rng } from '../util/rng.js';
import { type MemberPrecision, memberPolicy, memberWeights } from './members.js';
import { accuracyOf, accuracyVsMembers, meanProbs, pairwiseDisagreement, softmaxRows, type VoteRule, voteScores } from './vote.js';

/** How the K members are obtained. */
export type Sampling = 'stochastic' | 'independent';

/** A progress event of {@link runEnsemble}. */
export interface EnsembleProgress {
  readonly stage: 'train-float' | 'train-bitwise' | 'evaluate';
  /** Latent model being trained (independent sampling: one per member), or member being evaluated. */
  readonly index: number;
  readonly of: number;
  /** Training progress within the stage. */
  readonly train?: TrainProgress;
}

/** Options of {@link runEnsemble}. */
export interface EnsembleOptions {
  /** K, 1..64. */
  readonly members: number;
  readonly precision: MemberPrecision;
  readonly sampling: Sampling;
  /** Float training; `epochs: 0` takes the model's weights as they are (an already trained model). */
  readonly floatTrain: TrainOptions;
  /** Bitwise (QAT) training of each latent model, starting from the float weights; its seed is replaced per latent model. */
  readonly bitwiseTrain: TrainOptions;
  /** Default 'identity'. */
  readonly ste?: SteVariant;
  readonly clip?: number;
  /** Binarization in the training forward pass (default 'stochastic' for stochastic sampling, 'sign' for independent). */
  readonly trainBinarize?: BinarizeMode;
  /** Temperature of the 1-bit sampling probability (default 1). */
  readonly temperature?: number;
  /**
   * Stochastic sampling: also draw K members at each of these temperatures and report their accuracy
   * (`byTemperature`), from the same latent model (default none).
   */
  readonly extraTemperatures?: readonly number[];
  /**
   * Knowledge distillation in bitwise training: weight in [0, 1] of the float model's softmax in the
   * training target (target = (1 - w) one-hot + w teacher softmax; default 0 = labels only).
   */
  readonly distill?: number;
  /** Activation rounding of the members at inference (default 'nearest'). */
  readonly rounding?: ActRounding;
  /** Also evaluate the other rounding mode (nearest vs LFSR) for the comparison (default false). */
  readonly compareRounding?: boolean;
  /** How `ensembleAccuracy` combines members (default 'majority'). */
  readonly vote?: VoteRule;
  readonly seed: number;
  /** Training images used to calibrate activation ranges, and each member's batch-norm statistics (default 2,000). */
  readonly calibrationImages?: number;
  readonly onProgress?: (e: EnsembleProgress) => void;
}

/** Accuracy figures of one way of rounding activations. */
export interface EnsembleAccuracy {
  readonly memberAccuracies: readonly number[];
  /** Ensemble of the first k members, k = 1..K. */
  readonly majorityVsMembers: readonly number[];
  readonly meanVsMembers: readonly number[];
  readonly disagreement: number;
}

/** What {@link runEnsemble} returns. */
export interface EnsembleRun {
  readonly floatModel: Model;
  readonly policy: PrecisionPolicy;
  /** Deployed weights of each member (IR layout). */
  readonly members: readonly Weights[];
  /** Activation grids of the members, keyed by node. */
  readonly activations: Readonly<Record<string, ActQuantConfig>>;
  readonly floatAccuracy: number;
  /** The float model post-training quantized to w8a8 (8-bit activations calibrated like the members'). */
  readonly w8a8Accuracy: number;
  /** The deterministic binarization (sign x scale) of the first latent model. */
  readonly signMemberAccuracy: number;
  readonly vote: VoteRule;
  readonly ensembleAccuracy: number;
  readonly rounding: ActRounding;
  readonly accuracy: EnsembleAccuracy;
  /** The other rounding mode, when `compareRounding`. */
  readonly otherRounding?: EnsembleAccuracy & { readonly rounding: ActRounding };
  /** Members sampled at each of `extraTemperatures` (nearest rounding). */
  readonly byTemperature?: ReadonlyArray<EnsembleAccuracy & { readonly temperature: number }>;
  readonly trainSeconds: number;
  readonly testImages: number;
}

/** Softmax rows of `model` on a split with the given hooks. */
function probsOf(m: EngineModel, split: Split, classes: number): Float32Array {
  return softmaxRows(m.predict(split.x, split.n, { batchSize: 250 }), classes);
}

function accuracyFigures(probs: readonly Float32Array[], split: Split, classes: number): EnsembleAccuracy {
  return {
    memberAccuracies: probs.map((p) => accuracyOf(p, split.y, classes)),
    majorityVsMembers: accuracyVsMembers(probs, split.y, classes, 'majority'),
    meanVsMembers: accuracyVsMembers(probs, split.y, classes, 'mean'),
    disagreement: pairwiseDisagreement(probs, classes),
  };
}

/** Train, sample and evaluate an ensemble of bitwise members (see the module comment). */
export async function runEnsemble(model: Model, ds: Dataset, o: EnsembleOptions): Promise<EnsembleRun> {
  const K = o.members;
  if (!(Number.isInteger(K) && K >= 1 && K <= 64)) throw new ConfigError(`ensemble members ${K}: expected an integer 1..64`);
  if (o.sampling !== 'stochastic' && o.sampling !== 'independent')
    throw new ConfigError(`sampling '${String(o.sampling)}': expected stochastic or independent`);
  requireScoredSplit(ds.test, 'test', `data set '${ds.name}'`);
  if (ds.train.n === 0) throw new ConfigError(`data set '${ds.name}' has an empty training split; expected at least 1 image`);
  const classes = ds.numClasses;
  const policy = memberPolicy(model.graph, o.precision);
  const rounding = o.rounding ?? 'nearest';
  const vote = o.vote ?? 'majority';
  const distillWeight = o.distill ?? 0;
  if (!(distillWeight >= 0 && distillWeight <= 1)) throw new ConfigError(`distillation weight ${distillWeight}: expected a number in [0, 1]`);
  for (const t of [o.temperature ?? 1, ...(o.extraTemperatures ?? [])]) {
    if (!(t > 0 && Number.isFinite(t))) throw new ConfigError(`sampling temperature ${t}: expected a positive number`);
  }
  const t0 = performance.now();

  // 1. the float model
  const fm = buildModel(model);
  let floatModel: Model;
  let floatAccuracy: number;
  let w8a8Accuracy: number;
  let cal: Calibration;
  let teacher: Float32Array | undefined;
  try {
    if (o.floatTrain.epochs > 0) {
      await train(fm, ds.train, { ...o.floatTrain, onProgress: (p) => o.onProgress?.({ stage: 'train-float', index: 0, of: 1, train: p }) });
    }
    floatModel = fm.toModel();
    floatAccuracy = fm.evaluate(ds.test.x, ds.test.y, ds.test.n, { batchSize: 250 }).accuracy;
    cal = calibrateActivations(fm, ds.train.x, Math.min(ds.train.n, o.calibrationImages ?? 2000));
    w8a8Accuracy = evaluatePolicy(fm, uniformPolicy(8, 8), ds.test, cal).accuracy;
    if (distillWeight > 0) teacher = probsOf(fm, ds.train, classes);
  } finally {
    fm.dispose();
  }
  const cfg = quantConfig(model.graph, policy, cal);

  // 2. latent bitwise model(s), trained from the float weights
  const latents = o.sampling === 'stochastic' ? 1 : K;
  const binarize = o.trainBinarize ?? (o.sampling === 'stochastic' ? 'stochastic' : 'sign');
  const latentModels: Model[] = [];
  const bitwiseData = teacher ? { ...ds.train, soft: teacher } : ds.train;
  const softWeight = teacher ? { softWeight: distillWeight } : {};
  for (let i = 0; i < latents; i++) {
    const seed = o.seed * 1000 + i;
    const hc = { base: cfg, ste: o.ste ?? 'identity', clip: o.clip ?? 1, binarize, seed } as const;
    const lm = buildModel(floatModel, { hooks: bitwiseHooks(hc), hooksModule: bitwiseHooksModule(hc) });
    try {
      if (o.bitwiseTrain.epochs > 0) {
        await train(lm, bitwiseData, {
          ...o.bitwiseTrain,
          ...softWeight,
          seed,
          onProgress: (p) => o.onProgress?.({ stage: 'train-bitwise', index: i, of: latents, train: p }),
        });
      }
      latentModels.push(lm.toModel());
    } finally {
      lm.dispose();
    }
  }
  const trainSeconds = (performance.now() - t0) / 1e3;

  // 3. members: K samples of one latent model, or the sign of each of K latent models; each member's
  // batch-norm statistics are re-estimated on training images with its own weights (a sampled member's
  // pre-normalisation statistics differ from the latent model's running averages)
  const calN = Math.min(ds.train.n, o.calibrationImages ?? 2000);
  const memberHooks = (mode: ActRounding, k: number) =>
    bitwiseHooks({ base: { weights: {}, activations: cfg.activations }, rounding: mode, lfsrSeed: o.seed * 4099 + k * 257 + 1 });
  const finish = (w: Weights): Weights => {
    const m = buildModel({ graph: model.graph, weights: w }, { hooks: memberHooks('nearest', 0) });
    try {
      recalibrateBatchNorm(m, ds.train.x, calN);
      return m.getWeights();
    } finally {
      m.dispose();
    }
  };
  const first = latentModels[0] as Model;
  const signWeights = finish(memberWeights(first, policy, o.precision, { mode: 'nearest' }));
  const members: Weights[] = [];
  if (o.sampling === 'stochastic') {
    const rng = new Rng(o.seed * 7919 + 17);
    for (let k = 0; k < K; k++) {
      const temperature = o.temperature !== undefined ? { temperature: o.temperature } : {};
      members.push(finish(memberWeights(first, policy, o.precision, { mode: 'stochastic', rng, ...temperature })));
    }
  } else for (const lm of latentModels) members.push(finish(memberWeights(lm, policy, o.precision, { mode: 'nearest' })));

  // 4. evaluate: member softmax on the test split under each rounding mode asked for
  const modes: ActRounding[] = o.compareRounding === true ? [rounding, rounding === 'nearest' ? 'lfsr' : 'nearest'] : [rounding];
  const extraT = o.sampling === 'stochastic' ? (o.extraTemperatures ?? []) : [];
  const evalMember = (w: Weights, mode: ActRounding, k: number): Float32Array => {
    const m = buildModel({ graph: model.graph, weights: w }, { hooks: memberHooks(mode, k) });
    try {
      return probsOf(m, ds.test, classes);
    } finally {
      m.dispose();
    }
  };
  const probsBy = new Map<ActRounding, Float32Array[]>();
  let step = 0;
  const total = (modes.length + extraT.length) * K + 1;
  for (const mode of modes) {
    const list: Float32Array[] = [];
    for (let k = 0; k < K; k++) {
      list.push(evalMember(members[k] as Weights, mode, k));
      o.onProgress?.({ stage: 'evaluate', index: ++step, of: total });
    }
    probsBy.set(mode, list);
  }
  const byTemperature: Array<EnsembleAccuracy & { readonly temperature: number }> = [];
  extraT.forEach((temperature, i) => {
    const rng = new Rng(o.seed * 7919 + 31 * (i + 1));
    const list: Float32Array[] = [];
    for (let k = 0; k < K; k++) {
      const w = finish(memberWeights(first, policy, o.precision, { mode: 'stochastic', rng, temperature }));
      list.push(evalMember(w, 'nearest', k));
      o.onProgress?.({ stage: 'evaluate', index: ++step, of: total });
    }
    byTemperature.push({ temperature, ...accuracyFigures(list, ds.test, classes) });
  });
  const signMemberAccuracy = accuracyOf(evalMember(signWeights, rounding, K), ds.test.y, classes);
  o.onProgress?.({ stage: 'evaluate', index: ++step, of: total });
  const main = probsBy.get(rounding) as Float32Array[];
  const accuracy = accuracyFigures(main, ds.test, classes);
  const scores = vote === 'majority' ? voteScores(main, classes) : meanProbs(main);
  const other = modes[1];
  return {
    floatModel,
    policy,
    members,
    activations: cfg.activations,
    floatAccuracy,
    w8a8Accuracy,
    signMemberAccuracy,
    vote,
    ensembleAccuracy: accuracyOf(scores, ds.test.y, classes),
    rounding,
    accuracy,
    ...(byTemperature.length > 0 ? { byTemperature } : {}),
    ...(other ? { otherRounding: { ...accuracyFigures(probsBy.get(other) as Float32Array[], ds.test, classes), rounding: other } } : {}),
    trainSeconds,
    testImages: ds.test.n,
  };
}
