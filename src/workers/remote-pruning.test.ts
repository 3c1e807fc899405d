/**
 * Pruning across the process boundary: a `command` evaluation run in a worker thread (`--threads`) or by a
 * Redis worker (`--redis`, a real redis-server) reports its intermediate values; they reach the study's
 * pruner in the study process and the decision comes back, so a bad trial is stopped (its command killed)
 * and stored as pruned, exactly as when the evaluation runs in the study's process.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SearchSpace } from '../search/space.js';
import type { JsonValue, SearchStrategy } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { INTERMEDIATE_ATTR, intermediateValues, medianPruner } from '../study/pruning.js';
import { type Evaluator, runStudy, studyUid } from '../study/run-study.js';
import { studyFolderName } from '../study/study-folder.js';
import './builtin.js';
import { COMMAND_ATTR } from './command-evaluation.js';
import { makeRedisEvaluator, pruneDecisionKey, runWorker, trialJobId } from './redis.js';
import { connectRedis } from './redis-connection.js';
import { redisSkipReason, startRedis } from './testing/redis-server.js';
import { makeThreadPoolEvaluator } from './thread-pool.js';

const work = mkdtempSync(join(tmpdir(), 'hwnas-remote-prune-'));
after(() => rmSync(work, { recursive: true, force: true }));

// value at every step = x. A trial with x < 0.5 is slow (20 s per step): unpruned, it would run 80 s and
// write `finished`; pruned at step 0, its command is killed before step 1.
const curve = join(work, 'curve.mjs');
writeFileSync(
  curve,
  `import { readFileSync, writeFileSync } from 'node:fs';
const dir = process.env.HWNAS_TRIAL_DIR;
const x = JSON.parse(readFileSync(dir + '/trial.json', 'utf8')).params.x;
for (let s = 0; s < 5; s++) {
  console.log(JSON.stringify({ step: s, metrics: { accuracy: x } }));
  if (x < 0.5 && s < 4) await new Promise((r) => setTimeout(r, 20000));
}
writeFileSync(dir + '/finished', 'yes');
console.log(JSON.stringify({ metrics: { accuracy: x } }));
`,
);

/** Proposes x = 0.9, 0.8 (the median pruner's two startup trials), then 0.1 (below their median: pruned at step 0). */
const fixed: SearchStrategy = { name: 'fixed', ask: (c) => ({ x: [0.9, 0.8, 0.1][c.trialNumber] ?? 0.5 }) };
const space = new SearchSpace({ x: { kind: 'float', low: 0, high: 1 } });
const objectives = [{ name: 'accuracy', direction: 'maximize' }] as const;

function evaluation(studyDir: string): { name: string; options: Record<string, JsonValue> } {
  return { name: 'command', options: { cmd: [process.execPath, curve], workdir: studyDir, keep: 'all', graceS: 1 } };
}

async function study(name: string, evaluate: Evaluator, concurrency: number) {
  return runStudy({
    store: new MemoryStore(),
    studyName: name,
    space,
    objectives: [...objectives],
    strategy: fixed,
    evaluate,
    concurrency,
    nTrials: 3,
    seed: 1,
    pruner: medianPruner({ startupTrials: 2 }),
    catchErrors: true,
  });
}

function checkPruned(r: Awaited<ReturnType<typeof study>>, studyDir: string, name: string): void {
  assert.deepEqual(
    r.trials.map((t) => [t.number, t.params.x, t.state]),
    [
      [0, 0.9, 'complete'],
      [1, 0.8, 'complete'],
      [2, 0.1, 'pruned'],
    ],
  );
  const bad = r.trials[2];
  assert.deepEqual([...intermediateValues(bad as never).entries()], [[0, 0.1]], 'the study stored the one value it saw before pruning');
  assert.deepEqual(bad?.values, [0.1]);
  // each trial's own folder (`<workdir>/<study>-<study uid>/trial-<n>-<random>`), as stored on the trial: the study's uid
  // reached the evaluation in the worker thread or on the Redis worker
  const uid = studyUid(r.study);
  const folder = (t: (typeof r.trials)[number]): string => {
    const d = t.userAttrs[COMMAND_ATTR.trialDir];
    assert.ok(
      typeof d === 'string' && d.startsWith(join(studyDir, studyFolderName(name, uid), `trial-${t.number}-`)),
      `trial ${t.number}: folder ${String(d)}`,
    );
    assert.equal(JSON.parse(readFileSync(join(d, 'trial.json'), 'utf8')).studyUid, uid);
    return d;
  };
  const badDir = folder(bad as never);
  assert.ok(existsSync(join(badDir, 'trial.json')) && !existsSync(join(badDir, 'finished')), 'the pruned command was killed before its end');
  for (const t of r.trials.slice(0, 2)) {
    assert.deepEqual([...intermediateValues(t).keys()], [0, 1, 2, 3, 4], `trial ${t.number}: every value reached the study`);
    assert.ok(existsSync(join(folder(t), 'finished')));
  }
}

test('worker threads: intermediate values reach the study pruner and the prune decision gets back', async () => {
  const dir = join(work, 'threads');
  const pool = makeThreadPoolEvaluator({ evaluation: evaluation(dir), threads: 1 });
  try {
    checkPruned(await study('t', pool.evaluate, 1), dir, 't');
  } finally {
    await pool.close();
  }
});

const reportModule = fileURLToPath(new URL('./testing/report-evaluation.js', import.meta.url));
await import('./testing/report-evaluation.js');

test('worker threads: an evaluation awaiting ctx.report is pruned; an invalid report fails its trial with the study pruner error', async () => {
  const pool = makeThreadPoolEvaluator({ evaluation: { name: 'test-report' }, threads: 1, imports: [reportModule] });
  const bad = makeThreadPoolEvaluator({ evaluation: { name: 'test-report', options: { steps: [-1] } }, threads: 1, imports: [reportModule] });
  try {
    const r = await study('tr', pool.evaluate, 1);
    assert.deepEqual(
      r.trials.map((t) => [t.state, [...intermediateValues(t).keys()]]),
      [
        ['complete', [0, 1, 2]],
        ['complete', [0, 1, 2]],
        ['pruned', [0]],
      ],
    );
    const b = await study('tb', bad.evaluate, 1);
    assert.equal(b.trials[0]?.state, 'failed');
    assert.match(String(b.trials[0]?.userAttrs['hwnas:error']), /intermediate step -1: expected an integer >= 0/);
  } finally {
    await pool.close();
    await bad.close();
  }
});

const skip = redisSkipReason();
test('Redis workers: intermediate values reach the study pruner and the prune decision gets back', { skip }, async () => {
  const redis = await startRedis();
  const dir = join(work, 'redis');
  const worker = await runWorker({ redisUrl: redis.url, queueName: 'prune-q' });
  const remote = await makeRedisEvaluator({ redisUrl: redis.url, queueName: 'prune-q', evaluation: evaluation(dir), concurrency: 1 });
  try {
    const r = await study('r', remote.evaluate, 1);
    checkPruned(r, dir, 'r');
    for (const t of r.trials) assert.match(String(t.userAttrs['hwnas:worker']), new RegExp(`:${process.pid}$`), 'run by the Redis worker');
    assert.equal(r.trials[2]?.userAttrs[INTERMEDIATE_ATTR] !== undefined, true);
  } finally {
    await remote.close();
    await worker.close();
    await redis.stop();
  }
});

test('Redis workers: an evaluation awaiting ctx.report is pruned; an invalid report fails its trial with the study pruner error', { skip }, async () => {
  const redis = await startRedis();
  const worker = await runWorker({ redisUrl: redis.url, queueName: 'prune-qb', imports: [reportModule] });
  const good = await makeRedisEvaluator({ redisUrl: redis.url, queueName: 'prune-qb', evaluation: { name: 'test-report' }, concurrency: 1 });
  const bad = await makeRedisEvaluator({
    redisUrl: redis.url,
    queueName: 'prune-qb',
    evaluation: { name: 'test-report', options: { steps: [-1] } },
    concurrency: 1,
  });
  try {
    const r = await study('rr', good.evaluate, 1);
    assert.deepEqual(
      r.trials.map((t) => [t.state, [...intermediateValues(t).keys()]]),
      [
        ['complete', [0, 1, 2]],
        ['complete', [0, 1, 2]],
        ['pruned', [0]],
      ],
    );
    const b = await study('rb', bad.evaluate, 1);
    assert.equal(b.trials[0]?.state, 'failed');
    assert.match(String(b.trials[0]?.userAttrs['hwnas:error']), /intermediate step -1: expected an integer >= 0/);
  } finally {
    await good.close();
    await bad.close();
    await worker.close();
    await redis.stop();
  }
});

test('Redis workers: a job run again never takes a prune decision left for a report of its earlier run', { skip }, async () => {
  const redis = await startRedis();
  const worker = await runWorker({ redisUrl: redis.url, queueName: 'prune-qs', imports: [reportModule] });
  const remote = await makeRedisEvaluator({
    redisUrl: redis.url,
    queueName: 'prune-qs',
    evaluation: { name: 'test-report' },
    studyUid: 'uid-s',
    concurrency: 1,
  });
  const c = await connectRedis(redis.url);
  try {
    // what an earlier run of trial 0's job leaves when its worker dies after its report 0 was answered: a 'prune' for
    // report 0 (a key without the run id is what workers before session 56 blocked on)
    await c.client.rpush(pruneDecisionKey('prune-qs', trialJobId('rs', 0, 'uid-s'), 0), '1');
    const r = await study('rs', remote.evaluate, 1);
    assert.deepEqual(
      r.trials.map((t) => [t.state, [...intermediateValues(t).keys()]]),
      [
        ['complete', [0, 1, 2]],
        ['complete', [0, 1, 2]],
        ['pruned', [0]],
      ],
      'trial 0 (a startup trial the pruner lets run) is not pruned by the stale decision',
    );
  } finally {
    await c.close();
    await remote.close();
    await worker.close();
    await redis.stop();
  }
});
