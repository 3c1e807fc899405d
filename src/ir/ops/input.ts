/** `input`: the graph input (one sample's shape); not an ONNX operator but the graph's input value. */
import { ShapeError, UserError } from '../../errors.js';
import { fmtShape, numel } from '../geometry.js';
import { elementCost, needInputs, noWeights } from './common.js';
import type { OpDef } from './types.js';

/** The graph input. */
export const inputOp: OpDef<'input'> = {
  op: 'input',
  kind: 'free',
  weightShapes: noWeights,
  inferShape(node, ins) {
    needInputs(node, ins, 0);
    if (node.shape.length === 0 || node.shape.some((v) => !Number.isInteger(v) || v <= 0)) {
      throw new ShapeError(`input '${node.name}' has invalid shape ${fmtShape(node.shape)}: expected positive integers`);
    }
    return node.shape;
  },
  cost: () => elementCost(0),
  forward(a) {
    const x = a.inputs[0] as Float64Array;
    const want = a.batch * numel(a.outShape);
    if (x.length !== want) throw new ShapeError(`reference: input has ${x.length} values, expected ${want} (${a.batch} x ${fmtShape(a.outShape)})`);
    return x.slice();
  },
  onnxTypes: [],
  toOnnx(node) {
    throw new UserError(`ONNX export: input node '${node.name}' cannot be emitted as an operator`);
  },
  fromOnnx(ctx) {
    throw ctx.unsupported('the graph input is not an operator');
  },
  examples: [],
};
