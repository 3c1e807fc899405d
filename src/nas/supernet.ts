/**
 * One-shot supernet with weight sharing over the MobileNetV2-style macro space (src/search/spaces/mbv2.ts),
 * trained by single-path uniform sampling (SPOS, Guo et al. 2020; the evaluator of HURRICANE, SEEDS S4).
 *
 * Weight sharing: **slicing** (weight entanglement). One set of weights is kept for the largest choice
 * of every block slot (largest kernel, largest expansion, squeeze-excite on, every block of the deepest
 * stage present), in the IR's ONNX layouts, keyed by the node names the space's graph builder gives
 * (`s<stage>b<block>_expand`, `_dw`, `_project`, `_se_*`, `stem`, `head`, `fc`). A path (one
 * architecture) uses the leading output/input channels of each tensor and the centred kxk window of
 * each spatial kernel: a 3x3 depthwise filter is the centre of the 7x7 one, expansion 3 uses the first
 * 3*C hidden channels of expansion 6. Slicing was picked over separate per-choice weights because it
 * keeps the supernet the size of the largest network and every step trains the weights all smaller
 * choices share (with 9 kernel x expansion choices per block, separate weights would see 1/9 of the
 * updates each). Activation choice (ReLU / hard-swish) has no weights.
 *
 * Training: each step samples one path uniformly (depth per stage, then kernel, expansion, SE and
 * activation per block) with a seeded {@link Rng}, builds it, computes the cross-entropy gradient on
 * one batch and applies Adam to the sliced elements only (untouched elements keep their moments).
 * Batch-norm running statistics are not trained: every candidate is evaluated with inherited weights
 * after {@link recalibrateBatchNorm} on training images (SPOS's recalibration), then the best one is
 * retrained from scratch ({@link retrainFromScratch}).
 */
import type { Dataset, Split } from '../data/types.js';
import { recalibrateBatchNorm } from '../engine/distill.js';
import { buildModel, type EngineModel } from '../engine/model.js';
import { learningRate } from '../engine/optim.js';
import { train } from '../engine/train.js';
import { computeGradients, flatLayout } from '../engine/train-step.js';
import { ConfigError } from '../errors.js';
import { defaultPolicy, type PrecisionPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import { initWeights, weightShapes } from '../ir/init.js';
import type { Graph, Model, Weights, WeightTensor } from '../ir/types.js';
import { graphTotals, graphWorkloads } from '../ir/workload.js';
import { blockToken, type Mbv2Act, type Mbv2Arch, type Mbv2Block, type Mbv2SpaceOptions, mbv2Space } from '../search/spaces/mbv2.js';
import type { ArchSpace } from '../search/spaces/types.js';
import type { Objective } from '../search/types.js';
import type { EvaluationResult, Evaluator } from '../study/run-study.js';
import { Rng } from '../util/rng.js';
import { type ArchLatencyOptions, archLatencyMs } from './cost.js';
import { metricsResult } from './objectives.js';
import { splitAtSizes } from './train-eval.js';

/**
 * The choices of one supernet (a MobileNetV2-style space). With `inputSize` / `width` given, every path
 * uses that value; without, they are elastic: paths sample them too (narrower widths use the leading
 * channels of the widest, as in once-for-all; convolution weights do not depend on the input size).
 */
export interface SupernetSpec {
  readonly space: Mbv2SpaceOptions;
  /** Fixed input size (default: elastic over the space's input sizes). */
  readonly inputSize?: number;
  /** Fixed width multiplier (default: elastic over the space's widths). */
  readonly width?: number;
}

/** The largest architecture of a spec: every slot present at its largest kernel and expansion, SE on, widest. */
export function largestArch(spec: SupernetSpec): Mbv2Arch {
  const o = spec.space;
  const big: Mbv2Block = { kernel: Math.max(...o.kernels), expansion: Math.max(...o.expansions), se: o.se !== false, act: (o.acts ?? ['relu'])[0] as Mbv2Act };
  return {
    inputSize: spec.inputSize ?? Math.max(...o.inputSizes),
    width: spec.width ?? Math.max(...o.widths),
    stages: o.stages.map((st) => Array.from({ length: st.maxDepth }, () => big)),
  };
}

/** A uniformly sampled path (SPOS): input size and width when elastic, depth per stage, then every block's choices. */
export function samplePath(spec: SupernetSpec, rng: Rng): Mbv2Arch {
  const o = spec.space;
  const acts: readonly Mbv2Act[] = o.acts ?? ['relu', 'hswish'];
  const ses = o.se === false ? [false] : [false, true];
  const inputSize = spec.inputSize ?? rng.choice(o.inputSizes);
  const width = spec.width ?? rng.choice(o.widths);
  return {
    inputSize,
    width,
    stages: o.stages.map((st) =>
      Array.from({ length: rng.int(st.minDepth, st.maxDepth) }, () => ({
        kernel: rng.choice(o.kernels),
        expansion: rng.choice(o.expansions),
        se: rng.choice(ses),
        act: rng.choice(acts),
      })),
    ),
  };
}

/**
 * SPOS's cost-binned sampling: the range of `cost` (e.g. MACs) over `probe` uniform paths is cut into `bins`
 * bins of equal width; each step picks a bin uniformly and draws uniform paths until one falls in it (at most
 * 100 draws, then the draw nearest to the bin). Most random paths are cheap (narrow, shallow), so uniform path
 * sampling over-trains them; binned sampling gives every cost level the same share of the steps.
 */
export function binnedSampler(
  spec: SupernetSpec,
  cost: (a: Mbv2Arch) => number,
  o: { bins?: number; probe?: number; seed?: number } = {},
): (rng: Rng) => Mbv2Arch {
  const bins = o.bins ?? 5;
  if (!(Number.isInteger(bins) && bins >= 1)) throw new ConfigError(`binned sampling: bins ${bins}: expected an integer >= 1`);
  const pr = new Rng(o.seed ?? 7);
  const costs = Array.from({ length: o.probe ?? 400 }, () => cost(samplePath(spec, pr)));
  const lo = Math.min(...costs);
  const width = (Math.max(...costs) - lo) / bins || 1;
  const binOf = (c: number): number => Math.min(bins - 1, Math.max(0, Math.floor((c - lo) / width)));
  return (rng) => {
    const want = rng.int(0, bins - 1);
    let best = samplePath(spec, rng);
    let gap = Math.abs(binOf(cost(best)) - want);
    for (let k = 1; k < 100 && gap > 0; k++) {
      const a = samplePath(spec, rng);
      const g = Math.abs(binOf(cost(a)) - want);
      if (g < gap) {
        best = a;
        gap = g;
      }
    }
    return best;
  };
}

/**
 * A path's MACs from per-block tables, for {@link binnedSampler} (which counts the MACs of up to 100 drawn
 * paths per step). A block's MACs depend only on its own choices and its context: the input size, the width,
 * its stage and whether it opens the stage (every stage has at least one block, so these set its input
 * channels, output channels, stride and spatial size); the fixed part (stem, head, classifier) depends on the
 * input size and width only. Each table entry is filled from the IR's own workloads ({@link graphWorkloads}, nodes
 * attributed to blocks by the space's `slotOf`) the first time its context is seen, so the sum equals
 * `graphTotals(net.graph(a)).macs` exactly. On `mbv2-micro` (elastic size and width) the table holds about
 * 4,000 entries and is full after a few thousand draws, i.e. early in a 1,000-step binned training.
 */
export function pathMacsTable(net: Supernet): { macs: (a: Mbv2Arch) => number; entries: () => number; graphsBuilt: () => number } {
  const table = new Map<string, number>();
  let built = 0;
  const keys = (a: Mbv2Arch): { fixed: string; blocks: Map<string, string> } => {
    const ctx = `${net.spec.inputSize ?? a.inputSize}|${net.spec.width ?? a.width}`;
    const blocks = new Map<string, string>();
    a.stages.forEach((st, i) => {
      st.forEach((b, j) => blocks.set(`s${i + 1}b${j + 1}`, `${ctx}|${i}|${j === 0 ? 1 : 0}|${blockToken(b)}`));
    });
    return { fixed: `${ctx}|fixed`, blocks };
  };
  const macs = (a: Mbv2Arch): number => {
    const k = keys(a);
    let sum = table.get(k.fixed);
    for (const key of k.blocks.values()) {
      if (sum === undefined) break;
      const v = table.get(key);
      sum = v === undefined ? undefined : sum + v;
    }
    if (sum !== undefined) return sum;
    built++;
    const per = new Map<string, number>([[k.fixed, 0], ...[...k.blocks.values()].map((key) => [key, 0] as [string, number])]);
    let total = 0;
    for (const w of graphWorkloads(net.graph(a))) {
      const slot = net.archSpace.slotOf(w.node);
      const key = (slot !== undefined ? k.blocks.get(slot) : undefined) ?? k.fixed;
      per.set(key, (per.get(key) as number) + w.macs);
      total += w.macs;
    }
    for (const [key, v] of per) table.set(key, v);
    return total;
  };
  return { macs, entries: () => table.size, graphsBuilt: () => built };
}

/** Copies the leading channels and the centred spatial window of `src` into a tensor of shape `shape`. */
export function sliceTensor(src: WeightTensor, shape: readonly number[]): WeightTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  forEachSliced(src.shape, shape, (si, di) => {
    data[di] = src.data[si] as number;
  });
  return { shape: [...shape], data };
}

/** Calls `f(srcIndex, dstIndex)` for every element of the slice of shape `shape` within `full`. */
function forEachSliced(full: readonly number[], shape: readonly number[], f: (si: number, di: number) => void): void {
  if (full.length !== shape.length || shape.some((v, i) => v > (full[i] as number))) {
    throw new ConfigError(`supernet: cannot slice [${shape.join(',')}] from shared tensor [${full.join(',')}]`);
  }
  const r = shape.length;
  // leading channels on axes 0-1; centred window on spatial axes 2-3
  const off = shape.map((v, i) => (i >= 2 ? ((full[i] as number) - v) >> 1 : 0));
  const strides = new Array<number>(r).fill(1);
  for (let i = r - 2; i >= 0; i--) strides[i] = (strides[i + 1] as number) * (full[i + 1] as number);
  const total = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(r).fill(0);
  for (let d = 0; d < total; d++) {
    let s = 0;
    for (let k = 0; k < r; k++) s += ((idx[k] as number) + (off[k] as number)) * (strides[k] as number);
    f(s, d);
    for (let k = r - 1; k >= 0; k--) {
      idx[k] = (idx[k] as number) + 1;
      if ((idx[k] as number) < (shape[k] as number)) break;
      idx[k] = 0;
    }
  }
}

/** Options of {@link Supernet.train}. */
export interface SupernetTrainOptions {
  readonly steps: number;
  /** Default 64. */
  readonly batchSize?: number;
  /** Peak Adam learning rate (default 2e-3), cosine schedule. */
  readonly lr?: number;
  readonly seed?: number;
  /**
   * The path of each step (default: {@link samplePath}, uniform over the whole space). A staged search
   * (HURRICANE) trains a smaller supernet by sampling only its stage's part, the rest fixed.
   */
  readonly sampler?: (rng: Rng) => Mbv2Arch;
  readonly onStep?: (p: { step: number; steps: number; loss: number; arch: string }) => void;
}

/** Accuracy of one candidate with inherited weights. */
export interface CandidateEval {
  readonly arch: string;
  readonly accuracy: number;
  readonly loss: number;
  readonly latencyMs: number;
}

/** A weight-sharing supernet over a MobileNetV2-style space (see the module comment). */
export class Supernet {
  /** The architecture space (the nas engineer's mbv2 space with this spec's skeleton). */
  readonly archSpace: ReturnType<typeof mbv2Space>;
  /** Shared weights of the largest choices (IR layouts). */
  readonly weights: Weights;
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();
  private readonly t = new Map<string, Float64Array>();
  /** Steps trained so far. */
  steps = 0;

  constructor(
    readonly spec: SupernetSpec,
    seed = 0,
  ) {
    this.archSpace = mbv2Space(spec.space);
    const big = this.archSpace.graph(largestArch(spec));
    this.weights = initWeights(big, new Rng(seed));
  }

  /** The IR graph of an architecture (at the spec's input size and width where those are fixed). */
  graph(arch: Mbv2Arch): Graph {
    return this.archSpace.graph({ ...arch, inputSize: this.spec.inputSize ?? arch.inputSize, width: this.spec.width ?? arch.width });
  }

  /** The path's model with weights inherited (sliced) from the supernet. */
  subnet(arch: Mbv2Arch | string): Model {
    const a = typeof arch === 'string' ? this.archSpace.parse(arch) : arch;
    const graph = this.graph(a);
    const fresh = initWeights(graph, new Rng(0));
    const weights: Weights = new Map();
    for (const [key, w] of fresh) {
      const src = this.weights.get(key);
      if (!src) throw new ConfigError(`supernet: architecture '${this.archSpace.format(a)}' needs weight '${key}' that the supernet does not hold`);
      weights.set(key, sliceTensor(src, w.shape));
    }
    return { graph, weights };
  }

  /**
   * Trains the shared weights by single-path uniform sampling; returns the mean loss of the last 10% of
   * steps. `data` is one split, or (elastic input size) a function giving the same samples at a size.
   */
  train(dataOrAt: Split | ((inputSize: number) => Split), opts: SupernetTrainOptions): { loss: number; seconds: number } {
    const t0 = performance.now();
    const rng = new Rng(opts.seed ?? 0);
    const at = typeof dataOrAt === 'function' ? dataOrAt : (): Split => dataOrAt;
    const n = at(largestArch(this.spec).inputSize).n;
    const bs = Math.min(opts.batchSize ?? 64, n);
    const classes = 10;
    const order = Array.from({ length: n }, (_, i) => i);
    let pos = n;
    const losses: number[] = [];
    const schedule = { kind: 'cosine', lr: opts.lr ?? 2e-3, totalSteps: opts.steps } as const;
    for (let step = 0; step < opts.steps; step++) {
      const arch = opts.sampler ? opts.sampler(rng) : samplePath(this.spec, rng);
      const model = this.subnet(arch);
      const em = buildModel(model);
      try {
        const data = at(this.spec.inputSize ?? arch.inputSize);
        if (data.n !== n)
          throw new ConfigError(
            `supernet: the training data at input size ${arch.inputSize} has ${data.n} samples, expected ${n} (the same samples at every size)`,
          );
        const per = data.x.length / data.n;
        const k = em.outputShape[0] ?? classes;
        const x = new Float32Array(bs * per);
        const y = new Float32Array(bs * k);
        for (let i = 0; i < bs; i++) {
          if (pos >= n) {
            rng.shuffle(order);
            pos = 0;
          }
          const s = order[pos++] as number;
          x.set(data.x.subarray(s * per, (s + 1) * per), i * per);
          y[i * k + (data.y[s] as number)] = 1;
        }
        const xin = em.inputTensor(x, bs);
        const xe = xin.dataSync() as Float32Array;
        xin.dispose();
        const layout = flatLayout(em);
        const grads = new Float32Array(layout.total);
        const stats = new Float32Array(layout.statsTotal);
        const loss = computeGradients(em, layout, xe, y, bs, 0, grads, stats);
        if (!Number.isFinite(loss)) throw new ConfigError(`supernet training diverged at step ${step} (loss ${loss}); lower lr`);
        losses.push(loss);
        this.applyGradients(em, layout, grads, learningRate(schedule, step));
        opts.onStep?.({ step, steps: opts.steps, loss, arch: this.archSpace.format(arch) });
      } finally {
        em.dispose();
      }
      this.steps++;
    }
    const k = Math.max(1, Math.floor(losses.length / 10));
    const tail = losses.slice(-k);
    return { loss: tail.reduce((a, b) => a + b, 0) / tail.length, seconds: (performance.now() - t0) / 1000 };
  }

  /** Adam on the sliced elements of the shared weights (gradients given in engine layout, flat). */
  private applyGradients(em: EngineModel, layout: ReturnType<typeof flatLayout>, grads: Float32Array, lr: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    const eps = 1e-8;
    layout.keys.forEach((key, i) => {
      const off = layout.offsets[i] as number;
      const g = em.toIrLayout(key, grads.subarray(off, off + (layout.sizes[i] as number)));
      const shared = this.weights.get(key) as WeightTensor;
      const n = shared.data.length;
      let m = this.m.get(key);
      let v = this.v.get(key);
      let t = this.t.get(key);
      if (!m || !v || !t) {
        m = new Float64Array(n);
        v = new Float64Array(n);
        t = new Float64Array(n);
        this.m.set(key, m);
        this.v.set(key, v);
        this.t.set(key, t);
      }
      const mm = m;
      const vv = v;
      const tt = t;
      const shape = irShapeOf(em, key);
      forEachSliced(shared.shape, shape, (si, di) => {
        const gi = g[di] as number;
        const ti = (tt[si] as number) + 1;
        tt[si] = ti;
        const mi = b1 * (mm[si] as number) + (1 - b1) * gi;
        const vi = b2 * (vv[si] as number) + (1 - b2) * gi * gi;
        mm[si] = mi;
        vv[si] = vi;
        shared.data[si] = (shared.data[si] as number) - (lr * (mi / (1 - b1 ** ti))) / (Math.sqrt(vi / (1 - b2 ** ti)) + eps);
      });
    });
  }

  /**
   * Accuracy of a candidate with inherited weights after batch-norm recalibration on `calib` images
   * (splits, or functions giving them at the candidate's input size).
   */
  evaluate(
    arch: Mbv2Arch | string,
    calibAt: SplitAt,
    evalAt: SplitAt,
    opts: { calibSamples?: number; target?: HardwareTarget; policy?: PrecisionPolicy } = {},
  ): CandidateEval {
    const a = typeof arch === 'string' ? this.archSpace.parse(arch) : arch;
    const model = this.subnet(a);
    const size = this.spec.inputSize ?? a.inputSize;
    const calib = typeof calibAt === 'function' ? calibAt(size) : calibAt;
    const evalData = typeof evalAt === 'function' ? evalAt(size) : evalAt;
    const em = buildModel(model);
    try {
      recalibrateBatchNorm(em, calib.x, calib.n, { maxSamples: opts.calibSamples ?? 512 });
      const r = em.evaluate(evalData.x, evalData.y, evalData.n);
      const latencyMs = opts.target && opts.policy ? opts.target.networkCost(model.graph, opts.policy).latencyMs : NaN;
      return {
        arch: typeof arch === 'string' ? this.archSpace.format(this.archSpace.parse(arch)) : this.archSpace.format(arch),
        accuracy: r.accuracy,
        loss: r.loss,
        latencyMs,
      };
    } finally {
      em.dispose();
    }
  }
}

/** A split, or a function giving the same samples at an input size (elastic supernets). */
export type SplitAt = Split | ((inputSize: number) => Split);

const irShapes = new WeakMap<EngineModel, Map<string, readonly number[]>>();

function irShapeOf(em: EngineModel, key: string): readonly number[] {
  let m = irShapes.get(em);
  if (!m) {
    m = weightShapes(em.graph);
    irShapes.set(em, m);
  }
  return m.get(key) as readonly number[];
}

/** Options of {@link searchSupernet}. */
export interface SupernetSearchOptions {
  /** Candidates sampled uniformly and evaluated with inherited weights. */
  readonly candidates: number;
  readonly target: HardwareTarget;
  readonly policy: PrecisionPolicy;
  /** Keep only candidates at or under this latency (ms). */
  readonly maxLatencyMs?: number;
  readonly seed?: number;
  readonly calibSamples?: number;
}

/**
 * Samples candidates, evaluates each with inherited weights (BN recalibrated) and its latency on the
 * target; returns them sorted by accuracy (best first), those over `maxLatencyMs` dropped.
 */
export function searchSupernet(net: Supernet, calib: SplitAt, evalData: SplitAt, opts: SupernetSearchOptions): CandidateEval[] {
  const rng = new Rng(opts.seed ?? 1);
  const seen = new Set<string>();
  const out: CandidateEval[] = [];
  for (let i = 0; i < opts.candidates * 20 && seen.size < opts.candidates; i++) {
    const a = samplePath(net.spec, rng);
    const s = net.archSpace.format(a);
    if (seen.has(s)) continue;
    seen.add(s);
    const lat = opts.target.networkCost(net.graph(a), opts.policy).latencyMs;
    if (opts.maxLatencyMs !== undefined && lat > opts.maxLatencyMs) continue;
    out.push(
      net.evaluate(a, calib, evalData, {
        target: opts.target,
        policy: opts.policy,
        ...(opts.calibSamples !== undefined ? { calibSamples: opts.calibSamples } : {}),
      }),
    );
  }
  return out.sort((a, b) => b.accuracy - a.accuracy);
}

/** Trains an architecture of the supernet's space from scratch (fresh seeded weights); returns test accuracy and the model. */
export async function retrainFromScratch(
  net: Supernet,
  arch: string,
  data: { train: Split; test: Split },
  opts: { epochs: number; seed?: number; lr?: number; batchSize?: number; workers?: 1 | 2 | 'auto' },
): Promise<{ model: Model; accuracy: number }> {
  const graph = net.graph(net.archSpace.parse(arch));
  const em = buildModel({ graph, weights: initWeights(graph, new Rng(opts.seed ?? 0)) });
  try {
    await train(em, data.train, {
      epochs: opts.epochs,
      seed: opts.seed ?? 0,
      lr: opts.lr ?? 2e-3,
      batchSize: opts.batchSize ?? 128,
      workers: opts.workers ?? 'auto',
    });
    return { model: em.toModel(), accuracy: em.evaluate(data.test.x, data.test.y, data.test.n).accuracy };
  } finally {
    em.dispose();
  }
}

/** Metrics the supernet evaluator can report (objective names). */
export const SUPERNET_METRICS = ['accuracy', 'loss', 'latency_ms', 'energy_mj', 'macs', 'params'] as const;

/** Options of {@link supernetEvaluator}. */
export interface SupernetEvaluatorOptions {
  /** The study's space: an mbv2-style space (its skeleton and choices become the supernet's). */
  readonly space: ArchSpace;
  readonly dataset: Dataset;
  readonly target: HardwareTarget;
  readonly objectives: readonly Objective[];
  /** SPOS training steps of the supernet, run once before the first evaluation (default 1000). */
  readonly steps?: number;
  /** Default 64. */
  readonly batchSize?: number;
  /** Default 2e-3 (Adam, cosine). */
  readonly lr?: number;
  /** Seed of the supernet's weights and path sampling (default 0). */
  readonly seed?: number;
  /** Training images for batch-norm recalibration per candidate (default 512). */
  readonly calibSamples?: number;
  /** Path sampling while training the supernet: 'uniform' (default) or 'macs-bins' ({@link binnedSampler} over 5 MACs bins). */
  readonly sampling?: 'uniform' | 'macs-bins';
  /** Validation images each candidate is scored on (default: the whole validation split). */
  readonly evalSamples?: number;
  /** Precision for latency (default: fp32 where the target runs it, else w8a8). */
  readonly policy?: PrecisionPolicy;
  /** How latency is taken (default: the target's cost model; `{ mode: 'network' }` times the whole network on host-cpu). */
  readonly latency?: ArchLatencyOptions;
  /** Trials over this latency (ms) are infeasible (constraint `latency - max`). */
  readonly maxLatencyMs?: number;
  /** A trained supernet of the same space to use instead of training one. */
  readonly supernet?: Supernet;
  readonly onTrainStep?: SupernetTrainOptions['onStep'];
}

/** An {@link Evaluator} plus access to its (lazily trained) supernet. */
export type SupernetEvaluator = Evaluator & {
  /** The supernet, trained on first use. */
  supernet(): Promise<Supernet>;
};

/**
 * An evaluator for `hwnas nas --evaluator supernet`: trains one SPOS supernet over the study's mbv2 space
 * (elastic width and input size) on the training split, then scores every trial with inherited weights
 * after batch-norm recalibration, on the validation split, and costs it on the target. Trial seeds do not
 * matter: a trial's accuracy depends only on the supernet.
 */
export function supernetEvaluator(o: SupernetEvaluatorOptions): SupernetEvaluator {
  for (const ob of o.objectives) {
    if (!(SUPERNET_METRICS as readonly string[]).includes(ob.name))
      throw new ConfigError(`objective '${ob.name}' cannot be measured by the supernet evaluator: expected one of ${SUPERNET_METRICS.join(', ')}`);
  }
  const opts = o.space.options;
  if (!opts) throw new ConfigError(`the supernet evaluator needs an mbv2-style space (mbv2, mbv2-micro, mbv2-imagenet), got '${o.space.name}'`);
  const [c] = o.dataset.shape;
  const spec: SupernetSpec = { space: { ...opts, inChannels: c, classes: o.dataset.numClasses } };
  if (o.dataset.val.n === 0)
    throw new ConfigError(`data set '${o.dataset.name}' has an empty validation split: the supernet evaluator scores candidates on it`);
  const evalN = Math.min(o.evalSamples ?? o.dataset.val.n, o.dataset.val.n);
  const per = o.dataset.val.x.length / o.dataset.val.n;
  const val: Split = { x: o.dataset.val.x.subarray(0, evalN * per), y: o.dataset.val.y.subarray(0, evalN), n: evalN };
  const trainAt = splitAtSizes(o.dataset.train, o.dataset.shape);
  const valAt = splitAtSizes(val, o.dataset.shape);
  const policy = o.policy ?? defaultPolicy(o.target);
  let ready: Promise<Supernet> | undefined;
  const supernet = (): Promise<Supernet> => {
    ready ??= (async () => {
      const { initEngine } = await import('../engine/backend.js');
      await initEngine();
      if (o.supernet) return o.supernet;
      const net = new Supernet(spec, o.seed ?? 0);
      const sampler = o.sampling === 'macs-bins' ? binnedSampler(spec, pathMacsTable(net).macs, { seed: o.seed ?? 0 }) : undefined;
      net.train((size) => trainAt(size), {
        ...(sampler ? { sampler } : {}),
        steps: o.steps ?? 1000,
        batchSize: o.batchSize ?? 64,
        lr: o.lr ?? 2e-3,
        seed: o.seed ?? 0,
        ...(o.onTrainStep ? { onStep: o.onTrainStep } : {}),
      });
      return net;
    })();
    return ready;
  };
  const latencies = new Map<string, { latencyMs: number; energyMj: number }>();
  const evaluate = async (params: Parameters<Evaluator>[0]): Promise<EvaluationResult> => {
    const net = await supernet();
    const a = o.space.fromParams(params) as Mbv2Arch;
    const arch = o.space.format(a);
    const graph = net.graph(a);
    let lat = latencies.get(arch);
    if (!lat) {
      lat = await archLatencyMs(o.target, graph, policy, o.latency ?? {});
      latencies.set(arch, lat);
    }
    const r = net.evaluate(a, trainAt, valAt, { calibSamples: o.calibSamples ?? 512 });
    const t = graphTotals(graph);
    const m: Record<string, number> = {
      accuracy: r.accuracy,
      loss: r.loss,
      latency_ms: lat.latencyMs,
      energy_mj: lat.energyMj,
      macs: t.macs,
      params: t.params,
    };
    return metricsResult(o, m, { arch, evaluator: 'supernet' });
  };
  return Object.assign(evaluate, { supernet });
}
