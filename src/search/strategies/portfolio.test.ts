import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { createStrategy, defaultStrategyOptions } from '../registry.js';
import { SearchSpace } from '../space.js';
import { runTrials } from '../testing/run-trials.js';
import type { AskContext, Objective, Params, SearchStrategy, Trial } from '../types.js';
import { isSecondAsk, Portfolio } from './portfolio.js';

const space = new SearchSpace({
  a1: { kind: 'categorical', choices: ['p', 'q', 'r', 's'] },
  a2: { kind: 'categorical', choices: ['p', 'q', 'r', 's'] },
  a3: { kind: 'categorical', choices: ['p', 'q', 'r', 's'] },
  b: { kind: 'categorical', choices: ['w', 'x', 'y', 'z'] },
});
const objectives: Objective[] = [
  { name: 'f1', direction: 'minimize' },
  { name: 'f2', direction: 'minimize' },
];
const score = (p: Params, n: string): number => ['p', 'q', 'r', 's'].indexOf(p[n] as string);
const evaluate = (p: Params) => ({
  values: [score(p, 'a1') + score(p, 'a2') + 0.3 * score(p, 'b'), 6 - score(p, 'a1') - score(p, 'a3') + 0.1 * score(p, 'a2')],
});

async function params(s: SearchStrategy, nTrials = 40): Promise<Params[]> {
  const trials = await runTrials({ strategy: s, space, objectives, nTrials, seed: 7, evaluate });
  return trials.map((t) => t.params);
}

/** A member that records the proposal indices it answered and the trials it was told of. */
class Recorder implements SearchStrategy {
  readonly asked: number[] = [];
  readonly told: number[] = [];
  constructor(readonly name: string) {}
  ask(ctx: AskContext): Params {
    this.asked.push(ctx.trialNumber);
    return ctx.space.sample(ctx.rng);
  }
  tell(trial: Trial): void {
    this.told.push(trial.number);
  }
}

test('portfolio gives each ask to one member by its index, and tells both of every trial', async () => {
  const a = new Recorder('a');
  const b = new Recorder('b');
  await params(new Portfolio(a, b, { secondFrom: 3, secondEvery: 2 }), 10);
  assert.deepEqual(a.asked, [0, 1, 2, 4, 6, 8]);
  assert.deepEqual(b.asked, [3, 5, 7, 9]);
  const all = Array.from({ length: 10 }, (_, i) => i);
  assert.deepEqual(
    [...a.told].sort((x, y) => x - y),
    all,
  );
  assert.deepEqual(
    [...b.told].sort((x, y) => x - y),
    all,
  );
  const o = { secondFrom: 0, secondEvery: 3 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((n) => isSecondAsk(n, o)),
    [true, false, false, true, false, false, true],
  );
});

test("portfolio: all asks to one member gives that member's run; a switch and an alternation give neither", async () => {
  const nsga2 = { name: 'nsga2', options: { populationSize: 10 } };
  const tpeRun = await params(createStrategy('tpe'));
  const nsga2Run = await params(createStrategy('nsga2', nsga2.options));
  assert.notDeepEqual(tpeRun, nsga2Run, 'the two members differ on this problem, so the equalities below can fail');
  assert.deepEqual(await params(createStrategy('portfolio', { second: nsga2, secondEvery: 1 })), nsga2Run);
  assert.deepEqual(await params(createStrategy('portfolio', { second: nsga2, secondFrom: 40 })), tpeRun);
  // TPE for 20 asks, then NSGA-II: the first 20 trials are TPE's, the rest NSGA-II's on the shared history
  const switched = await params(createStrategy('portfolio', { second: nsga2, secondFrom: 20, secondEvery: 1 }));
  assert.deepEqual(switched.slice(0, 20), tpeRun.slice(0, 20));
  assert.notDeepEqual(switched.slice(20), nsga2Run.slice(20));
  const alternated = await params(createStrategy('portfolio', { second: nsga2 }));
  assert.notDeepEqual(alternated, tpeRun);
  assert.notDeepEqual(alternated, nsga2Run);
});

test("portfolio's NAS defaults are its members'; first.<option> / second.<option> set one option; bad options are errors", async () => {
  assert.deepEqual(defaultStrategyOptions('portfolio', 300, 10), {
    first: { name: 'tpe', options: {} },
    second: { name: 'nsga2', options: { populationSize: 30 } },
  });
  assert.deepEqual(
    await params(createStrategy('portfolio', { 'second.populationSize': 10, secondEvery: 1 })),
    await params(createStrategy('nsga2', { populationSize: 10 })),
  );
  const bad = (o: Record<string, unknown>, pattern: RegExp): void =>
    assert.throws(
      () => createStrategy('portfolio', o),
      (e: Error) => e instanceof ConfigError && pattern.test(e.message),
    );
  bad({ secondEvery: 0 }, /portfolio secondEvery 0: expected an integer >= 1/);
  bad({ secondEvery: 1.5 }, /portfolio secondEvery 1.5/);
  bad({ secondFrom: -1 }, /portfolio secondFrom -1: expected an integer >= 0/);
  bad({ secondFrom: 'late' }, /portfolio secondFrom "late"/);
  bad({ first: 'portfolio' }, /first = 'portfolio': expected another strategy/);
  bad({ second: 3 }, /option second 3: expected a strategy name or \{ name, options \}/);
  bad({ every: 2 }, /'portfolio': unknown option 'every'/);
  bad({ 'second.populationSize': 1 }, /populationSize 1/);
});
