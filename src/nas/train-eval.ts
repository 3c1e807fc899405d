/**
 * Evaluation of architectures by short real training (no table): build the IR graph at the data set's
 * input shape, initialise weights from the trial seed, train on the engine (tfjs-wasm), measure test
 * accuracy, and take latency/energy from a hardware target. Points of joint spaces are trained with
 * quantization-aware training under their own policy (BOMP-NAS: QAT inside the search loop).
 */
import type { Dataset } from '../data/types.js';
import { buildModel, initEngine, train } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import { initWeights } from '../ir/init.js';
import { graphTotals } from '../ir/workload.js';
import { evaluatePolicy, qatFinetune } from '../quant/apply.js';
import type { ArchSpace } from '../search/spaces/types.js';
import type { Objective } from '../search/types.js';
import type { EvaluationResult, Evaluator } from '../study/run-study.js';
import { Rng } from '../util/rng.js';
import { archPolicy, defaultPolicy } from './cost.js';

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
}

/** An evaluator that trains each architecture briefly and costs it on the target. */
export function trainingEvaluator(o: TrainingEvaluatorOptions): Evaluator {
  for (const ob of o.objectives) {
    if (!(TRAIN_METRICS as readonly string[]).includes(ob.name)) throw new ConfigError(`objective '${ob.name}' cannot be measured by training: expected one of ${TRAIN_METRICS.join(', ')} (or give a --table with that column)`);
  }
  const [c, h] = o.dataset.shape;
  return async (params, ctx): Promise<EvaluationResult> => {
    await initEngine();
    const a = o.space.fromParams(params);
    const arch = o.space.format(a);
    const graph = o.space.graph(a, { inputSize: h, inChannels: c, classes: o.dataset.numClasses });
    const policy = archPolicy(o.space, a, graph, o.policy ?? defaultPolicy(o.target));
    const cost = o.target.networkCost(graph, policy);
    const totals = graphTotals(graph);
    const needsAcc = o.objectives.some((x) => x.name === 'accuracy' || x.name === 'loss');
    let accuracy = Number.NaN;
    let loss = Number.NaN;
    if (needsAcc) {
      const em = buildModel({ graph, weights: initWeights(graph, new Rng(ctx.seed)) });
      try {
        const topts = { epochs: o.epochs ?? 1, batchSize: o.batchSize ?? 64, seed: ctx.seed, workers: o.workers ?? 1 } as const;
        const joint = typeof (o.space as { policy?: unknown }).policy === 'function';
        if (joint) await qatFinetune(em, policy, o.dataset.train, topts);
        else await train(em, o.dataset.train, topts);
        const r = joint ? evaluatePolicy(em, policy, o.dataset.test) : em.evaluate(o.dataset.test.x, o.dataset.test.y, o.dataset.test.n);
        accuracy = r.accuracy;
        loss = r.loss;
      } finally {
        em.dispose();
      }
    }
    const m: Record<string, number> = { accuracy, loss, latency_ms: cost.latencyMs, energy_mj: cost.energyMj, macs: totals.macs, params: totals.params };
    return { values: o.objectives.map((x) => m[x.name] as number), userAttrs: { arch, ...Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v))) } };
  };
}
