import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { Rng } from '../../util/rng.js';
import { hypervolume, paretoFront } from '../pareto.js';
import { createStrategy } from '../registry.js';
import { SearchSpace } from '../space.js';
import { branin, zdt1, zdt1TrueHypervolume } from '../testing/problems.js';
import { runTrials } from '../testing/run-trials.js';
import { type Objective, type Params, type SearchStrategy, type Trial, trialSeed } from '../types.js';
import { RandomSearch } from './random.js';
import { Tpe } from './tpe.js';

const minimise: readonly Objective[] = [{ name: 'f', direction: 'minimize' }];

function frontHv(trials: readonly Trial[], ref: readonly number[]): number {
  const pts = trials.filter((t) => t.values).map((t) => t.values as number[]);
  return hypervolume(
    paretoFront(pts).map((i) => pts[i] as number[]),
    ref,
  );
}

test('tpe options: a bad value is a ConfigError naming it', () => {
  assert.throws(
    () => new Tpe({ gamma: 1.5 }),
    (e: unknown) => e instanceof ConfigError && /gamma 1.5/.test(e.message),
  );
  assert.throws(() => new Tpe({ candidates: 0 }), ConfigError);
  assert.throws(() => new Tpe({ startupTrials: 2.5 }), ConfigError);
  assert.throws(() => createStrategy('tpe', { multivariate: 'yes' }), /multivariate "yes"/);
  assert.equal(createStrategy('tpe', { multivariate: true }).name, 'tpe');
  assert.throws(() => createStrategy('tpe', { startup: 'lhs' }), /startup "lhs": expected 'stratified' or 'random'/);
});

test('tpe stratified start-up: every categorical value twice in 10 trials; a space without categoricals starts as before', async () => {
  const space = new SearchSpace({
    c: { kind: 'categorical', choices: ['a', 'b', 'c', 'd', 'e'] },
    d: { kind: 'categorical', choices: [1, 2] },
    x: { kind: 'float', low: 1, high: 100, log: true },
  });
  const counts = (ts: readonly Trial[], name: string): number[] => {
    const m = new Map<unknown, number>();
    for (const t of ts) m.set(t.params[name], (m.get(t.params[name]) ?? 0) + 1);
    return [...m.values()].sort();
  };
  const run = (s: SearchStrategy, sp: SearchSpace, seed: number): Promise<Trial[]> =>
    runTrials({ strategy: s, space: sp, objectives: minimise, evaluate: () => ({ values: [1] }), nTrials: 10, seed });
  let unbalanced = 0;
  for (const seed of [1, 2, 3]) {
    const ts = await run(new Tpe(), space, seed);
    assert.deepEqual(counts(ts, 'c'), [2, 2, 2, 2, 2], `seed ${seed}`);
    assert.deepEqual(counts(ts, 'd'), [5, 5], `seed ${seed}`);
    // The old start-up (independent uniform draws) rarely spreads that evenly.
    const old = await run(new Tpe({ startup: 'random' }), space, seed);
    if (counts(old, 'c').join() !== '2,2,2,2,2') unbalanced++;
  }
  assert.ok(unbalanced > 0);
  const floats = new SearchSpace({ x: { kind: 'float', low: 0, high: 1 }, k: { kind: 'int', low: 0, high: 9 } });
  assert.deepEqual(
    (await run(new Tpe(), floats, 4)).map((t) => t.params),
    (await run(new Tpe({ startup: 'random' }), floats, 4)).map((t) => t.params),
  );
});

for (const multivariate of [false, true]) {
  const label = multivariate ? 'multivariate tpe' : 'tpe';

  test(`${label} beats random search on Branin (best of 80, mean over 5 seeds)`, async () => {
    const p = branin();
    const best = async (s: () => SearchStrategy): Promise<number> => {
      let sum = 0;
      for (let seed = 1; seed <= 5; seed++) {
        const ts = await runTrials({
          strategy: s(),
          space: p.space,
          objectives: p.objectives,
          evaluate: (x) => ({ values: p.evaluate(x) }),
          nTrials: 80,
          seed,
        });
        sum += Math.min(...ts.map((t) => (t.values as number[])[0] as number));
      }
      return sum / 5;
    };
    const tpe = await best(() => new Tpe({ multivariate }));
    const rnd = await best(() => new RandomSearch());
    console.log(`# ${label} branin best of 80 (mean of 5 seeds): tpe ${tpe.toFixed(4)}, random ${rnd.toFixed(4)}`);
    assert.ok(tpe < rnd && tpe < 0.8, `tpe ${tpe} vs random ${rnd}`);
  });

  test(`${label} beats random search on zdt1 with 6 variables at 200 evaluations (MOTPE)`, async () => {
    const p = zdt1(6);
    const go = async (s: () => SearchStrategy): Promise<number> => {
      let sum = 0;
      for (let seed = 1; seed <= 3; seed++)
        sum += frontHv(
          await runTrials({ strategy: s(), space: p.space, objectives: p.objectives, evaluate: (x) => ({ values: p.evaluate(x) }), nTrials: 200, seed }),
          [1.1, 1.1],
        );
      return sum / 3 / zdt1TrueHypervolume();
    };
    const tpe = await go(() => new Tpe({ multivariate }));
    const rnd = await go(() => new RandomSearch());
    console.log(`# ${label} zdt1(6) at 200: tpe ${tpe.toFixed(4)}, random ${rnd.toFixed(4)}`);
    assert.ok(tpe > rnd + 0.03, `tpe ${tpe} vs random ${rnd}`);
  });
}

test('tpe on ordinal (int, stepped, log) and categorical parameters finds the optimum', async () => {
  const space = new SearchSpace({
    width: { kind: 'int', low: 0, high: 200, step: 5 },
    batch: { kind: 'int', low: 1, high: 1024, log: true },
    act: { kind: 'categorical', choices: ['relu', 'gelu', 'tanh', 'swish'] },
  });
  const f = (p: Params): number => Math.abs((p.width as number) - 135) / 5 + Math.abs(Math.log2(p.batch as number) - 6) + (p.act === 'swish' ? 0 : 2);
  for (const multivariate of [false, true]) {
    const bests: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const ts = await runTrials({
        strategy: new Tpe({ multivariate }),
        space,
        objectives: minimise,
        evaluate: (p) => ({ values: [f(p)] }),
        nTrials: 120,
        seed,
      });
      for (const t of ts) assert.equal(space.check(t.params), null);
      bests.push(Math.min(...ts.map((t) => (t.values as number[])[0] as number)));
    }
    // The space has 41 x 1024 x 4 points; random search's expected best of 120 is about 3. Over 20 seeds
    // (one seed alone is a coin flip: 5-7 of 20 seeds end above 1 with either start-up, measured in session 30).
    const mean = bests.reduce((a, b) => a + b, 0) / bests.length;
    assert.ok(mean <= 1 && Math.max(...bests) < 3, `multivariate ${multivariate}: best per seed ${bests.map((b) => b.toFixed(2)).join(' ')}`);
  }
});

test('tpe never repeats an evaluated point of a small discrete space (skipSeen)', async () => {
  const space = new SearchSpace({
    a: { kind: 'categorical', choices: ['x', 'y', 'z'] },
    b: { kind: 'int', low: 1, high: 3 },
    c: { kind: 'categorical', choices: [1, 2, 3] },
  });
  for (const multivariate of [false, true]) {
    const ts = await runTrials({
      strategy: new Tpe({ multivariate, startupTrials: 5 }),
      space,
      objectives: minimise,
      evaluate: (p) => ({ values: [(p.b as number) + (p.c as number) + (p.a === 'y' ? 0 : 1)] }),
      nTrials: 27,
      seed: 1,
    });
    const keys = new Set(ts.map((t) => JSON.stringify(t.params)));
    assert.equal(keys.size, 27, `multivariate ${multivariate}: ${27 - keys.size} repeats`);
  }
  const plain = await runTrials({
    strategy: new Tpe({ skipSeen: false, startupTrials: 5, multivariate: false }),
    space,
    objectives: minimise,
    evaluate: (p) => ({ values: [(p.b as number) + (p.c as number) + (p.a === 'y' ? 0 : 1)] }),
    nTrials: 27,
    seed: 1,
  });
  assert.ok(new Set(plain.map((t) => JSON.stringify(t.params))).size < 27, 'without skipSeen the exploit phase repeats the best point');
});

test('tpe with constraints: later proposals are mostly feasible and the best feasible point is near the boundary', async () => {
  // Minimise x + y on [0, 1]^2 subject to x + y >= 1 (constraint 1 - x - y <= 0); half the square is infeasible.
  const space = new SearchSpace({ x: { kind: 'float', low: 0, high: 1 }, y: { kind: 'float', low: 0, high: 1 } });
  const ev = (p: Params) => ({ values: [(p.x as number) + (p.y as number)], constraints: [1 - (p.x as number) - (p.y as number)] });
  const ts = await runTrials({ strategy: new Tpe({ multivariate: true }), space, objectives: minimise, evaluate: ev, nTrials: 100, seed: 5 });
  const feasible = ts.filter((t) => (t.constraints as number[])[0]! <= 0);
  const late = ts.slice(50).filter((t) => (t.constraints as number[])[0]! <= 0).length;
  const best = Math.min(...feasible.map((t) => (t.values as number[])[0] as number));
  assert.ok(late >= 25, `feasible among the last 50: ${late}`);
  assert.ok(best < 1.02, `best feasible ${best}`);
});

/** A 6-edge, 5-choice categorical space (an NB201-like cell) with two conflicting objectives, and a choice distance. */
function cellProblem() {
  const ops = ['a', 'b', 'c', 'd', 'e'];
  const space = new SearchSpace(Object.fromEntries(['e0', 'e1', 'e2', 'e3', 'e4', 'e5'].map((n) => [n, { kind: 'categorical' as const, choices: ops }])));
  const two: readonly Objective[] = [
    { name: 'f', direction: 'minimize' },
    { name: 'g', direction: 'minimize' },
  ];
  const ev = (p: Params) => {
    const k = space.names.map((n) => ops.indexOf(p[n] as string));
    return { values: [k.reduce((s, v) => s + v, 0), k.reduce((s, v, i) => s + ((v + i) % 5), 0)] };
  };
  const diff = (p: Params, q: Params): number => space.names.filter((n) => p[n] !== q[n]).length;
  /** n completed trials on fixed params; the trials named in `front` get those values, every other trial i is dominated ([11 + i, 11 + i]). */
  const history = (n: number, front: Readonly<Record<number, readonly number[]>>): Trial[] =>
    Array.from({ length: n }, (_, i) => {
      const params = Object.fromEntries(space.names.map((nm, j) => [nm, ops[(i * 7 + j * 3 + Math.floor(i / 5)) % 5] as string]));
      const values = [...(front[i] ?? [11 + i, 11 + i])];
      const t: Trial = { number: i, state: 'complete', params, values, constraints: null, userAttrs: {}, startedAt: '', finishedAt: '' };
      return t;
    });
  return { space, two, ev, diff, history };
}

test('tpe neighbourShare: those asks propose an unseen point one choice away from an earlier trial; a re-ask on the same history takes the next one', async () => {
  const { space, two, ev, diff } = cellProblem();
  const nearest = (ts: readonly Trial[], i: number): number => Math.min(...ts.slice(0, i).map((t) => diff(t.params, (ts[i] as Trial).params)));
  const on = await runTrials({ strategy: new Tpe({ neighbourShare: 1 }), space, objectives: two, evaluate: ev, nTrials: 60, seed: 2 });
  for (let i = 10; i < 60; i++) assert.equal(nearest(on, i), 1, `trial ${i}`);
  assert.equal(new Set(on.map((t) => JSON.stringify(t.params))).size, 60);
  // Without it, TPE's draws from l(x) often move several choices at once.
  const off = await runTrials({ strategy: new Tpe(), space, objectives: two, evaluate: ev, nTrials: 60, seed: 2 });
  assert.ok(off.slice(10).filter((_, i) => nearest(off, i + 10) > 1).length >= 5);
  // The same history asked twice (as the NAS repeat filter does): two different neighbours.
  const s = new Tpe({ neighbourShare: 1 });
  const ctx = { space, objectives: two, history: on.slice(0, 30), trialNumber: 30, rng: new Rng(1) };
  const p1 = await s.ask(ctx);
  const p2 = await s.ask(ctx);
  assert.notDeepEqual(p1, p2);
  assert.equal(nearest([...on.slice(0, 30), { ...(on[0] as Trial), params: p2 }], 30), 1);
  assert.throws(() => new Tpe({ neighbourShare: 1.5 }), /neighbourShare 1.5: expected a number in \[0, 1\]/);
});

test('tpe neighbourShare: a float-only space runs exactly as without it (no neighbours there)', async () => {
  const p = zdt1(4);
  const run = (s: SearchStrategy) =>
    runTrials({ strategy: s, space: p.space, objectives: p.objectives, evaluate: (x) => ({ values: p.evaluate(x) }), nTrials: 40, seed: 3 });
  assert.deepEqual(
    (await run(new Tpe({ neighbourShare: 0.5 }))).map((t) => t.params),
    (await run(new Tpe({ neighbourShare: 0 }))).map((t) => t.params),
  );
});

test('tpe frontShare: those asks move a point of the current first front by one choice, extremes first', async () => {
  const { space, two, ev, diff, history } = cellProblem();
  const on = await runTrials({ strategy: new Tpe({ frontShare: 1 }), space, objectives: two, evaluate: ev, nTrials: 60, seed: 2 });
  assert.equal(new Set(on.map((t) => JSON.stringify(t.params))).size, 60);
  for (let i = 10; i < 60; i++) {
    const past = on.slice(0, i);
    const front = paretoFront(past.map((t) => t.values as number[])).map((j) => past[j] as Trial);
    const d = Math.min(...front.map((t) => diff(t.params, (on[i] as Trial).params)));
    assert.equal(d, 1, `trial ${i}: ${d} choices from the nearest front point`);
  }
  // A front of two points (the extremes) takes turns: the ask after n trials moves extreme n % 2 (objective 0's first).
  const rng = new Rng(5);
  const hist = (n: number): Trial[] => history(n, { 3: [0, 10], 6: [10, 0] });
  for (const n of [10, 11]) {
    const h = hist(n);
    const p = await new Tpe({ frontShare: 1 }).ask({ space, objectives: two, history: h, trialNumber: n, rng });
    assert.equal(diff(p, (h[n % 2 === 0 ? 3 : 6] as Trial).params), 1, `after ${n} trials`);
  }
  assert.throws(() => new Tpe({ frontShare: -0.1 }), /frontShare -0.1: expected a number in \[0, 1\]/);
  assert.throws(() => new Tpe({ objectiveShare: 1.5 }), /objectiveShare 1.5: expected a number in \[0, 1\]/);
});

test('tpe objectiveShare: those asks fit l(x) to the best trials of one objective, the objectives in turn', async () => {
  // 6 categorical dims; objective 0 is best on the all-'a' side, objective 1 on the all-'b' side, the rest is dominated.
  const space = new SearchSpace(
    Object.fromEntries(Array.from({ length: 6 }, (_, j) => [`e${j}`, { kind: 'categorical', choices: ['a', 'b', 'c', 'd', 'e'] }])),
  );
  const two: readonly Objective[] = [
    { name: 'f0', direction: 'minimize' },
    { name: 'f1', direction: 'minimize' },
  ];
  const ops = ['a', 'b', 'c', 'd', 'e'];
  const hist = (n: number): Trial[] =>
    Array.from({ length: n }, (_, i) => {
      // trials 0-4 all 'a' but one dim, 5-9 all 'b' but one dim, then a pseudo-random filler
      const fill = (j: number) =>
        i < 5 ? (j === i ? 'c' : 'a') : i < 10 ? (j === i - 5 ? 'd' : 'b') : (ops[(i * 7 + j * 3 + Math.floor(i / 5)) % 5] as string);
      const params = Object.fromEntries(space.names.map((nm, j) => [nm, fill(j)]));
      // 'a' side: f0 0-4, f1 20-24; 'b' side: f0 20-24, f1 0-4 (one front of ten points); filler 30+ on both
      const values = i < 5 ? [i, 24 - i] : i < 10 ? [29 - i, i - 5] : [30 + i, 30 + i];
      const t: Trial = { number: i, state: 'complete', params, values, constraints: null, userAttrs: {}, startedAt: '', finishedAt: '' };
      return t;
    });
  const count = (p: Params, v: string) => space.names.filter((nm) => p[nm] === v).length;
  // 40 trials: 4 below; the ask after n trials focuses objective n % 2 (objectiveShare 1)
  let a0 = 0;
  let b0 = 0;
  let a1 = 0;
  let b1 = 0;
  for (let s = 1; s <= 8; s++) {
    const p0 = await new Tpe({ objectiveShare: 1 }).ask({ space, objectives: two, history: hist(40), trialNumber: 40, rng: new Rng(s) });
    const p1 = await new Tpe({ objectiveShare: 1 }).ask({ space, objectives: two, history: hist(41), trialNumber: 41, rng: new Rng(s) });
    a0 += count(p0, 'a');
    b0 += count(p0, 'b');
    a1 += count(p1, 'a');
    b1 += count(p1, 'b');
  }
  assert.ok(a0 >= 30 && b0 <= 4, `objective 0's turn: ${a0} 'a' and ${b0} 'b' choices in 8 proposals`);
  assert.ok(b1 >= 30 && a1 <= 4, `objective 1's turn: ${b1} 'b' and ${a1} 'a' choices in 8 proposals`);
  // Off (MOTPE's whole first front below): both sides appear.
  let a = 0;
  let b = 0;
  for (let s = 1; s <= 8; s++) {
    const p = await new Tpe().ask({ space, objectives: two, history: hist(40), trialNumber: 40, rng: new Rng(s) });
    a += count(p, 'a');
    b += count(p, 'b');
  }
  assert.ok(a >= 5 && b >= 5, `off: ${a} 'a' and ${b} 'b' choices`);
});

test('tpe frontExtremesOnly: front moves target only the extremes, in turn, never the inner front points', async () => {
  const { space, two, diff, history } = cellProblem();
  // a front of four points: extremes 3 ([0, 10]) and 6 ([10, 0]), inner points 8 and 9; the rest is dominated
  const hist = (n: number): Trial[] => history(n, { 3: [0, 10], 6: [10, 0], 8: [4, 5], 9: [5, 4] });
  const target = async (n: number, extremesOnly: boolean): Promise<number[]> => {
    const p = await new Tpe({ frontShare: 1, frontExtremesOnly: extremesOnly }).ask({
      space,
      objectives: two,
      history: hist(n),
      trialNumber: n,
      rng: new Rng(5),
    });
    return [3, 6, 8, 9].filter((i) => diff(p, (hist(n)[i] as Trial).params) === 1);
  };
  // extremes only: the ask after n trials moves extreme n % 2 (trial 3 for objective 0, trial 6 for objective 1)
  for (const n of [12, 13, 14, 15]) assert.ok((await target(n, true)).includes(n % 2 === 0 ? 3 : 6), `after ${n} trials`);
  // default (extremes, then two gap points, four turns): after 14 / 15 trials an inner point is the target
  for (const n of [14, 15])
    assert.ok(
      (await target(n, false)).some((i) => i === 8 || i === 9),
      `default, after ${n} trials`,
    );
  assert.throws(() => new Tpe({ frontExtremesOnly: 1 as unknown as boolean }), /frontExtremesOnly 1: expected true or false/);
});

test("tpe extremeShare: those asks move one objective's best trial by one choice, the objectives in turn; a re-ask takes its next neighbour", async () => {
  const { space, two, diff, history } = cellProblem();
  // objective 0's best is trial 3, objective 1's best trial 6; 8 and 9 are inner front points; the rest is dominated
  const hist = (n: number): Trial[] => history(n, { 3: [0, 10], 6: [10, 0], 8: [4, 5], 9: [5, 4] });
  for (const n of [12, 13, 14, 15]) {
    const h = hist(n);
    const best = (h[n % 2 === 0 ? 3 : 6] as Trial).params;
    const s = new Tpe({ extremeShare: 1 });
    const ctx = { space, objectives: two, history: h, trialNumber: n, rng: new Rng(5) };
    const p1 = await s.ask(ctx);
    const p2 = await s.ask(ctx);
    assert.equal(diff(p1, best), 1, `after ${n} trials`);
    assert.equal(diff(p2, best), 1, `after ${n} trials, re-ask`);
    assert.notDeepEqual(p1, p2);
  }
  // off: TPE's draws are not tied to the extremes
  const offs = await Promise.all([12, 13, 14, 15].map((n) => new Tpe().ask({ space, objectives: two, history: hist(n), trialNumber: n, rng: new Rng(5) })));
  assert.ok(offs.some((p, k) => diff(p, (hist(12 + k)[k % 2 === 0 ? 3 : 6] as Trial).params) !== 1));
  assert.throws(() => new Tpe({ extremeShare: 2 }), /extremeShare 2: expected a number in \[0, 1\]/);
});

/** A strategy that hands `classOf` to the inner one (as the NAS repeat filter does). */
function withClassKey(inner: SearchStrategy, classOf: (p: Params) => string): SearchStrategy {
  return { name: inner.name, ask: (ctx) => inner.ask({ ...ctx, classOf }) };
}

// Three live parameters (64 classes) and one parameter `b` that never changes the class (a dead edge).
const classSpace = new SearchSpace({
  a1: { kind: 'categorical', choices: ['p', 'q', 'r', 's'] },
  a2: { kind: 'categorical', choices: ['p', 'q', 'r', 's'] },
  a3: { kind: 'categorical', choices: ['p', 'q', 'r', 's'] },
  b: { kind: 'categorical', choices: ['w', 'x', 'y', 'z'] },
});
const liveClass = (p: Params): string => `${p.a1}${p.a2}${p.a3}`;
const liveScore = (p: Params): number => ['a1', 'a2', 'a3'].reduce((s, n) => s + ['p', 'q', 'r', 's'].indexOf(p[n] as string), 0);

test('tpe classAware: a dead parameter gets a uniform density (the value that happened to go with good trials is not preferred)', async () => {
  // history: 40 trials; the four best (TPE's below set) happen to carry b = 'z', the others w / x / y
  const rng = new Rng(7);
  const stamp = new Date(0).toISOString();
  const drawn = Array.from({ length: 40 }, () => {
    const p: Record<string, string> = {};
    for (const n of ['a1', 'a2', 'a3']) p[n] = ['p', 'q', 'r', 's'][rng.int(0, 3)] as string;
    return p;
  });
  const best = new Set(
    drawn
      .map((p, i) => ({ f: liveScore(p), i }))
      .sort((x, y) => x.f - y.f || x.i - y.i)
      .slice(0, 4)
      .map((x) => x.i),
  );
  const history: Trial[] = drawn.map((p, i) => ({
    number: i,
    params: { ...p, b: best.has(i) ? 'z' : (['w', 'x', 'y'][rng.int(0, 2)] as string) },
    values: [liveScore(p)],
    constraints: null,
    state: 'complete',
    userAttrs: {},
    startedAt: stamp,
    finishedAt: stamp,
  }));
  const shareZ = async (s: SearchStrategy): Promise<number> => {
    let z = 0;
    for (let k = 0; k < 200; k++) {
      const p = await s.ask({ space: classSpace, objectives: minimise, history, trialNumber: 40, rng: new Rng(trialSeed(3, k)), classOf: liveClass });
      if (p.b === 'z') z++;
    }
    return z / 200;
  };
  const plain = await shareZ(new Tpe());
  const cls = await shareZ(new Tpe({ classAware: true }));
  assert.ok(plain > 0.6, `plain TPE follows the dead parameter's value of the good trials: share of 'z' ${plain}`);
  assert.ok(cls > 0.1 && cls < 0.45, `class-aware TPE draws the dead parameter about uniformly: share of 'z' ${cls}`);
});

test('tpe classAware: same seed, same proposals; no evaluated class is proposed again; without a class key it runs exactly as without the option', async () => {
  const run = (s: SearchStrategy, seed: number): Promise<Trial[]> =>
    runTrials({ strategy: s, space: classSpace, objectives: minimise, evaluate: (p) => ({ values: [liveScore(p)] }), nTrials: 40, seed });
  const a = await run(withClassKey(new Tpe({ classAware: true }), liveClass), 5);
  const b = await run(withClassKey(new Tpe({ classAware: true }), liveClass), 5);
  assert.deepEqual(
    a.map((t) => t.params),
    b.map((t) => t.params),
  );
  // after the start-up (10 random trials, which may repeat a class), every proposal is of a class not evaluated before
  const seen = new Set(a.slice(0, 10).map((t) => liveClass(t.params)));
  for (const t of a.slice(10)) {
    assert.ok(!seen.has(liveClass(t.params)), `trial ${t.number} repeats class ${liveClass(t.params)}`);
    seen.add(liveClass(t.params));
  }
  for (const seed of [1, 2]) {
    const plain = await run(new Tpe(), seed);
    const noKey = await run(new Tpe({ classAware: true }), seed);
    const keyOff = await run(withClassKey(new Tpe(), liveClass), seed);
    assert.deepEqual(
      noKey.map((t) => t.params),
      plain.map((t) => t.params),
      'classAware without a class key',
    );
    assert.deepEqual(
      keyOff.map((t) => t.params),
      plain.map((t) => t.params),
      'a class key without classAware',
    );
  }
  assert.throws(() => new Tpe({ classAware: 'yes' as unknown as boolean }), /classAware "yes": expected true or false/);
});
