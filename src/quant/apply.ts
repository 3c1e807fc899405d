/**
 * Applying a precision policy to an executable model (the engine, tfjs): activation calibration, fast
 * post-training evaluation, quantization-aware fine-tuning (QAT) and the empirical activation sensitivity.
 * The policy's fake-quant config itself, and its semantics, are src/quant/quant-config.ts.
 */

import { type ActivationStats, lsqQuantHooks, quantHooks, quantHooksModule, recordActivations } from '../engine/fake-quant.js';
import type { EngineModel, EvalResult } from '../engine/model.js';
import { type TrainData, type TrainOptions, type TrainResult, train } from '../engine/train.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import { quantizableLayers } from '../ir/workload.js';
import { activationConfig, activationNodes, type Calibration, type ChannelBits, quantConfig } from './quant-config.js';
import { type CalibrationMethod, isFloatBits } from './quantizer.js';

/**
 * Record activation statistics of the nodes feeding conv/dense layers on `n` calibration samples
 * (float model, eval mode). `method` decides how ranges are cut later (default 'mse').
 */
export function calibrateActivations(
  model: EngineModel,
  x: Float32Array,
  n: number,
  method: CalibrationMethod = 'mse',
  opts: { percentile?: number; batchSize?: number } = {},
): Calibration {
  const nodes = new Set(activationNodes(model.graph).keys());
  const saved = model.hooks;
  let stats: Map<string, ActivationStats>;
  try {
    stats = recordActivations((hooks) => {
      model.hooks = hooks;
      model.predict(x, n, { batchSize: opts.batchSize ?? 256 });
    }, nodes);
  } finally {
    model.hooks = saved;
  }
  return { stats, method, ...(opts.percentile !== undefined ? { percentile: opts.percentile } : {}) };
}

/** Accuracy of `model` under a policy on labelled data (post-training quantization; hooks restored after). */
export function evaluatePolicy(model: EngineModel, policy: PrecisionPolicy, data: TrainData, cal?: Calibration, channelBits: ChannelBits = {}): EvalResult {
  const saved = model.hooks;
  try {
    model.hooks = quantHooks(quantConfig(model.graph, policy, cal, channelBits));
    return model.evaluate(data.x, data.y, data.n, { batchSize: 250 });
  } finally {
    model.hooks = saved;
  }
}

/** Options of {@link qatFinetune}: training options plus the quantization set-up. */
export type QatOptions = TrainOptions & {
  readonly calibration?: Calibration;
  readonly channelBits?: ChannelBits;
  /**
   * Learn the step sizes (LSQ) of weights (per output channel) and activations along with the weights,
   * starting from the min/max and calibrated grids (default false: fixed grids, straight-through
   * estimator). LSQ hooks live in this thread only, so training runs with one worker.
   */
  readonly lsq?: boolean;
};

/**
 * Quantization-aware fine-tuning: trains `model` in place with the policy's fake quantization in the
 * forward pass (straight-through gradients; with `lsq`, learned step sizes). Without LSQ it can use the
 * engine's data-parallel workers (the hooks travel as plain data). The model keeps the quantization
 * hooks afterwards (evaluate it as is, or reset `model.hooks = {}`); LSQ hooks carry the learned steps
 * (see `lsqLearnedConfig`, `disposeLsqHooks` in src/engine/fake-quant.ts).
 */
export async function qatFinetune(model: EngineModel, policy: PrecisionPolicy, data: TrainData, opts: QatOptions): Promise<TrainResult> {
  const cfg = quantConfig(model.graph, policy, opts.calibration, opts.channelBits ?? {});
  if (opts.lsq === true) {
    const out = new Map(quantizableLayers(model.graph).map((l) => [l.name, l.op === 'conv2d' ? l.outChannels : l.outFeatures] as const));
    model.hooks = lsqQuantHooks(cfg, (layer) => {
      const weight = model.variables.get(`${layer}.weight`);
      const outChannels = out.get(layer);
      return weight && outChannels !== undefined ? { weight, outChannels } : undefined;
    });
    model.hooksModule = undefined;
    return train(model, data, { ...opts, workers: 1 });
  }
  model.hooks = quantHooks(cfg);
  model.hooksModule = quantHooksModule(cfg);
  return train(model, data, opts);
}

/**
 * Empirical activation sensitivity: for each conv/dense layer and each bit-width, the increase of the
 * mean loss on `data` when only that layer's input activation is quantized (weights float).
 * Returns `[layer][bitIndex]` in `quantizableLayers` order (a loss-unit score for the ILP).
 */
export function activationSensitivity(model: EngineModel, data: TrainData, cal: Calibration, bits: readonly number[]): number[][] {
  const saved = model.hooks;
  try {
    model.hooks = {};
    const base = model.evaluate(data.x, data.y, data.n, { batchSize: 250 }).loss;
    return quantizableLayers(model.graph).map((l) => {
      const node = l.inputs[0] as string;
      return bits.map((b) => {
        if (isFloatBits(b)) return 0;
        model.hooks = quantHooks({ weights: {}, activations: { [node]: activationConfig(cal, node, b) } });
        return model.evaluate(data.x, data.y, data.n, { batchSize: 250 }).loss - base;
      });
    });
  } finally {
    model.hooks = saved;
  }
}
