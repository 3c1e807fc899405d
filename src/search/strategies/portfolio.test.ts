import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { createStrategy, defaultStrategyOptions } from '../registry.js';
import { SearchSpace } from '../space.js';
import { runTrials } from '../testing/run-trials.js';
import type { AskContext, Objective, Params, SearchStrategy, Trial } from '../types.js';
import { adaptiveChoices, hypervolumeGains, isSecondAsk, memberCredit, Portfolio, secondProbability } from './portfolio.js';

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

/** Asserts that a portfolio with options `o` is refused with a ConfigError whose message matches `pattern`. */
const bad = (o: Record<string, unknown>, pattern: RegExp): void =>
  assert.throws(
    () => createStrategy('portfolio', o),
    (e: Error) => e instanceof ConfigError && pattern.test(e.message),
  );

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
  bad({ secondEvery: 0 }, /portfolio secondEvery 0: expected an integer >= 1/);
  bad({ secondEvery: 1.5 }, /portfolio secondEvery 1.5/);
  bad({ secondFrom: -1 }, /portfolio secondFrom -1: expected an integer >= 0/);
  bad({ secondFrom: 'late' }, /portfolio secondFrom "late"/);
  bad({ first: 'portfolio' }, /first = 'portfolio': expected another strategy/);
  bad({ second: 3 }, /option second 3: expected a strategy name or \{ name, options \}/);
  bad({ every: 2 }, /'portfolio': unknown option 'every'/);
  bad({ 'second.populationSize': 1 }, /populationSize 1/);
});

/** A member that proposes k = its proposal index + 1 (each better than every earlier one) or always k = 0 (a repeat). */
class Fixed implements SearchStrategy {
  readonly asked: number[] = [];
  constructor(
    readonly name: string,
    private readonly improves: boolean,
  ) {}
  ask(ctx: AskContext): Params {
    this.asked.push(ctx.trialNumber);
    return { k: this.improves ? ctx.trialNumber + 1 : 0 };
  }
}

const line = new SearchSpace({ k: { kind: 'int', low: 0, high: 1000 } });
const runLine = (s: SearchStrategy, seed = 3, nTrials = 200): Promise<Trial[]> =>
  runTrials({ strategy: s, space: line, objectives, nTrials, seed, evaluate: (p) => ({ values: [-(p.k as number), -(p.k as number)] }) });

test('adaptive portfolio: the member whose asks enter the front gets most asks after secondFrom, whichever it is', async () => {
  for (const selection of ['match', 'greedy'] as const) {
    for (const goodIsSecond of [true, false]) {
      const good = new Fixed('good', true);
      const bad = new Fixed('bad', false);
      const p = goodIsSecond
        ? new Portfolio(bad, good, { secondFrom: 20, window: 10, selection })
        : new Portfolio(good, bad, { secondFrom: 20, window: 10, selection });
      await runLine(p);
      const late = (m: Fixed): number => m.asked.filter((n) => n >= 20).length;
      // before secondFrom every ask is first's
      assert.deepEqual(
        (goodIsSecond ? bad : good).asked.filter((n) => n < 20),
        Array.from({ length: 20 }, (_, i) => i),
      );
      // the good member's credit tends to 11/12 and the bad one's (a repeat of a known vector enters no front) to 1/12:
      // matching gives it ~0.83 of the asks, greedy 0.9
      const share = late(good) / 180;
      assert.ok(share > 0.75, `${selection}, good member ${goodIsSecond ? 'second' : 'first'}: share ${share}`);
      // the floor: the bad member still gets asks
      assert.ok(late(bad) >= 5, `${selection}: the bad member got ${late(bad)} asks`);
    }
  }
  assert.equal(memberCredit([true, true, false, false], 2), 1 / 4);
  assert.equal(memberCredit([], 5), 1 / 2);
  assert.ok(Math.abs(secondProbability(0.25, 0.75, { minShare: 0.1, selection: 'match' }) - 0.7) < 1e-12);
  assert.equal(secondProbability(0.5, 0.5, { minShare: 0.2, selection: 'greedy' }), 0.2);
  assert.equal(secondProbability(0.4, 0.5, { minShare: 0.2, selection: 'greedy' }), 0.8);
});

test('adaptive portfolio: reproducible seed for seed, mixes both members, and each member sees its own ask stream', async () => {
  const o = { second: { name: 'nsga2', options: { populationSize: 10 } }, secondFrom: 10, window: 10 };
  const a = await params(createStrategy('portfolio', o), 60);
  assert.deepEqual(await params(createStrategy('portfolio', o), 60), a);
  const tpeRun = await params(createStrategy('tpe'), 60);
  const nsga2Run = await params(createStrategy('nsga2', { populationSize: 10 }), 60);
  assert.deepEqual(a.slice(0, 10), tpeRun.slice(0, 10), "before secondFrom TPE's asks, from the same rng stream");
  assert.notDeepEqual(a, tpeRun);
  assert.notDeepEqual(a, nsga2Run);
  const other = await runTrials({ strategy: createStrategy('portfolio', o), space, objectives, nTrials: 60, seed: 8, evaluate });
  assert.notDeepEqual(
    other.map((t) => t.params),
    a,
  );
  // minShare 0.5: a target share of one half on every ask, rounded deterministically: the members alternate
  const rec = [new Recorder('a'), new Recorder('b')] as const;
  await params(new Portfolio(rec[0], rec[1], { window: 5, minShare: 0.5 }), 40);
  assert.deepEqual(
    rec[1].asked,
    Array.from({ length: 20 }, (_, i) => 2 * i),
  );
  const alone = new Recorder('alone');
  const tr = await runTrials({ strategy: alone, space, objectives, nTrials: 40, seed: 7, evaluate });
  const mixed = await runTrials({
    strategy: new Portfolio(new Recorder('a'), new Recorder('b'), { window: 5, minShare: 0.5 }),
    space,
    objectives,
    nTrials: 40,
    seed: 7,
    evaluate,
  });
  assert.deepEqual(
    mixed.map((t) => t.params),
    tr.map((t) => t.params),
    "members that sample from ctx.rng give the points a lone sampler gives: the choice draws nothing from the ask's stream",
  );
});

test('adaptive portfolio: bad window, minShare, selection and combinations are ConfigErrors naming them', () => {
  bad({ window: 0 }, /portfolio window 0: expected an integer >= 1/);
  bad({ window: 2.5 }, /portfolio window 2.5/);
  bad({ window: 'wide' }, /portfolio window "wide"/);
  bad({ window: 10, minShare: 0.6 }, /portfolio minShare 0.6: expected a number in \[0, 0.5\]/);
  bad({ window: 10, minShare: -0.1 }, /portfolio minShare -0.1/);
  bad({ window: 10, minShare: 'low' }, /portfolio minShare "low"/);
  bad({ window: 10, selection: 'best' }, /portfolio selection "best": expected 'match' or 'greedy'/);
  bad({ minShare: 0.2 }, /portfolio minShare 0.2: expected only with option window/);
  bad({ selection: 'greedy' }, /portfolio selection "greedy": expected only with option window/);
  bad({ window: 10, secondEvery: 2 }, /portfolio secondEvery 2 with window 10: expected one of them/);
  bad({ windows: 10 }, /'portfolio': unknown option 'windows'/);
  bad({ window: 10, credit: 'area' }, /portfolio credit "area": expected 'front' or 'hv'/);
  bad({ credit: 'hv' }, /portfolio credit "hv": expected only with option window/);
});

/** A finished trial with values `v` at history position `i`. */
const done = (i: number, v: number[] | null, state: Trial['state'] = 'complete'): Trial => ({
  number: i,
  params: {},
  values: v,
  constraints: null,
  state,
  userAttrs: {},
  startedAt: `t${String(i).padStart(3, '0')}`,
  finishedAt: `t${String(i).padStart(3, '0')}`,
});

test('hypervolume gains: each trial the hypervolume it adds, scaled by the bounds up to it, reference 1.1', () => {
  // minimisation; bounds after trial 1: [0, 1] in both, so trial 0 (1, 0) scales to (1, 0) and trial 1 (0, 1) to (0, 1)
  const h = [done(0, [1, 0]), done(1, [0, 1]), done(2, [0.5, 0.5]), done(3, [1, 1]), done(4, null, 'failed'), done(5, [0.5, 0.5])];
  const g = hypervolumeGains(h, objectives);
  // trial 0 alone: bounds collapse to one point, scaled (0, 0): 1.1^2
  assert.ok(Math.abs((g[0] as number) - 1.21) < 1e-12, `gain 0 ${g[0]}`);
  // trial 1 against (1, 0): the box [0, 1.1] x [1, 1.1] less the part (1, 0) holds, [1, 1.1] x [1, 1.1]
  assert.ok(Math.abs((g[1] as number) - (1.1 * 0.1 - 0.01)) < 1e-12, `gain 1 ${g[1]}`);
  // trial 2 (0.5, 0.5): the square [0.5, 1] x [0.5, 1]
  assert.ok(Math.abs((g[2] as number) - 0.25) < 1e-12, `gain 2 ${g[2]}`);
  // dominated, failed, and a repeat of a known vector add nothing
  assert.deepEqual(g.slice(3), [0, 0, 0]);
  // a known prefix is kept as given, the rest computed
  assert.deepEqual(hypervolumeGains(h, objectives, [7, 8]).slice(0, 3), [7, 8, g[2]]);
  // a gain is fixed once its trial is known: later trials (which widen the bounds) leave it as it was
  assert.deepEqual(hypervolumeGains([...h, done(6, [-5, 9])], objectives).slice(0, 6), g);
});

/** Proposes tradeoff points that each enter the front but add little ('sliver'), or a big step on every third own ask and a repeat otherwise ('step'). */
class Shaped implements SearchStrategy {
  readonly asked: number[] = [];
  constructor(
    readonly name: string,
    private readonly kind: 'sliver' | 'step',
  ) {}
  ask(ctx: AskContext): Params {
    const i = this.asked.length;
    this.asked.push(ctx.trialNumber);
    if (this.kind === 'sliver') return { x: 100 + i, y: -1000 - i };
    return i % 3 === 0 ? { x: -100 * (i + 1), y: 0 } : { x: 0, y: 0 };
  }
}

test('adaptive portfolio, credit hv: asks that add much hypervolume rarely beat asks that enter the front often with little', async () => {
  const plane = new SearchSpace({ x: { kind: 'int', low: -100000, high: 100000 }, y: { kind: 'int', low: -100000, high: 100000 } });
  for (const stepIsSecond of [true, false]) {
    const shares: Record<string, number> = {};
    for (const credit of ['front', 'hv'] as const) {
      const sliver = new Shaped('sliver', 'sliver');
      const step = new Shaped('step', 'step');
      const o = { secondFrom: 10, window: 10, credit };
      const p = stepIsSecond ? new Portfolio(sliver, step, o) : new Portfolio(step, sliver, o);
      const trials = await runTrials({
        strategy: p,
        space: plane,
        objectives,
        nTrials: 150,
        seed: 3,
        evaluate: (q) => ({ values: [q.x as number, q.y as number] }),
      });
      shares[credit] = step.asked.filter((n) => n >= 10).length / 140;
      // the replay from the history alone gives the members the run gave
      const { members } = adaptiveChoices(trials, objectives, trials.length, { ...o, minShare: 0.1, selection: 'match' });
      assert.deepEqual(
        members.map((m) => ((m === 1) === stepIsSecond ? 'step' : 'sliver')),
        trials.map((t) => (step.asked.includes(t.number) ? 'step' : 'sliver')),
      );
    }
    // front entry: every sliver enters, a third of the steps: the sliver member gets most asks
    assert.ok((shares.front as number) < 0.4, `front credit, step ${stepIsSecond ? 'second' : 'first'}: step share ${shares.front}`);
    // hypervolume gain: a step adds far more than a sliver: the step member gets most asks
    assert.ok((shares.hv as number) > 0.6, `hv credit, step ${stepIsSecond ? 'second' : 'first'}: step share ${shares.hv}`);
  }
});
