import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { Rng } from '../../util/rng.js';
import { hypervolume, paretoFront } from '../pareto.js';
import { createStrategy } from '../registry.js';
import { SearchSpace } from '../space.js';
import { branin, zdt1, zdt1TrueHypervolume } from '../testing/problems.js';
import { runTrials, type TestEvaluation } from '../testing/run-trials.js';
import { FAIL_REASON_ATTR, failedOnItsPoint, type Objective, type Params, type SearchStrategy, type Trial, trialSeed } from '../types.js';
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

test('tpe classRounds / classPool: no evaluated class proposed again where plain TPE repeats; same seed, same proposals; off or without a class key exactly as before', async () => {
  const run = (s: SearchStrategy, seed: number, n = 60): Promise<Trial[]> =>
    runTrials({ strategy: s, space: classSpace, objectives: minimise, evaluate: (p) => ({ values: [liveScore(p)] }), nTrials: n, seed });
  /** Proposals after the start-up (10 trials) whose class an earlier trial already has. */
  const repeats = (ts: readonly Trial[]): number => {
    const seen = new Set(ts.slice(0, 10).map((t) => liveClass(t.params)));
    let r = 0;
    for (const t of ts.slice(10)) {
      if (seen.has(liveClass(t.params))) r++;
      seen.add(liveClass(t.params));
    }
    return r;
  };
  let plainRepeats = 0;
  for (const seed of [1, 2, 3]) {
    const plain = await run(withClassKey(new Tpe(), liveClass), seed);
    plainRepeats += repeats(plain);
    const on = await run(withClassKey(new Tpe({ classRounds: 3, classPool: 8 }), liveClass), seed);
    assert.equal(repeats(on), 0, `seed ${seed}: classRounds 3, classPool 8 proposes an evaluated class again`);
    assert.notDeepEqual(
      on.map((t) => t.params),
      plain.map((t) => t.params),
      `seed ${seed}: the option changes the proposals`,
    );
    assert.deepEqual(
      on.slice(0, 10).map((t) => t.params),
      plain.slice(0, 10).map((t) => t.params),
      `seed ${seed}: the start-up is unchanged`,
    );
    const again = await run(withClassKey(new Tpe({ classRounds: 3, classPool: 8 }), liveClass), seed);
    assert.deepEqual(
      again.map((t) => t.params),
      on.map((t) => t.params),
      `seed ${seed}: same seed, same proposals`,
    );
    // off (classRounds 0, whatever classPool) with a class key, and on without a class key: main's TPE seed for seed
    const off = await run(withClassKey(new Tpe({ classRounds: 0, classPool: 8 }), liveClass), seed);
    const noKey = await run(new Tpe({ classRounds: 3, classPool: 8 }), seed);
    const bare = await run(new Tpe(), seed);
    assert.deepEqual(
      off.map((t) => t.params),
      plain.map((t) => t.params),
      `seed ${seed}: classRounds 0`,
    );
    assert.deepEqual(
      noKey.map((t) => t.params),
      bare.map((t) => t.params),
      `seed ${seed}: no class key`,
    );
  }
  // classPick 'top' (a round counts only if its best candidate is of a new class; then the best new class of all draws)
  for (const seed of [1, 2]) {
    const plain = await run(withClassKey(new Tpe(), liveClass), seed);
    const top = await run(withClassKey(new Tpe({ classRounds: 30, classPick: 'top' }), liveClass), seed);
    const any = await run(withClassKey(new Tpe({ classRounds: 30 }), liveClass), seed);
    assert.equal(repeats(top), 0, `seed ${seed}: classPick 'top' proposes an evaluated class again`);
    assert.notDeepEqual(
      top.map((t) => t.params),
      plain.map((t) => t.params),
      `seed ${seed}: 'top' changes the proposals`,
    );
    assert.notDeepEqual(
      top.map((t) => t.params),
      any.map((t) => t.params),
      `seed ${seed}: 'top' and 'any' differ`,
    );
  }
  assert.throws(
    () => new Tpe({ classPick: 'best' as 'top' }),
    (e: unknown) => e instanceof ConfigError && /classPick "best": expected 'any' or 'top'/.test(e.message),
  );
  // the failure the option removes: plain TPE, converged on the good classes, proposes their dead-parameter twins
  assert.ok(plainRepeats > 0, `plain TPE's repeats of an evaluated class over seeds 1-3: ${plainRepeats}`);
  // the space has 64 classes: after 64 distinct classes nothing new is left, and the ask falls back to a repeat
  const full = await run(withClassKey(new Tpe({ classRounds: 3, classPool: 8 }), liveClass), 1, 80);
  assert.equal(new Set(full.map((t) => liveClass(t.params))).size, 64);
  for (const bad of [-1, 1.5, 'x']) {
    assert.throws(
      () => new Tpe({ classRounds: bad as number }),
      (e: unknown) => e instanceof ConfigError && /classRounds/.test(e.message) && /integer >= 0/.test(e.message),
    );
    assert.throws(
      () => new Tpe({ classPool: bad as number }),
      (e: unknown) => e instanceof ConfigError && /classPool/.test(e.message) && /integer >= 0/.test(e.message),
    );
  }
  assert.throws(() => createStrategy('tpe', { classRounds: -2 }), /classRounds -2: expected an integer >= 0/);
});

/** A categorical 3-objective problem (a DTLZ2-like trade-off over four 5-way choices) and its 2-objective cut. */
const tri = new SearchSpace({
  a: { kind: 'categorical', choices: [0, 1, 2, 3, 4] },
  b: { kind: 'categorical', choices: [0, 1, 2, 3, 4] },
  c: { kind: 'categorical', choices: [0, 1, 2, 3, 4] },
  d: { kind: 'categorical', choices: [0, 1, 2, 3, 4] },
});
function triValues(p: Params): number[] {
  const u = ((p.a as number) / 4) * (Math.PI / 2);
  const v = ((p.b as number) / 4) * (Math.PI / 2);
  const g = 1 + (((p.c as number) - 2) ** 2 + ((p.d as number) - 1) ** 2) / 8;
  return [g * Math.cos(u) * Math.cos(v), g * Math.cos(u) * Math.sin(v), g * Math.sin(u)];
}
const three: readonly Objective[] = ['f1', 'f2', 'f3'].map((name) => ({ name, direction: 'minimize' as const }));
/** 90 trials of `s` on the 3-variable test function, its first `m` objectives. */
const runTri = (s: SearchStrategy, m: number, seed: number): Promise<Trial[]> =>
  runTrials({ strategy: s, space: tri, objectives: three.slice(0, m), evaluate: (p) => ({ values: triValues(p).slice(0, m) }), nTrials: 90, seed });
const paramsKey = (ts: readonly Trial[]): string[] => ts.map((t) => JSON.stringify(t.params));
/** The (objectives, seed) runs on which an option's proposals are compared with plain TPE's. */
const TRI_RUNS = [
  [2, 1],
  [2, 2],
  [3, 1],
] as const;

for (const [opt, options] of [['wholeFront', { wholeFront: true }]] as const) {
  test(`tpe ${opt}: changes 3-objective proposals, same seed same proposals; off or with 2 objectives exactly as before`, async () => {
    let changed = 0;
    for (const seed of [1, 2, 3]) {
      const plain = await runTri(new Tpe(), 3, seed);
      const on = await runTri(new Tpe(options), 3, seed);
      assert.deepEqual(paramsKey(await runTri(new Tpe(options), 3, seed)), paramsKey(on), 'same seed, same proposals');
      assert.deepEqual(paramsKey(await runTri(new Tpe({ ...options, [opt]: false }), 3, seed)), paramsKey(plain), 'option off');
      assert.deepEqual(paramsKey(await runTri(new Tpe(options), 2, seed)), paramsKey(await runTri(new Tpe(), 2, seed)), '2 objectives');
      if (paramsKey(on).join() !== paramsKey(plain).join()) changed++;
    }
    assert.equal(changed, 3, `${opt} changed the proposals of ${changed} of 3 seeds`);
    assert.throws(
      () => new Tpe({ [opt]: 1 } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && new RegExp(`${opt} 1: expected true or false`).test(e.message),
    );
  });
}
type TpeOptionsForTest = ConstructorParameters<typeof Tpe>[0];

test('tpe belowWeighting: sqrt / flat change the below weights and the proposals (2 and 3 objectives); hv is the default; one objective unchanged', async () => {
  // the weights themselves, on one history: sqrt is the square root of MOTPE's share, flat is 1 everywhere
  type Split = { split(done: readonly Trial[], ctx: { objectives: readonly Objective[] }): { below: Trial[]; belowWeights: number[] } };
  const history = await runTri(new Tpe(), 2, 7);
  const ctx = { objectives: three.slice(0, 2) };
  const hv = (new Tpe() as unknown as Split).split(history, ctx);
  const sq = (new Tpe({ belowWeighting: 'sqrt' }) as unknown as Split).split(history, ctx);
  const fl = (new Tpe({ belowWeighting: 'flat' }) as unknown as Split).split(history, ctx);
  assert.deepEqual(paramsKey(sq.below), paramsKey(hv.below), 'same below set');
  assert.deepEqual(paramsKey(fl.below), paramsKey(hv.below), 'same below set');
  assert.ok(
    hv.belowWeights.some((w) => w < 0.5),
    'MOTPE weights are uneven on this history',
  );
  hv.belowWeights.forEach((w, i) => assert.ok(Math.abs((sq.belowWeights[i] as number) - (w <= 1e-12 ? 1e-12 : Math.sqrt(w))) < 1e-9, `sqrt weight ${i}`));
  assert.ok(fl.belowWeights.every((w) => w === 1));
  for (const option of ['sqrt', 'flat'] as const) {
    let changed = 0;
    for (const [m, seed] of [
      [2, 1],
      [2, 2],
      [3, 1],
      [3, 2],
    ] as const) {
      const plain = await runTri(new Tpe(), m, seed);
      const on = await runTri(new Tpe({ belowWeighting: option }), m, seed);
      assert.deepEqual(paramsKey(await runTri(new Tpe({ belowWeighting: option }), m, seed)), paramsKey(on), 'same seed, same proposals');
      assert.deepEqual(paramsKey(await runTri(new Tpe({ belowWeighting: 'hv' }), m, seed)), paramsKey(plain), "'hv' is the default");
      if (paramsKey(on).join() !== paramsKey(plain).join()) changed++;
    }
    assert.equal(changed, 4, `${option} changed the proposals of ${changed} of 4 runs`);
    assert.deepEqual(paramsKey(await runTri(new Tpe({ belowWeighting: option }), 1, 3)), paramsKey(await runTri(new Tpe(), 1, 3)), 'one objective');
  }
  assert.throws(
    () => new Tpe({ belowWeighting: 'even' as unknown as 'flat' }),
    (e: unknown) => e instanceof ConfigError && /belowWeighting "even": expected 'hv', 'sqrt' or 'flat'/.test(e.message),
  );
});

test('tpe end asks (endEvery, endFrom, endObjectives): one-objective below sets on every k-th ask from endFrom; off or one objective exactly as before', async () => {
  type Split = {
    split(done: readonly Trial[], ctx: { objectives: readonly Objective[] }, end?: number): { below: Trial[]; above: Trial[]; belowWeights: number[] };
  };
  const history = await runTri(new Tpe(), 2, 7);
  const ctx = { objectives: three.slice(0, 2) };
  const s = new Tpe({ endEvery: 3 }) as unknown as Split;
  assert.deepEqual(paramsKey(s.split(history, ctx).below), paramsKey((new Tpe() as unknown as Split).split(history, ctx).below), 'an ordinary ask');
  for (const end of [0, 1]) {
    const { below, above, belowWeights } = s.split(history, ctx, end);
    const v = (t: Trial): number => (t.values as number[])[end] as number;
    assert.equal(below.length, 9, 'gamma(90) trials below');
    const worstBelow = Math.max(...below.map(v));
    assert.ok(
      above.every((t) => v(t) >= worstBelow),
      `end ${end}: the below set is the best on objective ${end} alone`,
    );
    assert.ok(belowWeights.every((w) => w === 1));
  }
  let changed = 0;
  let firstDiffers = 0;
  for (const [m, seed] of TRI_RUNS) {
    const plain = await runTri(new Tpe(), m, seed);
    const on = await runTri(new Tpe({ endEvery: 3, endFrom: 30 }), m, seed);
    assert.deepEqual(paramsKey(await runTri(new Tpe({ endEvery: 3, endFrom: 30 }), m, seed)), paramsKey(on), 'same seed, same proposals');
    assert.deepEqual(paramsKey(on).slice(0, 30), paramsKey(plain).slice(0, 30), 'no end ask before endFrom trials');
    assert.deepEqual(paramsKey(await runTri(new Tpe({ endEvery: 0, endFrom: 30 }), m, seed)), paramsKey(plain), 'endEvery 0 is off');
    assert.deepEqual(paramsKey(await runTri(new Tpe({ endEvery: 3, endFrom: 200 }), m, seed)), paramsKey(plain), 'endFrom beyond the run');
    if (paramsKey(on).join() !== paramsKey(plain).join()) changed++;
    const first = await runTri(new Tpe({ endEvery: 3, endFrom: 30, endObjectives: 'first' }), m, seed);
    if (paramsKey(first).join() !== paramsKey(on).join()) firstDiffers++;
  }
  assert.equal(changed, 3, `end asks changed the proposals of ${changed} of 3 runs`);
  assert.ok(firstDiffers > 0, "endObjectives 'first' proposes otherwise than 'all'");
  assert.deepEqual(paramsKey(await runTri(new Tpe({ endEvery: 2, endFrom: 20 }), 1, 3)), paramsKey(await runTri(new Tpe(), 1, 3)), 'one objective');
  const f0 = (t: Trial): number => (t.values as number[])[0] as number;
  // endProposal 'neighbours': every end ask proposes an unevaluated point 1-3 choices from the end's best trial
  for (const seed of [1, 2]) {
    const nb = await runTri(new Tpe({ endEvery: 3, endFrom: 30, endObjectives: 'first', endProposal: 'neighbours' }), 2, seed);
    const sampled = await runTri(new Tpe({ endEvery: 3, endFrom: 30, endObjectives: 'first' }), 2, seed);
    assert.notDeepEqual(paramsKey(nb), paramsKey(sampled), 'neighbours propose otherwise than sample');
    assert.deepEqual(paramsKey(nb).slice(0, 30), paramsKey(sampled).slice(0, 30));
    for (let n = 30; n < 90; n += 3) {
      const best = nb.slice(0, n).reduce((a, b) => (f0(b) < f0(a) || (f0(b) === f0(a) && (b.values as number[])[1]! < (a.values as number[])[1]!) ? b : a));
      const p = (nb[n] as Trial).params;
      const changed = ['a', 'b', 'c', 'd'].filter((k) => p[k] !== best.params[k]).length;
      assert.ok(changed >= 1 && changed <= 3, `trial ${n}: ${changed} choices from the end's best trial`);
      assert.ok(!nb.slice(0, n).some((t) => JSON.stringify(t.params) === JSON.stringify(p)), `trial ${n} is new`);
    }
  }
  for (const [opt, bad, msg] of [
    ['endProposal', 'walk', /endProposal "walk": expected 'sample' or 'neighbours'/],
    ['endEvery', -1, /endEvery -1: expected an integer >= 0/],
    ['endEvery', 1.5, /endEvery 1.5: expected an integer >= 0/],
    ['endFrom', -3, /endFrom -3: expected an integer >= 0/],
    ['endObjectives', 'both', /endObjectives "both": expected 'all' or 'first'/],
  ] as const)
    assert.throws(
      () => new Tpe({ [opt]: bad } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});

test('tpe gap asks (gapEvery, gapFrom, gapPick, gapProposal): below set at a gap of the front on every k-th ask from gapFrom; off or one objective exactly as before', async () => {
  type GapSplit = {
    gapSplit(
      done: readonly Trial[],
      ctx: { objectives: readonly Objective[]; rng: Rng },
    ): { below: Trial[]; above: Trial[]; belowWeights: number[]; pair: [Params[], Params[]] } | undefined;
  };
  const history = await runTri(new Tpe(), 2, 7);
  const ctx = { objectives: three.slice(0, 2), rng: new Rng(1) };
  const v = (t: Trial): number[] => t.values as number[];
  // the largest gap of the history's front, by hand: neighbouring front vectors, the box's area over the front's range
  const front = [...new Set(paretoFront(history.map(v)).map((i) => JSON.stringify(v(history[i] as Trial))))]
    .map((s) => JSON.parse(s) as number[])
    .sort((a, b) => (a[0] as number) - (b[0] as number));
  assert.ok(front.length >= 3, 'a front with several gaps');
  const r0 = (front.at(-1)?.[0] as number) - (front[0]?.[0] as number);
  const r1 = (front[0]?.[1] as number) - (front.at(-1)?.[1] as number);
  let best = 0;
  const area = (i: number): number =>
    (((front[i + 1]?.[0] as number) - (front[i]?.[0] as number)) / r0) * (((front[i]?.[1] as number) - (front[i + 1]?.[1] as number)) / r1);
  for (let i = 1; i + 1 < front.length; i++) if (area(i) > area(best)) best = i;
  const gs = (new Tpe({ gapEvery: 3 }) as unknown as GapSplit).gapSplit(history, ctx);
  assert.ok(gs);
  assert.equal(gs.below.length, 9, 'gamma(90) trials below');
  assert.ok(gs.belowWeights.every((w) => w === 1));
  for (const end of [front[best], front[best + 1]])
    assert.ok(
      gs.below.some((t) => JSON.stringify(v(t)) === JSON.stringify(end)),
      `the gap's neighbour ${JSON.stringify(end)} is below`,
    );
  assert.deepEqual(
    gs.pair.map((ps) => ps.length > 0),
    [true, true],
  );
  assert.equal(gs.below.length + gs.above.length, history.length);
  // proposals
  const on = { gapEvery: 3, gapFrom: 30, gapPick: 'tried', gapProposal: 'neighbours' } as const;
  const variants = [{ gapEvery: 3, gapFrom: 30 }, on, { ...on, gapProposal: 'cross' }, { ...on, gapPick: 'area', gapProposal: 'sample' }] as const;
  for (const [m, seed] of TRI_RUNS) {
    const plain = await runTri(new Tpe(), m, seed);
    for (const o of variants) {
      const run = await runTri(new Tpe(o), m, seed);
      assert.deepEqual(paramsKey(await runTri(new Tpe(o), m, seed)), paramsKey(run), 'same seed, same proposals');
      assert.deepEqual(paramsKey(run).slice(0, 30), paramsKey(plain).slice(0, 30), 'no gap ask before gapFrom trials');
      assert.notDeepEqual(paramsKey(run), paramsKey(plain), `${JSON.stringify(o)} changes the proposals (${m} objectives, seed ${seed})`);
    }
    assert.deepEqual(paramsKey(await runTri(new Tpe({ ...on, gapEvery: 0 }), m, seed)), paramsKey(plain), 'gapEvery 0 is off');
    assert.deepEqual(paramsKey(await runTri(new Tpe({ ...on, gapFrom: 200 }), m, seed)), paramsKey(plain), 'gapFrom beyond the run');
  }
  assert.deepEqual(paramsKey(await runTri(new Tpe(on), 1, 3)), paramsKey(await runTri(new Tpe(), 1, 3)), 'one objective');
  // 'neighbours': each gap ask proposes a new point 1-3 choices from a trial of one of the gap's two front vectors
  const nb = await runTri(new Tpe(on), 2, 1);
  for (let n = 30; n < 90; n += 3) {
    const g = (new Tpe(on) as unknown as GapSplit).gapSplit(nb.slice(0, n), ctx);
    assert.ok(g);
    const p = (nb[n] as Trial).params;
    const dist = (q: Params): number => ['a', 'b', 'c', 'd'].filter((k) => p[k] !== q[k]).length;
    const d = Math.min(...g.pair.map((ps) => dist(ps[0] as Params)));
    assert.ok(d >= 1 && d <= 3, `trial ${n}: ${d} choices from the gap's front trials`);
    assert.ok(!nb.slice(0, n).some((t) => JSON.stringify(t.params) === JSON.stringify(p)), `trial ${n} is new`);
  }
  // 'cross': while a crossing of the gap's two front vectors' trials (each choice from one or the other) is unevaluated,
  // the gap ask proposes one (else it samples); on a 2-objective trade-off of its own (the tri problem's 2-objective cut
  // has a corner where every front point has a = 4, so its crossings are soon all evaluated)
  const bi = (p: Params): number[] => {
    const x = ['a', 'b', 'c', 'd'].map((k) => p[k] as number);
    return [x.reduce((t, v, i) => t + v * (i + 1), 0) / 40, x.reduce((t, v, i) => t + (4 - v) ** 2 * (4 - i), 0) / 160];
  };
  const cr = await runTrials({
    strategy: new Tpe({ ...on, gapProposal: 'cross' }),
    space: tri,
    objectives: three.slice(0, 2),
    evaluate: (p) => ({ values: bi(p) }),
    nTrials: 90,
    seed: 2,
  });
  let crossed = 0;
  for (let n = 30; n < 90; n += 3) {
    const g = (new Tpe(on) as unknown as GapSplit).gapSplit(cr.slice(0, n), ctx);
    assert.ok(g);
    const key = (q: Params): string => JSON.stringify(['a', 'b', 'c', 'd'].map((k) => q[k]));
    const crossings = new Set<string>();
    for (const a of g.pair[0].slice(0, 4))
      for (const b of g.pair[1].slice(0, 4))
        for (let mask = 0; mask < 16; mask++)
          crossings.add(key(Object.fromEntries(['a', 'b', 'c', 'd'].map((k, j) => [k, (mask >> j) & 1 ? b[k] : a[k]])) as Params));
    const evaluated = new Set(cr.slice(0, n).map((t) => key(t.params)));
    const p = (cr[n] as Trial).params;
    assert.ok(!evaluated.has(key(p)), `trial ${n} is new`);
    if ([...crossings].some((c) => !evaluated.has(c))) {
      assert.ok(crossings.has(key(p)), `trial ${n}: a crossing of the gap's front trials while one is unevaluated`);
      crossed++;
    }
  }
  assert.ok(crossed >= 3, `${crossed} of 20 gap asks had an unevaluated crossing`);
  for (const [opt, bad, msg] of [
    ['gapEvery', -1, /gapEvery -1: expected an integer >= 0/],
    ['gapEvery', 2.5, /gapEvery 2.5: expected an integer >= 0/],
    ['gapFrom', -3, /gapFrom -3: expected an integer >= 0/],
    ['gapPick', 'widest', /gapPick "widest": expected 'largest', 'area' or 'tried'/],
    ['gapProposal', 'walk', /gapProposal "walk": expected 'sample', 'cross' or 'neighbours'/],
  ] as const)
    assert.throws(
      () => new Tpe({ [opt]: bad } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});

test('tpe scalarised asks (scalarEvery, scalarWeights): a Chebyshev below set on every k-th ask from the start-up; off or one objective exactly as before', async () => {
  type ScalarSplit = {
    split(
      done: readonly Trial[],
      ctx: { objectives: readonly Objective[]; rng: Rng },
      end: undefined,
      scalar: true,
    ): { below: Trial[]; above: Trial[]; belowWeights: number[] };
  };
  const v = (t: Trial): number[] => t.values as number[];
  const history = await runTri(new Tpe(), 2, 7);
  const ctx2 = { objectives: three.slice(0, 2), rng: new Rng(1) };
  // by hand: the 9 trials with the smallest max + 0.05 sum of the losses scaled to the front's range, weighted u / 1 - u
  const pts = history.map(v);
  const front = paretoFront(pts).map((i) => pts[i] as number[]);
  const lo = [0, 1].map((k) => Math.min(...front.map((f) => f[k] as number)));
  const hi = [0, 1].map((k) => Math.max(...front.map((f) => f[k] as number)));
  const belowByHand = (u: number): number[] => {
    const z = (p: number[]): number[] => p.map((x, k) => ((k === 0 ? u : 1 - u) * (x - (lo[k] as number))) / ((hi[k] as number) - (lo[k] as number)));
    const score = (p: number[]): number => Math.max(...z(p)) + 0.05 * ((z(p)[0] as number) + (z(p)[1] as number));
    return pts
      .map((p, i) => ({ s: score(p), i }))
      .sort((a, b) => a.s - b.s || a.i - b.i)
      .slice(0, 9)
      .map((x) => x.i)
      .sort((a, b) => a - b);
  };
  // 'golden' at its first ask weighs 0.5 / 0.5
  const want = belowByHand(0.5);
  // 'golden', scalarEvery 40: after 90 trials (80 past the start-up) the ask number j = 2
  const golden = new Tpe({ scalarEvery: 40, scalarWeights: 'golden' }) as unknown as ScalarSplit;
  const ss = golden.split(history, ctx2, undefined, true);
  assert.equal(ss.below.length, 9, 'gamma(90) trials below');
  assert.ok(ss.belowWeights.every((w) => w === 1));
  // its weight on the first objective frac(0.5 + 2 * 0.618...) = 0.736
  const u = (0.5 + 2 * ((Math.sqrt(5) - 1) / 2)) % 1;
  const wantU = belowByHand(u);
  assert.deepEqual(
    ss.below.map((t) => history.indexOf(t)),
    wantU,
    'the 9 best by the scalarisation',
  );
  // with scalarEvery 1000 the same history is ask j = 0: weights 0.5 / 0.5
  const first = (new Tpe({ scalarEvery: 1000, scalarWeights: 'golden' }) as unknown as ScalarSplit).split(history, ctx2, undefined, true);
  assert.deepEqual(
    first.below.map((t) => history.indexOf(t)),
    want,
    'ask 0 weighs 0.5 / 0.5',
  );
  assert.notDeepEqual(want, wantU, 'the two weights pick different below sets');
  // proposals: the same for the start-up, different after; same seed same proposals
  for (const [m, seed] of TRI_RUNS) {
    const plain = await runTri(new Tpe(), m, seed);
    for (const o of [{ scalarEvery: 4 }, { scalarEvery: 2, scalarWeights: 'golden' }] as const) {
      const run = await runTri(new Tpe(o), m, seed);
      assert.deepEqual(paramsKey(await runTri(new Tpe(o), m, seed)), paramsKey(run), 'same seed, same proposals');
      assert.deepEqual(paramsKey(run).slice(0, 10), paramsKey(plain).slice(0, 10), 'the start-up unchanged');
      assert.notDeepEqual(paramsKey(run), paramsKey(plain), `${JSON.stringify(o)} changes the proposals (${m} objectives, seed ${seed})`);
    }
    assert.deepEqual(paramsKey(await runTri(new Tpe({ scalarEvery: 0, scalarWeights: 'golden' }), m, seed)), paramsKey(plain), 'scalarEvery 0 is off');
  }
  assert.deepEqual(paramsKey(await runTri(new Tpe({ scalarEvery: 2 }), 1, 3)), paramsKey(await runTri(new Tpe(), 1, 3)), 'one objective');
  for (const [opt, bad, msg] of [
    ['scalarEvery', -1, /scalarEvery -1: expected an integer >= 0/],
    ['scalarEvery', 1.5, /scalarEvery 1.5: expected an integer >= 0/],
    ['scalarWeights', 'grid', /scalarWeights "grid": expected 'random' or 'golden'/],
  ] as const)
    assert.throws(
      () => new Tpe({ [opt]: bad } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});

test('tpe offspring asks (offspringEvery, offspringPool, offspringMutation): a child of the front on every k-th ask from the start-up; off exactly as before', async () => {
  // With (almost) no mutation a child's every value is one of its two parents', both on the front of the trials before
  // it: so at each offspring ask (after 10, 13, 16, ... complete trials) every parameter takes a front trial's value,
  // unless every crossing of two front trials is evaluated already (the ask is then an ordinary one).
  const child = (ts: readonly Trial[], i: number, m: number): 'child' | 'none left' | 'other' => {
    const before = ts.slice(0, i);
    const front = paretoFront(before.map((t) => (t.values as number[]).slice(0, m))).map((j) => (before[j] as Trial).params);
    const p = (ts[i] as Trial).params;
    if (tri.names.every((n) => front.some((f) => f[n] === p[n]))) return 'child';
    const seen = new Set(paramsKey(before));
    for (const a of front)
      for (const b of front)
        for (let mask = 0; mask < 2 ** tri.names.length; mask++) {
          const c = Object.fromEntries(tri.names.map((n, k) => [n, (mask >> k) & 1 ? b[n] : a[n]]));
          if (!seen.has(JSON.stringify(c))) return 'other';
        }
    return 'none left';
  };
  const onFront = (ts: readonly Trial[], i: number, m: number): boolean => child(ts, i, m) !== 'other';
  const asks = (ts: readonly Trial[]): number[] => ts.map((_, i) => i).filter((i) => i >= 10 && (i - 10) % 3 === 0);
  let plainOff = 0;
  for (const [m, seed] of TRI_RUNS) {
    const plain = await runTri(new Tpe(), m, seed);
    const o = { offspringEvery: 3, offspringMutation: 1e-9 };
    const run = await runTri(new Tpe(o), m, seed);
    assert.deepEqual(paramsKey(await runTri(new Tpe(o), m, seed)), paramsKey(run), 'same seed, same proposals');
    assert.deepEqual(paramsKey(run).slice(0, 10), paramsKey(plain).slice(0, 10), 'the start-up unchanged');
    for (const i of asks(run)) assert.ok(onFront(run, i, m), `trial ${i} (${m} objectives, seed ${seed}) is a child of the front`);
    assert.ok(asks(run).filter((i) => child(run, i, m) === 'child').length >= 3, 'at least 3 children');
    plainOff += asks(plain).filter((i) => !onFront(plain, i, m)).length;
    assert.equal(new Set(paramsKey(run)).size, run.length, 'no repeats');
    const pooled = await runTri(new Tpe({ ...o, offspringPool: 8 }), m, seed);
    assert.notDeepEqual(paramsKey(pooled), paramsKey(run), 'the best of 8 children is not always the first');
    for (const i of asks(pooled)) assert.ok(onFront(pooled, i, m), `pooled trial ${i} is a child of the front`);
    assert.notDeepEqual(paramsKey(await runTri(new Tpe({ offspringEvery: 3 }), m, seed)), paramsKey(run), 'mutation changes children');
    assert.deepEqual(paramsKey(await runTri(new Tpe({ offspringEvery: 0, offspringPool: 8 }), m, seed)), paramsKey(plain), 'offspringEvery 0 is off');
  }
  assert.ok(plainOff > 0, 'plain TPE proposes off-front values at those asks (the check can fail)');
  for (const [opt, bad, msg] of [
    ['offspringEvery', -1, /offspringEvery -1: expected an integer >= 0/],
    ['offspringEvery', 2.5, /offspringEvery 2.5: expected an integer >= 0/],
    ['offspringPool', 0, /offspringPool 0: expected an integer >= 1/],
    ['offspringMutation', 0, /offspringMutation 0: expected a positive number/],
  ] as const)
    assert.throws(
      () => new Tpe({ [opt]: bad } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});

test('tpe failedAbove / failedLast: failed trials in g(x) steer proposals away from a failing region (the default); off or without failures exactly as before', async () => {
  // the tri problem where every point with c = 2 fails (no values): the best complete trials sit beside it (c = 1 or 3)
  const failing = (p: Params): TestEvaluation => (p.c === 2 ? 'failed' : { values: triValues(p).slice(0, 2) });
  const run = (s: SearchStrategy, seed: number): Promise<Trial[]> =>
    runTrials({ strategy: s, space: tri, objectives: three.slice(0, 2), evaluate: failing, nTrials: 90, seed });
  const failedAfterStartup = (ts: readonly Trial[]): number => ts.slice(10).filter((t) => t.state === 'failed').length;
  for (const multivariate of [true, false]) {
    let plainFailed = 0;
    let onFailed = 0;
    for (const seed of [1, 2, 3, 4]) {
      const plain = await run(new Tpe({ multivariate, failedAbove: 0 }), seed);
      const on = await run(new Tpe({ multivariate, failedAbove: 1 }), seed);
      assert.deepEqual(paramsKey(await run(new Tpe({ multivariate }), seed)), paramsKey(on), 'the default is failedAbove 1; same seed, same proposals');
      assert.deepEqual(paramsKey(on).slice(0, 10), paramsKey(plain).slice(0, 10), 'the start-up unchanged');
      assert.deepEqual(paramsKey(await run(new Tpe({ multivariate, failedAbove: 0, failedLast: 3 }), seed)), paramsKey(plain), 'failedAbove 0 is off');
      assert.notDeepEqual(paramsKey(await run(new Tpe({ multivariate, failedAbove: 1, failedLast: 2 }), seed)), paramsKey(on), 'failedLast keeps fewer');
      plainFailed += failedAfterStartup(plain);
      onFailed += failedAfterStartup(on);
    }
    assert.ok(
      onFailed < 0.6 * plainFailed,
      `${multivariate ? 'multivariate' : 'univariate'}: failed queries after the start-up ${onFailed} vs plain ${plainFailed}`,
    );
  }
  // no failed trial: exactly plain TPE
  for (const [m, seed] of TRI_RUNS)
    assert.deepEqual(paramsKey(await runTri(new Tpe(), m, seed)), paramsKey(await runTri(new Tpe({ failedAbove: 0 }), m, seed)), 'no failures');
  // a trial whose process died or was interrupted (the study loop runs its point again) is not a failure of its point:
  // with those reasons, the failed trials are ignored as with failedAbove 0
  const seed = 2;
  const h = await run(new Tpe({ failedAbove: 0 }), seed);
  assert.ok(h.some((t) => t.state === 'failed'));
  const withReason = (reason: string): Trial[] =>
    h.map((t) => (t.state === 'failed' ? { ...t, userAttrs: { ...t.userAttrs, [FAIL_REASON_ATTR]: reason } } : t));
  const askOn = (s: SearchStrategy, history: Trial[]) =>
    s.ask({ space: tri, objectives: three.slice(0, 2), history, trialNumber: history.length, rng: new Rng(trialSeed(seed, history.length)) });
  for (const reason of ['worker-died', 'aborted'])
    assert.deepEqual(await askOn(new Tpe(), withReason(reason)), await askOn(new Tpe({ failedAbove: 0 }), h), reason);
  assert.notDeepEqual(await askOn(new Tpe(), withReason('error')), await askOn(new Tpe({ failedAbove: 0 }), h), 'an evaluation error counts');
  assert.equal(failedOnItsPoint({ ...(h[0] as Trial), state: 'failed', userAttrs: {} }), true, 'no reason recorded: the point');
  assert.equal(failedOnItsPoint(h.find((t) => t.state === 'complete') as Trial), false);
  for (const [opt, bad, msg] of [
    ['failedAbove', -0.5, /failedAbove -0.5: expected a weight in \[0, 1\]/],
    ['failedAbove', 2, /failedAbove 2: expected a weight in \[0, 1\]/],
    ['failedLast', 1.5, /failedLast 1.5: expected an integer >= 0/],
  ] as const)
    assert.throws(
      () => new Tpe({ [opt]: bad } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});

test('tpe classMix: the class index is built once per key function and space; a reused one proposes as a fresh one', async () => {
  // two key functions computing the same classes (500 of the 625 points one class), each counting its calls
  const counts = [0, 0];
  const keyFn =
    (i: number) =>
    (p: Params): string => {
      counts[i] = (counts[i] as number) + 1;
      return (p.a as number) < 4 ? 'big' : JSON.stringify(p);
    };
  const [first, second] = [keyFn(0), keyFn(1)];
  const keyed = (s: SearchStrategy, classOf: (p: Params) => string): SearchStrategy => ({ name: s.name, ask: (ctx) => s.ask({ ...ctx, classOf }) });
  const make = () => new Tpe({ classMix: 0.5, classMixAt: 'ask' });
  let built = 0;
  for (const [m, seed] of TRI_RUNS) {
    const before = counts[0] as number;
    const run = await runTri(keyed(make(), first), m, seed);
    if ((counts[0] as number) - before >= 625) built++;
    const callsAgain = counts[0] as number;
    const again = await runTri(keyed(make(), first), m, seed);
    assert.ok(
      (counts[0] as number) - callsAgain < 625,
      `a second run with the same key function enumerates nothing (${(counts[0] as number) - callsAgain} key calls)`,
    );
    assert.deepEqual(paramsKey(again), paramsKey(run), 'the reused index: the same proposals');
    const fresh = counts[1] as number;
    const other = await runTri(keyed(make(), second), m, seed);
    if ((counts[1] as number) - fresh >= 625) built++;
    assert.deepEqual(paramsKey(other), paramsKey(run), 'a fresh index (another key function): the same proposals');
    assert.notDeepEqual(paramsKey(run), paramsKey(await runTri(new Tpe(), m, seed)), 'classMix acts on these runs');
  }
  assert.equal(built, 2, 'each key function enumerated the space once, in its first run');
});

test('tpe classMix / classMixAt: class-uniform start-up draws and asks where the context gives a class key; off or without a key exactly as before', async () => {
  // a class key under which 500 of the tri space's 625 points are one class ('big') and the others one class each
  const classOf = (p: Params): string => ((p.a as number) < 4 ? 'big' : JSON.stringify(p));
  const keyed = (s: SearchStrategy): SearchStrategy => ({ name: s.name, ask: (ctx) => s.ask({ ...ctx, classOf }) });
  const big = (ts: readonly Trial[]): number => ts.filter((t) => classOf(t.params) === 'big').length;
  let plainBig = 0;
  for (const [m, seed] of TRI_RUNS) {
    const plain = await runTri(new Tpe(), m, seed);
    plainBig += big(plain.slice(0, 10));
    const startup = await runTri(keyed(new Tpe({ classMix: 1, classMixAt: 'startup' })), m, seed);
    assert.ok(big(startup.slice(0, 10)) <= 1, 'class-uniform start-up: at most one draw of the big class');
    assert.deepEqual(paramsKey(await runTri(keyed(new Tpe({ classMix: 1, classMixAt: 'startup' })), m, seed)), paramsKey(startup), 'same seed, same proposals');
    const asks = await runTri(keyed(new Tpe({ classMix: 1, classMixAt: 'ask' })), m, seed);
    assert.equal(new Set(asks.map((t) => classOf(t.params))).size, asks.length, "'ask' with q = 1: every trial a new class");
    const prior = await runTri(keyed(new Tpe({ classMix: 1, classMixAt: 'prior' })), m, seed);
    assert.deepEqual(paramsKey(prior).slice(0, 10), paramsKey(plain).slice(0, 10), "'prior': the start-up unchanged");
    assert.notDeepEqual(paramsKey(prior), paramsKey(plain), "'prior' changes the model asks' proposals");
    assert.deepEqual(paramsKey(await runTri(keyed(new Tpe({ classMix: 0, classMixAt: 'ask' })), m, seed)), paramsKey(plain), 'classMix 0 is off');
    assert.deepEqual(paramsKey(await runTri(new Tpe({ classMix: 1 }), m, seed)), paramsKey(plain), 'no class key: off');
  }
  assert.ok(plainBig >= 15, `plain start-up draws of the big class: ${plainBig} of 30 (the check can fail)`);
  // 'ranked': every model ask still a new class, but the best of `candidates` class-uniform draws by l / g: a better
  // front than 'ask's unranked draws
  let hvAsk = 0;
  let hvRanked = 0;
  for (const [m, seed] of TRI_RUNS) {
    const ref = [3, 3, 3].slice(0, m);
    const asks = await runTri(keyed(new Tpe({ classMix: 1, classMixAt: 'ask' })), m, seed);
    const ranked = await runTri(keyed(new Tpe({ classMix: 1, classMixAt: 'ranked' })), m, seed);
    assert.equal(new Set(ranked.map((t) => classOf(t.params))).size, ranked.length, "'ranked' with q = 1: every trial a new class");
    assert.deepEqual(paramsKey(ranked).slice(0, 10), paramsKey(asks).slice(0, 10), "'ranked': the start-up as 'ask'");
    hvAsk += frontHv(asks, ref);
    hvRanked += frontHv(ranked, ref);
  }
  assert.ok(hvRanked > hvAsk, `'ranked' front hypervolume ${hvRanked.toFixed(4)} vs 'ask' ${hvAsk.toFixed(4)}`);
  // classMixMinSize: this key's 625 points are in 126 classes (4.96 points per class): a bar of 5 is plain TPE exactly,
  // a bar of 4 is the option ungated
  for (const [m, seed] of TRI_RUNS) {
    const on = await runTri(keyed(new Tpe({ classMix: 0.2, classMixAt: 'ask' })), m, seed);
    assert.notDeepEqual(paramsKey(on), paramsKey(await runTri(new Tpe(), m, seed)), 'classMix 0.2 acts here');
    assert.deepEqual(paramsKey(await runTri(keyed(new Tpe({ classMix: 0.2, classMixAt: 'ask', classMixMinSize: 4 })), m, seed)), paramsKey(on), 'at the bar');
    assert.deepEqual(
      paramsKey(await runTri(keyed(new Tpe({ classMix: 0.2, classMixAt: 'ask', classMixMinSize: 5 })), m, seed)),
      paramsKey(await runTri(new Tpe(), m, seed)),
      'below the bar: plain',
    );
  }
  for (const [opt, bad, msg] of [
    ['classMixMinSize', -1, /classMixMinSize -1: expected a number >= 0/],
    ['classMix', 1.5, /classMix 1.5: expected a share in \[0, 1\]/],
    ['classMixAt', 'all', /classMixAt "all": expected 'both', 'startup', 'prior', 'ask' or 'ranked'/],
  ] as const)
    assert.throws(
      () => new Tpe({ [opt]: bad } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});

test('tpe front local-search asks (frontLocalEvery, frontLocalFrom, frontLocalRadius): a new neighbour of the current front on every k-th ask from frontLocalFrom; off exactly as before', async () => {
  const on: { frontLocalEvery: number; frontLocalFrom: number; frontLocalRadius?: number } = { frontLocalEvery: 3, frontLocalFrom: 30 };
  const names = ['a', 'b', 'c', 'd'];
  const loss = (t: Trial): number[] => t.values as number[];
  for (const [m, seed] of [...TRI_RUNS, [1, 3]] as const) {
    const plain = await runTri(new Tpe(), m, seed);
    for (const o of [on, { ...on, frontLocalRadius: 2 }]) {
      const run = await runTri(new Tpe(o), m, seed);
      assert.deepEqual(paramsKey(await runTri(new Tpe(o), m, seed)), paramsKey(run), 'same seed, same proposals');
      assert.deepEqual(paramsKey(run).slice(0, 30), paramsKey(plain).slice(0, 30), 'no front ask before frontLocalFrom trials');
      assert.notDeepEqual(paramsKey(run), paramsKey(plain), `${JSON.stringify(o)} changes the proposals (${m} objectives, seed ${seed})`);
      // every front ask: a new point 1..radius choices from a trial of the front of the trials before it, while there is
      // one (else the ordinary ask)
      let local = 0;
      for (let n = 30; n < 90; n += 3) {
        const before = run.slice(0, n);
        const front = paretoFront(before.map(loss)).map((i) => (before[i] as Trial).params);
        const dist = (p: Params): number => Math.min(...front.map((q) => names.filter((k) => p[k] !== q[k]).length));
        const evaluated = new Set(paramsKey(before));
        let open = 0;
        for (let i = 0; i < 625; i++) {
          const q = Object.fromEntries(names.map((k, j) => [k, Math.floor(i / 5 ** j) % 5])) as Params;
          const d = dist(q);
          if (d >= 1 && d <= (o.frontLocalRadius ?? 1) && !evaluated.has(JSON.stringify(q))) open++;
        }
        const p = (run[n] as Trial).params;
        assert.ok(!evaluated.has(JSON.stringify(p)), `trial ${n} is new`);
        if (open === 0) continue;
        local++;
        const d = dist(p);
        assert.ok(d >= 1 && d <= (o.frontLocalRadius ?? 1), `trial ${n}: ${d} choices from the front (${m} objectives, seed ${seed})`);
      }
      assert.ok(local >= 5, `${local} of 20 front asks had an unevaluated neighbour`);
    }
    assert.deepEqual(paramsKey(await runTri(new Tpe({ ...on, frontLocalEvery: 0 }), m, seed)), paramsKey(plain), 'frontLocalEvery 0 is off');
    assert.deepEqual(paramsKey(await runTri(new Tpe({ ...on, frontLocalFrom: 200 }), m, seed)), paramsKey(plain), 'frontLocalFrom beyond the run');
  }
  for (const [opt, bad, msg] of [
    ['frontLocalEvery', -1, /frontLocalEvery -1: expected an integer >= 0/],
    ['frontLocalEvery', 1.5, /frontLocalEvery 1.5: expected an integer >= 0/],
    ['frontLocalFrom', -3, /frontLocalFrom -3: expected an integer >= 0/],
    ['frontLocalRadius', 0, /frontLocalRadius 0: expected an integer from 1 to 3/],
    ['frontLocalRadius', 4, /frontLocalRadius 4: expected an integer from 1 to 3/],
  ] as const)
    assert.throws(
      () => new Tpe({ [opt]: bad } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});

test('tpe frontLocalSmall / frontLocalPick: front local-search asks around the front trials of small classes only, ranked or uniform', async () => {
  const names = ['a', 'b', 'c', 'd'];
  // a even: a class of one point; a odd: one class of 2 points (a = 1 and 3) per (b, c, d)
  const classOf = (p: Params): string => ((p.a as number) % 2 === 1 ? `big${p.b}${p.c}${p.d}` : JSON.stringify(p));
  const keyed = (s: SearchStrategy): SearchStrategy => ({ name: s.name, ask: (ctx) => s.ask({ ...ctx, classOf }) });
  const loss = (t: Trial): number[] => t.values as number[];
  const on = { frontLocalEvery: 3, frontLocalFrom: 30, frontLocalRadius: 2 };
  let narrowed = 0;
  for (const [m, seed] of TRI_RUNS) {
    const whole = paramsKey(await runTri(keyed(new Tpe(on)), m, seed));
    assert.deepEqual(paramsKey(await runTri(keyed(new Tpe({ ...on, frontLocalSmall: 2 })), m, seed)), whole, 'a cap every class meets: the whole front');
    assert.deepEqual(
      paramsKey(await runTri(new Tpe({ ...on, frontLocalSmall: 1 }), m, seed)),
      paramsKey(await runTri(new Tpe(), m, seed)),
      'no class key: plain',
    );
    const runs: Record<string, string[]> = {};
    for (const pick of ['ranked', 'random'] as const) {
      const run = await runTri(keyed(new Tpe({ ...on, frontLocalSmall: 1, frontLocalPick: pick })), m, seed);
      runs[pick] = paramsKey(run);
      assert.deepEqual(
        paramsKey(await runTri(keyed(new Tpe({ ...on, frontLocalSmall: 1, frontLocalPick: pick })), m, seed)),
        runs[pick],
        'same seed, same proposals',
      );
      let local = 0;
      for (let n = 30; n < 90; n += 3) {
        const before = run.slice(0, n);
        const small = paretoFront(before.map(loss))
          .map((i) => (before[i] as Trial).params)
          .filter((p) => (p.a as number) % 2 === 0);
        const dist = (p: Params): number => Math.min(...small.map((q) => names.filter((k) => p[k] !== q[k]).length));
        const seenCls = new Set(before.map((t) => classOf(t.params)));
        let open = 0;
        for (let i = 0; i < 625; i++) {
          const q = Object.fromEntries(names.map((k, j) => [k, Math.floor(i / 5 ** j) % 5])) as Params;
          const d = dist(q);
          if (d >= 1 && d <= 2 && !seenCls.has(classOf(q))) open++;
        }
        if (small.length === 0 || open === 0) continue;
        local++;
        const p = (run[n] as Trial).params;
        const d = dist(p);
        assert.ok(
          d >= 1 && d <= 2 && !seenCls.has(classOf(p)),
          `trial ${n}: ${d} choices from the small front classes (${pick}, ${m} objectives, seed ${seed})`,
        );
      }
      assert.ok(local >= 5, `${local} of 20 front asks had a small front class with an open neighbour (${pick})`);
    }
    assert.notDeepEqual(runs.random, runs.ranked, "'random' picks differ from 'ranked'");
    // radius 1, where the whole front's best neighbour lies less often beside a small front class too
    const one = { ...on, frontLocalRadius: 1 };
    const small1 = paramsKey(await runTri(keyed(new Tpe({ ...one, frontLocalSmall: 1 })), m, seed));
    if (small1.join() !== paramsKey(await runTri(keyed(new Tpe(one)), m, seed)).join()) narrowed++;
  }
  assert.ok(narrowed >= 1, 'small classes only: other proposals than around the whole front on some run');
  for (const [opt, bad, msg] of [
    ['frontLocalSmall', -1, /frontLocalSmall -1: expected an integer >= 0/],
    ['frontLocalSmall', 1.5, /frontLocalSmall 1.5: expected an integer >= 0/],
    ['frontLocalPick', 'best', /frontLocalPick "best": expected 'ranked' or 'random'/],
  ] as const)
    assert.throws(
      () => new Tpe({ [opt]: bad } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});

test('tpe frontLocalStall: front local-search asks pause after that many complete trials without a front entry, and resume with one', async () => {
  const on = { frontLocalEvery: 1, frontLocalFrom: 12 };
  const stall = 6;
  const loss = (t: Trial): number[] => t.values as number[];
  for (const [m, seed] of TRI_RUNS) {
    const run = await runTri(new Tpe({ ...on, frontLocalStall: stall }), m, seed);
    assert.deepEqual(
      paramsKey(await runTri(new Tpe({ ...on, frontLocalStall: 90 }), m, seed)),
      paramsKey(await runTri(new Tpe(on), m, seed)),
      'a stall beyond the run: no pause',
    );
    assert.deepEqual(
      paramsKey(await runTri(new Tpe({ ...on, frontLocalStall: 0 }), m, seed)),
      paramsKey(await runTri(new Tpe(on), m, seed)),
      'stall 0: no pause',
    );
    // each ask replayed on the history before it: the ordinary ask while paused, the front ask otherwise
    const next = async (o: TpeOptionsForTest, n: number): Promise<string> => {
      const h = await runTrials({
        strategy: new Tpe(o),
        space: tri,
        objectives: three.slice(0, m),
        evaluate: (p) => ({ values: triValues(p).slice(0, m) }),
        nTrials: n + 1,
        seed,
        history: run.slice(0, n),
      });
      return JSON.stringify((h[n] as Trial).params);
    };
    let paused = 0;
    let differ = 0;
    let last = -1;
    for (let n = 0; n < 90; n++) {
      if (n >= 12) {
        const pause = n - 1 - last >= stall;
        const want = await next(pause ? {} : on, n);
        assert.equal(JSON.stringify((run[n] as Trial).params), want, `trial ${n} (${n - 1 - last} since the last front entry; ${m} objectives, seed ${seed})`);
        if (pause) {
          paused++;
          if (want !== (await next(on, n))) differ++;
        }
      }
      const v = loss(run[n] as Trial);
      if (!run.slice(0, n).some((t) => loss(t).every((x, j) => x <= (v[j] as number)))) last = n;
    }
    assert.ok(paused >= 5 && paused <= 73, `${paused} of 78 asks paused (${m} objectives, seed ${seed})`);
    assert.ok(differ >= 3, `${differ} paused asks differ from the front ask`);
  }
  for (const [bad, msg] of [
    [-1, /frontLocalStall -1: expected an integer >= 0/],
    [2.5, /frontLocalStall 2.5: expected an integer >= 0/],
  ] as const)
    assert.throws(
      () => new Tpe({ frontLocalStall: bad }),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});

test("tpe sameCostPick 'ridge': each same-cost ask takes the candidate a ridge fit (penalty 1, one-hot) of the trials so far ranks first, checked against a separate solve; bad values refused", async () => {
  // loss additive in the one-hot encoding plus a little interaction; latency (free) = a + b: groups of equal a + b
  const cost = (p: Params): number => (p.a as number) + (p.b as number);
  const objectives: readonly Objective[] = [
    { name: 'loss', direction: 'minimize' },
    { name: 'latency', direction: 'minimize' },
  ];
  const loss = (p: Params): number =>
    ([0.3, 0.1, 0.4, 0, 0.2][p.a as number] as number) + 0.1 * ((p.c as number) - 2) ** 2 + 0.05 * (p.b as number) * (p.d as number);
  const cheapObjectives = { indices: [1], values: (p: Params) => [cost(p)] };
  const on = { sameCostEvery: 3, sameCostFrom: 30, sameCostPick: 'ridge' as const };
  const run = (sameCostPick: 'ridge' | 'lg') =>
    runTrials({
      strategy: new Tpe({ ...on, sameCostPick }),
      space: tri,
      objectives,
      evaluate: (p) => ({ values: [loss(p), cost(p)] }),
      nTrials: 75,
      seed: 3,
      cheapObjectives,
    });
  const trials = await run('ridge');
  const lg = await run('lg');
  assert.notDeepEqual(paramsKey(trials), paramsKey(lg), "'ridge' and 'lg' pick differently");
  const enc = (p: Params): number[] => ['a', 'b', 'c', 'd'].flatMap((k) => [0, 1, 2, 3, 4].map((v) => (p[k] === v ? 1 : 0)));
  let checked = 0;
  for (let n = 30; n < 75; n += 3) {
    const before = trials.slice(0, n);
    // reference: (X^T X + I) w = X^T (y - mean y), y = -loss, by Gauss-Jordan elimination
    const X = before.map((t) => enc(t.params));
    const y = before.map((t) => -(t.values as number[])[0]!);
    const my = y.reduce((a, b) => a + b, 0) / y.length;
    const A = Array.from({ length: 20 }, (_, u) => [
      ...Array.from({ length: 20 }, (_, v) => X.reduce((s, x) => s + x[u]! * x[v]!, 0) + (u === v ? 1 : 0)),
      X.reduce((s, x, r) => s + x[u]! * (y[r]! - my), 0),
    ]);
    for (let c = 0; c < 20; c++) {
      const piv = A[c]![c]!;
      for (let r = 0; r < 20; r++)
        if (r !== c) {
          const f = A[r]![c]! / piv;
          for (let k = c; k <= 20; k++) A[r]![k]! -= f * A[c]![k]!;
        }
    }
    const w = A.map((row, u) => row[20]! / row[u]!);
    const front = paretoFront(before.map((t) => t.values as number[])).map((i) => (before[i] as Trial).params);
    const costs = new Set(front.map(cost));
    const evaluated = new Set(paramsKey(before));
    let best: string | undefined;
    let bestS = -Infinity;
    for (let i = 0; i < 625; i++) {
      const q = Object.fromEntries(['a', 'b', 'c', 'd'].map((k, j) => [k, Math.floor(i / 5 ** j) % 5])) as Params;
      if (!costs.has(cost(q)) || evaluated.has(JSON.stringify(q))) continue;
      const sc = enc(q).reduce((s, x, u) => s + x * w[u]!, 0);
      if (sc > bestS + 1e-12) [best, bestS] = [JSON.stringify(q), sc];
    }
    if (best === undefined) continue;
    checked++;
    assert.equal(JSON.stringify((trials[n] as Trial).params), best, `trial ${n}: the ridge's first among ${costs.size} front cost groups`);
  }
  assert.ok(checked >= 10, `${checked} of 15 same-cost asks checked`);
  assert.throws(
    () => new Tpe({ sameCostPick: 'best' } as unknown as TpeOptionsForTest),
    (e: unknown) => e instanceof ConfigError && /sameCostPick "best": expected 'lg' or 'ridge'/.test(e.message),
  );
});

test("tpe same-cost asks (sameCostEvery, sameCostFrom): on every k-th ask from sameCostFrom, a new point of a front trial's free cost vector, the best by log l - log g; off (or without free costs) exactly as before", async () => {
  // objective 0 needs an evaluation; objective 1 (a cost of a and b only) is free: groups of equal a + b
  const cost = (p: Params): number => (p.a as number) + (p.b as number);
  const objectives: readonly Objective[] = [
    { name: 'loss', direction: 'minimize' },
    { name: 'latency', direction: 'minimize' },
  ];
  const evaluate = (p: Params) => ({ values: [(triValues(p)[0] as number) + 0.1 * (p.d as number), cost(p)] });
  const cheapObjectives = { indices: [1], values: (p: Params) => [cost(p)] };
  const run = (s: SearchStrategy, seed: number, cheap = true): Promise<Trial[]> =>
    runTrials({ strategy: s, space: tri, objectives, evaluate, nTrials: 90, seed, ...(cheap ? { cheapObjectives } : {}) });
  const on = { sameCostEvery: 3, sameCostFrom: 30 };
  for (const seed of [1]) {
    const plain = await run(new Tpe(), seed);
    const same = await run(new Tpe(on), seed);
    assert.deepEqual(paramsKey(await run(new Tpe(on), seed)), paramsKey(same), 'same seed, same proposals');
    assert.deepEqual(paramsKey(same).slice(0, 30), paramsKey(plain).slice(0, 30), 'no same-cost ask before sameCostFrom trials');
    assert.notDeepEqual(paramsKey(same), paramsKey(plain), `seed ${seed}: the option changes the proposals`);
    let asks = 0;
    for (let n = 30; n < 90; n += 3) {
      const before = same.slice(0, n);
      const front = paretoFront(before.map((t) => t.values as number[])).map((i) => (before[i] as Trial).params);
      const costs = new Set(front.map(cost));
      const evaluated = new Set(paramsKey(before));
      let open = 0;
      for (let i = 0; i < 625; i++) {
        const q = Object.fromEntries(['a', 'b', 'c', 'd'].map((k, j) => [k, Math.floor(i / 5 ** j) % 5])) as Params;
        if (costs.has(cost(q)) && !evaluated.has(JSON.stringify(q))) open++;
      }
      const p = (same[n] as Trial).params;
      assert.ok(!evaluated.has(JSON.stringify(p)), `trial ${n} is new`);
      if (open === 0) continue;
      asks++;
      assert.ok(costs.has(cost(p)), `trial ${n} (seed ${seed}): cost ${cost(p)}, expected one of the front's ${[...costs].join(', ')}`);
    }
    assert.ok(asks >= 15, `${asks} of 20 same-cost asks had an unevaluated point`);
    assert.deepEqual(paramsKey(await run(new Tpe({ ...on, sameCostEvery: 0 }), seed)), paramsKey(plain), 'sameCostEvery 0 is off');
    assert.deepEqual(paramsKey(await run(new Tpe(on), seed, false)), paramsKey(await run(new Tpe(), seed, false)), 'no free costs: off');
  }
  for (const [opt, bad, msg] of [
    ['sameCostEvery', -1, /sameCostEvery -1: expected an integer >= 0/],
    ['sameCostEvery', 2.5, /sameCostEvery 2.5: expected an integer >= 0/],
    ['sameCostFrom', -3, /sameCostFrom -3: expected an integer >= 0/],
  ] as const)
    assert.throws(
      () => new Tpe({ [opt]: bad } as unknown as TpeOptionsForTest),
      (e: unknown) => e instanceof ConfigError && msg.test(e.message),
    );
});
