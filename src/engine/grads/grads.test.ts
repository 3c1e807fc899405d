import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ShapeError } from '../../errors.js';
import { Rng } from '../../util/rng.js';
import { initEngine, withBackend } from '../backend.js';
import { explicitHessian, hessianVectorProduct } from '../hvp.js';
import { flat, randomValues, relErr, tensorOf } from '../testing/oracle.js';
import { tf } from '../tf.js';
import { crossEntropyLoss } from './cross-entropy.js';
import { runKernel } from './run-kernel.js';

const TOL = 1e-4;
const rand = (rng: Rng, shape: number[]): tf.Tensor => tensorOf(randomValues(rng, shape), shape);
const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = TOL): void => {
  const e = relErr(got, want);
  assert.ok(e <= tol, `${what}: rel err ${e}`);
};
const sumProd = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(a, b));

describe('second-order gradients (wasm)', () => {
  before(async () => {
    await initEngine();
  });

  test('Conv2DBackpropFilter gradient is the adjoint of conv2d', () => {
    for (const [s, pad] of [
      [1, 'same'],
      [2, 'same'],
      [2, 'valid'],
    ] as const) {
      tf.tidy(() => {
        const rng = new Rng(11 + s);
        const x = rand(rng, [2, 7, 7, 3]);
        const g = rand(rng, [3, 3, 3, 4]);
        const dy = rand(rng, tf.conv2d(x as tf.Tensor4D, g as tf.Tensor4D, s, pad).shape);
        const attrs = { filterShape: [3, 3, 3, 4], strides: s, pad, dataFormat: 'NHWC' };
        const got = tf.grads((a: tf.Tensor, b: tf.Tensor) => sumProd(runKernel(tf.Conv2DBackpropFilter, { x: a, dy: b }, attrs), g))([x, dy]);
        // <dW(x, dy), G> = <dy, conv(x, G)>: differentiate the right side with first-order grads only.
        const want = tf.grads((a: tf.Tensor, b: tf.Tensor) => sumProd(tf.conv2d(a as tf.Tensor4D, g as tf.Tensor4D, s, pad), b))([x, dy]);
        close(flat(got), flat(want), `conv filter grad-of-grad s${s} ${pad}`);
      });
    }
  });

  test('depthwise backprop gradients are adjoints of depthwiseConv2d (multiplier 1 and 2)', () => {
    for (const [s, pad, m] of [
      [1, 'same', 1],
      [2, 'same', 2],
      [2, 'valid', 1],
      [1, 'valid', 2],
    ] as const) {
      tf.tidy(() => {
        const rng = new Rng(21 + s + m);
        const x = rand(rng, [2, 7, 6, 3]) as tf.Tensor4D;
        const w = rand(rng, [3, 3, 3, m]) as tf.Tensor4D;
        const dy = rand(rng, tf.depthwiseConv2d(x, w, s, pad).shape);
        const common = { strides: s, pad, dilations: 1 };
        // filter gradient K(x, dy): <K, W> = <dy, dwconv(x, W)>
        const gotF = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          sumProd(runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: a, dy: b }, { ...common, filterShape: w.shape }), w),
        )([x, dy]);
        const wantF = tf.grads((a: tf.Tensor, b: tf.Tensor) => sumProd(tf.depthwiseConv2d(a as tf.Tensor4D, w, s, pad), b))([x, dy]);
        close(flat(gotF), flat(wantF), `dw filter grad-of-grad s${s} ${pad} m${m}`);
        // input gradient J(dy, W): <J, X> = <dy, dwconv(X, W)>
        const gotI = tf.grads((b: tf.Tensor, f: tf.Tensor) =>
          sumProd(runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: b, filter: f }, { ...common, inputShape: x.shape }), x),
        )([dy, w]);
        const wantI = tf.grads((b: tf.Tensor, f: tf.Tensor) => sumProd(tf.depthwiseConv2d(x, f as tf.Tensor4D, s, pad), b))([dy, w]);
        close(flat(gotI), flat(wantI), `dw input grad-of-grad s${s} ${pad} m${m}`);
      });
    }
  });

  test('Conv2DBackpropInput gradient (tfjs) works with the wasm kernels', () => {
    tf.tidy(() => {
      const rng = new Rng(31);
      const x = rand(rng, [2, 6, 6, 2]) as tf.Tensor4D;
      const w = rand(rng, [3, 3, 2, 3]) as tf.Tensor4D;
      const dy = rand(rng, [2, 3, 3, 3]);
      const attrs = { inputShape: x.shape, strides: 2, pad: 'same', dataFormat: 'NHWC' };
      const got = tf.grads((b: tf.Tensor, f: tf.Tensor) => sumProd(runKernel(tf.Conv2DBackpropInput, { dy: b, filter: f }, attrs), x))([dy, w]);
      const want = tf.grads((b: tf.Tensor, f: tf.Tensor) => sumProd(tf.conv2d(x, f as tf.Tensor4D, 2, 'same'), b))([dy, w]);
      close(flat(got), flat(want), 'conv input grad-of-grad');
    });
  });

  test('MaxPoolGrad gradient is the max-pool JVP (checked by exact central differences)', () => {
    for (const [k, s, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [3, 1, 'same'],
    ] as const) {
      tf.tidy(() => {
        const rng = new Rng(41 + k + s);
        const x = rand(rng, [2, 6, 6, 3]) as tf.Tensor4D;
        const y = tf.maxPool(x, k, s, pad);
        const dy = rand(rng, y.shape);
        const g = rand(rng, x.shape);
        const got = tf.grad((b: tf.Tensor) => sumProd(runKernel(tf.MaxPoolGrad, { dy: b, input: x, output: y }, { filterSize: k, strides: s, pad }), g))(dy);
        const eps = 1e-3;
        const fd = tf.div(
          tf.sub(tf.maxPool(tf.add(x, tf.mul(g, eps)) as tf.Tensor4D, k, s, pad), tf.maxPool(tf.sub(x, tf.mul(g, eps)) as tf.Tensor4D, k, s, pad)),
          2 * eps,
        );
        close(flat([got]), flat([fd]), `maxPoolGrad grad k${k} s${s} ${pad}`, 1e-3);
      });
    }
  });

  test('AvgPoolGrad gradient is its exact adjoint', () => {
    for (const [k, s, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
    ] as const) {
      tf.tidy(() => {
        const rng = new Rng(51 + k);
        const x = rand(rng, [2, 5, 6, 2]) as tf.Tensor4D;
        const g = rand(rng, x.shape);
        const apg = (b: tf.Tensor): tf.Scalar => sumProd(runKernel(tf.AvgPoolGrad, { dy: b, input: x }, { filterSize: k, strides: s, pad }), g);
        const shape = tf.avgPool(x, k, s, pad).shape;
        const adj = tf.grad(apg)(rand(rng, shape));
        for (let i = 0; i < 3; i++) {
          const dy = rand(rng, shape);
          const lhs = apg(dy).dataSync()[0] as number;
          const rhs = sumProd(adj, dy).dataSync()[0] as number;
          assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.max(1, Math.abs(lhs)), `avgPoolGrad adjoint k${k} ${pad}: ${lhs} vs ${rhs}`);
        }
      });
    }
  });

  test('second derivatives of exp, tanh, sigmoid, sqrt, rsqrt, elu match calculus', () => {
    const xs = [0.3, 1.2, 2.5, 0.05, 1.7, 0.8];
    const cases: [string, (x: tf.Tensor) => tf.Tensor, (x: number) => number][] = [
      ['exp', tf.exp, (x) => Math.exp(x)],
      ['tanh', tf.tanh, (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2)],
      [
        'sigmoid',
        tf.sigmoid,
        (x) => {
          const s = 1 / (1 + Math.exp(-x));
          return s * (1 - s) * (1 - 2 * s);
        },
      ],
      ['sqrt', tf.sqrt, (x) => -0.25 * x ** -1.5],
      ['rsqrt', tf.rsqrt, (x) => 0.75 * x ** -2.5],
      ['elu', (x) => tf.elu(tf.sub(x, 1)), (x) => (x - 1 > 0 ? 0 : Math.exp(x - 1))],
    ];
    for (const [name, f, d2] of cases) {
      const got = tf.tidy(() => {
        const x = tf.tensor1d(xs);
        return hessianVectorProduct((p) => tf.sum(f(p[0] as tf.Tensor)), [x], [tf.onesLike(x)])[0]?.dataSync() as Float32Array;
      });
      close(got, xs.map(d2), `d2 ${name}`);
    }
  });

  test('softmax, log-softmax and pow second derivatives match finite differences of exact gradients', () => {
    const rng = new Rng(61);
    const z = rand(rng, [3, 5]);
    const c = rand(rng, [3, 5]);
    const a = tf.add(rand(rng, [4]), 1.5);
    const b = tf.add(rand(rng, [4]), 1.5);
    const losses: [string, (p: tf.Tensor[]) => tf.Scalar, tf.Tensor[]][] = [
      ['softmax', (p) => sumProd(tf.softmax(p[0] as tf.Tensor), c), [z]],
      ['pow', (p) => tf.sum(tf.pow(p[0] as tf.Tensor, p[1] as tf.Tensor)), [a, b]],
    ];
    for (const [name, loss, params] of losses) {
      const v = params.map((p) => rand(rng, p.shape));
      const hv = flat(hessianVectorProduct(loss, params, v));
      const h = 1e-2;
      const shifted = (sign: number): Float32Array =>
        tf.tidy(() => {
          const ps = params.map((p, i) => tf.add(p, tf.mul(v[i] as tf.Tensor, sign * h)));
          return flat(tf.grads((...q: tf.Tensor[]) => loss(q))(ps));
        });
      const gp = shifted(1);
      const gm = shifted(-1);
      const fd = gp.map((x, i) => (x - (gm[i] as number)) / (2 * h));
      close(hv, fd, `HVP ${name} vs FD`, 2e-3);
    }
  });

  test('comparison masks (max, relu6, clip, leakyRelu) double-backprop with zero second-order mask terms', () => {
    const rng = new Rng(71);
    const x = rand(rng, [4, 5]);
    const v = rand(rng, [4, 5]);
    const loss = (p: tf.Tensor[]): tf.Scalar => {
      const q = tf.mul(p[0] as tf.Tensor, 3);
      const s = tf.add(tf.add(tf.relu6(q), tf.clipByValue(q, -1, 1)), tf.leakyRelu(q, 0.1));
      return tf.add(tf.sum(tf.max(tf.square(p[0] as tf.Tensor), 1)), sumProd(s, tf.square(p[0] as tf.Tensor)));
    };
    const hv = flat(hessianVectorProduct(loss, [x], [v]));
    // Analytic: for the max term 2*mask*v; for s(x)*x^2 with s piecewise linear in q=3x:
    const xv = x.dataSync();
    const vv = v.dataSync();
    const want = new Float32Array(xv.length);
    for (let r = 0; r < 4; r++) {
      let arg = 0;
      for (let c = 1; c < 5; c++) if ((xv[r * 5 + c] as number) ** 2 > (xv[r * 5 + arg] as number) ** 2) arg = c;
      for (let c = 0; c < 5; c++) {
        const i = r * 5 + c;
        const xi = xv[i] as number;
        const q = 3 * xi;
        const s = Math.min(Math.max(q, 0), 6) + Math.min(Math.max(q, -1), 1) + (q > 0 ? q : 0.1 * q);
        const ds = 3 * ((q > 0 && q <= 6 ? 1 : 0) + (q >= -1 && q <= 1 ? 1 : 0) + (q > 0 ? 1 : 0.1));
        // d2/dx2 [s(x) x^2] = s'' x^2 + 4 s' x + 2 s, with s'' = 0
        want[i] = (vv[i] as number) * ((c === arg ? 2 : 0) + 4 * ds * xi + 2 * s);
      }
    }
    close(hv, want, 'mask HVP');
  });

  test('matMul gradient with explicit transposes equals the flag form for all transpose combos', () => {
    const rng = new Rng(81);
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      tf.tidy(() => {
        const a = rand(rng, ta ? [4, 3] : [3, 4]) as tf.Tensor2D;
        const b = rand(rng, tb ? [5, 4] : [4, 5]) as tf.Tensor2D;
        const r = rand(rng, [3, 5]) as tf.Tensor2D;
        const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => sumProd(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb), r))([a, b]);
        // dA = R B^T (as stored), dB = A^T R (as stored), computed with flags.
        const da = ta ? tf.matMul(b, r, tb, true) : tf.matMul(r, b, false, !tb);
        const db = tb ? tf.matMul(r, a, true, ta) : tf.matMul(a, r, !ta, false);
        close(flat([ga as tf.Tensor]), flat([da]), `dA ta=${ta} tb=${tb}`);
        close(flat([gb as tf.Tensor]), flat([db]), `dB ta=${ta} tb=${tb}`);
      });
    }
  });

  test('crossEntropyLoss: value, gradient and Hessian (with and without label smoothing)', async () => {
    const rng = new Rng(91);
    const zv = randomValues(rng, [3, 4]).map((x) => 2 * x);
    const labels = [2, 0, 3];
    for (const ls of [0, 0.1]) {
      const z = tensorOf(zv, [3, 4]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 4).toFloat();
      const ours = crossEntropyLoss(z, y, ls).dataSync()[0] as number;
      const ref = tf.losses.softmaxCrossEntropy(y, z, undefined, ls).dataSync()[0] as number;
      assert.ok(Math.abs(ours - ref) <= 1e-5 * Math.abs(ref), `loss ${ours} vs tfjs ${ref} (ls ${ls})`);
      const p = tf.softmax(z).arraySync() as number[][];
      const g = tf
        .grad((q: tf.Tensor) => crossEntropyLoss(q, y, ls))(z)
        .dataSync();
      const H = explicitHessian((q) => crossEntropyLoss(q[0] as tf.Tensor, y, ls), [z]);
      const wantG: number[] = [];
      const wantH: number[] = [];
      for (let b = 0; b < 3; b++) {
        for (let i = 0; i < 4; i++) {
          const pi = (p[b] as number[])[i] as number;
          const yi = (labels[b] === i ? 1 - ls : 0) + ls / 4;
          wantG.push((pi - yi) / 3);
        }
      }
      for (let r = 0; r < 12; r++) {
        for (let c = 0; c < 12; c++) {
          const br = Math.floor(r / 4);
          const pr = (p[br] as number[])[r % 4] as number;
          const pc = (p[br] as number[])[c % 4] as number;
          wantH.push(br === Math.floor(c / 4) ? ((r === c ? pr : 0) - pr * pc) / 3 : 0);
        }
      }
      close(g, wantG, `CE gradient ls ${ls}`);
      close(H.flat(), wantH, `CE Hessian ls ${ls}`);
    }
    assert.throws(() => crossEntropyLoss(tf.zeros([2, 3]), tf.zeros([2, 4])), ShapeError);
    assert.throws(() => crossEntropyLoss(tf.zeros([2, 3]), tf.zeros([2, 3]), 1.5), /1\.5/);
  });

  test('cpu backend gives the same second-order results (oracle)', async () => {
    const run = (): Float32Array =>
      tf.tidy(() => {
        const rng = new Rng(101);
        const x = rand(rng, [1, 5, 5, 2]) as tf.Tensor4D;
        const w = rand(rng, [3, 3, 2, 2]);
        const d = rand(rng, [3, 3, 2, 2]);
        const v = [rand(rng, w.shape), rand(rng, d.shape)];
        const loss = (p: tf.Tensor[]): tf.Scalar => {
          const h = tf.tanh(tf.conv2d(x, p[0] as tf.Tensor4D, 1, 'same'));
          return tf.sum(tf.sigmoid(tf.depthwiseConv2d(h, p[1] as tf.Tensor4D, 2, 'same')));
        };
        return flat(hessianVectorProduct(loss, [w, d], v));
      });
    const wasm = await withBackend('wasm', run);
    const cpu = await withBackend('cpu', run);
    close(wasm, cpu, 'HVP wasm vs cpu');
  });
});
