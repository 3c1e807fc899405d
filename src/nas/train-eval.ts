/**
 * Evaluation of architectures by short real training (no table): build the IR graph at the
 * architecture's own input size (mbv2 spaces; the data are resampled bilinearly to it) or else the data
 * set's, initialise weights from the trial seed, train on the engine (tfjs-wasm), measure accuracy on
 * the **validation** split (the test split stays unseen by the search), and take latency/energy from a
 * hardware target (measured targets are prepared first). Points of joint spaces are trained with
 * quantization-aware training under their own policy (BOMP-NAS: QAT inside the search loop).
 */
import { makeSplit } from '../data/preprocess.js';
import type { Dataset, SampleShape, Split } from '../data/types.js';
import { buildModel, initEngine, train } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { defaultPolicy, type PrecisionPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import { initWeights } from '../ir/init.js';
import { graphTotals } from '../ir/workload.js';
import { evaluatePolicy, qatFinetune } from '../quant/apply.js';
import type { ArchSpace } from '../search/spaces/types.js';
import type { Objective } from '../search/types.js';
import type { EvaluationResult, Evaluator } from '../study/run-study.js';
import { Rng } from '../util/rng.js';
import { type ArchLatencyOptions, archLatencyMs, archPolicy } from './cost.js';

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

/** Metrics the training evaluator can report (objective names). */
export const TRAIN_METRICS = ['accuracy', 'latency_ms', 'energy_mj', 'macs', 'params', 'loss'] as const;

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
  return async (params, ctx): Promise<EvaluationResult> => {
    await initEngine();
    const a = o.space.fromParams(params);
    const arch = o.space.format(a);
    const size = archInputSize(a) ?? h;
    const graph = o.space.graph(a, { inputSize: size, inChannels: c, classes: o.dataset.numClasses });
    const policy = archPolicy(o.space, a, graph, o.policy ?? defaultPolicy(o.target));
    const lat = await archLatencyMs(o.target, graph, policy, o.latency ?? {});
    const totals = graphTotals(graph);
    const needsAcc = o.objectives.some((x) => x.name === 'accuracy' || x.name === 'loss');
    let accuracy = Number.NaN;
    let loss = Number.NaN;
    // over the latency constraint: infeasible whatever its accuracy, so it is not trained (accuracy 0,
    // loss that of a uniform guess; userAttrs.trained = false)
    const overBudget = o.maxLatencyMs !== undefined && lat.latencyMs > o.maxLatencyMs;
    if (needsAcc && overBudget) {
      accuracy = 0;
      loss = Math.log(o.dataset.numClasses);
    }
    if (needsAcc && !overBudget) {
      const em = buildModel({ graph, weights: initWeights(graph, new Rng(ctx.seed)) });
      try {
        const topts = { epochs: o.epochs ?? 1, batchSize: o.batchSize ?? 64, seed: ctx.seed, workers: o.workers ?? 1 } as const;
        const joint = o.space.policy !== undefined;
        const trainData = trainAt(size);
        const evalData = evalAt(size);
        if (evalData.n === 0) throw new ConfigError(`data set '${o.dataset.name}' has an empty ${evalSplit} split: cannot measure accuracy`);
        if (joint) await qatFinetune(em, policy, trainData, topts);
        else await train(em, trainData, topts);
        const r = joint ? evaluatePolicy(em, policy, evalData) : em.evaluate(evalData.x, evalData.y, evalData.n);
        accuracy = r.accuracy;
        loss = r.loss;
      } finally {
        em.dispose();
      }
    }
    const m: Record<string, number> = { accuracy, loss, latency_ms: lat.latencyMs, energy_mj: lat.energyMj, macs: totals.macs, params: totals.params };
    return {
      values: o.objectives.map((x) => m[x.name] as number),
      ...(o.maxLatencyMs !== undefined ? { constraints: [lat.latencyMs - o.maxLatencyMs] } : {}),
      userAttrs: {
        arch,
        ...Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v))),
        ...(needsAcc && overBudget ? { trained: false } : {}),
      },
    };
  };
}
