/**
 * The op contract: everything hwnas knows about one IR operator lives in one file under src/ir/ops/
 * implementing {@link OpDef} (shape inference, workload, reference forward, ONNX import and export as
 * plain data, conformance examples), looked up by name in registry.ts. The engine's lowering of the
 * same op lives in src/engine/ops/<op>.ts (the only folder that imports the tensor library).
 *
 * ONNX crosses this boundary as plain data only ({@link OnnxNodeData}, {@link OnnxConst}): protobuf
 * stays inside src/onnx, which converts proto nodes to and from these shapes.
 */
import type { Node, OpType, Shape } from '../types.js';

/** The IR node of op `O` (e.g. `NodeOf<'conv2d'>` is a {@link import('../types.js').Conv2dNode}). */
export type NodeOf<O extends OpType> = Node & { readonly op: O };

/**
 * What an op costs on hardware, coarsely: 'free' graph plumbing (no data movement of its own),
 * 'conv' and 'dense' layers (MACs, weights, a precision), 'pool' windows, 'activation' (element-wise,
 * one input, fusable into the producing layer), 'elementwise' (other per-element work: normalisation,
 * binary ops, concatenation, softmax, resampling).
 */
export type OpKind = 'free' | 'conv' | 'dense' | 'pool' | 'activation' | 'elementwise';

/** An op's own share of a {@link import('../workload.js').Workload}: its compute and parameters. */
export interface OpCost {
  readonly macs: number;
  /** Trainable parameters (conv/dense weight+bias; batchnorm scale+bias, as torchvision counts). */
  readonly params: number;
  /** Quantizable weight elements (bias excluded). */
  readonly weightElems: number;
  /** Bias elements (kept at 32 bits by default). */
  readonly biasElems: number;
  /** Element-wise work: one per output element by default, a window per output for pooling. */
  readonly elementOps: number;
  /** conv only: geometry for accelerator models. */
  readonly conv?: ConvGeometry;
}

/** Geometry of a convolution for accelerator cost models. */
export interface ConvGeometry {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly groups: number;
  readonly depthwise: boolean;
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
}

/** Inputs of {@link OpDef.forward}: whole batches, sample-major, float64. */
export interface ReferenceArgs<N extends Node = Node> {
  readonly node: N;
  /** One array per node input (`batch * numel(inShapes[i])` values); for 'input', the graph input. */
  readonly inputs: readonly Float64Array[];
  readonly inShapes: readonly Shape[];
  readonly outShape: Shape;
  readonly batch: number;
  /** A weight of this node by parameter name (`weight`, `bias`, `scale`, ...), ONNX layout. */
  readonly weight: (param: string) => Float32Array;
  /** Training mode: batch norm normalises with the batch statistics. */
  readonly training: boolean;
}

/** An ONNX attribute value as plain data: the key says its ONNX type. */
export type OnnxAttr =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly s: string };

/** One ONNX node as plain data (default domain). */
export interface OnnxNodeData {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttr>>;
}

/** Element types of ONNX constants hwnas reads and writes. */
export type OnnxDType = 'float32' | 'float16' | 'float64' | 'int8' | 'uint8' | 'int32' | 'int64';

/** A constant ONNX tensor (initializer or Constant node) as plain data. */
export interface OnnxConst {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dtype: OnnxDType;
  /** float32 tensors keep their exact bits (Float32Array); every other type is widened to float64. */
  readonly data: Float32Array | Float64Array;
}

/** A decoded ONNX attribute (ints and floats as numbers, tensors as {@link OnnxConst}). */
export type OnnxAttrValue = number | string | readonly number[] | OnnxConst;

/** What {@link OpDef.toOnnx} may ask of the exporter. */
export interface OnnxExportContext {
  readonly opset: number;
  /** Tensor names the node reads, in operand order (after any activation hook). */
  readonly inputs: readonly string[];
  /** Per-sample IR shape of the node's `i`-th input. */
  inShape(i: number): Shape;
  /** Tensor name of this node's weight `param` (a float initializer, or what an export hook made of it). */
  weight(param: string): string;
  /** Adds a constant and returns its (unique) tensor name. */
  constant(name: string, dtype: 'float32' | 'int64', dims: readonly number[], values: readonly number[]): string;
  /** `base` if unused, else `base_1`, ...; reserved for one of the returned nodes' outputs. */
  uniqueName(base: string): string;
}

/** What an op's {@link OpDef.fromOnnx} sees of one ONNX node (type, inputs, attributes) and of the import so far. */
export interface OnnxImportContext {
  readonly opType: string;
  readonly opset: number;
  /** The model's fixed batch size, when its input declares one. */
  readonly fixedBatch: number | undefined;
  /** The node's input tensor names (`''` for an omitted optional input). */
  readonly inputs: readonly string[];
  /** A constant bias folded in from a following `Add` (MatMul + Add patterns), if any. */
  readonly foldedBias: OnnxConst | undefined;
  attr(name: string): OnnxAttrValue | undefined;
  int(name: string, fallback: number): number;
  ints(name: string): number[] | undefined;
  float(name: string, fallback: number): number;
  str(name: string, fallback: string): string;
  /** The IR value read as activation input `k` (throws when missing or constant). */
  act(k: number): string;
  /** True when input `k` is a constant. */
  isConst(k: number): boolean;
  /** Constant input `k`, or undefined when omitted (throws when it is computed). */
  cst(k: number, what: string): OnnxConst | undefined;
  /** Constant input `k` (throws when omitted or computed). */
  need(k: number, what: string): OnnxConst;
  /** Per-sample shape of an IR value. */
  shapeOf(ir: string): Shape;
  /** The IR node name for this ONNX node (its own name when unique). */
  name(): string;
  /** A fresh name `<node>/<role>` for a helper node (see `before` of {@link OnnxImportResult}). */
  helperName(role: string): string;
  /** The ONNX nodes that read this node's first output (`opType` null for a graph output; `folded` when folded into a pattern). */
  consumers(): readonly { readonly opType: string | null; readonly folded: boolean }[];
  /** An UnsupportedOpError naming this node. */
  unsupported(detail: string): Error;
  /** A ModelFormatError naming this node. */
  bad(detail: string): Error;
}

/** A weight an import produced: `<node>.<param>` with its ONNX-layout shape. */
export interface ImportedWeight {
  readonly param: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** What one ONNX node becomes: an IR node (with weights), another IR value (an alias), or a constant. */
export type OnnxImportResult =
  | {
      readonly node: Node;
      readonly weights?: readonly ImportedWeight[];
      /** Weightless helper nodes added before `node` (e.g. a pool before a flatten), each named by {@link OnnxImportContext.helperName}. */
      readonly before?: readonly Node[];
    }
  | { readonly alias: string }
  | { readonly constant: OnnxConst };

/**
 * A small graph exercising an op for the conformance suite: it contains the op, and its last node is
 * the graph output (usually the op itself; helper nodes may use any registered op).
 */
export interface OpExample {
  readonly title: string;
  /** Per-sample shape of the graph input (named `x`). */
  readonly input: Shape;
  /** Nodes after the input, topologically ordered. */
  readonly nodes: readonly Node[];
}

/**
 * One IR operator. Every registered op provides every member; the conformance suite
 * (src/engine/ops/conformance.test.ts) runs each op's examples through the reference, the engine and
 * onnxruntime.
 */
export interface OpDef<O extends OpType = OpType> {
  readonly op: O;
  readonly kind: OpKind;
  /** Weight parameters the node owns (ONNX layouts), keyed by parameter name. */
  weightShapes(node: NodeOf<O>): ReadonlyArray<readonly [string, readonly number[]]>;
  /** Output shape from input shapes; throws ShapeError naming the node. */
  inferShape(node: NodeOf<O>, ins: readonly Shape[]): Shape;
  /** Compute and parameters of the node. */
  cost(node: NodeOf<O>, ins: readonly Shape[], out: Shape): OpCost;
  /** Plain float64 reference forward over a whole batch. */
  forward(a: ReferenceArgs<NodeOf<O>>): Float64Array;
  /** ONNX node types this op imports (each type has exactly one owner across the registry). */
  readonly onnxTypes: readonly string[];
  /** The ONNX node(s) computing this node; the last one writes the tensor named after the node. */
  toOnnx(node: NodeOf<O>, ctx: OnnxExportContext): readonly OnnxNodeData[];
  /** Converts one ONNX node of a type in {@link onnxTypes}. */
  fromOnnx(ctx: OnnxImportContext): OnnxImportResult;
  /** Conformance examples (at least one). */
  readonly examples: readonly OpExample[];
}
