/** `reshape`: to a per-sample shape with at most one -1 (ONNX Reshape with a leading 0 for the batch). */
import { ShapeError } from '../../errors.js';
import { fmtShape, numel } from '../geometry.js';
import { constNumbers, elementCost, mapForward, needInputs, noWeights } from './common.js';
import type { OpDef } from './types.js';

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
  onnxTypes: ['Reshape'],
  // 0 copies the batch dimension, so the per-sample target may itself contain one -1.
  toOnnx: (node, ctx) => [
    {
      opType: 'Reshape',
      inputs: [ctx.inputs[0] as string, ctx.constant(`${node.name}.shape`, 'int64', [node.shape.length + 1], [0, ...node.shape])],
      outputs: [node.name],
    },
  ],
  fromOnnx(ctx) {
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
    // A reshape that only prepends size-1 axes before an Add/Mul is the IR's own (numpy) broadcasting.
    const lead = per.length - xs.length;
    const onlyBroadcast = ctx.consumers().every((c) => (c.opType === 'Add' || c.opType === 'Mul') && !c.folded);
    if (lead > 0 && onlyBroadcast && per.slice(0, lead).every((v) => v === 1) && per.slice(lead).every((v, k) => v === xs[k])) return { alias: x };
    return { node: { op: 'reshape', name: ctx.name(), inputs: [x], shape: per } };
  },
  examples: [
    { title: 'reshape [2,3,4] -> [6,-1]', input: [2, 3, 4], nodes: [{ op: 'reshape', name: 'y', inputs: ['x'], shape: [6, -1] }] },
    { title: 'reshape [12] -> [3,2,2]', input: [12], nodes: [{ op: 'reshape', name: 'y', inputs: ['x'], shape: [3, 2, 2] }] },
  ],
};
