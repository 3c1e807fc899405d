import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Rng } from '../../util/rng.js';
import { type BackendName, initEngine, withBackend } from '../backend.js';
import { runKernel } from '../grads/run-kernel.js';
import { flat, randomValues, relErr, tensorOf } from '../testing/oracle.js';
import { tf } from '../tf.js';
import { setConvInputKernel } from './register.js';

const TOL = 1e-4;
type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

interface ConvCase {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly ci: number;
  readonly co: number; // channel multiplier for depthwise
  readonly k: number;
  readonly s: number;
  readonly pad: Pad;
}

function name(c: ConvCase): string {
  return `n${c.n} ${c.h}x${c.w}x${c.ci} k${c.k} s${c.s} co/m${c.co} pad ${JSON.stringify(c.pad)}`;
}

/** Gradients (dx, dW) of sum(conv(x, W) * r) on one backend, flattened. */
async function convGrads(backend: BackendName, c: ConvCase, depthwise: boolean, seed: number): Promise<Float32Array[]> {
  return withBackend(backend, () =>
    tf.tidy(() => {
      const rng = new Rng(seed);
      const xShape = [c.n, c.h, c.w, c.ci];
      const fShape = [c.k, c.k, c.ci, c.co];
      const x = tensorOf(randomValues(rng, xShape), xShape) as tf.Tensor4D;
      const f = tensorOf(randomValues(rng, fShape), fShape) as tf.Tensor4D;
      const conv = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D => (depthwise ? tf.depthwiseConv2d(a, b, c.s, c.pad) : tf.conv2d(a, b, c.s, c.pad));
      const y = conv(x, f);
      const r = tensorOf(randomValues(rng, y.shape), y.shape);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, f]);
      return [flat([y]), flat([g[0] as tf.Tensor]), flat([g[1] as tf.Tensor])];
    }),
  );
}

function cases(multipliers: readonly number[]): ConvCase[] {
  const out: ConvCase[] = [];
  for (const k of [1, 3, 5]) {
    for (const s of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const m of multipliers) out.push({ n: 2, h: 9, w: 8, ci: 3, co: m, k, s, pad });
      }
    }
  }
  out.push({
    n: 2,
    h: 7,
    w: 6,
    ci: 2,
    co: multipliers[multipliers.length - 1] ?? 1,
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  });
  out.push({
    n: 1,
    h: 6,
    w: 6,
    ci: 2,
    co: multipliers[0] ?? 1,
    k: 3,
    s: 1,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  });
  out.push({ n: 3, h: 10, w: 10, ci: 4, co: multipliers[0] ?? 1, k: 3, s: 2, pad: 'same' });
  return out;
}

async function compare(c: ConvCase, depthwise: boolean, seed: number): Promise<void> {
  const [ref, got] = [await convGrads('cpu', c, depthwise, seed), await convGrads('wasm', c, depthwise, seed)];
  const labels = ['y', 'dx', 'dW'];
  ref.forEach((r, i) => {
    const e = relErr(got[i] as Float32Array, r);
    assert.ok(e <= TOL, `${depthwise ? 'depthwise' : 'conv2d'} ${name(c)}: ${labels[i]} rel err ${e}`);
  });
}

describe('wasm conv backprop kernels vs the cpu backend', () => {
  before(async () => {
    await initEngine();
  });

  test('conv2d input and filter gradients (stride 1/2, same/valid/explicit, 1x1/3x3/5x5)', async () => {
    let seed = 1;
    for (const c of [...cases([4]), { n: 2, h: 8, w: 8, ci: 5, co: 6, k: 1, s: 1, pad: 'valid' as const }]) {
      await compare(c, false, seed++);
    }
  });

  test('depthwise input and filter gradients (multiplier 1 and 2)', async () => {
    let seed = 100;
    for (const c of cases([1, 2])) await compare(c, true, seed++);
  });

  test('depthwise gradients on channel counts that take the blocked path (multiples of 4)', async () => {
    let seed = 300;
    for (const k of [1, 3, 5]) {
      for (const s of [1, 2]) {
        for (const pad of ['same', 'valid'] as const) await compare({ n: 2, h: 9, w: 8, ci: 8, co: 1, k, s, pad }, true, seed++);
      }
    }
    await compare(
      {
        n: 2,
        h: 7,
        w: 6,
        ci: 4,
        co: 1,
        k: 3,
        s: 2,
        pad: [
          [0, 0],
          [1, 2],
          [0, 1],
          [0, 0],
        ],
      },
      true,
      seed++,
    );
  });

  test('2x2 stride-2 max-pool gradient breaks ties like cpu (first maximum; all-zero windows)', async () => {
    for (const shape of [
      [2, 8, 6, 4],
      [1, 5, 7, 3],
    ]) {
      const run = (): Float32Array[] =>
        tf.tidy(() => {
          const rng = new Rng(shape[1] as number);
          // integer values in -2..2 after relu: many ties and all-zero windows
          const x = tf.relu(tf.round(tf.mul(tensorOf(randomValues(rng, shape), shape), 2))) as tf.Tensor4D;
          const y = tf.maxPool(x, 2, 2, 'valid');
          const r = tensorOf(randomValues(rng, y.shape), y.shape);
          return [flat([tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), r)))(x)])];
        });
      const ref = await withBackend('cpu', run);
      const got = await withBackend('wasm', run);
      assert.ok(relErr(got[0] as Float32Array, ref[0] as Float32Array) <= TOL, `ties ${JSON.stringify(shape)}`);
    }
  });

  test('max-pool and avg-pool gradients match cpu, including all-negative windows', async () => {
    const poolCases = [
      [2, 2, 'valid'],
      [2, 2, 'same'],
      [3, 2, 'same'],
      [3, 1, 'valid'],
      [3, 2, 'valid'],
    ] as const;
    for (const [k, s, pad] of poolCases) {
      for (const shift of [0, -2]) {
        const run = (): Float32Array[] =>
          tf.tidy(() => {
            const rng = new Rng(200 + k * 10 + s);
            const x = tf.add(tensorOf(randomValues(rng, [2, 7, 6, 3]), [2, 7, 6, 3]), shift) as tf.Tensor4D;
            const out: Float32Array[] = [];
            for (const pool of [tf.maxPool, tf.avgPool]) {
              const y = pool(x, k, s, pad);
              const r = tensorOf(randomValues(rng, y.shape), y.shape);
              out.push(flat([y]), flat([tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a as tf.Tensor4D, k, s, pad), r)))(x)]));
            }
            const am = tf.maxPoolWithArgmax(x, k, s, pad as 'same' | 'valid', true);
            out.push(flat([tf.cast(am['indexes'] as tf.Tensor, 'float32')]));
            return out;
          });
        const ref = await withBackend('cpu', run);
        const got = await withBackend('wasm', run);
        const labels = ['maxPool y', 'maxPool dx', 'avgPool y', 'avgPool dx', 'argmax'];
        ref.forEach((r, i) => {
          const e = relErr(got[i] as Float32Array, r);
          assert.ok(e <= TOL, `${labels[i]} k${k} s${s} ${pad} shift ${shift}: rel err ${e}`);
        });
      }
    }
  });

  test('the stock and fast Conv2DBackpropInput agree', async () => {
    const c: ConvCase = { n: 2, h: 9, w: 9, ci: 3, co: 5, k: 3, s: 2, pad: 'same' };
    setConvInputKernel('stock');
    const stock = await convGrads('wasm', c, false, 7);
    setConvInputKernel('fast');
    const fast = await convGrads('wasm', c, false, 7);
    assert.ok(relErr(fast[1] as Float32Array, stock[1] as Float32Array) <= TOL);
  });

  test('kernels leak no tensors', async () => {
    await withBackend('wasm', () => {
      const x = tf.ones([2, 6, 6, 3]) as tf.Tensor4D;
      const f = tf.ones([3, 3, 3, 2]) as tf.Tensor4D;
      const d = tf.ones([3, 3, 3, 2]) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, f]);
      const h = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, d]);
      assert.equal(tf.memory().numTensors, before + 4);
      tf.dispose([...g, ...h, x, f, d]);
    });
  });

  test('NCHW is refused with a message naming the format', async () => {
    await withBackend('wasm', () => {
      const x = tf.ones([1, 2, 5, 5]) as tf.Tensor4D;
      const dy = tf.ones([1, 2, 5, 5]) as tf.Tensor4D;
      assert.throws(() => runKernel(tf.Conv2DBackpropFilter, { x, dy }, { filterShape: [3, 3, 2, 2], strides: 1, pad: 'same', dataFormat: 'NCHW' }), /NCHW/);
      tf.dispose([x, dy]);
    });
  });
});
