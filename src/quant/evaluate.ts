/**
 * The evaluation of a quantization study's trial: the point of the bits space becomes a precision
 * policy (or a channel allocation), its post-training accuracy (or, with `finetune`, HAQ's reward: the
 * accuracy after a short quantization-aware fine-tune) is measured on the search images with
 * calibrated activations, and it is costed on the target; objective = accuracy (maximise), constraint
 * = budgeted cost - budget (<= 0 feasible, with the ILP solver's relative tolerance of 1e-9).
 * Used in process by {@link quantizePipeline} and by the registered `quant-policy` evaluation of
 * worker threads and Redis workers.
 */
import type { Split } from '../data/types.js';
import type { EngineModel } from '../engine/index.js';
import { buildModel } from '../engine/model.js';
import type { TrainData } from '../engine/train.js';
import { ConfigError } from '../errors.js';
import { layerCostAttrs } from '../hardware/layer-costs.js';
import { type PrecisionPolicy, policyFromVectors } from '../hardware/precision.js';
import type { Model } from '../ir/types.js';
import type { JsonValue, Params } from '../search/types.js';
import type { EvaluationResult, Evaluator } from '../study/run-study.js';
import { yieldToEventLoop } from '../util/event-loop.js';
import { evaluatePolicy, qatFinetune } from './apply.js';
import { type CostVector, costOf, type PolicyCoster, type ResourceBudget } from './cost.js';
import { actSplitOf, buildAllocation } from './cw-hawq.js';
import type { Calibration, ChannelBits } from './quant-config.js';
import { readBitsParams } from './strategies/problem.js';

/** Channel-wise set-up of a CW-HAWQ study: widths, channel order per layer (most sensitive first), activation bits per layer and width. */
export interface ChannelSetup {
  readonly bits: readonly number[];
  readonly orders: readonly (readonly number[])[];
  readonly actBits: readonly (readonly number[])[];
  /**
   * Channel-wise activation bits: the searched activation widths and, per layer, its input channels most
   * sensitive first (null: the input stays at one width).
   */
  readonly actChannels?: { readonly acts: readonly number[]; readonly orders: readonly (readonly number[] | null)[] } | undefined;
}

/** What {@link quantPolicyEvaluator} needs. */
export interface QuantEvaluatorOptions {
  /** The float model (built once). */
  readonly model: EngineModel;
  /** Images that score a candidate (validation images, not the test set). */
  readonly searchSet: Split;
  readonly calibration: Calibration;
  readonly coster: PolicyCoster;
  readonly budget: ResourceBudget;
  /** Present for channel-wise (CW-HAWQ) studies. */
  readonly channel?: ChannelSetup;
  /**
   * HAQ's fine-tune reward (`--reward finetune`): each candidate is first fine-tuned quantization-aware
   * from the float weights on these training images (a fresh copy per candidate), then scored.
   * Absent: post-training accuracy.
   */
  readonly finetune?: { readonly data: TrainData; readonly epochs?: number; readonly lr?: number; readonly seed?: number };
}

/** Accuracy on `set` after a short quantization-aware fine-tune of a fresh copy of the float model under `policy`. */
export async function finetunedAccuracy(
  float: Model,
  policy: PrecisionPolicy,
  set: Split,
  cal: Calibration,
  channelBits: ChannelBits,
  ft: NonNullable<QuantEvaluatorOptions['finetune']>,
): Promise<number> {
  const m = buildModel(float);
  try {
    await qatFinetune(m, policy, ft.data, {
      epochs: ft.epochs ?? 1,
      lr: ft.lr ?? 2e-4,
      batchSize: 128,
      seed: ft.seed ?? 0,
      calibration: cal,
      channelBits,
      workers: 1,
    });
    return m.evaluate(set.x, set.y, set.n, { batchSize: 250 }).accuracy;
  } finally {
    m.dispose();
  }
}

/** A candidate of the bits space as a policy (channel groups included) with its per-channel bits. */
export function candidatePolicy(
  coster: PolicyCoster,
  params: Params,
  channel?: ChannelSetup,
  name = 'candidate',
): { readonly policy: PrecisionPolicy; readonly channelBits: ChannelBits } {
  const layers = coster.layers.map((l) => ({ name: l.name, outChannels: l.outChannels }));
  const r = readBitsParams(layers, params);
  if (r.channels) {
    if (!channel) throw new ConfigError("a channel-wise candidate needs the study's channel set-up (widths, channel orders, activation bits)");
    // activation widths: the point's own when the search picks them, else the study's fixed ones
    const ac = channel.actChannels;
    const high = r.channels.actHigh;
    const layerActs = r.channels.actBits;
    if (high && !ac) throw new ConfigError("a candidate with channel-wise activation bits needs the study's activation channel orders");
    const split =
      high && ac && layerActs
        ? coster.layers.map((_, li) => actSplitOf(ac.acts, ac.acts.indexOf(layerActs[li] as number), high[li], ac.orders[li] ?? undefined))
        : undefined;
    const a = buildAllocation(coster, r.channels.bits, r.channels.counts, channel.orders, r.channels.actBits ?? channel.actBits, 1, split);
    return { policy: { ...a.policy, name }, channelBits: a.channelBits };
  }
  return { policy: policyFromVectors(coster.graph, r.weightBits as number[], r.actBits as number[], name), channelBits: {} };
}

/** The cost attributes stored with each trial (null where the target has no model of that kind). */
export function costAttrs(c: CostVector): Record<string, JsonValue> {
  const f = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return { latency_ms: f(c.latency), energy_mj: f(c.energy), size_kb: c.size / 1024, bops: c.bops };
}

/** The evaluator of a quantization study. */
export function quantPolicyEvaluator(o: QuantEvaluatorOptions): Evaluator {
  let floatModel: Model | undefined;
  return async (params, ctx): Promise<EvaluationResult> => {
    await yieldToEventLoop(); // the evaluation is synchronous: let signal handlers (Ctrl-C) run between trials
    const { policy, channelBits } = candidatePolicy(o.coster, params, o.channel, `trial-${ctx.trialNumber}`);
    let accuracy: number;
    let loss: number | undefined;
    if (o.finetune) {
      floatModel ??= o.model.toModel();
      accuracy = await finetunedAccuracy(floatModel, policy, o.searchSet, o.calibration, channelBits, o.finetune);
    } else ({ accuracy, loss } = evaluatePolicy(o.model, policy, o.searchSet, o.calibration, channelBits));
    const cost = o.coster.policyCost(policy);
    const value = costOf(cost, o.budget.kind);
    return {
      values: [accuracy],
      constraints: [value - o.budget.value * (1 + 1e-9)],
      userAttrs: {
        policy: policy as unknown as JsonValue,
        // the validation cross-entropy (post-training scoring only): what the greedy strategy compares
        ...(loss !== undefined && Number.isFinite(loss) ? { loss } : {}),
        ...(Object.keys(channelBits).length ? { channelBits: channelBits as unknown as JsonValue } : {}),
        ...costAttrs(cost),
        // the per-layer bars of the HTML report (the target's network cost of the policy, per-tensor bits)
        layerCosts: layerCostAttrs(o.coster.target.networkCost(o.coster.graph, policy)) as unknown as JsonValue,
        budget: { kind: o.budget.kind, value: o.budget.value },
        target: o.coster.target.name,
      },
    };
  };
}
