import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { referenceForward } from '../ir/reference.js';
import type { Model, Weights } from '../ir/types.js';
import { Rng } from '../util/rng.js';
import { initEngine } from './backend.js';
import { buildModel } from './model.js';
import { layerHvp, layerHvpFn } from './sensitivity-hvp.js';
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

function data(n: number): { x: Float32Array; y: number[] } {
  const rng = new Rng(9);
  const x = new Float32Array(n * 36);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return { x, y: Array.from({ length: n }, (_, i) => i % 3) };
}

describe('layerHvp (exact double backprop) vs the exact Hessian of a tiny net', () => {
  let previous = '';
  before(async () => {
    previous = tf.getBackend() ?? '';
    await initEngine({ backend: 'cpu' });
  });
  after(async () => {
    if (previous === 'wasm') await initEngine({ backend: 'wasm' });
  });

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
