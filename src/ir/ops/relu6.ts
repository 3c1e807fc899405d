/** `relu6`: min(max(x, 0), 6) (exported as ONNX Clip(0, 6); Clip imports it, see clip.ts). */
import { activationParts, mapForward } from './common.js';
import type { OpDef } from './types.js';

/** ReLU capped at 6. */
export const relu6Op: OpDef<'relu6'> = {
  ...activationParts('relu6'),
  forward: (a) => mapForward(a, (v) => Math.min(Math.max(v, 0), 6)),
  onnxTypes: [],
  toOnnx: (node, ctx) => [
    {
      opType: 'Clip',
      inputs: [ctx.inputs[0] as string, ctx.constant(`${node.name}.min`, 'float32', [], [0]), ctx.constant(`${node.name}.max`, 'float32', [], [6])],
      outputs: [node.name],
    },
  ],
  fromOnnx(ctx) {
    throw ctx.unsupported('relu6 is imported from Clip');
  },
};
