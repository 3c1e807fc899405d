import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { createStrategy, defaultStrategyOptions } from '../registry.js';
import { SearchSpace } from '../space.js';
import { runTrials } from '../testing/run-trials.js';
import type { Objective, Params, SearchStrategy } from '../types.js';
import { type Auto, meanClassSize } from './auto.js';

// 256 points; `live` keys 64 classes of 4 points (b never changes the class: a dead edge), `all` 256 classes of 1.
const space = new SearchSpace({
  a1: { kind: 'categorical', choices: ['p', 'q', 'r', 's'] },
  a2: { kind: 'categorical', choices: ['p', 'q', 'r', 's'] },
  a3: { kind: 'categorical', choices: ['p', 'q', 'r', 's'] },
  b: { kind: 'categorical', choices: ['w', 'x', 'y', 'z'] },
});
const live = (p: Params): string => `${p.a1}${p.a2}${p.a3}`;
const all = (p: Params): string => `${p.a1}${p.a2}${p.a3}${p.b}`;
const objectives: Objective[] = [
  { name: 'f1', direction: 'minimize' },
  { name: 'f2', direction: 'minimize' },
];
const score = (p: Params, n: string): number => ['p', 'q', 'r', 's'].indexOf(p[n] as string);
const evaluate = (p: Params) => ({ values: [score(p, 'a1') + score(p, 'a2'), 6 - score(p, 'a1') - score(p, 'a3') + 0.1 * score(p, 'a2')] });

/** The class key handed to the strategy, as the NAS repeat filter does. */
const keyed = (s: SearchStrategy, classOf: (p: Params) => string): SearchStrategy => ({
  name: s.name,
  ask: (ctx) => s.ask({ ...ctx, classOf }),
});

async function params(s: SearchStrategy, classOf: (p: Params) => string): Promise<Params[]> {
  const trials = await runTrials({ strategy: keyed(s, classOf), space, objectives, nTrials: 40, seed: 5, evaluate });
  return trials.map((t) => t.params);
}

test('meanClassSize: points per class under the key', () => {
  assert.equal(meanClassSize(space, live), 4);
  assert.equal(meanClassSize(space, all), 1);
  assert.equal(meanClassSize(space, undefined), undefined);
});

test('auto runs NSGA-II where classes average >= 4 points, TPE elsewhere, and gives the trials of the one it picks', async () => {
  const opts = { large: { name: 'nsga2', options: { populationSize: 10 } } };
  const big = createStrategy('auto', opts) as Auto;
  assert.deepEqual(await params(big, live), await params(createStrategy('nsga2', { populationSize: 10 }), live));
  assert.equal(big.chosen?.name, 'nsga2');
  assert.equal(big.classSize, 4);
  const small = createStrategy('auto', opts) as Auto;
  assert.deepEqual(await params(small, all), await params(createStrategy('tpe'), all));
  assert.equal(small.chosen?.name, 'tpe');
  // the bar is an option: at 5 the 4-point classes run TPE
  const raised = createStrategy('auto', { ...opts, minClassSize: 5 }) as Auto;
  await params(raised, live);
  assert.equal(raised.chosen?.name, 'tpe');
  // the two picks differ on this problem, so the equalities above can fail
  assert.notDeepEqual(await params(createStrategy('nsga2', { populationSize: 10 }), live), await params(createStrategy('tpe'), live));
});

test("auto's NAS defaults are those of the strategies it picks; bad options are errors naming them", () => {
  assert.deepEqual(defaultStrategyOptions('auto', 300, 10), {
    large: { name: 'nsga2', options: { populationSize: 30 } },
    small: { name: 'tpe', options: {} },
  });
  const bad = (o: Record<string, unknown>, pattern: RegExp): void =>
    assert.throws(
      () => createStrategy('auto', o),
      (e: Error) => e instanceof ConfigError && pattern.test(e.message),
    );
  bad({ minClassSize: 0 }, /minClassSize 0: expected a number >= 1/);
  bad({ minClassSize: 'big' }, /minClassSize "big"/);
  bad({ large: 'auto' }, /large = 'auto': expected another strategy/);
  bad({ small: 42 }, /option small 42: expected a strategy name or \{ name, options \}/);
  bad({ large: 'nope' }, /unknown search strategy 'nope'/);
  bad({ pick: 'tpe' }, /'auto': unknown option 'pick'/);
});

test("auto's large.<option> / small.<option>: one option of that side's strategy on top of its options", async () => {
  const local = { frontLocalEvery: 2, frontLocalFrom: 12 };
  const dotted = createStrategy('auto', { 'small.frontLocalEvery': 2, 'small.frontLocalFrom': 12 }) as Auto;
  const tpeLocal = await params(createStrategy('tpe', local), all);
  assert.deepEqual(await params(dotted, all), tpeLocal);
  assert.equal(dotted.chosen?.name, 'tpe');
  // the option changes TPE's trials here, so the equality above can fail
  assert.notDeepEqual(tpeLocal, await params(createStrategy('tpe'), all));
  // on top of a side given as { name, options }: both apply
  const big = createStrategy('auto', { large: { name: 'nsga2', options: { populationSize: 10 } }, 'large.mutationProb': 0.5 });
  assert.deepEqual(await params(big, live), await params(createStrategy('nsga2', { populationSize: 10, mutationProb: 0.5 }), live));
  assert.notDeepEqual(
    await params(createStrategy('nsga2', { populationSize: 10 }), live),
    await params(createStrategy('nsga2', { populationSize: 10, mutationProb: 0.5 }), live),
  );
  const bad = (o: Record<string, unknown>, pattern: RegExp): void =>
    assert.throws(
      () => createStrategy('auto', o),
      (e: Error) => e instanceof ConfigError && pattern.test(e.message),
    );
  bad({ 'medium.gamma': 0.2 }, /'auto': unknown option 'medium.gamma'; expected one of .*small.<option>/);
  bad({ 'large.bogus': 1 }, /'nsga2': unknown option 'bogus'/);
  bad({ 'small.frontLocalStall': -1 }, /frontLocalStall -1: expected an integer >= 0/);
});

test("auto's mid side (midClassSize): spaces whose mean class size lies in [midClassSize, minClassSize) run `mid`", async () => {
  // b's w and x compute alike: 3 classes per 4 points, a mean class size of 4/3
  const merged = (p: Params): string => `${p.a1}${p.a2}${p.a3}${p.b === 'w' || p.b === 'x' ? 'L' : p.b}`;
  assert.equal(meanClassSize(space, merged), 4 / 3);
  const opts = { large: { name: 'nsga2', options: { populationSize: 10 } }, mid: 'random', midClassSize: 1.2 };
  const mid = createStrategy('auto', opts) as Auto;
  const randomRun = await params(createStrategy('random'), merged);
  assert.deepEqual(await params(mid, merged), randomRun);
  assert.equal(mid.chosen?.name, 'random');
  // below the band TPE, above it NSGA-II, as without the option
  const small = createStrategy('auto', opts) as Auto;
  assert.deepEqual(await params(small, all), await params(createStrategy('tpe'), all));
  const big = createStrategy('auto', opts) as Auto;
  assert.deepEqual(await params(big, live), await params(createStrategy('nsga2', { populationSize: 10 }), live));
  // without midClassSize the same space runs TPE, and TPE's trials differ from random's here
  const plain = await params(createStrategy('auto', { large: opts.large }), merged);
  assert.deepEqual(plain, await params(createStrategy('tpe'), merged));
  assert.notDeepEqual(plain, randomRun);
  // mid.<option> reaches the mid side: a portfolio whose second member is NSGA-II with 10 per generation, on every ask
  const port = createStrategy('auto', { mid: 'portfolio', midClassSize: 1.2, 'mid.second.populationSize': 10, 'mid.secondEvery': 1 });
  assert.deepEqual(await params(port, merged), await params(createStrategy('nsga2', { populationSize: 10 }), merged));
  const bad = (o: Record<string, unknown>, pattern: RegExp): void =>
    assert.throws(
      () => createStrategy('auto', o),
      (e: Error) => e instanceof ConfigError && pattern.test(e.message),
    );
  bad({ mid: 'random' }, /mid and midClassSize: expected both or neither/);
  bad({ midClassSize: 2 }, /mid and midClassSize: expected both or neither/);
  bad({ mid: 'random', midClassSize: 4 }, /midClassSize 4: expected a number below minClassSize \(4\)/);
  bad({ mid: 'random', midClassSize: 0.5 }, /midClassSize 0.5: expected a number >= 1/);
  bad({ 'mid.populationSize': 10 }, /mid.populationSize: expected a mid side/);
  bad({ mid: 'auto', midClassSize: 2 }, /mid = 'auto': expected another strategy/);
});
