import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { paretoTrials, toMinimization, violation } from '../search/pareto.js';
import type { JsonValue, Objective, Trial } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/types.js';
import { Rng } from '../util/rng.js';
import { ATTR, StudyHistory } from './study-history.js';

/** Reference: the bookkeeping recomputed from the whole history (what the loop did before the cache). */
function reference(
  history: readonly Trial[],
  objectives: readonly Objective[],
  maxRetries: number,
  retryOnError: boolean,
): { counted: number; retry: number | undefined; running: number; best: number[] } {
  const retryable = (t: Trial): boolean => {
    const r = t.userAttrs[ATTR.failReason];
    return t.state === 'failed' && (r === 'worker-died' || r === 'aborted' || (retryOnError && r === 'error'));
  };
  const retried = new Set<number>();
  const depth = new Map<number, number>();
  for (const t of history) {
    const of = t.userAttrs[ATTR.retryOf];
    if (typeof of === 'number') {
      retried.add(of);
      depth.set(t.number, (depth.get(of) ?? 0) + 1);
    }
  }
  let counted = 0;
  const retries: number[] = [];
  for (const t of history) {
    if (retried.has(t.number)) continue;
    if (retryable(t) && (depth.get(t.number) ?? 0) < maxRetries) retries.push(t.number);
    else counted++;
  }
  let best: number[];
  if (objectives.length > 1) best = paretoTrials(history, objectives).map((t) => t.number);
  else {
    let b: Trial | undefined;
    let bv = Infinity;
    for (const t of history) {
      if (t.state !== 'complete' || t.values === null || violation(t.constraints) > 0) continue;
      const v = toMinimization(t.values, objectives)[0] as number;
      if (v < bv) [b, bv] = [t, v];
    }
    best = b ? [b.number] : [];
  }
  return { counted, retry: retries[0], running: history.filter((t) => t.state === 'running').length, best };
}

/**
 * Random interleavings of two writers on one study (creating, finishing in any order, failing with
 * every reason, retrying, coarse values so that ties occur); after every step the cached view of
 * writer A (which reads only what changed) must equal the reference computed from a full read.
 */
function fuzz(label: string, objectives: readonly Objective[], open: () => { a: Store; b: Store; done: () => void }): void {
  test(`StudyHistory equals a full recomputation after every change (${label}, ${objectives.length} objective(s))`, () => {
    for (const [seed, maxRetries, retryOnError] of [
      [1, 1, false],
      [2, 2, true],
      [3, 0, true],
    ] as const) {
      const { a, b, done } = open();
      try {
        a.createStudy({ name: 's', objectives });
        const h = new StudyHistory({ store: a, studyName: 's', objectives, maxRetries, retryOnError });
        const rng = new Rng(seed);
        const running: number[] = [];
        for (let step = 0; step < 150; step++) {
          const w = rng.next() < 0.5 ? a : b;
          const r = rng.next();
          if (running.length === 0 || r < 0.45) {
            const failed = a.getTrials('s', ['failed']);
            const userAttrs: Record<string, JsonValue> = {};
            if (failed.length > 0 && rng.next() < 0.3) userAttrs[ATTR.retryOf] = rng.choice(failed).number;
            const t = w.createTrial('s', { params: { step }, userAttrs });
            if (w === a) h.put(t);
            running.push(t.number);
          } else {
            const [n] = running.splice(rng.int(0, running.length - 1), 1) as [number];
            const k = rng.next();
            const values = objectives.map(() => rng.int(0, objectives.length > 1 ? 4 : 1));
            const f = w.finishTrial(
              's',
              n,
              k < 0.6
                ? { state: 'complete', values, ...(rng.next() < 0.2 ? { constraints: [rng.int(-1, 1)] } : {}) }
                : k < 0.7
                  ? { state: 'pruned' }
                  : { state: 'failed', userAttrs: { [ATTR.failReason]: rng.choice(['worker-died', 'aborted', 'error', 'non-finite']) } },
            );
            if (w === a) h.put(f);
          }
          if (rng.next() < 0.7) {
            h.refresh();
            const all = a.getTrials('s');
            const want = reference(all, objectives, maxRetries, retryOnError);
            assert.deepEqual(h.trials(), all, `seed ${seed} step ${step}: trials`);
            assert.deepEqual(
              { counted: h.counted, retry: h.nextRetry()?.number, running: h.running, best: h.best().map((t) => t.number) },
              want,
              `seed ${seed} step ${step}`,
            );
          }
        }
      } finally {
        done();
      }
    }
  });
}

const two: readonly Objective[] = [
  { name: 'f1', direction: 'minimize' },
  { name: 'f2', direction: 'maximize' },
];
const one: readonly Objective[] = [{ name: 'f', direction: 'maximize' }];

for (const objectives of [two, one]) {
  fuzz('one memory store, two writers', objectives, () => {
    const m = new MemoryStore();
    return { a: m, b: m, done: () => m.close() };
  });
  fuzz('sqlite, two store objects on one file', objectives, () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-history-'));
    const path = join(dir, 'hwnas.sqlite');
    const a = new SqliteStore(path);
    const b = new SqliteStore(path);
    return {
      a,
      b,
      done: () => {
        a.close();
        b.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}

test('StudyHistory.trials() is a snapshot: later changes do not show through it', () => {
  const store = new MemoryStore();
  store.createStudy({ name: 's', objectives: one });
  const h = new StudyHistory({ store, studyName: 's', objectives: one });
  h.put(store.createTrial('s', { params: { x: 1 } }));
  const snap = h.trials();
  h.put(store.finishTrial('s', 0, { state: 'complete', values: [1] }));
  h.put(store.createTrial('s', { params: { x: 2 } }));
  assert.deepEqual(
    snap.map((t) => t.state),
    ['running'],
  );
  assert.deepEqual(
    h.trials().map((t) => t.state),
    ['complete', 'running'],
  );
});

test('StudyHistory: of equal best values the lowest-numbered trial wins, whatever the finishing order', () => {
  const store = new MemoryStore();
  store.createStudy({ name: 's', objectives: one });
  const h = new StudyHistory({ store, studyName: 's', objectives: one });
  for (let i = 0; i < 3; i++) h.put(store.createTrial('s', { params: { i } }));
  h.put(store.finishTrial('s', 2, { state: 'complete', values: [5] }));
  assert.deepEqual(
    h.best().map((t) => t.number),
    [2],
  );
  h.put(store.finishTrial('s', 0, { state: 'complete', values: [5] }));
  h.put(store.finishTrial('s', 1, { state: 'complete', values: [5] }));
  assert.deepEqual(
    h.best().map((t) => t.number),
    [0],
  );
  assert.deepEqual(reference(store.getTrials('s'), one, 1, false).best, [0]);
});
