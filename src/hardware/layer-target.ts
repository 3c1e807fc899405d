/**
 * Base class of targets that know a cost per layer instance (lookup tables, learned predictors, host
 * measurements) rather than a hardware model: network cost = Σ node costs (+ a network-level overhead
 * the subclass may add), with conv+bn+act fusion when the target says so, whole runtime kernels (residual adds
 * inside a conv's kernel) when it costs kernels, channel groups costed as slices, and a cached `evaluate` that
 * does not allocate once every (layer, bits) pair has been seen.
 */
import { ConfigError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { activationBytes, type Workload, weightBytes } from '../ir/workload.js';
import { layerReadNodes, resolveActBits } from './activation-bits.js';
import { layerTotals, networkLayers } from './analytical.js';
import { isFreeOp } from './layer-key.js';
import { checkPolicyBits, type Precision, type PrecisionPolicy, type SupportedBits } from './precision.js';
import { type PreparedNetwork, prepareNetwork } from './prepared.js';
import type { CostSummary, HardwareTarget, LayerCost, NetworkCost, TargetKind } from './types.js';

/** A latency (and optionally energy) for one layer instance. */
export interface LayerValue {
  readonly latencyMs: number;
  readonly energyMj?: number;
  /** The target that gave the value when it is not this one (a lookup table's fallback); becomes {@link LayerCost.costedBy}. */
  readonly from?: string;
}

/** Build a {@link LayerCost} from a looked-up/predicted value (bound is nominal: compute for conv/dense, memory otherwise). */
export function valueCost(w: Workload, p: Precision, v: LayerValue): LayerCost {
  const mac = w.op === 'conv2d' || w.op === 'dense';
  const bytes = (mac ? weightBytes(w, p.weightBits) : 0) + activationBytes(w, p.actBits);
  return {
    node: w.node,
    op: w.op,
    latencyMs: v.latencyMs,
    energyMj: v.energyMj ?? Number.NaN,
    dramBytes: bytes,
    onchipBytes: 0,
    bound: mac ? 'compute' : 'memory',
    computeMs: mac ? v.latencyMs : 0,
    memoryMs: mac ? 0 : v.latencyMs,
    overheadMs: 0,
    utilization: Number.NaN,
    ...(v.from !== undefined ? { costedBy: v.from } : {}),
  };
}

/**
 * Whether a network's costed nodes (values of {@link LayerValueTarget.layerValue}) all came from another target: then the
 * target's network-level overhead (its own device's run overhead) is not added. `costed`: nodes with a value of their
 * own; `borrowed`: those whose value came from a fallback.
 */
function allBorrowed(costed: number, borrowed: number): boolean {
  return costed > 0 && borrowed === costed;
}

/**
 * How a per-layer-value target names a workload it has no value for: a layer by its node, a channel-group slice
 * (prepared.ts `sliceWorkload`) as the group of its layer, with why its key is not the layer's (it is costed by its own shape).
 */
export function unknownLayer(w: Workload): { readonly what: string; readonly note: string } {
  if (!w.sliceOf) return { what: `layer '${w.node}'`, note: '' };
  return {
    what: `channel group '${w.node}' of layer '${w.sliceOf.node}'`,
    note: '; channel groups are costed by their own shape and need per-slice entries (a group is never priced as its whole layer)',
  };
}

/** The value of a workload that runs inside another node's kernel. */
const IN_KERNEL: LayerValue = { latencyMs: 0 };

/** Where a node's value came from, as `evaluate` caches it: none (inside another node's kernel), the target, a fallback. */
const NO_VALUE = 0;
const OWN = 1;
const BORROWED = 2;
function sourceOf(v: LayerValue): number {
  return v === IN_KERNEL ? NO_VALUE : v.from !== undefined ? BORROWED : OWN;
}

/** Common machinery of per-layer-value targets; subclasses implement {@link LayerValueTarget.layerValue}. */
export abstract class LayerValueTarget implements HardwareTarget {
  abstract readonly name: string;
  abstract readonly description: string;
  abstract readonly kind: TargetKind;
  abstract readonly supportedBits: SupportedBits;
  abstract readonly hasEnergy: boolean;
  /** Whether bn/activation after conv/dense are fused into it (their cost counted there). */
  abstract readonly fuse: boolean;
  /**
   * Per network: layer values by (layer, weight bits, act bits) with their {@link sourceOf} codes (`src`); per default
   * width, the nodes no layer reads (latency, energy, costed and borrowed counts); per (node, act bits), the other nodes
   * (latency, energy, source code).
   */
  private evalCache = new WeakMap<
    PreparedNetwork,
    { lat: Float64Array; en: Float64Array; src: Uint8Array; rest: Map<number, Float64Array>; nodes: Float64Array }
  >();
  private actLayer = new Int32Array(0);
  private actNode = new Int32Array(0);
  /**
   * Workloads that run inside another node's runtime kernel (a residual add and one activation after it, see
   * {@link kernelPlan}) when the target {@link LayerValueTarget.costsKernels}: they cost 0, and `networkCost`
   * reports them fused into the kernel's node. Marked per network by {@link LayerValueTarget.markNetwork}.
   */
  private readonly inKernel = new WeakSet<Workload>();
  /** Networks {@link LayerValueTarget.markNetwork} has seen. */
  private readonly marked = new WeakSet<PreparedNetwork>();

  /** Forget the layer values cached by {@link LayerValueTarget.evaluate} (call when they change, e.g. after a recalibration). */
  protected clearCostCache(): void {
    this.evalCache = new WeakMap();
  }

  /** Latency/energy of one node at a precision (throw ConfigError when unknown). */
  protected abstract layerValue(w: Workload, p: Precision): LayerValue;

  /** Whether the target's values are whole runtime kernels ({@link kernelPlan}), so residual adds fused into a conv cost 0 (default false). */
  protected costsKernels(): boolean {
    return false;
  }

  /**
   * Called once per network, before it is first costed (`networkCost`, `evaluate`): marks the workloads that run
   * inside another node's kernel when the target {@link LayerValueTarget.costsKernels}. Subclasses note their own
   * per-network facts here too (facts of the network's structure only: they are not marked again).
   */
  protected markNetwork(net: PreparedNetwork): void {
    if (!this.costsKernels()) return;
    for (let i = 0; i < net.n; i++) {
      const k = net.kernelOf[i] as number;
      if (k >= 0 && k !== i && (net.fusedInto[i] as number) < 0) this.inKernel.add(net.workloads[i] as Workload);
    }
  }

  /** {@link LayerValueTarget.markNetwork} on the first call with `net` (evaluate runs per trial: no re-marking). */
  private markOnce(net: PreparedNetwork): void {
    if (this.marked.has(net)) return;
    this.marked.add(net);
    this.markNetwork(net);
  }

  /** {@link LayerValueTarget.layerValue}, or 0 for a workload inside another node's kernel. */
  private nodeValue(w: Workload, p: Precision): LayerValue {
    return this.inKernel.has(w) ? IN_KERNEL : this.layerValue(w, p);
  }

  /** Network-level latency added once per inference (default 0). */
  protected networkOverheadMs(): number {
    return 0;
  }

  /** {@inheritDoc HardwareTarget.layerCost} */
  layerCost(w: Workload, p: Precision): LayerCost {
    // plumbing (input, flatten, reshape, identity) moves no data of its own: the layers around it read and write it
    if (isFreeOp(w.op)) return { ...valueCost(w, p, { latencyMs: 0, energyMj: 0 }), dramBytes: 0 };
    return valueCost(w, p, this.nodeValue(w, p));
  }

  /** {@inheritDoc HardwareTarget.networkCost} */
  networkCost(g: Graph, policy: PrecisionPolicy): NetworkCost {
    checkPolicyBits(policy, this.supportedBits, this.name);
    const net = prepareNetwork(g);
    this.markOnce(net);
    const wl = (i: number): Workload => net.workloads[i] as Workload;
    const layers = networkLayers(net, policy, this.fuse, {
      fused: (i, into) => ({ ...valueCost(wl(i), policy.default, { latencyMs: 0, energyMj: 0 }), dramBytes: 0, fusedInto: wl(into).node }),
      node: (i, ab) => {
        const c = this.layerCost(wl(i), { weightBits: 32, actBits: ab });
        // a node inside another node's kernel: no time and no traffic of its own
        return this.inKernel.has(wl(i)) ? { ...c, dramBytes: 0, fusedInto: wl(net.kernelOf[i] as number).node } : c;
      },
      layer: (i, wb, ab) => this.layerCost(wl(i), { weightBits: wb, actBits: ab }),
      slice: (slice, wb, ab) => this.layerCost(slice, { weightBits: wb, actBits: ab }),
    });
    const own = layers.filter((l) => l.fusedInto === undefined && !isFreeOp(l.op));
    const ovh = allBorrowed(own.length, own.filter((l) => l.costedBy !== undefined).length) ? 0 : this.networkOverheadMs();
    const sum = layerTotals(layers, ovh);
    return {
      target: this.name,
      latencyMs: sum.latencyMs,
      energyMj: this.hasEnergy ? sum.energyMj : Number.NaN,
      dramBytes: sum.dramBytes,
      onchipBytes: 0,
      layers,
      networkOverheadMs: ovh,
      combine: this.fuse ? 'fused' : 'sum',
    };
  }

  /** {@inheritDoc HardwareTarget.evaluate} (values cached per layer and bits: no allocation once warm). */
  evaluate(net: PreparedNetwork, weightBits: ArrayLike<number>, actBits: ArrayLike<number>, out: CostSummary, defaultActBits = 8): CostSummary {
    this.markOnce(net);
    let c = this.evalCache.get(net);
    const L = net.layerNode.length;
    if (!c) {
      c = {
        lat: new Float64Array(L * 33 * 33).fill(Number.NaN),
        en: new Float64Array(L * 33 * 33),
        src: new Uint8Array(L * 33 * 33),
        rest: new Map(),
        nodes: new Float64Array(0),
      };
      this.evalCache.set(net, c);
    }
    const read = layerReadNodes(net);
    const skip = (i: number): boolean => isFreeOp((net.workloads[i] as Workload).op) || (this.fuse && (net.fusedInto[i] as number) >= 0);
    let rest = c.rest.get(defaultActBits);
    if (!rest) {
      // nodes no layer reads: stored at the default width (activation-bits.ts), a constant per width
      let lat = 0;
      let en = 0;
      let costed = 0;
      let borrowed = 0;
      for (let i = 0; i < net.n; i++) {
        if ((net.layerOf[i] as number) >= 0 || read[i] === 1 || skip(i)) continue;
        const v = this.nodeValue(net.workloads[i] as Workload, { weightBits: 32, actBits: defaultActBits });
        lat += v.latencyMs;
        en += v.energyMj ?? Number.NaN;
        const s = sourceOf(v);
        if (s !== NO_VALUE) costed++;
        if (s === BORROWED) borrowed++;
      }
      rest = Float64Array.of(lat, en, costed, borrowed);
      c.rest.set(defaultActBits, rest);
    }
    if (this.actLayer.length < L) this.actLayer = new Int32Array(L);
    if (this.actNode.length < net.n) this.actNode = new Int32Array(net.n);
    if (c.nodes.length < net.n * 33 * 3) c.nodes = new Float64Array(net.n * 33 * 3).fill(Number.NaN);
    const la = this.actLayer;
    const na = this.actNode;
    resolveActBits(net, actBits, defaultActBits, la, na);
    let lat = rest[0] as number;
    let en = rest[1] as number;
    let costed = rest[2] as number;
    let borrowed = rest[3] as number;
    for (let i = 0; i < net.n; i++) {
      // nodes a layer reads: stored at the width of the layers reading them
      if (read[i] !== 1 || (net.layerOf[i] as number) >= 0 || skip(i)) continue;
      const b = na[i] as number;
      const k = (i * 33 + (b > 32 ? 32 : b)) * 3;
      if (Number.isNaN(c.nodes[k] as number)) {
        const v = this.nodeValue(net.workloads[i] as Workload, { weightBits: 32, actBits: b });
        c.nodes[k] = v.latencyMs;
        c.nodes[k + 1] = v.energyMj ?? Number.NaN;
        c.nodes[k + 2] = sourceOf(v);
      }
      lat += c.nodes[k] as number;
      en += c.nodes[k + 1] as number;
      const s = c.nodes[k + 2] as number;
      if (s !== NO_VALUE) costed++;
      if (s === BORROWED) borrowed++;
    }
    for (let l = 0; l < L; l++) {
      const wb = weightBits[l] as number;
      const ab = la[l] as number;
      if (!(wb >= 1 && wb <= 32 && ab >= 1 && ab <= 32)) throw new ConfigError(`evaluate: layer ${l} bits w${wb}a${ab} out of range 1..32`);
      const k = (l * 33 + wb) * 33 + ab;
      let v = c.lat[k] as number;
      if (Number.isNaN(v)) {
        const r = this.nodeValue(net.workloads[net.layerNode[l] as number] as Workload, { weightBits: wb, actBits: ab });
        v = r.latencyMs;
        c.lat[k] = v;
        c.en[k] = r.energyMj ?? Number.NaN;
        c.src[k] = sourceOf(r);
      }
      lat += v;
      en += c.en[k] as number;
      const s = c.src[k] as number;
      if (s !== NO_VALUE) costed++;
      if (s === BORROWED) borrowed++;
    }
    if (!allBorrowed(costed, borrowed)) lat += this.networkOverheadMs();
    out.latencyMs = lat;
    out.energyMj = this.hasEnergy ? en : Number.NaN;
    out.dramBytes = Number.NaN;
    return out;
  }
}
