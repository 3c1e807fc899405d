/** `swish`: x * sigmoid(x) (exported as Sigmoid + Mul; the importer folds that pattern back). */
import { activationParts, mapForward } from './common.js';
import type { OpDef } from './types.js';

/** Swish / SiLU. */
export const swishOp: OpDef<'swish'> = {
  ...activationParts('swish'),
  forward: (a) => mapForward(a, (v) => v / (1 + Math.exp(-v))),
  onnxTypes: [],
  toOnnx(node, ctx) {
    const x = ctx.inputs[0] as string;
    const s = ctx.uniqueName(`${node.name}/sigmoid`);
    return [
      { opType: 'Sigmoid', inputs: [x], outputs: [s] },
      { opType: 'Mul', inputs: [x, s], outputs: [node.name] },
    ];
  },
  fromOnnx(ctx) {
    throw ctx.unsupported('swish is imported from the pattern Mul(x, Sigmoid(x))');
  },
};
