/** `hardswish`: x * hardsigmoid(x) (ONNX HardSwish from opset 14; below, HardSigmoid + Mul, folded back on import). */
import { activationParts, hardSigmoid, mapForward } from './common.js';
import { HARD_SIGMOID_ATTRS } from './hardsigmoid.js';
import type { OpDef } from './types.js';

/** Hard swish. */
export const hardswishOp: OpDef<'hardswish'> = {
  ...activationParts('hardswish'),
  forward: (a) => mapForward(a, (v) => v * hardSigmoid(v)),
  onnxTypes: ['HardSwish'],
  toOnnx(node, ctx) {
    const x = ctx.inputs[0] as string;
    if (ctx.opset >= 14) return [{ opType: 'HardSwish', inputs: [x], outputs: [node.name] }];
    const s = ctx.uniqueName(`${node.name}/hardsigmoid`);
    return [
      { opType: 'HardSigmoid', inputs: [x], outputs: [s], attributes: HARD_SIGMOID_ATTRS },
      { opType: 'Mul', inputs: [x, s], outputs: [node.name] },
    ];
  },
  fromOnnx: (ctx) => ({ node: { op: 'hardswish', name: ctx.name(), inputs: [ctx.act(0)] } }),
};
