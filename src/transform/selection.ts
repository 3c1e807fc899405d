/**
 * HANT's selection as a study: one trial = one choice of alternative per unit (the `hant-ilp` strategy
 * proposes them), evaluated by assembling the student from the teacher and the distilled alternatives of
 * a {@link HantScreening}, recalibrating its batch norm on the distillation images and measuring its
 * validation accuracy (before any end-to-end fine-tuning: cheap enough to try several choices) and its
 * network latency on the target; the constraint is `latency - budget` (<= 0 feasible).
 */
import { recalibrateBatchNorm } from '../engine/distill.js';
import { buildModel } from '../engine/model.js';
import { layerCostAttrs } from '../hardware/layer-costs.js';
import type { HardwareTarget } from '../hardware/types.js';
import type { Model } from '../ir/types.js';
import { graphTotals } from '../ir/workload.js';
import type { JsonValue, Params } from '../search/types.js';
import type { Store } from '../store/types.js';
import { type EvaluationResult, runStudy, type StudyProgress, type StudyResult } from '../study/run-study.js';
import { replaceUnits } from './rewrite.js';
import { choiceOf, HANT_OBJECTIVES, type HantScreening, ilpOptions, predictedLatency } from './screening.js';
import { HantIlp, hantSpace } from './strategies/hant-ilp.js';

/** The teacher with each unit replaced by the chosen alternative of the screening (distilled weights). */
export function assembleChoice(s: HantScreening, choice: readonly number[]): Model {
  const reps = s.manifest.units.flatMap((u, i) => {
    const j = choice[i] as number;
    return u.alternatives[j]?.family === 'teacher' ? [] : [{ unit: u.unit, sub: s.alternative(i, j) }];
  });
  return replaceUnits(s.teacher, reps);
}

/**
 * One HANT trial: [validation accuracy after batch-norm recalibration, network latency (ms)], constraint
 * latency - budget; user attributes name the chosen alternatives and the per-layer costs (for reports).
 */
export async function evaluateSelection(s: HantScreening, target: HardwareTarget, params: Params): Promise<EvaluationResult> {
  // the work below is synchronous: yield to the event loop first, so that in-process studies see Ctrl-C and heartbeats between trials
  await new Promise<void>((resolve) => setImmediate(resolve));
  const m = s.manifest;
  const choice = choiceOf(m, params);
  const student = assembleChoice(s, choice);
  const em = buildModel(student);
  let accuracy: number;
  try {
    recalibrateBatchNorm(em, s.calib.x, s.calib.n);
    accuracy = em.evaluate(s.val.x, s.val.y, s.val.n).accuracy;
  } finally {
    em.dispose();
  }
  await target.prepare?.(student);
  const net = target.networkCost(student.graph, m.policy);
  const chosen = Object.fromEntries(m.units.map((u, i) => [u.unit.name, u.alternatives[choice[i] as number]?.name as string]));
  const layerCosts = layerCostAttrs(net);
  return {
    values: [accuracy, net.latencyMs],
    constraints: [net.latencyMs - m.budgetMs],
    userAttrs: {
      chosen,
      predictedLatencyMs: predictedLatency(m, choice),
      summedLoss: m.units.reduce((a, u, i) => a + (u.alternatives[choice[i] as number]?.loss ?? NaN), 0),
      macs: graphTotals(student.graph).macs,
      valImages: s.val.n,
      layerCosts: layerCosts as unknown as JsonValue,
      target: target.name,
    },
  };
}

/** Options of {@link runHantSelection}. */
export interface HantSelectionOptions {
  readonly store: Store;
  readonly studyName: string;
  /** Trials: 1 = the ILP's solution only; more = its next-best solutions too. */
  readonly nTrials: number;
  readonly seed: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: StudyProgress) => void;
}

/** Runs (or continues) the selection study of a screening in this process with the `hant-ilp` strategy. */
export function runHantSelection(s: HantScreening, target: HardwareTarget, o: HantSelectionOptions): Promise<StudyResult> {
  const opts = ilpOptions(s.manifest);
  return runStudy({
    store: o.store,
    studyName: o.studyName,
    space: hantSpace(opts),
    objectives: HANT_OBJECTIVES,
    strategy: new HantIlp(opts),
    evaluate: (p) => evaluateSelection(s, target, p),
    nTrials: o.nTrials,
    seed: o.seed,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
}
