/**
 * The topology-based resilience predictor: a score of how much a network under a precision policy suffers
 * from random bit flips in its stored weights at a bit error rate, computed from the graph, the policy and
 * (optionally) the weights' value ranges, without injecting anything. Higher = more fragile. It is not
 * fitted to injection results: every term is derived from how a flipped bit propagates (docs/resilience.md).
 *
 * Per conv/dense layer l (N weights of b bits, fan-in F, C output channels):
 * 1. hits: N * b * ber stored bits are hit on average.
 * 2. damage of one hit, as the squared change of the hit weight relative to the energy of its output
 *    channel (F weights of rms size, so F * rms^2):
 *    - integer codes: a hit on bit k moves the code by 2^k (the sign bit by 2^(b-1)); with the symmetric
 *      scale s = max|w| / (2^(b-1) - 1), the mean squared change over the b bits is s^2 (4^b - 1) / (3b),
 *      so the relative damage is rho^2 (4^b - 1) / (3b (2^(b-1) - 1)^2 F), rho = max|w| / rms(w) (the
 *      value range of the layer; 3.5 when no weights are given);
 *    - float32: the exponent's top bit of a weight below 2 in magnitude multiplies it by 2^128, a
 *      catastrophic hit (damage 1, the whole network) with probability 1/32 per hit; the other 31 bits
 *      (lower exponent bits mostly shrink the weight to about zero, the sign doubles the change, mantissa
 *      bits are tiny) are costed as a weight lost or doubled: about (1 + 4 + 6 * 1) / 32 ~ 0.35 / F.
 * 3. bounded downstream: when the layer's output goes through a clipping unit (relu6, hard-sigmoid/swish,
 *    clip, or an activation quantized by the policy, whose grid clips to its calibrated range) the
 *    damage of one hit is capped at 1 (a channel saturates; it does not blow up); a float path without a
 *    clip keeps it unbounded, so a catastrophic hit stays catastrophic. For integer codes the cap applies
 *    per bit position (bit k: rho^2 4^k / (q^2 F)) before the mean over the b bits, since it is the large
 *    top-bit hits that saturate (until 2026-12-03 session 25 it capped the bit-mean, which never bound).
 * 4. dilution: the channel is one of C, so the layer output's relative damage is divided by C; a layer
 *    inside a residual branch (its block adds the unchanged input back) is halved.
 * The score is the expected total damage sum_l hits_l * damage_l; its order is what the search uses.
 */
import type { LayerPrecision, PrecisionPolicy } from '../ir/precision.js';
import type { Graph, Node, Weights } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';

/** The features and score of one layer. */
export interface LayerResilienceFeatures {
  readonly layer: string;
  readonly weights: number;
  readonly bits: number;
  readonly fanIn: number;
  readonly outChannels: number;
  /** max|w| / rms(w) of the layer (3.5 without weights). */
  readonly rangeRatio: number;
  /** True when a clip (bounded activation or quantized activation grid) follows before the next layer. */
  readonly bounded: boolean;
  /** True inside a residual branch. */
  readonly residual: boolean;
  /** Expected stored bits hit at the BER. */
  readonly expectedHits: number;
  /** Expected damage contributed by the layer. */
  readonly damage: number;
}

/** Protection the prediction accounts for (src/resilience/protection.ts). */
export interface PredictedProtection {
  /**
   * Range restriction: every conv/dense layer's output chain ends in a clip to profiled bounds, so every
   * layer is bounded (its hits saturate a channel at worst).
   */
  readonly rangeRestriction?: boolean;
  /**
   * Layers whose weights are stored with SEC-DED (72, 64) ECC: a hit survives decoding only when another bit of
   * its 72-bit word is hit too, so the layer's expected damage is multiplied by 1 - (1 - ber)^71 (about 71 x ber).
   */
  readonly hardened?: ReadonlySet<string>;
}

/** The expected share of a hardened layer's hits that survive SEC-DED (72, 64) decoding at `ber`. */
export function eccSurvivalFactor(ber: number): number {
  return 1 - (1 - ber) ** 71;
}

/** The predictor's output. */
export interface ResiliencePrediction {
  /** Expected damage (higher = more fragile), the sum over layers. */
  readonly score: number;
  /** Expected number of catastrophic hits (float32 exponent top bits on an unbounded path). */
  readonly catastrophicHits: number;
  readonly layers: readonly LayerResilienceFeatures[];
}

const DEFAULT_RANGE_RATIO = 3.5;
const BOUNDED_OPS: ReadonlySet<string> = new Set(['relu6', 'clip', 'hardsigmoid', 'hardswish', 'sigmoid', 'softmax']);
const PASS_OPS: ReadonlySet<string> = new Set(['batchnorm', 'relu', 'identity', 'flatten', 'reshape', 'maxpool', 'avgpool', 'globalavgpool']);

function rangeRatio(w: Float32Array | undefined): number {
  if (!w || w.length === 0) return DEFAULT_RANGE_RATIO;
  let mx = 0;
  let ss = 0;
  for (const v of w) {
    const a = Math.abs(v);
    if (a > mx) mx = a;
    ss += v * v;
  }
  const rms = Math.sqrt(ss / w.length);
  return rms > 0 ? mx / rms : DEFAULT_RANGE_RATIO;
}

function layerBits(policy: PrecisionPolicy | undefined, name: string): { weightBits: number; actBits: number } {
  const lp: LayerPrecision | undefined = policy?.layers[name] ?? policy?.default;
  if (!lp) return { weightBits: 32, actBits: 32 };
  if (lp.groups && lp.groups.length > 0) {
    const n = lp.groups.reduce((a, g) => a + g.channels, 0);
    return {
      weightBits: lp.groups.reduce((a, g) => a + g.weightBits * g.channels, 0) / n,
      actBits: Math.max(...lp.groups.map((g) => g.actBits)),
    };
  }
  return { weightBits: lp.weightBits, actBits: lp.actBits };
}

/**
 * Predict the weight-fault fragility of `graph` under `policy` (undefined: float32) at bit error rate `ber`.
 * `weights` (optional) give each layer's value range; without them a typical ratio is assumed.
 */
export function predictResilience(
  graph: Graph,
  policy: PrecisionPolicy | undefined,
  ber: number,
  weights?: Weights,
  protection: PredictedProtection = {},
): ResiliencePrediction {
  const byName = new Map(graph.nodes.map((n) => [n.name, n] as const));
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const layers = quantizableLayers(graph);
  const isLayer = new Set(layers.map((l) => l.name));
  // which node outputs are quantized activations under the policy: the inputs of layers with actBits < 16
  const quantizedAct = new Set<string>();
  for (const l of layers) if (layerBits(policy, l.name).actBits < 16) quantizedAct.add(l.inputs[0] as string);
  // nodes inside a residual branch: the non-identity operand chain of an 'add' back to the split point
  const residual = new Set<string>();
  for (const n of graph.nodes) {
    if (n.op !== 'add' || n.inputs.length !== 2) continue;
    const [a, b] = n.inputs as [string, string];
    const ancestors = (start: string): Set<string> => {
      const seen = new Set<string>();
      const stack = [start];
      while (stack.length > 0) {
        const x = stack.pop() as string;
        if (seen.has(x)) continue;
        seen.add(x);
        for (const i of byName.get(x)?.inputs ?? []) stack.push(i);
      }
      return seen;
    };
    const ancA = ancestors(a);
    const ancB = ancestors(b);
    for (const x of ancA) if (!ancB.has(x)) residual.add(x);
    for (const x of ancB) if (!ancA.has(x)) residual.add(x);
  }
  /** Does a clip bound the output of `name` before it reaches the next layer (or the output)? */
  const bounded = (name: string): boolean => {
    if (protection.rangeRestriction || quantizedAct.has(name)) return true;
    const next = consumers.get(name) ?? [];
    if (next.length === 0) return false;
    return next.every((c) => {
      if (BOUNDED_OPS.has(c.op) || quantizedAct.has(c.name)) return true;
      if (isLayer.has(c.name) || !PASS_OPS.has(c.op)) return false;
      return bounded(c.name);
    });
  };
  let score = 0;
  let catastrophic = 0;
  const feats = layers.map((l) => {
    const outChannels = l.op === 'conv2d' ? l.outChannels : l.outFeatures;
    const fanIn = l.op === 'conv2d' ? (l.inChannels / l.groups) * l.kernel[0] * l.kernel[1] : l.inFeatures;
    const n = outChannels * fanIn;
    const { weightBits } = layerBits(policy, l.name);
    const float = weightBits >= 16;
    const bits = float ? 32 : weightBits;
    const rho = rangeRatio(weights?.get(`${l.name}.weight`)?.data);
    const isBounded = bounded(l.name);
    const inResidual = residual.has(l.name);
    const hits = n * bits * ber;
    let perHit: number;
    let catas = 0;
    if (float) {
      const mild = (1 + 4 + 6) / 32 / fanIn;
      // bounded: the top exponent bit saturates its channel (damage 1) instead of the network
      if (isBounded) perHit = (1 / 32 + mild) / outChannels;
      else {
        catas = hits / 32;
        perHit = mild / outChannels;
      }
    } else {
      // bit k moves the code by 2^k (the sign bit by 2^(b-1)): relative damage rho^2 4^k / (q^2 F); a
      // clip after the layer caps each hit at its channel saturating, so the cap applies per bit (the
      // large top-bit hits are the ones it bounds), and the mean over the b bits is the damage of one hit
      const q = bits === 1 ? 1 : 2 ** (bits - 1) - 1;
      let rel = 0;
      if (bits === 1) rel = isBounded ? Math.min(1, 4 / fanIn) : 4 / fanIn;
      else
        for (let k = 0; k < bits; k++) {
          const r = (rho * rho * 4 ** k) / (q * q * fanIn);
          rel += (isBounded ? Math.min(1, r) : r) / bits;
        }
      perHit = rel / outChannels;
    }
    // ECC: a hit survives only with a second hit in its word (both the catastrophic and the mild hits)
    const ecc = protection.hardened?.has(l.name) ? eccSurvivalFactor(ber) : 1;
    if (ecc !== 1) catas *= ecc;
    const damage = (hits * perHit * ecc + catas) * (inResidual ? 0.5 : 1);
    score += damage;
    catastrophic += catas;
    return {
      layer: l.name,
      weights: n,
      bits,
      fanIn,
      outChannels,
      rangeRatio: rho,
      bounded: isBounded,
      residual: inResidual,
      expectedHits: hits,
      damage,
    };
  });
  return { score, catastrophicHits: catastrophic, layers: feats };
}

/**
 * Per-layer expected damage as a function of (layer index in conv/dense order, precision), for an
 * allocation that bounds the total (the `fault` row of `ilpSearch` in src/quant/hawq-ilp.ts). Each value
 * is the layer's term of {@link predictResilience} under a uniform policy at that precision; a layer's
 * term depends on its own bits and on whether the activations after it are quantized, so over options
 * that all quantize activations the sum equals the predictor's score of the chosen policy.
 */
export function layerDamageFn(
  graph: Graph,
  ber: number,
  weights?: Weights,
  protection: Pick<PredictedProtection, 'rangeRestriction'> = {},
): (layer: number, p: { weightBits: number; actBits: number }) => number {
  const cache = new Map<string, readonly LayerResilienceFeatures[]>();
  return (layer, p) => {
    const key = `w${p.weightBits}a${p.actBits}`;
    let feats = cache.get(key);
    if (!feats) {
      feats = predictResilience(graph, { name: key, default: { weightBits: p.weightBits, actBits: p.actBits }, layers: {} }, ber, weights, protection).layers;
      cache.set(key, feats);
    }
    const f = feats[layer];
    if (!f) throw new RangeError(`layer index ${layer} is out of range: the graph has ${feats.length} conv/dense layers`);
    return f.damage;
  };
}
