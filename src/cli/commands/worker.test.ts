/** `hwnas worker`: stop signals (SIGTERM as SIGINT, also with Redis down), the banner, blank --queue (review53 #4, #5, #11a). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import type { SearchSpace } from '../../search/space.js';
import { RandomSearch } from '../../search/strategies/random.js';
import { MemoryStore } from '../../store/memory-store.js';
import { runStudy } from '../../study/run-study.js';
import '../../workers/builtin.js';
import { makeRedisEvaluator } from '../../workers/redis.js';
import { getEvaluation } from '../../workers/registry.js';
import { redisSkipReason, startRedis } from '../../workers/testing/redis-server.js';
import { HWNAS_BIN, runHwnas, spawnHwnas } from '../testing/run-cli.js';

const skip = redisSkipReason();
const dir = mkdtempSync(join(tmpdir(), 'hwnas-worker-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('hwnas worker --queue "" exits 2 naming the empty name (it used to take the default queue)', { skip }, async () => {
  const redis = await startRedis();
  try {
    const r = await runHwnas(dir, 'worker', '--redis', redis.url, '--queue', '');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /queue name "" is empty/);
  } finally {
    await redis.stop();
  }
});

test('hwnas worker: SIGTERM while it is still connecting stops it (exit 143), saying so (it used to die by the signal)', async () => {
  // a server that takes the connection and never answers: the worker is still connecting when the signal comes
  const sockets: Socket[] = [];
  let accepted: () => void = () => undefined;
  const connected = new Promise<void>((r) => {
    accepted = r;
  });
  const server = createServer((s) => {
    sockets.push(s);
    accepted();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const w = spawnHwnas(dir, ['worker', '--redis', `redis://127.0.0.1:${port}`, '--queue', 'silent'], { timeoutMs: 60_000 });
  try {
    await connected;
    w.child.kill('SIGTERM');
    const r = await w.done;
    assert.deepEqual([r.code, r.signal], [143, null], r.stderr);
    assert.match(r.stderr, /stopped before the worker connected \(SIGTERM\)/);
  } finally {
    if (!w.exited()) w.child.kill('SIGKILL');
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test('hwnas worker: SIGTERM while Redis is down stops it at once (exit 143), saying so', { skip }, async () => {
  const redis = await startRedis();
  const w = spawnHwnas(dir, ['worker', '--redis', redis.url, '--queue', 'down'], { timeoutMs: 60_000 });
  try {
    await w.waitFor('the banner', () => /hwnas worker on .* queue down \(Ctrl-C to stop\)/.test(w.stderr()));
    await redis.stop();
    w.child.kill('SIGTERM');
    const r = await w.done;
    assert.deepEqual([r.code, r.signal], [143, null], r.stderr);
    assert.match(r.stderr, /Redis unreachable; stopping without waiting for it/);
  } finally {
    if (!w.exited()) w.child.kill('SIGKILL');
    await redis.stop();
  }
});

test('hwnas worker: banner first; Ctrl-C during a trial says it finishes it (uid in the label), then exits 0', { skip }, async () => {
  const redis = await startRedis();
  const w = spawnHwnas(dir, ['worker', '--redis', redis.url, '--queue', 'cc']);
  const zdt1 = getEvaluation('zdt1');
  // the study is enqueued before the worker is ready: its first trial line must still come after the banner
  const remote = await makeRedisEvaluator({
    redisUrl: redis.url,
    queueName: 'cc',
    evaluation: { name: 'zdt1', options: { delayMs: 1500 } },
    studyUid: 'abcdef12-3456',
    concurrency: 1,
  });
  try {
    const study = runStudy({
      store: new MemoryStore(),
      studyName: 'c',
      space: zdt1.defaultSpace?.({ n: 2 }) as SearchSpace,
      objectives: zdt1.objectives({}),
      strategy: new RandomSearch(),
      evaluate: remote.evaluate,
      nTrials: 1,
      seed: 1,
    });
    await w.signalWhen('SIGINT', 'trial c#0 to start', () => w.stderr().includes('trial c#0 (uid abcdef12) started'));
    const r = await w.done;
    assert.deepEqual([r.code, r.signal], [0, null], r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0] ?? '', /^hwnas worker on redis:\/\/127\.0\.0\.1:\d+ queue cc \(Ctrl-C to stop\)$/);
    assert.deepEqual(lines.slice(1, 3), ['trial c#0 (uid abcdef12) started', 'finishing c#0 (uid abcdef12) (Ctrl-C again to abandon)']);
    assert.match(lines[3] ?? '', /^trial c#0 \(uid abcdef12\) done \[/);
    assert.equal(lines[4], 'worker stopped after 1 trials');
    assert.equal((await study).trials[0]?.state, 'complete');
  } finally {
    if (!w.exited()) w.child.kill('SIGKILL');
    await remote.close();
    await redis.stop();
  }
});

test('hwnas nas --redis --threads 3: three trials in flight on the queue, and a line saying it waits for workers (--threads was ignored)', {
  skip,
}, async () => {
  const redis = await startRedis();
  const table = resolve(HWNAS_BIN, '../../bench/nb201-fmnist.csv');
  const args = ['nas', '--space', 'nb201', '--table', table, '--strategy', 'random', '--budget', '10', '--redis', redis.url, '--queue', 'idle'];
  const p = spawnHwnas(dir, [...args, '--threads', '3', '--store', 'inflight.sqlite'], { timeoutMs: 60_000 });
  try {
    // no worker listens on 'idle': the study enqueues its trials in flight and says it waits
    await p.waitFor('the waiting line', () => /trial\(s\) enqueued on queue 'idle'/.test(p.stderr()));
    assert.match(p.stderr(), /3 trial\(s\) enqueued on queue 'idle' at redis:\/\/[^;]+; waiting for workers \(hwnas worker --redis /);
    p.child.kill('SIGINT');
    const r = await p.done;
    assert.equal(r.code, 130, r.stderr);
  } finally {
    if (!p.exited()) p.child.kill('SIGKILL');
    await redis.stop();
  }
});
