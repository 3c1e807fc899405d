/**
 * A study interrupted and resumed proposes exactly the trials of an uninterrupted run, for the model-based
 * strategies as the CLI builds them (by name, with the study's default options): `nsga2`, `tpe`, `bo`, `auto` and
 * `portfolio`, through the one study loop and a store, as nsga2's resume tests do (src/search/strategies/nsga2.test.ts).
 * Two interruptions: the process killed (-9) while a trial runs (the trial is left `running` by a dead worker; the
 * resumed loop marks it failed and retries its point), and Ctrl-C (the evaluation honours the abort signal: the trial
 * is failed `aborted`, and the next run retries it). Each resumed study is continued by a fresh strategy instance
 * that knows only the stored history.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { createStrategy, defaultStrategyOptions } from '../search/registry.js';
import { SearchSpace } from '../search/space.js';
import type { Objective, Params, Trial } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { ATTR, type EvaluationResult, type RunStudyOptions, runStudy } from './run-study.js';

const space = new SearchSpace({
  x: { kind: 'float', low: 0, high: 1 },
  y: { kind: 'float', low: 0, high: 1 },
  n: { kind: 'int', low: 1, high: 8 },
  k: { kind: 'categorical', choices: ['a', 'b', 'c'] },
});
const objectives: readonly Objective[] = [
  { name: 'f1', direction: 'minimize' },
  { name: 'f2', direction: 'minimize' },
];
/** A ZDT1-like pair that depends on every parameter, with a constraint; a function of the point alone. */
const evaluate = async (p: Params): Promise<EvaluationResult> => {
  const x = p.x as number;
  const g = 1 + 4 * (p.y as number) + ((p.n as number) - 3) ** 2 / 8 + (p.k === 'b' ? 0 : 0.5);
  return { values: [x, g * (1 - Math.sqrt(x / g))], constraints: [0.05 - x] };
};

const N = 30;
const CUT = 12;

function options(name: string, store: MemoryStore, extra: Partial<RunStudyOptions> = {}): RunStudyOptions {
  return {
    store,
    studyName: 's',
    space,
    objectives,
    // a fresh instance per run, as a resumed process builds it: only the stored history carries over
    strategy: createStrategy(name, defaultStrategyOptions(name, N, space.encodedDimension)),
    evaluate,
    nTrials: N,
    seed: 9,
    catchErrors: true,
    ...extra,
  };
}

const proposals = (ts: readonly Trial[]): Params[] => ts.filter((t) => t.userAttrs[ATTR.retryOf] === undefined).map((t) => t.params);
const completed = (ts: readonly Trial[]): Params[] => ts.filter((t) => t.state === 'complete').map((t) => t.params);

for (const name of ['nsga2', 'tpe', 'bo', 'auto', 'portfolio']) {
  test(`${name}: a study killed (-9) mid-trial and resumed proposes the uninterrupted run's trials`, async () => {
    const straight = await runStudy(options(name, new MemoryStore()));
    const store = new MemoryStore();
    await runStudy(options(name, store, { nTrials: CUT }));
    // the uninterrupted run's trial CUT, left running by a process that was killed
    store.createTrial('s', { params: straight.trials[CUT]?.params ?? {}, worker: `${hostname()}:2147483646:dead` });
    const r = await runStudy(options(name, store));
    assert.equal(r.recovered, 1);
    assert.deepEqual(proposals(r.trials), proposals(straight.trials));
    assert.deepEqual(completed(r.trials), completed(straight.trials));
  });

  test(`${name}: a study stopped by Ctrl-C mid-trial and resumed proposes the uninterrupted run's trials`, async () => {
    const straight = await runStudy(options(name, new MemoryStore()));
    const store = new MemoryStore();
    const ac = new AbortController();
    // trial CUT is interrupted while it runs: the evaluation sees the signal and gives up
    const interrupted = (p: Params, ctx: { signal: AbortSignal; trialNumber: number }): Promise<EvaluationResult> =>
      ctx.trialNumber === CUT
        ? new Promise((_, reject) => {
            ctx.signal.addEventListener('abort', () => reject(new Error('interrupted')));
            ac.abort();
          })
        : evaluate(p);
    const first = await runStudy(options(name, store, { signal: ac.signal, evaluate: interrupted }));
    assert.equal(first.aborted, true);
    assert.equal(store.getTrial('s', CUT)?.userAttrs[ATTR.failReason], 'aborted');
    const r = await runStudy(options(name, store));
    assert.deepEqual(proposals(r.trials), proposals(straight.trials));
    assert.deepEqual(completed(r.trials), completed(straight.trials));
  });
}
