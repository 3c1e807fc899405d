import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { Rng } from '../util/rng.js';
import { initEngine } from './backend.js';
import { distill } from './distill.js';
import { buildModel } from './model.js';
import { scaleHooks } from './test-hooks.js';

const randn = (len: number, seed: number): Float32Array => {
  const r = new Rng(seed);
  return Float32Array.from({ length: len }, () => r.normal(0, 1));
};

describe('distill', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it("trains the hooks' variables with the weights, as training does", () => {
    const b = new GraphBuilder('tiny', [6]);
    b.output(b.dense(b.relu(b.dense(b.input, 12, { name: 'h' })), 5, { name: 'fc' }));
    const graph = b.build();
    const m = buildModel({ graph, weights: initWeights(graph, new Rng(5)) }, { hooks: scaleHooks({ layers: ['h', 'fc'], init: 1 }) });
    const n = 32;
    const r = distill(m, { x: randn(n * 6, 1), target: randn(n * 5, 2), n }, { steps: 20, batchSize: 8, lr: 1e-2, seed: 3 });
    const scales = (m.hooks.trainable ?? []).map((v) => (v.dataSync() as Float32Array)[0] as number);
    m.dispose();
    assert.equal(r.steps, 20);
    assert.equal(scales.length, 2);
    for (const s of scales) assert.ok(Math.abs(s - 1) > 1e-3, `scale moved: ${s}`);
    assert.ok(r.lastLoss < r.firstLoss, `loss ${r.firstLoss} -> ${r.lastLoss}`);
  });
});
