/**
 * The engine's op table: each IR op's tfjs lowering, keyed by the same op names as src/ir/ops/registry.ts.
 * The mapped type makes a missing lowering a compile error; the conformance suite checks them at run time.
 */
import { UnsupportedOpError } from '../../errors.js';
import type { OpType } from '../../ir/types.js';
import { addEngine } from './add.js';
import { avgpoolEngine } from './avgpool.js';
import { batchnormEngine } from './batchnorm.js';
import { clipEngine } from './clip.js';
import { concatEngine } from './concat.js';
import { conv2dEngine } from './conv2d.js';
import { denseEngine } from './dense.js';
import { flattenEngine } from './flatten.js';
import { globalavgpoolEngine } from './globalavgpool.js';
import { hardsigmoidEngine } from './hardsigmoid.js';
import { hardswishEngine } from './hardswish.js';
import { identityEngine } from './identity.js';
import { inputEngine } from './input.js';
import { l2normEngine } from './l2norm.js';
import { leakyreluEngine } from './leakyrelu.js';
import { maxpoolEngine } from './maxpool.js';
import { mulEngine } from './mul.js';
import { reluEngine } from './relu.js';
import { relu6Engine } from './relu6.js';
import { reshapeEngine } from './reshape.js';
import { sigmoidEngine } from './sigmoid.js';
import { softmaxEngine } from './softmax.js';
import { swishEngine } from './swish.js';
import type { EngineOp } from './types.js';
import { upsampleEngine } from './upsample.js';

const ENGINE_OPS: { readonly [O in OpType]: EngineOp<O> } = {
  input: inputEngine,
  conv2d: conv2dEngine,
  dense: denseEngine,
  batchnorm: batchnormEngine,
  relu: reluEngine,
  relu6: relu6Engine,
  clip: clipEngine,
  leakyrelu: leakyreluEngine,
  sigmoid: sigmoidEngine,
  swish: swishEngine,
  hardswish: hardswishEngine,
  hardsigmoid: hardsigmoidEngine,
  add: addEngine,
  mul: mulEngine,
  concat: concatEngine,
  maxpool: maxpoolEngine,
  avgpool: avgpoolEngine,
  globalavgpool: globalavgpoolEngine,
  flatten: flattenEngine,
  reshape: reshapeEngine,
  softmax: softmaxEngine,
  identity: identityEngine,
  upsample: upsampleEngine,
  l2norm: l2normEngine,
};

/** The engine lowering of IR op `op`; throws UnsupportedOpError when the engine has none. */
export function engineOp<O extends OpType>(op: O, node = '?'): EngineOp<O> {
  const e: EngineOp<O> | undefined = ENGINE_OPS[op];
  if (!e) throw new UnsupportedOpError(String(op), node, 'the engine cannot execute it');
  return e;
}
