/**
 * Members of a bitwise ensemble: their precision policy (low-bit weights everywhere except the first
 * and last conv/dense layers and the depthwise convolutions, which stay at 8 bits by default) and their deployed weights, either the
 * deterministic quantization of a latent float model (1 bit: sign x mean|w_c|) or a stochastic sample
 * of it (1 bit: +1 with probability clip((w / (T x s_c) + 1) / 2, 0, 1), T the temperature; 2..8 bits:
 * stochastic rounding on the per-channel grid). Weights stay in the IR's ONNX layout (output channels on
 * axis 0), dequantized to floats (a 1-bit weight is exactly +s_c or -s_c).
 */
import { ConfigError } from '../errors.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import type { Graph, Model, Weights } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';
import { quantizedWeights } from '../quant/quant-config.js';
import { computeQuantParams, dequantize, isFloatBits, quantize } from '../quant/quantizer.js';
import type { Rng } from '../util/rng.js';

/** Precision of the members. */
export interface MemberPrecision {
  /** Weight bits of the inner layers: 1 (binary, the default use), 2..8. */
  readonly weightBits: number;
  /** Activation bits of the inner layers' inputs: 1..8, or 16/32 for float. */
  readonly actBits: number;
  /** Bits of the first and last conv/dense layers (weights and input activations; default 8; 32 = float). */
  readonly edgeBits?: number;
  /** Quantize the first and last layers like the others instead (default false). */
  readonly lowBitEdges?: boolean;
  /**
   * Quantize depthwise convolutions like the other inner layers (default false: they stay at the edge bits,
   * since a 1-bit 3x3 depthwise filter keeps 9 signs and one scale per channel).
   */
  readonly lowBitDepthwise?: boolean;
}

/** Checks a member precision; a ConfigError names the bad value. */
export function checkMemberPrecision(p: MemberPrecision): void {
  if (!(Number.isInteger(p.weightBits) && p.weightBits >= 1 && p.weightBits <= 8)) {
    throw new ConfigError(`member weight bits ${p.weightBits}: expected an integer 1..8`);
  }
  if (!((Number.isInteger(p.actBits) && p.actBits >= 1 && p.actBits <= 8) || p.actBits === 16 || p.actBits === 32)) {
    throw new ConfigError(`member activation bits ${p.actBits}: expected an integer 1..8, or 16/32 for float`);
  }
  const e = p.edgeBits ?? 8;
  if (!((Number.isInteger(e) && e >= 1 && e <= 8) || e === 16 || e === 32)) throw new ConfigError(`edge-layer bits ${e}: expected 1..8, or 16/32 for float`);
}

/**
 * The members' policy: inner conv/dense layers at (weightBits, actBits); the first and last at edgeBits
 * for weights and max(edgeBits, actBits) for their input activations (float stays float).
 */
export function memberPolicy(graph: Graph, p: MemberPrecision): PrecisionPolicy {
  checkMemberPrecision(p);
  const layers = quantizableLayers(graph);
  if (layers.length === 0) throw new ConfigError(`model '${graph.name}' has no conv/dense layer to binarize`);
  const e = p.edgeBits ?? 8;
  const edgeAct = isFloatBits(p.actBits) || isFloatBits(e) ? 32 : Math.max(e, p.actBits);
  const out: Record<string, { weightBits: number; actBits: number }> = {};
  layers.forEach((l, i) => {
    const depthwise = l.op === 'conv2d' && l.groups > 1 && l.groups === l.inChannels;
    const edge = (p.lowBitEdges !== true && (i === 0 || i === layers.length - 1)) || (depthwise && p.lowBitDepthwise !== true);
    out[l.name] = edge ? { weightBits: e, actBits: edgeAct } : { weightBits: p.weightBits, actBits: p.actBits };
  });
  const tag = `${p.lowBitEdges === true ? '' : `-edges${e}`}${p.lowBitDepthwise === true ? '' : `-dw${e}`}`;
  return {
    name: `ens-w${p.weightBits}a${p.actBits}${tag}`,
    default: { weightBits: p.weightBits, actBits: p.actBits },
    layers: out,
  };
}

/** Names of the layers a policy puts below 16 bits and not at the given edge bits (the layers a stochastic member samples). */
export function sampledLayers(graph: Graph, policy: PrecisionPolicy, p: MemberPrecision): string[] {
  return quantizableLayers(graph)
    .filter((l) => (policy.layers[l.name] ?? policy.default).weightBits === p.weightBits)
    .map((l) => l.name);
}

/** Options of {@link memberWeights}. */
export interface SampleOptions {
  /** 'nearest': the deterministic quantization; 'stochastic': one random draw per weight. */
  readonly mode: 'nearest' | 'stochastic';
  /** Needed for 'stochastic'. */
  readonly rng?: Rng;
  /** Temperature T of the 1-bit probability (default 1; larger = more random members). */
  readonly temperature?: number;
}

/**
 * The deployed weights of one member from a latent (float) model: every conv/dense weight quantized as
 * the policy says; with `mode: 'stochastic'`, the layers at `p.weightBits` are drawn at random instead.
 */
export function memberWeights(latent: Model, policy: PrecisionPolicy, p: MemberPrecision, o: SampleOptions): Weights {
  const out = quantizedWeights(latent, policy);
  if (o.mode === 'nearest') return out;
  if (o.mode !== 'stochastic') throw new ConfigError(`sampling mode '${String(o.mode)}' is unknown: expected nearest or stochastic`);
  const rng = o.rng;
  if (!rng) throw new ConfigError('stochastic member sampling needs a seeded rng');
  const t = o.temperature ?? 1;
  if (!(t > 0 && Number.isFinite(t))) throw new ConfigError(`sampling temperature ${t}: expected a positive number`);
  for (const layer of sampledLayers(latent.graph, policy, p)) {
    const key = `${layer}.weight`;
    const w = latent.weights.get(key);
    if (!w) throw new ConfigError(`model has no weight '${key}'`);
    const params = computeQuantParams(w.data, w.shape, { bits: p.weightBits, granularity: 'per-channel', channelAxis: 0 });
    // the temperature widens the 1-bit probability ramp: codes drawn at scale T x s, values at s
    const drawParams = p.weightBits === 1 ? { ...params, scale: params.scale.map((s) => s * t) } : params;
    const codes = quantize(w.data, w.shape, drawParams, 'stochastic', rng);
    out.set(key, { shape: w.shape, data: dequantize(codes, w.shape, params) });
  }
  return out;
}
