/**
 * QDQ ONNX export of a model quantized as the engine's fake quantization says (see src/quant/quant-config.ts):
 * weights become int8 codes at each output channel's bits (per-channel symmetric, the quantizer's
 * rounding), activations take the engine's uint8 grid, and the bias of a layer whose weights and (per-tensor) input
 * are quantized becomes int32 codes at scale input scale x weight scale, as the engine's `fakeQuantBias`.
 * src/onnx/qdq.ts writes the file.
 */
import { actChannelGrids, actGrid, biasInputScale, type QuantHooksConfig } from '../engine/quant-grid.js';
import { UserError } from '../errors.js';
import type { Model, Node, WeightTensor } from '../ir/types.js';
import type { ExportOptions } from '../onnx/export.js';
import { exportQdqPlan, POLICY_DEFAULT_KEY, type QdqBias, type QdqWeight } from '../onnx/qdq.js';
import { computeQuantParams, quantize, roundHalfEven } from './quantizer.js';

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
 * Quantize a bias to int32 codes at scale `inScale x weightScales[c]` (float32, as the engine multiplies them),
 * rounded ties to even and clamped to the int32 range as the engine's fake quantization does.
 */
export function quantizeBiasInt32(bias: Float32Array, weightScales: Float32Array, inScale: number): QdqBias {
  const scales = Float32Array.from(weightScales, (s) => Math.fround(s * inScale));
  const codes = Int32Array.from(bias, (b, c) => Math.min(2 ** 31 - 128, Math.max(-(2 ** 31), roundHalfEven(Math.fround(b / (scales[c] as number))))));
  return { codes, scales };
}

/**
 * Export a model with QDQ quantization as described by `config` (build it with `quantConfig` in
 * src/quant/quant-config.ts from a policy and a calibration); layers at 16/32 bits stay float.
 * @example const bytes = exportQdqOnnx(model, quantConfig(model.graph, policy, calibration));
 */
export function exportQdqOnnx(model: Model, config: QuantHooksConfig, opts: ExportOptions = {}): Uint8Array {
  const quantized = new Map<string, QdqWeight | undefined>();
  const weightOf = (node: Node, tensor?: WeightTensor): QdqWeight | undefined => {
    if (quantized.has(node.name)) return quantized.get(node.name);
    const wc = config.weights[node.name];
    const t = tensor ?? model.weights.get(`${node.name}.weight`);
    let q: QdqWeight | undefined;
    if (wc && t) {
      const outC = t.shape[0] as number;
      const bits = wc.channelBits ?? new Array<number>(outC).fill(wc.bits ?? 32);
      if (bits.some((b) => b >= 16) && bits.some((b) => b < 16))
        throw new UserError(`QDQ export: layer '${node.name}' mixes float and quantized channels; ONNX QDQ needs one dtype per tensor`);
      q = bits.every((b) => b >= 16) ? undefined : quantizeWeightInt8(t, bits);
    }
    quantized.set(node.name, q);
    return q;
  };
  return exportQdqPlan(
    model,
    {
      weight: weightOf,
      bias: (node, t) => {
        const w = weightOf(node);
        const inScale = biasInputScale(config, node.inputs[0] as string);
        return w && inScale !== undefined ? quantizeBiasInt32(t.data, w.scales, inScale) : undefined;
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
