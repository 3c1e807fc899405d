import { numel } from './geometry.js';
import { nodeDef } from './ops/registry.js';
import type { ConvGeometry } from './ops/types.js';
import { inferShapes } from './shapes.js';
import type { Graph, Node, OpType, Shape } from './types.js';

/**
 * What one node asks of the hardware: the unit every cost model works on.
 * MACs count multiply-accumulates of conv/dense (and 0 for others); `elementOps` counts the
 * element-wise work of the remaining ops (one per output element, a window per output for pooling).
 */
export interface Workload {
  readonly node: string;
  readonly op: OpType;
  readonly inShapes: readonly Shape[];
  readonly outShape: Shape;
  readonly macs: number;
  /** Trainable parameters (conv/dense weight+bias; batchnorm scale+bias, as torchvision counts). */
  readonly params: number;
  /** Quantizable weight elements (conv/dense weights, bias excluded). */
  readonly weightElems: number;
  /** Bias elements (kept at 32 bits by default). */
  readonly biasElems: number;
  readonly inElems: number;
  readonly outElems: number;
  readonly elementOps: number;
  /** conv only: geometry for accelerator models. */
  readonly conv?: ConvGeometry;
  /** A channel-group slice of a conv/dense layer (hardware/prepared.ts `sliceWorkload`): the whole layer it is part of. */
  readonly sliceOf?: Workload;
}

/** Bytes of `elems` values stored at `bits` bits each, packed. */
export function packedBytes(elems: number, bits: number): number {
  return Math.ceil((elems * bits) / 8);
}

/** Weight bytes of a workload at `weightBits` (bias at 32 bits). */
export function weightBytes(w: Workload, weightBits: number): number {
  return packedBytes(w.weightElems, weightBits) + w.biasElems * 4;
}

/** Input plus output activation bytes of a workload at `actBits`. */
export function activationBytes(w: Workload, actBits: number): number {
  return packedBytes(w.inElems + w.outElems, actBits);
}

/** Workload of one node given its input and output shapes (the op's own cost, see src/ir/ops). */
export function nodeWorkload(node: Node, inShapes: readonly Shape[], outShape: Shape): Workload {
  const outElems = numel(outShape);
  const inElems = inShapes.reduce((s, x) => s + numel(x), 0);
  return { node: node.name, op: node.op, inShapes, outShape, inElems, outElems, ...nodeDef(node).cost(node, inShapes, outShape) };
}

/** Workloads of every node, in graph order. */
export function graphWorkloads(graph: Graph): Workload[] {
  const shapes = inferShapes(graph);
  return graph.nodes.map((n) =>
    nodeWorkload(
      n,
      n.inputs.map((i) => shapes.get(i) as Shape),
      shapes.get(n.name) as Shape,
    ),
  );
}

/** Totals over a graph. */
export interface GraphTotals {
  readonly macs: number;
  readonly params: number;
  readonly weightElems: number;
  readonly layers: number;
}

/** Sum of MACs and params over a graph; `layers` counts conv and dense nodes. */
export function graphTotals(graph: Graph): GraphTotals {
  let macs = 0;
  let params = 0;
  let weightElems = 0;
  let layers = 0;
  for (const w of graphWorkloads(graph)) {
    macs += w.macs;
    params += w.params;
    weightElems += w.weightElems;
    if (w.op === 'conv2d' || w.op === 'dense') layers++;
  }
  return { macs, params, weightElems, layers };
}

/** The conv and dense nodes: the layers that take a precision. */
export function quantizableLayers(graph: Graph): Array<Extract<Node, { op: 'conv2d' | 'dense' }>> {
  return graph.nodes.filter((n): n is Extract<Node, { op: 'conv2d' | 'dense' }> => n.op === 'conv2d' || n.op === 'dense');
}
