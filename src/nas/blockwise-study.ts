/**
 * The block-wise search (S8) as a study: {@link prepareBlockwise} does the costly part once (train the
 * teacher, distil every stage's candidates from it, save the teacher and the distilled stage weights in an
 * artifact folder) and returns the 'blockwise' strategy's JSON options; {@link blockwiseEvaluator} scores a
 * proposed student: assembled from the teacher's stem and head and the distilled stage weights, batch norm
 * recalibrated, briefly fine-tuned end to end, accuracy on the validation split, latency on the target.
 *
 * Over a joint space (`mbv2-micro+bits`) the search is quantization-aware (QA-BWNAS): every distilled stage
 * configuration is also quantized at each of `precisions` and distilled a few steps more under quantization
 * (src/nas/blockwise.ts), the strategy proposes stage configurations with their precisions (the layers outside
 * the stages at w8a8), and the evaluator scores a student under its precision policy: activation ranges
 * calibrated, quantization-aware fine-tuned from the assembled weights, accuracy with weights and activations
 * fake-quantized, latency and packed size at those bits.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, Split } from '../data/types.js';
import { recalibrateBatchNorm } from '../engine/distill.js';
import { buildModel, initEngine, train } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { defaultPolicy, type PrecisionPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import { initWeights } from '../ir/init.js';
import { loadModel, saveModel } from '../ir/serialize.js';
import type { Model, Weights } from '../ir/types.js';
import { graphTotals } from '../ir/workload.js';
import { PolicyCoster } from '../quant/cost.js';
import type { JointArch } from '../search/spaces/joint.js';
import type { ArchSpace } from '../search/spaces/types.js';
import type { JsonValue, Objective } from '../search/types.js';
import type { EvaluationResult, Evaluator } from '../study/run-study.js';
import { recoverStudent } from '../transform/hant.js';
import { Rng } from '../util/rng.js';
import { assembleBlockwiseStudent, blockwiseCandidates, DEFAULT_STAGE_PRECISIONS, FIXED_BITS } from './blockwise.js';
import { archLatencyMs } from './cost.js';
import { metricsResult } from './objectives.js';
import { DEFAULT_RATIOS } from './strategies/blockwise.js';
import { largestArch } from './supernet.js';
import { archInputSize, resizeSplit, scoreUnderPolicy } from './train-eval.js';

const INDEX = 'blockwise.json';

/** Options of {@link prepareBlockwise}. */
export interface PrepareBlockwiseOptions {
  /** An mbv2-style space. */
  readonly space: ArchSpace;
  readonly dataset: Dataset;
  readonly target: HardwareTarget;
  readonly policy?: PrecisionPolicy;
  /** Folder the teacher and the distilled stage weights are saved in. */
  readonly artifact: string;
  /** Teacher architecture (default: the space's largest at its largest input size and width). */
  readonly teacher?: string;
  /** Teacher training epochs (default 2). */
  readonly teacherEpochs?: number;
  /** Candidates per stage (default 12, the teacher's own configuration included), distillation steps each (default 200). */
  readonly candidatesPerStage?: number;
  readonly steps?: number;
  /** Images distilled on (default 1024) and held out for the loss (default 256). */
  readonly distillSamples?: number;
  readonly heldOutSamples?: number;
  readonly seed?: number;
  readonly onProgress?: (what: string, done: number, total: number) => void;
  /** Joint spaces only: precisions per stage (default {@link DEFAULT_STAGE_PRECISIONS}; the first is the reference, normally w8a8). */
  readonly precisions?: readonly string[];
  /** Joint spaces only: quantization-aware distillation steps per (configuration, precision) (default 50; 0: post-training quantization). */
  readonly qaSteps?: number;
  /** Random stage combinations measured before the strategy fits its accuracy predictor (default 0 float, 8 quantized). */
  readonly fitTrials?: number;
}

/** What {@link prepareBlockwise} returns. */
export interface PreparedBlockwise {
  /** Options of the 'blockwise' strategy (JSON). */
  readonly strategyOptions: Readonly<Record<string, JsonValue>>;
  /** The teacher (float accuracy; latency and packed bytes at w8a8 in a quantization-aware search). */
  readonly teacher: { readonly arch: string; readonly accuracy: number; readonly latencyMs: number; readonly bytes?: number };
  readonly distillations: number;
  /** Quantization-aware search: stage candidates scored at their precisions (configurations x precisions). */
  readonly quantizedCandidates?: number;
  readonly jointCombinations: number;
}

/** The space's options (a joint space's base's), or a ConfigError saying the block-wise search needs an mbv2-style space. */
function mbv2Options(space: ArchSpace): NonNullable<ArchSpace['options']> {
  const o = space.options ?? space.base?.options;
  if (!o)
    throw new ConfigError(
      `block-wise search distils the stages of MobileNetV2-style networks: space '${space.name}' is not one (use mbv2, mbv2-micro, mbv2-mbnet or mbv2-imagenet)`,
    );
  return o;
}

/** The data splits at an input size. */
function splitsAt(d: Dataset, size: number): { train: Split; val: Split } {
  return { train: resizeSplit(d.train, d.shape, size), val: resizeSplit(d.val, d.shape, size) };
}

/** Trains the teacher, distils every stage's candidates and saves them (see module doc). */
export async function prepareBlockwise(o: PrepareBlockwiseOptions): Promise<PreparedBlockwise> {
  const so = mbv2Options(o.space);
  await initEngine();
  const seed = o.seed ?? 0;
  const quant = o.space.base !== undefined;
  if (!quant && (o.precisions !== undefined || o.qaSteps !== undefined))
    throw new ConfigError(`block-wise precisions / qaSteps need a joint space (e.g. ${o.space.name}+bits); space '${o.space.name}' searches float stages`);
  const precisions = quant ? (o.precisions ?? DEFAULT_STAGE_PRECISIONS) : undefined;
  const base = o.space.base ?? o.space;
  const tArch = o.teacher !== undefined ? base.parse(o.teacher) : largestArch({ space: so });
  const teacherArch = base.format(tArch);
  const size = archInputSize(tArch) ?? Math.max(...so.inputSizes);
  const data = splitsAt(o.dataset, size);
  const graph = base.graph(tArch, { inputSize: size, inChannels: o.dataset.shape[0], classes: o.dataset.numClasses });
  const em = buildModel({ graph, weights: initWeights(graph, new Rng(seed)) });
  let teacher: Model;
  let accuracy: number;
  try {
    o.onProgress?.('teacher', 0, 1);
    await train(em, data.train, { epochs: o.teacherEpochs ?? 2, batchSize: 64, seed, workers: 1 });
    accuracy = em.evaluate(data.val.x, data.val.y, data.val.n).accuracy;
    teacher = em.toModel();
    o.onProgress?.('teacher', 1, 1);
  } finally {
    em.dispose();
  }
  const c = blockwiseCandidates(teacher, teacherArch, data, {
    space: so,
    target: o.target,
    ...(o.policy ? { policy: o.policy } : {}),
    candidatesPerStage: o.candidatesPerStage ?? 12,
    steps: o.steps ?? 200,
    ...(o.distillSamples !== undefined ? { distillSamples: o.distillSamples } : {}),
    ...(o.heldOutSamples !== undefined ? { heldOutSamples: o.heldOutSamples } : {}),
    seed,
    ...(o.onProgress ? { onProgress: (p) => o.onProgress?.('distil', p.done, p.total) } : {}),
    ...(precisions ? { precisions } : {}),
    ...(o.qaSteps !== undefined ? { qaSteps: o.qaSteps } : {}),
    ...(o.onProgress ? { onQuantProgress: (done: number, total: number) => o.onProgress?.('quantize', done, total) } : {}),
  });
  mkdirSync(o.artifact, { recursive: true });
  saveModel(teacher, join(o.artifact, 'teacher.json'));
  let tokens: string[][];
  let stages: Record<string, JsonValue>[][];
  if (c.quantized && precisions) {
    const P = precisions.length;
    for (const [i, qs] of c.quantized.entries()) {
      for (const [k, q] of qs.entries()) {
        const g = c.scores[i]?.alternatives[Math.floor(k / P)]?.alt.graph as Model['graph'];
        saveModel({ graph: g, weights: q.weights }, join(o.artifact, `stage${i + 1}-${k}.json`));
      }
    }
    tokens = c.quantized.map((qs) => qs.map((q) => `${q.blocks}@${q.bits}`));
    stages = c.quantized.map((qs) => qs.map((q) => ({ blocks: q.blocks, bits: q.bits, loss: q.loss, latencyMs: q.latencyMs, bytes: q.bytes })));
  } else {
    for (const [i, u] of c.scores.entries()) {
      for (const [k, a] of u.alternatives.entries()) saveModel({ graph: a.alt.graph, weights: a.weights }, join(o.artifact, `stage${i + 1}-${k}.json`));
    }
    tokens = c.tokens.map((t) => [...t]);
    stages = c.scores.map((u, i) => u.alternatives.map((a, k) => ({ blocks: c.tokens[i]?.[k] as string, loss: a.loss, latencyMs: a.latencyMs })));
  }
  writeFileSync(join(o.artifact, INDEX), JSON.stringify({ format: 'hwnas-blockwise', version: 1, teacherArch, stages: tokens }));
  const fitTrials = o.fitTrials ?? (quant ? 8 : 0);
  return {
    strategyOptions: {
      archSpace: o.space.name,
      prefix: teacherArch.slice(0, teacherArch.indexOf(':')),
      stages,
      fixedMs: c.fixedMs,
      teacherLatencyMs: c.teacherLatencyMs,
      ratios: [...DEFAULT_RATIOS],
      ...(quant ? { fixedBits: FIXED_BITS, reference: true } : {}),
      ...(fitTrials > 0 ? { fitTrials } : {}),
    },
    teacher: {
      arch: teacherArch,
      accuracy,
      latencyMs: c.teacherLatencyMs,
      ...(c.teacherBytes !== undefined ? { bytes: c.teacherBytes } : {}),
    },
    distillations: c.scores.reduce((s, u) => s + u.alternatives.length - 1, 0),
    ...(c.quantized ? { quantizedCandidates: c.quantized.reduce((s, q) => s + q.length, 0) } : {}),
    jointCombinations: c.jointCombinations * (precisions ? precisions.length ** so.stages.length : 1),
  };
}

/** A saved block-wise artifact: the teacher and each stage candidate's distilled weights by its blocks. */
export interface BlockwiseArtifact {
  readonly teacher: Model;
  readonly teacherArch: string;
  /** The distilled weights of stage `stage` (0-based) configured as `blocks`; ConfigError when that candidate was not distilled. */
  stageWeights(stage: number, blocks: string): Weights;
}

/** Loads an artifact folder written by {@link prepareBlockwise} (ConfigError naming a missing or foreign folder). */
export function loadBlockwiseArtifact(dir: string): BlockwiseArtifact {
  const index = join(dir, INDEX);
  if (!existsSync(index)) throw new ConfigError(`block-wise artifact '${dir}': no ${INDEX} (expected the folder a block-wise study's preparation wrote)`);
  const j = JSON.parse(readFileSync(index, 'utf8')) as { format?: string; teacherArch?: string; stages?: string[][] };
  if (j.format !== 'hwnas-blockwise' || typeof j.teacherArch !== 'string' || !Array.isArray(j.stages))
    throw new ConfigError(`block-wise artifact '${index}': not an hwnas-blockwise index`);
  const stages = j.stages;
  const teacher = loadModel(join(dir, 'teacher.json'));
  const cache = new Map<string, Weights>();
  return {
    teacher,
    teacherArch: j.teacherArch,
    stageWeights(stage, blocks) {
      const k = stages[stage]?.indexOf(blocks) ?? -1;
      if (k < 0)
        throw new ConfigError(
          `block-wise artifact '${dir}': stage ${stage + 1} has no distilled candidate '${blocks}' (known: ${(stages[stage] ?? []).join(' ')})`,
        );
      const key = `${stage}/${k}`;
      let w = cache.get(key);
      if (!w) {
        w = loadModel(join(dir, `stage${stage + 1}-${k}.json`)).weights;
        cache.set(key, w);
      }
      return w;
    },
  };
}

/** Metrics the block-wise evaluator reports (objective names). */
export const BLOCKWISE_METRICS = ['accuracy', 'latency_ms', 'energy_mj', 'macs', 'params', 'size_kb'] as const;

/** Options of {@link blockwiseEvaluator}. */
export interface BlockwiseEvaluatorOptions {
  readonly space: ArchSpace;
  readonly dataset: Dataset;
  readonly target: HardwareTarget;
  readonly objectives: readonly Objective[];
  readonly artifact: BlockwiseArtifact;
  readonly policy?: PrecisionPolicy;
  /** End-to-end fine-tuning epochs of each assembled student (default 1; 0: batch-norm recalibration only). */
  readonly finetuneEpochs?: number;
  /** Trials over this latency (ms) are infeasible (constraint `latency - max`). */
  readonly maxLatencyMs?: number;
  /**
   * A split the search never selects on (e.g. the data set's test split, at the data set's shape): each student,
   * once scored, is also evaluated on it and `heldOutAccuracy` is reported as a user attribute (not an objective).
   * For re-scoring chosen students (bench/nas-blockwise-qa.ts); a study leaves it out.
   */
  readonly heldOut?: Split;
}

/**
 * A student's trial result: its accuracy with latency / energy / size costed at `policy` on the target, the
 * objectives in study order, the latency constraint, and every finite metric as a user attribute.
 */
async function studentResult(
  o: BlockwiseEvaluatorOptions,
  graph: Model['graph'],
  policy: PrecisionPolicy,
  t: { readonly macs: number; readonly params: number },
  accuracy: number,
  attrs: Record<string, JsonValue>,
): Promise<EvaluationResult> {
  const lat = await archLatencyMs(o.target, graph, policy);
  const size = new PolicyCoster(graph, o.target).policyCost(policy).size;
  const m: Record<string, number> = { accuracy, latency_ms: lat.latencyMs, energy_mj: lat.energyMj, macs: t.macs, params: t.params, size_kb: size / 1024 };
  return metricsResult(o, m, attrs);
}

/** An evaluator of block-wise students (see module doc). */
export function blockwiseEvaluator(o: BlockwiseEvaluatorOptions): Evaluator {
  for (const ob of o.objectives) {
    if (!(BLOCKWISE_METRICS as readonly string[]).includes(ob.name))
      throw new ConfigError(`objective '${ob.name}' cannot be measured by the block-wise evaluator: expected one of ${BLOCKWISE_METRICS.join(', ')}`);
  }
  const so = mbv2Options(o.space);
  const prefix = o.artifact.teacherArch.slice(0, o.artifact.teacherArch.indexOf(':'));
  const base = o.space.base ?? o.space;
  const size = archInputSize(base.parse(o.artifact.teacherArch)) ?? Math.max(...so.inputSizes);
  const data = splitsAt(o.dataset, size);
  const policy = o.policy ?? defaultPolicy(o.target);
  const epochs = o.finetuneEpochs ?? 1;
  const joint = o.space.base !== undefined;
  if (o.heldOut !== undefined && o.heldOut.n === 0) throw new ConfigError('block-wise evaluator: the held-out split is empty (expected at least one image)');
  const heldOut = o.heldOut !== undefined ? resizeSplit(o.heldOut, o.dataset.shape, size) : undefined;
  return async (params, ctx): Promise<EvaluationResult> => {
    await initEngine();
    const point = o.space.fromParams(params);
    const full = o.space.format(point);
    const arch = joint ? base.format((point as JointArch<unknown>).arch) : full;
    if (!arch.startsWith(`${prefix}:`)) throw new ConfigError(`block-wise student '${arch}': expected the teacher's input size and width '${prefix}'`);
    const tokens = arch.slice(prefix.length + 1).split('|');
    const bits = joint ? tokens.map((_, i) => (point as JointArch<unknown>).bits[`s${i + 1}b1`] as string) : [];
    const student = assembleBlockwiseStudent(
      o.artifact.teacher,
      so,
      arch,
      tokens.map((t, i) => o.artifact.stageWeights(i, joint ? `${t}@${bits[i]}` : t)),
    );
    const calib = { x: data.train.x.subarray(0, Math.min(1024, data.train.n) * (data.train.x.length / data.train.n)), n: Math.min(1024, data.train.n) };
    const t = graphTotals(student.graph);
    if (joint) {
      // quantization-aware: the student's own precision policy, activation ranges calibrated, QAFT from the assembled weights
      const qpolicy = (o.space.policy as NonNullable<ArchSpace['policy']>)(point, student.graph);
      const em = buildModel(student);
      let score: Awaited<ReturnType<typeof scoreUnderPolicy>>;
      try {
        recalibrateBatchNorm(em, calib.x, calib.n);
        score = await scoreUnderPolicy(em, qpolicy, data.train, data.val, {
          scoring: epochs > 0 ? 'qaft' : 'ptq',
          qaftEpochs: epochs,
          seed: ctx.seed,
          workers: 1,
          ...(heldOut ? { heldOut } : {}),
        });
      } finally {
        em.dispose();
      }
      return studentResult(o, student.graph, qpolicy, t, score.accuracy, {
        arch: full,
        floatAccuracy: score.floatAccuracy,
        actQuantizers: score.activationQuantizers,
        ...(score.heldOutAccuracy !== undefined ? { heldOutAccuracy: score.heldOutAccuracy } : {}),
      });
    }
    const rec = await recoverStudent(student, { train: data.train, test: data.val }, calib, epochs > 0 ? { epochs, workers: 1 } : false, ctx.seed);
    let held: number | undefined;
    if (heldOut) {
      const em = buildModel(rec.model);
      try {
        held = em.evaluate(heldOut.x, heldOut.y, heldOut.n).accuracy;
      } finally {
        em.dispose();
      }
    }
    return studentResult(o, student.graph, policy, t, rec.after, {
      arch,
      accuracyBeforeFinetune: rec.before,
      ...(held !== undefined ? { heldOutAccuracy: held } : {}),
    });
  };
}
