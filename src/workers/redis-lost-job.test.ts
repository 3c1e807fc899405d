/**
 * Redis restarted without its data mid-study (review53 #1): the study notices its jobs are gone and enqueues
 * them again, so it finishes with every trial's own result instead of waiting forever; and queue names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Queue } from 'bullmq';
import { testTimeout } from '../cli/testing/run-cli.js';
import { ConfigError } from '../errors.js';
import type { SearchSpace } from '../search/space.js';
import { RandomSearch } from '../search/strategies/random.js';
import { MemoryStore } from '../store/memory-store.js';
import { runStudy } from '../study/run-study.js';
import './builtin.js';
import { checkQueueName, makeRedisEvaluator, runWorker, trialLabel } from './redis.js';
import { getEvaluation } from './registry.js';
import { redisSkipReason, startRedis } from './testing/redis-server.js';

const skip = redisSkipReason();
const zdt1 = getEvaluation('zdt1');

test('Redis restarted empty while trials run: the lost jobs are enqueued again and the study finishes with each trial its own result', {
  skip,
  timeout: testTimeout(120_000),
}, async () => {
  let server = await startRedis();
  const port = Number(new URL(server.url).port);
  const events: string[] = [];
  let resolveStarted: () => void = () => undefined;
  const started = new Promise<void>((r) => {
    resolveStarted = r;
  });
  const worker = await runWorker({
    redisUrl: server.url,
    queueName: 'q-lost',
    concurrency: 2,
    onJob: (e) => {
      events.push(`${e.event} ${e.jobId}`);
      if (e.event === 'start') resolveStarted();
    },
  });
  const logged: string[] = [];
  const remote = await makeRedisEvaluator({
    redisUrl: server.url,
    queueName: 'q-lost',
    evaluation: { name: 'zdt1', options: { delayMs: 1500 } },
    concurrency: 2,
    checkIntervalMs: 200,
    log: (l) => logged.push(l),
  });
  try {
    const store = new MemoryStore();
    const study = runStudy({
      store,
      studyName: 'lost',
      space: zdt1.defaultSpace?.({ n: 3 }) as SearchSpace,
      objectives: zdt1.objectives({}),
      strategy: new RandomSearch(),
      evaluate: remote.evaluate,
      concurrency: 2,
      nTrials: 4,
      seed: 5,
    });
    await started;
    await server.stop(); // SIGKILL, no persistence: the new server is empty
    server = await startRedis({ port });
    const r = await study;
    assert.deepEqual(
      r.trials.map((t) => t.state),
      Array(4).fill('complete'),
    );
    assert.equal(r.created, 4, 'no retry trial was needed: the lost jobs were enqueued again');
    // zdt1's first objective is x0: each trial has the result of its own point
    for (const t of r.trials) assert.equal(t.values?.[0], t.params.x0, `trial ${t.number}`);
    assert.ok(
      logged.some((l) => /job \S+ \(trial lost#\d\) is gone from Redis .*enqueued it again on queue 'q-lost'/.test(l)),
      `log: ${logged.join(' | ')}`,
    );
    assert.match(logged[0] ?? '', /^\d trial\(s\) enqueued on queue 'q-lost' at redis:\/\/127\.0\.0\.1:\d+; waiting for workers/);
    // a result the worker could not store is not logged as done: each job is done once at most (a lost one by its re-run)
    for (const id of new Set(events.map((e) => e.split(' ')[1])))
      assert.ok(events.filter((e) => e === `done ${id}`).length <= 1, `job ${id}: ${events.join(', ')}`);
  } finally {
    await remote.close();
    await worker.close({ force: true });
    await server.stop();
  }
});

test('a job Redis loses right after it is enqueued (before its finish is awaited) is enqueued again, not a failed trial or an unhandled rejection', {
  skip,
  timeout: testTimeout(60_000),
}, async () => {
  const server = await startRedis();
  // Redis "loses" each trial's first job the moment it is added: what a restart without data between the add and
  // the first look at the job does. BullMQ's own waitUntilFinished then rejected from inside its Promise executor.
  const add = Queue.prototype.add;
  const lost = new Set<string>();
  Queue.prototype.add = async function (this: Queue, ...args: Parameters<Queue['add']>) {
    const id = args[2]?.jobId;
    if (id === undefined || lost.has(id)) return add.apply(this, args);
    await this.pause(); // so that no worker takes the job before it is removed
    const job = await add.apply(this, args);
    if ((await this.remove(id)) === 1) lost.add(id);
    await this.resume();
    return job;
  } as Queue['add'];
  const worker = await runWorker({ redisUrl: server.url, queueName: 'q-lost-early' });
  const logged: string[] = [];
  const remote = await makeRedisEvaluator({
    redisUrl: server.url,
    queueName: 'q-lost-early',
    evaluation: { name: 'zdt1' },
    concurrency: 2,
    checkIntervalMs: 100,
    log: (l) => logged.push(l),
  });
  try {
    const r = await runStudy({
      store: new MemoryStore(),
      studyName: 'early',
      space: zdt1.defaultSpace?.({ n: 3 }) as SearchSpace,
      objectives: zdt1.objectives({}),
      strategy: new RandomSearch(),
      evaluate: remote.evaluate,
      concurrency: 2,
      nTrials: 3,
      seed: 2,
    });
    assert.deepEqual(
      r.trials.map((t) => t.state),
      ['complete', 'complete', 'complete'],
    );
    assert.equal(r.created, 3, 'no retry trial');
    for (const t of r.trials) assert.equal(t.values?.[0], t.params.x0, `trial ${t.number}`);
    assert.equal(lost.size, 3);
    assert.equal(logged.filter((l) => /is gone from Redis/.test(l)).length, 3, logged.join(' | '));
  } finally {
    Queue.prototype.add = add;
    await remote.close();
    await worker.close({ force: true });
    await server.stop();
  }
});

test('a blank queue name is refused where the queue is made, naming it; trials are labelled with the study uid', { skip }, async () => {
  for (const bad of ['', '  '])
    assert.throws(
      () => checkQueueName(bad),
      (e: Error) => e instanceof ConfigError && e.message.startsWith(`queue name ${JSON.stringify(bad)} is empty`),
    );
  assert.throws(() => checkQueueName('a:b'), /queue name "a:b": expected 1-100 letters/);
  const server = await startRedis();
  try {
    await assert.rejects(runWorker({ redisUrl: server.url, queueName: '' }), /queue name "" is empty/);
    await assert.rejects(makeRedisEvaluator({ redisUrl: server.url, queueName: ' ', evaluation: { name: 'zdt1' } }), /queue name " " is empty/);
  } finally {
    await server.stop();
  }
  assert.equal(trialLabel({ studyName: 'r1', trialNumber: 5, studyUid: '3f2a91c0-1111-2222' }), 'r1#5 (uid 3f2a91c0)');
  assert.equal(trialLabel({ studyName: 'r1', trialNumber: 5 }), 'r1#5');
});
