import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { retrievalGraph } from '../tasks/retrieval.js';
import { jsScores } from '../tasks/retrieval-metrics.js';
import { Rng } from '../util/rng.js';
import { initEngine } from './backend.js';
import { alignmentLoss, metricLoss, trainEmbedding } from './metric-loss.js';
import { buildModel } from './model.js';
import { engineScores } from './retrieval-sim.js';
import { tf } from './tf.js';

const norm = (v: number[]): number[] => {
  const s = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return v.map((x) => x / s);
};

/** cos[i][c] between embedding rows and proxy columns (proxies given as [dim][classes]). */
function cosines(emb: number[][], proxies: number[][]): number[][] {
  const classes = (proxies[0] as number[]).length;
  const cols = Array.from({ length: classes }, (_, c) => norm(proxies.map((r) => r[c] as number)));
  return emb.map((e) => {
    const en = norm(e);
    return cols.map((p) => p.reduce((a, x, k) => a + x * (en[k] as number), 0));
  });
}

const emb = [
  [1, 2, -1],
  [0.5, -1, 2],
  [-2, 0.3, 0.1],
  [1, 1, 1],
];
const proxies = [
  [1, -1],
  [0.2, 0.5],
  [-0.3, 2],
];
const labels = [0, 1, 1, 0];

describe('metric losses against a plain-JS reference', () => {
  before(async () => {
    await initEngine();
  });
  const oneHot = (): tf.Tensor2D =>
    tf.tensor2d(
      labels.flatMap((l) => [l === 0 ? 1 : 0, l === 1 ? 1 : 0]),
      [4, 2],
    );

  it('norm-softmax = cross-entropy of scale * cosine', () => {
    const cos = cosines(emb, proxies);
    const want =
      cos.reduce((a, row, i) => {
        const z = row.map((v) => 16 * v);
        const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
        return a + lse - (z[labels[i] as number] as number);
      }, 0) / 4;
    const got = metricLoss(tf.tensor2d(emb), tf.tensor2d(proxies), oneHot(), { loss: 'norm-softmax' }).dataSync()[0] as number;
    assert.ok(Math.abs(got - want) < 1e-4 * Math.max(1, want), `${got} vs ${want}`);
  });

  it('proxy-anchor follows Kim et al. 2020 (alpha 32, delta 0.1)', () => {
    const cos = cosines(emb, proxies);
    let pos = 0;
    let neg = 0;
    let withPos = 0;
    for (let c = 0; c < 2; c++) {
      let ps = 0;
      let ns = 0;
      cos.forEach((row, i) => {
        if (labels[i] === c) ps += Math.exp(-32 * ((row[c] as number) - 0.1));
        else ns += Math.exp(32 * ((row[c] as number) + 0.1));
      });
      if (labels.includes(c)) withPos++;
      pos += Math.log1p(ps);
      neg += Math.log1p(ns);
    }
    const want = pos / withPos + neg / 2;
    const got = metricLoss(tf.tensor2d(emb), tf.tensor2d(proxies), oneHot(), { loss: 'proxy-anchor' }).dataSync()[0] as number;
    assert.ok(Math.abs(got - want) < 1e-3 * Math.max(1, want), `${got} vs ${want}`);
  });

  it('alignment is 0 for the same directions and 2 for opposite ones', () => {
    const e = tf.tensor2d(emb);
    assert.ok(Math.abs(alignmentLoss(e, tf.mul(e, 3) as tf.Tensor2D).dataSync()[0] as number) < 1e-6);
    assert.ok(Math.abs((alignmentLoss(e, tf.neg(e) as tf.Tensor2D).dataSync()[0] as number) - 2) < 1e-6);
  });

  it('engine similarity blocks equal the plain-JS ones', () => {
    const rng = new Rng(5);
    const g = Float32Array.from({ length: 300 * 6 }, () => rng.normal());
    const q = Float32Array.from({ length: 7 * 6 }, () => rng.normal());
    const a = new Float32Array(7 * 300);
    const b = new Float32Array(7 * 300);
    jsScores(q, 7, g, 300, 6, a);
    const s = engineScores();
    s.scores(q, 7, g, 300, 6, b);
    s.dispose();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) < 1e-4);
  });
});

describe('trainEmbedding', () => {
  before(async () => {
    await initEngine();
  });

  function tiny(seed: number) {
    const b = new GraphBuilder('tiny', [6]);
    b.output(b.dense(b.relu(b.dense(b.input, 16, { name: 'h' })), 3, { name: 'fc' }));
    const graph = retrievalGraph(b.build(), 4, 3);
    return { graph, weights: initWeights(graph, new Rng(seed)) };
  }
  const rng = new Rng(11);
  const n = 240;
  const y = Uint8Array.from({ length: n }, () => rng.int(0, 2));
  const x = Float32Array.from({ length: n * 6 }, (_, i) => rng.normal(0, 0.4) + ((i % 6) % 3 === y[Math.floor(i / 6)] ? 1 : 0));

  for (const loss of ['norm-softmax', 'proxy-anchor'] as const) {
    it(`${loss}: the loss falls and the proxies move`, async () => {
      const em = buildModel(tiny(1));
      const p0 = em.getEngineWeight('proxies.weight').slice();
      const r = await trainEmbedding(em, { x, y, n }, { epochs: 6, batchSize: 32, lr: 1e-2, loss, seed: 2 });
      assert.ok((r.epochs.at(-1)?.loss as number) < (r.epochs[0]?.loss as number) * 0.8, `${r.epochs.map((e) => e.loss)}`);
      const p1 = em.getEngineWeight('proxies.weight');
      assert.ok(p1.some((v, i) => v !== p0[i]));
      em.dispose();
    });
  }

  it('compatible training keeps the proxies frozen; the alignment term pulls the embeddings to the targets', async () => {
    const targets = Float32Array.from({ length: n * 4 }, (_, i) => (i % 4 === 3 - (y[Math.floor(i / 4)] as number) ? 1 : 0.1));
    const cosToTargets = async (weight: number): Promise<number> => {
      const em = buildModel(tiny(3));
      const p0 = em.getEngineWeight('proxies.weight').slice();
      await trainEmbedding(em, { x, y, n }, { epochs: 6, batchSize: 32, lr: 1e-2, seed: 2, freezeProxies: true, align: { targets, weight } });
      assert.deepEqual(em.getEngineWeight('proxies.weight'), p0);
      const e = em.predict(x, n);
      em.dispose();
      let s = 0;
      for (let i = 0; i < n; i++) {
        const a = norm(Array.from(e.subarray(i * 4, i * 4 + 4)));
        const t = norm(Array.from(targets.subarray(i * 4, i * 4 + 4)));
        s += a.reduce((q, v, k) => q + v * (t[k] as number), 0);
      }
      return s / n;
    };
    const without = await cosToTargets(0);
    const withAlign = await cosToTargets(20);
    assert.ok(withAlign > without + 0.1 && withAlign > 0.8, `mean cosine to the targets: ${without} without alignment, ${withAlign} with`);
  });

  it('rejects labels beyond the proxies and a model without proxies', async () => {
    const em = buildModel(tiny(1));
    await assert.rejects(trainEmbedding(em, { x, y: Uint8Array.from(y, () => 5), n }, { epochs: 1 }), /out of range/);
    em.dispose();
    const b = new GraphBuilder('plain', [6]);
    b.output(b.dense(b.input, 3, { name: 'fc' }));
    const g = b.build();
    const plain = buildModel({ graph: g, weights: initWeights(g, new Rng(1)) });
    await assert.rejects(trainEmbedding(plain, { x, y, n }, { epochs: 1 }), /no class proxies/);
    plain.dispose();
  });
});
