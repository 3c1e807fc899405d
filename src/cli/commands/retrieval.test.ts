/**
 * `hwnas train|eval|nas --task retrieval` end to end with the real CLI on a small Fashion-MNIST slice:
 * the engine's figures at training time equal onnxruntime's on the exported file (same metrics), compatible
 * training reports cross-model figures that eval reproduces, and bad input exits 2 with the value quoted.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../data/load.js';
import { graphTotals } from '../../ir/workload.js';
import { buildRetrievalModel, scoreEmbeddings } from '../../nas/retrieval.js';
import { archInputSize } from '../../nas/train-eval.js';
import { loadOnnx } from '../../onnx/import.js';
import { createSession, runOnnx } from '../../onnx/ort.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import { testDir } from '../testing/fixtures.js';
import { SMALL_RETRIEVAL_ARCH, trainRetrievalModel } from '../testing/retrieval-model.js';
import { runHwnas } from '../testing/run-cli.js';
import { DEFAULT_ALIGN_WEIGHT, onnxEmbeddings } from './retrieval.js';

const dir = testDir('hwnas-retrieval-cli-');
const DATA = 'fashion-mnist;limit=300';
const SMALL = SMALL_RETRIEVAL_ARCH;

interface Figures {
  readonly map: number;
  readonly recallAt1: number;
  readonly recallAt5: number;
}

const close = (a: Figures, b: Figures, what: string): void => {
  for (const k of ['map', 'recallAt1', 'recallAt5'] as const) assert.ok(Math.abs(a[k] - b[k]) < 2e-3, `${what} ${k}: ${a[k]} vs ${b[k]}`);
};

test('train --task retrieval, eval in onnxruntime, compatible training and cross-model eval', { timeout: 600_000 }, async () => {
  const g = join(dir, 'g.onnx');
  const r1 = await trainRetrievalModel(dir, g, DATA, 1, '--epochs', '2');
  assert.equal(r1.code, 0, r1.stderr);
  const t1 = JSON.parse(r1.stdout) as { queryModel: Figures; embeddingDim: number };
  assert.equal(t1.embeddingDim, 16);
  assert.ok(t1.queryModel.map > 0.15 && t1.queryModel.map <= 1, `map ${t1.queryModel.map}`);
  const m = loadOnnx(g);
  assert.deepEqual(m.graph.outputs, ['embedding', 'proxies']);
  assert.deepEqual(m.weights.get('proxies.weight')?.shape, [10, 16]);
  // the file outputs the normalised embedding: an l2norm node, unit rows in onnxruntime
  assert.equal(m.graph.nodes.find((n) => n.name === 'embedding')?.op, 'l2norm');
  const s = await createSession(g);
  try {
    const e = await runOnnx(
      s,
      Float32Array.from({ length: 4 * 28 * 28 }, (_, i) => ((i * 37) % 101) / 101),
      4,
    );
    for (let r = 0; r < 4; r++) {
      const norm = Math.hypot(...e.subarray(r * 16, (r + 1) * 16));
      assert.ok(Math.abs(norm - 1) < 1e-5, `row ${r} norm ${norm}`);
    }
  } finally {
    await s.session.release();
  }

  const e1 = await runHwnas(dir, 'eval', g, '--task', 'retrieval', '--dataset', DATA, '--json');
  assert.equal(e1.code, 0, e1.stderr);
  const ev1 = JSON.parse(e1.stdout) as { queryModel: Figures; crossModel?: Figures };
  close(ev1.queryModel, t1.queryModel, 'onnxruntime vs engine');
  assert.equal(ev1.crossModel, undefined);

  // a query model trained compatible with g (seed 2), `compat` the mode flags
  const trainCompatible = (out: string, ...compat: string[]) =>
    runHwnas(dir, 'train', SMALL, '--task', 'retrieval', '--dataset', DATA, '--compatible-with', g, ...compat, '--seed', '2', '--out', out, '--json');
  const q = join(dir, 'q.onnx');
  const r2 = await trainCompatible(q);
  assert.equal(r2.code, 0, r2.stderr);
  const t2 = JSON.parse(r2.stdout) as { queryModel: Figures; crossModel: Figures; galleryModel: Figures; embeddingDim: number };
  assert.equal(t2.embeddingDim, 16, 'the dimension defaults to the gallery model');
  // the proxies are the gallery's, unchanged
  assert.deepEqual(loadOnnx(q).weights.get('proxies.weight')?.data, m.weights.get('proxies.weight')?.data);
  close(t2.galleryModel, t1.queryModel, 'gallery model figures');

  const e2 = await runHwnas(dir, 'eval', q, '--task', 'retrieval', '--gallery-model', g, '--dataset', DATA, '--json');
  assert.equal(e2.code, 0, e2.stderr);
  const ev2 = JSON.parse(e2.stdout) as { queryModel: Figures; galleryModel: Figures; crossModel: Figures };
  close(ev2.crossModel, t2.crossModel, 'cross-model');
  close(ev2.galleryModel, t1.queryModel, 'gallery model');
  close(ev2.queryModel, t2.queryModel, 'query model');

  // the ablation's modes: head only keeps the gallery's proxies (no alignment); align only trains its own
  const qh = join(dir, 'qh.onnx');
  const rh = await trainCompatible(qh, '--compat', 'head');
  assert.equal(rh.code, 0, rh.stderr);
  const th = JSON.parse(rh.stdout) as { compat: string; alignWeight?: number; crossModel: Figures };
  assert.equal(th.compat, 'head');
  assert.equal(th.alignWeight, undefined);
  assert.deepEqual(loadOnnx(qh).weights.get('proxies.weight')?.data, m.weights.get('proxies.weight')?.data);
  const qa = join(dir, 'qa.onnx');
  const ra = await trainCompatible(qa, '--compat', 'align');
  assert.equal(ra.code, 0, ra.stderr);
  const ta = JSON.parse(ra.stdout) as { compat: string; alignWeight: number; crossModel: Figures };
  assert.equal(ta.compat, 'align');
  assert.equal(ta.alignWeight, DEFAULT_ALIGN_WEIGHT);
  assert.equal(DEFAULT_ALIGN_WEIGHT, 100);
  assert.ok(ta.crossModel.map > 0 && ta.crossModel.map <= 1);
  assert.notDeepEqual(loadOnnx(qa).weights.get('proxies.weight')?.data, m.weights.get('proxies.weight')?.data);

  // bad input: exit 2, the value quoted
  const bad = [
    [['train', SMALL, '--task', 'retrieval', '--dataset', DATA, '--compatible-with', g, '--compat', 'bogus'], /'bogus'/],
    [['train', SMALL, '--task', 'retrieval', '--dataset', DATA, '--compatible-with', g, '--compat', 'head', '--align-weight', '2'], /--align-weight/],
    [
      ['train', SMALL, '--task', 'retrieval', '--dataset', DATA, '--compatible-with', g, '--align-weight', '-3'],
      /--align-weight must be a number >= 0 \(the weight λ of the alignment term; default 100\), got '-3'/,
    ],
    [['train', SMALL, '--task', 'retrieval', '--dataset', DATA, '--compat', 'align'], /--compat/],
    [['train', SMALL, '--task', 'ranking', '--dataset', DATA], /'ranking'/],
    [['train', SMALL, '--task', 'retrieval', '--dataset', DATA, '--compatible-with', g, '--embedding-dim', '8'], /--embedding-dim 8/],
    [['train', SMALL, '--task', 'retrieval', '--dataset', DATA, '--loss', 'triplet'], /'triplet'/],
    [['train', SMALL, '--dataset', DATA, '--embedding-dim', '8'], /--embedding-dim/],
    [['eval', g, '--dataset', DATA, '--gallery-model', g], /--gallery-model/],
    [['nas', '--task', 'retrieval', '--space', 'mbv2', '--dataset', DATA, '--strategy', 'random', '--budget', '1'], /--gallery-model/],
  ] as const;
  for (const [args, re] of bad) {
    const r = await runHwnas(dir, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('train --task retrieval --val-every: per-epoch validation figures, the last one equal to the exported models in onnxruntime', {
  timeout: 600_000,
}, async () => {
  const g = join(dir, 'gv.onnx');
  const r1 = await trainRetrievalModel(dir, g, DATA, 5);
  assert.equal(r1.code, 0, r1.stderr);
  const q = join(dir, 'qv.onnx');
  const args = ['train', SMALL, '--task', 'retrieval', '--dataset', DATA, '--compatible-with', g, '--epochs', '3', '--seed', '6', '--val-every', '2'];
  const r = await runHwnas(dir, ...args, '--out', q, '--json');
  assert.equal(r.code, 0, r.stderr);
  type Epoch = { epoch: number; loss: number; val?: Figures };
  const t = JSON.parse(r.stdout) as { valEvery: number; valFigures: string; valQueries: string; perEpoch: Epoch[]; crossModel: Figures };
  assert.equal(t.valEvery, 2);
  assert.equal(t.valFigures, 'cross-model');
  assert.deepEqual(
    t.perEpoch.map((e) => e.epoch),
    [1, 2, 3],
  );
  // every 2nd epoch and the last one are validated, the others not
  assert.deepEqual(
    t.perEpoch.map((e) => e.val !== undefined),
    [false, true, true],
  );
  // the last validation = the exported query model's validation embeddings against the gallery model's training-split ones
  const ds = await loadDataset(DATA, { size: 28, channels: 1 });
  assert.equal(t.valQueries, `val split (${ds.val.n})`);
  const qv = await onnxEmbeddings(q, ds.val);
  const gt = await onnxEmbeddings(g, ds.train);
  const want = await scoreEmbeddings(qv.data, ds.val.y, gt.data, ds.train.y, qv.dim);
  close((t.perEpoch[2] as Epoch).val as Figures, want, 'last validation vs onnxruntime');
  // not the test split's figures (the validation queries are another split)
  assert.notDeepEqual((t.perEpoch[2] as Epoch).val, t.crossModel);
  // without --json the validated epochs are printed
  const p = await runHwnas(dir, ...args);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stderr, /epoch 2\/3: loss [0-9.]+, validation cross-model mAP [0-9.]+%/);
  assert.doesNotMatch(p.stderr, /epoch 1\/3: loss/);
  const bad = await runHwnas(dir, 'train', SMALL, '--task', 'retrieval', '--dataset', DATA, '--val-every', 'x');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--val-every must be an integer >= 0, got 'x'/);
});

test('nas --task retrieval: CMP-NAS trials through the study loop with cross-model mAP and latency', { timeout: 600_000 }, async () => {
  const g = join(dir, 'g2.onnx');
  const r1 = await trainRetrievalModel(dir, g, DATA, 3);
  assert.equal(r1.code, 0, r1.stderr);
  const store = join(dir, 'nas.db');
  const args = ['nas', '--task', 'retrieval', '--gallery-model', g, '--space', 'mbv2', '--dataset', 'fashion-mnist', '--limit', '200'];
  const r = await runHwnas(dir, ...args, '--strategy', 'random', '--budget', '2', '--seed', '4', '--store', store, '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { trials: { arch: string; values: Record<string, number> }[]; objectives: { name: string }[] };
  assert.deepEqual(
    out.objectives.map((o) => o.name),
    ['map', 'latency_ms'],
  );
  assert.equal(out.trials.length, 2);
  for (const t of out.trials) {
    assert.ok((t.values.map as number) > 0 && (t.values.map as number) <= 1);
    assert.ok((t.values.latency_ms as number) > 0);
  }

  // the MACs objective (CMP-NAS with the goal's own cost measure): the query model's MACs, retrieval head included
  const rm = await runHwnas(
    dir,
    ...args,
    '--objectives',
    'map:max,macs:min',
    '--strategy',
    'random',
    '--budget',
    '1',
    '--seed',
    '4',
    '--store',
    store,
    '--json',
  );
  assert.equal(rm.code, 0, rm.stderr);
  const outM = JSON.parse(rm.stdout) as typeof out;
  assert.deepEqual(
    outM.objectives.map((o) => o.name),
    ['map', 'macs'],
  );
  const tm = outM.trials[0];
  assert.ok(tm && (tm.values.map as number) > 0);
  // same seed, same first architecture as the latency study above; its MACs = the retrieval model's graph totals
  assert.equal(tm.arch, out.trials[0]?.arch);
  const space = getArchSpace('mbv2');
  const a = space.parse(tm.arch);
  const model = buildRetrievalModel(
    { graph: space.graph(a, { inputSize: archInputSize(a) ?? 28, inChannels: 1, classes: 10 }), weights: new Map() },
    { dim: 16, classes: 10, seed: 0 },
  );
  assert.equal(tm.values.macs, graphTotals(model.graph).macs);
  // an objective the retrieval evaluation does not measure: exit 2, the name quoted
  const rb = await runHwnas(dir, ...args, '--objectives', 'map:max,flops:min', '--strategy', 'random', '--budget', '1', '--store', store, '--json');
  assert.equal(rb.code, 2, rb.stderr);
  assert.match(rb.stderr, /'flops'/);
  assert.doesNotMatch(rb.stderr, /\n\s+at /);
});
