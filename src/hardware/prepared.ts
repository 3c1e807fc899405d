/**
 * Precomputed per-node workload tables of a network, so a cost model can evaluate a new precision
 * vector without walking the graph or allocating (see {@link HardwareTarget.evaluate}).
 */
import { opKind } from '../ir/ops/registry.js';
import type { ChannelGroup, PrecisionPolicy } from '../ir/precision.js';
import type { Graph } from '../ir/types.js';
import { graphWorkloads, type Workload } from '../ir/workload.js';

/** Node kind codes used by the fast cost paths. */
export const KIND = { free: 0, conv: 1, depthwise: 2, dense: 3, elementwise: 4, pool: 5 } as const;

/** Numeric columns of a prepared network, one entry per node. */
export interface WorkloadColumns {
  readonly kind: Uint8Array;
  readonly macs: Float64Array;
  readonly weightElems: Float64Array;
  readonly biasElems: Float64Array;
  readonly inElems: Float64Array;
  readonly outElems: Float64Array;
  readonly elementOps: Float64Array;
  /** GEMM view of conv/dense per group: M = output pixels, K = reduction, N = output channels per group, G = groups. */
  readonly gemmM: Float64Array;
  readonly gemmK: Float64Array;
  readonly gemmN: Float64Array;
  readonly gemmG: Float64Array;
  readonly kh: Float64Array;
  readonly kw: Float64Array;
  readonly outH: Float64Array;
  readonly outW: Float64Array;
  /** Sum of `weightElems` of all earlier nodes (for parameter caches filled in graph order). */
  readonly weightElemsBefore: Float64Array;
}

/** A network prepared for fast costing. */
export interface PreparedNetwork {
  readonly name: string;
  readonly workloads: readonly Workload[];
  readonly n: number;
  readonly col: WorkloadColumns;
  /** Node indices of the conv/dense layers (policy vector order = graph order). */
  readonly layerNode: Int32Array;
  /** For each node, its index in `layerNode`, or -1. */
  readonly layerOf: Int32Array;
  readonly layerNames: readonly string[];
  /** For each node, the index of the conv/dense node it fuses into (conv+bn+act), or -1 (see fusion rule in {@link fusionPlan}). */
  readonly fusedInto: Int32Array;
  /** Graph inputs/outputs: nodes whose activations must cross off-chip at least once. */
  readonly isIo: Uint8Array;
  /**
   * For each node, the index of the node that anchors the runtime kernel it executes in under
   * {@link kernelPlan} (itself when it runs alone; -1 for graph plumbing): conv+bn+act as in
   * `fusedInto`, plus residual add(+act) fused into the conv that produces its last operand.
   */
  readonly kernelOf: Int32Array;
  /**
   * For each conv/dense layer (policy vector order), the index of the node whose output it reads (its
   * input activation), or -1 when unknown (workloads prepared without their graph). See
   * activation-bits.ts for the precision convention built on it.
   */
  readonly layerInput?: Int32Array;
}

/** Element-wise activations an inference compiler fuses into the layer before them (the registry's 'activation' kind). */
const isFusableAct = (op: string): boolean => opKind(op) === 'activation';

/**
 * What fusion needs of a graph: each node's index by name, and `single(value)`: the value has exactly one consumer
 * and is not a graph output, so the node reading it may fuse with the node writing it.
 */
function fusionUses(graph: Graph): { readonly idx: Map<string, number>; readonly single: (value: string) => boolean } {
  const idx = new Map(graph.nodes.map((n, i) => [n.name, i]));
  const consumers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const outputs = new Set(graph.outputs);
  return { idx, single: (value) => (consumers.get(value) ?? 0) === 1 && !outputs.has(value) };
}

/**
 * The conv+bn+activation fusion that inference compilers apply (ONNX Runtime's Conv-BN folding and
 * Conv-activation fusion, TensorRT, the Edge TPU compiler): a batchnorm whose producer is a conv/dense
 * with no other consumer folds into it, and so does one element-wise activation after that.
 * Returns, per node, the index of the node it fuses into, or -1.
 */
export function fusionPlan(graph: Graph): Int32Array {
  const { idx, single } = fusionUses(graph);
  const fused = new Int32Array(graph.nodes.length).fill(-1);
  // anchor[i]: the conv/dense a node's output value belongs to after fusion, if still open for fusion.
  const anchor = new Int32Array(graph.nodes.length).fill(-1);
  const stage = new Uint8Array(graph.nodes.length); // 1 = conv, 2 = +bn, 3 = +act (closed)
  graph.nodes.forEach((n, i) => {
    if (n.op === 'conv2d' || n.op === 'dense') {
      anchor[i] = i;
      stage[i] = 1;
      return;
    }
    if (n.inputs.length !== 1) return;
    const src = n.inputs[0] as string;
    const p = idx.get(src);
    if (p === undefined || anchor[p] === -1) return;
    if (!single(src)) return;
    const st = stage[p] as number;
    if (n.op === 'batchnorm' && st === 1) {
      fused[i] = anchor[p] as number;
      anchor[i] = anchor[p] as number;
      stage[i] = 2;
    } else if (isFusableAct(n.op) && st <= 2) {
      fused[i] = anchor[p] as number;
      anchor[i] = anchor[p] as number;
      stage[i] = 3;
    }
  });
  return fused;
}

/** Graph plumbing that runs no kernel (the registry's 'free' kind). */
const isPlumbing = (op: string): boolean => opKind(op) === 'free';

/**
 * The kernels an inference runtime such as ONNX Runtime (CPU) executes: on top of {@link fusionPlan}'s
 * conv+bn+act, a residual `add` one of whose operands is a conv(+bn) with no activation and no other
 * consumer fuses into that conv (ORT's Conv+Add+Activation fusion, the NCHWc "Sum" input), and so does one
 * activation after the add. When both operands qualify, the first operand's conv takes the add (as ORT 1.30
 * does; the runtime orders the other conv before it). Returns, per node, its kernel's anchor node index
 * (itself when the node is its own kernel, -1 for plumbing: input, flatten, reshape, identity).
 */
export function kernelPlan(graph: Graph, fused: Int32Array = fusionPlan(graph)): Int32Array {
  const { idx, single } = fusionUses(graph);
  const kernel = new Int32Array(graph.nodes.length).fill(-1);
  // open[i] = anchor of node i's value if that kernel can still absorb an add (conv, or conv+bn: no act yet); -2 = can absorb an act after an add
  const open = new Int32Array(graph.nodes.length).fill(-1);
  graph.nodes.forEach((n, i) => {
    if (isPlumbing(n.op)) return;
    const f = fused[i] as number;
    if (f >= 0) {
      kernel[i] = f;
      if (n.op === 'batchnorm') open[i] = f;
      return;
    }
    kernel[i] = i;
    if (n.op === 'conv2d') {
      open[i] = i;
      return;
    }
    if (n.op === 'add' && n.inputs.length === 2) {
      let best = -1;
      for (const src of n.inputs) {
        const p = idx.get(src);
        if (p === undefined || !single(src)) continue;
        const a = open[p] as number;
        if (a >= 0 && best < 0) best = a;
      }
      if (best >= 0) {
        kernel[i] = best;
        open[i] = -2 - best;
      }
      return;
    }
    if (isFusableAct(n.op) && n.inputs.length === 1) {
      const p = idx.get(n.inputs[0] as string);
      if (p !== undefined && (open[p] as number) <= -2 && single(n.inputs[0] as string)) kernel[i] = -2 - (open[p] as number);
    }
  });
  return kernel;
}

/**
 * Per node of a prepared network: for a kernel anchor, the ops fused after it in its runtime kernel (in graph
 * order, e.g. `['batchnorm', 'add', 'relu']`); `null` for nodes absorbed into another node's kernel and for plumbing.
 */
export function kernelPostOps(net: PreparedNetwork): (readonly string[] | null)[] {
  const out: (string[] | null)[] = Array.from({ length: net.n }, () => null);
  for (let i = 0; i < net.n; i++) {
    const k = net.kernelOf[i] as number;
    if (k === i) out[i] = [];
  }
  for (let i = 0; i < net.n; i++) {
    const k = net.kernelOf[i] as number;
    if (k >= 0 && k !== i) out[k]?.push((net.workloads[i] as Workload).op);
  }
  return out;
}

function kindOf(w: Workload): number {
  switch (opKind(w.op)) {
    case 'conv':
      return w.conv?.depthwise ? KIND.depthwise : KIND.conv;
    case 'dense':
      return KIND.dense;
    case 'pool':
      return KIND.pool;
    case 'free':
      return KIND.free;
    default:
      return KIND.elementwise;
  }
}

/** Prepare a list of workloads (no fusion, no graph structure): used for single-layer costs. */
export function prepareWorkloads(
  workloads: readonly Workload[],
  name = 'workloads',
  fusedInto?: Int32Array,
  io?: Uint8Array,
  kernelOf?: Int32Array,
): PreparedNetwork {
  const n = workloads.length;
  const f = (): Float64Array => new Float64Array(n);
  const col: WorkloadColumns = {
    kind: new Uint8Array(n),
    macs: f(),
    weightElems: f(),
    biasElems: f(),
    inElems: f(),
    outElems: f(),
    elementOps: f(),
    gemmM: f(),
    gemmK: f(),
    gemmN: f(),
    gemmG: f(),
    kh: f(),
    kw: f(),
    outH: f(),
    outW: f(),
    weightElemsBefore: f(),
  };
  let before = 0;
  const layers: number[] = [];
  const layerOf = new Int32Array(n).fill(-1);
  workloads.forEach((w, i) => {
    col.kind[i] = kindOf(w);
    col.macs[i] = w.macs;
    col.weightElems[i] = w.weightElems;
    col.biasElems[i] = w.biasElems;
    col.inElems[i] = w.inElems;
    col.outElems[i] = w.outElems;
    col.elementOps[i] = w.elementOps;
    col.weightElemsBefore[i] = before;
    before += w.weightElems;
    if (w.conv) {
      const c = w.conv;
      col.gemmG[i] = c.groups;
      col.gemmM[i] = c.outH * c.outW;
      col.gemmK[i] = (c.inChannels / c.groups) * c.kernel[0] * c.kernel[1];
      col.gemmN[i] = c.outChannels / c.groups;
      col.kh[i] = c.kernel[0];
      col.kw[i] = c.kernel[1];
      col.outH[i] = c.outH;
      col.outW[i] = c.outW;
    } else if (w.op === 'dense') {
      col.gemmG[i] = 1;
      col.gemmM[i] = 1;
      col.gemmK[i] = w.inElems;
      col.gemmN[i] = w.outElems;
      col.kh[i] = 1;
      col.kw[i] = 1;
      col.outH[i] = 1;
      col.outW[i] = 1;
    }
    if (w.op === 'conv2d' || w.op === 'dense') {
      layerOf[i] = layers.length;
      layers.push(i);
    }
  });
  return {
    name,
    workloads,
    n,
    col,
    layerNode: Int32Array.from(layers),
    layerOf,
    layerNames: layers.map((i) => (workloads[i] as Workload).node),
    fusedInto: fusedInto ?? new Int32Array(n).fill(-1),
    isIo: io ?? new Uint8Array(n),
    kernelOf: kernelOf ?? Int32Array.from(workloads, (w, i) => (isPlumbing(w.op) ? -1 : (fusedInto?.[i] ?? -1) >= 0 ? (fusedInto?.[i] as number) : i)),
  };
}

const cache = new WeakMap<Graph, PreparedNetwork>();

/** Prepare a graph once (cached per graph object): workload tables, layer index, fusion plan. */
export function prepareNetwork(graph: Graph): PreparedNetwork {
  const hit = cache.get(graph);
  if (hit) return hit;
  const io = new Uint8Array(graph.nodes.length);
  const outs = new Set(graph.outputs);
  graph.nodes.forEach((n, i) => {
    if (n.op === 'input' || outs.has(n.name)) io[i] = 1;
  });
  const fused = fusionPlan(graph);
  const base = prepareWorkloads(graphWorkloads(graph), graph.name, fused, io, kernelPlan(graph, fused));
  const index = new Map(graph.nodes.map((nd, i) => [nd.name, i] as const));
  // the node whose output a layer reads, looking through plumbing (flatten/reshape/identity: same data)
  const source = (name: string): number => {
    let j = index.get(name) ?? -1;
    for (let hops = 0; j >= 0 && hops < graph.nodes.length; hops++) {
      const nd = graph.nodes[j] as Graph['nodes'][number];
      if (nd.op === 'input' || !isPlumbing(nd.op) || nd.inputs.length !== 1) break;
      j = index.get(nd.inputs[0] as string) ?? -1;
    }
    return j;
  };
  const layerInput = Int32Array.from(base.layerNode, (i) => source(graph.nodes[i]?.inputs[0] as string));
  const net: PreparedNetwork = { ...base, layerInput };
  cache.set(graph, net);
  return net;
}

/**
 * The slice of a conv/dense workload that produces `channels` of its output channels starting at `first`
 * (used to cost channel groups of a policy). Depthwise and grouped slices also take the matching input channels.
 * The slice is a layer of its own shape: its input/output shapes and conv geometry are the slice's, so per-layer-value
 * targets (layer-target.ts: lookup tables, host-cpu, predictors) key and featurise it as that smaller layer, never as
 * the whole one. `sliceOf` names the whole layer.
 */
export function sliceWorkload(w: Workload, first: number, channels: number): Workload {
  const out = w.conv ? w.conv.outChannels : w.outElems;
  const frac = channels / out;
  const sub = `${w.node}[${first}:${first + channels}]`;
  if (w.conv) {
    const c = w.conv;
    const dw = c.depthwise;
    const groups = dw ? channels : c.groups === 1 ? 1 : Math.max(1, Math.round(c.groups * frac));
    const inC = dw ? channels : c.groups === 1 ? c.inChannels : (c.inChannels / c.groups) * groups;
    // activations are CHW: the slice reads inC channels and writes `channels`
    const [inShape, ...others] = w.inShapes;
    return {
      ...w,
      node: sub,
      inShapes: inShape ? [[inC, ...inShape.slice(1)], ...others] : w.inShapes,
      outShape: [channels, ...w.outShape.slice(1)],
      macs: w.macs * frac,
      params: w.params * frac,
      weightElems: w.weightElems * frac,
      biasElems: w.biasElems * frac,
      inElems: (w.inElems * inC) / c.inChannels,
      outElems: w.outElems * frac,
      conv: { ...c, inChannels: inC, outChannels: channels, groups },
      sliceOf: w,
    };
  }
  return {
    ...w,
    node: sub,
    outShape: [...w.outShape.slice(0, -1), channels],
    macs: w.macs * frac,
    params: w.params * frac,
    weightElems: w.weightElems * frac,
    biasElems: w.biasElems * frac,
    outElems: channels,
    sliceOf: w,
  };
}

/**
 * The slices a layer's channel groups are costed as, in channel order, each with its group: one
 * {@link sliceWorkload} per group, the groups laid out one after the other from channel 0. None when the layer has
 * at most one group (it is costed whole).
 */
export function groupSlices<G extends ChannelGroup>(w: Workload, groups: readonly G[] | undefined): { readonly slice: Workload; readonly group: G }[] {
  if (!groups || groups.length <= 1) return [];
  let first = 0;
  return groups.map((group) => {
    const slice = sliceWorkload(w, first, group.channels);
    first += group.channels;
    return { slice, group };
  });
}

/**
 * Every channel-group slice a target is asked to cost for `policy` on `net` ({@link groupSlices} of each conv/dense
 * layer, graph order): what a measured target (host-cpu) must measure besides the network's own kernels.
 */
export function policySlices(net: PreparedNetwork, policy: PrecisionPolicy): Workload[] {
  const out: Workload[] = [];
  for (const i of net.layerNode) {
    const w = net.workloads[i] as Workload;
    for (const { slice } of groupSlices(w, policy.layers[w.node]?.groups)) out.push(slice);
  }
  return out;
}
