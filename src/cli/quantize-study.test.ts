/**
 * `hwnas quantize` as a study, as a user runs it: the real CLI is killed with SIGKILL in the middle of a
 * HAQ search, the same command is run again and continues the stored study (no gaps in the trial
 * numbers, earlier complete trials kept with their values, no retraining), and the proposals equal an
 * uninterrupted run's with the same seed on the same trained model. Also `hwnas study resume` and
 * `hwnas report` on a quantize study.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { JsonValue, Trial } from '../search/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { redisSkipReason, startRedis } from '../workers/testing/redis-server.js';
import { flagList, keptModelFile, testDir } from './testing/fixtures.js';
import { runHwnas, spawnHwnas, testTimeout } from './testing/run-cli.js';

const dir = testDir('hwnas-qstudy-');

const EPISODES = 30;
const common = flagList({
  dataset: 'mnist;limit=train:600,val:300,test:200',
  target: 'bitfusion-edge',
  strategy: 'haq',
  budget: 'latency=0.7x',
  episodes: String(EPISODES),
  'finetune-epochs': '0',
  'search-images': '300',
  seed: '4',
});

/** `quantize` of mnist-cnn, 3 episodes of `strategy` on a 300 / 100 / 100-image slice, into `study` of `store`. */
function smallStudy(strategy: string, store: string, study: string): string[] {
  return [
    'quantize',
    'zoo:mnist-cnn',
    ...flagList({
      dataset: 'mnist;limit=train:300,val:100,test:100',
      target: 'bitfusion-edge',
      strategy,
      budget: 'latency=0.7x',
      episodes: '3',
      'train-epochs': '1',
      'finetune-epochs': '0',
      'search-images': '100',
      store,
      study,
    }),
  ];
}

function readTrials(store: string, study: string): Trial[] {
  if (!existsSync(store)) return [];
  const s = new SqliteStore(store, { readonly: true });
  try {
    return s.getStudy(study) ? s.getTrials(study) : [];
  } finally {
    s.close();
  }
}

test('hwnas quantize: kill -9 mid-study, the same command continues it; proposals equal an uninterrupted run', { timeout: testTimeout(600_000) }, async () => {
  const storeA = join(dir, 'a.sqlite');
  const args = ['quantize', 'zoo:mnist-cnn', ...common, '--train-epochs', '1', '--store', storeA];
  const proc = spawnHwnas(dir, args, { env: { HWNAS_PROGRESS: 'lines' } });
  const study = await proc.signalWhen('SIGKILL', '4 complete trials of the quantize study', () => {
    const m = /study '([^']+)' \(new\)/.exec(proc.stderr());
    return m && readTrials(storeA, m[1] as string).filter((t) => t.state === 'complete').length >= 4 ? (m[1] as string) : undefined;
  });
  const first = await proc.done;
  assert.equal(first.signal, 'SIGKILL', `killed by SIGKILL, not finished:\n${first.stderr}`);
  const before = readTrials(storeA, study);
  const completeBefore = before.filter((t) => t.state === 'complete');
  assert.ok(completeBefore.length >= 4 && completeBefore.length < EPISODES, `${completeBefore.length} complete trials at the kill`);

  // the same command again: continues the stored study, without training the model again
  const again = await runHwnas(dir, ...args, '--json');
  assert.equal(again.code, 0, again.stderr);
  const out = JSON.parse(again.stdout) as { study: string; policy: { layers: Record<string, unknown> }; ptqAccuracy: number; trial: number };
  assert.equal(out.study, study);
  assert.deepEqual(Object.keys(out.policy.layers).sort(), ['conv1', 'conv2', 'fc']);
  const trials = readTrials(storeA, study);
  assert.deepEqual(
    trials.map((t) => t.number),
    trials.map((_, i) => i),
    'trial numbers have no gaps',
  );
  for (const t of completeBefore) assert.deepEqual(trials[t.number]?.values, t.values, `trial ${t.number} kept with its value`);
  const episodes = trials.filter((t) => t.userAttrs['hwnas:retry_of'] === undefined);
  assert.equal(episodes.length, EPISODES);
  assert.equal(trials.filter((t) => t.state === 'complete').length, EPISODES, 'every episode completes (a killed one is retried)');
  // the report's per-layer cost bars: every trial stores its layers' latencies, which add up to its latency
  for (const t of trials.filter((x) => x.state === 'complete')) {
    const rows = t.userAttrs.layerCosts as { latencyMs: number }[];
    assert.ok(Array.isArray(rows) && rows.length > 0, `trial ${t.number} stores layerCosts`);
    const sum = rows.reduce((a, r) => a + r.latencyMs, 0);
    assert.ok(Math.abs(sum - (t.userAttrs.latency_ms as number)) <= 1e-9 * sum, `trial ${t.number}: layers ${sum} ms, total ${t.userAttrs.latency_ms} ms`);
  }

  // uninterrupted, same seed, same trained model (the one the first run saved beside its store)
  const modelFile = keptModelFile(storeA, study);
  assert.ok(existsSync(modelFile), 'the trained model is kept for workers and resumed runs');
  const storeB = join(dir, 'b.sqlite');
  const ref = await runHwnas(dir, 'quantize', modelFile, ...common, '--store', storeB, '--study', 'reference', '--json');
  assert.equal(ref.code, 0, ref.stderr);
  const whole = readTrials(storeB, 'reference');
  const resumed = trials.filter((t) => t.state === 'complete');
  assert.deepEqual(
    resumed.map((t) => t.params),
    whole.map((t) => t.params),
    'the resumed study proposes what an uninterrupted one does',
  );
  assert.deepEqual(
    resumed.map((t) => t.values),
    whole.map((t) => t.values),
  );

  // report and study resume work on the quantize study
  const rep = await runHwnas(dir, 'report', study, '--store', storeA, '--out', join(dir, 'r.html'));
  assert.equal(rep.code, 0, rep.stderr);
  const more = await runHwnas(dir, 'study', 'show', study, '--store', storeA, '--json');
  assert.equal(more.code, 0, more.stderr);
  assert.equal((JSON.parse(more.stdout) as { best: { number: number }[] }).best[0]?.number, out.trial);
});

test('hwnas study resume runs the remaining trials of a quantize study (in a worker thread)', { timeout: testTimeout(600_000) }, async () => {
  const store = join(dir, 'c.sqlite');
  const args = [...smallStudy('random', store, 'rq'), '--json'];
  const a = await runHwnas(dir, ...args);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(readTrials(store, 'rq').length, 3);
  // raise the budget of trials in the stored config; study resume runs the rest in a worker thread
  const s = new SqliteStore(store);
  const cfg = s.getStudy('rq')?.userAttrs.config as Record<string, unknown>;
  s.setStudyUserAttr('rq', 'config', { ...cfg, nTrials: 5 } as unknown as JsonValue);
  s.close();
  const r = await runHwnas(dir, 'study', 'resume', 'rq', '--store', store, '--threads', '1', '--json');
  assert.equal(r.code, 0, r.stderr);
  const ts = readTrials(store, 'rq');
  assert.equal(ts.filter((t) => t.state === 'complete').length, 5, JSON.stringify(ts.map((t) => [t.state, t.userAttrs['hwnas:error']])));
  for (const t of ts) assert.ok((t.constraints?.[0] as number) <= 0, `trial ${t.number} within the budget`);
});

test('hwnas quantize: a bad --study, --threads or --bits is a usage error (exit 2) before any training', async () => {
  for (const [flag, value, re] of [
    ['--study', '../x', /--study '\.\.\/x': expected 1-128 letters/],
    ['--threads', '-1', /--threads/],
    // a repeated width failed only after training, inside the strategy's score table (review 52 #3)
    ['--bits', '4,4', /--bits '4,4' repeats 4: expected each bit-width once/],
  ] as const) {
    const r = await runHwnas(dir, 'quantize', 'zoo:mnist-cnn', ...common, flag, value);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.doesNotMatch(r.stderr, /training it for/, 'refused before training');
  }
});

test('hwnas quantize --redis: the trials are evaluated by an hwnas worker process', { skip: redisSkipReason(), timeout: testTimeout(600_000) }, async () => {
  const redis = await startRedis();
  const worker = spawnHwnas(dir, ['worker', '--redis', redis.url, '--quiet'], { timeoutMs: 600_000 });
  try {
    const store = join(dir, 'd.sqlite');
    const r = await runHwnas(dir, ...smallStudy('haq', store, 'rd'), '--redis', redis.url, '--json');
    assert.equal(r.code, 0, r.stderr);
    const ts = readTrials(store, 'rd');
    assert.equal(ts.filter((t) => t.state === 'complete').length, 3);
    const me = `pid ${worker.child.pid}`;
    for (const t of ts) assert.match(String(t.userAttrs['hwnas:worker']), new RegExp(`:${worker.child.pid}\\b`), `trial ${t.number} ran in the worker (${me})`);
    assert.equal((JSON.parse(r.stdout) as { study: string }).study, 'rd');
  } finally {
    worker.child.kill('SIGTERM');
    await worker.done;
    await redis.stop();
  }
});
