/**
 * `reshape`: to a per-sample shape with at most one -1 (ONNX Reshape with a leading 0 for the batch). ONNX
 * Unsqueeze and Squeeze of size-1 per-sample axes (PyTorch's `x[:, :, None, None]`, `x.squeeze(-1)`) import as it.
 */
import { ShapeError } from '../../errors.js';
import { fmtShape, numel } from '../geometry.js';
import { constNumbers, elementCost, importAxes, mapForward, needInputs, noWeights } from './common.js';
import type { OnnxImportContext, OnnxImportResult, OpDef } from './types.js';

/** Reshape. */
export const reshapeOp: OpDef<'reshape'> = {
  op: 'reshape',
  kind: 'free',
  weightShapes: noWeights,
  inferShape(node, ins) {
    needInputs(node, ins, 1);
    const x = ins[0] as readonly number[];
    const total = numel(x);
    const neg = node.shape.filter((v) => v === -1).length;
    if (neg > 1 || node.shape.some((v) => v === 0 || v < -1)) throw new ShapeError(`reshape '${node.name}': invalid target ${fmtShape(node.shape)}`);
    const known = node.shape.reduce((p, v) => (v === -1 ? p : p * v), 1);
    const out = node.shape.map((v) => (v === -1 ? total / known : v));
    if (numel(out) !== total || out.some((v) => !Number.isInteger(v))) {
      throw new ShapeError(`reshape '${node.name}': cannot reshape ${fmtShape(x)} (${total} elements) to ${fmtShape(node.shape)}`);
    }
    return out;
  },
  cost: () => elementCost(0),
  forward: (a) => mapForward(a, (v) => v),
  onnxTypes: ['Reshape', 'Unsqueeze', 'Squeeze'],
  // 0 copies the batch dimension, so the per-sample target may itself contain one -1.
  toOnnx: (node, ctx) => [
    {
      opType: 'Reshape',
      inputs: [ctx.inputs[0] as string, ctx.constant(`${node.name}.shape`, 'int64', [node.shape.length + 1], [0, ...node.shape])],
      outputs: [node.name],
    },
  ],
  fromOnnx(ctx) {
    if (ctx.opType !== 'Reshape') return squeezeOrUnsqueeze(ctx);
    const x = ctx.act(0);
    const xs = ctx.shapeOf(x);
    const target = constNumbers(ctx.need(1, 'shape'));
    if (target.length < 1) throw ctx.bad('target shape is empty');
    const b = target[0] as number;
    if (!(b === 0 || b === -1 || (ctx.fixedBatch !== undefined && b === ctx.fixedBatch) || b === 1)) {
      throw ctx.unsupported(`target shape [${target.join(',')}] changes the batch dimension`);
    }
    const allowZero = ctx.int('allowzero', 0) === 1;
    const per = target.slice(1).map((v, k) => {
      if (v !== 0) return v;
      if (allowZero) throw ctx.unsupported('allowzero=1 with a zero dimension is not supported');
      const d = xs[k];
      if (d === undefined) throw ctx.bad(`target shape [${target.join(',')}] copies dimension ${k + 1}, which the input lacks`);
      return d;
    });
    if (b === -1 && per.includes(-1)) throw ctx.bad(`target shape [${target.join(',')}] has two -1 entries`);
    return reshapeTo(ctx, x, per);
  },
  examples: [
    { title: 'reshape [2,3,4] -> [6,-1]', input: [2, 3, 4], nodes: [{ op: 'reshape', name: 'y', inputs: ['x'], shape: [6, -1] }] },
    { title: 'reshape [12] -> [3,2,2]', input: [12], nodes: [{ op: 'reshape', name: 'y', inputs: ['x'], shape: [3, 2, 2] }] },
  ],
};

/** A reshape of IR value `x` to per-sample shape `per`, or `x` itself when it only prepends size-1 axes before an Add/Mul (the IR's own numpy broadcasting). */
function reshapeTo(ctx: OnnxImportContext, x: string, per: readonly number[]): OnnxImportResult {
  const xs = ctx.shapeOf(x);
  const lead = per.length - xs.length;
  const onlyBroadcast = ctx.consumers().every((c) => (c.opType === 'Add' || c.opType === 'Mul') && !c.folded);
  if (lead > 0 && onlyBroadcast && per.slice(0, lead).every((v) => v === 1) && per.slice(lead).every((v, k) => v === xs[k])) return { alias: x };
  return { node: { op: 'reshape', name: ctx.name(), inputs: [x], shape: [...per] } };
}

/** ONNX Unsqueeze / Squeeze of size-1 per-sample axes as a reshape (axes an attribute before opset 13, input 1 from 13). */
function squeezeOrUnsqueeze(ctx: OnnxImportContext): OnnxImportResult {
  const x = ctx.act(0);
  const xs = ctx.shapeOf(x);
  const full = [-1, ...xs]; // -1: the batch
  const unsqueeze = ctx.opType === 'Unsqueeze';
  const axes = importAxes(ctx, 13, full.length, unsqueeze);
  const shown = `[N,${xs.join(',')}]`;
  if (axes === undefined || axes.length === 0) {
    if (unsqueeze) throw ctx.bad('Unsqueeze needs axes');
    throw ctx.unsupported(
      `Squeeze without axes of an ${shown} input removes every size-1 axis, the batch too when it is 1: give the axes (in PyTorch, x.squeeze(-1) or torch.flatten(x, 1))`,
    );
  }
  if (axes[0] === 0) {
    throw ctx.unsupported(`axes [${axes.join(',')}] on an ${shown} input include the batch axis 0; only per-sample axes (1 and up) are supported`);
  }
  let out: number[];
  if (unsqueeze) {
    out = [...xs];
    for (const a of axes) out.splice(a - 1, 0, 1);
  } else {
    const notOne = axes.filter((a) => full[a] !== 1);
    if (notOne.length) throw ctx.bad(`axes [${axes.join(',')}] of an ${shown} input: axis ${notOne[0]} has size ${full[notOne[0] as number]}, expected 1`);
    out = xs.filter((_v, k) => !axes.includes(k + 1));
    if (out.length === 0) throw ctx.unsupported(`squeezing axes [${axes.join(',')}] of an ${shown} input leaves no per-sample axis; hwnas needs at least one`);
  }
  return reshapeTo(ctx, x, out);
}
