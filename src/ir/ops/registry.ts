/**
 * The op registry: every IR operator's {@link OpDef}, looked up by name. Adding an op means one file
 * here, one engine lowering in src/engine/ops/, and a line in each table; the conformance suite
 * (src/engine/ops/conformance.test.ts) fails for an op missing any piece.
 */
import { UnsupportedOpError } from '../../errors.js';
import type { Node, OpType } from '../types.js';
import { addOp } from './add.js';
import { avgpoolOp } from './avgpool.js';
import { batchnormOp } from './batchnorm.js';
import { clipOp } from './clip.js';
import { concatOp } from './concat.js';
import { conv2dOp } from './conv2d.js';
import { denseOp } from './dense.js';
import { flattenOp } from './flatten.js';
import { globalavgpoolOp } from './globalavgpool.js';
import { hardsigmoidOp } from './hardsigmoid.js';
import { hardswishOp } from './hardswish.js';
import { identityOp } from './identity.js';
import { inputOp } from './input.js';
import { l2normOp } from './l2norm.js';
import { leakyreluOp } from './leakyrelu.js';
import { maxpoolOp } from './maxpool.js';
import { mulOp } from './mul.js';
import { reluOp } from './relu.js';
import { relu6Op } from './relu6.js';
import { reshapeOp } from './reshape.js';
import { sigmoidOp } from './sigmoid.js';
import { softmaxOp } from './softmax.js';
import { swishOp } from './swish.js';
import type { OpDef, OpKind } from './types.js';
import { upsampleOp } from './upsample.js';

/** Every op by name; the mapped type makes a missing op a compile error. */
const OPS: { readonly [O in OpType]: OpDef<O> } = {
  input: inputOp,
  conv2d: conv2dOp,
  dense: denseOp,
  batchnorm: batchnormOp,
  relu: reluOp,
  relu6: relu6Op,
  clip: clipOp,
  leakyrelu: leakyreluOp,
  sigmoid: sigmoidOp,
  swish: swishOp,
  hardswish: hardswishOp,
  hardsigmoid: hardsigmoidOp,
  add: addOp,
  mul: mulOp,
  concat: concatOp,
  maxpool: maxpoolOp,
  avgpool: avgpoolOp,
  globalavgpool: globalavgpoolOp,
  flatten: flattenOp,
  reshape: reshapeOp,
  softmax: softmaxOp,
  identity: identityOp,
  upsample: upsampleOp,
  l2norm: l2normOp,
};

/** Every IR op name, in registry order. */
export const OP_TYPES: readonly OpType[] = Object.keys(OPS) as OpType[];

/** The definition of op `op`; throws UnsupportedOpError for a name the registry lacks. */
export function opDef<O extends OpType>(op: O): OpDef<O> {
  const d: OpDef<O> | undefined = OPS[op];
  if (!d) throw new UnsupportedOpError(String(op), '?', `not an IR op (known: ${OP_TYPES.join(', ')})`);
  return d;
}

/** The definition of a node's op. */
export function nodeDef(node: Node): OpDef {
  const d = (OPS as Readonly<Record<string, OpDef>>)[node.op];
  if (!d) throw new UnsupportedOpError(String(node.op), node.name, `not an IR op (known: ${OP_TYPES.join(', ')})`);
  return d;
}

/** The cost kind of an op name ('free' for plumbing; see {@link OpKind}); undefined for an unknown name. */
export function opKind(op: string): OpKind | undefined {
  return (OPS as Readonly<Record<string, OpDef>>)[op]?.kind;
}

const byOnnx = new Map<string, OpDef>();
for (const d of Object.values(OPS) as OpDef[]) {
  for (const t of d.onnxTypes) {
    const prev = byOnnx.get(t);
    if (prev) throw new Error(`op registry: ONNX type '${t}' is claimed by both '${prev.op}' and '${d.op}'`);
    byOnnx.set(t, d);
  }
}

/** The op that imports ONNX node type `opType`, or undefined. */
export function opForOnnxType(opType: string): OpDef | undefined {
  return byOnnx.get(opType);
}

/** Every ONNX node type some op imports, in registry order. */
export const ONNX_IMPORT_TYPES: readonly string[] = [...byOnnx.keys()];
