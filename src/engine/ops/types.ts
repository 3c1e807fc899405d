/**
 * The engine side of the op contract: each IR op's lowering onto tfjs lives in src/engine/ops/<op>.ts as
 * an {@link EngineOp}, looked up by the IR op name in registry.ts. The IR side (shape, cost, reference,
 * ONNX) is src/ir/ops/<op>.ts.
 */
import type { NodeOf } from '../../ir/ops/types.js';
import type { Node, OpType, Shape } from '../../ir/types.js';
import type { ForwardOptions, WeightInfo } from '../model.js';
import type { tf } from '../tf.js';

/** How a value's tensor is laid out (see src/engine/model.ts): NHWC maps, IR order, or a flatten kept in HWC order. */
export type ValueLayout = 'nhwc' | 'std' | 'flat-hwc';

/** One node's output value as the compiled model holds it. */
export interface CompiledValue {
  readonly node: Node;
  /** Per-sample IR shape (NCHW). */
  readonly shape: Shape;
  readonly layout: ValueLayout;
  /** Input shape [C,H,W] of a 'flat-hwc' value (for conversions). */
  readonly flatFrom?: readonly [number, number, number];
}

/** What a lowering sees while the forward pass runs one node. */
export interface EngineOpContext<N extends Node = Node> {
  readonly node: N;
  /** This node's output value (shape and layout). */
  readonly value: CompiledValue;
  readonly graphName: string;
  /** The graph input tensor, in engine layout. */
  readonly input: tf.Tensor;
  /** Tensor of the node's `i`-th input. */
  arg(i: number): tf.Tensor;
  /** Compiled value (layout) of the node's `i`-th input. */
  argValue(i: number): CompiledValue;
  readonly training: boolean;
  readonly opts: ForwardOptions;
  /** A weight of the model keyed `<node>.<param>` (override applied, no hook). */
  param(key: string): tf.Tensor;
  /** A conv/dense weight with the quantization hook applied. */
  weight(key: string, info: WeightInfo): tf.Tensor;
  /** The node's `bias` with the quantization hook applied (`info`: its weight's, as given to {@link weight}; call it after {@link weight}, whose scale the hook gets). */
  bias(info: WeightInfo): tf.Tensor;
  /** A constant the op prepared at build time ({@link EngineOp.constants}). */
  constant(name: string): tf.Tensor | undefined;
}

/** One weight of a node as the engine stores it: its IR (ONNX) and engine layouts and the conversions between them. */
export interface EngineParam {
  /** Parameter name (`weight`, `bias`, `scale`, ...); the key is `<node>.<param>`. */
  readonly param: string;
  readonly irShape: readonly number[];
  readonly engineShape: readonly number[];
  /** False for buffers such as batch-norm running statistics. */
  readonly trainable: boolean;
  /** IR -> engine, on plain arrays. */
  readonly toEngine: (d: Float32Array) => Float32Array;
  /** engine -> IR, on plain arrays. */
  readonly toIr: (d: Float32Array) => Float32Array;
}

/** One op's lowering onto tfjs. */
export interface EngineOp<O extends OpType = OpType> {
  readonly op: O;
  /** True for element-wise one-input ops that keep a 'flat-hwc' value in that layout. */
  readonly layoutPreserving: boolean;
  /** The node's weights in engine layout, in a fixed order (none when absent); `input` is its first input's value. */
  params?(node: NodeOf<O>, input: CompiledValue | undefined): readonly EngineParam[];
  /** Constant tensors built once per node at model build time (freed with the model). */
  constants?(node: NodeOf<O>, inShapes: readonly Shape[], outShape: Shape): ReadonlyMap<string, tf.Tensor>;
  /** The node's output tensor in the layout of `ctx.value`. */
  run(ctx: EngineOpContext<NodeOf<O>>): tf.Tensor;
}
