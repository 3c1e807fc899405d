/** `hardsigmoid`: relu6(x + 3) / 6, PyTorch's (ONNX HardSigmoid with alpha = 1/6, beta = 0.5). */
import { activationParts, hardSigmoid, mapForward } from './common.js';
import type { OnnxAttr, OnnxImportContext, OpDef } from './types.js';

/** hardsigmoid/hardswish of the IR follow PyTorch: relu6(x + 3) / 6, i.e. ONNX HardSigmoid alpha=1/6, beta=0.5. */
export const HARD_SIGMOID_ALPHA = 1 / 6;
/** See {@link HARD_SIGMOID_ALPHA}. */
export const HARD_SIGMOID_BETA = 0.5;

/** The ONNX HardSigmoid attributes of the IR's hardsigmoid. */
export const HARD_SIGMOID_ATTRS: Readonly<Record<string, OnnxAttr>> = { alpha: { f: HARD_SIGMOID_ALPHA }, beta: { f: HARD_SIGMOID_BETA } };

/** True when an ONNX HardSigmoid node has the IR's alpha = 1/6, beta = 0.5. */
export function isIrHardSigmoid(alpha: unknown, beta: unknown): boolean {
  return Math.abs(Number(alpha ?? 0.2) - HARD_SIGMOID_ALPHA) < 1e-6 && Math.abs(Number(beta ?? 0.5) - HARD_SIGMOID_BETA) < 1e-6;
}

function checkAttrs(ctx: OnnxImportContext): void {
  const alpha = ctx.attr('alpha');
  const beta = ctx.attr('beta');
  if (!isIrHardSigmoid(alpha, beta)) {
    throw ctx.unsupported(`alpha=${String(alpha ?? 0.2)}, beta=${String(beta ?? 0.5)}; hwnas supports alpha=1/6, beta=0.5 (relu6(x+3)/6)`);
  }
}

/** Hard sigmoid. */
export const hardsigmoidOp: OpDef<'hardsigmoid'> = {
  ...activationParts('hardsigmoid'),
  forward: (a) => mapForward(a, hardSigmoid),
  onnxTypes: ['HardSigmoid'],
  toOnnx: (node, ctx) => [{ opType: 'HardSigmoid', inputs: [ctx.inputs[0] as string], outputs: [node.name], attributes: HARD_SIGMOID_ATTRS }],
  fromOnnx(ctx) {
    checkAttrs(ctx);
    return { node: { op: 'hardsigmoid', name: ctx.name(), inputs: [ctx.act(0)] } };
  },
};
