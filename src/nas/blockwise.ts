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
import { buildModel } from '../engine/model.js';
import { ConfigError } from '../errors.js';
import { defaultPolicy, type PrecisionPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import { GraphBuilder } from '../ir/builder.js';
import { inferShapes } from '../ir/shapes.js';
import type { Model, Shape, Weights } from '../ir/types.js';
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
  type UnitScores,
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
  const policy = opts.policy ?? defaultPolicy(opts.target);
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
  return {
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
