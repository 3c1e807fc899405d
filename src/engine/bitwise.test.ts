import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from './backend.js';
import { binarizeWeight, bitwiseHooks, lfsrQuantActivation } from './bitwise.js';
import { fakeQuantWeight } from './fake-quant.js';
import { LfsrStream, lfsrTable } from './lfsr.js';
import { actGrid } from './quant-grid.js';
import { tf } from './tf.js';

describe('bitwise hooks', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('sign binarization equals the 1-bit fake quantizer (sign x mean|w| per output channel)', () => {
    const w = tf.tensor2d([0.5, -0.1, 0, 0.3, -2, 0.7, 0.2, -0.4], [4, 2]); // [-1, outC=2]
    const b = binarizeWeight(w, 2, 'identity', 1);
    const ref = fakeQuantWeight(w, 2, { bits: 1 });
    assert.deepEqual(Array.from(b.dataSync()), Array.from(ref.dataSync()));
    // channel 0: mean|w| = (0.5+0+2+0.2)/4 = 0.675; w=0 binarizes to +s
    assert.ok(Math.abs((b.dataSync()[2] as number) - 0.675) < 1e-6);
  });

  it('STE: identity passes every gradient; clipped only where |w| <= clip x mean|w_c|', () => {
    const w = tf.tensor2d([0.5, -0.1, 0, 0.3, -2, 0.7, 0.2, -0.4], [4, 2]);
    const gi = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(binarizeWeight(t, 2, 'identity', 1), tf.range(1, 9).reshape([4, 2]))))(w);
    assert.deepEqual(Array.from(gi.dataSync()), [1, 2, 3, 4, 5, 6, 7, 8]);
    const gc = tf.grad((t: tf.Tensor) => tf.sum(binarizeWeight(t, 2, 'clipped', 1)))(w);
    // s = [0.675, 0.375]: |-2| > 0.675 and |0.7|, |-0.4| > 0.375 are cut
    assert.deepEqual(Array.from(gc.dataSync()), [1, 1, 1, 1, 0, 0, 1, 0]);
    const gc2 = tf.grad((t: tf.Tensor) => tf.sum(binarizeWeight(t, 2, 'clipped', 2)))(w);
    assert.deepEqual(Array.from(gc2.dataSync()), [1, 1, 1, 1, 0, 1, 1, 1]);
  });

  it('stochastic binarization draws +/-s with P(+1) = clip((w/s + 1)/2, 0, 1); the hooks draw afresh each pass, seeded', () => {
    const w = tf.tensor2d([0.675 * 3, -0.675 * 3, 0, 0.3375, -0.3375, 0.675 * 0], [6, 1]);
    const u = tf.tensor2d([0.99, 0.01, 0.49, 0.74, 0.26, 0.51], [6, 1]);
    // s = mean|w| = (2.025*2 + 0.3375*2) / 6 = 0.7875; P(+1) = [1, 0, 0.5, 0.714, 0.286, 0.5]
    const v = Array.from(binarizeWeight(w, 1, 'identity', 1, u).dataSync()).map((x) => Math.sign(x));
    assert.deepEqual(v, [1, -1, 1, -1, 1, -1]);
    const base = { weights: { l: { bits: 1 } }, activations: {} };
    const info = { layer: 'l', op: 'conv2d' as const, layout: 'hwio' as const, outChannels: 1 };
    const big = tf.randomNormal([400, 1], 0, 1, 'float32', 3);
    const draw = (seed: number, n: number): number[][] => {
      const t = bitwiseHooks({ base, binarize: 'stochastic', seed }).weightTransform;
      assert.ok(t);
      return Array.from({ length: n }, () => Array.from((t(big, info) as tf.Tensor).dataSync()));
    };
    const [a1, a2] = draw(4, 2);
    const [b1] = draw(4, 1);
    assert.deepEqual(a1, b1, 'same seed, same first draw');
    assert.notDeepEqual(a1, a2, 'a new draw every forward pass');
    assert.throws(() => bitwiseHooks({ base, ste: 'straight' as 'identity' }), /STE variant 'straight'/);
  });

  it('LFSR: a maximal-length 16-bit register (every nonzero state once per period), fractions on a 1/256 grid', () => {
    const t = lfsrTable();
    assert.equal(t.length, 65535);
    const counts = new Array<number>(256).fill(0);
    for (const u of t) counts[Math.round(u * 256)] = (counts[Math.round(u * 256)] as number) + 1;
    assert.equal(counts[0], 255);
    for (let k = 1; k < 256; k++) assert.equal(counts[k], 256);
    const s = new LfsrStream(7);
    const a = s.next(70000);
    assert.deepEqual(Array.from(a.subarray(0, 5)), Array.from(t.subarray(7, 12)));
    assert.equal(a[65535], t[7], 'wraps around after one period');
  });

  it('LFSR stochastic rounding: values on the grid, within one step, and unbiased on average', () => {
    const cfg = { bits: 4, min: 0, max: 1.5 };
    const g = actGrid(cfg);
    const x = tf.fill([20000], 0.37);
    const y = Array.from(lfsrQuantActivation(x, cfg, new LfsrStream(3)).dataSync());
    const lo = Math.floor(0.37 / g.scale) * g.scale;
    for (const v of y) assert.ok(Math.abs(v - lo) < 1e-6 || Math.abs(v - lo - g.scale) < 1e-6);
    const mean = y.reduce((p, v) => p + v, 0) / y.length;
    assert.ok(Math.abs(mean - 0.37) < g.scale / 100, `mean ${mean}`);
    // clamped to the grid's range
    const z = Array.from(lfsrQuantActivation(tf.tensor1d([-1, 5]), cfg, new LfsrStream(3)).dataSync());
    assert.equal(z[0], 0);
    assert.ok(Math.abs((z[1] as number) - g.qmax * g.scale) < 1e-6);
  });
});
