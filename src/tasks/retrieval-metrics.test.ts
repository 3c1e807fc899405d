import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { averagePrecisions, type Embeddings, jsScores, l2Normalize, retrievalMetrics, retrievalMetricsReference, type ScoreFn } from './retrieval-metrics.js';

function randomEmb(rng: Rng, n: number, dim: number, classes: number, levels = 0): Embeddings {
  const data = new Float32Array(n * dim);
  // levels > 0: few distinct values, so that many similarities tie
  for (let i = 0; i < data.length; i++) data[i] = levels > 0 ? Math.floor(rng.next() * levels) - 1 : rng.next() * 2 - 1;
  const labels = Int32Array.from({ length: n }, () => Math.floor(rng.next() * classes));
  return { data, n, dim, labels };
}

test('AP, recall@1 and recall@5 of a hand-ranked example', async () => {
  // query along x; gallery similarities 1, 0.8, 0.6, 0.2, 0, -1 with labels 1, 0, 0, 1, 1, 0 (query class 0)
  const sims = [1, 0.8, 0.6, 0.2, 0, -1];
  const gallery: Embeddings = {
    data: Float32Array.from(sims.flatMap((c) => [c, Math.sqrt(1 - c * c)])),
    n: 6,
    dim: 2,
    labels: [1, 0, 0, 1, 1, 0],
  };
  const query: Embeddings = { data: Float32Array.from([2, 0]), n: 1, dim: 2, labels: [0] };
  // relevant at ranks 2, 3, 6: AP = (1/2 + 2/3 + 3/6) / 3
  const want = (1 / 2 + 2 / 3 + 3 / 6) / 3;
  const m = await retrievalMetrics(query, gallery);
  assert.ok(Math.abs(m.map - want) < 1e-12, `map ${m.map} vs ${want}`);
  assert.equal(m.recallAt1, 0);
  assert.equal(m.recallAt5, 1);
  const r = retrievalMetricsReference(query, gallery);
  assert.ok(Math.abs(r.map - want) < 1e-12);
});

test('radix ranking equals a comparison sort on the same float32 scores, ties included', async () => {
  const rng = new Rng(7);
  for (const levels of [0, 3]) {
    const g = randomEmb(rng, 700, 4, 5, levels);
    const q = randomEmb(rng, 60, 4, 5, levels);
    const gn = l2Normalize(g.data, g.n, g.dim);
    const qn = l2Normalize(q.data, q.n, q.dim);
    const sim = (i: number, j: number): number => {
      let s = 0;
      for (let k = 0; k < 4; k++) s += (qn[i * 4 + k] as number) * (gn[j * 4 + k] as number);
      return Math.fround(s);
    };
    // the same float32 similarities for both rankers (one block of all queries: row i is query i)
    const scores: ScoreFn = (_q, nq, _g, ng, _d, out) => {
      for (let i = 0; i < nq; i++) for (let j = 0; j < ng; j++) out[i * ng + j] = sim(i, j);
    };
    const fast = await retrievalMetrics(q, g, { scores, blockRows: q.n });
    const per = averagePrecisions(q, g, sim);
    const mean = (f: (r: (typeof per)[number]) => number): number => per.reduce((a, r) => a + f(r), 0) / per.length;
    assert.ok(Math.abs(fast.map - mean((r) => r.ap)) < 1e-12, `levels ${levels}: map ${fast.map} vs ${mean((r) => r.ap)}`);
    assert.equal(
      fast.recallAt1,
      mean((r) => r.hit1),
    );
    assert.equal(
      fast.recallAt5,
      mean((r) => r.hit5),
    );
  }
});

test('jsScores matches float64 dot products; the default path matches the float64 reference', async () => {
  const rng = new Rng(3);
  const g = randomEmb(rng, 403, 7, 4);
  const q = randomEmb(rng, 37, 7, 4);
  const out = new Float32Array(q.n * g.n);
  jsScores(q.data, q.n, g.data, g.n, 7, out);
  for (const [i, j] of [
    [0, 0],
    [36, 402],
    [17, 200],
  ] as const) {
    let s = 0;
    for (let k = 0; k < 7; k++) s += (q.data[i * 7 + k] as number) * (g.data[j * 7 + k] as number);
    assert.ok(Math.abs((out[i * g.n + j] as number) - s) < 1e-5);
  }
  const fast = await retrievalMetrics(q, g, { blockRows: 10 });
  const ref = retrievalMetricsReference(q, g);
  // continuous random data: no near-ties at float32 precision, so the rankings agree
  assert.ok(Math.abs(fast.map - ref.map) < 1e-9, `${fast.map} vs ${ref.map}`);
  assert.equal(fast.recallAt1, ref.recallAt1);
  assert.equal(fast.recallAt5, ref.recallAt5);
  // perfectly separated classes score 1; reversed scores are worse than chance
  assert.ok(fast.map > 0 && fast.map < 1);
});

test('perfect embeddings score 1; queries of a class absent from the gallery are skipped; none scorable is a UserError', async () => {
  const onehot = (labels: number[]): Embeddings => ({
    data: Float32Array.from(labels.flatMap((l) => [l === 0 ? 1 : 0, l === 1 ? 1 : 0, l === 2 ? 1 : 0])),
    n: labels.length,
    dim: 3,
    labels,
  });
  const m = await retrievalMetrics(onehot([0, 1, 2]), onehot([0, 0, 1, 1]));
  assert.equal(m.map, 1);
  assert.equal(m.recallAt1, 1);
  assert.equal(m.queries, 2);
  assert.equal(m.skipped, 1);
  await assert.rejects(retrievalMetrics(onehot([2]), onehot([0, 1])), UserError);
  await assert.rejects(retrievalMetrics({ ...onehot([0]), dim: 2, data: new Float32Array(2) }, onehot([0])), /dimension/);
});

test("ranking 'relevant' (the default) is bit-identical to 'full-sort': ties, -0/+0, one-item classes, crowded buckets", async () => {
  const rng = new Rng(11);
  // score rows drawn from a few regimes: continuous, few distinct values (ties), +-0 mixed in, all equal
  const pools: ((j: number) => number)[] = [
    () => rng.next() * 2 - 1,
    () => [0.5, -0.25, 0.75, 0.125][Math.floor(rng.next() * 4)] as number,
    () => [0, -0, 1e-30, -1e-30, 0.3][Math.floor(rng.next() * 5)] as number,
    () => 0.42,
    // many values inside one top-16-bit bucket of the key (same sign, exponent and 7 mantissa bits)
    () => 0.5 + rng.next() / 512,
    (j) => (j % 7 === 0 ? rng.next() : 0.5 + rng.next() / 1024),
  ];
  for (const [pi, pool] of pools.entries()) {
    for (const [ng, classes] of [
      [1500, 5],
      [300, 40],
      [97, 2],
    ] as const) {
      const nq = 23;
      const gl = Int32Array.from({ length: ng }, () => Math.floor(rng.next() * classes));
      gl[ng - 1] = classes; // a class with a single gallery item
      const ql = Int32Array.from({ length: nq }, () => Math.floor(rng.next() * (classes + 2))); // incl. absent classes
      ql[0] = classes;
      const rows = Float32Array.from({ length: nq * ng }, (_, k) => pool(k % ng));
      const scores: ScoreFn = (_q, n, _g, m, _d, out) => {
        assert.equal(n * m, rows.length);
        out.set(rows);
      };
      const q: Embeddings = { data: new Float32Array(nq * 2).fill(1), n: nq, dim: 2, labels: ql };
      const g: Embeddings = { data: new Float32Array(ng * 2).fill(1), n: ng, dim: 2, labels: gl };
      const fast = await retrievalMetrics(q, g, { scores, blockRows: nq });
      const full = await retrievalMetrics(q, g, { scores, blockRows: nq, ranking: 'full-sort' });
      assert.deepEqual(fast, full, `pool ${pi}, gallery ${ng}, ${classes} classes`);
      // and both equal the comparison-sort oracle on the same float32 scores
      const per = averagePrecisions(q, g, (i, j) => rows[i * ng + j] as number);
      const kept = per.filter((_, i) => gl.includes(ql[i] as number));
      const mean = kept.reduce((a, r) => a + r.ap, 0) / kept.length;
      assert.ok(Math.abs(fast.map - mean) < 1e-12, `pool ${pi}: ${fast.map} vs ${mean}`);
    }
  }
  await assert.rejects(
    retrievalMetrics(randomEmb(rng, 3, 2, 2), randomEmb(rng, 5, 2, 2), { ranking: 'sorted' as 'relevant' }),
    /ranking 'sorted': expected relevant or full-sort/,
  );
});

test("ranking 'relevant' equals 'full-sort' bit for bit on real similarity products (random embeddings, many blocks)", async () => {
  const rng = new Rng(5);
  for (const levels of [0, 3]) {
    const g = randomEmb(rng, 2000, 8, 10, levels);
    const q = randomEmb(rng, 150, 8, 10, levels);
    const fast = await retrievalMetrics(q, g, { blockRows: 32 });
    const full = await retrievalMetrics(q, g, { blockRows: 32, ranking: 'full-sort' });
    assert.deepEqual(fast, full);
    assert.ok(fast.map > 0.05 && fast.map < 0.5, `levels ${levels}: map ${fast.map}`);
  }
});
