import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SearchSpace } from '../src/search/space.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { seedSeconds, storedTrials } from './nas-blockwise-qa.js';

test('seedSeconds: a read-back study keeps the earlier record seconds, a new or resumed one takes this run', () => {
  // read back: as many finished trials before the run as after it
  assert.deepEqual(seedSeconds(4, 16, 16, { seconds: 3141 }), { seconds: 3141, run: 'read back' });
  assert.deepEqual(seedSeconds(4, 16, 16, null), { seconds: null, run: 'read back' });
  assert.deepEqual(seedSeconds(4, 16, 16, { seconds: 'x' }), { seconds: null, run: 'read back' });
  // a record kept from a read-back run is kept again (the search time survives any number of re-runs)
  const first = seedSeconds(3000, 0, 16, null);
  assert.deepEqual(first, { seconds: 3000, run: 'new' });
  const again = seedSeconds(5, 16, 16, first);
  const third = seedSeconds(3, 16, 16, again);
  assert.equal(third.seconds, 3000);
  // new: the earlier record (of another study, e.g. a deleted store) is not used
  assert.deepEqual(seedSeconds(2500, 0, 16, { seconds: 3141 }), { seconds: 2500, run: 'new' });
  assert.deepEqual(seedSeconds(900, 10, 16, { seconds: 3141 }), { seconds: 900, run: 'resumed' });
});

test('storedTrials: finished trials of the store study; 0 for no file, no schema or no study', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-bwqa-test-'));
  try {
    assert.equal(storedTrials(join(dir, 'none.sqlite')), 0);
    const empty = join(dir, 'empty.sqlite');
    writeFileSync(empty, '');
    assert.equal(storedTrials(empty), 0);
    const path = join(dir, 's.sqlite');
    const store = new SqliteStore(path);
    assert.equal(storedTrials(path), 0);
    store.createStudy({
      name: 'x',
      objectives: [{ name: 'acc', direction: 'maximize' }],
      space: new SearchSpace({ a: { kind: 'int', low: 0, high: 9 } }).toJSON(),
    });
    store.createTrial('x', { params: { a: 1 } });
    store.finishTrial('x', 0, { state: 'complete', values: [0.5] });
    store.createTrial('x', { params: { a: 2 } });
    store.finishTrial('x', 1, { state: 'failed' });
    store.createTrial('x', { params: { a: 3 } });
    store.finishTrial('x', 2, { state: 'complete', values: [0.6] });
    store.createTrial('x', { params: { a: 4 } });
    store.close();
    assert.equal(storedTrials(path), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
