/** `clip`: clamp to [min, max] (ONNX Clip; a Clip(0, 6) imports as relu6 and Clip(0, ∞) as relu). */
import { activationParts, cleanF32, mapForward, unaryExamples } from './common.js';
import type { OpDef } from './types.js';

/** Largest float32, ONNX's default Clip bounds. */
const FLT_MAX = 3.4028234663852886e38;

/** Clamp to [min, max]. */
export const clipOp: OpDef<'clip'> = {
  ...activationParts('clip'),
  forward: (a) => mapForward(a, (v) => Math.min(Math.max(v, a.node.min), a.node.max)),
  onnxTypes: ['Clip'],
  toOnnx: (node, ctx) => [
    {
      opType: 'Clip',
      inputs: [
        ctx.inputs[0] as string,
        ctx.constant(`${node.name}.min`, 'float32', [], [node.min]),
        ctx.constant(`${node.name}.max`, 'float32', [], [node.max]),
      ],
      outputs: [node.name],
    },
  ],
  fromOnnx(ctx) {
    const x = ctx.act(0);
    let lo: number | undefined;
    let hi: number | undefined;
    if (ctx.opset < 11) {
      const a = ctx.attr('min');
      const b = ctx.attr('max');
      lo = typeof a === 'number' ? a : undefined;
      hi = typeof b === 'number' ? b : undefined;
    } else {
      const scalar = (k: number, what: string): number | undefined => {
        const c = ctx.cst(k, what);
        if (!c) return undefined;
        if (c.data.length !== 1) throw ctx.bad(`${what} has ${c.data.length} values, expected a scalar`);
        return c.data[0] as number;
      };
      lo = scalar(1, 'min');
      hi = scalar(2, 'max');
    }
    const name = ctx.name();
    if (lo === 0 && hi === 6) return { node: { op: 'relu6', name, inputs: [x] } };
    if (lo === 0 && hi === undefined) return { node: { op: 'relu', name, inputs: [x] } };
    return { node: { op: 'clip', name, inputs: [x], min: cleanF32(lo ?? -FLT_MAX), max: cleanF32(hi ?? FLT_MAX) } };
  },
  examples: unaryExamples('clip', { min: -0.5, max: 0.75 }),
};
