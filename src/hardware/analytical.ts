/**
 * Base class of the analytical targets (bitfusion, bismo, systolic, roofline): a target only writes
 * one node's cost into a scratch vector; this class turns that into layer costs, network costs with
 * channel groups and fusion, and the allocation-free {@link HardwareTarget.evaluate} fast path.
 */
import { ConfigError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { Workload } from '../ir/workload.js';
import { inputShares, layerReadNodes, policyActBits, resolveActBits } from './activation-bits.js';
import { macAreaUm2, tech45 } from './data.js';
import { checkPolicyBits, type LayerPrecision, type Precision, type PrecisionPolicy, type SupportedBits } from './precision.js';
import { groupSlices, KIND, type PreparedNetwork, prepareNetwork, prepareWorkloads } from './prepared.js';
import type { Bound, CostSummary, HardwareTarget, LayerCost, MemoryLimiter, NetworkCost } from './types.js';

/** Slots of the scratch vector a node evaluator fills. */
export const OUT = {
  latencyMs: 0,
  energyMj: 1,
  dramBytes: 2,
  onchipBytes: 3,
  computeMs: 4,
  memoryMs: 5,
  overheadMs: 6,
  utilization: 7,
  /** Off-chip bytes of the weights (re-fetches included); with `actDramBytes`, set by targets that split their traffic (else 0). */
  weightDramBytes: 8,
  /** Off-chip bytes of the input activations (re-fetches included). */
  actDramBytes: 9,
} as const;

/** Number of slots in the scratch vector. */
export const OUT_SLOTS = 10;

/**
 * Off-chip bytes of a layer with weights `w`, input `i`, output `o` (bytes) given weight/input buffers
 * (bytes): each operand once when either operand fits on chip; otherwise the cheaper loop order,
 * re-fetching the other operand once per tile of the one held on chip.
 */
export function tiledDramBytes(w: number, i: number, o: number, wBuf: number, iBuf: number): number {
  if (w <= wBuf || i <= iBuf) return w + i + o;
  const a = w + i * Math.ceil(w / wBuf);
  const b = i + w * Math.ceil(i / iBuf);
  return (a < b ? a : b) + o;
}

/**
 * {@link tiledDramBytes} with its split: writes the weight and input shares (re-fetches included) into
 * `out[OUT.weightDramBytes]` and `out[OUT.actDramBytes]` and returns the total (outputs are the rest).
 */
export function tiledTraffic(w: number, i: number, o: number, wBuf: number, iBuf: number, out: Float64Array): number {
  let wd = w;
  let id = i;
  if (w > wBuf && i > iBuf) {
    const ri = i * Math.ceil(w / wBuf); // weights held tile by tile, inputs re-read per weight tile
    const rw = w * Math.ceil(i / iBuf); // inputs held tile by tile, weights re-read per input tile
    if (w + ri < i + rw) id = ri;
    else wd = rw;
  }
  out[OUT.weightDramBytes] = wd;
  out[OUT.actDramBytes] = id;
  return wd + id + o;
}

/** Which operand's off-chip traffic is largest (a memory-bound layer is bound by it). */
export function trafficLimiter(weightBytes: number, actBytes: number, dramBytes: number): MemoryLimiter {
  const o = dramBytes - weightBytes - actBytes;
  if (weightBytes >= actBytes && weightBytes >= o) return 'weights';
  return actBytes >= o ? 'activations' : 'outputs';
}

/** Bound of a node from its compute, memory and overhead times. */
export function boundOf(computeMs: number, memoryMs: number, overheadMs: number): Bound {
  if (overheadMs > computeMs && overheadMs > memoryMs) return 'overhead';
  return memoryMs > computeMs ? 'memory' : 'compute';
}

function zeroCost(node: string, op: string, fusedInto?: string): LayerCost {
  return {
    node,
    op,
    latencyMs: 0,
    energyMj: 0,
    dramBytes: 0,
    onchipBytes: 0,
    bound: 'memory',
    computeMs: 0,
    memoryMs: 0,
    overheadMs: 0,
    utilization: Number.NaN,
    ...(fusedInto !== undefined ? { fusedInto } : {}),
  };
}

/** Sum of node costs (latency adds: nodes run one after another). */
export function sumCosts(node: string, op: string, parts: readonly LayerCost[]): LayerCost {
  let lat = 0;
  let en = 0;
  let dram = 0;
  let on = 0;
  let c = 0;
  let m = 0;
  let o = 0;
  let utilW = 0;
  let wd = 0;
  let ad = 0;
  let split = false;
  for (const p of parts) {
    if (p.weightDramBytes !== undefined && p.actDramBytes !== undefined) {
      split = true;
      wd += p.weightDramBytes;
      ad += p.actDramBytes;
    }
    lat += p.latencyMs;
    en += p.energyMj;
    dram += p.dramBytes;
    on += p.onchipBytes;
    c += p.computeMs;
    m += p.memoryMs;
    o += p.overheadMs;
    utilW += p.utilization * p.computeMs;
  }
  return {
    node,
    op,
    latencyMs: lat,
    energyMj: en,
    dramBytes: dram,
    onchipBytes: on,
    bound: boundOf(c, m, o),
    computeMs: c,
    memoryMs: m,
    overheadMs: o,
    utilization: c > 0 ? utilW / c : Number.NaN,
    ...(split ? { weightDramBytes: wd, actDramBytes: ad } : {}),
    ...(split && boundOf(c, m, o) === 'memory' ? { memoryBound: trafficLimiter(wd, ad, dram) } : {}),
    ...costedByOf(parts),
  };
}

/** The fallback target that costed any of `parts` (see {@link LayerCost.costedBy}), as a field to spread. */
function costedByOf(parts: readonly LayerCost[]): { costedBy?: string } {
  const by = parts.find((p) => p.costedBy !== undefined)?.costedBy;
  return by !== undefined ? { costedBy: by } : {};
}

/** A share `f` of a layer's cost (channel-wise activation bits: the part of the layer at one input width). */
export function scaleCost(p: LayerCost, f: number): LayerCost {
  return {
    ...p,
    latencyMs: p.latencyMs * f,
    energyMj: p.energyMj * f,
    dramBytes: p.dramBytes * f,
    onchipBytes: p.onchipBytes * f,
    computeMs: p.computeMs * f,
    memoryMs: p.memoryMs * f,
    overheadMs: p.overheadMs * f,
    ...(p.weightDramBytes !== undefined ? { weightDramBytes: p.weightDramBytes * f } : {}),
    ...(p.actDramBytes !== undefined ? { actDramBytes: p.actDramBytes * f } : {}),
  };
}

/**
 * A layer's cost with channel-wise activation bits: `costAt(bits)` at each input width, weighted by the
 * share of input channels at it ({@link inputShares}); `costAt(ab)` as is without mixed input widths.
 */
export function mixedInputCost(lp: LayerPrecision, ab: number, node: string, op: string, costAt: (actBits: number) => LayerCost): LayerCost {
  const shares = inputShares(lp);
  if (!shares) return costAt(ab);
  return sumCosts(
    node,
    op,
    shares.map((x) => scaleCost(costAt(x.actBits), x.share)),
  );
}

/**
 * A layer's cost at one input width with channel-wise weight bits: `part(slice, bits)` for each output-channel
 * group of `lp.groups` (summed), or `whole(bits)` when the layer has one weight width.
 */
export function groupedWeightCost(
  w: Workload,
  lp: LayerPrecision,
  whole: (weightBits: number) => LayerCost,
  part: (slice: Workload, weightBits: number) => LayerCost,
): LayerCost {
  const slices = groupSlices(w, lp.groups);
  if (slices.length === 0) return whole((lp.groups?.[0] ?? lp).weightBits);
  return sumCosts(
    w.node,
    w.op,
    slices.map(({ slice, group }) => part(slice, group.weightBits)),
  );
}

/** The vector unit of an analytical target, for its element-wise nodes (see {@link AnalyticalTarget.vectorNode}). */
export interface VectorUnit {
  /** Element operations per cycle. */
  readonly opsPerCycle: number;
  /** Clock (Hz). */
  readonly hz: number;
  /** DRAM bandwidth (bytes/s). */
  readonly bwBps: number;
  /** Energy of one element operation, in units of `unitPj`. */
  readonly opEnergy: number;
  /** Energy of one DRAM byte (with its on-chip buffering), in units of `unitPj`. */
  readonly byteEnergy: number;
  /** The energy unit (pJ). */
  readonly unitPj: number;
}

/** How a target costs the nodes of a network, for {@link networkLayers}. */
export interface NodeCosters {
  /** Node `i`, fused into node `into` (asked only when the target fuses). */
  readonly fused: (i: number, into: number) => LayerCost;
  /** Node `i`, not a conv/dense layer, its output stored at `actBits`. */
  readonly node: (i: number, actBits: number) => LayerCost;
  /** Conv/dense node `i` at one weight and one activation width. */
  readonly layer: (i: number, weightBits: number, actBits: number) => LayerCost;
  /** A channel-group slice of a conv/dense layer at one weight and one activation width. */
  readonly slice: (slice: Workload, weightBits: number, actBits: number) => LayerCost;
}

/**
 * Every node's cost of `net` under `policy`, in node order, as a target's `networkCost` lists them: with `fuse`,
 * the bn/activations fused into a conv/dense; the other nodes that are not layers at the width their output is
 * stored at (activation-bits.ts); layers at their precision, channel groups of weights costed as slices and
 * mixed input widths weighted by their share of input channels.
 */
export function networkLayers(net: PreparedNetwork, policy: PrecisionPolicy, fuse: boolean, c: NodeCosters): LayerCost[] {
  const layers: LayerCost[] = [];
  const act = policyActBits(net, policy);
  for (let i = 0; i < net.n; i++) {
    const f = net.fusedInto[i] as number;
    if (fuse && f >= 0) {
      layers.push(c.fused(i, f));
      continue;
    }
    const li = net.layerOf[i] as number;
    if (li < 0) {
      layers.push(c.node(i, act.node[i] as number));
      continue;
    }
    const w = net.workloads[i] as Workload;
    const lp: LayerPrecision = policy.layers[w.node] ?? policy.default;
    const costAt = (ab: number): LayerCost =>
      groupedWeightCost(
        w,
        lp,
        (wb) => c.layer(i, wb, ab),
        (slice, wb) => c.slice(slice, wb, ab),
      );
    layers.push(mixedInputCost(lp, act.layer[li] as number, w.node, w.op, costAt));
  }
  return layers;
}

/** The sums of a network's node costs, in node order, latency from `latencyMs` (a network-level overhead). */
export function layerTotals(layers: readonly LayerCost[], latencyMs = 0): { latencyMs: number; energyMj: number; dramBytes: number; onchipBytes: number } {
  let lat = latencyMs;
  let en = 0;
  let dram = 0;
  let on = 0;
  for (const l of layers) {
    lat += l.latencyMs;
    en += l.energyMj;
    dram += l.dramBytes;
    on += l.onchipBytes;
  }
  return { latencyMs: lat, energyMj: en, dramBytes: dram, onchipBytes: on };
}

/**
 * A target's table per prepared network (costs that do not depend on the bit widths, memoised results), built by
 * `build` on first use and held weakly; the last network's table is kept at hand, so a search's evaluate calls
 * (one network, many policies) skip the map lookup.
 */
export class NetworkTables<T> {
  private readonly tables = new WeakMap<PreparedNetwork, T>();
  private lastNet: PreparedNetwork | undefined;
  private last: T | undefined;

  constructor(private readonly build: (net: PreparedNetwork) => T) {}

  /** The table of `net`. */
  of(net: PreparedNetwork): T {
    if (this.lastNet === net) return this.last as T;
    let t = this.tables.get(net);
    if (t === undefined) {
      t = this.build(net);
      this.tables.set(net, t);
    }
    this.lastNet = net;
    this.last = t;
    return t;
  }
}

/** Common machinery of analytical targets; subclasses implement {@link AnalyticalTarget.evalNode}. */
export abstract class AnalyticalTarget implements HardwareTarget {
  readonly kind = 'analytical' as const;
  abstract readonly name: string;
  abstract readonly description: string;
  abstract readonly supportedBits: SupportedBits;
  abstract readonly hasEnergy: boolean;
  /** Whether bn/activations after conv/dense are fused (cost 0). */
  abstract readonly fuse: boolean;
  /** Samples per inference the costs are for. */
  abstract readonly batch: number;
  private readonly scratch = new Float64Array(OUT_SLOTS);
  /** Per network and default activation width (33 x 3): latency, energy and DRAM bytes of the nodes no layer reads. */
  private readonly constTables = new NetworkTables(() => new Float64Array(33 * 3).fill(Number.NaN));
  private actLayer = new Int32Array(0);
  private actNode = new Int32Array(0);

  /**
   * Write the cost of node `i` of `net` at (`wBits`, `aBits`) into `out` (slots {@link OUT}).
   * Must not allocate. Called only for nodes of kind other than `free`.
   */
  protected abstract evalNode(net: PreparedNetwork, i: number, wBits: number, aBits: number, out: Float64Array): void;

  /** Peak MACs per cycle of the compute array at `p` (accelerators; used for the area estimate). */
  protected peakMacsPerCycle?(p: Precision): number;

  /**
   * Cost of an element-wise node (pooling, activation, add, ...) on a vector unit of `vectorOpsPerCycle` at
   * `hz`, reading its input and writing its output over DRAM at `bwBps`: writes every slot of `out` except
   * energy and returns the element operations; `dramBytes` is in `out`. Does not allocate.
   */
  private vectorNodeCost(net: PreparedNetwork, i: number, actBits: number, vectorOpsPerCycle: number, hz: number, bwBps: number, out: Float64Array): number {
    const c = net.col;
    const dram = (((c.inElems[i] as number) + (c.outElems[i] as number)) * this.batch * actBits) / 8;
    const ops = (c.elementOps[i] as number) * this.batch;
    const compS = ops / vectorOpsPerCycle / hz;
    const memS = dram / bwBps;
    out[OUT.computeMs] = compS * 1e3;
    out[OUT.memoryMs] = memS * 1e3;
    out[OUT.overheadMs] = 0;
    out[OUT.latencyMs] = (compS > memS ? compS : memS) * 1e3;
    out[OUT.dramBytes] = dram;
    out[OUT.onchipBytes] = dram;
    out[OUT.utilization] = Number.NaN;
    return ops;
  }

  /**
   * The whole cost of node `i` when it is element-wise (not a conv, depthwise or dense node): {@link vectorNodeCost}
   * on `unit`, energy `(ops · opEnergy + dramBytes · byteEnergy) · unitPj`. Returns false, writing nothing, for a
   * MAC node. Does not allocate.
   */
  protected vectorNode(net: PreparedNetwork, i: number, actBits: number, unit: VectorUnit, out: Float64Array): boolean {
    const kind = net.col.kind[i] as number;
    if (kind === KIND.conv || kind === KIND.depthwise || kind === KIND.dense) return false;
    const ops = this.vectorNodeCost(net, i, actBits, unit.opsPerCycle, unit.hz, unit.bwBps, out);
    out[OUT.energyMj] = (ops * unit.opEnergy + (out[OUT.dramBytes] as number) * unit.byteEnergy) * unit.unitPj * 1e-9;
    return true;
  }

  /** Area (mm²) of a fixed-precision MAC array with this target's peak MACs/cycle at `p` (45 nm, Horowitz areas). */
  computeAreaMm2(p: Precision): number {
    if (!this.peakMacsPerCycle) return Number.NaN;
    return (this.peakMacsPerCycle(p) * macAreaUm2(tech45(), p.weightBits, p.actBits)) / 1e6;
  }

  /** Throw a ConfigError if `p` cannot run on this target. */
  protected checkPrecision(p: Precision, where: string): void {
    const s = this.supportedBits;
    if (!s.weight.includes(p.weightBits) || !s.act.includes(p.actBits)) {
      throw new ConfigError(
        `${where}: precision w${p.weightBits}a${p.actBits} cannot run on target '${this.name}': expected weightBits in {${s.weight.join(', ')}} and actBits in {${s.act.join(', ')}}`,
      );
    }
  }

  private nodeCost(net: PreparedNetwork, i: number, wb: number, ab: number): LayerCost {
    const w = net.workloads[i] as Workload;
    if (net.col.kind[i] === KIND.free) return zeroCost(w.node, w.op);
    const s = this.scratch;
    s.fill(0);
    this.evalNode(net, i, wb, ab, s);
    const wd = s[OUT.weightDramBytes] as number;
    const ad = s[OUT.actDramBytes] as number;
    const split = wd + ad > 0;
    const bound = boundOf(s[OUT.computeMs] as number, s[OUT.memoryMs] as number, s[OUT.overheadMs] as number);
    return {
      node: w.node,
      op: w.op,
      latencyMs: s[OUT.latencyMs] as number,
      energyMj: this.hasEnergy ? (s[OUT.energyMj] as number) : Number.NaN,
      dramBytes: s[OUT.dramBytes] as number,
      onchipBytes: s[OUT.onchipBytes] as number,
      computeMs: s[OUT.computeMs] as number,
      memoryMs: s[OUT.memoryMs] as number,
      overheadMs: s[OUT.overheadMs] as number,
      bound,
      utilization: s[OUT.utilization] as number,
      ...(split ? { weightDramBytes: wd, actDramBytes: ad } : {}),
      ...(split && bound === 'memory' ? { memoryBound: trafficLimiter(wd, ad, s[OUT.dramBytes] as number) } : {}),
    };
  }

  /** {@inheritDoc HardwareTarget.layerCost} */
  layerCost(w: Workload, p: Precision): LayerCost {
    const mac = w.op === 'conv2d' || w.op === 'dense';
    this.checkPrecision(mac ? p : { weightBits: this.supportedBits.weight[0] as number, actBits: p.actBits }, `layer '${w.node}'`);
    return this.nodeCost(prepareWorkloads([w]), 0, p.weightBits, p.actBits);
  }

  /** {@inheritDoc HardwareTarget.networkCost} (activation bits as activation-bits.ts says) */
  networkCost(g: Graph, policy: PrecisionPolicy): NetworkCost {
    checkPolicyBits(policy, this.supportedBits, this.name);
    const net = prepareNetwork(g);
    const wl = (i: number): Workload => net.workloads[i] as Workload;
    const layers = networkLayers(net, policy, this.fuse, {
      fused: (i, into) => zeroCost(wl(i).node, wl(i).op, wl(into).node),
      node: (i, ab) => this.nodeCost(net, i, 32, ab),
      layer: (i, wb, ab) => this.nodeCost(net, i, wb, ab),
      slice: (slice, wb, ab) => this.nodeCost(prepareWorkloads([slice]), 0, wb, ab),
    });
    return { target: this.name, ...layerTotals(layers), layers, networkOverheadMs: 0, combine: 'sum' };
  }

  /** {@inheritDoc HardwareTarget.evaluate} (activation bits as activation-bits.ts says) */
  evaluate(net: PreparedNetwork, weightBits: ArrayLike<number>, actBits: ArrayLike<number>, out: CostSummary, defaultActBits = 8): CostSummary {
    const c = this.constTables.of(net);
    const read = layerReadNodes(net);
    const k = (defaultActBits > 32 ? 32 : defaultActBits) * 3;
    const s = this.scratch;
    const skip = (i: number): boolean => net.col.kind[i] === KIND.free || (this.fuse && (net.fusedInto[i] as number) >= 0);
    if (Number.isNaN(c[k] as number)) {
      // nodes no layer reads: stored at the default width, a constant per default width
      let lat = 0;
      let en = 0;
      let dram = 0;
      for (let i = 0; i < net.n; i++) {
        if ((net.layerOf[i] as number) >= 0 || read[i] === 1 || skip(i)) continue;
        s.fill(0);
        this.evalNode(net, i, 32, defaultActBits, s);
        lat += s[OUT.latencyMs] as number;
        en += s[OUT.energyMj] as number;
        dram += s[OUT.dramBytes] as number;
      }
      c[k] = lat;
      c[k + 1] = en;
      c[k + 2] = dram;
    }
    let lat = c[k] as number;
    let en = c[k + 1] as number;
    let dram = c[k + 2] as number;
    const ln = net.layerNode;
    if (this.actLayer.length < ln.length) this.actLayer = new Int32Array(ln.length);
    if (this.actNode.length < net.n) this.actNode = new Int32Array(net.n);
    const la = this.actLayer;
    const na = this.actNode;
    resolveActBits(net, actBits, defaultActBits, la, na);
    for (let i = 0; i < net.n; i++) {
      // nodes some layer reads: stored at that layer's width
      if (read[i] !== 1 || (net.layerOf[i] as number) >= 0 || skip(i)) continue;
      s.fill(0);
      this.evalNode(net, i, 32, na[i] as number, s);
      lat += s[OUT.latencyMs] as number;
      en += s[OUT.energyMj] as number;
      dram += s[OUT.dramBytes] as number;
    }
    for (let l = 0; l < ln.length; l++) {
      this.evalNode(net, ln[l] as number, weightBits[l] as number, la[l] as number, s);
      lat += s[OUT.latencyMs] as number;
      en += s[OUT.energyMj] as number;
      dram += s[OUT.dramBytes] as number;
    }
    out.latencyMs = lat;
    out.energyMj = this.hasEnergy ? en : Number.NaN;
    out.dramBytes = dram;
    return out;
  }
}

/** Clock, bandwidth and batching of a bit-level accelerator (BitFusion, BISMO). */
export interface BitAcceleratorParams {
  readonly clockMHz: number;
  readonly dramGBps: number;
  readonly vectorOpsPerCycle: number;
  readonly fuse: boolean;
  readonly batch: number;
}

/**
 * Common part of the bit-level accelerators (BitFusion-style and BISMO-style): 1-8 and 16-bit operands, 45 nm
 * energies per byte of SRAM (`sramPer64pJ`: the energy of a 64-bit access of the target's buffer size) and DRAM.
 */
export abstract class BitAcceleratorTarget extends AnalyticalTarget {
  readonly supportedBits: SupportedBits = { weight: [1, 2, 3, 4, 5, 6, 7, 8, 16], act: [1, 2, 3, 4, 5, 6, 7, 8, 16] };
  readonly hasEnergy = true;
  readonly fuse: boolean;
  readonly batch: number;
  protected readonly hz: number;
  protected readonly bwBps: number;
  protected readonly sramPjB: number;
  protected readonly dramPjB: number;
  /** The vector unit: 8-bit adds, each DRAM byte also through an SRAM buffer. */
  protected readonly vectorUnit: VectorUnit;

  constructor(
    readonly description: string,
    base: BitAcceleratorParams,
    sramPer64pJ: number,
  ) {
    super();
    this.fuse = base.fuse;
    this.batch = base.batch;
    this.hz = base.clockMHz * 1e6;
    this.bwBps = base.dramGBps * 1e9;
    const t = tech45();
    this.sramPjB = sramPer64pJ / 8;
    this.dramPjB = t.dramPer32pJ / 4;
    const { hz, bwBps } = this;
    this.vectorUnit = { opsPerCycle: base.vectorOpsPerCycle, hz, bwBps, opEnergy: t.add8pJ, byteEnergy: this.dramPjB + this.sramPjB, unitPj: 1 };
  }
}
