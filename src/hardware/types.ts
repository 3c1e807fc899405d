/**
 * The hardware-target interface every cost model implements.
 *
 * Units, everywhere in src/hardware: latency in **milliseconds** (`latencyMs`), energy in
 * **millijoules** (`energyMj`, NaN when the target has no energy model), memory traffic in **bytes**,
 * area in **mm²**. Costs are for one inference of batch `batch` (the target's own batch, 1 unless its
 * data file says otherwise).
 */
import type { Graph, Model } from '../ir/types.js';
import type { Workload } from '../ir/workload.js';
import type { Precision, PrecisionPolicy, SupportedBits } from './precision.js';
import type { PreparedNetwork } from './prepared.js';

/** What limits a layer: the compute array, memory bandwidth, or fixed per-layer overhead (launch, dispatch). */
export type Bound = 'compute' | 'memory' | 'overhead';

/** The operand whose off-chip traffic limits a memory-bound layer (targets that split their traffic: bitfusion, bismo). */
export type MemoryLimiter = 'weights' | 'activations' | 'outputs';

/** Kind of cost model behind a target. */
export type TargetKind = 'analytical' | 'table' | 'learned' | 'measured';

/** Bytes moved per memory level. */
export interface MemoryTraffic {
  /** Off-chip (DRAM/HBM/host link) bytes read plus written. */
  readonly dramBytes: number;
  /** On-chip buffer/cache (global buffer, SRAM, L2) bytes read plus written. */
  readonly onchipBytes: number;
}

/** Cost of one node at one precision. */
export interface LayerCost extends MemoryTraffic {
  readonly node: string;
  readonly op: string;
  readonly latencyMs: number;
  /** Millijoules; NaN when the target has no energy model. */
  readonly energyMj: number;
  readonly bound: Bound;
  /** Time the compute alone would take (ms). */
  readonly computeMs: number;
  /** Time the off-chip traffic alone would take (ms). */
  readonly memoryMs: number;
  /** Fixed per-layer overhead (ms). */
  readonly overheadMs: number;
  /** Fraction of the compute array's peak the layer reaches (0..1; NaN when not modelled). */
  readonly utilization: number;
  /** Set when the node is fused into another (its cost is then zero and counted in that node). */
  readonly fusedInto?: string;
  /** Off-chip bytes of the weights, re-fetches included (targets that split their traffic; outputs are the rest of `dramBytes`). */
  readonly weightDramBytes?: number;
  /** Off-chip bytes of the input activations, re-fetches included. */
  readonly actDramBytes?: number;
  /** For a memory-bound layer of such a target: the operand with the most traffic (weight-, activation- or output-bound). */
  readonly memoryBound?: MemoryLimiter;
  /**
   * Set when another target costed this node: the name of a lookup table's fallback target, for a node the table has no
   * entry for (of a layer with channel groups: when it costed at least one group).
   */
  readonly costedBy?: string;
}

/** The bits a device actually runs a requested precision at (see {@link HardwareTarget.executedPrecision}). */
export interface ExecutedPrecision {
  /** Bit-width of the arithmetic. */
  readonly computeBits: number;
  /** Bits the weights are stored and moved at (the requested ones on a device that keeps them packed). */
  readonly weightBits: number;
  /** Bits the activations are stored and moved at. */
  readonly actBits: number;
}

/** Cost of a whole network under a policy. */
export interface NetworkCost extends MemoryTraffic {
  readonly target: string;
  readonly latencyMs: number;
  readonly energyMj: number;
  /** Per-node costs in graph order (fused nodes have zero cost and `fusedInto`). */
  readonly layers: readonly LayerCost[];
  /** Network-level cost not attributed to any layer (e.g. one session-run overhead); latency = Σ layers + this. */
  readonly networkOverheadMs: number;
  /** How layer costs combine: `sum` (layer after layer) or `fused` (fusion groups, see hardware/fusion.ts). */
  readonly combine: 'sum' | 'fused';
}

/** Allocation-free summary filled by {@link HardwareTarget.evaluate}. */
export interface CostSummary {
  latencyMs: number;
  energyMj: number;
  dramBytes: number;
}

/** A new zeroed {@link CostSummary} (allocate once, reuse across evaluate calls). */
export function costSummary(): CostSummary {
  return { latencyMs: 0, energyMj: 0, dramBytes: 0 };
}

/**
 * A hardware target: data plus a cost function, registered by name (see registry.ts).
 * `networkCost(g, policy)` equals the combination of the per-node costs it returns
 * (checked for every target by the conformance suite in testing/).
 */
export interface HardwareTarget {
  readonly name: string;
  /** One line for `hwnas targets`. */
  readonly description: string;
  readonly kind: TargetKind;
  /** Bit-widths this target runs (a policy outside them is a ConfigError). */
  readonly supportedBits: SupportedBits;
  /** Whether `energyMj` is modelled (else NaN). */
  readonly hasEnergy: boolean;
  /** Samples per inference that its costs are for (absent: 1). bismo-cloud costs a batch of 16. */
  readonly batch?: number;
  /**
   * The precision the target's own costs are for, when it has one (a lookup table: the bits its entries were measured
   * at); a caller that names no policy uses it ({@link defaultPolicy}, `hwnas cost`). Absent: the caller's default.
   */
  readonly defaultPrecision?: Precision;
  /** The target that costs the nodes this one has no value for (a lookup table's `?fallback=`); their costs carry `costedBy`. */
  readonly fallback?: HardwareTarget | undefined;
  /**
   * The bits the device runs a node requested at `p` with (`mac`: a conv/dense layer; otherwise only `p.actBits`
   * counts), and charges it at, when the device lacks a precision (a roofline device that runs it at a wider one, or
   * converts every precision to one). Absent: every precision runs as requested.
   */
  executedPrecision?(p: Precision, mac: boolean): ExecutedPrecision;
  /** Cost of one node at precision `p` (non conv/dense nodes use `p.actBits` for their activations). */
  layerCost(w: Workload, p: Precision): LayerCost;
  /** Cost of a network under a policy (throws ConfigError for bits the target cannot run). */
  networkCost(g: Graph, policy: PrecisionPolicy): NetworkCost;
  /**
   * Fast path for searches: latency/energy/DRAM bytes of a prepared network with per-layer bits
   * (vectors over `net.layers`, conv/dense in graph order); other nodes at `defaultActBits`.
   * Analytical targets do this without allocating. Bits are not validated here.
   */
  evaluate(net: PreparedNetwork, weightBits: ArrayLike<number>, actBits: ArrayLike<number>, out: CostSummary, defaultActBits?: number): CostSummary;
  /**
   * Work needed before `g` can be costed (the host target measures its kernels); callers that accept any
   * target `await target.prepare?.(model)` once per model. `policies`: the policies the model will be costed
   * under, when known; the host target also measures the channel-group slices they ask for (prepared.ts
   * `policySlices`), so that they can be costed.
   */
  prepare?(model: Graph | Model, policies?: readonly PrecisionPolicy[]): Promise<void>;
  /** Area (mm²) of the compute array a design needs to reach this target's throughput at `p` (accelerator targets only). */
  computeAreaMm2?(p: Precision): number;
  /**
   * Whole networks run on the device itself and timed together, interleaved run by run (targets that run
   * networks on this machine: host-cpu); per network, the `quantile` of its timed runs, in ms.
   */
  timeNetworks?(graphs: readonly Graph[], o?: NetworkTimingOptions): Promise<number[]>;
}

/** Options of {@link HardwareTarget.timeNetworks}. */
export interface NetworkTimingOptions {
  /** Timed runs per network (default 200). */
  readonly repeats?: number;
  /** Quantile of the run times reported (default 0.5, the median). */
  readonly quantile?: number;
}
