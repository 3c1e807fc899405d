/**
 * Block-wise architecture search (SEEDS S8, after DNA and the block-wise QA-NAS): every stage of a
 * MobileNetV2-style student is searched on its own, with the student's stage distilled from the
 * teacher's corresponding stage (input = the teacher's feature map entering the stage on real
 * images, target = the teacher's feature map leaving it). Candidates are whole stage configurations
 * (depth and per-block kernel/expansion/SE/activation); each is trained by feature-map distillation
 * and scored by its relative distillation loss and its latency on the target. One configuration per
 * stage is then chosen by the same exact ILP as HANT (minimum summed loss under a latency budget),
 * the student is assembled with the teacher's stem and head and the distilled stage weights, and
 * fine-tuned end to end.
 *
 * Cost: Σ over stages of the candidates tried per stage distillations of one stage each, i.e. linear
 * in the number of blocks, where a joint search would face the product of the per-stage spaces.
 * The teacher must be a network of the same space's skeleton (same stage channels and strides, so
 * stage boundaries have equal shapes), e.g. the largest architecture trained normally.
 */
import type { Split } from '../data/types.js';
import { distill, featureMse } from '../engine/distill.js';
import { quantHooks } from '../engine/fake-quant.js';
import { buildModel } from '../engine/model.js';
import { ConfigError } from '../errors.js';
import { checkPolicyBits, defaultPolicy, type PrecisionPolicy, uniformPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import { GraphBuilder } from '../ir/builder.js';
import { inferShapes } from '../ir/shapes.js';
import type { Model, Shape, Weights } from '../ir/types.js';
import { calibrateActivations } from '../quant/apply.js';
import { PolicyCoster } from '../quant/cost.js';
import { quantConfig } from '../quant/quant-config.js';
import { parsePrecisionLabel } from '../search/spaces/joint.js';
import { addInvertedResidual, type Mbv2Act, type Mbv2Arch, type Mbv2Block, type Mbv2SpaceOptions, mbv2Space } from '../search/spaces/mbv2.js';
import { ALT_INPUT, type Alternative } from '../transform/alternatives.js';
import {
  type DistillImages,
  type FinetuneOptions,
  networkLatency,
  recoverStudent,
  type ScoredAlternative,
  scoreAlternatives,
  selectAlternatives,
  subgraphLatency,
  type UnitScores,
  unitFeatures,
} from '../transform/hant.js';
import type { Unit } from '../transform/units.js';
import { Rng } from '../util/rng.js';

/** Options of {@link blockwiseSearch}. */
export interface BlockwiseOptions {
  readonly space: Mbv2SpaceOptions;
  readonly target: HardwareTarget;
  /** Default: fp32 when the target runs it, else w8a8. */
  readonly policy?: PrecisionPolicy;
  /** Latency budget as a ratio of the teacher's latency. */
  readonly budgetRatio: number;
  /** Candidate configurations tried per stage (sampled uniformly without repeats; default 12). */
  readonly candidatesPerStage?: number;
  /** Distillation steps per candidate (default 200), batch (32), learning rate (2e-3). */
  readonly steps?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  /** Images used for distillation (default 1024) and held out for scoring (default 256). */
  readonly distillSamples?: number;
  readonly heldOutSamples?: number;
  /** Fine-tuning after assembly (default 1 epoch, lr 5e-4); false to skip. */
  readonly finetune?: FinetuneOptions;
  readonly seed?: number;
  readonly onProgress?: (p: { unit: string; alt: string; done: number; total: number; loss: number; latencyMs: number }) => void;
  /**
   * Quantization-aware block-wise search (QA-BWNAS): every distilled configuration is also scored at each of
   * these precisions (`w<W>a<A>`, the first is the reference, normally `w8a8`); see {@link quantizeStageCandidates}.
   * Latencies are then those of the precisions, and the part outside the stages is costed at {@link FIXED_BITS}.
   */
  readonly precisions?: readonly string[];
  /** Quantization-aware distillation steps per (configuration, precision) (default 50; 0 = post-training quantization only). */
  readonly qaSteps?: number;
  /** Called after each quantized candidate. */
  readonly onQuantProgress?: (done: number, total: number) => void;
}

/** What {@link blockwiseSearch} returns. */
export interface BlockwiseResult {
  /** The chosen student architecture (the space's string). */
  readonly arch: string;
  readonly model: Model;
  readonly stages: readonly {
    readonly stage: number;
    readonly chosen: string;
    readonly loss: number;
    readonly latencyMs: number;
    readonly teacherLatencyMs: number;
    readonly candidates: number;
  }[];
  /** Distillation runs performed (Σ candidates per stage), against the joint space's size. */
  readonly distillations: number;
  readonly jointCombinations: number;
  readonly teacher: { readonly arch: string; readonly accuracy: number; readonly latencyMs: number };
  readonly student: { readonly accuracyBeforeFinetune: number; readonly accuracy: number; readonly latencyMs: number };
  readonly ilpMs: number;
  readonly seconds: number;
}

const stageToken = (blocks: readonly Mbv2Block[]): string =>
  blocks.map((b) => `k${b.kernel}e${b.expansion}${b.act === 'relu' ? 'r' : 'h'}${b.se ? 's' : ''}`).join(',');

/** The scored stage candidates of a teacher (see {@link blockwiseCandidates}). */
export interface BlockwiseCandidates {
  /** The teacher's architecture (the space's string). */
  readonly teacherArch: string;
  /** Per stage: the distilled candidates (candidate 0 is the teacher's own configuration, with its weights). */
  readonly scores: readonly UnitScores[];
  /** Per stage: each candidate's blocks as the stage's part of an architecture string (`k3e1r,k5e3hs`). */
  readonly tokens: readonly (readonly string[])[];
  /** The teacher's whole-network latency and the part of it outside the stages (stem, head). */
  readonly teacherLatencyMs: number;
  readonly fixedMs: number;
  /** Size of the joint space of stage configurations. */
  readonly jointCombinations: number;
  /** The distillation images (also used to recalibrate batch norm of an assembled student). */
  readonly images: DistillImages;
  /**
   * With `precisions`: per stage, every configuration at every precision (configuration-major: candidate
   * `k * precisions.length + p` is configuration k at precision p, so candidate 0 is the teacher's stage at the
   * reference precision); `teacherLatencyMs` and `fixedMs` are then at {@link FIXED_BITS}, and `fixedBytes` is the
   * packed size of the layers outside the stages.
   */
  readonly quantized?: readonly (readonly QuantStageCandidate[])[];
  readonly fixedBytes?: number;
  readonly teacherBytes?: number;
}

/** Precision of the layers outside the searched stages (stem, head, classifier) in the quantization-aware search: INT8. */
export const FIXED_BITS = 'w8a8';

/** Default precisions per stage of the quantization-aware search: INT8 first (the reference), then BitFusion's few-bit pairs. */
export const DEFAULT_STAGE_PRECISIONS: readonly string[] = ['w8a8', 'w4a8', 'w4a4', 'w2a8'];

/** One distilled stage configuration at one precision. */
export interface QuantStageCandidate {
  /** The stage's blocks (`k3e1r,k5e3hs`) and precision label (`w4a8`). */
  readonly blocks: string;
  readonly bits: string;
  /** Relative distillation loss (MSE / Var of the teacher's feature map) on held-out images, weights and activations fake-quantized. */
  readonly loss: number;
  /** The same configuration's loss in float. */
  readonly floatLoss: number;
  /** Latency (ms) of the stage on the target at this precision. */
  readonly latencyMs: number;
  /** Packed bytes of the stage's parameters at this precision (per-channel float scales, float biases and batch norm). */
  readonly bytes: number;
  /** The stage's weights after quantization-aware distillation (its float weights when `qaSteps` is 0). */
  readonly weights: Weights;
}

/** Options of {@link quantizeStageCandidates}. */
export interface QuantizeStageOptions {
  readonly target: HardwareTarget;
  /** Precision labels `w<W>a<A>`. */
  readonly precisions: readonly string[];
  /** Quantization-aware distillation steps from the float-distilled weights (default 50; 0: post-training quantization only, the paper's). */
  readonly qaSteps?: number;
  readonly batchSize?: number;
  /** Default 2e-4 (a tenth of the float distillation's rate: the weights are already distilled). */
  readonly lr?: number;
  /** Stage inputs the activation ranges are calibrated on (default 256, MSE-optimal ranges as `hwnas quantize`). */
  readonly calibImages?: number;
  readonly seed?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Each distilled stage configuration at each precision: the stage's activation ranges are calibrated on the
 * teacher's feature maps entering the stage (MSE), weights (per output channel) and the activations feeding its
 * conv layers (including the stage input) are fake-quantized, the stage is distilled `qaSteps` more steps under
 * quantization (straight-through gradients, fixed grids) and scored by its relative loss on held-out images.
 */
export function quantizeStageCandidates(
  teacher: Model,
  scores: readonly UnitScores[],
  images: DistillImages,
  o: QuantizeStageOptions,
): QuantStageCandidate[][] {
  if (o.precisions.length === 0) throw new ConfigError('quantized block-wise search: no precisions given (expected labels like w8a8, w4a8)');
  const policies = o.precisions.map((label) => {
    const p = parsePrecisionLabel(label);
    const pol = uniformPolicy(p.weightBits, p.actBits, label);
    checkPolicyBits(pol, o.target.supportedBits, o.target.name, `precision '${label}'`);
    return { label, pol };
  });
  const qaSteps = o.qaSteps ?? 50;
  if (!Number.isInteger(qaSteps) || qaSteps < 0) throw new ConfigError(`qaSteps ${qaSteps}: expected a non-negative integer`);
  const rng = new Rng((o.seed ?? 0) + 7919);
  const total = scores.reduce((s, u) => s + u.alternatives.length, 0) * policies.length;
  let done = 0;
  return scores.map((u) => {
    const tr = unitFeatures(teacher, u.unit, images.train.x, images.train.n);
    const ho = unitFeatures(teacher, u.unit, images.heldOut.x, images.heldOut.n);
    const nCal = Math.min(o.calibImages ?? 256, images.train.n);
    const out: QuantStageCandidate[] = [];
    for (const a of u.alternatives) {
      const coster = new PolicyCoster(a.alt.graph, o.target);
      for (const { label, pol: policy } of policies) {
        const seed = rng.nextU32();
        const m = buildModel({ graph: a.alt.graph, weights: a.weights });
        try {
          const cal = calibrateActivations(m, tr.input, nCal, 'mse');
          const cfg = quantConfig(m.graph, policy, cal);
          m.hooks = quantHooks(cfg);
          if (qaSteps > 0 && m.trainableKeys.length > 0)
            distill(m, { x: tr.input, target: tr.output, n: images.train.n }, { steps: qaSteps, batchSize: o.batchSize ?? 32, lr: o.lr ?? 2e-4, seed });
          const e = featureMse(m, { x: ho.input, target: ho.output, n: images.heldOut.n });
          out.push({
            blocks: a.alt.name,
            bits: label,
            loss: e.targetVar > 0 ? e.mse / e.targetVar : e.mse,
            floatLoss: a.loss,
            latencyMs: subgraphLatency(o.target, a.alt.graph, policy),
            bytes: coster.policyCost(policy).size,
            weights: m.getWeights(),
          });
        } finally {
          m.dispose();
        }
        o.onProgress?.(++done, total);
      }
    }
    return out;
  });
}

/**
 * The costly half of the block-wise search: every stage's candidate configurations sampled, distilled from
 * the teacher's stage (input and target: the teacher's feature maps on real images) and scored by relative
 * distillation loss and latency on the target. Deterministic for a seed.
 */
export function blockwiseCandidates(
  teacher: Model,
  teacherArch: string,
  data: { train: Split; val: Split },
  opts: Omit<BlockwiseOptions, 'budgetRatio' | 'finetune'>,
): BlockwiseCandidates {
  const space = mbv2Space(opts.space);
  const tArch = space.parse(teacherArch);
  const quant = opts.precisions !== undefined;
  const fixed = parsePrecisionLabel(FIXED_BITS);
  const policy = quant ? uniformPolicy(fixed.weightBits, fixed.actBits, FIXED_BITS) : (opts.policy ?? defaultPolicy(opts.target));
  const shapes = inferShapes(teacher.graph);
  const byName = new Map(teacher.graph.nodes.map((n) => [n.name, n]));
  const rng = new Rng(opts.seed ?? 0);
  const o = opts.space;
  const acts: readonly Mbv2Act[] = o.acts ?? ['relu', 'hswish'];
  const ses = o.se === false ? [false] : [false, true];
  const perStage = opts.candidatesPerStage ?? 12;
  const units: Unit[] = [];
  const pools = new Map<string, Alternative[]>();
  let joint = 1;
  o.stages.forEach((st, i) => {
    const prefix = `s${i + 1}b`;
    const nodes = teacher.graph.nodes.filter((n) => n.name.startsWith(prefix)).map((n) => n.name);
    if (nodes.length === 0)
      throw new ConfigError(
        `blockwise: teacher '${teacher.graph.name}' has no nodes of stage ${i + 1} (expected names '${prefix}<j>_...' as the mbv2 space builds them)`,
      );
    const first = byName.get(nodes[0] as string);
    const input = first?.inputs[0] as string;
    const output = nodes[nodes.length - 1] as string;
    const inShape = shapes.get(input) as Shape;
    const outShape = shapes.get(output) as Shape;
    const unit: Unit = { name: `stage${i + 1}`, input, nodes, output, inShape, outShape, finalAct: null, kind: 'conv' };
    units.push(unit);
    const out = outShape[0] as number;
    const perBlock = o.kernels.length * o.expansions.length * acts.length * ses.length;
    let size = 0;
    for (let d = st.minDepth; d <= st.maxDepth; d++) size += perBlock ** d;
    joint *= size;
    const seen = new Set<string>();
    const alts: Alternative[] = [];
    const teacherBlocks = tArch.stages[i] as readonly Mbv2Block[];
    const tries: Mbv2Block[][] = [[...teacherBlocks]];
    for (let k = 0; k < perStage * 20 && tries.length < perStage + 1; k++) {
      tries.push(
        Array.from({ length: rng.int(st.minDepth, st.maxDepth) }, () => ({
          kernel: rng.choice(o.kernels),
          expansion: rng.choice(o.expansions),
          se: rng.choice(ses),
          act: rng.choice(acts),
        })),
      );
    }
    for (const blocks of tries) {
      const tok = stageToken(blocks);
      if (seen.has(tok) || alts.length >= perStage) continue;
      seen.add(tok);
      const b = new GraphBuilder(`stage${i + 1}:${tok}`, inShape, ALT_INPUT);
      let x = b.input;
      blocks.forEach((bk, j) => {
        x = addInvertedResidual(b, x, out, j === 0 ? st.stride : 1, bk, `${prefix}${j + 1}`);
      });
      const g = b.build();
      if (alts.length === 0) {
        // the teacher's own configuration, with its weights: loss 0, keeps the teacher's latency feasible
        const names = new Set(g.nodes.map((n) => n.name));
        const tw: Weights = new Map([...teacher.weights].filter(([k]) => names.has(k.slice(0, k.lastIndexOf('.')))));
        alts.push({ name: tok, family: 'teacher', graph: { ...g, outputs: [x] }, weights: tw });
      } else alts.push({ name: tok, family: 'conv', graph: { ...g, outputs: [x] } });
    }
    pools.set(unit.name, alts);
  });
  const per = (shapes.get(teacher.graph.nodes[0]?.name as string) as Shape).reduce((a, b) => a * b, 1);
  const nTrain = Math.min(opts.distillSamples ?? 1024, data.train.n);
  const nHeld = Math.min(opts.heldOutSamples ?? 256, data.val.n);
  const images: DistillImages = {
    train: { x: data.train.x.subarray(0, nTrain * per), n: nTrain },
    heldOut: { x: data.val.x.subarray(0, nHeld * per), n: nHeld },
  };
  const scores: UnitScores[] = scoreAlternatives(
    teacher,
    units,
    images,
    {
      target: opts.target,
      policy,
      steps: opts.steps ?? 200,
      batchSize: opts.batchSize ?? 32,
      lr: opts.lr ?? 2e-3,
      seed: opts.seed ?? 0,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    },
    pools,
  );
  const teacherLatencyMs = networkLatency(opts.target, teacher.graph, policy);
  // the teacher's own stage configuration is always candidate 0: its latency is the teacher's stage latency
  const teacherStage = scores.map((u) => (u.alternatives[0] as ScoredAlternative).latencyMs);
  let q: Pick<BlockwiseCandidates, 'quantized' | 'fixedBytes' | 'teacherBytes'> = {};
  if (quant) {
    const quantized = quantizeStageCandidates(teacher, scores, images, {
      target: opts.target,
      precisions: opts.precisions as readonly string[],
      ...(opts.qaSteps !== undefined ? { qaSteps: opts.qaSteps } : {}),
      batchSize: opts.batchSize ?? 32,
      seed: opts.seed ?? 0,
      ...(opts.onQuantProgress ? { onProgress: opts.onQuantProgress } : {}),
    });
    const teacherBytes = new PolicyCoster(teacher.graph, opts.target).policyCost(policy).size;
    // candidate 0 of every stage: the teacher's configuration at the first precision; its bytes at FIXED_BITS come from the float pool's graph
    const stageBytes = scores.map((u) => new PolicyCoster((u.alternatives[0] as ScoredAlternative).alt.graph, opts.target).policyCost(policy).size);
    q = { quantized, teacherBytes, fixedBytes: teacherBytes - stageBytes.reduce((a, b) => a + b, 0) };
  }
  return {
    ...q,
    teacherArch: space.format(tArch),
    scores,
    tokens: scores.map((u) => (pools.get(u.unit.name) as Alternative[]).map((a) => a.name)),
    teacherLatencyMs,
    fixedMs: teacherLatencyMs - teacherStage.reduce((a, b) => a + b, 0),
    jointCombinations: joint,
    images,
  };
}

/** A student of the teacher's skeleton: the teacher's stem and head weights, each stage's weights from `stageWeights` (names as the space builds them). */
export function assembleBlockwiseStudent(teacher: Model, space: Mbv2SpaceOptions, arch: string, stageWeights: readonly Weights[]): Model {
  const graph = mbv2Space(space).graph(mbv2Space(space).parse(arch));
  const weights: Weights = new Map();
  for (const [k, v] of teacher.weights) if (!/^s\d+b\d+_/.test(k)) weights.set(k, v);
  for (const w of stageWeights) for (const [k, v] of w) weights.set(k, v);
  return { graph, weights };
}

/**
 * Block-wise search of a student in `opts.space` against a trained teacher of the same skeleton.
 * @example const r = await blockwiseSearch(teacher, teacherArch, ds, { space: MBV2_SMALL, target, budgetRatio: 0.7 });
 */
export async function blockwiseSearch(
  teacher: Model,
  teacherArch: string,
  data: { train: Split; val: Split; test: Split },
  opts: BlockwiseOptions,
): Promise<BlockwiseResult> {
  const t0 = performance.now();
  const space = mbv2Space(opts.space);
  const tArch = space.parse(teacherArch);
  const policy = opts.policy ?? defaultPolicy(opts.target);
  const c = blockwiseCandidates(teacher, teacherArch, data, opts);
  const { scores, images } = c;
  const teacherLatency = c.teacherLatencyMs;
  const teacherStage = scores.map((u) => (u.alternatives[0] as ScoredAlternative).latencyMs);
  const sel = await selectAlternatives(scores, opts.budgetRatio * teacherLatency, c.fixedMs);
  const stages = scores.map((_, i) => parseStageToken(c.tokens[i]?.[sel.choice[i] as number] as string));
  const arch: Mbv2Arch = { inputSize: tArch.inputSize, width: tArch.width, stages };
  const graph = space.graph(arch);
  let model = assembleBlockwiseStudent(
    teacher,
    opts.space,
    space.format(arch),
    scores.map((u, i) => (u.alternatives[sel.choice[i] as number] as ScoredAlternative).weights),
  );
  const tm = buildModel(teacher);
  const teacherAcc = tm.evaluate(data.test.x, data.test.y, data.test.n).accuracy;
  tm.dispose();
  const rec = await recoverStudent(model, data, images.train, opts.finetune, opts.seed ?? 0);
  model = rec.model;
  const { before, after } = rec;
  return {
    arch: space.format(arch),
    model,
    stages: scores.map((u, i) => {
      const a = u.alternatives[sel.choice[i] as number] as ScoredAlternative;
      return {
        stage: i + 1,
        chosen: a.alt.name,
        loss: a.loss,
        latencyMs: a.latencyMs,
        teacherLatencyMs: teacherStage[i] as number,
        candidates: u.alternatives.length,
      };
    }),
    distillations: scores.reduce((s, u) => s + u.alternatives.length - 1, 0),
    jointCombinations: c.jointCombinations,
    teacher: { arch: space.format(tArch), accuracy: teacherAcc, latencyMs: teacherLatency },
    student: { accuracyBeforeFinetune: before, accuracy: after, latencyMs: networkLatency(opts.target, graph, policy) },
    ilpMs: sel.solveMs,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The blocks of a stage token (`k3e1r,k5e3hs`: kernel, expansion, r = ReLU / h = h-swish, s = squeeze-excite); ConfigError when malformed. */
export function parseStageToken(token: string): Mbv2Block[] {
  return token.split(',').map((b) => {
    const m = /^k(\d+)e(\d+)([rh])(s?)$/.exec(b);
    if (!m) throw new ConfigError(`stage token '${token}': block '${b}' is not k<kernel>e<expansion>(r|h)[s]`);
    return { kernel: Number(m[1]), expansion: Number(m[2]), act: m[3] === 'r' ? 'relu' : 'hswish', se: m[4] === 's' };
  });
}
