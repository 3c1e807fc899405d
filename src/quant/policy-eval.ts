/**
 * Post-training accuracy of a trained model under a precision policy (what `hwnas eval --policy`
 * reports): the engine's fake-quant of weights (symmetric, per output channel) and of every activation
 * the policy quantizes, with activation ranges calibrated (MSE-optimal, as `quantize`) on training
 * images, beside the float accuracy of the same model on the same images. With `ptq`, the post-training
 * steps of src/quant/ptq.ts run first (fold / equalise before calibration, then the policy's steps).
 */

import { buildModel } from '../engine/model.js';
import type { TrainData } from '../engine/train.js';
import { ConfigError } from '../errors.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import type { Model } from '../ir/types.js';
import { calibrateActivations, evaluatePolicy } from './apply.js';
import { hasPolicySteps, type PtqOptions, prepareFloat, preparePolicy } from './ptq.js';
import { quantConfig } from './quant-config.js';

/** Options of {@link policyAccuracy}. */
export interface PolicyAccuracyOptions {
  /** Images whose activations set the ranges (training images). */
  readonly calibration: { readonly x: Float32Array; readonly n: number };
  /** Calibration images used (default 512, at most the images given). */
  readonly calibrationImages?: number;
  /** Post-training steps (src/quant/ptq.ts; default none). */
  readonly ptq?: PtqOptions;
}

/** The outcome of {@link policyAccuracy}. */
export interface PolicyAccuracy {
  readonly floatAccuracy: number;
  readonly accuracy: number;
  readonly n: number;
  readonly calibrationImages: number;
  /** conv/dense layers whose weights are quantized (< 16 bits). */
  readonly weightQuantizers: number;
  /** Activation tensors quantized (< 16 bits). */
  readonly activationQuantizers: number;
}

/** Float and post-training quantized accuracy of `model` under `policy` on `data`. */
export function policyAccuracy(model: Model, policy: PrecisionPolicy, data: TrainData, o: PolicyAccuracyOptions): PolicyAccuracy {
  if (data.n === 0) throw new ConfigError('no images to measure accuracy on: expected at least 1');
  if (o.calibration.n === 0) throw new ConfigError('no calibration images: expected training images to calibrate activation ranges');
  const calN = Math.min(o.calibrationImages ?? 512, o.calibration.n);
  if (calN < 1) throw new ConfigError(`calibration images ${o.calibrationImages}: expected at least 1`);
  const ptq = o.ptq ?? {};
  const prepared = prepareFloat(model, ptq).model;
  const engine = buildModel(prepared);
  try {
    engine.hooks = {};
    const floatAccuracy = engine.evaluate(data.x, data.y, data.n, { batchSize: 250 }).accuracy;
    const cal = calibrateActivations(engine, o.calibration.x, calN, 'mse');
    const cfg = quantConfig(prepared.graph, policy, cal);
    let accuracy: number;
    if (hasPolicySteps(ptq)) {
      const q = buildModel(preparePolicy(prepared, policy, ptq, { images: { x: o.calibration.x, n: calN }, calibration: cal }));
      try {
        accuracy = evaluatePolicy(q, policy, data, cal).accuracy;
      } finally {
        q.dispose();
      }
    } else accuracy = evaluatePolicy(engine, policy, data, cal).accuracy;
    return {
      floatAccuracy,
      accuracy,
      n: data.n,
      calibrationImages: calN,
      weightQuantizers: Object.values(cfg.weights).filter((w) => (w.channelBits ?? [w.bits ?? 32]).some((b) => b < 16)).length,
      activationQuantizers: Object.keys(cfg.activations).length,
    };
  } finally {
    engine.dispose();
  }
}
