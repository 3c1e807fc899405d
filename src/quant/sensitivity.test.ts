import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { buildModel } from '../engine/model.js';
import { activationHvpFn, layerHvpFn } from '../engine/sensitivity-hvp.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import type { Model } from '../ir/types.js';
import { Rng } from '../util/rng.js';
import { calibrateActivations } from './apply.js';
import { hawqScores } from './hawq-scores.js';
import { activationHessianDamage, hutchinsonTrace, layerSensitivities } from './sensitivity.js';

function tinyNet(): Model {
  const b = new GraphBuilder('tiny', [1, 6, 6]);
  let x = b.relu(b.conv(b.input, { out: 3, kernel: 3, name: 'c1' }));
  x = b.relu(b.conv(x, { out: 3, kernel: 3, groups: 3, name: 'dw' }));
  x = b.maxPool(x, { kernel: 2 });
  b.output(b.dense(b.flatten(x), 3, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(4)) };
}

function data(n: number): { x: Float32Array; y: number[] } {
  const rng = new Rng(9);
  return { x: Float32Array.from({ length: n * 36 }, () => rng.normal()), y: Array.from({ length: n }, (_, i) => i % 3) };
}

/** The operator v -> Hv of a dense symmetric n x n matrix (row-major). */
function matrixOp(H: Float64Array, n: number): { size: number; hvp: (v: Float32Array) => Float32Array } {
  return {
    size: n,
    hvp: (v) =>
      Float32Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let j = 0; j < n; j++) s += (H[i * n + j] as number) * (v[j] as number);
        return s;
      }),
  };
}

describe('Hessian sensitivity', () => {
  before(async () => {
    await initEngine({ backend: 'cpu' });
  });

  it('Hutchinson converges to the exact trace of a known matrix and of each channel block', () => {
    // H = A^T A + diag, size 12, 3 channel blocks of 4
    const rng = new Rng(1);
    const n = 12;
    const A = Array.from({ length: n * n }, () => rng.normal(0, 0.3));
    const H = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) H[i * n + j] = (H[i * n + j] as number) + (A[k * n + i] as number) * (A[k * n + j] as number);
    for (let i = 0; i < n; i++) H[i * n + i] = (H[i * n + i] as number) + (i < 4 ? 5 : 0.2);
    const op = matrixOp(H, n);
    let exact = 0;
    const blocks = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      exact += H[i * n + i] as number;
      blocks[Math.floor(i / 4)] = (blocks[Math.floor(i / 4)] as number) + (H[i * n + i] as number);
    }
    const est = hutchinsonTrace(op, new Rng(2), { maxIter: 4000, tol: 1e-5, minIter: 500, channels: 3 });
    assert.ok(Math.abs(est.trace - exact) < 0.03 * exact, `${est.trace} vs ${exact}`);
    blocks.forEach((b, c) => assert.ok(Math.abs((est.channelTraces?.[c] as number) - b) < 0.05 * exact, `channel ${c}: ${est.channelTraces?.[c]} vs ${b}`));
    // a diagonal matrix is exact after one probe
    const diag = hutchinsonTrace({ size: 3, hvp: (v) => Float32Array.from([2 * (v[0] as number), 3 * (v[1] as number), 0.5 * (v[2] as number)]) }, new Rng(3), {
      minIter: 2,
    });
    assert.equal(diag.trace, 5.5);
    assert.equal(diag.converged, true);
  });

  it('the default rule stops on the relative standard error, not on the change of the running mean', () => {
    // a symmetric matrix with a small trace (diag 0.5) and large off-diagonal entries: each probe v^T H v varies a lot
    const n = 16;
    const rng = new Rng(5);
    const H = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      H[i * n + i] = 0.5;
      for (let j = 0; j < i; j++) {
        const a = rng.normal(0, 0.2);
        H[i * n + j] = a;
        H[j * n + i] = a;
      }
    }
    const op = matrixOp(H, n);
    for (const tol of [0.05, 0.1]) {
      const est = hutchinsonTrace(op, new Rng(1), { tol, maxIter: 2000 });
      assert.ok(est.converged, `tol ${tol}: converged within 2000 probes`);
      assert.ok(est.stdError <= tol * Math.abs(est.trace), `tol ${tol}: std err ${est.stdError} vs trace ${est.trace}`);
      assert.ok(Math.abs(est.trace - 8) <= 4 * est.stdError, `tol ${tol}: ${est.trace} vs the exact 8`);
    }
    // HAWQ-V2's rule stays available: it stops at about the same count whatever the variance
    const hawq = hutchinsonTrace(op, new Rng(1), { stop: 'mean-change', tol: 1e-2, maxIter: 2000 });
    assert.ok(hawq.iterations < hutchinsonTrace(op, new Rng(1), { tol: 0.05, maxIter: 2000 }).iterations);
  });

  it('on a tiny net (cpu backend) the estimate converges to the exact trace from unit-vector HVPs', () => {
    const model = tinyNet();
    const { x, y } = data(8);
    const m = buildModel(model);
    try {
      const sens = layerSensitivities(m, x, y, 8, { seed: 5, perChannel: true, maxIter: 150, minIter: 150, tol: 1e-4 });
      for (const s of sens) {
        const op = layerHvpFn(m, s.layer, x, y, { n: 8 });
        let exact = 0;
        for (let j = 0; j < op.size; j++) {
          const e = new Float32Array(op.size);
          e[j] = 1;
          exact += op.hvp(e)[j] as number;
        }
        op.dispose();
        assert.ok(Math.abs(s.trace - exact) <= 0.1 * Math.abs(exact) + 4 * s.stdError, `${s.layer}: estimate ${s.trace} (se ${s.stdError}) vs exact ${exact}`);
        const chSum = (s.channelTraces ?? []).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(chSum - s.trace) < 1e-6 * Math.max(1, Math.abs(s.trace)));
      }
    } finally {
      m.dispose();
    }
  });

  it('layer ranking by mean trace is stable across seeds; HAWQ scores fall with bits', () => {
    const model = tinyNet();
    const { x, y } = data(8);
    const m = buildModel(model);
    try {
      const rank = (seed: number): string[] =>
        layerSensitivities(m, x, y, 8, { seed, maxIter: 40, tol: 1e-3 })
          .sort((a, b) => b.meanTrace - a.meanTrace)
          .map((s) => s.layer);
      const r1 = rank(1);
      assert.deepEqual(rank(2), r1);
      assert.deepEqual(rank(3), r1);
      const sens = layerSensitivities(m, x, y, 8, { seed: 1, maxIter: 30 });
      const scores = hawqScores(model, sens, [2, 4, 8]);
      for (const l of ['c1', 'dw', 'fc']) {
        const s = scores.filter((h) => h.layer === l).map((h) => h.score);
        assert.ok((s[0] as number) > (s[1] as number) && (s[1] as number) > (s[2] as number), `${l}: ${s.join(', ')}`);
      }
    } finally {
      m.dispose();
    }
  });

  it('activation Hessian damage: traces per input channel match unit-vector HVPs, a shared value is traced once, damage falls with bits', () => {
    // c1 reads the input; p and q both read relu 'r' (one activation, two readers); fc reads the flatten
    const b = new GraphBuilder('shared', [1, 6, 6]);
    const r = b.relu(b.conv(b.input, { out: 3, kernel: 3, name: 'c1' }), 'r');
    const sum = b.addOp(b.conv(r, { out: 3, kernel: 1, name: 'p' }), b.conv(r, { out: 3, kernel: 3, groups: 3, name: 'q' }));
    b.output(b.dense(b.flatten(b.relu(sum)), 3, { name: 'fc' }));
    const graph = b.build();
    const model: Model = { graph, weights: initWeights(graph, new Rng(7)) };
    const n = 4;
    const { x, y } = data(n);
    const m = buildModel(model);
    try {
      const cal = calibrateActivations(m, x, n, 'mse');
      const bits = [2, 4, 8, 32];
      const { sensitivities: sens, damage } = activationHessianDamage(m, x, y, n, cal, bits, { seed: 3, maxIter: 150, minIter: 150, tol: 1e-4 });
      assert.deepEqual(
        sens.map((s) => s.layer),
        ['c1', 'p', 'q', 'fc'],
      );
      assert.equal(sens[1]?.node, 'r');
      assert.equal(sens[2]?.node, 'r');
      assert.equal(sens[1]?.trace, sens[2]?.trace, 'one value, one trace');
      assert.deepEqual(damage[1], damage[2]);
      for (const s of [sens[0], sens[1], sens[3]]) {
        if (!s) throw new Error('missing');
        const op = activationHvpFn(m, s.node, x, y, { n });
        let exact = 0;
        for (let j = 0; j < op.size; j++) {
          const e = new Float32Array(op.size);
          e[j] = 1;
          exact += op.hvp(e)[j] as number;
        }
        assert.equal(s.channelTraces.length, op.channels);
        op.dispose();
        assert.ok(Math.abs(exact) > 1e-6, `${s.node}: the exact trace is not trivially zero`);
        assert.ok(Math.abs(s.trace - exact) <= 0.1 * Math.abs(exact) + 4 * s.stdError, `${s.node}: estimate ${s.trace} (se ${s.stdError}) vs exact ${exact}`);
        const chSum = s.channelTraces.reduce((a, v) => a + v, 0);
        assert.ok(Math.abs(chSum - s.trace) < 1e-6 * Math.max(1, Math.abs(s.trace)));
      }
      for (const [i, row] of damage.entries()) {
        assert.equal(row[3], 0, 'float activations cost nothing');
        assert.ok((row[0] as number) > 0, `layer ${i}: 2-bit activations do damage`);
        assert.ok(
          (row[0] as number) >= (row[1] as number) && (row[1] as number) >= (row[2] as number) && (row[2] as number) >= 0,
          `layer ${i}: ${row.join(', ')}`,
        );
      }
      // at 2 bits the (per-tensor) quantization error is larger than at 8: the damage grows by orders of magnitude
      assert.ok((damage[0]?.[0] as number) > 10 * (damage[0]?.[2] as number));
    } finally {
      m.dispose();
    }
  });
});
