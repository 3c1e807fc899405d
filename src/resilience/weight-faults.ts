/**
 * Weight sites: the stored conv/dense weights of a model as deployed under a precision policy, and
 * permanent faults in them.
 *
 * Representation (what a fault hits), per layer:
 * - quantized layers (1..8 bits): the integer codes of the QDQ export (symmetric, per output channel,
 *   src/quant/qdq-export.ts), each stored in `bits`-bit two's complement (the top bit is the sign bit);
 *   1-bit layers store the sign (bit 1 = +1). The per-channel float scales are not fault sites. Granularity
 *   `per-tensor` (one symmetric scale) or `asymmetric` (per channel, unsigned codes with a zero point; the top bit
 *   is then the most significant magnitude bit, not a sign) change what the codes mean.
 * - float layers (16/32 bits, or no policy): the float32 bit pattern (bit 31 sign, 30..23 exponent,
 *   22..0 mantissa); 16-bit layers are stored and hit as float32 too.
 * Biases and batch-norm parameters are not fault sites (see docs/resilience.md).
 */
import { ConfigError } from '../errors.js';
import type { PrecisionPolicy } from '../ir/precision.js';
import type { Model, Node, Weights } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';
import { exportQdqPlan, type QdqActivation } from '../onnx/qdq.js';
import { quantizeBiasInt32, quantizeWeightInt8 } from '../quant/qdq-export.js';
import { quantConfig } from '../quant/quant-config.js';
import { computeQuantParams, quantize } from '../quant/quantizer.js';
import { Rng } from '../util/rng.js';
import { type FaultModel, faultBinaryCode, faultFloat32, faultSignedCode, sampleFaultBits } from './fault-model.js';

/** One conv/dense weight tensor as stored: integer codes with their scales, or float32 values. */
export interface WeightSite {
  /** Layer (node) name. */
  readonly layer: string;
  /** Weight key `<layer>.weight`. */
  readonly key: string;
  readonly shape: readonly number[];
  readonly outChannels: number;
  /** Elements per output channel. */
  readonly perChannel: number;
  /** Stored bits per output channel: 1..8 (integer codes) or 32 (float32). */
  readonly channelBits: readonly number[];
  /** Integer codes (ONNX layout) when every channel is quantized; undefined for float layers. */
  readonly codes: Int8Array | undefined;
  /** One scale per output channel when quantized. */
  readonly scales: Float32Array | undefined;
  /**
   * Asymmetric storage (`asymmetric` granularity): one zero point per output channel; the codes are then unsigned
   * `bits`-bit values u in [0, 2^bits - 1] kept as the same bit pattern read as two's complement (so a bit flip is the
   * same operation on the stored pattern), and the weight is (u - zeroPoint) x scale. Undefined: symmetric codes.
   */
  readonly zeroPoints?: Int32Array | undefined;
  /** The float32 weights (used when the layer is float). */
  readonly values: Float32Array;
  /** Total stored bits of the tensor. */
  readonly totalBits: number;
}

/**
 * How integer weight codes are scaled: `per-channel` (one symmetric scale per output channel, what the QDQ export
 * writes) or `per-tensor` (one symmetric scale for the whole tensor, max|w| / (2^(b-1) - 1), stored as equal
 * per-channel scales; small channels then use few of their codes, so a flipped top bit is a larger step relative
 * to them).
 */
export type WeightGranularity = 'per-channel' | 'per-tensor' | 'asymmetric';

/** The unsigned code of a `bits`-bit pattern held as two's complement. */
export function unsignedCode(code: number, bits: number): number {
  return code < 0 ? code + 2 ** bits : code;
}

/**
 * Asymmetric per-channel storage: per output channel the min/max grid of unsigned `b`-bit codes with a zero point
 * (src/quant/quantizer.ts, symmetric: false), the codes kept as their bit pattern in two's complement.
 */
function quantizeAsymmetric(layer: string, t: { readonly shape: readonly number[]; readonly data: Float32Array }, bits: readonly number[]) {
  const outC = t.shape[0] as number;
  const per = t.data.length / outC;
  const codes = new Int8Array(t.data.length);
  const scales = new Float32Array(outC);
  const zeroPoints = new Int32Array(outC);
  for (let c = 0; c < outC; c++) {
    const b = bits[c] as number;
    if (b < 2) throw new ConfigError(`layer '${layer}' stores ${b}-bit weights: asymmetric storage needs at least 2 bits`);
    const slice = t.data.subarray(c * per, (c + 1) * per);
    const p = computeQuantParams(slice, [1, per], { bits: b, symmetric: false, granularity: 'per-channel' });
    const q = quantize(slice, [1, per], p);
    const half = 2 ** (b - 1);
    for (let i = 0; i < per; i++) {
      const u = q[i] as number;
      codes[c * per + i] = u >= half ? u - 2 * half : u;
    }
    scales[c] = p.scale[0] as number;
    zeroPoints[c] = p.zeroPoint[0] as number;
  }
  return { codes, scales, zeroPoints };
}

/** The float32 weights of an asymmetric site from (possibly faulty) codes: (u - zeroPoint) x scale per channel. */
export function dequantizeAsymmetric(site: WeightSite, codes: Int8Array): Float32Array {
  const zp = site.zeroPoints;
  const sc = site.scales;
  if (!zp || !sc) throw new Error(`site '${site.layer}' is not asymmetric integer storage`);
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = Math.floor(i / site.perChannel);
    const b = site.channelBits[c] as number;
    out[i] = (unsignedCode(codes[i] as number, b) - (zp[c] as number)) * (sc[c] as number);
  }
  return out;
}

function quantizePerTensor(layer: string, t: { readonly shape: readonly number[]; readonly data: Float32Array }, bits: readonly number[]) {
  const b = bits[0] as number;
  if (bits.some((x) => x !== b)) throw new ConfigError(`layer '${layer}' mixes weight widths per channel: per-tensor storage needs one width per tensor`);
  let mx = 0;
  for (const v of t.data) mx = Math.max(mx, Math.abs(v));
  const outC = t.shape[0] as number;
  const codes = new Int8Array(t.data.length);
  if (b === 1) {
    // 1-bit: the sign, scaled by the mean magnitude of the tensor
    let s = 0;
    for (const v of t.data) s += Math.abs(v);
    for (let i = 0; i < t.data.length; i++) codes[i] = (t.data[i] as number) >= 0 ? 1 : -1;
    return { codes, scales: new Float32Array(outC).fill(t.data.length > 0 && s > 0 ? s / t.data.length : 1) };
  }
  const q = 2 ** (b - 1) - 1;
  const scale = mx > 0 ? mx / q : 1;
  for (let i = 0; i < t.data.length; i++) codes[i] = Math.max(-q, Math.min(q, Math.round((t.data[i] as number) / scale)));
  return { codes, scales: new Float32Array(outC).fill(scale) };
}

/**
 * The weight sites of a model under a policy (no policy: every layer float32). A layer mixing float and
 * quantized channels is refused (ONNX QDQ holds one dtype per tensor).
 */
export function weightSites(model: Model, policy?: PrecisionPolicy, granularity: WeightGranularity = 'per-channel'): WeightSite[] {
  if (granularity !== 'per-channel' && granularity !== 'per-tensor' && granularity !== 'asymmetric')
    throw new ConfigError(`weight granularity '${String(granularity)}' is unknown: expected per-channel, per-tensor or asymmetric`);
  const cfg = policy ? quantConfig(model.graph, policy) : undefined;
  return quantizableLayers(model.graph).map((l) => {
    const key = `${l.name}.weight`;
    const t = model.weights.get(key);
    if (!t) throw new ConfigError(`model has no weight '${key}'`);
    const outChannels = t.shape[0] as number;
    const perChannel = t.data.length / outChannels;
    const wc = cfg?.weights[l.name];
    const bits = wc?.channelBits ?? new Array<number>(outChannels).fill(wc?.bits ?? 32);
    const quantized = bits.every((b) => b < 16);
    if (!quantized && bits.some((b) => b < 16)) {
      throw new ConfigError(`layer '${l.name}' mixes float and quantized channels: fault injection needs one storage type per tensor`);
    }
    const q: { codes: Int8Array; scales: Float32Array; zeroPoints?: Int32Array } | undefined = quantized
      ? granularity === 'per-tensor'
        ? quantizePerTensor(l.name, t, bits)
        : granularity === 'asymmetric'
          ? quantizeAsymmetric(l.name, t, bits)
          : quantizeWeightInt8(t, bits)
      : undefined;
    const channelBits = quantized ? bits : bits.map(() => 32);
    return {
      layer: l.name,
      key,
      shape: t.shape,
      outChannels,
      perChannel,
      channelBits,
      codes: q?.codes,
      scales: q?.scales,
      zeroPoints: q?.zeroPoints,
      values: t.data,
      totalBits: channelBits.reduce((a, b) => a + b * perChannel, 0),
    };
  });
}

/** Faulty copies of the hit sites (the others are shared with the sites) and how many bits were hit. */
export interface FaultyWeights {
  /** Faulty codes by layer (quantized layers that were hit). */
  readonly codes: ReadonlyMap<string, Int8Array>;
  /** Faulty float32 values by layer (float layers that were hit). */
  readonly values: ReadonlyMap<string, Float32Array>;
  /** Number of bits selected by the fault model (stuck-at faults on a bit already at that value change nothing). */
  readonly bitsHit: number;
  /** Bits left faulty after ECC decoding of hardened layers (= bitsHit without hardening). */
  readonly bitsUncorrected?: number;
  /** Number of stored values that changed. */
  readonly valuesChanged: number;
}

/** (element, bit) of global bit `pos` of a site: channels are stored one after the other. */
function locate(site: WeightSite, pos: number): { element: number; bit: number } {
  const uniform = site.channelBits.every((b) => b === site.channelBits[0]);
  if (uniform) {
    const b = site.channelBits[0] as number;
    return { element: Math.floor(pos / b), bit: pos % b };
  }
  let rest = pos;
  for (let c = 0; c < site.outChannels; c++) {
    const span = (site.channelBits[c] as number) * site.perChannel;
    if (rest < span) {
      const b = site.channelBits[c] as number;
      return { element: c * site.perChannel + Math.floor(rest / b), bit: rest % b };
    }
    rest -= span;
  }
  throw new Error(`bit ${pos} is beyond site '${site.layer}' (${site.totalBits} bits)`);
}

/** ECC word layout of hardened layers: SEC-DED (72, 64), 64 data bits and 8 check bits per word. */
export const ECC_DATA_BITS = 64;
export const ECC_WORD_BITS = 72;

/** Stored bits of a site, check bits included when it is ECC-protected. */
export function storedBits(site: WeightSite, hardened: boolean): number {
  return hardened ? Math.ceil(site.totalBits / ECC_DATA_BITS) * ECC_WORD_BITS : site.totalBits;
}

/**
 * The data-bit positions of `site` left faulty after SEC-DED decoding, given the hit positions in its
 * ECC storage (72-bit words, data bits 0..63 of each word then 8 check bits): a word with one hit is
 * corrected; a word with two or more keeps its hit data bits (detected, not correctable: the weight is
 * used as read). Positions past the data (the padding of the last word) carry nothing.
 */
export function eccSurvivors(site: WeightSite, hits: readonly number[]): number[] {
  const perWord = new Map<number, number[]>();
  for (const p of hits) {
    const w = Math.floor(p / ECC_WORD_BITS);
    const list = perWord.get(w);
    if (list) list.push(p);
    else perWord.set(w, [p]);
  }
  const out: number[] = [];
  for (const [w, list] of perWord) {
    if (list.length < 2) continue;
    for (const p of list) {
      const off = p - w * ECC_WORD_BITS;
      const data = w * ECC_DATA_BITS + off;
      if (off < ECC_DATA_BITS && data < site.totalBits) out.push(data);
    }
  }
  return out.sort((a, b) => a - b);
}

/**
 * Draw permanent faults into the weights of `sites` (all, or only the layers in `layers`): the fault model's
 * bits are drawn over the concatenated storage of the chosen layers (so an exact count spreads over them
 * uniformly per bit, and a BER hits every bit alike). Layers in `hardened` are stored with SEC-DED ECC
 * (72-bit words: their storage, check bits included, is 9/8 of the data and is hit alike; single hits per
 * word are corrected, see {@link eccSurvivors}).
 */
export function injectWeightFaults(
  sites: readonly WeightSite[],
  fault: FaultModel,
  rng: Rng,
  layers?: ReadonlySet<string>,
  hardened?: ReadonlySet<string>,
): FaultyWeights {
  const chosen = layers ? sites.filter((s) => layers.has(s.layer)) : [...sites];
  if (layers && chosen.length !== layers.size) {
    const known = new Set(sites.map((s) => s.layer));
    const bad = [...layers].filter((l) => !known.has(l));
    throw new ConfigError(`fault site layer(s) ${bad.map((b) => `'${b}'`).join(', ')} unknown: expected conv/dense layers ${[...known].join(', ')}`);
  }
  if (hardened) {
    const known = new Set(sites.map((s) => s.layer));
    const bad = [...hardened].filter((l) => !known.has(l));
    if (bad.length > 0)
      throw new ConfigError(`hardened layer(s) ${bad.map((b) => `'${b}'`).join(', ')} unknown: expected conv/dense layers ${[...known].join(', ')}`);
  }
  const spans = chosen.map((s) => storedBits(s, hardened?.has(s.layer) ?? false));
  const total = spans.reduce((a, b) => a + b, 0);
  const drawn = sampleFaultBits(total, fault, rng);
  // per site, the hit data-bit positions (after ECC decoding for hardened sites)
  const perSite: number[][] = chosen.map(() => []);
  {
    let si = 0;
    let base = 0;
    for (const pos of drawn) {
      while (pos >= base + (spans[si] as number)) {
        base += spans[si] as number;
        si++;
      }
      (perSite[si] as number[]).push(pos - base);
    }
  }
  const hits: { site: WeightSite; pos: number }[] = [];
  chosen.forEach((site, i) => {
    const local = perSite[i] as number[];
    const data = hardened?.has(site.layer) ? eccSurvivors(site, local) : local;
    for (const pos of data) hits.push({ site, pos });
  });
  const codes = new Map<string, Int8Array>();
  const values = new Map<string, Float32Array>();
  let changed = 0;
  for (const { site, pos } of hits) {
    const { element, bit } = locate(site, pos);
    if (faultElement(site, element, bit, fault.kind, codes, values)) changed++;
  }
  return { codes, values, bitsHit: drawn.length, bitsUncorrected: hits.length, valuesChanged: changed };
}

/**
 * The ONNX bytes of the model with faulty weights: quantized layers as QDQ (int8 codes, per-channel
 * scales; their biases int32 where the input is on a grid), float layers as float initializers, activations on the
 * given uint8 grids (by tensor name).
 */
export function faultyWeightsOnnx(
  model: Model,
  sites: readonly WeightSite[],
  faulty: FaultyWeights,
  activationGrids: ReadonlyMap<string, QdqActivation>,
): Uint8Array {
  const byLayer = new Map(sites.map((s) => [s.layer, s] as const));
  let weights: Weights = model.weights;
  const asymmetric = sites.filter((s) => s.codes && s.zeroPoints);
  if (faulty.values.size > 0 || asymmetric.length > 0) {
    weights = new Map(model.weights);
    for (const [layer, v] of faulty.values) {
      const s = byLayer.get(layer) as WeightSite;
      weights.set(s.key, { shape: s.shape, data: v });
    }
    // asymmetric codes: their dequantized values as a float initializer, the function DequantizeLinear(uint8 codes,
    // scale, zero point) computes (the QDQ export writes symmetric int8 weights only)
    for (const s of asymmetric) weights.set(s.key, { shape: s.shape, data: dequantizeAsymmetric(s, faulty.codes.get(s.layer) ?? (s.codes as Int8Array)) });
  }
  return exportQdqPlan(
    { graph: model.graph, weights },
    {
      weight: (node: Node) => {
        const s = byLayer.get(node.name);
        if (!s?.codes || !s.scales || s.zeroPoints) return undefined;
        return { codes: faulty.codes.get(node.name) ?? s.codes, scales: s.scales };
      },
      // int32 biases at input scale x weight scale, as quantize --out writes them (the fault-free scales)
      bias: (node: Node, t) => {
        const s = byLayer.get(node.name);
        const g = activationGrids.get(node.inputs[0] as string);
        if (!s?.codes || !s.scales || s.zeroPoints || !g || g.channels) return undefined;
        return quantizeBiasInt32(t.data, s.scales, g.scale);
      },
      activation: (tensor) => activationGrids.get(tensor),
    },
    // run in-process only, at any batch: not the file's own (possibly fixed) batch
    { batch: 'dynamic' },
  );
}

/** Bit ranks counted from the top of a stored value: rank 0 is the sign bit, rank k is bit `bits - 1 - k`. */
const FLOAT_RANKS = 32;
const INT_RANKS = 8;

/** A well-mixed 32-bit seed from a base seed and small integers (also the campaign's run seeds). */
export function mixSeed(seed: number, ...parts: readonly number[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (p + 0x7f4a7c15), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/**
 * Applies a fault to bit `bit` of one stored weight (an integer code at its channel's width, or a float32), on a
 * copy of the layer's codes or values made on its first hit (kept in `codes` / `values`). True when the value changed.
 */
function faultElement(
  site: WeightSite,
  element: number,
  bit: number,
  kind: FaultModel['kind'],
  codes: Map<string, Int8Array>,
  values: Map<string, Float32Array>,
): boolean {
  if (site.codes) {
    let c = codes.get(site.layer);
    if (!c) {
      c = Int8Array.from(site.codes);
      codes.set(site.layer, c);
    }
    const bits = site.channelBits[Math.floor(element / site.perChannel)] as number;
    const old = c[element] as number;
    const next = bits === 1 ? faultBinaryCode(old, kind) : faultSignedCode(old, bits, bit, kind);
    c[element] = next;
    return next !== old;
  }
  let v = values.get(site.layer);
  if (!v) {
    v = Float32Array.from(site.values);
    values.set(site.layer, v);
  }
  const old = v[element] as number;
  const next = faultFloat32(old, bit, kind);
  v[element] = next;
  return !Object.is(next, old);
}

/**
 * Lower-variance weight faults at a bit error rate, for comparing precision policies and estimating the
 * expected accuracy drop (the predictor validation, bench/resilience-predictor.ts):
 * - **stratified counts**: per layer and per bit rank (rank 0 = the sign bit, rank k = the k-th bit below it),
 *   the number of hit values is the expected count `N x ber` rounded stochastically (floor, plus one with the
 *   fractional part's probability), not a binomial draw; which values are hit is uniform (Floyd's sampling).
 *   Every stored bit is still hit with probability `ber`, but a run can no longer draw 3 sign-bit hits where 1
 *   is expected: the count variance, which dominates the run-to-run noise of integer policies, is removed.
 * - **common random numbers**: the hits of (layer, rank) come from their own generator seeded by
 *   (`seed`, layer index, rank), and are drawn over all N values of the layer whatever its bits; a policy
 *   storing `b` bits in a channel keeps the hits of ranks below `b` there. So two policies of the same network
 *   under the same seed have the same sign-bit hits on the same weights (w4 and w8 differ only in the lower
 *   bits), and their difference measures the policies, not the luck of the draw.
 * Float32 layers use ranks 0..31 (bit 31 - k); integer layers ranks 0..7. `layers` restricts the hits to those
 * layers (the others keep their draws unused). ECC hardening is not supported here.
 */
export function injectStratifiedWeightFaults(
  sites: readonly WeightSite[],
  ber: number,
  kind: FaultModel['kind'],
  seed: number,
  layers?: ReadonlySet<string>,
): FaultyWeights {
  if (!(Number.isFinite(ber) && ber >= 0 && ber <= 1)) throw new ConfigError(`bit error rate ${String(ber)} is invalid: expected a number in [0, 1]`);
  const codes = new Map<string, Int8Array>();
  const values = new Map<string, Float32Array>();
  let bitsHit = 0;
  let changed = 0;
  sites.forEach((site, li) => {
    if (layers && !layers.has(site.layer)) return;
    const n = site.outChannels * site.perChannel;
    const ranks = site.codes ? INT_RANKS : FLOAT_RANKS;
    for (let k = 0; k < ranks; k++) {
      const rng = new Rng(mixSeed(seed, li, k));
      const expected = n * ber;
      const count = Math.min(n, Math.floor(expected) + (rng.next() < expected - Math.floor(expected) ? 1 : 0));
      if (count === 0) continue;
      for (const element of sampleFaultBits(n, { kind, count }, rng)) {
        // rank k is bit (stored bits - 1 - k): the sign bit first; a channel stored in fewer bits has no rank k
        const bits = site.codes ? (site.channelBits[Math.floor(element / site.perChannel)] as number) : 32;
        if (k >= bits) continue;
        bitsHit++;
        if (faultElement(site, element, bits - 1 - k, kind, codes, values)) changed++;
      }
    }
  });
  return { codes, values, bitsHit, bitsUncorrected: bitsHit, valuesChanged: changed };
}
