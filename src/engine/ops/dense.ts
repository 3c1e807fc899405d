/**
 * Engine lowering of `dense`: x·W (weight pre-transposed to `[in, out]`) plus bias. After a flatten kept in
 * HWC order ('flat-hwc'), the weight rows are permuted once at build time so results equal the NCHW flatten.
 */
import { tf } from '../tf.js';
import { hwcToChw, transposeArray, vectorParam } from './layout.js';
import type { EngineOp } from './types.js';

/** Lowering of `dense`. */
export const denseEngine: EngineOp<'dense'> = {
  op: 'dense',
  layoutPreserving: false,
  params(n, input) {
    const irShape = [n.outFeatures, n.inFeatures];
    const engineShape = [n.inFeatures, n.outFeatures];
    const map = input?.layout === 'flat-hwc' && input.flatFrom ? hwcToChw(...input.flatFrom) : undefined;
    const o = n.outFeatures;
    const toEngine = (d: Float32Array): Float32Array => {
      const t = transposeArray(d, irShape, [1, 0]); // [in(IR order), out]
      if (!map) return t;
      const out = new Float32Array(t.length);
      for (let r = 0; r < map.length; r++) out.set(t.subarray((map[r] as number) * o, ((map[r] as number) + 1) * o), r * o);
      return out;
    };
    const toIr = (d: Float32Array): Float32Array => {
      let t = d;
      if (map) {
        t = new Float32Array(d.length);
        for (let r = 0; r < map.length; r++) t.set(d.subarray(r * o, (r + 1) * o), (map[r] as number) * o);
      }
      return transposeArray(t, engineShape, [1, 0]);
    };
    return [{ param: 'weight', irShape, engineShape, trainable: true, toEngine, toIr }, ...(n.bias ? [vectorParam('bias', n.outFeatures, true)] : [])];
  },
  run(ctx) {
    const n = ctx.node;
    const info = { layer: n.name, op: 'dense', layout: 'dense-io', outChannels: n.outFeatures } as const;
    const w = ctx.weight(`${n.name}.weight`, info);
    const x = ctx.arg(0);
    const x2 = ctx.argValue(0).layout === 'nhwc' ? x.reshape([-1, n.inFeatures]) : x;
    let y = tf.matMul(x2 as tf.Tensor2D, w as tf.Tensor2D);
    if (n.bias) y = tf.add(y, ctx.bias(info));
    return y;
  },
};
