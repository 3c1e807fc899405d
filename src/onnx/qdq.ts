/**
 * Quantized ONNX export in QDQ form (QuantizeLinear/DequantizeLinear), written through the exporter's
 * hooks. It follows the engine's fake quantization exactly (see src/quant/apply.ts):
 * - conv/dense weights: int8 initializers holding the codes at the layer's bits (per output channel,
 *   symmetric, zero point 0; fewer bits simply use a smaller part of the int8 range), a float32 scale per
 *   output channel, and a per-axis DequantizeLinear (axis 0); layers at 16/32 bits stay float;
 * - activations: every read of a quantized tensor goes through Clip (only below 8 bits, to the grid's
 *   [qmin, qmax] range) -> QuantizeLinear (uint8, scale, zero point) -> DequantizeLinear.
 * Needs opset >= 13 (per-axis DequantizeLinear).
 */
import { UserError } from '../errors.js';
import { actGrid, type QuantHooksConfig } from '../engine/fake-quant.js';
import type { Model, Node, WeightTensor } from '../ir/types.js';
import { computeQuantParams, quantize } from '../quant/quantizer.js';
import { type ExportContext, type ExportOptions, exportOnnx } from './export.js';

/** Quantize one weight tensor (ONNX layout, output channels on axis 0) at per-channel bits: int8 codes and float scales. */
export function quantizeWeightInt8(t: WeightTensor, channelBits: readonly number[]): { codes: Int8Array; scales: Float32Array } {
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
 * src/quant/apply.ts from a policy and a calibration).
 * @example const bytes = exportQdqOnnx(model, quantConfig(model.graph, policy, calibration));
 */
export function exportQdqOnnx(model: Model, config: QuantHooksConfig, opts: ExportOptions = {}): Uint8Array {
  const opset = opts.opset ?? 13;
  if (opset < 13) throw new UserError(`QDQ export needs opset >= 13 (per-channel DequantizeLinear), got ${opset}`);
  const qdqOf = new Map<string, string>();
  return exportOnnx(model, {
    ...opts,
    opset,
    hooks: {
      weight: (ctx: ExportContext, key: string, t: WeightTensor, node: Node): string => {
        const w = ctx.writer;
        const wc = node.op === 'conv2d' || node.op === 'dense' ? config.weights[node.name] : undefined;
        if (!wc || !key.endsWith('.weight')) return w.addFloat(key, t.shape, t.data);
        const outC = t.shape[0] as number;
        const bits = wc.channelBits ?? new Array<number>(outC).fill(wc.bits ?? 32);
        if (bits.every((b) => b >= 16)) return w.addFloat(key, t.shape, t.data);
        if (bits.some((b) => b >= 16)) throw new UserError(`QDQ export: layer '${node.name}' mixes float and quantized channels; ONNX QDQ needs one dtype per tensor`);
        const { codes, scales } = quantizeWeightInt8(t, bits);
        const q = w.addInitializer(`${key}_quantized`, t.shape, 'int8', codes);
        const s = w.addFloat(`${key}_scale`, [outC], scales);
        const z = w.addInitializer(`${key}_zero_point`, [outC], 'int8', new Int8Array(outC));
        const out = w.uniqueName(`${key}_dequantized`);
        w.addNode('DequantizeLinear', [q, s, z], [out], { axis: { i: 0 } });
        return out;
      },
      activation: (ctx: ExportContext, tensor: string): string => {
        const ac = config.activations[tensor];
        if (!ac || ac.bits >= 16) return tensor;
        const hit = qdqOf.get(tensor);
        if (hit) return hit;
        const w = ctx.writer;
        const g = actGrid(ac);
        let x = tensor;
        if (g.qmax < 255) {
          const clipped = w.uniqueName(`${tensor}_clip`);
          const lo = (g.qmin - g.zeroPoint) * g.scale;
          const hi = (g.qmax - g.zeroPoint) * g.scale;
          w.addNode('Clip', [x, w.addFloat(`${tensor}_clip_min`, [], [lo]), w.addFloat(`${tensor}_clip_max`, [], [hi])], [clipped]);
          x = clipped;
        }
        const s = w.addFloat(`${tensor}_scale`, [], [g.scale]);
        const z = w.addInitializer(`${tensor}_zero_point`, [], 'uint8', Uint8Array.from([g.zeroPoint]));
        const q = w.uniqueName(`${tensor}_quantized`);
        w.addNode('QuantizeLinear', [x, s, z], [q]);
        const dq = w.uniqueName(`${tensor}_dequantized`);
        w.addNode('DequantizeLinear', [q, s, z], [dq]);
        qdqOf.set(tensor, dq);
        return dq;
      },
    },
  });
}
