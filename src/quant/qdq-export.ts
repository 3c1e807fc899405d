/**
 * QDQ ONNX export of a model quantized as the engine's fake quantization says (see src/quant/quant-config.ts):
 * weights become int8 codes at each output channel's bits (per-channel symmetric, the quantizer's
 * rounding), activations take the engine's uint8 grid. src/onnx/qdq.ts writes the file.
 */
import { actChannelGrids, actGrid, type QuantHooksConfig } from '../engine/quant-grid.js';
import { UserError } from '../errors.js';
import type { Model, WeightTensor } from '../ir/types.js';
import type { ExportOptions } from '../onnx/export.js';
import { exportQdqPlan, POLICY_DEFAULT_KEY, type QdqWeight } from '../onnx/qdq.js';
import { computeQuantParams, quantize } from './quantizer.js';

/** Quantize one weight tensor (ONNX layout, output channels on axis 0) at per-channel bits: int8 codes and float scales. */
export function quantizeWeightInt8(t: WeightTensor, channelBits: readonly number[]): QdqWeight {
  const outC = t.shape[0] as number;
  const per = t.data.length / outC;
  const codes = new Int8Array(t.data.length);
  const scales = new Float32Array(outC);
  for (let c = 0; c < outC; c++) {
    const bits = channelBits[c] as number;
    const slice = t.data.subarray(c * per, (c + 1) * per);
    const p = computeQuantParams(slice, [1, per], { bits, granularity: 'per-channel' });
    const q = quantize(slice, [1, per], p);
    codes.set(Int8Array.from(q), c * per);
    scales[c] = p.scale[0] as number;
  }
  return { codes, scales };
}

/**
 * Export a model with QDQ quantization as described by `config` (build it with `quantConfig` in
 * src/quant/quant-config.ts from a policy and a calibration); layers at 16/32 bits stay float.
 * @example const bytes = exportQdqOnnx(model, quantConfig(model.graph, policy, calibration));
 */
export function exportQdqOnnx(model: Model, config: QuantHooksConfig, opts: ExportOptions = {}): Uint8Array {
  return exportQdqPlan(
    model,
    {
      weight: (node, t) => {
        const wc = config.weights[node.name];
        if (!wc) return undefined;
        const outC = t.shape[0] as number;
        const bits = wc.channelBits ?? new Array<number>(outC).fill(wc.bits ?? 32);
        if (bits.every((b) => b >= 16)) return undefined;
        if (bits.some((b) => b >= 16))
          throw new UserError(`QDQ export: layer '${node.name}' mixes float and quantized channels; ONNX QDQ needs one dtype per tensor`);
        return quantizeWeightInt8(t, bits);
      },
      activation: (tensor) => {
        const ac = config.activations[tensor];
        if (ac?.channels) {
          if (ac.channels.bits.some((b) => b >= 16))
            throw new UserError(`QDQ export: activation '${tensor}' mixes float and quantized channels; ONNX QDQ needs one dtype per tensor`);
          const g = actChannelGrids(ac);
          return { ...actGrid(ac), channels: { scale: g.scale, zeroPoint: Uint8Array.from(g.zeroPoint), qmax: g.qmax } };
        }
        return !ac || ac.bits >= 16 ? undefined : actGrid(ac);
      },
    },
    config.policyDefault ? { ...opts, metadata: { ...opts.metadata, [POLICY_DEFAULT_KEY]: JSON.stringify(config.policyDefault) } } : opts,
  );
}
