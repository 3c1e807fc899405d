import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Rng } from '../util/rng.js';
import { initEngine, withBackend } from './backend.js';
import { batchNormTrain } from './batchnorm-kernel.js';
import { flat, randomValues, relErr, tensorOf } from './testing/oracle.js';
import { tf } from './tf.js';

/** Output, batch statistics and gradients of sum(bn(x) * r), by the fused kernels or by plain ops. */
function bnCase(shape: number[], fused: boolean, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const rng = new Rng(seed);
    const c = shape[shape.length - 1] as number;
    const x = tf.add(tensorOf(randomValues(rng, shape), shape), 0.5);
    const scale = tensorOf(randomValues(rng, [c]), [c]);
    const bias = tensorOf(randomValues(rng, [c]), [c]);
    const r = tensorOf(randomValues(rng, shape), shape);
    const axes = shape.slice(0, -1).map((_, i) => i);
    const f = (a: tf.Tensor, s: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      if (fused) return batchNormTrain(a, s, b, 1e-5).y;
      const m = tf.moments(a, axes);
      return tf.add(tf.mul(tf.div(tf.sub(a, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), s), b);
    };
    const y = f(x, scale, bias);
    const g = tf.grads((a: tf.Tensor, s: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, s, b), r)))([x, scale, bias]);
    const m = tf.moments(x, axes);
    const stats = fused ? batchNormTrain(x, scale, bias, 1e-5) : { mean: m.mean, variance: m.variance };
    return [flat([y]), ...g.map((t) => flat([t])), flat([stats.mean]), flat([stats.variance])];
  });
}

describe('fused training batch norm', () => {
  before(async () => {
    await initEngine();
  });
  test('wasm fused kernels match op-by-op batch norm on cpu (channel counts 3, 8, 12; rank 2 and 4)', async () => {
    const labels = ['y', 'dx', 'dscale', 'dbias', 'mean', 'variance'];
    let seed = 1;
    for (const shape of [
      [4, 5, 3, 3],
      [3, 6, 5, 8],
      [2, 3, 7, 12],
      [9, 8],
    ]) {
      const ref = await withBackend('cpu', () => bnCase(shape, false, seed));
      const got = await withBackend('wasm', () => bnCase(shape, true, seed));
      ref.forEach((r, i) => {
        const e = relErr(got[i] as Float32Array, r);
        assert.ok(e <= 1e-4, `${JSON.stringify(shape)} ${labels[i]}: rel err ${e}`);
      });
      seed++;
    }
  });
});
