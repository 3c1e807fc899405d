import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ShapeError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { initEngine, withBackend } from './backend.js';
import { crossEntropyLoss } from './grads/cross-entropy.js';
import { explicitHessian, hessianVectorProduct } from './hvp.js';
import { flat, randomValues, relErr, tensorOf } from './testing/oracle.js';
import { tf } from './tf.js';

type Act = (t: tf.Tensor) => tf.Tensor;

/** conv3x3 -> act -> depthwise3x3 (multiplier m, stride s) -> batch norm -> act -> maxpool -> dense -> CE. */
function tinyNet(act: Act, s: number, x: tf.Tensor4D, y: tf.Tensor): (p: tf.Tensor[]) => tf.Scalar {
  return (p) => {
    const [w1, b1, dw, gamma, beta, w2, b2] = p as [tf.Tensor4D, tf.Tensor, tf.Tensor4D, tf.Tensor, tf.Tensor, tf.Tensor2D, tf.Tensor];
    let h: tf.Tensor = act(tf.add(tf.conv2d(x, w1, 1, 'same'), b1));
    h = tf.depthwiseConv2d(h as tf.Tensor4D, dw, s, 'same');
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    h = act(tf.batchNorm(h, mean, variance, beta, gamma, 1e-3));
    h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
    const logits = tf.add(tf.matMul(tf.reshape(h, [x.shape[0], -1]), w2), b2);
    return crossEntropyLoss(logits, y);
  };
}

function tinyParams(rng: Rng, ci: number, c: number, m: number, feat: number, classes: number): tf.Tensor[] {
  const r = (shape: number[], scale: number): tf.Tensor => tf.mul(tensorOf(randomValues(rng, shape), shape), scale);
  return [r([3, 3, ci, c], 0.5), r([c], 0.1), r([3, 3, c, m], 0.5), tf.add(r([c * m], 0.2), 1), r([c * m], 0.1), r([feat, classes], 0.5), r([classes], 0.1)];
}

function inputs(rng: Rng, n: number, hw: number, ci: number, classes: number): { x: tf.Tensor4D; y: tf.Tensor } {
  const x = tensorOf(randomValues(rng, [n, hw, hw, ci]), [n, hw, hw, ci]) as tf.Tensor4D;
  const labels = Array.from({ length: n }, () => rng.int(0, classes - 1));
  return { x, y: tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() };
}

describe('Hessian-vector products', () => {
  before(async () => {
    await initEngine();
  });

  test('relu net (conv+dw+dense+bn+relu+maxpool): wasm HVPs equal an explicit cpu Hessian', async () => {
    // 6x6x2 input, conv 2->2, dw x1 stride 1, pool -> 3x3x2 = 18 features, 3 classes: 117 params.
    const build = (): { loss: (p: tf.Tensor[]) => tf.Scalar; params: tf.Tensor[]; vs: tf.Tensor[][] } => {
      const rng = new Rng(7);
      const { x, y } = inputs(rng, 3, 6, 2, 3);
      const params = tinyParams(rng, 2, 2, 1, 18, 3);
      const vs = [0, 1].map(() => params.map((p) => tensorOf(randomValues(rng, p.shape), p.shape)));
      return { loss: tinyNet(tf.relu, 1, x, y), params, vs };
    };
    const cpu = await withBackend('cpu', () => {
      const { loss, params, vs } = build();
      const H = explicitHessian(loss, params);
      const hv = vs.map((v) => {
        const vf = flat(v);
        return H.map((row) => row.reduce((acc, h, j) => acc + h * (vf[j] as number), 0));
      });
      return { H, hv };
    });
    const n = cpu.H.length;
    assert.equal(n, 117);
    let asym = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const a = (cpu.H[i] as number[])[j] as number;
        asym = Math.max(asym, Math.abs(a - ((cpu.H[j] as number[])[i] as number)));
        scale = Math.max(scale, Math.abs(a));
      }
    }
    assert.ok(scale > 1e-3, 'Hessian is not trivially zero');
    assert.ok(asym <= 1e-4 * scale, `explicit Hessian asymmetry ${asym} (scale ${scale})`);
    const wasm = await withBackend('wasm', () => {
      const { loss, params, vs } = build();
      return vs.map((v) => flat(hessianVectorProduct(loss, params, v)));
    });
    wasm.forEach((hv, k) => {
      const e = relErr(hv, cpu.hv[k] as number[]);
      assert.ok(e <= 1e-4, `wasm HVP #${k} vs explicit cpu Hessian: rel err ${e}`);
    });
  });

  test('smooth net (tanh, dw x2 stride 2): HVP equals central differences of exact gradients', async () => {
    await withBackend('wasm', () => {
      const rng = new Rng(13);
      const { x, y } = inputs(rng, 4, 8, 2, 3);
      // conv 2->3, dw x2 stride 2 -> 4x4x6, pool -> 2x2x6 = 24 features
      const params = tinyParams(rng, 2, 3, 2, 24, 3);
      const loss = tinyNet(tf.tanh, 2, x, y);
      for (const seed of [1, 2]) {
        const vr = new Rng(seed);
        const v = params.map((p) => tensorOf(randomValues(vr, p.shape), p.shape));
        const hv = flat(hessianVectorProduct(loss, params, v));
        const h = 2e-3;
        const g = (sign: number): Float32Array =>
          tf.tidy(() => flat(tf.grads((...q: tf.Tensor[]) => loss(q))(params.map((p, i) => tf.add(p, tf.mul(v[i] as tf.Tensor, sign * h))))));
        const gp = g(1);
        const gm = g(-1);
        const fd = gp.map((a, i) => (a - (gm[i] as number)) / (2 * h));
        const e = relErr(hv, fd);
        assert.ok(e <= 5e-3, `HVP vs finite differences (v seed ${seed}): rel err ${e}`);
      }
    });
  });

  test('sigmoid net on cpu and wasm agree', async () => {
    const run = (): Float32Array =>
      tf.tidy(() => {
        const rng = new Rng(17);
        const { x, y } = inputs(rng, 2, 6, 2, 3);
        const params = tinyParams(rng, 2, 2, 2, 4, 3);
        const v = params.map((p) => tensorOf(randomValues(rng, p.shape), p.shape));
        return flat(hessianVectorProduct(tinyNet(tf.sigmoid, 2, x, y), params, v));
      });
    const a = await withBackend('wasm', run);
    const b = await withBackend('cpu', run);
    assert.ok(relErr(a, b) <= 1e-4, `wasm vs cpu rel err ${relErr(a, b)}`);
  });

  test('unused parameters get zeros; bad vectors are refused', () => {
    const a = tf.tensor1d([1, 2]);
    const unused = tf.tensor1d([3]);
    const [ha, hu] = hessianVectorProduct((p) => tf.sum(tf.pow(p[0] as tf.Tensor, 3)), [a, unused], [tf.ones([2]), tf.ones([1])]);
    assert.deepEqual(Array.from((ha as tf.Tensor).dataSync()), [6, 12]);
    assert.deepEqual(Array.from((hu as tf.Tensor).dataSync()), [0]);
    assert.throws(() => hessianVectorProduct((p) => tf.sum(p[0] as tf.Tensor), [a], [tf.ones([3])]), ShapeError);
    assert.throws(() => hessianVectorProduct((p) => tf.sum(p[0] as tf.Tensor), [a], []), /0 vectors for 1/);
    assert.throws(() => explicitHessian((p) => tf.sum(p[0] as tf.Tensor), [tf.zeros([50, 50])]), /2500 parameters/);
  });

  test('no tensors leak from hessianVectorProduct', () => {
    const a = tf.tensor1d([0.5, -1]);
    const v = tf.tensor1d([1, 1]);
    const loss = (p: tf.Tensor[]): tf.Scalar => tf.sum(tf.tanh(tf.mul(p[0] as tf.Tensor, 2)));
    tf.dispose(hessianVectorProduct(loss, [a], [v]));
    const before = tf.memory().numTensors;
    const out = hessianVectorProduct(loss, [a], [v]);
    assert.equal(tf.memory().numTensors, before + 1);
    tf.dispose(out);
  });
});
