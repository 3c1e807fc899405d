/** Helpers shared by the op files: arity checks, cost shapes, element-wise forwards, ONNX attribute readers. */
import { ShapeError } from '../../errors.js';
import { fmtShape, numel, samePads } from '../geometry.js';
import type { Node, OpType, Pads, Shape } from '../types.js';
import type { NodeOf, OnnxConst, OnnxImportContext, OpCost, OpDef, OpExample, ReferenceArgs } from './types.js';

/** Throws unless the node has exactly `n` inputs. */
export function needInputs(node: Node, ins: readonly Shape[], n: number): void {
  if (ins.length !== n) throw new ShapeError(`node '${node.name}' (${node.op}) expects ${n} input(s), got ${ins.length}`);
}

/** The `[C,H,W]` of a node's only input, or a ShapeError. */
export function chw(node: Node, ins: readonly Shape[]): [number, number, number] {
  needInputs(node, ins, 1);
  const x = ins[0] as Shape;
  if (x.length !== 3) throw new ShapeError(`node '${node.name}' (${node.op}) expects a [C,H,W] input, got ${fmtShape(x)}`);
  return [x[0] as number, x[1] as number, x[2] as number];
}

/** Shape of a one-input op whose output has its input's shape. */
export function sameShape(node: Node, ins: readonly Shape[]): Shape {
  needInputs(node, ins, 1);
  return ins[0] as Shape;
}

/** A node along a per-sample axis (concat, softmax, l2norm): `axis` counts from 0 = the first per-sample axis, negative from the end. */
type AxisNode = Node & { readonly axis: number };

/** The per-sample axis `axis` of a rank-`rank` shape as an index (negative counts from the end). */
export function sampleAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** The node's axis as an index into its input shape `x`, or a ShapeError naming it (not an integer, out of range). */
export function checkSampleAxis(node: AxisNode, x: Shape): number {
  const ax = sampleAxis(node.axis, x.length);
  if (!Number.isInteger(node.axis) || ax < 0 || ax >= x.length)
    throw new ShapeError(`${node.op} '${node.name}': axis ${node.axis} out of range for ${fmtShape(x)}`);
  return ax;
}

/** Shape of a one-input op along a per-sample axis (softmax, l2norm): its input's, once the axis is checked. */
export function sameShapeAlongAxis(node: AxisNode, ins: readonly Shape[]): Shape {
  const x = sameShape(node, ins);
  checkSampleAxis(node, x);
  return x;
}

/** The ONNX `axis` of a per-sample axis (ONNX counts the batch axis first; negative axes are the same). */
export function onnxAxis(axis: number): number {
  return axis < 0 ? axis : axis + 1;
}

/**
 * The per-sample axis of an imported one-input node (softmax, l2norm): its ONNX `axis` attribute (default
 * `fallback`) on a per-sample input `x`, as an IR axis; unsupported when it is the batch axis or out of range.
 */
export function importSampleAxis(ctx: OnnxImportContext, x: string, fallback: number): number {
  const rank = ctx.shapeOf(x).length + 1;
  const axis = ctx.int('axis', fallback);
  const ax = sampleAxis(axis, rank);
  if (ax <= 0 || ax >= rank) throw ctx.unsupported(`axis ${axis} is not supported for a rank-${rank} input (the batch axis is not allowed)`);
  return axis < 0 ? axis : axis - 1;
}

/**
 * Calls `slice(first, stride, len)` for every slice of `x` (whole samples of per-sample shape `shape`, one after
 * another) along per-sample axis `axis`: the slice's k-th element is `x[first + k * stride]`, k < len. The
 * reference forwards of the ops that normalise along an axis (softmax, l2norm).
 */
export function forEachSlice(x: Float64Array, shape: Shape, axis: number, slice: (first: number, stride: number, len: number) => void): void {
  const ax = sampleAxis(axis, shape.length);
  const len = shape[ax] as number;
  const inner = numel(shape.slice(ax + 1));
  const outer = x.length / (len * inner);
  for (let o = 0; o < outer; o++) for (let l = 0; l < inner; l++) slice(o * len * inner + l, inner, len);
}

/** The cost of an op without weights: `elementOps` element operations. */
export function elementCost(elementOps: number): OpCost {
  return { macs: 0, params: 0, weightElems: 0, biasElems: 0, elementOps };
}

/** No weights. */
export function noWeights(): ReadonlyArray<readonly [string, readonly number[]]> {
  return [];
}

/** Element-wise reference forward of a one-input op. */
export function mapForward(a: ReferenceArgs, f: (v: number) => number): Float64Array {
  const x = a.inputs[0] as Float64Array;
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i] as number);
  return y;
}

/** relu6(x + 3) / 6: PyTorch's hardsigmoid (ONNX HardSigmoid with alpha 1/6, beta 0.5). */
export function hardSigmoid(v: number): number {
  return Math.min(Math.max(v + 3, 0), 6) / 6;
}

/** Examples of a one-input element-wise op on a feature map and on a vector. */
export function unaryExamples(op: Node['op'], extra: Record<string, unknown> = {}): OpExample[] {
  return [
    { title: `${op} on [3,5,4]`, input: [3, 5, 4], nodes: [{ op, name: 'y', inputs: ['x'], ...extra } as Node] },
    { title: `${op} on [7]`, input: [7], nodes: [{ op, name: 'y', inputs: ['x'], ...extra } as Node] },
  ];
}

/**
 * The shortest decimal that denotes the same float32 as `x` (ONNX float attributes are float32, so
 * `1e-5` comes back as 9.99999974738e-6; this turns it back into 1e-5).
 */
export function cleanF32(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const v = Number(f.toPrecision(p));
    if (Math.fround(v) === f) return v;
  }
  return f;
}

/** Float32 values of a constant tensor (a bit-exact copy when it was stored as float32). */
export function constF32(c: OnnxConst): Float32Array {
  return c.data instanceof Float32Array ? c.data.slice() : Float32Array.from(c.data);
}

/** Values of a constant tensor as plain numbers (for small tensors: shapes, scales, clip bounds). */
export function constNumbers(c: OnnxConst): number[] {
  return Array.from(c.data);
}

/** A per-channel vector from a constant of `len` values (or one value broadcast), else a format error. */
export function constVector(ctx: OnnxImportContext, c: OnnxConst, len: number, what: string): Float32Array {
  const d = constF32(c);
  if (d.length === len) return d;
  if (d.length === 1) return new Float32Array(len).fill(d[0] as number);
  throw ctx.bad(`${what} has ${d.length} values, expected ${len}`);
}

/** A 2-D attribute pair (`strides`, `kernel_shape`, ...), `[d, d]` when absent. */
export function attrPair(ctx: OnnxImportContext, name: string, d: number): [number, number] {
  const v = ctx.ints(name) ?? [d, d];
  if (v.length !== 2) throw ctx.unsupported(`${name} [${v.join(',')}] is not 2-D; only 2-D spatial ops are supported`);
  return [v[0] as number, v[1] as number];
}

/** Explicit pads `[t, l, b, r]` from ONNX `auto_pad` / `pads` of a window over `x` (`[C,H,W]`). */
export function attrPads(ctx: OnnxImportContext, x: Shape, k: readonly [number, number], s: readonly [number, number], d: readonly [number, number]): Pads {
  const autoPad = ctx.str('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const p = samePads(x[1] as number, x[2] as number, k, s, d);
    return autoPad === 'SAME_UPPER' ? p : [p[2], p[3], p[0], p[1]];
  }
  if (autoPad !== 'NOTSET' && autoPad !== '') throw ctx.bad(`auto_pad '${autoPad}' is invalid (expected NOTSET, SAME_UPPER, SAME_LOWER or VALID)`);
  const p = ctx.ints('pads') ?? [0, 0, 0, 0];
  if (p.length !== 4) throw ctx.unsupported(`pads [${p.join(',')}] are not 2-D (expected 4 values)`);
  return [p[0] as number, p[1] as number, p[2] as number, p[3] as number];
}

/**
 * The `axes` of an imported ONNX node as non-negative axes of a rank-`rank` tensor (batch axis 0; plus one per
 * axis when `inserted`, as Unsqueeze counts them), sorted: the constant input 1 from opset `inputFrom` on, the
 * `axes` attribute below it; undefined when absent.
 */
export function importAxes(ctx: OnnxImportContext, inputFrom: number, inRank: number, inserted = false): number[] | undefined {
  const raw = ctx.opset >= inputFrom ? (ctx.inputs[1] ? constNumbers(ctx.need(1, 'axes')) : undefined) : ctx.ints('axes');
  if (raw === undefined) return undefined;
  const rank = inserted ? inRank + raw.length : inRank;
  const axes = raw.map((a) => (a < 0 ? a + rank : a));
  if (axes.some((a) => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(axes).size !== axes.length) {
    throw ctx.bad(`axes [${raw.join(',')}] are invalid for a rank-${rank} tensor`);
  }
  return axes.sort((a, b) => a - b);
}

/** A [C,H,W] activation input's shape, or a format error naming the node. */
export function chwInput(ctx: OnnxImportContext, x: string): Shape {
  const xs = ctx.shapeOf(x);
  if (xs.length !== 3) throw ctx.bad(`input shape [${xs.join(',')}] is not [C,H,W]`);
  return xs;
}

/** The members every one-input activation shares: no weights, its input's shape, one operation per output element. */
export function activationParts<O extends OpType>(op: O): Pick<OpDef<O>, 'op' | 'kind' | 'weightShapes' | 'inferShape' | 'cost' | 'examples'> {
  return {
    op,
    kind: 'activation',
    weightShapes: noWeights,
    inferShape: (node: NodeOf<O>, ins: readonly Shape[]) => sameShape(node, ins),
    cost: (_n: NodeOf<O>, _i: readonly Shape[], out: Shape) => elementCost(numel(out)),
    examples: unaryExamples(op),
  };
}
