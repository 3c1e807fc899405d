/**
 * SynFlow, a zero-cost proxy of a network's trainability (Tanaka et al., NeurIPS 2020; used to rank NAS cells without
 * training by Abdelfattah et al., ICLR 2021, "Zero-Cost Proxies for Lightweight NAS"): every conv/dense weight is
 * replaced by its absolute value, batch norm is bypassed, the input is all ones, R = the sum of the outputs, and the
 * score is the sum over conv/dense weights of |theta * dR/dtheta|. It costs one forward and one backward pass of an
 * untrained network and no accuracy query: in a search it is free, like a cost model, and must be labelled so.
 *
 * Weights: PyTorch's default conv/linear initialisation (uniform in +-1/sqrt(fan in); the absolute value is uniform in
 * [0, 1/sqrt(fan in)]) from a seeded {@link Rng}; biases zero. With biases zero, ReLU (inactive on positive values),
 * average pooling and sums, the network is positively homogeneous in its input and R is linear in it; so running
 * with input `alpha` and output scale `beta` gives `alpha * beta * score` exactly. The original computes in float64;
 * this engine is float32, and R of a 15-cell NB201 network reaches ~1e45 at input 1 (above float32's 3.4e38): the
 * score is computed at `alpha = beta = 2^-45`: the activations then grow from 2^-45 at the input to 2^-45 R at the
 * output, the gradients from 2^-45 at the output to about 2^-45 R at the input, in float32's range for R up to ~1e52;
 * where that pass leaves the range, at `alpha = beta = 2^-round(log2(R)/2)` (R from a forward at input 2^-100), which
 * keeps both within about R^(+-1/2). It is reported as log10 of the unscaled score.
 *
 * Needs the engine (`initEngine`); the caller loads it (this file is imported by benches, not by the CLI).
 */

import { buildModel } from '../../engine/model.js';
import { tf } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import { weightShapes } from '../../ir/init.js';
import type { Graph, Node, Weights } from '../../ir/types.js';
import { Rng } from '../../util/rng.js';

/** Options of {@link synflow}. */
export interface SynflowOptions {
  /** Seed of the random weights (default 0); ignored with `weights`. */
  readonly seed?: number;
  /** Weights to use instead of random ones (ONNX layouts; their signs are dropped, batch-norm entries ignored). */
  readonly weights?: Weights;
}

/** The graph with every batch norm replaced by an identity of the same name (SynFlow's `bn=False`). */
export function synflowGraph(graph: Graph): Graph {
  const nodes = graph.nodes.map((n): Node => (n.op === 'batchnorm' ? { op: 'identity', name: n.name, inputs: [n.inputs[0] as string] } : n));
  return { ...graph, nodes };
}

/** Absolute PyTorch-default weights for the conv/dense layers of `graph` (uniform in [0, 1/sqrt(fan in)]), zero biases. */
export function synflowWeights(graph: Graph, rng: Rng): Weights {
  const w: Weights = new Map();
  for (const [name, shape] of weightShapes(graph)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('.weight')) {
      const bound = 1 / Math.sqrt(shape.slice(1).reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform(0, bound);
    }
    w.set(name, { shape, data });
  }
  return w;
}

/** Keys `<node>.weight` of the conv/dense layers (the weights the score sums over). */
function scoredKeys(graph: Graph): string[] {
  return graph.nodes.filter((n) => n.op === 'conv2d' || n.op === 'dense').map((n) => `${n.name}.weight`);
}

/**
 * log10 of the SynFlow score of `graph` (-Infinity when the score is 0, e.g. a network whose output does not depend
 * on its input). Throws a ConfigError when the scaled pass still leaves float32's range.
 * @example const s = await synflow(nb201Graph(parseNb201(arch)), { seed: 0 });
 */
export async function synflow(graph: Graph, options: SynflowOptions = {}): Promise<number> {
  const g = synflowGraph(graph);
  const w = synflowWeights(g, new Rng(options.seed ?? 0));
  if (options.weights) {
    for (const [k, t] of options.weights) {
      if (!w.has(k)) continue;
      if (k.endsWith('.weight')) w.set(k, { shape: t.shape, data: Float32Array.from(t.data, Math.abs) });
      else if (t.data.some((v) => v !== 0)) throw new ConfigError(`synflow weights: '${k}' is not zero; expected zero biases (the score's scaling needs them)`);
    }
  }
  const model = buildModel({ graph: g, weights: w });
  try {
    const per = model.inputShape.reduce((a, b) => a * b, 1);
    const keys = scoredKeys(g);
    const vars = keys.map((k) => {
      const v = model.variables.get(k);
      if (!v) throw new ConfigError(`synflow of '${graph.name}': no engine variable '${k}'`);
      return v;
    });
    const run = (alpha: number): tf.Tensor => model.forward(model.inputTensor(new Float32Array(per).fill(alpha), 1));
    // log2 of the scaled score, or undefined when the pass at input and output scale 2^-half left float32's range
    const scaled = (half: number): number | undefined => {
      const s = 2 ** -half;
      const { grads, value } = tf.variableGrads(() => tf.mul(tf.sum(run(s)), s) as tf.Scalar, vars);
      const r = value.dataSync()[0] as number;
      value.dispose();
      let total = 0;
      for (const v of vars) {
        const gi = grads[v.name];
        // a weight R does not depend on has no gradient entry (its term is 0)
        if (gi === undefined) continue;
        const gd = gi.dataSync();
        const wd = v.dataSync();
        for (let j = 0; j < wd.length; j++) total += Math.abs((wd[j] as number) * (gd[j] as number));
        gi.dispose();
      }
      if (r === 0 && total === 0) return Number.NEGATIVE_INFINITY;
      // R and the score must both be finite and above float32's smallest normal (2^-126)
      if (!Number.isFinite(total) || !Number.isFinite(r) || r < 2 ** -120 || total < 2 ** -120) return undefined;
      return Math.log2(total) + 2 * half;
    };
    // First try: input and output scale 2^-45 (R of NB201's networks: ~1e9 to ~1e45).
    const first = scaled(45);
    if (first !== undefined) return first === Number.NEGATIVE_INFINITY ? first : first * Math.log10(2);
    // Otherwise measure R at input 2^-100 and scale both by 2^-round(log2(R)/2).
    const r0 = tf.tidy(() => tf.sum(run(2 ** -100)).dataSync()[0] as number);
    if (!Number.isFinite(r0) || r0 === 0) throw new ConfigError(`synflow of '${graph.name}': R = ${r0} at input 2^-100; expected a finite, non-zero value`);
    const second = scaled(Math.round((Math.log2(r0) + 100) / 2));
    if (second === undefined)
      throw new ConfigError(`synflow of '${graph.name}': the scaled pass left float32's range (R ~ 2^${Math.round(Math.log2(r0) + 100)})`);
    return second * Math.log10(2);
  } finally {
    model.dispose();
  }
}
