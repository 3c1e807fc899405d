/**
 * Several processes running one study on one SQLite store (`hwnas study run <name> --threads 0`, four at
 * once): the trials they create together stop at nTrials exactly, numbered without gaps, with each
 * proposal index used once, because every trial is reserved against the budget inside the store's
 * write transaction (Store.tryCreateTrial).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runHwnas, spawnHwnas } from '../cli/testing/run-cli.js';
import { MemoryStore } from '../store/memory-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { ATTR } from './run-study.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-concurrent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('four `hwnas study run` processes on one study: exactly nTrials trials, no gaps, no proposal twice', async () => {
  for (const [round, nTrials] of [
    [0, 200],
    [1, 61],
  ] as const) {
    const work = mkdtempSync(join(dir, `run${round}-`));
    const name = `four-${round}`;
    writeFileSync(
      join(work, 'study.json'),
      JSON.stringify({ name, evaluator: { name: 'zdt1', options: { n: 4 } }, strategy: 'random', nTrials, seed: round, concurrency: 2 }),
    );
    const created = await runHwnas(work, 'study', 'create', '--config', 'study.json', '--store', 's.sqlite');
    assert.equal(created.code, 0, created.stderr);
    const runs = await Promise.all([0, 1, 2, 3].map(() => spawnHwnas(work, ['study', 'run', name, '--threads', '0', '--store', 's.sqlite', '--json']).done));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const s = new SqliteStore(join(work, 's.sqlite'), { readonly: true });
    try {
      const trials = s.getTrials(name);
      assert.equal(trials.length, nTrials, `${trials.length} trials created for nTrials ${nTrials}`);
      assert.deepEqual(
        trials.map((t) => t.number),
        trials.map((_, i) => i),
      );
      assert.equal(trials.filter((t) => t.state === 'complete').length, nTrials);
      // random proposals come from the proposal index: a repeated point means two processes used one index
      const points = new Set(trials.map((t) => JSON.stringify(t.params)));
      assert.equal(points.size, nTrials, 'every proposal index used once');
    } finally {
      s.close();
    }
  }
});

test('tryCreateTrial: nothing is written when admit says no; admit sees the trials written before it', () => {
  const path = join(dir, 'admit.sqlite');
  for (const store of [new MemoryStore(), new SqliteStore(path)]) {
    store.createStudy({ name: 's', objectives: [{ name: 'y', direction: 'minimize' }] });
    store.createTrial('s', { params: { x: 1 } });
    let seen = -1;
    const no = store.tryCreateTrial('s', { params: { x: 2 } }, () => {
      seen = store.getTrials('s').length;
      return false;
    });
    assert.equal(no, undefined);
    assert.equal(seen, 1);
    assert.equal(store.getTrials('s').length, 1);
    const yes = store.tryCreateTrial('s', { params: { x: 3 }, userAttrs: { [ATTR.retryOf]: 0 } }, () => true);
    assert.equal(yes?.number, 1);
    assert.deepEqual(store.getTrial('s', 1)?.params, { x: 3 });
    store.close();
  }
});
