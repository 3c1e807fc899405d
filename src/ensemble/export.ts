/**
 * One ONNX file holding every member of an ensemble and the vote.
 *
 * The members are copies of one graph (node names prefixed `m<k>_`, sharing the input), each ending in
 * a softmax `m<k>_prob`; their weights are the deployed values as float32 initializers (a 1-bit weight
 * is stored as +s_c or -s_c; the 8-bit edge layers as their dequantized grid values). Quantized
 * activations get QuantizeLinear/DequantizeLinear pairs (uint8, with a Clip first below 8 bits), the same
 * grids the engine's fake quantization uses, rounded to nearest (ties to even, as tf.round). Outputs:
 * - `vote` (first output): per class, the number of members whose top class it is + 0.5 x mean softmax
 *   (ArgMax -> OneHot -> ReduceSum), so its argmax is the majority class, ties broken by the mean;
 * - `mean`: the mean of the members' softmax.
 * Weights are written in one of two formats (`weightFormat`):
 * - `float` (default): the deployed values as float32 initializers (a 1-bit weight is +s_c or -s_c);
 * - `qdq`: every conv/dense weight the policy quantizes (below 16 bits) as int8 codes with one float32 scale
 *   per output channel and a per-axis DequantizeLinear (zero point 0): a 1-bit layer's codes are exactly
 *   {-1, +1} with scale s_c, a b-bit layer's codes lie in [-(2^(b-1)-1), 2^(b-1)-1]. The codes are recovered
 *   from the deployed values (scale = max|w_c| / qmax) and checked to reproduce them; the file computes the
 *   same numbers as the float format up to float32 rounding of code x scale.
 * Stochastic (LFSR) rounding of activations is not exported: the file rounds to nearest.
 */
import { type ActQuantConfig, actGrid } from '../engine/quant-grid.js';
import { ConfigError } from '../errors.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import { inputNode } from '../ir/shapes.js';
import type { Graph, Model, Node, Weights, WeightTensor } from '../ir/types.js';
import { type ExportContext, type ExportOptions, exportOnnx } from '../onnx/export.js';
import { appendActivationQdq, appendWeightDequant, type QdqWeight } from '../onnx/qdq.js';

/** How member weights are stored in the file (see the file comment). */
export type WeightFormat = 'float' | 'qdq';

/** Options of {@link exportEnsembleOnnx} beyond the exporter's. */
export interface EnsembleExportOptions extends ExportOptions {
  /** Default 'float'. */
  readonly weightFormat?: WeightFormat;
  /** The members' precision policy: needed for `weightFormat: 'qdq'` (which layers are at how many bits). */
  readonly policy?: PrecisionPolicy;
}

/**
 * The int8 codes and per-output-channel scales of a weight tensor whose values (ONNX layout, output channels
 * on axis 0) lie on a symmetric `bits`-bit grid: scale_c = max|w_c| / qmax (qmax = 1 at 1 bit, else
 * 2^(bits-1) - 1), code = round(w / scale_c). Throws if the codes do not reproduce the values (the tensor is
 * not on such a grid).
 */
export function weightCodes(key: string, t: WeightTensor, bits: number): QdqWeight {
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 8))
    throw new ConfigError(`weight '${key}': ${bits} bits cannot be stored as int8 codes (expected 1..8)`);
  const qmax = bits === 1 ? 1 : 2 ** (bits - 1) - 1;
  const outC = t.shape[0] as number;
  const per = t.data.length / outC;
  const codes = new Int8Array(t.data.length);
  const scales = new Float32Array(outC);
  for (let c = 0; c < outC; c++) {
    let m = 0;
    for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(t.data[i] as number));
    const scale = m > 0 ? m / qmax : 1;
    scales[c] = scale;
    for (let i = c * per; i < (c + 1) * per; i++) {
      const v = t.data[i] as number;
      const q = Math.round(v / scale);
      if (Math.abs(q) > qmax || Math.abs(q * scale - v) > 1e-4 * scale) {
        throw new Error(`ensemble QDQ export: weight '${key}' value ${v} is not on its ${bits}-bit grid (scale ${scale})`);
      }
      codes[i] = q;
    }
  }
  return { codes, scales };
}

/** Output names of the exported ensemble. */
export const ENSEMBLE_OUTPUTS = { vote: 'vote', mean: 'mean' } as const;

const prefix = (k: number, name: string): string => `m${k}_${name}`;

/** The ensemble graph of `k` copies of `graph` (see the file comment) and its weights from each member's. */
export function ensembleModel(graph: Graph, members: readonly Weights[]): Model {
  if (members.length === 0) throw new ConfigError('an ensemble needs at least one member');
  if (graph.outputs.length !== 1) throw new ConfigError(`ensemble export: model '${graph.name}' has ${graph.outputs.length} outputs, expected 1 (the logits)`);
  const inp = inputNode(graph).name;
  const nodes: Node[] = [inputNode(graph)];
  const weights: Weights = new Map();
  const probs: string[] = [];
  members.forEach((w, k) => {
    const ren = (n: string): string => (n === inp ? n : prefix(k, n));
    for (const n of graph.nodes) if (n.op !== 'input') nodes.push({ ...n, name: ren(n.name), inputs: n.inputs.map(ren) } as Node);
    const prob = prefix(k, 'prob');
    nodes.push({ op: 'softmax', name: prob, inputs: [ren(graph.outputs[0] as string)], axis: -1 });
    probs.push(prob);
    for (const [key, t] of w) weights.set(prefix(k, key), t);
  });
  // placeholders: the export hook below replaces their input with the vote / the mean over every member
  nodes.push({ op: 'identity', name: ENSEMBLE_OUTPUTS.vote, inputs: [probs[0] as string] });
  nodes.push({ op: 'identity', name: ENSEMBLE_OUTPUTS.mean, inputs: [probs[0] as string] });
  const outputs = [ENSEMBLE_OUTPUTS.vote, ENSEMBLE_OUTPUTS.mean];
  // the members' input is the model's: its batch (an imported file's, Graph.batch) stays as the file had it
  return { graph: { name: `${graph.name}-ensemble-${members.length}`, nodes, outputs, ...(graph.batch !== undefined ? { batch: graph.batch } : {}) }, weights };
}

/**
 * ONNX bytes of the ensemble: `members` are the deployed weights of each member of `graph`;
 * `activations` the quantized activation grids of one member, keyed by node name (empty = float).
 */
export function exportEnsembleOnnx(
  graph: Graph,
  members: readonly Weights[],
  activations: Readonly<Record<string, ActQuantConfig>>,
  opts: EnsembleExportOptions = {},
): Uint8Array {
  const { weightFormat = 'float', policy, ...exportOpts } = opts;
  if (weightFormat !== 'float' && weightFormat !== 'qdq') throw new ConfigError(`weight format '${String(weightFormat)}': expected float or qdq`);
  if (weightFormat === 'qdq' && !policy) throw new ConfigError("ensemble QDQ weight export needs the members' precision policy");
  const opset = exportOpts.opset ?? 13;
  if (weightFormat === 'qdq' && opset < 13) throw new ConfigError(`ensemble QDQ weight export needs opset >= 13 (per-axis DequantizeLinear), got ${opset}`);
  const model = ensembleModel(graph, members);
  const inp = inputNode(graph).name;
  const k = members.length;
  const gridOf = (tensor: string): ActQuantConfig | undefined => {
    if (tensor === inp) return activations[inp];
    const m = /^m(\d+)_(.*)$/.exec(tensor);
    return m ? activations[m[2] as string] : undefined;
  };
  const done = new Map<string, string>();
  let combined: { vote: string; mean: string } | undefined;
  const combine = (ctx: ExportContext): { vote: string; mean: string } => {
    if (combined) return combined;
    const w = ctx.writer;
    const probs = Array.from({ length: k }, (_, i) => prefix(i, 'prob'));
    const classes = ctx.shapes.get(probs[0] as string)?.[0] as number;
    const mean = w.uniqueName('ensemble_mean');
    w.addNode('Mean', probs, [mean]);
    const tops = probs.map((p) => {
      const t = w.uniqueName(`${p}_top`);
      w.addNode('ArgMax', [p], [t], { axis: { i: 1 }, keepdims: { i: 1 } });
      return t;
    });
    let idx = tops[0] as string;
    if (k > 1) {
      idx = w.uniqueName('ensemble_tops');
      w.addNode('Concat', tops, [idx], { axis: { i: 1 } });
    }
    const hot = w.uniqueName('ensemble_onehot');
    w.addNode('OneHot', [idx, w.addInt64('ensemble_depth', [classes]), w.addFloat('ensemble_onehot_values', [2], [0, 1])], [hot], { axis: { i: -1 } });
    const counts = w.uniqueName('ensemble_counts');
    w.addNode('ReduceSum', [hot, w.addInt64('ensemble_member_axis', [1])], [counts], { keepdims: { i: 0 } });
    const half = w.uniqueName('ensemble_tiebreak');
    w.addNode('Mul', [mean, w.addFloat('ensemble_half', [], [0.5])], [half]);
    const vote = w.uniqueName('ensemble_vote');
    w.addNode('Add', [counts, half], [vote]);
    combined = { vote, mean };
    return combined;
  };
  const bitsOf = (layer: string): number | undefined => {
    if (!policy) return undefined;
    const b = (policy.layers[layer] ?? policy.default).weightBits;
    return b < 16 ? b : undefined;
  };
  return exportOnnx(model, {
    ...exportOpts,
    opset,
    hooks: {
      ...(weightFormat === 'qdq'
        ? {
            weight: (ctx: ExportContext, key: string, t: WeightTensor, node: Node): string => {
              const w = ctx.writer;
              const layer = /^m\d+_(.*)$/.exec(node.name)?.[1] ?? node.name;
              const bits = (node.op === 'conv2d' || node.op === 'dense') && key === `${node.name}.weight` ? bitsOf(layer) : undefined;
              if (bits === undefined) return w.addFloat(key, t.shape, t.data);
              return appendWeightDequant(w, key, t, weightCodes(key, t, bits));
            },
          }
        : {}),
      activation: (ctx, tensor, consumer) => {
        if (consumer.name === ENSEMBLE_OUTPUTS.vote) return combine(ctx).vote;
        if (consumer.name === ENSEMBLE_OUTPUTS.mean) return combine(ctx).mean;
        const c = gridOf(tensor);
        if (!c || c.bits >= 16) return tensor;
        const hit = done.get(tensor);
        if (hit) return hit;
        const dq = appendActivationQdq(ctx.writer, tensor, actGrid(c));
        done.set(tensor, dq);
        return dq;
      },
    },
  });
}
