import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { spawnNode, testTimeout } from '../cli/testing/run-cli.js';
import { ConfigError } from '../errors.js';
import { createStrategy, defaultStrategyOptions } from '../search/registry.js';
import { SearchSpace } from '../search/space.js';
import { RandomSearch } from '../search/strategies/random.js';
import { trialSeed } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { runStudy, studyUid } from '../study/run-study.js';
import { Rng } from '../util/rng.js';
import './builtin.js';
import { makeRedisEvaluator, runWorker, trialJobId } from './redis.js';
import { connectRedis } from './redis-connection.js';
import { getEvaluation, registerEvaluation } from './registry.js';
import { freePort, redisSkipReason, startRedis, type TestRedis } from './testing/redis-server.js';
import { silenceableProxy } from './testing/tcp.js';

const skip = redisSkipReason();
let redis: TestRedis | undefined;
before(async () => {
  if (!skip) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const objectives = getEvaluation('zdt1').objectives({});
const space = getEvaluation('zdt1').defaultSpace?.({ n: 3 }) as SearchSpace;

test('trials enqueued on Redis are run by a worker and written once each', { skip }, async () => {
  const url = (redis as TestRedis).url;
  const worker = await runWorker({ redisUrl: url, queueName: 'q1', concurrency: 2 });
  const remote = await makeRedisEvaluator({ redisUrl: url, queueName: 'q1', evaluation: { name: 'zdt1' }, concurrency: 3 });
  try {
    const store = new MemoryStore();
    const r = await runStudy({
      store,
      studyName: 'dist',
      space,
      objectives,
      strategy: new RandomSearch(),
      evaluate: remote.evaluate,
      concurrency: remote.concurrency,
      nTrials: 8,
      seed: 4,
    });
    assert.deepEqual(
      r.trials.map((t) => t.state),
      Array(8).fill('complete'),
    );
    assert.equal(worker.completed(), 8);
    for (const t of r.trials) {
      const x = t.params as Record<string, number>;
      assert.equal(t.values?.[0], x.x0);
      assert.match(String(t.userAttrs['hwnas:worker']), new RegExp(`:${process.pid}$`));
    }
  } finally {
    await remote.close();
    await worker.close();
  }
});

test('a new study reusing an old study name on the same queue gets its own results, never the kept jobs of the old one', { skip }, async () => {
  const url = (redis as TestRedis).url;
  const worker = await runWorker({ redisUrl: url, queueName: 'q-reuse', concurrency: 2 });
  try {
    for (const [uid, seed] of [
      ['uid-a', 1],
      ['uid-b', 2],
    ] as const) {
      const remote = await makeRedisEvaluator({ redisUrl: url, queueName: 'q-reuse', evaluation: { name: 'zdt1' }, studyUid: uid, concurrency: 2 });
      try {
        const r = await runStudy({
          store: new MemoryStore(),
          studyName: 'same-name',
          space,
          objectives,
          strategy: new RandomSearch(),
          evaluate: remote.evaluate,
          concurrency: 2,
          nTrials: 4,
          seed,
        });
        // zdt1's first objective is x0: a result taken from the other study's job would not match these params
        for (const t of r.trials) assert.equal(t.values?.[0], (t.params as Record<string, number>).x0, `${uid} trial ${t.number}`);
      } finally {
        await remote.close();
      }
    }
    assert.equal(worker.completed(), 8, 'both studies ran all their trials');
  } finally {
    await worker.close();
  }
});

test('unknown evaluator and unreachable Redis are ConfigErrors', { skip }, async () => {
  await assert.rejects(makeRedisEvaluator({ redisUrl: (redis as TestRedis).url, evaluation: { name: 'nope' } }), /unknown evaluator 'nope'/);
  const port = await freePort();
  const down = `redis://127.0.0.1:${port}`;
  const named = (e: Error): boolean => e instanceof ConfigError && e.message.startsWith(`cannot connect to Redis at "${down}": connect ECONNREFUSED`);
  await assert.rejects(makeRedisEvaluator({ redisUrl: down, evaluation: { name: 'zdt1' } }), named);
  await assert.rejects(runWorker({ redisUrl: down, queueName: 'q' }), named);
  await assert.rejects(runWorker({ redisUrl: 'http://x', queueName: 'q' }), /expected the redis:\/\/ scheme/);
});

test('a process that ran a study through Redis exits by itself once closed', { skip }, async () => {
  const script = fileURLToPath(new URL('./testing/study-process.js', import.meta.url));
  // A leaked connection keeps the process alive: it is killed after a generous grace period (30 s on a quiet machine, scaled by the load)
  const { code, signal, stdout: out, stderr: err } = await spawnNode(process.cwd(), script, [(redis as TestRedis).url, 'q-exit'], { timeoutMs: 30_000 }).done;
  assert.deepEqual([code, signal], [0, null], `exit ${code} ${signal}; stderr: ${err}`);
  assert.equal(out.trim(), JSON.stringify(Array(4).fill('complete')));
  assert.equal(err, '', 'nothing printed on stderr');
});

test('worker and evaluator carry on after Redis restarts between studies', { skip }, async () => {
  let server = await startRedis();
  const port = Number(new URL(server.url).port);
  const worker = await runWorker({ redisUrl: server.url, queueName: 'q3' });
  const remote = await makeRedisEvaluator({ redisUrl: server.url, queueName: 'q3', evaluation: { name: 'zdt1' }, concurrency: 2 });
  try {
    const study = (studyName: string) =>
      runStudy({
        store: new MemoryStore(),
        studyName,
        space,
        objectives,
        strategy: new RandomSearch(),
        evaluate: remote.evaluate,
        concurrency: remote.concurrency,
        nTrials: 3,
        seed: 2,
      });
    assert.deepEqual(
      (await study('before')).trials.map((t) => t.state),
      Array(3).fill('complete'),
    );
    await server.stop();
    server = await startRedis({ port });
    assert.deepEqual(
      (await study('after')).trials.map((t) => t.state),
      Array(3).fill('complete'),
    );
    assert.equal(worker.completed(), 6);
  } finally {
    await remote.close();
    await worker.close();
    await server.stop();
  }
});

test('a state check whose Redis call never answers is abandoned and read again: every trial still gets its own result', {
  skip,
  timeout: testTimeout(60_000),
}, async () => {
  const url = (redis as TestRedis).url;
  // The study process talks to Redis through a proxy that can go silent (no reset, no answer): the stuck
  // connection of the hang seen once after a Redis restart. Workers talk to Redis directly.
  const proxy = await silenceableProxy(Number(new URL(url).port));
  const logged: string[] = [];
  const remote = await makeRedisEvaluator({
    redisUrl: `redis://127.0.0.1:${proxy.port}`,
    queueName: 'q-silent',
    evaluation: { name: 'zdt1' },
    concurrency: 2,
    checkIntervalMs: 100,
    callTimeoutMs: 500,
    log: (l) => logged.push(l),
  });
  const c = await connectRedis(url);
  const q = new Queue('q-silent', { connection: c.client });
  let worker: Awaited<ReturnType<typeof runWorker>> | undefined;
  try {
    const study = runStudy({
      store: new MemoryStore(),
      studyName: 'silent',
      space,
      objectives,
      strategy: new RandomSearch(),
      evaluate: remote.evaluate,
      concurrency: 2,
      nTrials: 3,
      seed: 5,
    });
    // no worker yet: the first two trials wait in the queue; then the study process's connections go silent
    // (its state checks and the QueueEvents read), so neither the completion events nor the checks' answers come
    while ((await q.getWaitingCount()) < 2) await new Promise((r) => setTimeout(r, 20));
    proxy.silence();
    worker = await runWorker({ redisUrl: url, queueName: 'q-silent', concurrency: 2 });
    const r = await study;
    assert.deepEqual(
      r.trials.map((t) => t.state),
      Array(3).fill('complete'),
    );
    for (const t of r.trials) assert.equal(t.values?.[0], t.params.x0, `trial ${t.number}: its own point's value`);
    assert.ok(
      logged.some((l) => /did not answer the state check of job \S+ within 500 ms: reconnecting/.test(l)),
      `a stuck call was abandoned: ${logged.join(' | ')}`,
    );
  } finally {
    proxy.close();
    await remote.close();
    await worker?.close();
    await q.close();
    await c.close();
  }
});

test('a worker killed with SIGKILL mid-trial: another worker reruns the trial, counted once', { skip }, async () => {
  const url = (redis as TestRedis).url;
  const script = fileURLToPath(new URL('./testing/worker-process.js', import.meta.url));
  const worker = spawnNode(process.cwd(), script, [url, 'q2']);
  const child = worker.child;
  const remote = await makeRedisEvaluator({ redisUrl: url, queueName: 'q2', evaluation: { name: 'zdt1', options: { delayMs: 400 } }, concurrency: 1 });
  let rescuer: Awaited<ReturnType<typeof runWorker>> | undefined;
  try {
    const store = new MemoryStore();
    const study = runStudy({ store, studyName: 'kill', space, objectives, strategy: new RandomSearch(), evaluate: remote.evaluate, nTrials: 3, seed: 8 });
    const jobId = await worker.signalWhen('SIGKILL', 'the worker process to start a job', () => /start (\S+)/.exec(worker.stdout())?.[1]);
    assert.equal((await worker.done).signal, 'SIGKILL');
    // the job id carries the study's uid, which the study loop gives the evaluation (no studyUid option here)
    const created = store.getStudy('kill');
    assert.ok(created);
    assert.equal(jobId, trialJobId('kill', 0, studyUid(created)));
    rescuer = await runWorker({ redisUrl: url, queueName: 'q2', lockDurationMs: 1000, stalledIntervalMs: 300 });
    const r = await study;
    assert.deepEqual(
      r.trials.map((t) => [t.number, t.state]),
      [
        [0, 'complete'],
        [1, 'complete'],
        [2, 'complete'],
      ],
    );
    assert.equal(r.created, 3, 'no retry trial was needed: the queue re-ran the job');
    assert.equal(rescuer.completed(), 3, 'the rescuer ran all three, including the killed one');
    const t0 = r.trials[0];
    assert.match(String(t0?.userAttrs['hwnas:worker']), new RegExp(`:${process.pid}$`));
    assert.equal(t0?.values?.[0], t0?.params.x0);
    const c = await connectRedis(url);
    const q = new Queue('q2', { connection: c.client });
    const job = await q.getJob(jobId);
    assert.ok((job?.stalledCounter ?? 0) >= 1, `job ${jobId} was detected stalled (stalledCounter ${job?.stalledCounter})`);
    await q.close();
    await c.close();
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await remote.close();
    await rescuer?.close();
  }
});

test('the study process killed with SIGKILL: on resume its queued and running jobs are taken over, not run a second time', { skip }, async () => {
  const url = (redis as TestRedis).url;
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { SqliteStore } = await import('../store/sqlite-store.js');
  const { ADOPTED_JOB_ATTR } = await import('./redis.js');
  const work = mkdtempSync(join(tmpdir(), 'hwnas-orphans-'));
  const path = join(work, 's.sqlite');
  const nTrials = 10;
  const runs = new Map<string, number>(); // job id -> times a worker started it
  let resolveStarted: () => void = () => undefined;
  const threeStarted = new Promise<void>((r) => {
    resolveStarted = r;
  });
  const worker = await runWorker({
    redisUrl: url,
    queueName: 'q-orphans',
    concurrency: 2,
    onJob: (e) => {
      if (e.event !== 'start') return;
      runs.set(e.jobId, (runs.get(e.jobId) ?? 0) + 1);
      if ([...runs.values()].reduce((a, b) => a + b, 0) >= 3) resolveStarted();
    },
  });
  const script = fileURLToPath(new URL('./testing/redis-study-process.js', import.meta.url));
  const child = spawn(process.execPath, [script, url, 'q-orphans', path, String(nTrials), 'uid-o'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, sig) => r(sig)));
  let remote: Awaited<ReturnType<typeof makeRedisEvaluator>> | undefined;
  try {
    await threeStarted; // two running on the worker, more waiting in the queue
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const store = new SqliteStore(path);
    const orphaned = store.getTrials('orphans', ['running']).map((t) => t.number);
    assert.ok(orphaned.length >= 2, `trials left running by the killed process: ${orphaned.join(', ')}`);
    remote = await makeRedisEvaluator({
      redisUrl: url,
      queueName: 'q-orphans',
      evaluation: { name: 'zdt1', options: { delayMs: 300 } },
      studyUid: 'uid-o',
      concurrency: 4,
    });
    const r = await runStudy({
      store,
      studyName: 'orphans',
      space,
      objectives,
      strategy: new RandomSearch(),
      evaluate: remote.evaluate,
      concurrency: 4,
      nTrials,
      seed: 3,
    });
    const complete = r.trials.filter((t) => t.state === 'complete');
    assert.equal(complete.length, nTrials);
    assert.equal(r.recovered, orphaned.length);
    // every job ran once, and every point was evaluated once: the orphans' work was used, not repeated
    for (const [id, k] of runs) assert.equal(k, 1, `job ${id} started ${k} times`);
    assert.equal(runs.size, nTrials, `jobs run: ${[...runs.keys()].join(', ')}`);
    const adopted = complete.filter((t) => t.userAttrs[ADOPTED_JOB_ATTR] !== undefined);
    assert.ok(adopted.length >= 1, 'some retry took over an orphaned job');
    for (const t of complete) {
      assert.equal(t.values?.[0], t.params.x0, `trial ${t.number}: its own point's value`);
      const of = t.userAttrs['hwnas:retry_of'];
      if (t.userAttrs[ADOPTED_JOB_ATTR] !== undefined) assert.equal(t.userAttrs[ADOPTED_JOB_ATTR], trialJobId('orphans', of as number, 'uid-o'));
    }
    store.close();
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await remote?.close();
    await worker.close();
    rmSync(work, { recursive: true, force: true });
  }
});

/*
 * A study run through Redis with several trials in flight proposes the same point per trial number in two runs with the
 * same seed, when the workers' evaluations take random times that differ between the runs (the rule of `--threads n`:
 * ../study/proposal-view.ts).
 */
const jitterObjectives = [
  { name: 'f1', direction: 'minimize' },
  { name: 'f2', direction: 'minimize' },
] as const;
const xy = new SearchSpace({ x: { kind: 'float', low: 0, high: 1 }, y: { kind: 'float', low: 0, high: 1 } });
// runs in the worker (in this process): answers after 0-15 ms drawn from the option timingSeed and the trial number
registerEvaluation({
  name: 'test-jitter',
  description: 'a two-objective test problem that takes a random time (tests only)',
  objectives: () => [...jitterObjectives],
  create: (options) => async (p, ctx) => {
    await new Promise((r) => setTimeout(r, new Rng(trialSeed(Number(options.timingSeed), ctx.trialNumber)).int(0, 15)));
    const x = p.x as number;
    const g = 1 + 9 * (p.y as number);
    return { values: [x, g * (1 - Math.sqrt(x / g))] };
  },
});

test('--redis with 3 trials in flight: the same seed proposes the same point per trial number whatever the durations', { skip }, async () => {
  const url = (redis as TestRedis).url;
  const worker = await runWorker({ redisUrl: url, queueName: 'q-repro', concurrency: 3 });
  try {
    const runs = [];
    for (const timingSeed of [1, 2]) {
      const remote = await makeRedisEvaluator({
        redisUrl: url,
        queueName: 'q-repro',
        evaluation: { name: 'test-jitter', options: { timingSeed } },
        studyUid: `repro-${timingSeed}`,
        concurrency: 3,
      });
      try {
        const r = await runStudy({
          store: new MemoryStore(),
          studyName: 'repro',
          space: xy,
          objectives: jitterObjectives,
          strategy: createStrategy('tpe', defaultStrategyOptions('tpe', 20, xy.encodedDimension)),
          evaluate: remote.evaluate,
          concurrency: remote.concurrency,
          nTrials: 20,
          seed: 7,
        });
        runs.push(r.trials.map((t) => t.params));
      } finally {
        await remote.close();
      }
    }
    assert.equal(runs[0]?.length, 20);
    assert.deepEqual(runs[1], runs[0]);
  } finally {
    await worker.close();
  }
});
