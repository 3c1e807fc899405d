/** `leakyrelu`: x for x >= 0, alpha * x below (ONNX LeakyRelu; PyTorch's nn.LeakyReLU exports it). */
import { activationParts, cleanF32, mapForward, unaryExamples } from './common.js';
import type { OpDef } from './types.js';

/** ONNX's default slope of LeakyRelu (PyTorch's nn.LeakyReLU default is the same). */
const ONNX_DEFAULT_ALPHA = 0.01;

/** Leaky rectified linear unit. */
export const leakyreluOp: OpDef<'leakyrelu'> = {
  ...activationParts('leakyrelu'),
  forward: (a) => mapForward(a, (v) => (v >= 0 ? v : a.node.alpha * v)),
  onnxTypes: ['LeakyRelu'],
  toOnnx: (node, ctx) => [{ opType: 'LeakyRelu', inputs: [ctx.inputs[0] as string], outputs: [node.name], attributes: { alpha: { f: node.alpha } } }],
  fromOnnx: (ctx) => ({ node: { op: 'leakyrelu', name: ctx.name(), inputs: [ctx.act(0)], alpha: cleanF32(ctx.float('alpha', ONNX_DEFAULT_ALPHA)) } }),
  examples: [...unaryExamples('leakyrelu', { alpha: 0.01 }), ...unaryExamples('leakyrelu', { alpha: 0.2 }).slice(0, 1)],
};
