/**
 * Cross-layer equalisation (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and
 * Bias Correction", section 4.1): for two layers joined by a ReLU (layer1 -> relu -> layer2, each the
 * other's only link), output channel i of layer1 is divided by s_i and input channel i of layer2
 * multiplied by s_i, with s_i = sqrt(r1_i / r2_i) (r = max |w| of that channel), so both ranges become
 * sqrt(r1_i r2_i). ReLU(x / s) = ReLU(x) / s for s > 0, so the float network computes the same function.
 * Sweeps over all pairs repeat until the scales stop moving (a chain of depthwise-separable blocks
 * couples every pair). Run it on a batch-norm-folded model ({@link foldBatchNorm}).
 *
 * Differences from the paper: no high-bias absorption; a relu6 or any other activation between the
 * layers ends a pair (clipping is not scale-equivariant); a dense layer after a flatten is not paired.
 */
import { ShapeError } from '../errors.js';
import type { Model, Node, Weights } from '../ir/types.js';

type Layer = Extract<Node, { op: 'conv2d' | 'dense' }>;

/** One equalised pair. */
export interface EqualizedPair {
  readonly first: string;
  readonly second: string;
}

/** The result of {@link equalizeCrossLayer}. */
export interface EqualizeResult {
  readonly model: Model;
  readonly pairs: readonly EqualizedPair[];
  /** Sweeps run. */
  readonly sweeps: number;
}

const outOf = (l: Layer): number => (l.op === 'conv2d' ? l.outChannels : l.outFeatures);
const inOf = (l: Layer): number => (l.op === 'conv2d' ? l.inChannels : l.inFeatures);
const groupsOf = (l: Layer): number => (l.op === 'conv2d' ? l.groups : 1);

/** The layer1 -> relu -> layer2 pairs of a graph (channel-aligned, single links). */
export function equalizablePairs(model: Model): Array<readonly [Layer, Layer]> {
  const { graph } = model;
  const consumers = new Map<string, string[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n.name]);
  const byName = new Map(graph.nodes.map((n) => [n.name, n] as const));
  const only = (name: string): Node | undefined => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 && !graph.outputs.includes(name) ? byName.get(c[0] as string) : undefined;
  };
  const pairs: Array<readonly [Layer, Layer]> = [];
  for (const n of graph.nodes) {
    if (n.op !== 'conv2d' && n.op !== 'dense') continue;
    const act = only(n.name);
    if (act?.op !== 'relu') continue;
    const next = only(act.name);
    if (next?.op !== 'conv2d' && next?.op !== 'dense') continue;
    if (next.op === 'dense' && n.op !== 'dense') continue;
    if (inOf(next) !== outOf(n)) continue;
    pairs.push([n, next]);
  }
  return pairs;
}

/** Equalises the weight ranges of every ReLU-joined pair (see the module comment). */
export function equalizeCrossLayer(model: Model, opts: { readonly maxSweeps?: number; readonly tol?: number } = {}): EqualizeResult {
  const pairs = equalizablePairs(model);
  if (pairs.length === 0) return { model, pairs: [], sweeps: 0 };
  const weights: Weights = new Map(model.weights);
  const copy = (key: string): Float32Array => {
    const t = weights.get(key);
    if (!t) throw new ShapeError(`cross-layer equalisation: the model has no weight '${key}'`);
    const data = Float32Array.from(t.data);
    weights.set(key, { shape: t.shape, data });
    return data;
  };
  const w = new Map<string, Float32Array>();
  const b = new Map<string, Float32Array>();
  for (const [l1, l2] of pairs) {
    for (const l of [l1, l2]) if (!w.has(l.name)) w.set(l.name, copy(`${l.name}.weight`));
    if (l1.bias && !b.has(l1.name)) b.set(l1.name, copy(`${l1.name}.bias`));
  }
  const maxSweeps = opts.maxSweeps ?? 50;
  const tol = opts.tol ?? 1e-6;
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let moved = 0;
    for (const [l1, l2] of pairs) {
      const w1 = w.get(l1.name) as Float32Array;
      const w2 = w.get(l2.name) as Float32Array;
      const c = outOf(l1);
      const per1 = w1.length / c;
      const out2 = outOf(l2);
      const g2 = groupsOf(l2);
      const inPerGroup = inOf(l2) / g2;
      const outPerGroup = out2 / g2;
      const per2 = w2.length / out2; // inPerGroup * kh * kw
      const k2 = per2 / inPerGroup;
      for (let i = 0; i < c; i++) {
        let r1 = 0;
        for (let j = 0; j < per1; j++) r1 = Math.max(r1, Math.abs(w1[i * per1 + j] as number));
        const g = Math.floor(i / inPerGroup);
        const li = i % inPerGroup;
        let r2 = 0;
        for (let o = g * outPerGroup; o < (g + 1) * outPerGroup; o++)
          for (let k = 0; k < k2; k++) r2 = Math.max(r2, Math.abs(w2[o * per2 + li * k2 + k] as number));
        if (!(r1 > 0 && r2 > 0)) continue;
        const s = Math.sqrt(r1 / r2);
        if (!Number.isFinite(s)) continue;
        moved = Math.max(moved, Math.abs(Math.log(s)));
        for (let j = 0; j < per1; j++) w1[i * per1 + j] = (w1[i * per1 + j] as number) / s;
        const bias = b.get(l1.name);
        if (bias) bias[i] = (bias[i] as number) / s;
        for (let o = g * outPerGroup; o < (g + 1) * outPerGroup; o++)
          for (let k = 0; k < k2; k++) w2[o * per2 + li * k2 + k] = (w2[o * per2 + li * k2 + k] as number) * s;
      }
    }
    if (moved < tol) {
      sweeps++;
      break;
    }
  }
  return { model: { graph: model.graph, weights }, pairs: pairs.map(([a, c]) => ({ first: a.name, second: c.name })), sweeps };
}
