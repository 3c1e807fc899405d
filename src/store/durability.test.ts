import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Nsga2 } from '../search/strategies/nsga2.js';
import { ATTR, runStudy } from '../study/run-study.js';
import { SqliteStore } from './sqlite-store.js';
import { durabilityObjectives, durabilitySpace } from './testing/durability-child.js';

const child = fileURLToPath(new URL('./testing/durability-child.js', import.meta.url));

/** Starts the child and SIGKILLs it as soon as `killWhen` is true of the lines seen; resolves with them. */
function runAndKill(
  path: string,
  hangAt: number,
  nTrials: number,
  killWhen: (done: number[], started: number[]) => boolean,
): Promise<{ done: number[]; started: number[]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, path, String(hangAt), String(nTrials)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done: number[] = [];
    const started: number[] = [];
    let buf = '';
    let err = '';
    let killed = false;
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const [what, n] = line.split(' ');
        if (killed) continue; // anything after the kill decision is not relied upon
        if (what === 'done') done.push(Number(n));
        if (what === 'started') started.push(Number(n));
        if (killWhen(done, started)) {
          killed = true;
          p.kill('SIGKILL');
        }
      }
    });
    p.on('error', reject);
    p.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve({ done, started, signal }) : reject(new Error(`child exited ${code} before the kill: ${err}`)),
    );
  });
}

test('kill -9 while trials are being written loses no completed trial; resume fails and retries the running one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-crash-'));
  const path = join(dir, 'hwnas.sqlite');
  try {
    // 1. Fast trials: kill at an arbitrary moment of a stream of commits.
    const fast = await runAndKill(path, -1, 100_000, (done) => done.length >= 60);
    let store = new SqliteStore(path);
    const trials = store.getTrials('crash');
    for (const n of fast.done) assert.equal(trials[n]?.state, 'complete', `trial ${n} was reported done before the kill`);
    assert.ok(trials.filter((t) => t.state === 'running').length <= 1);
    store.close();
    const db = new Database(path);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();

    // 2. Kill while a known trial is mid-evaluation.
    const hangAt = trials.length + 5;
    const hung = await runAndKill(path, hangAt, 100_000, (_done, started) => started.includes(hangAt));
    assert.ok(hung.done.length >= 5);
    store = new SqliteStore(path);
    const before = store.getTrial('crash', hangAt);
    assert.equal(before?.state, 'running');
    const target = hangAt + 10;
    const r = await runStudy({
      store,
      studyName: 'crash',
      space: durabilitySpace,
      objectives: durabilityObjectives,
      strategy: new Nsga2({ populationSize: 8 }),
      nTrials: target,
      seed: 1,
      evaluate: async (p) => ({ values: [((p.x as number) - 0.3) ** 2, p.n as number] }),
    });
    assert.ok(r.recovered >= 1);
    assert.equal(store.getTrial('crash', hangAt)?.state, 'failed');
    assert.equal(store.getTrial('crash', hangAt)?.userAttrs[ATTR.failReason], 'worker-died');
    const retry = r.trials.find((t) => t.userAttrs[ATTR.retryOf] === hangAt);
    assert.deepEqual(retry?.params, before?.params);
    assert.equal(retry?.state, 'complete');
    assert.equal(r.trials.filter((t) => t.state === 'running').length, 0);
    for (const n of [...fast.done, ...hung.done]) assert.equal(r.trials[n]?.state, 'complete');
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
