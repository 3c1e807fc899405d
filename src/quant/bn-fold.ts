/**
 * Batch-norm folding before quantization: a conv (or dense) whose only consumer is a batch norm in
 * inference form becomes one conv with the normalisation folded into its weights and bias
 * (w'_c = w_c a_c, b'_c = (b_c - mean_c) a_c + beta_c with a_c = gamma_c / sqrt(var_c + eps)); the
 * batch-norm node is removed and its consumers read the conv. What is quantized is then the weight the
 * deployed network runs (the fused conv), as TensorRT, AIMET and PyTorch's `fuse_modules` do.
 *
 * With hwnas's weight quantizer (symmetric, per output channel, min/max or a per-channel clip) folding
 * does not change the quantized network: scaling output channel c by a_c scales its step by |a_c|, so the
 * codes are the same (up to float rounding). It matters for the steps that read or change the fused
 * weights and biases: bias correction (a conv before a batch norm has no bias of its own), learned
 * rounding (the loss is on the fused output), and cross-layer equalisation (needs conv -> relu -> conv).
 */
import { ShapeError } from '../errors.js';
import type { Graph, Model, Node, Weights } from '../ir/types.js';

/** A folded pair: the layer and the batch norm folded into it. */
export interface FoldedPair {
  readonly layer: string;
  readonly batchnorm: string;
}

/** The result of {@link foldBatchNorm}. */
export interface FoldResult {
  readonly model: Model;
  readonly folded: readonly FoldedPair[];
}

function need(weights: Weights, key: string): Float32Array {
  const t = weights.get(key);
  if (!t) throw new ShapeError(`batch-norm folding: the model has no weight '${key}'`);
  return t.data;
}

/** Folds every conv/dense -> batch norm pair (the batch norm the layer's only consumer, not a graph output). */
export function foldBatchNorm(model: Model): FoldResult {
  const { graph } = model;
  const consumers = new Map<string, string[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n.name]);
  const byName = new Map(graph.nodes.map((n) => [n.name, n] as const));
  const weights: Weights = new Map(model.weights);
  const replaced = new Map<string, Node>();
  const removed = new Map<string, string>(); // batch norm -> layer
  const folded: FoldedPair[] = [];
  for (const n of graph.nodes) {
    if (n.op !== 'conv2d' && n.op !== 'dense') continue;
    const c = consumers.get(n.name) ?? [];
    if (c.length !== 1 || graph.outputs.includes(n.name)) continue;
    const bn = byName.get(c[0] as string);
    if (bn?.op !== 'batchnorm') continue;
    const out = n.op === 'conv2d' ? n.outChannels : n.outFeatures;
    if (bn.channels !== out) continue;
    const gamma = need(weights, `${bn.name}.scale`);
    const beta = need(weights, `${bn.name}.bias`);
    const mean = need(weights, `${bn.name}.mean`);
    const vr = need(weights, `${bn.name}.var`);
    const w = weights.get(`${n.name}.weight`);
    if (!w) throw new ShapeError(`batch-norm folding: the model has no weight '${n.name}.weight'`);
    const per = w.data.length / out;
    const wd = new Float32Array(w.data.length);
    const bd = new Float32Array(out);
    const oldBias = n.bias ? need(weights, `${n.name}.bias`) : undefined;
    for (let ch = 0; ch < out; ch++) {
      const a = (gamma[ch] as number) / Math.sqrt((vr[ch] as number) + bn.eps);
      for (let i = 0; i < per; i++) wd[ch * per + i] = (w.data[ch * per + i] as number) * a;
      bd[ch] = ((oldBias ? (oldBias[ch] as number) : 0) - (mean[ch] as number)) * a + (beta[ch] as number);
    }
    weights.set(`${n.name}.weight`, { shape: w.shape, data: wd });
    weights.set(`${n.name}.bias`, { shape: [out], data: bd });
    for (const p of ['scale', 'bias', 'mean', 'var']) weights.delete(`${bn.name}.${p}`);
    replaced.set(n.name, { ...n, bias: true });
    removed.set(bn.name, n.name);
    folded.push({ layer: n.name, batchnorm: bn.name });
  }
  if (folded.length === 0) return { model, folded };
  const rename = (i: string): string => removed.get(i) ?? i;
  const nodes: Node[] = graph.nodes
    .filter((n) => !removed.has(n.name))
    .map((n) => {
      const r = replaced.get(n.name) ?? n;
      return r.inputs.some((i) => removed.has(i)) ? ({ ...r, inputs: r.inputs.map(rename) } as Node) : r;
    });
  const g: Graph = { ...graph, nodes, outputs: graph.outputs.map(rename) };
  return { model: { graph: g, weights }, folded };
}
