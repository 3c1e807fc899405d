/**
 * Quantized ONNX export in QDQ form (QuantizeLinear/DequantizeLinear), written through the exporter's
 * hooks, for a quantization already decided by the caller (src/quant/qdq-export.ts derives the plan
 * from the engine's fake-quant config, so the file matches the engine exactly):
 * - conv/dense weights: int8 initializers holding the codes (per output channel, symmetric, zero point 0;
 *   fewer bits simply use a smaller part of the int8 range), a float32 scale per output channel, and a
 *   per-axis DequantizeLinear (axis 0); weights the plan leaves out stay float;
 * - conv/dense biases the plan quantizes: int32 initializers holding the codes at scale input scale x weight scale
 *   (one per output channel, zero point 0) and a per-axis DequantizeLinear (axis 0), the form onnxruntime's
 *   quantizer writes and its QLinearConv/QGemm fusions take as they are;
 * - activations: every read of a quantized tensor goes through Clip (only when the grid is narrower
 *   than uint8's [0, 255]) -> QuantizeLinear (uint8, scale, zero point) -> DequantizeLinear.
 * Needs opset >= 13 (per-axis DequantizeLinear). Knows only the IR: no tensor library, no quantizer.
 */
import { UserError } from '../errors.js';
import type { Model, Node, WeightTensor } from '../ir/types.js';
import { type ExportContext, type ExportOptions, exportOnnx } from './export.js';

/**
 * The `metadata_props` key under which a QDQ export records its policy's default bits (JSON `{"weightBits":8,"actBits":8}`):
 * the bits a node no conv/dense layer reads is costed at (docs/hardware.md), which the QDQ pairs alone do not say.
 */
export const POLICY_DEFAULT_KEY = 'hwnas.policy.default';

/** A quantized weight tensor (ONNX layout, output channels on axis 0): int8 codes and one float scale per output channel (zero point 0). */
export interface QdqWeight {
  readonly codes: Int8Array;
  readonly scales: Float32Array;
}

/** A quantized bias `[outChannels]`: int32 codes and one float scale per output channel (zero point 0). */
export interface QdqBias {
  readonly codes: Int32Array;
  readonly scales: Float32Array;
}

/** The uint8 grid of an activation tensor: value = (q - zeroPoint) * scale for integer q in [qmin, qmax]. */
export interface QdqActivation {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
  /**
   * Per-channel grids of a `[N, C, H, W]` tensor (channel-wise activation bits): channel c on
   * `(q - zeroPoint[c]) * scale[c]`, q in [0, qmax[c]]; written as Max/Min with per-channel bounds, then a
   * per-axis (axis 1) QuantizeLinear/DequantizeLinear pair. The fields above are then unused.
   */
  readonly channels?: { readonly scale: Float32Array; readonly zeroPoint: Uint8Array; readonly qmax: Float32Array };
}

/** What a QDQ export quantizes; returning undefined keeps a tensor float. */
export interface QdqPlan {
  /** The quantized `weight` tensor of a conv2d or dense node (biases and other nodes' weights stay float). */
  readonly weight: (node: Node, tensor: WeightTensor) => QdqWeight | undefined;
  /** The quantized `bias` tensor of a conv2d or dense node; absent or undefined keeps it float. */
  readonly bias?: (node: Node, tensor: WeightTensor) => QdqBias | undefined;
  /** The grid of an activation tensor (by tensor name, i.e. its producing node). */
  readonly activation: (tensor: string) => QdqActivation | undefined;
}

function checkWeight(key: string, t: WeightTensor, q: QdqWeight): void {
  const outC = t.shape[0] as number;
  if (q.codes.length !== t.data.length || q.scales.length !== outC) {
    throw new Error(`QDQ export: weight '${key}' has ${q.codes.length} codes and ${q.scales.length} scales, expected ${t.data.length} and ${outC}`);
  }
}

/**
 * Export a model as QDQ ONNX following `plan`.
 * @example const bytes = exportQdqPlan(model, { weight: () => undefined, activation: (t) => grids.get(t) });
 */
export function exportQdqPlan(model: Model, plan: QdqPlan, opts: ExportOptions = {}): Uint8Array {
  const opset = opts.opset ?? 13;
  if (opset < 13) throw new UserError(`QDQ export needs opset >= 13 (per-channel DequantizeLinear), got ${opset}`);
  const qdqOf = new Map<string, string>();
  return exportOnnx(model, {
    ...opts,
    opset,
    hooks: {
      weight: (ctx: ExportContext, key: string, t: WeightTensor, node: Node): string => {
        const w = ctx.writer;
        const layer = node.op === 'conv2d' || node.op === 'dense';
        const b = layer && key === `${node.name}.bias` ? plan.bias?.(node, t) : undefined;
        if (b) return appendBiasDequant(w, key, t, b);
        const q = layer && key === `${node.name}.weight` ? plan.weight(node, t) : undefined;
        if (!q) return w.addFloat(key, t.shape, t.data);
        return appendWeightDequant(w, key, t, q);
      },
      activation: (ctx: ExportContext, tensor: string): string => {
        const hit = qdqOf.get(tensor);
        if (hit) return hit;
        const g = plan.activation(tensor);
        if (!g) return tensor;
        const dq = appendActivationQdq(ctx.writer, tensor, g);
        qdqOf.set(tensor, dq);
        return dq;
      },
    },
  });
}

/**
 * Writes a quantized weight as int8 codes, per-output-channel float32 scales, a zero zero point and a per-axis
 * (axis 0) DequantizeLinear, and returns the dequantized tensor's name.
 */
export function appendWeightDequant(w: ExportContext['writer'], key: string, t: WeightTensor, q: QdqWeight): string {
  checkWeight(key, t, q);
  const outC = t.shape[0] as number;
  const codes = w.addInitializer(`${key}_quantized`, t.shape, 'int8', q.codes);
  const s = w.addFloat(`${key}_scale`, [outC], q.scales);
  const z = w.addInitializer(`${key}_zero_point`, [outC], 'int8', new Int8Array(outC));
  const out = w.uniqueName(`${key}_dequantized`);
  w.addNode('DequantizeLinear', [codes, s, z], [out], { axis: { i: 0 } });
  return out;
}

/** Writes a quantized bias as int32 codes, per-output-channel float32 scales, a zero zero point and a DequantizeLinear (axis 0). */
function appendBiasDequant(w: ExportContext['writer'], key: string, t: WeightTensor, q: QdqBias): string {
  const outC = t.data.length;
  if (q.codes.length !== outC || q.scales.length !== outC)
    throw new Error(`QDQ export: bias '${key}' has ${q.codes.length} codes and ${q.scales.length} scales, expected ${outC} of each`);
  const codes = w.addInitializer(`${key}_quantized`, [outC], 'int32', q.codes);
  const s = w.addFloat(`${key}_scale`, [outC], q.scales);
  const z = w.addInitializer(`${key}_zero_point`, [outC], 'int32', new Int32Array(outC));
  const out = w.uniqueName(`${key}_dequantized`);
  w.addNode('DequantizeLinear', [codes, s, z], [out], { axis: { i: 0 } });
  return out;
}

/**
 * Writes the QuantizeLinear/DequantizeLinear pair of an activation on a uint8 grid (with a Clip first when the
 * grid is narrower than 8 bits) and returns the dequantized tensor's name.
 */
export function appendActivationQdq(w: ExportContext['writer'], tensor: string, g: QdqActivation): string {
  if (g.channels) return appendChannelActivationQdq(w, tensor, g.channels);
  let x = tensor;
  if (g.qmin > 0 || g.qmax < 255) {
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
  return dq;
}

/**
 * Per-channel activation QDQ of an `[N, C, H, W]` tensor: clipping to each channel's grid emulated exactly by
 * Max/Min with `[1, C, 1, 1]` bounds (the grid's end points, so values already on the grid stay unchanged),
 * then QuantizeLinear/DequantizeLinear per axis 1 (uint8 codes, per-channel scale and zero point).
 */
function appendChannelActivationQdq(
  w: ExportContext['writer'],
  tensor: string,
  g: { readonly scale: Float32Array; readonly zeroPoint: Uint8Array; readonly qmax: Float32Array },
): string {
  const C = g.scale.length;
  if (g.zeroPoint.length !== C || g.qmax.length !== C)
    throw new Error(`QDQ export: activation '${tensor}' has ${C} scales, ${g.zeroPoint.length} zero points and ${g.qmax.length} code ranges`);
  const lo = new Float32Array(C);
  const hi = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    lo[c] = (0 - (g.zeroPoint[c] as number)) * (g.scale[c] as number);
    hi[c] = ((g.qmax[c] as number) - (g.zeroPoint[c] as number)) * (g.scale[c] as number);
  }
  const low = w.uniqueName(`${tensor}_clip_low`);
  w.addNode('Max', [tensor, w.addFloat(`${tensor}_clip_min`, [1, C, 1, 1], lo)], [low]);
  const clipped = w.uniqueName(`${tensor}_clip`);
  w.addNode('Min', [low, w.addFloat(`${tensor}_clip_max`, [1, C, 1, 1], hi)], [clipped]);
  const s = w.addFloat(`${tensor}_scale`, [C], g.scale);
  const z = w.addInitializer(`${tensor}_zero_point`, [C], 'uint8', g.zeroPoint);
  const q = w.uniqueName(`${tensor}_quantized`);
  w.addNode('QuantizeLinear', [clipped, s, z], [q], { axis: { i: 1 } });
  const dq = w.uniqueName(`${tensor}_dequantized`);
  w.addNode('DequantizeLinear', [q, s, z], [dq], { axis: { i: 1 } });
  return dq;
}
