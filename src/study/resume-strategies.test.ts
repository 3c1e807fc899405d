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
import { type Objective, type Params, type Trial, trialSeed } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { Rng } from '../util/rng.js';
import { ATTR, type EvaluationContext, type EvaluationResult, type RunStudyOptions, runStudy } from './run-study.js';

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

/*
 * Trials running side by side (`--threads n`, `--redis`): the same seed gives the same proposal for every trial number
 * whatever the evaluations' durations, and a study killed (-9) with n trials in flight and resumed proposes the
 * uninterrupted run's points. The evaluations take a random time drawn from a seed of their own, which differs between
 * the runs compared, so that trials finish in another order in each (before session 54 the proposals then differed:
 * TPE and BO asked from whichever trials had finished).
 */
/** {@link evaluate}, answered after 0-8 ms drawn from `timingSeed` and the trial number. */
function slowly(timingSeed: number): (p: Params, ctx: EvaluationContext) => Promise<EvaluationResult> {
  return async (p, ctx) => {
    await new Promise((r) => setTimeout(r, new Rng(trialSeed(timingSeed, ctx.trialNumber)).int(0, 8)));
    return evaluate(p);
  };
}

/** {@link options} with `concurrency` trials in flight, evaluated {@link slowly}. */
const parallel = (name: string, store: MemoryStore, concurrency: number, timingSeed: number, extra: Partial<RunStudyOptions> = {}): RunStudyOptions =>
  options(name, store, { concurrency, evaluate: slowly(timingSeed), ...extra });

for (const [name, threads] of [
  ['tpe', 2],
  ['tpe', 3],
  ['bo', 3],
  ['auto', 3],
  ['nsga2', 3],
] as const) {
  test(`${name}, ${threads} trials in flight: the same seed proposes the same point per trial number whatever the durations`, async () => {
    const a = await runStudy(parallel(name, new MemoryStore(), threads, 1));
    const b = await runStudy(parallel(name, new MemoryStore(), threads, 2));
    assert.equal(a.trials.length, N);
    assert.deepEqual(
      b.trials.map((t) => t.params),
      a.trials.map((t) => t.params),
    );
    assert.deepEqual(
      b.trials.map((t) => t.values),
      a.trials.map((t) => t.values),
    );
  });
}

for (const [name, threads, finishedAfter] of [
  ['tpe', 2, false],
  ['tpe', 3, true],
  ['bo', 2, true],
] as const) {
  const what = finishedAfter ? `proposal ${CUT} running, a later one finished` : `proposals ${CUT}..${CUT + threads - 1} running`;
  test(`${name}, ${threads} trials in flight, killed (-9) with ${what}, resumed: the uninterrupted run's proposals`, async () => {
    const straight = await runStudy(parallel(name, new MemoryStore(), threads, 3));
    const store = new MemoryStore();
    // a run that got to proposal CUT + threads - 1: its first CUT trials finished (another timing than the uninterrupted run's)
    await runStudy(parallel(name, store, threads, 4, { nTrials: CUT }));
    const dead = `${hostname()}:2147483646:dead`;
    for (let k = CUT; k < CUT + threads; k++) {
      const t = store.createTrial('s', { params: straight.trials[k]?.params ?? {}, worker: dead });
      // the last one in flight had finished before the kill
      if (finishedAfter && k === CUT + threads - 1) {
        const s = straight.trials[k] as Trial;
        store.finishTrial('s', t.number, { state: 'complete', values: s.values ?? [], ...(s.constraints ? { constraints: s.constraints } : {}) });
      }
    }
    const r = await runStudy(parallel(name, store, threads, 5));
    assert.equal(r.recovered, finishedAfter ? threads - 1 : threads);
    assert.deepEqual(proposals(r.trials), proposals(straight.trials));
    assert.equal(r.trials.filter((t) => t.state === 'complete').length, N);
  });
}

test('asFinished: with 2 in flight, TPE asks proposal 2 as soon as a slot is free (proposal 0 still running); by default it waits for proposal 0', async () => {
  const order = async (asFinished: boolean): Promise<string[]> => {
    const log: string[] = [];
    let started2: () => void = () => {};
    const second = new Promise<void>((r) => {
      started2 = r;
    });
    await runStudy(
      options('tpe', new MemoryStore(), {
        nTrials: 4,
        concurrency: 2,
        ...(asFinished ? { asFinished: true } : {}),
        evaluate: async (p, ctx) => {
          log.push(`start ${ctx.trialNumber}`);
          if (ctx.trialNumber === 2) started2();
          // trial 0 runs until trial 2 starts (or 300 ms: the default mode never starts it before trial 0 ends)
          if (ctx.trialNumber === 0) await Promise.race([second, new Promise((r) => setTimeout(r, 300))]);
          log.push(`end ${ctx.trialNumber}`);
          return evaluate(p);
        },
      }),
    );
    return log;
  };
  const fast = await order(true);
  assert.ok(fast.indexOf('start 2') < fast.indexOf('end 0'), fast.join(', '));
  const waits = await order(false);
  assert.ok(waits.indexOf('end 0') < waits.indexOf('start 2'), waits.join(', '));
});

test('nsga2, 3 trials in flight, the last trial of each generation slow: the same trials as one at a time (a generation is bred from the settled one before it)', async () => {
  const pop = defaultStrategyOptions('nsga2', N, space.encodedDimension).populationSize as number;
  const serial = await runStudy(options('nsga2', new MemoryStore()));
  const r = await runStudy(
    options('nsga2', new MemoryStore(), {
      concurrency: 3,
      // the generation's last trial answers after the next generation's first proposals would have been asked
      evaluate: async (p, ctx) => {
        if (ctx.trialNumber % pop === pop - 1) await new Promise((res) => setTimeout(res, 30));
        return evaluate(p);
      },
    }),
  );
  assert.ok(pop < N / 2, `population ${pop}: expected at least two generations bred`);
  assert.deepEqual(
    r.trials.map((t) => t.params),
    serial.trials.map((t) => t.params),
  );
});
