import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SearchSpace } from '../search/space.js';
import { Nsga2 } from '../search/strategies/nsga2.js';
import { RandomSearch } from '../search/strategies/random.js';
import type { AskContext, Objective, Params } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { ATTR, type EvaluationResult, type RunStudyOptions, runStudy, type StudyProgress } from './run-study.js';

const space = new SearchSpace({
  x: { kind: 'float', low: 0, high: 1 },
  y: { kind: 'float', low: 0, high: 1 },
  k: { kind: 'categorical', choices: ['a', 'b'] },
});
const objectives: readonly Objective[] = [
  { name: 'f1', direction: 'minimize' },
  { name: 'f2', direction: 'maximize' },
];
const evaluate = async (p: Params): Promise<EvaluationResult> => ({
  values: [p.x as number, (p.y as number) - (p.x as number) ** 2],
  constraints: [(p.y as number) - 0.9],
});
const base = (store: MemoryStore, extra: Partial<RunStudyOptions> = {}): RunStudyOptions => ({
  store,
  studyName: 's',
  space,
  objectives,
  strategy: new Nsga2({ populationSize: 6 }),
  evaluate,
  nTrials: 20,
  seed: 5,
  ...extra,
});

test('runs to the budget, reporting progress with a Pareto set and an ETA', async () => {
  const store = new MemoryStore();
  const seen: StudyProgress[] = [];
  const r = await runStudy(base(store, { onProgress: (p) => seen.push(p) }));
  assert.equal(r.trials.length, 20);
  assert.ok(r.trials.every((t) => t.state === 'complete'));
  assert.deepEqual(
    seen.map((p) => p.done),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.ok(seen.every((p) => p.total === 20 && p.etaMs !== null && p.best.length >= 1));
  assert.equal(seen.at(-1)?.etaMs, 0);
  assert.ok(
    r.best.every((t) => (t.constraints?.[0] as number) <= 0),
    'best set is feasible',
  );
  assert.deepEqual(store.getStudy('s')?.userAttrs, { seed: 5, strategy: 'nsga2' });
  assert.deepEqual(store.getStudy('s')?.space, space.toJSON());
});

test('progress of a resumed study at concurrency 2: done counts finished trials, 3..8 after 2 stored, the budget once', async () => {
  const store = new MemoryStore();
  await runStudy(base(store, { nTrials: 2 }));
  const seen: number[] = [];
  // two evaluations in flight, each finishing a tick after it starts: the other one is running when one finishes
  const slow = async (p: Params): Promise<EvaluationResult> => {
    await new Promise((r) => setTimeout(r, 1));
    return evaluate(p);
  };
  await runStudy(base(store, { nTrials: 8, concurrency: 2, evaluate: slow, onProgress: (p) => seen.push(p.done) }));
  assert.deepEqual(seen, [3, 4, 5, 6, 7, 8]);
});

test('a resumed study (fresh strategy, history from the store) proposes what an uninterrupted one does', async () => {
  const straight = await runStudy(base(new MemoryStore()));
  const store = new MemoryStore();
  await runStudy(base(store, { nTrials: 9 }));
  const resumed = await runStudy(base(store, { strategy: new Nsga2({ populationSize: 6 }) }));
  assert.equal(resumed.created, 11);
  assert.deepEqual(
    resumed.trials.map((t) => t.params),
    straight.trials.map((t) => t.params),
  );
});

test('an abort signal stops the study, keeps finished trials, and resume completes it', async () => {
  const store = new MemoryStore();
  const ac = new AbortController();
  const r = await runStudy(base(store, { signal: ac.signal, onProgress: (p) => p.done === 5 && ac.abort() }));
  assert.equal(r.aborted, true);
  assert.deepEqual(
    store.getTrials('s').map((t) => t.state),
    Array(5).fill('complete'),
  );
  const again = await runStudy(base(store));
  assert.equal(again.aborted, false);
  assert.equal(again.trials.length, 20);
});

test('an evaluation that honours the signal leaves an aborted trial, which resume retries', async () => {
  const store = new MemoryStore();
  const ac = new AbortController();
  const slow = (p: Params, ctx: { signal: AbortSignal; trialNumber: number }): Promise<EvaluationResult> =>
    ctx.trialNumber === 3
      ? new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => reject(new Error('interrupted')));
          ac.abort();
        })
      : evaluate(p);
  await runStudy(base(store, { signal: ac.signal, evaluate: slow }));
  const t3 = store.getTrial('s', 3);
  assert.equal(t3?.state, 'failed');
  assert.equal(t3?.userAttrs[ATTR.failReason], 'aborted');
  const r = await runStudy(base(store, { nTrials: 6 }));
  const retry = r.trials.find((t) => t.userAttrs[ATTR.retryOf] === 3);
  assert.deepEqual(retry?.params, t3?.params);
  assert.equal(r.trials.filter((t) => t.state === 'complete').length, 6);
});

test('evaluation errors fail the trial and are rethrown, or caught and optionally retried', async () => {
  const store = new MemoryStore();
  const bad = async (p: Params, ctx: { trialNumber: number }): Promise<EvaluationResult> => {
    if (ctx.trialNumber === 2) throw new Error('out of memory');
    return evaluate(p);
  };
  await assert.rejects(runStudy(base(store, { evaluate: bad })), /out of memory/);
  assert.equal(store.getTrial('s', 2)?.state, 'failed');
  assert.equal(store.getTrial('s', 2)?.userAttrs[ATTR.error], 'out of memory');
  const caught = await runStudy(base(new MemoryStore(), { evaluate: bad, catchErrors: true, nTrials: 5 }));
  assert.deepEqual(
    caught.trials.map((t) => t.state),
    ['complete', 'complete', 'failed', 'complete', 'complete'],
  );
  const retried = await runStudy(base(new MemoryStore(), { evaluate: bad, catchErrors: true, nTrials: 5, retry: { onError: true } }));
  assert.equal(retried.trials.length, 6);
  const retry = retried.trials.find((t) => t.userAttrs[ATTR.retryOf] === 2);
  assert.deepEqual(retry?.params, retried.trials[2]?.params);
  assert.equal(retried.trials.filter((t) => t.state === 'complete').length, 5);
  await assert.rejects(runStudy(base(new MemoryStore(), { evaluate: async () => ({ values: [1] }) })), /returned values \[1\]; expected 2 numbers \(f1, f2\)/);
});

test('running trials of a dead process are marked failed and retried with the same params', async () => {
  const store = new MemoryStore();
  await runStudy(base(store, { nTrials: 4 }));
  const orphan = store.createTrial('s', { params: { x: 0.25, y: 0.5, k: 'b' }, worker: `${hostname()}:2147483646:dead` });
  const r = await runStudy(base(store, { nTrials: 8 }));
  assert.equal(r.recovered, 1);
  assert.equal(store.getTrial('s', orphan.number)?.userAttrs[ATTR.failReason], 'worker-died');
  const retry = r.trials.find((t) => t.userAttrs[ATTR.retryOf] === orphan.number);
  assert.deepEqual(retry?.params, orphan.params);
  assert.equal(r.trials.filter((t) => t.state === 'complete').length, 8);
});

test('a study whose process died mid-trial, resumed, proposes what an uninterrupted one does (the retry does not shift later proposals)', async () => {
  const straight = await runStudy(base(new MemoryStore(), { strategy: new RandomSearch(), nTrials: 8 }));
  const store = new MemoryStore();
  await runStudy(base(store, { strategy: new RandomSearch(), nTrials: 4 }));
  // the uninterrupted run's trial 4, left running by a process that died
  store.createTrial('s', { params: straight.trials[4]?.params ?? {}, worker: `${hostname()}:2147483646:dead` });
  const r = await runStudy(base(store, { strategy: new RandomSearch(), nTrials: 8 }));
  assert.equal(r.recovered, 1);
  const proposals = r.trials.filter((t) => t.userAttrs[ATTR.retryOf] === undefined).map((t) => t.params);
  assert.deepEqual(
    proposals,
    straight.trials.map((t) => t.params),
  );
});

test('a study whose process died mid-trial, resumed, evaluates every trial with the seed of an uninterrupted run', async () => {
  // A seeded evaluation (as training is): its values depend on the seed handed to it, not only on the point.
  const seeded = async (p: Params, ctx: { seed: number }): Promise<EvaluationResult> => ({
    values: [p.x as number, (ctx.seed % 1000) / 1000],
    userAttrs: { seed: ctx.seed },
  });
  const opts = { strategy: new RandomSearch(), evaluate: seeded, nTrials: 8 };
  const straight = await runStudy(base(new MemoryStore(), opts));
  const store = new MemoryStore();
  await runStudy(base(store, { ...opts, nTrials: 4 }));
  // the uninterrupted run's trial 4, left running by a process that died
  store.createTrial('s', { params: straight.trials[4]?.params ?? {}, worker: `${hostname()}:2147483646:dead` });
  const r = await runStudy(base(store, { ...opts, strategy: new RandomSearch() }));
  assert.equal(r.recovered, 1);
  const done = r.trials.filter((t) => t.state === 'complete');
  assert.deepEqual(
    done.map((t) => [t.params, t.values, t.userAttrs.seed]),
    straight.trials.map((t) => [t.params, t.values, t.userAttrs.seed]),
  );
  // the retry (trial 5) has its first attempt's (trial 4's) seed; trial 6 has that of the uninterrupted run's trial 5
  assert.equal(r.trials[5]?.userAttrs[ATTR.retryOf], 4);
  assert.equal(r.trials[5]?.userAttrs.seed, straight.trials[4]?.userAttrs.seed);
});

test('a trial killed twice is run a third time by default (maxRetries 3): the budget counts completed trials', async () => {
  const store = new MemoryStore();
  await runStudy(base(store, { nTrials: 3 }));
  const dead = `${hostname()}:2147483646:dead`;
  const first = store.createTrial('s', { params: { x: 0.25, y: 0.5, k: 'b' }, worker: dead });
  await runStudy(base(store, { nTrials: 3 })); // marks it failed (worker-died); nothing more to run
  // its retry dies too
  store.createTrial('s', { params: first.params, userAttrs: { [ATTR.retryOf]: first.number }, worker: dead });
  const r = await runStudy(base(store, { nTrials: 4 }));
  assert.equal(r.trials.filter((t) => t.state === 'complete').length, 4);
  const third = r.trials.find((t) => t.userAttrs[ATTR.retryOf] === first.number + 1);
  assert.deepEqual(third?.params, first.params);
  assert.equal(third?.state, 'complete');
  const limited = new MemoryStore();
  await runStudy(base(limited, { nTrials: 3 }));
  const one = limited.createTrial('s', { params: first.params, worker: dead });
  limited.createTrial('s', { params: first.params, userAttrs: { [ATTR.retryOf]: one.number }, worker: dead });
  const r1 = await runStudy(base(limited, { nTrials: 4, retry: { maxRetries: 1 } }));
  assert.equal(r1.trials.filter((t) => t.state === 'complete').length, 3, 'with maxRetries 1 the twice-killed trial counts as failed');
});

test('several evaluations in flight (remote-style async evaluate) respect the concurrency limit', async () => {
  let inFlight = 0;
  let peak = 0;
  const remote = async (p: Params): Promise<EvaluationResult> => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    return evaluate(p);
  };
  const r = await runStudy(base(new MemoryStore(), { strategy: new RandomSearch(), evaluate: remote, concurrency: 3, nTrials: 12 }));
  assert.equal(peak, 3);
  assert.equal(r.trials.filter((t) => t.state === 'complete').length, 12);
});

test('many evaluations in flight listening for the abort: no MaxListenersExceededWarning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w.name);
  };
  process.on('warning', onWarning);
  try {
    let release: () => void = () => undefined;
    const all = new Promise<void>((r) => {
      release = r;
    });
    let inFlight = 0;
    const r = await runStudy(
      base(new MemoryStore(), {
        strategy: new RandomSearch(),
        concurrency: 16,
        nTrials: 16,
        evaluate: async (p, ctx) => {
          const onAbort = (): void => undefined;
          ctx.signal.addEventListener('abort', onAbort, { once: true }); // as the thread pool's evaluations do
          if (++inFlight === 16) release();
          await all;
          ctx.signal.removeEventListener('abort', onAbort);
          return evaluate(p);
        },
      }),
    );
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.equal(r.trials.length, 16);
    assert.deepEqual(warnings, []);
  } finally {
    process.off('warning', onWarning);
  }
});

test('refuses to resume a study with different objectives', async () => {
  const store = new MemoryStore();
  await runStudy(base(store, { nTrials: 1 }));
  await assert.rejects(runStudy(base(store, { objectives: [{ name: 'f1', direction: 'minimize' }] })), /study 's' exists with objectives/);
});

test('trials written through another store object (another process) are seen: counted, shown to the strategy, their finishing noticed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-study-'));
  const path = join(dir, 'hwnas.sqlite');
  const mine = new SqliteStore(path);
  const other = new SqliteStore(path);
  try {
    // What the strategy saw at each ask: trial number -> state of every trial in its history.
    const seen = new Map<number, string[]>();
    const inner = new RandomSearch();
    const strategy = {
      name: 'recording',
      ask: (ctx: AskContext) => {
        seen.set(
          ctx.trialNumber,
          ctx.history.map((t) => t.state),
        );
        return inner.ask(ctx);
      },
    };
    const elsewhere = { worker: 'other-host:1:x' };
    const result = await runStudy({
      ...base(new MemoryStore(), { nTrials: 10, strategy }),
      store: mine,
      evaluate: async (p, ctx) => {
        if (ctx.trialNumber === 2) {
          // Another process finishes one trial and starts a second, long one.
          other.createTrial('s', { params: { x: 0.5, y: 0.5, k: 'a' }, ...elsewhere });
          other.finishTrial('s', 3, { state: 'complete', values: [0.5, 0.25] });
          other.createTrial('s', { params: { x: 0, y: 0.9, k: 'b' }, ...elsewhere });
        }
        if (ctx.trialNumber === 6) other.finishTrial('s', 4, { state: 'complete', values: [0, 0.9], constraints: [0] }); // no feasible point dominates it
        return evaluate(p);
      },
    });
    assert.equal(result.trials.length, 10);
    assert.equal(result.created, 8, 'the two trials of the other process count against the budget');
    assert.ok(result.trials.every((t) => t.state === 'complete'));
    assert.deepEqual(seen.get(5), ['complete', 'complete', 'complete', 'complete', 'running']);
    assert.deepEqual(seen.get(7), Array(7).fill('complete'));
    assert.ok(
      result.best.some((t) => t.number === 4),
      "the other process's Pareto-optimal trial is in the best set",
    );
    assert.deepEqual(result.trials, other.getTrials('s'));
  } finally {
    mine.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('concurrency: the last trials of the budget run side by side (running trials are counted once)', async () => {
  const store = new MemoryStore();
  let inFlight = 0;
  let most = 0;
  let release: () => void = () => undefined;
  const all = new Promise<void>((r) => {
    release = r;
  });
  const fallback = setTimeout(release, 3000); // only reached when fewer than 4 ever run at once
  const r = await runStudy(
    base(store, {
      nTrials: 4,
      concurrency: 4,
      evaluate: async (p) => {
        inFlight++;
        most = Math.max(most, inFlight);
        if (inFlight === 4) release();
        await all;
        inFlight--;
        return evaluate(p);
      },
    }),
  );
  clearTimeout(fallback);
  assert.equal(r.trials.length, 4);
  assert.equal(most, 4, 'all four budget trials in flight at once');
});
