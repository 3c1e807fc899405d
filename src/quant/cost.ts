/**
 * Costs of precision policies for the quantization searches: latency and energy from any
 * {@link HardwareTarget}, packed model size, and BOPs (bit operations = MACs x weight bits x act bits),
 * with a fast vector path (per-layer bit vectors) and a policy path that understands channel groups.
 */
import { ConfigError, InfeasibleError } from '../errors.js';
import { inputShares, policyActBits, resolveActBits } from '../hardware/activation-bits.js';
import { type ComplexityReport, complexityReport } from '../hardware/complexity.js';
import type { LayerPrecision, Precision, PrecisionPolicy } from '../hardware/precision.js';
import { type PreparedNetwork, prepareNetwork, sliceWorkload } from '../hardware/prepared.js';
import { costSummary, type HardwareTarget } from '../hardware/types.js';
import type { Graph } from '../ir/types.js';
import { quantizableLayers, type Workload } from '../ir/workload.js';
import type { CostKind } from './ilp.js';
import { isFloatBits, packedTensorBytes } from './quantizer.js';

/** Latency (ms), energy (mJ), packed model size (bytes, see {@link packedModelBytes}) and BOPs of one policy. */
export interface CostVector {
  readonly latency: number;
  readonly energy: number;
  readonly size: number;
  readonly bops: number;
}

/** What the searches know about one conv/dense layer (HAQ's per-layer state comes from this). */
export interface QuantLayerInfo {
  readonly index: number;
  readonly name: string;
  readonly op: 'conv2d' | 'dense';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly params: number;
  readonly macs: number;
  readonly depthwise: boolean;
  readonly workload: Workload;
}

/** The conv/dense layers of a graph with their geometry, in policy-vector order. */
export function quantLayerInfos(graph: Graph): QuantLayerInfo[] {
  const net = prepareNetwork(graph);
  const layers = quantizableLayers(graph);
  if (layers.length === 0) throw new ConfigError(`model '${graph.name}' has no conv/dense layers to quantize`);
  return layers.map((n, i) => {
    const w = net.workloads[net.layerNode[i] as number] as Workload;
    return {
      index: i,
      name: n.name,
      op: n.op,
      inChannels: n.op === 'conv2d' ? n.inChannels : n.inFeatures,
      outChannels: n.op === 'conv2d' ? n.outChannels : n.outFeatures,
      kernel: n.op === 'conv2d' ? n.kernel[0] : 1,
      stride: n.op === 'conv2d' ? n.stride[0] : 1,
      params: w.params,
      macs: w.macs,
      depthwise: w.conv?.depthwise ?? false,
      workload: w,
    };
  });
}

/** Packed bytes of one layer's weights at `bits` (per-channel float32 scales, float32 bias). */
export function layerWeightBytes(w: Workload, bits: number, outChannels: number): number {
  if (isFloatBits(bits)) return (w.weightElems * bits) / 8 + w.biasElems * 4;
  return packedTensorBytes(w.weightElems, bits, outChannels) + w.biasElems * 4;
}

/** Bytes of the parameters outside the conv/dense layers (batch-norm vectors), at float32. */
function otherParamBytes(net: PreparedNetwork, layers: readonly QuantLayerInfo[]): number {
  const layerSet = new Set(layers.map((l) => l.name));
  let other = 0;
  for (const w of net.workloads) if (!layerSet.has(w.node)) other += w.params * 4;
  return other;
}

/** Packed bytes of one conv/dense layer under its precision, each channel group costed as its slice of the layer. */
function layerPolicyBytes(l: QuantLayerInfo, lp: LayerPrecision): number {
  const groups = lp.groups && lp.groups.length > 0 ? lp.groups : [{ channels: l.outChannels, weightBits: lp.weightBits }];
  let bytes = 0;
  let first = 0;
  for (const g of groups) {
    bytes += layerWeightBytes(sliceWorkload(l.workload, first, g.channels), g.weightBits, g.channels);
    first += g.channels;
  }
  return bytes;
}

/**
 * The packed model size of `graph` under `policy`, in bytes: the `size` of {@link PolicyCoster} (what `hwnas quantize`
 * reports as size, and `size_kb` x 1024). It counts what a file of the deployed model must store: the conv/dense weight
 * codes at their bits (rounded up to whole bytes per tensor or channel group), one float32 scale per output channel,
 * the float32 biases, and every other parameter (batch norm) at float32. Activations, and the graph itself, are not counted.
 * (`hwnas cost`'s `weights` total is the codes and biases only, without the scales and the other parameters.)
 */
export function packedModelBytes(graph: Graph, policy: PrecisionPolicy): number {
  const net = prepareNetwork(graph);
  const layers = quantizableLayers(graph).length > 0 ? quantLayerInfos(graph) : [];
  return layers.reduce((s, l) => s + layerPolicyBytes(l, policy.layers[l.name] ?? policy.default), otherParamBytes(net, layers));
}

/** `hwnas cost --json` of one model: the complexity report and the packed model size ({@link packedModelBytes}). */
export interface ModelCostReport extends ComplexityReport {
  /** Bytes of the packed model, as `hwnas quantize` reports its size. */
  readonly modelSizeBytes: number;
}

/** The complexity report of `graph` at `policy` on `target` with its packed model size: what `hwnas cost` and `POST /api/cost` answer. */
export function modelCostReport(graph: Graph, target: HardwareTarget, policy: PrecisionPolicy): ModelCostReport {
  return { ...complexityReport(graph, target, policy), modelSizeBytes: packedModelBytes(graph, policy) };
}

/** Costs policies of one graph on one target. */
export class PolicyCoster {
  readonly net: PreparedNetwork;
  readonly layers: readonly QuantLayerInfo[];
  /** Bytes of parameters outside conv/dense weights (batch-norm vectors at float32). */
  readonly otherBytes: number;
  private readonly summary = costSummary();
  private readonly actLayer: Int32Array;
  private readonly actNode: Int32Array;

  constructor(
    readonly graph: Graph,
    readonly target: HardwareTarget,
    /** Activation bits of the nodes that are not conv/dense (default 8). */
    readonly defaultActBits = 8,
  ) {
    this.net = prepareNetwork(graph);
    this.layers = quantLayerInfos(graph);
    this.actLayer = new Int32Array(this.layers.length);
    this.actNode = new Int32Array(this.net.n);
    this.otherBytes = otherParamBytes(this.net, this.layers);
  }

  /**
   * Cost of per-layer bit vectors (fast path); nodes that no conv/dense layer reads (the tail) move
   * their data at `defaultActBits` (the policy's `default.actBits`; see src/hardware/activation-bits.ts).
   */
  cost(weightBits: ArrayLike<number>, actBits: ArrayLike<number>, defaultActBits = this.defaultActBits): CostVector {
    const s = this.target.evaluate(this.net, weightBits, actBits, this.summary, defaultActBits);
    // BOPs at the activation bits the layers run at (activation-bits.ts: a shared input at the widest)
    resolveActBits(this.net, actBits, defaultActBits, this.actLayer, this.actNode);
    let size = this.otherBytes;
    let bops = 0;
    this.layers.forEach((l, i) => {
      const wb = weightBits[i] as number;
      size += layerWeightBytes(l.workload, wb, l.outChannels);
      bops += l.macs * wb * (this.actLayer[i] as number);
    });
    return { latency: s.latencyMs, energy: s.energyMj, size, bops };
  }

  /** Cost of a policy, channel groups included (each group is costed as its slice of the layer). */
  policyCost(policy: PrecisionPolicy): CostVector {
    const plain = this.layers.every((l) => (policy.layers[l.name]?.groups?.length ?? 0) <= 1 && !inputShares(policy.layers[l.name] ?? policy.default));
    if (plain) {
      const ps = this.layers.map((l) => flat(policy.layers[l.name] ?? policy.default));
      return this.cost(
        ps.map((p) => p.weightBits),
        ps.map((p) => p.actBits),
        policy.default.actBits,
      );
    }
    const nc = this.target.networkCost(this.graph, policy);
    const act = policyActBits(this.net, policy);
    let size = this.otherBytes;
    let bops = 0;
    for (const l of this.layers) {
      const ab = act.layer[l.index] as number;
      const lp: LayerPrecision = policy.layers[l.name] ?? policy.default;
      size += layerPolicyBytes(l, lp);
      const groups = lp.groups && lp.groups.length > 0 ? lp.groups : [{ channels: l.outChannels, weightBits: lp.weightBits, actBits: lp.actBits }];
      let first = 0;
      for (const g of groups) {
        const sub = sliceWorkload(l.workload, first, g.channels);
        first += g.channels;
        // mixed input widths: each input width's share of the MACs at that width
        const shares = inputShares(lp);
        bops += shares ? shares.reduce((a, x) => a + x.share * sub.macs * g.weightBits * x.actBits, 0) : sub.macs * g.weightBits * ab;
      }
    }
    return { latency: nc.latencyMs, energy: nc.energyMj, size, bops };
  }

  /** Cost of every layer at one uniform precision. */
  uniformCost(p: Precision): CostVector {
    const n = this.layers.length;
    return this.cost(new Array<number>(n).fill(p.weightBits), new Array<number>(n).fill(p.actBits));
  }
}

function flat(lp: LayerPrecision): Precision {
  return lp.groups?.[0] ?? lp;
}

/** A budget on one cost kind, in absolute units. */
export interface ResourceBudget {
  readonly kind: CostKind;
  readonly value: number;
  /** The reference cost (W8A8) when the budget was asked as a ratio (`latency=0.6x`): errors then state ratios. */
  readonly reference?: number;
}

/** Cost value of one kind. */
export function costOf(c: CostVector, kind: CostKind): number {
  return c[kind];
}

/**
 * Parse `latency=0.6x`, `energy=0.5x`, `size=120000` (bytes) or `bops=...`: a `x` suffix is relative to
 * the reference cost (the W8A8 policy). Energy needs a target that models it.
 */
export function parseBudget(spec: string, reference: CostVector): ResourceBudget {
  const m = /^(latency|energy|size|bops)=([0-9.eE+-]+)(x?)$/.exec(spec.trim());
  if (!m)
    throw new ConfigError(
      `budget '${spec}' is not understood: expected latency=0.6x, energy=0.5x, size=<bytes>[x] or bops=<n>[x] (x: relative to W8A8; a bare number is absolute: ms, mJ, bytes, bit-ops)`,
    );
  const kind = m[1] as CostKind;
  const v = Number(m[2]);
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`budget '${spec}': ${m[2]} must be a positive number`);
  const ref = reference[kind];
  if (m[3] === 'x' && !Number.isFinite(ref)) throw new ConfigError(`budget '${spec}': the target has no ${kind} model`);
  return m[3] === 'x' ? { kind, value: v * ref, reference: ref } : { kind, value: v };
}

/** A budget as the user reads it: `latency=0.8x (0.0032864 ms)` when asked as a ratio of W8A8, else `0.0032864 ms`. */
export function budgetText(budget: ResourceBudget): string {
  const abs = `${fmt(budget.value)}${UNITS[budget.kind]}`;
  const ref = budget.reference !== undefined && budget.reference > 0 ? budget.reference : undefined;
  return ref !== undefined ? `${budget.kind}=${fmtRatio(budget.value / ref)}x (${abs})` : `${budget.kind} ${abs}`;
}

/**
 * The budget `spec` as a summary echoes it, with its unit and its ratio to W8A8 (`reference`): `latency=0.6x
 * (<= 0.006084 ms)`, or for a bare number, which is absolute in the kind's unit, `latency <= 0.6 ms (59.2x of W8A8)`.
 */
export function budgetEcho(spec: string, reference: CostVector): string {
  const b = parseBudget(spec, reference);
  const abs = `${fmt(b.value)}${UNITS[b.kind]}`;
  if (b.reference !== undefined) return `${spec.trim()} (<= ${abs})`;
  const ref = reference[b.kind];
  return `${b.kind} <= ${abs}${Number.isFinite(ref) && ref > 0 ? ` (${fmtRatio(b.value / ref)}x of W8A8; absolute: no 'x')` : ''}`;
}

/** An InfeasibleError naming the budget and the cheapest achievable cost. */
export function budgetInfeasible(budget: ResourceBudget, cheapest: number, what = 'any policy'): InfeasibleError {
  const unit = UNITS[budget.kind];
  const abs = (x: number): string => `${fmt(x)}${unit}`;
  const ref = budget.reference !== undefined && budget.reference > 0 ? budget.reference : undefined;
  // a budget asked as a ratio of W8A8 is stated as asked (latency=0.6x), with the cheapest ratio reachable
  const asked = ref !== undefined ? `${budget.kind}=${fmtRatio(budget.value / ref)}x (${abs(budget.value)})` : abs(budget.value);
  const low = ref !== undefined ? `${fmtRatio(cheapest / ref)}x of W8A8 (${abs(cheapest)})` : abs(cheapest);
  return new InfeasibleError(`${budget.kind} budget ${asked} cannot be met by ${what}: the cheapest achievable ${budget.kind} is ${low}`);
}

const UNITS: Readonly<Record<CostKind, string>> = { latency: ' ms', energy: ' mJ', size: ' bytes', bops: ' bit-ops' };

function fmtRatio(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
