/**
 * Engine lowering of `avgpool`: zero padding then a valid tfjs avgPool (which counts padded cells); when
 * they must not count, a per-window count map built at model build time rescales the result.
 */
import { windowOut } from '../../ir/geometry.js';
import type { PoolNode } from '../../ir/types.js';
import { tf } from '../tf.js';
import type { EngineOp } from './types.js';

/** Number of real (non-pad) input cells under each avg-pool window. */
function poolCounts(h: number, w: number, n: PoolNode): Float32Array {
  const [t, l, b, r] = n.pads;
  const oh = windowOut(h, n.kernel[0], n.stride[0], 1, t, b);
  const ow = windowOut(w, n.kernel[1], n.stride[1], 1, l, r);
  const out = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++) {
    const y0 = i * n.stride[0] - t;
    const ch = Math.min(y0 + n.kernel[0], h) - Math.max(y0, 0);
    for (let j = 0; j < ow; j++) {
      const x0 = j * n.stride[1] - l;
      const cw = Math.min(x0 + n.kernel[1], w) - Math.max(x0, 0);
      out[i * ow + j] = Math.max(ch, 0) * Math.max(cw, 0);
    }
  }
  return out;
}

/** Lowering of `avgpool`. */
export const avgpoolEngine: EngineOp<'avgpool'> = {
  op: 'avgpool',
  layoutPreserving: false,
  constants(n, ins, out) {
    const m = new Map<string, tf.Tensor>();
    if (!n.countIncludePad && n.pads.some((p) => p > 0)) {
      const x = ins[0] as readonly number[];
      m.set('counts', tf.tensor(poolCounts(x[1] as number, x[2] as number, n), [1, out[1] as number, out[2] as number, 1]));
    }
    return m;
  },
  run(ctx) {
    const n = ctx.node;
    const x = ctx.arg(0);
    const padded = n.pads.some((p) => p > 0)
      ? tf.pad(x, [
          [0, 0],
          [n.pads[0], n.pads[2]],
          [n.pads[1], n.pads[3]],
          [0, 0],
        ])
      : x;
    const y = tf.avgPool(padded as tf.Tensor4D, n.kernel as [number, number], n.stride as [number, number], 'valid');
    const counts = ctx.constant('counts');
    return counts ? tf.div(tf.mul(y, n.kernel[0] * n.kernel[1]), counts) : y;
  },
};
