/**
 * Protection as a choice, costed on the hardware target (docs/resilience.md, "Protection"):
 * - **range restriction** (Ranger-style): a `clip` node after every conv/dense layer's unary chain
 *   (batch norm, activation), clamping that tensor to the [min, max] profiled on calibration images. A
 *   corrupted weight or activation can then at most saturate the values it feeds, not blow them up. The
 *   clips are real IR nodes, so onnxruntime, the engine and every target's cost model see them.
 * - **selective hardening**: the weights of chosen layers (by default the most vulnerable by the topology
 *   predictor) stored with SEC-DED ECC, (72, 64) words: single hits per word are corrected
 *   (src/resilience/weight-faults.ts, `eccSurvivors`). Its cost: 9/8 of the layer's weight storage and
 *   traffic, charged through the target's own layer cost with the weight elements scaled by 9/8.
 */
import { ConfigError } from '../errors.js';
import { layerPrecision, type PrecisionPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import type { Graph, Model, Node } from '../ir/types.js';
import { graphWorkloads, quantizableLayers, weightBytes } from '../ir/workload.js';
import { predictResilience } from './predictor.js';
import { ECC_DATA_BITS, ECC_WORD_BITS } from './weight-faults.js';

/** Ops a clip point moves through after a conv/dense layer (one input, one output, elementwise). */
const CHAIN_OPS: ReadonlySet<string> = new Set(['batchnorm', 'relu', 'leakyrelu', 'relu6', 'hardswish', 'hardsigmoid', 'swish', 'sigmoid', 'tanh', 'identity']);

/** Suffix of the clip nodes range restriction inserts. */
export const CLIP_SUFFIX = '.range';

/**
 * Where range restriction clips: per conv/dense layer, the end of its single-consumer chain of
 * elementwise unary ops (so a conv-bn-relu block is clipped after the relu, once).
 */
export function rangeRestrictionPoints(graph: Graph): string[] {
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const points = new Set<string>();
  for (const l of quantizableLayers(graph)) {
    let cur = l.name;
    for (;;) {
      const next = consumers.get(cur) ?? [];
      if (next.length !== 1 || !CHAIN_OPS.has((next[0] as Node).op)) break;
      cur = (next[0] as Node).name;
    }
    points.add(cur);
  }
  return [...points];
}

/** Profiled value bounds per tensor. */
export type RangeBounds = ReadonlyMap<string, { readonly min: number; readonly max: number }>;

/**
 * The [min, max] of each range-restriction point over `n` calibration images (NCHW float32), by a
 * forward pass of the float model in the engine.
 */
export async function profileRanges(model: Model, x: Float32Array, n: number, points = rangeRestrictionPoints(model.graph)): Promise<RangeBounds> {
  if (!(n >= 1)) throw new ConfigError(`range restriction needs calibration images to profile bounds on: got ${n}`);
  const [{ buildModel, initEngine }, { recordActivations }] = await Promise.all([import('../engine/index.js'), import('../engine/fake-quant.js')]);
  await initEngine();
  const em = buildModel(model);
  try {
    const stats = recordActivations(
      (hooks) => {
        em.hooks = hooks;
        em.predict(x, n, { batchSize: 256 });
      },
      new Set(points),
      1,
    );
    const out = new Map<string, { min: number; max: number }>();
    for (const p of points) {
      const s = stats.get(p);
      if (!s) throw new Error(`range restriction: no activations recorded for '${p}'`);
      out.set(p, { min: s.min, max: s.max });
    }
    return out;
  } finally {
    em.dispose();
  }
}

/**
 * The model with its range-restriction points clamped to `bounds`: a point that is already a relu, relu6
 * or clip becomes a clip with the tighter bounds (same name: relu then clip [a, b] with a >= 0 is clip
 * [a, b]; so the target still fuses it into the layer as one activation); any other point gets a clip
 * node after it (named `<point>.range`; consumers and graph outputs re-pointed to it). Weights are shared.
 */
export function restrictRanges(model: Model, bounds: RangeBounds): Model {
  const known = new Set(model.graph.nodes.map((n) => n.name));
  for (const [p, b] of bounds) {
    if (!known.has(p)) throw new ConfigError(`range restriction point '${p}' is not a node of graph '${model.graph.name}'`);
    if (!(Number.isFinite(b.min) && Number.isFinite(b.max) && b.min <= b.max))
      throw new ConfigError(`range restriction bounds of '${p}' are [${b.min}, ${b.max}]: expected finite min <= max`);
  }
  const merged = (n: Node, b: { min: number; max: number }): Node | undefined => {
    if (n.op === 'relu') return { name: n.name, op: 'clip', inputs: n.inputs, min: Math.max(0, b.min), max: Math.max(0, b.max) };
    if (n.op === 'relu6') return { name: n.name, op: 'clip', inputs: n.inputs, min: Math.min(6, Math.max(0, b.min)), max: Math.min(6, Math.max(0, b.max)) };
    if (n.op === 'clip') {
      const lo = Math.min(n.max, Math.max(n.min, b.min));
      return { name: n.name, op: 'clip', inputs: n.inputs, min: lo, max: Math.max(lo, Math.min(n.max, b.max)) };
    }
    return undefined;
  };
  const added = new Set<string>();
  for (const n of model.graph.nodes) {
    const b = bounds.get(n.name);
    if (b && !merged(n, b)) added.add(n.name);
  }
  const rename = (i: string): string => (added.has(i) ? `${i}${CLIP_SUFFIX}` : i);
  const nodes: Node[] = [];
  for (const n of model.graph.nodes) {
    const b = bounds.get(n.name);
    const m = b ? merged(n, b) : undefined;
    const base = m ?? n;
    nodes.push(base.inputs.some((i) => added.has(i)) ? ({ ...base, inputs: base.inputs.map(rename) } as Node) : base);
    if (b && added.has(n.name)) nodes.push({ name: `${n.name}${CLIP_SUFFIX}`, op: 'clip', inputs: [n.name], min: b.min, max: b.max });
  }
  return { graph: { ...model.graph, nodes, outputs: model.graph.outputs.map(rename) }, weights: model.weights };
}

/**
 * The `k` layers with the largest expected damage from weight faults by the topology predictor at `ber`
 * (the most vulnerable, hardened first).
 */
export function mostVulnerableLayers(model: Model, policy: PrecisionPolicy | undefined, ber: number, k: number): string[] {
  if (!Number.isInteger(k) || k < 0) throw new ConfigError(`number of hardened layers ${k} is invalid: expected an integer >= 0`);
  const p = predictResilience(model.graph, policy, ber, model.weights);
  return [...p.layers]
    .sort((a, b) => b.damage - a.damage)
    .slice(0, k)
    .map((l) => l.layer);
}

/** What a protection costs on a target (one inference at the target's batch). */
export interface ProtectionCost {
  readonly target: string;
  readonly baseLatencyMs: number;
  readonly latencyMs: number;
  readonly baseEnergyMj: number;
  readonly energyMj: number;
  /** Extra stored weight bytes (ECC check bits). */
  readonly extraWeightBytes: number;
  /** latencyMs / baseLatencyMs - 1. */
  readonly extraLatency: number;
  /** Latency added by the clip nodes alone (target's network cost with vs without them). */
  readonly clipLatencyMs: number;
  /** Latency added by ECC on the hardened layers alone. */
  readonly eccLatencyMs: number;
}

/**
 * The cost of protecting `graph` under `policy` on `target`: range restriction as the target's network
 * cost of `restricted` (the graph with its clip nodes) minus that of `graph`; ECC on `hardened` layers as
 * the target's layer cost of each with its weight elements scaled by 72/64 minus its plain layer cost
 * (added to the network cost: exact for targets that sum layer costs, an estimate for fused ones).
 */
export function protectionCost(
  target: HardwareTarget,
  graph: Graph,
  policy: PrecisionPolicy,
  o: { readonly restricted?: Graph; readonly hardened?: ReadonlySet<string> },
): ProtectionCost {
  const base = target.networkCost(graph, policy);
  const clip = o.restricted ? target.networkCost(o.restricted, policy) : base;
  let eccLat = 0;
  let eccEnergy = 0;
  let extraBytes = 0;
  if (o.hardened && o.hardened.size > 0) {
    const wl = new Map(graphWorkloads(graph).map((w) => [w.node, w] as const));
    for (const name of o.hardened) {
      const w = wl.get(name);
      if (!w || w.weightElems === 0) throw new ConfigError(`hardened layer '${name}' is not a conv/dense layer of graph '${graph.name}'`);
      const p = layerPrecision(policy, name);
      const scaled = { ...w, weightElems: (w.weightElems * ECC_WORD_BITS) / ECC_DATA_BITS };
      const a = target.layerCost(w, p);
      const b = target.layerCost(scaled, p);
      eccLat += b.latencyMs - a.latencyMs;
      eccEnergy += b.energyMj - a.energyMj;
      extraBytes += weightBytes(scaled, p.weightBits) - weightBytes(w, p.weightBits);
    }
  }
  const clipLat = clip.latencyMs - base.latencyMs;
  const latencyMs = base.latencyMs + clipLat + eccLat;
  return {
    target: target.name,
    baseLatencyMs: base.latencyMs,
    latencyMs,
    baseEnergyMj: base.energyMj,
    energyMj: clip.energyMj + eccEnergy,
    extraWeightBytes: extraBytes,
    extraLatency: latencyMs / base.latencyMs - 1,
    clipLatencyMs: clipLat,
    eccLatencyMs: eccLat,
  };
}

/**
 * The target's extra cost of storing layer `layer`'s weights with SEC-DED (72, 64) ECC at precision `p`: its
 * layer cost with 9/8 of the weight elements minus its plain layer cost (latency ms, energy mJ) and the extra
 * stored bytes; BOPs do not change. The per-layer term of {@link protectionCost}, for allocations that choose
 * hardening layer by layer (`fault.harden` of `ilpSearch`, src/quant/hawq-ilp.ts).
 */
export function eccExtraCost(
  target: HardwareTarget,
  graph: Graph,
  layer: string,
  p: { readonly weightBits: number; readonly actBits: number },
): { latency: number; energy: number; size: number; bops: number } {
  const w = graphWorkloads(graph).find((x) => x.node === layer);
  if (!w || w.weightElems === 0) throw new ConfigError(`hardened layer '${layer}' is not a conv/dense layer of graph '${graph.name}'`);
  const scaled = { ...w, weightElems: (w.weightElems * ECC_WORD_BITS) / ECC_DATA_BITS };
  const a = target.layerCost(w, p);
  const b = target.layerCost(scaled, p);
  return {
    latency: b.latencyMs - a.latencyMs,
    energy: b.energyMj - a.energyMj,
    size: weightBytes(scaled, p.weightBits) - weightBytes(w, p.weightBits),
    bops: 0,
  };
}
