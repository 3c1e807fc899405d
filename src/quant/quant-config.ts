/**
 * A precision policy as the plain-data fake-quant config the engine's hooks run (weights per layer,
 * calibrated activation grids per node), and the weights as they will be deployed (quantized-dequantized,
 * for export and size reports). No tensor library: the cost, export and fault code that only builds or
 * reads these configs imports this file; running them on a model is src/quant/apply.ts.
 *
 * Semantics (shared by engine fake-quant and the QDQ ONNX export):
 * - weights of conv/dense: symmetric, per output channel, min/max, restricted range; 1-bit = sign x mean|w|;
 * - a layer's activation bits apply to its **input**: the output of the node feeding the layer is
 *   quantized on an asymmetric (uint) grid over a calibrated range (when several layers read one
 *   node, the widest of their bits is used). 16/32 bits mean float.
 */

import type { ActivationStats } from '../engine/fake-quant.js';
import type { ActQuantConfig, QuantHooksConfig, WeightQuantConfig } from '../engine/quant-grid.js';
import { ConfigError } from '../errors.js';
import { checkPolicyLayers, type LayerPrecision, type PrecisionPolicy } from '../hardware/precision.js';
import type { Graph, Model, Weights } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';
import { type CalibrationMethod, calibrateRange, fakeQuantize, isFloatBits } from './quantizer.js';

/**
 * Per-output-channel weight bits of some layers (CW-HAWQ), overriding the policy's layer bits; and, under
 * the key {@link inputBitsKey}(layer), per-input-channel activation bits of a conv layer's input (CW-HAWQ
 * with channel-wise activations), overriding the layer's activation bits.
 */
export type ChannelBits = Readonly<Record<string, readonly number[]>>;

/** The {@link ChannelBits} key of a layer's per-input-channel activation bits (`<layer>@input`). */
export function inputBitsKey(layer: string): string {
  return `${layer}@input`;
}

/** Calibration data for activation ranges. */
export interface Calibration {
  readonly stats: ReadonlyMap<string, ActivationStats>;
  readonly method: CalibrationMethod;
  /** For 'percentile'. */
  readonly percentile?: number;
}

/** The nodes whose outputs feed conv/dense layers (the activations a policy quantizes). */
export function activationNodes(graph: Graph): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of quantizableLayers(graph)) {
    const src = l.inputs[0] as string;
    out.set(src, [...(out.get(src) ?? []), l.name]);
  }
  return out;
}

const rangeCache = new WeakMap<Calibration, Map<string, ActQuantConfig>>();

/** The activation grid of node `node` at `bits` (cached per calibration). */
export function activationConfig(cal: Calibration, node: string, bits: number): ActQuantConfig {
  let cache = rangeCache.get(cal);
  if (!cache) {
    cache = new Map();
    rangeCache.set(cal, cache);
  }
  const key = `${node}|${bits}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const s = cal.stats.get(node);
  if (!s) throw new ConfigError(`no calibration statistics for node '${node}': calibrate on the same graph`);
  let cfg: ActQuantConfig;
  if (cal.method === 'minmax') cfg = { bits, min: s.min, max: s.max };
  else {
    const r = calibrateRange(s.samples, cal.method, { bits, symmetric: false, ...(cal.percentile !== undefined ? { percentile: cal.percentile } : {}) });
    cfg = { bits, min: Math.max(s.min, r.min), max: Math.min(s.max, r.max) };
  }
  cache.set(key, cfg);
  return cfg;
}

function layerWeightConfig(lp: LayerPrecision, outChannels: number): WeightQuantConfig {
  if (lp.groups && lp.groups.length > 0) {
    const bits: number[] = [];
    for (const g of lp.groups) for (let i = 0; i < g.channels; i++) bits.push(g.weightBits);
    if (bits.length !== outChannels) throw new ConfigError(`channel groups cover ${bits.length} channels, expected ${outChannels}`);
    return { channelBits: bits };
  }
  return { bits: lp.weightBits };
}

function layerActBits(lp: LayerPrecision): number {
  return lp.groups && lp.groups.length > 0 ? Math.max(...lp.groups.map((g) => g.actBits)) : lp.actBits;
}

/**
 * The fake-quant config of a policy: weights per layer (channel groups become per-channel bits in
 * order; `channelBits` overrides them, e.g. CW-HAWQ's trace-ordered assignment) and activations of
 * the nodes feeding each layer. Without a calibration, activations stay float.
 */
export function quantConfig(graph: Graph, policy: PrecisionPolicy, cal?: Calibration, channelBits: ChannelBits = {}): QuantHooksConfig {
  checkPolicyLayers(policy, graph);
  const weights: Record<string, WeightQuantConfig> = {};
  const actBits = new Map<string, number>();
  for (const l of quantizableLayers(graph)) {
    const lp = policy.layers[l.name] ?? policy.default;
    const out = l.op === 'conv2d' ? l.outChannels : l.outFeatures;
    const cb = channelBits[l.name];
    if (cb && cb.length !== out) throw new ConfigError(`channelBits of layer '${l.name}' has ${cb.length} entries, expected ${out} output channels`);
    weights[l.name] = cb ? { channelBits: cb } : layerWeightConfig(lp, out);
    const src = l.inputs[0] as string;
    actBits.set(src, Math.max(actBits.get(src) ?? 0, layerActBits(lp)));
  }
  // channel-wise activation bits: a tensor read by one conv layer only (several readers would need one
  // width per channel agreed between them; the channel-wise search only splits such inputs)
  const inputBits = new Map<string, readonly number[]>();
  const readers = activationNodes(graph);
  for (const l of quantizableLayers(graph)) {
    const ib = channelBits[inputBitsKey(l.name)];
    if (!ib) continue;
    const src = l.inputs[0] as string;
    if (l.op !== 'conv2d') throw new ConfigError(`channel-wise activation bits for layer '${l.name}' (${l.op}): expected a conv2d layer`);
    if (ib.length !== l.inChannels)
      throw new ConfigError(`channel-wise activation bits of layer '${l.name}' have ${ib.length} entries, expected its ${l.inChannels} input channels`);
    if ((readers.get(src)?.length ?? 0) > 1)
      throw new ConfigError(
        `channel-wise activation bits for layer '${l.name}': its input '${src}' is also read by ${(readers.get(src) ?? []).filter((n) => n !== l.name).join(', ')}; expected a tensor read by one layer`,
      );
    inputBits.set(src, ib);
  }
  const activations: Record<string, ActQuantConfig> = {};
  if (cal)
    for (const [node, b] of actBits) {
      const ib = inputBits.get(node);
      if (ib) {
        // each width's grid is that width's per-tensor calibrated range (the scale differs between channels only
        // through their width)
        const grids = ib.map((x) => (isFloatBits(x) ? { bits: x, min: 0, max: 0 } : activationConfig(cal, node, x)));
        const widest = Math.max(...ib);
        activations[node] = {
          ...(isFloatBits(widest) ? { bits: widest, min: 0, max: 0 } : activationConfig(cal, node, widest)),
          channels: { bits: [...ib], min: grids.map((g) => g.min), max: grids.map((g) => g.max) },
        };
      } else if (!isFloatBits(b)) activations[node] = activationConfig(cal, node, b);
    }
  return { weights, activations, policyDefault: { weightBits: policy.default.weightBits, actBits: policy.default.actBits } };
}

/**
 * The weights as deployed under a policy: each conv/dense weight quantized-dequantized (symmetric, per
 * output channel) at its bits, in the IR's ONNX layout (output channels on axis 0); others unchanged.
 */
export function quantizedWeights(model: Model, policy: PrecisionPolicy, channelBits: ChannelBits = {}): Weights {
  const cfg = quantConfig(model.graph, policy, undefined, channelBits);
  const out: Weights = new Map(model.weights);
  for (const [layer, wc] of Object.entries(cfg.weights)) {
    const key = `${layer}.weight`;
    const w = model.weights.get(key);
    if (!w) throw new ConfigError(`model has no weight '${key}'`);
    const outCh = w.shape[0] as number;
    const bits = wc.channelBits ?? new Array<number>(outCh).fill(wc.bits ?? 32);
    const per = w.data.length / outCh;
    const data = new Float32Array(w.data.length);
    if (bits.every((b) => b === bits[0])) {
      data.set(fakeQuantize(w.data, w.shape, { bits: bits[0] as number, granularity: 'per-channel', channelAxis: 0 }));
    } else {
      for (let c = 0; c < outCh; c++) {
        const slice = w.data.subarray(c * per, (c + 1) * per);
        data.set(fakeQuantize(slice, [1, per], { bits: bits[c] as number, granularity: 'per-channel' }), c * per);
      }
    }
    out.set(key, { shape: w.shape, data });
  }
  return out;
}
