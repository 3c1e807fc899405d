import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { referenceForward, referenceForwardAll } from '../ir/reference.js';
import type { Model, Weights } from '../ir/types.js';
import { Rng } from '../util/rng.js';
import { initEngine } from './backend.js';
import { buildModel } from './model.js';
import { activationHvpFn, layerHvp, layerHvpFn } from './sensitivity-hvp.js';
import { tf } from './tf.js';

/** conv -> bn -> relu -> depthwise -> relu -> maxpool -> flatten -> dense: piecewise linear in each layer's weights. */
function tinyNet(): Model {
  const b = new GraphBuilder('tiny', [1, 6, 6]);
  let x = b.relu(b.bn(b.conv(b.input, { out: 2, kernel: 3, name: 'c1' }), { name: 'bn' }));
  x = b.relu(b.conv(x, { out: 2, kernel: 3, groups: 2, stride: 1, bias: false, name: 'dw' }));
  x = b.maxPool(x, { kernel: 2 });
  b.output(b.dense(b.flatten(x), 3, { name: 'fc' }));
  const graph = b.build();
  const rng = new Rng(4);
  const weights: Weights = initWeights(graph, rng);
  for (const [k, t] of weights) {
    if (k === 'bn.mean' || k === 'bn.bias' || k.endsWith('.bias')) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal(0, 0.3);
    if (k === 'bn.var') t.data.set([0.7, 1.6]);
  }
  return { graph, weights };
}

/**
 * Exact Hessian of the mean cross-entropy w.r.t. one layer's weights, in float64: the net is linear
 * in those weights for fixed ReLU/max-pool patterns, so H = mean_n J^T (diag(p) - p p^T) J, with the
 * Jacobian J of the logits taken by central differences of the float64 reference (exact for a linear map).
 */
function oracleHessian(model: Model, key: string, x: Float32Array, n: number): Float64Array {
  const w0 = model.weights.get(key)!;
  const p = w0.data.length;
  const base = Float64Array.from(w0.data);
  const k = 3;
  const h = 1e-6;
  const withW = (d: Float64Array): Float64Array => {
    const weights = new Map(model.weights);
    weights.set(key, { shape: w0.shape, data: d as unknown as Float32Array });
    return referenceForward({ graph: model.graph, weights }, x, n);
  };
  const z = withW(base);
  const jac: Float64Array[] = []; // jac[j][s*k + c]
  for (let j = 0; j < p; j++) {
    const up = base.slice();
    const dn = base.slice();
    up[j] = (up[j] as number) + h;
    dn[j] = (dn[j] as number) - h;
    const zu = withW(up);
    const zd = withW(dn);
    jac.push(zu.map((v, i) => (v - (zd[i] as number)) / (2 * h)));
  }
  const H = new Float64Array(p * p);
  for (let s = 0; s < n; s++) {
    const zs = z.subarray(s * k, (s + 1) * k);
    const mx = Math.max(...zs);
    const e = Array.from(zs, (v) => Math.exp(v - mx));
    const tot = e.reduce((a, b) => a + b, 0);
    const pr = e.map((v) => v / tot);
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) {
        let acc = 0;
        for (let c = 0; c < k; c++) {
          for (let d = 0; d < k; d++) {
            const m = (c === d ? (pr[c] as number) : 0) - (pr[c] as number) * (pr[d] as number);
            acc += ((jac[a] as Float64Array)[s * k + c] as number) * m * ((jac[b] as Float64Array)[s * k + d] as number);
          }
        }
        H[a * p + b] = (H[a * p + b] as number) + acc / n;
      }
    }
  }
  return H;
}

function compareLayer(model: Model, layer: string, x: Float32Array, y: number[], n: number): void {
  const key = `${layer}.weight`;
  const ref = oracleHessian(model, key, x, n);
  const m = buildModel(model);
  const op = layerHvpFn(m, layer, x, y, { n });
  const p = op.size;
  let scale = 0;
  for (const v of ref) scale = Math.max(scale, Math.abs(v));
  assert.ok(scale > 1e-3, `${layer}: the oracle Hessian is not trivially zero`);
  let worst = 0;
  for (let j = 0; j < p; j++) {
    const e = new Float32Array(p);
    e[j] = 1;
    const col = op.hvp(e);
    for (let i = 0; i < p; i++) worst = Math.max(worst, Math.abs((col[i] as number) - (ref[i * p + j] as number)));
  }
  op.dispose();
  m.dispose();
  assert.ok(worst / scale <= 1e-4, `${layer}: max |H_engine - H_exact| = ${worst} vs max |H| = ${scale}`);
}

/** Runs the enclosing describe's tests on the cpu backend, then puts wasm back if it was the backend before. */
function onCpuBackend(): void {
  let previous = '';
  before(async () => {
    previous = tf.getBackend() ?? '';
    await initEngine({ backend: 'cpu' });
  });
  after(async () => {
    if (previous === 'wasm') await initEngine({ backend: 'wasm' });
  });
}

function data(n: number): { x: Float32Array; y: number[] } {
  const rng = new Rng(9);
  const x = new Float32Array(n * 36);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return { x, y: Array.from({ length: n }, (_, i) => i % 3) };
}

describe('layerHvp (exact double backprop) vs the exact Hessian of a tiny net', () => {
  onCpuBackend();

  it('conv, depthwise and dense weights through batch norm, relu, max-pool and the loss (cpu)', () => {
    const model = tinyNet();
    const { x, y } = data(4);
    for (const layer of ['c1', 'dw', 'fc']) compareLayer(model, layer, x, y, 4);
  });

  it('wasm backend gives the same products', async () => {
    const model = tinyNet();
    const { x, y } = data(4);
    const rng = new Rng(2);
    const v = new Float32Array(18).map(() => rng.normal());
    const cpu = layerHvp(buildModel(model), 'dw', x, y, v);
    await initEngine({ backend: 'wasm' });
    const m = buildModel(model);
    const wasm = layerHvp(m, 'dw', x, y, v);
    m.dispose();
    await initEngine({ backend: 'cpu' });
    const scale = Math.max(...cpu.map(Math.abs));
    for (let i = 0; i < v.length; i++) assert.ok(Math.abs((cpu[i] as number) - (wasm[i] as number)) <= 1e-4 * scale, `entry ${i}: ${cpu[i]} vs ${wasm[i]}`);
  });

  it('rejects unknown layers and wrong vector sizes', () => {
    const model = tinyNet();
    const m = buildModel(model);
    const { x, y } = data(2);
    assert.throws(() => layerHvp(m, 'nope', x, y, new Float32Array(18)), /layer weight 'nope.weight' not found/);
    assert.throws(() => layerHvp(m, 'c1', x, y, new Float32Array(5)), /expected 18/);
    m.dispose();
  });
});

/** input [2,5,5] -> conv c1 (same padding) -> bn -> relu -> flatten 'flat' (75 features, kept in HWC order by the engine) -> fc1 -> relu -> fc. */
function actNet(): Model {
  const b = new GraphBuilder('act', [2, 5, 5]);
  const x = b.relu(b.bn(b.conv(b.input, { out: 3, kernel: 3, name: 'c1' }), { name: 'bn' }));
  const h = b.relu(b.dense(b.flatten(x, 'flat'), 4, { name: 'fc1' }));
  b.output(b.dense(h, 3, { name: 'fc' }));
  const graph = b.build();
  const rng = new Rng(6);
  const weights = initWeights(graph, rng);
  for (const [k, t] of weights) if (k === 'bn.mean' || k.endsWith('.bias')) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal(0, 0.3);
  return { graph, weights };
}

/** The part of actNet after node `from`, as a model whose input is that node's value (same weight names). */
function tailOf(from: string, full: Model): Model {
  const shapes: Record<string, number[]> = { bn: [3, 5, 5], flat: [75], fc1: [4] };
  const b = new GraphBuilder('tail', shapes[from] as number[]);
  let x = b.input;
  if (from === 'bn') x = b.flatten(b.relu(x));
  if (from === 'bn' || from === 'flat') x = b.dense(x, 4, { name: 'fc1' });
  b.output(b.dense(b.relu(x), 3, { name: 'fc' }));
  const graph = b.build();
  const weights: Weights = new Map([...full.weights].filter(([k]) => k.startsWith('fc')));
  return { graph, weights };
}

/**
 * Exact Hessian of the mean cross-entropy w.r.t. a value `a` (`n` samples of `per` entries, sample-major IR
 * order) fed to `tail`: piecewise linear in `a`, so per sample H_s = J_s^T (diag(p) - p p^T) J_s / n, J_s by
 * central differences of the float64 reference; zero between samples.
 */
function oracleActivationHessian(tail: Model, a: Float64Array, n: number): Float64Array {
  const per = a.length / n;
  const size = a.length;
  const k = 3;
  const h = 1e-6;
  const f = (v: Float64Array): Float64Array => referenceForward(tail, v as unknown as Float32Array, n);
  const z = f(a);
  const H = new Float64Array(size * size);
  const jac: Float64Array[] = [];
  for (let i = 0; i < size; i++) {
    const up = a.slice();
    const dn = a.slice();
    up[i] = (up[i] as number) + h;
    dn[i] = (dn[i] as number) - h;
    const zu = f(up);
    const zd = f(dn);
    jac.push(zu.map((v, j) => (v - (zd[j] as number)) / (2 * h)));
  }
  for (let s = 0; s < n; s++) {
    const zs = z.subarray(s * k, (s + 1) * k);
    const mx = Math.max(...zs);
    const e = Array.from(zs, (v) => Math.exp(v - mx));
    const tot = e.reduce((u, v) => u + v, 0);
    const pr = e.map((v) => v / tot);
    for (let i = s * per; i < (s + 1) * per; i++) {
      for (let j = s * per; j < (s + 1) * per; j++) {
        let acc = 0;
        for (let c = 0; c < k; c++) {
          for (let d = 0; d < k; d++) {
            const m = (c === d ? (pr[c] as number) : 0) - (pr[c] as number) * (pr[d] as number);
            acc += ((jac[i] as Float64Array)[s * k + c] as number) * m * ((jac[j] as Float64Array)[s * k + d] as number);
          }
        }
        H[i * size + j] = acc / n;
      }
    }
  }
  return H;
}

describe('activationHvpFn vs the exact Hessian w.r.t. an activation', () => {
  onCpuBackend();

  it('the input, a conv map (NHWC), a flatten kept in HWC order and a dense output; channel-major vectors', () => {
    const model = actNet();
    const n = 3;
    const rng = new Rng(11);
    const x = Float32Array.from({ length: n * 50 }, () => rng.normal());
    const y = [0, 1, 2];
    const vals = referenceForwardAll(model, x, n);
    for (const node of ['input', 'bn', 'flat', 'fc1']) {
      const tail = node === 'input' ? model : tailOf(node, model);
      const a = node === 'input' ? Float64Array.from(x) : (vals.get(node) as Float64Array);
      const ref = oracleActivationHessian(tail, a, n);
      const m = buildModel(model);
      const op = activationHvpFn(m, node, x, y, { n });
      const size = a.length;
      assert.equal(op.size, size, node);
      assert.equal(op.n, n);
      const per = size / n;
      const C = op.channels;
      assert.equal(C, op.shape[0]);
      const rest = per / C;
      // channel-major index of sample-major IR entry (s, f)
      const cm = (s: number, f: number): number => Math.floor(f / rest) * n * rest + s * rest + (f % rest);
      for (let i = 0; i < size; i++) {
        const v = op.values[cm(Math.floor(i / per), i % per)] as number;
        assert.ok(Math.abs(v - (a[i] as number)) <= 1e-4 * (1 + Math.abs(a[i] as number)), `${node}: value ${i} ${v} vs ${a[i]}`);
      }
      let scale = 0;
      for (const v of ref) scale = Math.max(scale, Math.abs(v));
      assert.ok(scale > 1e-4, `${node}: the oracle Hessian is not trivially zero`);
      let worst = 0;
      for (let j = 0; j < size; j++) {
        const e = new Float32Array(size);
        const sj = Math.floor(j / per);
        e[cm(sj, j % per)] = 1;
        const col = op.hvp(e);
        for (let i = 0; i < size; i++) {
          const v = col[cm(Math.floor(i / per), i % per)] as number;
          worst = Math.max(worst, Math.abs(v - (ref[i * size + j] as number)));
        }
      }
      op.dispose();
      m.dispose();
      assert.ok(worst / scale <= 1e-3, `${node}: max |H_engine - H_exact| = ${worst} vs max |H| = ${scale}`);
    }
  });

  it('keeps the model hooks, and rejects unknown nodes and wrong vector sizes', () => {
    const model = actNet();
    const m = buildModel(model);
    const rng = new Rng(3);
    const x = Float32Array.from({ length: 2 * 50 }, () => rng.normal());
    const hooks = { activationTransform: (t: tf.Tensor) => t };
    m.hooks = hooks;
    const op = activationHvpFn(m, 'bn', x, [0, 1]);
    assert.equal(m.hooks, hooks, 'the model hooks are put back');
    assert.equal(op.size, 2 * 75);
    op.hvp(new Float32Array(op.size).fill(1));
    assert.equal(m.hooks, hooks);
    assert.throws(() => op.hvp(new Float32Array(5)), /expected 150/);
    op.dispose();
    assert.throws(() => activationHvpFn(m, 'nope', x, [0, 1]), /node 'nope' not found/);
    m.dispose();
  });
});
