import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { Rng } from '../util/rng.js';
import {
  calibrateRange,
  codeRange,
  computeQuantParams,
  dequantize,
  fakeQuantize,
  packCodes,
  packedTensorBytes,
  packTensor,
  perturbationNorm2,
  quantize,
  unpackCodes,
  unpackTensor,
} from './quantizer.js';

function close(a: ArrayLike<number>, b: readonly number[], tol = 1e-6): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
}

test('code ranges', () => {
  assert.deepEqual(codeRange(4, true), { qmin: -7, qmax: 7 });
  assert.deepEqual(codeRange(4, false), { qmin: 0, qmax: 15 });
  assert.deepEqual(codeRange(8, true), { qmin: -127, qmax: 127 });
  assert.throws(() => codeRange(9, true), ConfigError);
  assert.throws(() => codeRange(0, true), /bits=0/);
});

test('symmetric 4-bit per tensor: hand-computed codes', () => {
  const x = [-7, -3.5, 0, 2.5, 0.6, 7];
  const p = computeQuantParams(x, [6], { bits: 4 });
  close(p.scale, [1]);
  const q = quantize(x, [6], p);
  assert.deepEqual(Array.from(q), [-7, -4, 0, 2, 1, 7]); // ties to even, as ONNX QuantizeLinear and tf.round
  close(dequantize(q, [6], p), [-7, -4, 0, 2, 1, 7]);
  const y = [-1, -0.4, 0.3, 1];
  close(fakeQuantize(y, [4], { bits: 4 }), [-1, -3 / 7, 2 / 7, 1]);
});

test('asymmetric 2-bit: zero point makes 0 exact', () => {
  const x = [-1, 0, 2, 0.4];
  const p = computeQuantParams(x, [4], { bits: 2, symmetric: false });
  close(p.scale, [1]);
  assert.equal(p.zeroPoint[0], 1);
  assert.deepEqual(Array.from(quantize(x, [4], p)), [0, 1, 3, 1]);
  close(fakeQuantize(x, [4], { bits: 2, symmetric: false }), [-1, 0, 2, 0]);
  // all-positive range is widened to include 0
  const p2 = computeQuantParams([0.3, 0.6, 0.9], [3], { bits: 2, symmetric: false });
  close(p2.scale, [0.3]);
  assert.equal(p2.zeroPoint[0], 0);
});

test('per-channel scales along axis 0 and axis 1', () => {
  const x = [1, 2, 3, -4, 0, 4];
  const p = computeQuantParams(x, [2, 3], { bits: 8, granularity: 'per-channel' });
  close(p.scale, [3 / 127, 4 / 127]);
  const p1 = computeQuantParams(x, [2, 3], { bits: 8, granularity: 'per-channel', channelAxis: 1 });
  close(p1.scale, [4 / 127, 2 / 127, 4 / 127]);
  close(fakeQuantize(x, [2, 3], { bits: 8, granularity: 'per-channel' }), [1, 2, 3, -4, 0, 4], 0.5 * (4 / 127));
});

test('1-bit: sign with per-channel mean |w| scale', () => {
  const x = [1, -3, 0.5, 0.5];
  const out = fakeQuantize(x, [2, 2], { bits: 1, granularity: 'per-channel' });
  close(out, [2, -2, 0.5, 0.5]);
});

test('16/32 bits are float: unchanged', () => {
  const x = [0.1234567, -3.3];
  close(fakeQuantize(x, [2], { bits: 32 }), x);
  close(fakeQuantize(x, [2], { bits: 16 }), x);
  assert.throws(() => fakeQuantize(x, [2], { bits: 12 }), /bits=12/);
});

test('percentile calibration clips outliers', () => {
  const v = Array.from({ length: 101 }, (_, i) => i);
  const r = calibrateRange(v, 'percentile', { percentile: 99 });
  assert.ok(Math.abs(r.max - 99) < 1e-9 && Math.abs(r.min - 1) < 1e-9, JSON.stringify(r));
  assert.throws(() => calibrateRange(v, 'percentile', { percentile: 30 }), ConfigError);
});

test('MSE calibration beats min/max on an outlier-heavy tensor', () => {
  const rng = new Rng(1);
  const v = Array.from({ length: 8000 }, () => rng.normal());
  v.push(40);
  const mm = perturbationNorm2(v, [v.length], { bits: 4, calibration: 'minmax' });
  const mse = perturbationNorm2(v, [v.length], { bits: 4, calibration: 'mse' });
  const r = calibrateRange(v, 'mse', { bits: 4 });
  assert.ok(r.max < 40, `mse range ${JSON.stringify(r)} should clip the outlier`);
  assert.ok(mse < mm * 0.5, `mse ${mse} vs minmax ${mm}`);
});

test('stochastic rounding is unbiased and seeded', () => {
  const x = new Array<number>(20000).fill(0.302);
  const p = computeQuantParams([1, -1], [2], { bits: 8 });
  const a = quantize(x, [x.length], p, 'stochastic', new Rng(7));
  const b = quantize(x, [x.length], p, 'stochastic', new Rng(7));
  assert.deepEqual(a, b);
  const mean = dequantize(a, [x.length], p).reduce((s, v) => s + v, 0) / x.length;
  assert.ok(Math.abs(mean - 0.302) < 3e-4, `mean ${mean}`);
  const near = dequantize(quantize(x, [x.length], p), [x.length], p)[0] as number;
  assert.ok(Math.abs(near - 0.302) > 0.002); // nearest is biased for this value
  assert.throws(() => quantize(x, [x.length], p, 'stochastic'), /needs an rng/);
});

test('pack/unpack round-trips at every bit width and sizes are exact', () => {
  const rng = new Rng(3);
  for (const bits of [1, 2, 3, 4, 5, 6, 7, 8]) {
    for (const symmetric of [true, false]) {
      const { qmin, qmax } = codeRange(bits, symmetric);
      const binary = bits === 1 && symmetric;
      const n = 37;
      const q = Int32Array.from({ length: n }, () => (binary ? rng.choice([-1, 1]) : rng.int(qmin, qmax)));
      const params = { bits, qmin, binary };
      const bytes = packCodes(q, params);
      assert.equal(bytes.length, Math.ceil((n * bits) / 8));
      assert.deepEqual(unpackCodes(bytes, n, params), q);
    }
  }
  const w = Array.from({ length: 4 * 3 * 3 * 3 }, () => rng.normal());
  const t = packTensor(w, [4, 3, 3, 3], { bits: 3, granularity: 'per-channel' });
  assert.equal(t.bytes, Math.ceil((108 * 3) / 8) + 16);
  assert.equal(t.bytes, packedTensorBytes(108, 3, 4));
  close(unpackTensor(t), Array.from(fakeQuantize(w, [4, 3, 3, 3], { bits: 3, granularity: 'per-channel' })));
  assert.equal(packTensor(w, [108], { bits: 32 }).bytes, 432);
});

test('more bits never increase the perturbation (per-channel, minmax)', () => {
  const rng = new Rng(5);
  const w = Array.from({ length: 512 }, () => rng.normal());
  let prev = Infinity;
  for (const bits of [2, 3, 4, 5, 6, 7, 8]) {
    const e = perturbationNorm2(w, [8, 64], { bits, granularity: 'per-channel' });
    assert.ok(e < prev, `${bits} bits: ${e} >= ${prev}`);
    prev = e;
  }
});
