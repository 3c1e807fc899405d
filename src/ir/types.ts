/**
 * Types of the hwnas graph IR.
 *
 * Conventions (documented in docs/architecture.md):
 * - Tensor shapes are **per sample** (no batch dimension) in **NCHW** order: `[C, H, W]` for feature maps,
 *   `[F]` for vectors. The batch dimension is implicit and dynamic.
 * - Weights use ONNX layouts: conv `[outC, inC/groups, kH, kW]`, dense `[out, in]` (y = x W^T + b).
 * - Every node has exactly one output, named after the node.
 * - `nodes` are kept in topological order.
 */

/** A per-sample tensor shape (no batch dimension), NCHW. */
export type Shape = readonly number[];

/** Explicit padding `[top, left, bottom, right]` (ONNX order is [t, l, b, r]). */
export type Pads = readonly [number, number, number, number];

/** Operator names of the IR. */
export type OpType =
  | 'input'
  | 'conv2d'
  | 'dense'
  | 'batchnorm'
  | 'relu'
  | 'relu6'
  | 'clip'
  | 'leakyrelu'
  | 'sigmoid'
  | 'swish'
  | 'hardswish'
  | 'hardsigmoid'
  | 'add'
  | 'mul'
  | 'concat'
  | 'maxpool'
  | 'avgpool'
  | 'globalavgpool'
  | 'flatten'
  | 'reshape'
  | 'softmax'
  | 'identity'
  | 'upsample'
  | 'l2norm';

interface NodeBase {
  /** Unique node name; also the name of its output tensor. */
  readonly name: string;
  /** Names of the producer nodes, in operand order. */
  readonly inputs: readonly string[];
}

/** Graph input (one sample's shape). */
export interface InputNode extends NodeBase {
  readonly op: 'input';
  readonly shape: Shape;
}

/** 2-D convolution (grouped/depthwise via `groups`). */
export interface Conv2dNode extends NodeBase {
  readonly op: 'conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly pads: Pads;
  readonly groups: number;
  readonly bias: boolean;
}

/** Fully connected layer: y = x W^T + b, W is `[outFeatures, inFeatures]`. */
export interface DenseNode extends NodeBase {
  readonly op: 'dense';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
}

/** Batch normalisation over the channel axis. Weights: scale, bias, mean, var. */
export interface BatchNormNode extends NodeBase {
  readonly op: 'batchnorm';
  readonly channels: number;
  readonly eps: number;
  readonly momentum: number;
}

/**
 * Element-wise activations without attributes. Formulas: relu6 = min(max(x,0),6); swish = x*sigmoid(x);
 * hardsigmoid = relu6(x+3)/6 (ONNX HardSigmoid alpha=1/6, beta=0.5); hardswish = x*hardsigmoid(x).
 */
export interface ActivationNode extends NodeBase {
  readonly op: 'relu' | 'relu6' | 'sigmoid' | 'swish' | 'hardswish' | 'hardsigmoid' | 'identity';
}

/** Leaky rectified linear unit: x for x >= 0, alpha * x below (ONNX LeakyRelu, default alpha 0.01). */
export interface LeakyReluNode extends NodeBase {
  readonly op: 'leakyrelu';
  readonly alpha: number;
}

/** Clip to [min, max]. */
export interface ClipNode extends NodeBase {
  readonly op: 'clip';
  readonly min: number;
  readonly max: number;
}

/** Element-wise binary op with numpy broadcasting of per-sample shapes. */
export interface BinaryNode extends NodeBase {
  readonly op: 'add' | 'mul';
}

/** Concatenation along a per-sample axis (0 = channels). */
export interface ConcatNode extends NodeBase {
  readonly op: 'concat';
  readonly axis: number;
}

/** Max or average pooling. */
export interface PoolNode extends NodeBase {
  readonly op: 'maxpool' | 'avgpool';
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly pads: Pads;
  /** avgpool only: whether padded zeros count in the average (ONNX count_include_pad). */
  readonly countIncludePad: boolean;
}

/** Global average pooling: [C,H,W] -> [C,1,1]. */
export interface GlobalAvgPoolNode extends NodeBase {
  readonly op: 'globalavgpool';
}

/** Flatten [C,H,W] -> [C*H*W] in NCHW order. */
export interface FlattenNode extends NodeBase {
  readonly op: 'flatten';
}

/** Reshape to a per-sample shape (may contain one -1). */
export interface ReshapeNode extends NodeBase {
  readonly op: 'reshape';
  readonly shape: Shape;
}

/** Softmax along a per-sample axis (default the last). */
export interface SoftmaxNode extends NodeBase {
  readonly op: 'softmax';
  readonly axis: number;
}

/** L2 normalisation along a per-sample axis (default the last): x / ||x||₂, a zero slice stays zero. */
export interface L2NormNode extends NodeBase {
  readonly op: 'l2norm';
  readonly axis: number;
}

/** Nearest-neighbour upsampling by an integer factor. */
export interface UpsampleNode extends NodeBase {
  readonly op: 'upsample';
  readonly scale: number;
}

/** Any IR node. */
export type Node =
  | InputNode
  | Conv2dNode
  | DenseNode
  | BatchNormNode
  | ActivationNode
  | ClipNode
  | LeakyReluNode
  | BinaryNode
  | ConcatNode
  | PoolNode
  | GlobalAvgPoolNode
  | FlattenNode
  | ReshapeNode
  | SoftmaxNode
  | UpsampleNode
  | L2NormNode;

/** A network: nodes in topological order, one input, one or more outputs. */
export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  /** Names of the output nodes. */
  readonly outputs: readonly string[];
  /**
   * ONNX tensor names of outputs whose name is not their node's, keyed by output node name: kept from an imported
   * file (PyTorch's `output_names=['y']` on a node `/fc/Gemm`) so that an export writes the file's own names.
   */
  readonly outputNames?: Readonly<Record<string, string>>;
  /**
   * The batch dimension of an imported file's input, kept so that an export writes it as the file had it: a fixed
   * size (`torch.onnx.export` without `dynamic_axes` writes 1) or the symbolic name (`'batch_size'`). Absent: a
   * dynamic batch `N` (every graph hwnas builds itself).
   */
  readonly batch?: number | string;
}

/** A named float tensor: shape (full, ONNX layout) and data. */
export interface WeightTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Weights of a graph, keyed `<node>.<param>`: conv/dense `weight`, `bias`; batchnorm `scale`, `bias`,
 * `mean`, `var`.
 */
export type Weights = Map<string, WeightTensor>;

/** A graph with its weights. */
export interface Model {
  readonly graph: Graph;
  readonly weights: Weights;
}

/** Ops that carry weights. */
export type WeightedOp = 'conv2d' | 'dense' | 'batchnorm';

/** The parameter names each weighted op owns. */
export const PARAM_NAMES: Readonly<Record<WeightedOp, readonly string[]>> = {
  conv2d: ['weight', 'bias'],
  dense: ['weight', 'bias'],
  batchnorm: ['scale', 'bias', 'mean', 'var'],
};
