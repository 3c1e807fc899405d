/**
 * HANT (hardware-aware network transformation, SEEDS S3): accelerate a trained network by replacing
 * its units with cheaper alternative operations.
 *
 * 1. {@link findUnits} splits the teacher into replaceable units; {@link generateAlternatives} gives each
 *    a pool of alternatives (dozens per conv unit).
 * 2. {@link scoreAlternatives}: every alternative is trained by layer-wise feature-map distillation
 *    (input = the teacher's input to the unit on real training images, target = the teacher's output
 *    of the unit; Adam, MSE) and scored by its relative distillation loss `MSE / Var(target)` on
 *    held-out images (scale-free, so units with different activation ranges weigh alike) and by its
 *    latency on the target (the subgraph's cost under the precision policy).
 * 3. {@link selectAlternatives}: one alternative per unit by an integer linear program (HiGHS, exact)
 *    minimising the summed loss subject to `fixed + Σ latency <= budget`, where `fixed` is the teacher's
 *    latency outside the units. An infeasible budget throws {@link HantInfeasibleError} with the
 *    cheapest achievable latency.
 * 4. {@link refineAlternatives} (optional) distils only the chosen alternatives further (more steps, same
 *    images), starting from their screening weights: the pool is screened cheaply, the winners trained well.
 * 5. {@link assembleStudent} splices the chosen subgraphs (with their distilled weights) into the
 *    teacher (rewrite.ts); {@link recoverStudent} recalibrates batch norm and fine-tunes end to end, on
 *    the labels or by regressing the teacher's logits (knowledge distillation); {@link hant} reports
 *    accuracy and the real network latency before and after.
 */
import { requireScoredSplit } from '../data/split.js';
import type { Split } from '../data/types.js';
import { distill, featureMse, recalibrateBatchNorm } from '../engine/distill.js';
import { buildModel } from '../engine/model.js';
import { train } from '../engine/train.js';
import { ConfigError, InfeasibleError } from '../errors.js';
import { defaultPolicy, type PrecisionPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import { initWeights } from '../ir/init.js';
import type { Graph, Model } from '../ir/types.js';
import { graphTotals } from '../ir/workload.js';
import { BudgetInfeasibleError, solveAllocation } from '../quant/ilp.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/types.js';
import { Yielder } from '../util/event-loop.js';
import { Rng } from '../util/rng.js';
import { type Alternative, type AltFamily, generateAlternatives } from './alternatives.js';
import { replaceUnits } from './rewrite.js';
import {
  bestHantTrial,
  choiceOf,
  type HantScreening,
  type HantScreeningManifest,
  type HantTableAlternative,
  predictedLatency,
  SCREENING_FORMAT,
} from './screening.js';
import { assembleChoice, runHantSelection } from './selection.js';
import { findUnits, type Unit } from './units.js';

/** Latency (ms) of a subgraph on a target: the sum of its nodes' costs, input node and network overhead excluded. */
export function subgraphLatency(target: HardwareTarget, graph: Graph, policy: PrecisionPolicy): number {
  const c = target.networkCost(graph, policy);
  return c.layers.reduce((s, l) => s + (l.op === 'input' ? 0 : l.latencyMs), 0);
}

/** Latency (ms) of a whole network on a target (including network overhead). */
export function networkLatency(target: HardwareTarget, graph: Graph, policy: PrecisionPolicy): number {
  return target.networkCost(graph, policy).latencyMs;
}

/** The teacher's input and output feature maps of `unit` on `n` NCHW images `x` (NCHW, sample-major). */
export function unitFeatures(teacher: Model, unit: Unit, x: Float32Array, n: number, batchSize = 256): { input: Float32Array; output: Float32Array } {
  const m = buildModel({ graph: { ...teacher.graph, outputs: [unit.input, unit.output] }, weights: teacher.weights });
  const inPer = unit.inShape.reduce((a, b) => a * b, 1);
  const outPer = unit.outShape.reduce((a, b) => a * b, 1);
  const imgPer = m.inputShape.reduce((a, b) => a * b, 1);
  const input = new Float32Array(n * inPer);
  const output = new Float32Array(n * outPer);
  try {
    for (let s = 0; s < n; s += batchSize) {
      const k = Math.min(batchSize, n - s);
      const xt = m.inputTensor(x.subarray(s * imgPer, (s + k) * imgPer), k);
      const [a, b] = m.forwardAll(xt);
      input.set(a?.dataSync() as Float32Array, s * inPer);
      output.set(b?.dataSync() as Float32Array, s * outPer);
      a?.dispose();
      b?.dispose();
      xt.dispose();
    }
  } finally {
    m.dispose();
  }
  return { input, output };
}

/** One alternative after distillation. */
export interface ScoredAlternative {
  readonly alt: Alternative;
  /** Distilled weights of the alternative's subgraph. */
  readonly weights: Model['weights'];
  /** Latency (ms) of the subgraph on the target. */
  readonly latencyMs: number;
  /** Relative distillation loss MSE / Var(target) on held-out images. */
  readonly loss: number;
  readonly mse: number;
  readonly macs: number;
  readonly params: number;
  /** Mean training batch loss at the start and the end of distillation. */
  readonly firstLoss: number;
  readonly lastLoss: number;
  readonly seconds: number;
}

/** The scored pool of one unit. */
export interface UnitScores {
  readonly unit: Unit;
  /** The teacher's latency for this unit (ms). */
  readonly teacherLatencyMs: number;
  readonly alternatives: readonly ScoredAlternative[];
}

/** Options of {@link scoreAlternatives}. */
export interface ScoreOptions {
  readonly target: HardwareTarget;
  /** Default {@link defaultPolicy}. */
  readonly policy?: PrecisionPolicy;
  /** Families to generate (default all). */
  readonly families?: readonly AltFamily[];
  /** Distillation steps per alternative (default 300). */
  readonly steps?: number;
  /** Default 32. */
  readonly batchSize?: number;
  /** Default 2e-3. */
  readonly lr?: number;
  readonly seed?: number;
  /** Called after each alternative. */
  readonly onProgress?: (p: { unit: string; alt: string; done: number; total: number; loss: number; latencyMs: number }) => void;
}

/** Images for distillation (`train`) and for scoring (`heldOut`), NCHW of the teacher's input shape. */
export interface DistillImages {
  readonly train: { readonly x: Float32Array; readonly n: number };
  readonly heldOut: { readonly x: Float32Array; readonly n: number };
}

/**
 * Distils every alternative of every unit from the teacher and scores it (loss and latency).
 * `alternatives` may be given per unit (block-wise search passes its own); default {@link generateAlternatives}.
 */
export function scoreAlternatives(
  teacher: Model,
  units: readonly Unit[],
  images: DistillImages,
  opts: ScoreOptions,
  alternatives: ReadonlyMap<string, readonly Alternative[]> = new Map(),
): UnitScores[] {
  const steps = scoreSteps(teacher, units, images, opts, alternatives);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * {@link scoreAlternatives} giving the event loop a turn between alternatives (at most every 250 ms), so a Ctrl-C
 * handler or a timer runs during a screening of minutes; the same scores.
 */
export async function scoreAlternativesYielding(
  teacher: Model,
  units: readonly Unit[],
  images: DistillImages,
  opts: ScoreOptions,
  alternatives: ReadonlyMap<string, readonly Alternative[]> = new Map(),
): Promise<UnitScores[]> {
  const steps = scoreSteps(teacher, units, images, opts, alternatives);
  const turn = new Yielder();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await turn.maybe();
  }
}

/** The work of {@link scoreAlternatives}, one alternative per step: yields after each, returns the scores. */
function* scoreSteps(
  teacher: Model,
  units: readonly Unit[],
  images: DistillImages,
  opts: ScoreOptions,
  alternatives: ReadonlyMap<string, readonly Alternative[]>,
): Generator<void, UnitScores[]> {
  const policy = opts.policy ?? defaultPolicy(opts.target);
  const rng = new Rng(opts.seed ?? 0);
  const pools = units.map((u) => alternatives.get(u.name) ?? generateAlternatives(teacher, u, opts.families ? { families: opts.families } : {}));
  const total = pools.reduce((s, p) => s + p.length, 0);
  let done = 0;
  const out: UnitScores[] = [];
  for (const [ui, unit] of units.entries()) {
    const tr = unitFeatures(teacher, unit, images.train.x, images.train.n);
    const ho = unitFeatures(teacher, unit, images.heldOut.x, images.heldOut.n);
    const pool = pools[ui] as readonly Alternative[];
    const teacherAlt = pool.find((a) => a.family === 'teacher');
    const scored: ScoredAlternative[] = [];
    for (const alt of pool) {
      const seed = rng.nextU32();
      const weights = alt.weights ?? dataInit(alt.graph, initWeights(alt.graph, new Rng(seed)), tr.output, images.train.n);
      const m = buildModel({ graph: alt.graph, weights });
      try {
        const t0 = performance.now();
        const trainable = alt.family !== 'teacher' && m.trainableKeys.length > 0;
        const r = trainable
          ? distillOrBackOff(
              m,
              weights,
              { x: tr.input, target: tr.output, n: images.train.n },
              { steps: opts.steps ?? 300, batchSize: opts.batchSize ?? 32, lr: opts.lr ?? 2e-3, seed },
            )
          : { firstLoss: NaN, lastLoss: NaN };
        if (!trainable && alt.family !== 'teacher') recalibrateBatchNorm(m, tr.input, images.train.n);
        const e = featureMse(m, { x: ho.input, target: ho.output, n: images.heldOut.n });
        const tot = graphTotals(alt.graph);
        const s: ScoredAlternative = {
          alt,
          weights: m.getWeights(),
          latencyMs: subgraphLatency(opts.target, alt.graph, policy),
          loss: e.targetVar > 0 ? e.mse / e.targetVar : e.mse,
          mse: e.mse,
          macs: tot.macs,
          params: tot.params,
          firstLoss: r.firstLoss,
          lastLoss: r.lastLoss,
          seconds: (performance.now() - t0) / 1000,
        };
        scored.push(s);
        done++;
        opts.onProgress?.({ unit: unit.name, alt: alt.name, done, total, loss: s.loss, latencyMs: s.latencyMs });
      } finally {
        m.dispose();
      }
      yield;
    }
    const teacherLatencyMs = teacherAlt ? subgraphLatency(opts.target, teacherAlt.graph, policy) : NaN;
    out.push({ unit, teacherLatencyMs, alternatives: scored });
  }
  return out;
}

/**
 * {@link distill}, restarted from `start` at a tenth of the learning rate (up to twice) when it diverges:
 * a high screening rate suits most alternatives, and the few it blows up are retried, not lost.
 */
function distillOrBackOff(
  m: ReturnType<typeof buildModel>,
  start: Model['weights'],
  data: Parameters<typeof distill>[1],
  o: Parameters<typeof distill>[2],
): ReturnType<typeof distill> {
  let lr = o.lr ?? 2e-3;
  for (let attempt = 0; ; attempt++) {
    try {
      return distill(m, data, { ...o, lr });
    } catch (e) {
      if (!(e instanceof ConfigError) || !/diverged/.test(e.message) || attempt >= 2) throw e;
      m.setWeights(start);
      lr /= 10;
    }
  }
}

/**
 * Data-dependent start: when an alternative ends in batch norm (optionally followed by an activation),
 * its scale and shift start at the per-channel standard deviation and mean of the teacher's output, so
 * distillation begins at the right scale instead of spending its few hundred steps getting there.
 */
function dataInit(graph: Graph, w: Model['weights'], target: Float32Array, n: number): Model['weights'] {
  const byName = new Map(graph.nodes.map((x) => [x.name, x]));
  let last = byName.get(graph.outputs[0] as string);
  if (last && last.op !== 'batchnorm' && last.inputs.length === 1) last = byName.get(last.inputs[0] as string);
  if (last?.op !== 'batchnorm') return w;
  const c = last.channels;
  const per = target.length / n / c;
  const scale = w.get(`${last.name}.scale`);
  const bias = w.get(`${last.name}.bias`);
  if (!scale || !bias || !Number.isInteger(per)) return w;
  for (let ch = 0; ch < c; ch++) {
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * per;
      for (let p = 0; p < per; p++) {
        const v = target[base + p] as number;
        s1 += v;
        s2 += v * v;
      }
    }
    const mean = s1 / (n * per);
    scale.data[ch] = Math.sqrt(Math.max(1e-6, s2 / (n * per) - mean * mean));
    bias.data[ch] = mean;
  }
  return w;
}

/** Thrown when no choice of alternatives meets the latency budget; carries the cheapest achievable latency. */
export class HantInfeasibleError extends InfeasibleError {
  override name = 'HantInfeasibleError';
  constructor(
    message: string,
    /** The lowest network latency any choice reaches (ms). */
    readonly cheapestMs: number,
  ) {
    super(message);
  }
}

/** The ILP's choice. */
export interface Selection {
  /** Index into each unit's `alternatives`. */
  readonly choice: readonly number[];
  /** Summed loss of the chosen alternatives. */
  readonly objective: number;
  /** Predicted network latency: fixed + Σ chosen latencies (ms). */
  readonly latencyMs: number;
  readonly solveMs: number;
  readonly variables: number;
}

/**
 * Chooses one alternative per unit minimising the summed loss subject to `fixedMs + Σ latency <= budgetMs`
 * (exact ILP with HiGHS). Throws {@link HantInfeasibleError} when no choice fits.
 */
export async function selectAlternatives(scores: readonly UnitScores[], budgetMs: number, fixedMs: number): Promise<Selection> {
  if (!(budgetMs > 0)) throw new ConfigError(`latency budget ${budgetMs} ms must be > 0`);
  const problem = {
    layers: scores.map((u) => ({
      name: u.unit.name,
      options: u.alternatives.map((a) => ({ value: a.alt.name, score: a.loss, cost: { latency: a.latencyMs } })),
    })),
    budget: { latency: budgetMs },
    fixedCost: { latency: fixedMs },
  };
  try {
    const s = await solveAllocation(problem);
    return {
      choice: s.choice,
      objective: s.objective,
      latencyMs: s.cost.latency ?? NaN,
      solveMs: s.solveMs,
      variables: problem.layers.reduce((a, l) => a + l.options.length, 0),
    };
  } catch (e) {
    if (e instanceof BudgetInfeasibleError) {
      const cheapest = e.cheapest.latency ?? NaN;
      throw new HantInfeasibleError(
        `latency budget ${budgetMs.toPrecision(4)} ms is infeasible: the cheapest achievable latency with these alternatives is ${cheapest.toPrecision(4)} ms; raise the budget to at least that`,
        cheapest,
      );
    }
    throw e;
  }
}

/**
 * HANT's network-level scores: for every unit and alternative, the teacher with only that unit swapped for
 * the distilled alternative is evaluated on labelled held-out images; the score (the alternative's new
 * `loss`) is its cross-entropy minus the teacher's (0 for the teacher's own operation; may be negative).
 * Needs each unit's teacher alternative.
 */
export function networkScores(teacher: Model, scores: readonly UnitScores[], data: Split): UnitScores[] {
  if (data.n === 0) throw new ConfigError('network-level scoring needs labelled held-out images: got none');
  const own = scores.map((u) => u.alternatives.findIndex((a) => a.alt.family === 'teacher'));
  const missing = own.findIndex((i) => i < 0);
  if (missing >= 0) throw new ConfigError(`network-level scoring: unit '${scores[missing]?.unit.name}' has no teacher alternative to swap back`);
  const lossOf = (m: Model): number => {
    const em = buildModel(m);
    try {
      return em.evaluate(data.x, data.y, data.n, { batchSize: 250 }).loss;
    } finally {
      em.dispose();
    }
  };
  const base = lossOf(teacher);
  return scores.map((u, i) => ({
    ...u,
    alternatives: u.alternatives.map((a, j) => {
      if (j === own[i]) return { ...a, loss: 0 };
      const choice = [...own];
      choice[i] = j;
      return { ...a, loss: lossOf(assembleStudent(teacher, scores, choice)) - base };
    }),
  }));
}

/** The teacher with each unit replaced by its chosen alternative (distilled weights). */
export function assembleStudent(teacher: Model, scores: readonly UnitScores[], choice: readonly number[]): Model {
  const reps = scores
    .map((u, i) => ({ u, a: u.alternatives[choice[i] as number] as ScoredAlternative }))
    .filter(({ a }) => a.alt.family !== 'teacher')
    .map(({ u, a }) => ({ unit: u.unit, sub: { graph: a.alt.graph, weights: a.weights } }));
  return replaceUnits(teacher, reps);
}

/**
 * Distils some alternatives further: `steps` more steps each from their current weights, on the
 * teacher's features of `images.train`, then re-scores them on `images.heldOut`. `picks[i]` is the index
 * (or indices) of unit `i`'s alternatives to refine; teacher and parameter-free alternatives are left
 * alone. Returns new scores in which only the refined entries changed (loss, weights, lastLoss, seconds).
 */
export async function refineAlternatives(
  teacher: Model,
  scores: readonly UnitScores[],
  picks: readonly (number | readonly number[])[],
  images: DistillImages,
  opts: { readonly steps: number; readonly batchSize?: number; readonly lr?: number; readonly seed?: number },
): Promise<UnitScores[]> {
  const rng = new Rng(opts.seed ?? 0);
  // a turn for the event loop between alternatives (Ctrl-C's handler, timers), at most every 250 ms
  const turn = new Yielder();
  const out: UnitScores[] = [];
  for (const [i, u] of scores.entries()) {
    const p = picks[i] ?? [];
    const ks = (typeof p === 'number' ? [p] : p).filter((k) => {
      const a = u.alternatives[k];
      return a !== undefined && a.alt.family !== 'teacher' && a.weights.size > 0;
    });
    const seeds = ks.map(() => rng.nextU32());
    if (ks.length === 0 || opts.steps <= 0) {
      out.push(u);
      continue;
    }
    const tr = unitFeatures(teacher, u.unit, images.train.x, images.train.n);
    const ho = unitFeatures(teacher, u.unit, images.heldOut.x, images.heldOut.n);
    const alternatives = [...u.alternatives];
    for (const [j, k] of ks.entries()) {
      const a = alternatives[k] as ScoredAlternative;
      const m = buildModel({ graph: a.alt.graph, weights: a.weights });
      try {
        if (m.trainableKeys.length === 0) continue;
        const t0 = performance.now();
        const r = distillOrBackOff(
          m,
          a.weights,
          { x: tr.input, target: tr.output, n: images.train.n },
          { steps: opts.steps, batchSize: opts.batchSize ?? 32, lr: opts.lr ?? 1e-3, seed: seeds[j] as number },
        );
        const e = featureMse(m, { x: ho.input, target: ho.output, n: images.heldOut.n });
        alternatives[k] = {
          ...a,
          weights: m.getWeights(),
          loss: e.targetVar > 0 ? e.mse / e.targetVar : e.mse,
          mse: e.mse,
          lastLoss: r.lastLoss,
          seconds: a.seconds + (performance.now() - t0) / 1000,
        };
      } finally {
        m.dispose();
      }
      await turn.maybe();
    }
    out.push({ ...u, alternatives });
  }
  return out;
}

/** Indices of a unit's alternatives on the (loss, latency) Pareto front: no other is at least as good in both and better in one. */
export function paretoIndices(u: UnitScores): number[] {
  const a = u.alternatives;
  return a
    .map((x, i) => ({ x, i }))
    .filter(({ x, i }) => !a.some((y, j) => j !== i && y.loss <= x.loss && y.latencyMs <= x.latencyMs && (y.loss < x.loss || y.latencyMs < x.latencyMs)))
    .map(({ i }) => i);
}

/** Latency budget: a ratio of the teacher's latency or an absolute value. */
export type LatencyBudget = { readonly ratio: number } | { readonly ms: number };

/** Options of {@link hant}. */
export interface HantOptions extends ScoreOptions {
  readonly budget: LatencyBudget;
  /** Units to consider (first-node names; default all). */
  readonly units?: readonly string[];
  /** Merge depthwise + pointwise into one unit (default true). */
  readonly mergeDepthwise?: boolean;
  /** Training images used for distillation (default 1024) and held out for scoring (default 256, from `val`). */
  readonly distillSamples?: number;
  readonly heldOutSamples?: number;
  /** End-to-end fine-tuning of the assembled network (default 1 epoch at lr 5e-4 on the labels); false to skip. */
  readonly finetune?: FinetuneOptions;
  /** Further distillation steps for the refined alternatives after screening (default 0: none). */
  readonly refineSteps?: number;
  /** Peak learning rate of the refinement (default: `lr` when given, else 1e-3). */
  readonly refineLr?: number;
  /**
   * Which alternatives are refined: `chosen` (the ILP's choice) or `pareto` (every unit's (loss, latency)
   * Pareto front plus the choice, then the ILP is solved again on the refined losses; this removes the
   * bias of short screening towards parameter-free alternatives, whose loss is exact at once). Default `chosen`.
   */
  readonly refine?: 'chosen' | 'pareto';
  /**
   * What the ILP minimises per alternative: `local` (default: its relative feature-map distillation loss,
   * MSE / Var of the teacher's unit output) or `network` (HANT's network-level effect: the increase of the
   * teacher's cross-entropy on the held-out labelled images when only this unit is swapped for the
   * distilled alternative; see {@link networkScores}). Computed after screening and refinement.
   */
  readonly scoring?: 'local' | 'network';
  /** Called with a line of progress per phase. */
  readonly onPhase?: (msg: string) => void;
  /** Called with the assembled student (distilled weights, before recalibration and fine-tuning), e.g. to save it. */
  readonly onAssembled?: (student: Model) => void;
  /** Validation images each trial's accuracy is measured on (default 1000, or all of `val` when fewer; an empty `val` is refused). */
  readonly valSamples?: number;
  /** Trials of the selection study (default 1: the ILP's choice; more: its next-best solutions, the most accurate kept). */
  readonly trials?: number;
  /** Store and study name of the selection study (default a MemoryStore, 'hant'). */
  readonly store?: Store;
  readonly studyName?: string;
  /** Stops the selection study (the best trial so far is kept). */
  readonly signal?: AbortSignal;
}

/** Per-unit outcome of {@link hant}. */
export interface HantLayer {
  readonly unit: string;
  readonly nodes: readonly string[];
  readonly chosen: string;
  readonly family: AltFamily;
  readonly alternatives: number;
  readonly teacherLatencyMs: number;
  readonly latencyMs: number;
  /** Relative distillation loss of the chosen alternative (after refinement, when any). */
  readonly loss: number;
  /** Its loss after the screening distillation (what the ILP saw). */
  readonly screenLoss: number;
  readonly teacherMacs: number;
  readonly macs: number;
}

/** What {@link hant} returns. */
export interface HantResult {
  readonly model: Model;
  readonly target: string;
  readonly policy: string;
  readonly layers: readonly HantLayer[];
  readonly teacher: { readonly accuracy: number; readonly latencyMs: number; readonly macs: number };
  readonly student: {
    readonly accuracyBeforeFinetune: number;
    readonly accuracy: number;
    readonly latencyMs: number;
    readonly predictedLatencyMs: number;
    readonly macs: number;
  };
  readonly budgetMs: number;
  readonly speedup: number;
  readonly accuracyDropPp: number;
  readonly ilp: { readonly solveMs: number; readonly variables: number; readonly minAlternatives: number; readonly maxAlternatives: number };
  readonly seconds: { readonly distill: number; readonly ilp: number; readonly refine: number; readonly finetune: number; readonly total: number };
}

/** Labelled data for {@link hant}: training images (distillation, fine-tuning), validation (held out), test (accuracy). */
export interface HantData {
  readonly train: Split;
  readonly val: Split;
  readonly test: Split;
}

/**
 * What end-to-end fine-tuning learns from: `labels` (softmax cross-entropy on the training labels),
 * `logits` (mean squared error between the student's and the teacher's logits on the training images)
 * or `kd` (knowledge distillation: cross-entropy against a mix of the one-hot label and the teacher's
 * softmax at temperature `temperature`, weight `kdWeight`). `logits` and `kd` need the teacher.
 */
export type FinetuneLoss = 'labels' | 'logits' | 'kd';

/** End-to-end fine-tuning settings of an assembled student (false: none). */
export type FinetuneOptions =
  | false
  | {
      readonly epochs: number;
      /** Default 5e-4. */
      readonly lr?: number;
      /** Default 128. */
      readonly batchSize?: number;
      /** Training images used (default all). */
      readonly limit?: number;
      /** `labels` only (the logits mode runs on one thread). */
      readonly workers?: 1 | 2 | 'auto';
      /** Default `labels`. */
      readonly loss?: FinetuneLoss;
      /** Label smoothing of the cross-entropy (`labels`, `kd`; default 0). */
      readonly labelSmoothing?: number;
      /** `kd`: weight of the teacher's distribution in the target (default 0.5) and its softmax temperature (default 1). */
      readonly kdWeight?: number;
      readonly temperature?: number;
    };

/** Row-wise softmax of `n` rows of logits at temperature `t`. */
export function softmaxRows(logits: Float32Array, n: number, t = 1): Float32Array {
  const k = logits.length / n;
  const out = new Float32Array(logits.length);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, (logits[i * k + j] as number) / t);
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp((logits[i * k + j] as number) / t - mx);
      out[i * k + j] = e;
      sum += e;
    }
    for (let j = 0; j < k; j++) out[i * k + j] = (out[i * k + j] as number) / sum;
  }
  return out;
}

/**
 * Bring an assembled student back to working order: batch-norm statistics recalibrated on `images`, test accuracy,
 * then an optional short end-to-end fine-tune (default 1 epoch, lr 5e-4, on the labels; with `loss: 'logits'`
 * by regressing `teacher`'s logits) and the test accuracy after it.
 */
export async function recoverStudent(
  student: Model,
  data: { readonly train: Split; readonly test: Split },
  images: { readonly x: Float32Array; readonly n: number },
  finetune: FinetuneOptions | undefined,
  seed: number,
  teacher?: Model,
): Promise<{ model: Model; before: number; after: number; finetuned: boolean; limit: number; finetuneSeconds: number }> {
  const sm = buildModel(student);
  try {
    recalibrateBatchNorm(sm, images.x, images.n);
    const before = sm.evaluate(data.test.x, data.test.y, data.test.n).accuracy;
    if (finetune === false) return { model: sm.toModel(), before, after: before, finetuned: false, limit: 0, finetuneSeconds: 0 };
    const ft = finetune ?? { epochs: 1 };
    const per = data.train.x.length / Math.max(1, data.train.n);
    const limit = Math.min(ft.limit ?? data.train.n, data.train.n);
    const t0 = performance.now();
    const x = data.train.x.subarray(0, limit * per);
    const loss = ft.loss ?? 'labels';
    if (loss === 'logits') {
      if (!teacher) throw new ConfigError(`fine-tuning loss 'logits' needs the teacher model: pass it to recoverStudent or use loss 'labels'`);
      const tm = buildModel(teacher);
      let target: Float32Array;
      try {
        target = tm.predict(x, limit);
      } finally {
        tm.dispose();
      }
      const bs = ft.batchSize ?? 128;
      distill(sm, { x, target, n: limit }, { steps: ft.epochs * Math.ceil(limit / bs), batchSize: bs, lr: ft.lr ?? 5e-4, seed });
    } else if (loss === 'labels' || loss === 'kd') {
      let soft: Float32Array | undefined;
      if (loss === 'kd') {
        if (!teacher) throw new ConfigError(`fine-tuning loss 'kd' needs the teacher model: pass it to recoverStudent or use loss 'labels'`);
        const temperature = ft.temperature ?? 1;
        if (!(temperature > 0)) throw new ConfigError(`fine-tuning temperature ${temperature} must be > 0`);
        const tm = buildModel(teacher);
        try {
          soft = softmaxRows(tm.predict(x, limit), limit, temperature);
        } finally {
          tm.dispose();
        }
      }
      await train(
        sm,
        { x, y: data.train.y.subarray(0, limit), n: limit, ...(soft ? { soft } : {}) },
        {
          epochs: ft.epochs,
          lr: ft.lr ?? 5e-4,
          batchSize: ft.batchSize ?? 128,
          seed,
          workers: ft.workers ?? 'auto',
          labelSmoothing: ft.labelSmoothing ?? 0,
          ...(soft ? { softWeight: ft.kdWeight ?? 0.5 } : {}),
        },
      );
    } else throw new ConfigError(`fine-tuning loss '${String(loss)}' is invalid: expected 'labels', 'logits' or 'kd'`);
    const finetuneSeconds = (performance.now() - t0) / 1000;
    const after = sm.evaluate(data.test.x, data.test.y, data.test.n).accuracy;
    return { model: sm.toModel(), before, after, finetuned: true, limit, finetuneSeconds };
  } finally {
    sm.dispose();
  }
}

/** A screening just computed, with the in-memory scores it came from. */
export interface HantScreened extends HantScreening {
  /** Scores after the screening distillation, and after refinement (equal when none). */
  readonly screened: readonly UnitScores[];
  readonly scores: readonly UnitScores[];
}

/**
 * What HANT checks and prepares from the teacher's graph alone, before any training or distillation: the units
 * (`opts.units` must name some), their alternatives, the teacher's latency and the budget in ms, refused when no
 * choice of alternatives meets it ({@link HantInfeasibleError}) — latency does not depend on the weights, so a
 * caller may run this on an untrained model to refuse bad settings before training it.
 */
export function planHant(
  teacher: Model,
  opts: Pick<HantOptions, 'policy' | 'target' | 'budget' | 'units' | 'mergeDepthwise' | 'families' | 'refine'>,
): { policy: PrecisionPolicy; units: Unit[]; teacherLatency: number; budgetMs: number; pools: Map<string, Alternative[]> } {
  const policy = opts.policy ?? defaultPolicy(opts.target);
  const units = findUnits(teacher.graph, { mergeDepthwise: opts.mergeDepthwise ?? true, ...(opts.units ? { only: opts.units } : {}) });
  if (units.length === 0) throw new ConfigError(`model '${teacher.graph.name}' has no replaceable conv/dense unit`);
  const teacherLatency = networkLatency(opts.target, teacher.graph, policy);
  const budgetMs = 'ratio' in opts.budget ? opts.budget.ratio * teacherLatency : opts.budget.ms;
  if (!(budgetMs > 0)) throw new ConfigError(`latency budget ${JSON.stringify(opts.budget)} must be positive`);
  if (opts.refine !== undefined && opts.refine !== 'chosen' && opts.refine !== 'pareto')
    throw new ConfigError(`refine '${String(opts.refine)}' is invalid: expected 'chosen' or 'pareto'`);
  const pools = new Map(units.map((u) => [u.name, generateAlternatives(teacher, u, opts.families ? { families: opts.families } : {})] as const));
  // latency does not depend on training: refuse an impossible budget before distilling anything
  const lat = units.map((u) => (pools.get(u.name) ?? []).map((a) => subgraphLatency(opts.target, a.graph, policy)));
  const teacherUnits = units.map((u, i) => lat[i]?.[(pools.get(u.name) ?? []).findIndex((a) => a.family === 'teacher')] ?? 0);
  const fixed = teacherLatency - teacherUnits.reduce((a, b) => a + b, 0);
  const cheapest = fixed + lat.reduce((s, l) => s + Math.min(...l), 0);
  if (cheapest > budgetMs * (1 + 1e-9)) {
    throw new HantInfeasibleError(
      `latency budget ${budgetMs.toPrecision(4)} ms is infeasible: the cheapest achievable latency with these alternatives is ${cheapest.toPrecision(4)} ms; raise the budget to at least that`,
      cheapest,
    );
  }
  for (const [u, pool] of pools) {
    if (new Set(pool.map((a) => a.name)).size !== pool.length) throw new Error(`unit '${u}': alternative names are not unique`);
  }
  return { policy, units, teacherLatency, budgetMs, pools };
}

/**
 * HANT's costly first half: units, alternatives, the budget check (before any training), screening
 * distillation of every alternative, the ILP on the screening losses and the refinement (`refine`,
 * `refineSteps`). Returns the alternative table with the distilled weights, the teacher's test accuracy
 * and the images trials need (see {@link HantScreening}); the choice itself is left to the selection study.
 */
export async function screenHant(teacher: Model, data: HantData, opts: HantOptions): Promise<HantScreened> {
  const log = opts.onPhase ?? ((): void => undefined);
  const { policy, units, teacherLatency, budgetMs, pools } = planHant(teacher, opts);
  const per = teacher.graph.nodes[0]?.op === 'input' ? teacher.graph.nodes[0].shape.reduce((a, b) => a * b, 1) : 0;
  // held-out images only: the teacher was trained on the training images, so scoring on them would rank students by
  // how well they fit images they were distilled and trained on (no fallback to the end of the training split)
  requireScoredSplit(data.val, 'validation', "HANT's data");
  const nTrain = Math.min(opts.distillSamples ?? 1024, data.train.n);
  const held = data.val;
  const nHeld = Math.min(opts.heldOutSamples ?? 256, held.n);
  const images: DistillImages = {
    train: { x: data.train.x.subarray(0, nTrain * per), n: nTrain },
    heldOut: { x: held.x.subarray(0, nHeld * per), n: nHeld },
  };
  const nVal = Math.min(opts.valSamples ?? 1000, held.n);
  if (nTrain < 1) throw new ConfigError(`HANT needs training images: got ${data.train.n} training images`);
  const val = { x: held.x.subarray(0, nVal * per), y: held.y.subarray(0, nVal), n: nVal };
  const tm = buildModel(teacher);
  const teacherAcc = tm.evaluate(data.test.x, data.test.y, data.test.n).accuracy;
  tm.dispose();
  log(
    `teacher: accuracy ${(teacherAcc * 100).toFixed(2)}%, latency ${teacherLatency.toPrecision(4)} ms on ${opts.target.name} (${policy.name ?? 'policy'}); ${units.length} units`,
  );
  const td = performance.now();
  // yielding: Ctrl-C's handler (hwnas transform says nothing is stored) runs during the screening, not after it
  const screened = await scoreAlternativesYielding(teacher, units, images, opts, pools);
  const distillSec = (performance.now() - td) / 1000;
  const fixedMs = teacherLatency - screened.reduce((s, u) => s + u.teacherLatencyMs, 0);
  const ti = performance.now();
  const sel = await selectAlternatives(screened, budgetMs, fixedMs);
  const ilpSec = (performance.now() - ti) / 1000;
  log(
    `ILP: ${sel.variables} binaries, solved in ${sel.solveMs.toFixed(0)} ms; predicted latency ${sel.latencyMs.toPrecision(4)} ms (budget ${budgetMs.toPrecision(4)} ms)`,
  );
  const tr = performance.now();
  const refineSteps = opts.refineSteps ?? 0;
  const pareto = opts.refine === 'pareto';
  const picks = pareto ? screened.map((u, i) => [...new Set([...paretoIndices(u), sel.choice[i] as number])]) : sel.choice;
  const refined =
    refineSteps > 0
      ? await refineAlternatives(teacher, screened, picks, images, {
          steps: refineSteps,
          ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
          ...(opts.refineLr !== undefined ? { lr: opts.refineLr } : opts.lr !== undefined ? { lr: opts.lr } : {}),
          seed: (opts.seed ?? 0) + 1,
        })
      : screened;
  const refineSec = (performance.now() - tr) / 1000;
  if (opts.scoring !== undefined && opts.scoring !== 'local' && opts.scoring !== 'network')
    throw new ConfigError(`scoring '${String(opts.scoring)}' is invalid: expected 'local' or 'network'`);
  const heldY = held.y.subarray(0, nHeld);
  const scores = opts.scoring === 'network' ? networkScores(teacher, refined, { x: images.heldOut.x, y: heldY, n: images.heldOut.n }) : refined;
  if (opts.scoring === 'network') log(`network-level scores: every alternative swapped alone into the teacher, cross-entropy on ${nHeld} held-out images`);
  if (refineSteps > 0)
    log(
      `refined ${picks.reduce<number>((a, p) => a + (typeof p === 'number' ? 1 : p.length), 0)} alternatives (${refineSteps} steps each) in ${refineSec.toFixed(0)} s`,
    );
  const counts = scores.map((u) => u.alternatives.length);
  const manifest: HantScreeningManifest = {
    format: SCREENING_FORMAT,
    version: 1,
    target: opts.target.name,
    policy,
    budgetMs,
    fixedMs,
    teacher: { name: teacher.graph.name, accuracy: teacherAcc, latencyMs: teacherLatency, macs: graphTotals(teacher.graph).macs },
    units: scores.map((u, i) => ({
      unit: u.unit,
      teacherLatencyMs: u.teacherLatencyMs,
      alternatives: u.alternatives.map((a, j) => ({
        name: a.alt.name,
        family: a.alt.family,
        latencyMs: a.latencyMs,
        loss: a.loss,
        screenLoss: screened[i]?.alternatives[j]?.loss ?? a.loss,
        macs: a.macs,
        params: a.params,
      })),
    })),
    ilp: { solveMs: sel.solveMs, variables: sel.variables, minAlternatives: Math.min(...counts), maxAlternatives: Math.max(...counts) },
    seconds: { distill: distillSec, ilp: ilpSec, refine: refineSec },
  };
  return {
    manifest,
    teacher,
    alternative: (u, a) => {
      const x = scores[u]?.alternatives[a];
      if (!x) throw new Error(`no alternative ${a} of unit ${u}`);
      return { graph: x.alt.graph, weights: x.weights };
    },
    calib: images.train,
    val,
    screened,
    scores,
  };
}

/**
 * HANT's last stage on a chosen selection: the student assembled from the screening, batch norm
 * recalibrated, test accuracy, end-to-end fine-tuning (`finetune`) and test accuracy again.
 * `seconds.total` counts from `startedAt` (performance.now()).
 */
export async function finishHant(
  s: HantScreening,
  data: HantData,
  choice: readonly number[],
  opts: Pick<HantOptions, 'target' | 'finetune' | 'seed' | 'onAssembled' | 'onPhase'>,
  startedAt = performance.now(),
): Promise<HantResult> {
  const m = s.manifest;
  const log = opts.onPhase ?? ((): void => undefined);
  let student = assembleChoice(s, choice);
  opts.onAssembled?.(student);
  const rec = await recoverStudent(student, data, s.calib, opts.finetune, opts.seed ?? 0, s.teacher);
  student = rec.model;
  const { before, after, finetuneSeconds: ftSec } = rec;
  if (rec.finetuned) log(`fine-tuned on ${rec.limit} images in ${ftSec.toFixed(0)} s: accuracy ${(before * 100).toFixed(2)}% -> ${(after * 100).toFixed(2)}%`);
  const studentLatency = networkLatency(opts.target, student.graph, m.policy);
  const layers: HantLayer[] = m.units.map((u, i) => {
    const a = u.alternatives[choice[i] as number] as HantTableAlternative;
    const t = u.alternatives.find((x) => x.family === 'teacher');
    return {
      unit: u.unit.name,
      nodes: u.unit.nodes,
      chosen: a.name,
      family: a.family,
      alternatives: u.alternatives.length,
      teacherLatencyMs: u.teacherLatencyMs,
      latencyMs: a.latencyMs,
      loss: a.loss,
      screenLoss: a.screenLoss,
      teacherMacs: t?.macs ?? NaN,
      macs: a.macs,
    };
  });
  return {
    model: student,
    target: opts.target.name,
    policy: m.policy.name ?? 'custom',
    layers,
    teacher: { accuracy: m.teacher.accuracy, latencyMs: m.teacher.latencyMs, macs: m.teacher.macs },
    student: {
      accuracyBeforeFinetune: before,
      accuracy: after,
      latencyMs: studentLatency,
      predictedLatencyMs: predictedLatency(m, choice),
      macs: graphTotals(student.graph).macs,
    },
    budgetMs: m.budgetMs,
    speedup: m.teacher.latencyMs / studentLatency,
    accuracyDropPp: (m.teacher.accuracy - after) * 100,
    ilp: m.ilp,
    seconds: { ...m.seconds, finetune: ftSec, total: (performance.now() - startedAt) / 1000 },
  };
}

/** Names of a choice, `unit:alternative` separated by spaces (for logs). */
export function choiceText(m: HantScreeningManifest, choice: readonly number[]): string {
  return m.units.map((u, i) => `${u.unit.name}:${u.alternatives[choice[i] as number]?.name}`).join(' ');
}

/**
 * The whole HANT pipeline on a trained teacher: {@link screenHant}, the selection study (the `hant-ilp`
 * strategy's trials in `store`, default a MemoryStore; `trials` 1 = the ILP's choice), the best
 * feasible trial by validation accuracy, then {@link finishHant}.
 * @example const r = await hant(teacher, ds, { target: getTarget('bitfusion-edge'), budget: { ratio: 0.5 } });
 */
export async function hant(teacher: Model, data: HantData, opts: HantOptions): Promise<HantResult> {
  const t0 = performance.now();
  const log = opts.onPhase ?? ((): void => undefined);
  const s = await screenHant(teacher, data, opts);
  const study = await runHantSelection(s, opts.target, {
    store: opts.store ?? new MemoryStore(),
    studyName: opts.studyName ?? 'hant',
    nTrials: opts.trials ?? 1,
    seed: opts.seed ?? 0,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const best = bestHantTrial(study.trials);
  if (!best)
    throw new InfeasibleError(
      `no trial of the HANT selection study '${study.study.name}' is complete and within the latency budget ${s.manifest.budgetMs.toPrecision(4)} ms (${study.trials.length} trials)`,
    );
  const choice = choiceOf(s.manifest, best.params);
  log(
    `chosen (trial ${best.number} of ${study.trials.length}, validation accuracy ${((best.values?.[0] ?? NaN) * 100).toFixed(2)}% before fine-tuning): ${choiceText(s.manifest, choice)}`,
  );
  return finishHant(s, data, choice, opts, t0);
}
