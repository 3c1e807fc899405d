import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { MemoryStore } from '../../store/memory-store.js';
import { runStudy } from '../../study/run-study.js';
import { Rng } from '../../util/rng.js';
import { dominates, hypervolume } from '../pareto.js';
import { createStrategy } from '../registry.js';
import { SearchSpace } from '../space.js';
import { runTrials } from '../testing/run-trials.js';
import { strategyConformance } from '../testing/strategy-conformance.js';
import type { AskContext, CheapObjectives, Objective, Params, SearchStrategy, Trial } from '../types.js';
import { normCdf } from './bayesian.js';
import { exactCostEhvi } from './ehvi.js';
import { ehviScorer, frontScorer, neighbours, Prescreen, trimmedFront } from './prescreen.js';
import { RegularizedEvolution } from './regularized-evolution.js';

// The conformance suite runs in strategies.test.ts (every registered strategy); here: with the evolution inner and cost awareness off.
strategyConformance(
  'prescreen (evolution inner, GP predictor)',
  () => new Prescreen(new RegularizedEvolution({ populationSize: 8, sampleSize: 3 }), { startupTrials: 10, candidates: 4 }),
);

const accLat: readonly Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
];
const space = new SearchSpace({ a: { kind: 'int', low: 0, high: 9 }, b: { kind: 'int', low: 0, high: 9 } });
const stamp = new Date(0).toISOString();
const trial = (number: number, params: Params, values: number[]): Trial => ({
  number,
  params,
  values,
  constraints: null,
  state: 'complete',
  userAttrs: {},
  startedAt: stamp,
  finishedAt: stamp,
});
/** An inner strategy proposing the given points in order, round and round. */
const listStrategy = (points: readonly Params[]): SearchStrategy => {
  let i = 0;
  return { name: 'list', ask: () => points[i++ % points.length] as Params };
};
const latencyOf = (p: Params): number => (p.a as number) + 0.1 * (p.b as number);
const cheap: CheapObjectives = { indices: [1], values: (p) => [latencyOf(p)] };
/** The proposals of a cost-aware EHVI prescreen around regularized evolution (seed 3) with the given options. */
const ehviRun = async (problem: (p: Params) => { values: number[] }, cheapObjectives: CheapObjectives, nTrials: number, o: object): Promise<Params[]> =>
  (
    await runTrials({
      strategy: new Prescreen(new RegularizedEvolution({ populationSize: 8, sampleSize: 3 }), {
        costAware: true,
        acquisition: 'ehvi',
        startupTrials: 8,
        candidates: 6,
        ...o,
      }),
      space,
      objectives: accLat,
      evaluate: problem,
      nTrials,
      seed: 3,
      cheapObjectives,
    })
  ).map((t) => t.params);

test('cost-aware: a candidate dominated even at the best accuracy seen is skipped before training', async () => {
  const history = [trial(0, { a: 1, b: 0 }, [0.9, 1]), trial(1, { a: 0, b: 2 }, [0.5, 0.2])];
  // First proposal costs 5 ms: an architecture of 1 ms reached 0.9 (the best seen), so it cannot enter the front.
  const s = new Prescreen(
    listStrategy([
      { a: 5, b: 0 },
      { a: 0, b: 5 },
    ]),
    { costAware: true, surrogate: 'none', candidates: 2 },
  );
  const ctx: AskContext = { space, objectives: accLat, history, trialNumber: 2, rng: new Rng(1), cheapObjectives: cheap };
  assert.deepEqual(await s.ask(ctx), { a: 0, b: 5 });
  assert.deepEqual(s.stats, { proposed: 2, skipped: 1, allSkipped: 0, endAsks: 0 });
  // Without cost awareness and without a model (before start-up) the inner strategy's first proposal is kept.
  const plain = new Prescreen(
    listStrategy([
      { a: 5, b: 0 },
      { a: 0, b: 5 },
    ]),
    { candidates: 2 },
  );
  assert.deepEqual(await plain.ask({ ...ctx }), { a: 5, b: 0 });
  // An already evaluated point is skipped too.
  const again = new Prescreen(
    listStrategy([
      { a: 1, b: 0 },
      { a: 0, b: 1 },
    ]),
    { costAware: true, surrogate: 'none', candidates: 2 },
  );
  assert.deepEqual(await again.ask(ctx), { a: 0, b: 1 });
});

test('cost-aware without cheap objectives, or a bad option: ConfigError naming it', async () => {
  const s = new Prescreen(listStrategy([{ a: 1, b: 1 }]), { costAware: true });
  await assert.rejects(
    async () => s.ask({ space, objectives: accLat, history: [], trialNumber: 0, rng: new Rng(1) }),
    (e: unknown) => e instanceof ConfigError && /declares no cheap objectives/.test(e.message),
  );
  assert.throws(() => new Prescreen(listStrategy([]), { candidates: 0 }), /prescreen candidates 0/);
  assert.throws(() => new Prescreen(listStrategy([]), { surrogate: 'none' }), /screens nothing without costAware/);
  assert.throws(() => createStrategy('prescreen', { inner: 'nsga2', candidate: 3 }), /unknown option 'candidate'/);
  assert.throws(() => createStrategy('prescreen', { inner: 'prescreen' }), /expected another strategy/);
  assert.throws(() => createStrategy('prescreen', { inner: { name: 'nsga2', options: { populationSize: 1 } } }), /populationSize 1/);
  assert.equal(createStrategy('prescreen', { inner: { name: 'evolution', options: { populationSize: 4, sampleSize: 2 } } }).name, 'prescreen');
});

test('frontScorer: points adding hypervolume score above dominated ones, nearer dominated points above farther ones', () => {
  const front = [
    [0, 1],
    [0.5, 0.5],
    [1, 0],
  ];
  const score = frontScorer(front);
  const gain = score([0.2, 0.6]);
  const near = score([0.55, 0.55]);
  const far = score([0.9, 0.9]);
  assert.ok(gain > 0, `gain ${gain}`);
  assert.ok(near < 0 && far < near, `near ${near}, far ${far}`);
  assert.ok(score([0.1, 0.4]) > gain, 'a point dominating more of the space adds more');
  assert.ok(score([0.5, 0.5]) < 0, 'a point equal to a front point adds nothing');
});

test('the study loop hands the cheap objectives to every ask; a cost-aware search on a cost/accuracy trade-off skips dominated proposals', async () => {
  // accuracy rises with a (slow) and with b (cheap); latency = a + b/10: the front is b = 9 at every a.
  const evaluate = async (p: Params) => ({ values: [1 - 1 / (2 + (p.a as number) + (p.b as number)), latencyOf(p)] });
  const seen: boolean[] = [];
  const spy = (inner: SearchStrategy): SearchStrategy => ({
    name: 'spy',
    ask: (ctx) => {
      seen.push(ctx.cheapObjectives === cheap);
      return inner.ask(ctx);
    },
  });
  const run = async (costAware: boolean): Promise<{ trials: readonly Trial[]; s: Prescreen }> => {
    const s = new Prescreen(spy(new RegularizedEvolution({ populationSize: 8, sampleSize: 3 })), {
      costAware,
      ...(costAware ? { surrogate: 'none' as const } : { surrogate: 'gp' as const, startupTrials: 1000 }),
      candidates: 8,
    });
    const r = await runStudy({
      store: new MemoryStore(),
      studyName: `ca-${costAware}`,
      space,
      objectives: accLat,
      strategy: s,
      evaluate,
      nTrials: 40,
      seed: 3,
      cheapObjectives: cheap,
    });
    return { trials: r.trials, s };
  };
  const ca = await run(true);
  assert.ok(seen.length >= 40 * 8 && seen.every(Boolean), 'every ask saw the cheap objectives');
  const plain = await run(false);
  // Count trials that were surely dominated when proposed: some evaluated trial had lower latency and at least the best accuracy seen.
  const wasted = (trials: readonly Trial[]): number =>
    trials.filter((t, i) => {
      const before = trials.slice(0, i).filter((u) => u.values);
      if (before.length === 0) return false;
      const bestAcc = Math.max(...before.map((u) => (u.values as number[])[0] as number));
      const opt = [-bestAcc, latencyOf(t.params)];
      return before.some((u) => {
        const v = [-((u.values as number[])[0] as number), (u.values as number[])[1] as number];
        return dominates(v, opt) || (v[0] === opt[0] && v[1] === opt[1]);
      });
    }).length;
  assert.ok(ca.s.stats.skipped > 0);
  assert.ok(wasted(ca.trials) < wasted(plain.trials), `cost-aware wasted ${wasted(ca.trials)}, plain ${wasted(plain.trials)}`);
  // Wasted only when every candidate of an ask was dominated.
  assert.ok(wasted(ca.trials) <= ca.s.stats.allSkipped, `wasted ${wasted(ca.trials)} > all-skipped asks ${ca.s.stats.allSkipped}`);
});

test('predictor: with a GP on the one-hot encoding, evolution reaches a better front of a categorical problem in 60 trials (5 seeds)', async () => {
  // 6 categorical parameters of 4 choices; accuracy is additive in per-choice effects, cost in others.
  const cat = new SearchSpace(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`e${i}`, { kind: 'categorical', choices: ['p', 'q', 'r', 's'] }])));
  const gain = [0, 0.3, 0.6, 1];
  const price = [0, 0.2, 0.7, 1];
  const idx = (v: unknown): number => ['p', 'q', 'r', 's'].indexOf(v as string);
  const objectives: readonly Objective[] = [
    { name: 'accuracy', direction: 'maximize' },
    { name: 'cost', direction: 'minimize' },
  ];
  const evaluate = (p: Params) => {
    const k = cat.names.map((n) => idx(p[n]));
    const acc = k.reduce((s, v, i) => s + (gain[v] as number) * (1 + 0.1 * i), 0) + 0.3 * Math.sin(k[0] as number) * ((k[1] as number) - 1.5);
    return { values: [acc, k.reduce((s, v) => s + (price[v] as number), 0)] };
  };
  const hv = (trials: readonly Trial[]): number => {
    // Dominated area in (accuracy, cost), reference accuracy 0, cost 7.
    const pts = trials
      .filter((t) => t.values)
      .map((t) => t.values as number[])
      .sort((a, b) => (a[1] as number) - (b[1] as number));
    let area = 0;
    let best = 0;
    for (let i = 0; i < pts.length; i++) {
      best = Math.max(best, (pts[i] as number[])[0] as number);
      const next = i + 1 < pts.length ? ((pts[i + 1] as number[])[1] as number) : 7;
      area += best * (next - ((pts[i] as number[])[1] as number));
    }
    return area;
  };
  let plain = 0;
  let pred = 0;
  for (let seed = 1; seed <= 5; seed++) {
    const make = () => new RegularizedEvolution({ populationSize: 10, sampleSize: 3 });
    plain += hv(await runTrials({ strategy: make(), space: cat, objectives, evaluate, nTrials: 60, seed }));
    pred += hv(
      await runTrials({ strategy: new Prescreen(make(), { startupTrials: 15, candidates: 12 }), space: cat, objectives, evaluate, nTrials: 60, seed }),
    );
  }
  assert.ok(pred > plain, `predictor-guided mean area ${pred / 5} vs plain ${plain / 5}`);
});

/** Monte Carlo estimate of the expected hypervolume gain when coordinate k of y is N(mean, sd^2). */
function mcEhvi(front: number[][], ref: number[], y: number[], k: number, mean: number, sd: number, n: number, rng: Rng): number {
  const base = hypervolume(front, ref);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    // Box-Muller
    const u = 1 - rng.next();
    const v = rng.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    const p = y.map((x, j) => (j === k ? mean + sd * z : x));
    sum += hypervolume([...front, p], ref) - base;
  }
  return sum / n;
}

test('normCdf (used by the exact-cost EHVI): symmetric, and matches known quantiles', () => {
  assert.ok(Math.abs(normCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normCdf(1.959963985) - 0.975) < 1e-6);
  assert.ok(Math.abs(normCdf(-1) - 0.158655254) < 1e-6);
  assert.ok(Math.abs(normCdf(2.5) + normCdf(-2.5) - 1) < 1e-9);
});

test('exactCostEhvi: with sd 0 it is the hypervolume the point adds; with sd > 0 it matches a Monte Carlo estimate (2 and 3 objectives)', () => {
  const front2 = [
    [0.1, 0.9],
    [0.4, 0.5],
    [0.7, 0.2],
    [0.8, 0.8], // dominated: must not count
  ];
  const ref2 = [1.1, 1.1];
  for (const [y, a] of [
    [[Number.NaN, 0.3], 0.5],
    [[Number.NaN, 0.6], 0.2],
    [[Number.NaN, 0.95], 0.05],
    [[Number.NaN, 0.5], 0.4],
  ] as [number[], number][]) {
    const exact = hypervolume([...front2, [a, y[1] as number]], ref2) - hypervolume(front2, ref2);
    assert.ok(Math.abs(exactCostEhvi(front2, ref2, y, 0, a, 0) - exact) < 1e-12, `y ${y[1]} a ${a}`);
  }
  const rng = new Rng(7);
  for (const [y, mean, sd] of [
    [[Number.NaN, 0.3], 0.6, 0.15],
    [[Number.NaN, 0.55], 0.35, 0.05],
    [[Number.NaN, 0.1], 0.9, 0.3],
  ] as [number[], number, number][]) {
    const e = exactCostEhvi(front2, ref2, y, 0, mean, sd);
    const mc = mcEhvi(front2, ref2, y, 0, mean, sd, 40_000, rng);
    assert.ok(e > 0);
    assert.ok(Math.abs(e - mc) < 0.02 * e + 2e-4, `2-D exact ${e} vs Monte Carlo ${mc}`);
  }
  // 3 objectives, the unknown one in the middle (k = 1).
  const front3 = [
    [0.1, 0.8, 0.6],
    [0.5, 0.3, 0.5],
    [0.7, 0.6, 0.1],
    [0.3, 0.5, 0.9],
  ];
  const ref3 = [1, 1, 1];
  for (const [y, mean, sd] of [
    [[0.4, Number.NaN, 0.4], 0.45, 0.2],
    [[0.2, Number.NaN, 0.7], 0.6, 0.1],
    [[0.05, Number.NaN, 0.05], 0.9, 0.05],
  ] as [number[], number, number][]) {
    const e = exactCostEhvi(front3, ref3, y, 1, mean, sd);
    const mc = mcEhvi(front3, ref3, y, 1, mean, sd, 40_000, rng);
    assert.ok(Math.abs(e - mc) < 0.02 * e + 2e-4, `3-D exact ${e} vs Monte Carlo ${mc}`);
    const at = [...y];
    at[1] = mean;
    assert.ok(Math.abs(exactCostEhvi(front3, ref3, y, 1, mean, 0) - (hypervolume([...front3, at], ref3) - hypervolume(front3, ref3))) < 1e-12);
  }
  // Beyond the reference in a known objective: nothing to gain, whatever the spread.
  assert.equal(exactCostEhvi(front2, ref2, [Number.NaN, 1.2], 0, 0, 1), 0);
});

test('ehviScorer: a gain scores above any candidate without one; more spread at the same mean gains more on a known cheap cost', () => {
  const pts = [
    [-0.9, 3],
    [-0.7, 2],
    [-0.5, 1],
  ];
  const score = ehviScorer(pts, 0);
  const sure = score([undefined, 1.5], -0.55, 0.001);
  const spread = score([undefined, 1.5], -0.55, 0.1);
  const hopeless = score([undefined, 3.5], -0.2, 0.001);
  assert.ok(spread > sure, `${spread} > ${sure}`);
  assert.ok(sure > 0 && hopeless < 0, `${sure} ${hopeless}`);
});

test('new prescreen options: bad values are ConfigErrors naming them; ehvi needs costAware and one predicted objective', async () => {
  assert.throws(() => new Prescreen(listStrategy([]), { acquisition: 'ei' as 'ehvi' }), /prescreen acquisition "ei"/);
  assert.throws(() => new Prescreen(listStrategy([]), { acquisition: 'ehvi' }), /needs costAware true/);
  assert.throws(() => new Prescreen(listStrategy([]), { costAware: true, acquisition: 'ehvi', ehviShare: 0 }), /ehviShare 0/);
  assert.throws(() => new Prescreen(listStrategy([]), { costAware: true, ehviShare: 0.5 }), /applies to acquisition 'ehvi' only/);
  assert.throws(() => createStrategy('prescreen', { inner: 'tpe', costAware: true, acquisition: 'ehvi', ehviShare: 2 }), /ehviShare 2/);
  // The session-37 EHVI options reach Prescreen through the registry's JSON options (validated there, not refused).
  const ehviJson = { inner: 'tpe', costAware: true, acquisition: 'ehvi', ehviReference: 'front', costRepeats: true, ehviEvery: 2, ehviOthers: 'inner' };
  assert.equal(createStrategy('prescreen', ehviJson).name, 'prescreen');
  assert.throws(() => createStrategy('prescreen', { ...ehviJson, ehviEvery: 0 }), /ehviEvery 0/);
  assert.throws(() => createStrategy('prescreen', { ...ehviJson, ehviReference: 'nadir' }), /ehviReference "nadir"/);
  // Two expensive objectives: the exact-cost expectation is over one.
  const three: Objective[] = [...accLat, { name: 'error', direction: 'minimize' }];
  const h = Array.from({ length: 6 }, (_, i) => trial(i, { a: i, b: 9 - i }, [0.1 * i, latencyOf({ a: i, b: 9 - i }), 1 - 0.1 * i]));
  const s = new Prescreen(listStrategy([{ a: 3, b: 3 }]), { costAware: true, acquisition: 'ehvi', startupTrials: 5, candidates: 1 });
  await assert.rejects(
    async () => s.ask({ space, objectives: three, history: h, trialNumber: 6, rng: new Rng(1), cheapObjectives: cheap }),
    /exactly one objective that is not cheap; the study has 2/,
  );
});

test('with the new options off, prescreen proposes exactly as before (cost-aware GP, same seed)', async () => {
  const problem = (p: Params) => ({ values: [1 - ((p.a as number) - 4) ** 2 / 20 - ((p.b as number) - 6) ** 2 / 40, latencyOf(p)] });
  const run = (o: object) =>
    runTrials({
      strategy: new Prescreen(new RegularizedEvolution({ populationSize: 8, sampleSize: 3 }), { costAware: true, startupTrials: 8, candidates: 6, ...o }),
      space,
      objectives: accLat,
      evaluate: problem,
      nTrials: 30,
      seed: 5,
      cheapObjectives: cheap,
    });
  const a = (await run({})).map((t) => t.params);
  const b = (await run({ acquisition: 'optimistic' })).map((t) => t.params);
  assert.deepEqual(b, a);
  const c = (await run({ acquisition: 'ehvi' })).map((t) => t.params);
  assert.deepEqual(c.slice(0, 8), a.slice(0, 8), 'the model ranks nothing before start-up');
});

test('trimmedFront / ehviReference front: a front point at an outlying accuracy (a cut-off cell, cheapest) leaves the frame', () => {
  // minimisation: [-accuracy, latency]; many evaluated points near 0.6-0.7 accuracy, one 1% cell at the cheapest latency
  const pts: number[][] = [[-0.01, 0.01]];
  for (let i = 0; i < 20; i++) pts.push([-(0.6 + 0.005 * i), 1 + 0.2 * i]);
  for (let i = 0; i < 20; i++) pts.push([-(0.55 + 0.005 * i), 3 + 0.2 * i]);
  const trimmed = trimmedFront(pts, 0);
  assert.ok(!trimmed.some((f) => f[0] === -0.01), 'the 1% cell is dropped');
  assert.ok(
    trimmed.some((f) => f[0] === -0.6),
    'the cheapest genuine front point stays',
  );
  assert.equal(trimmedFront(pts, 1).length, trimmedFront(pts.slice(1), 1).length + 1, 'trimming looks at the given objective only');
  // A cheap candidate predicted at 30% accuracy: it gains against the 1%-cell frame, nothing against the trimmed front's.
  const observed = ehviScorer(pts, 0, 'observed');
  const front = ehviScorer(pts, 0, 'front');
  assert.ok(observed([undefined, 0.5], -0.3, 0.01) > 0);
  assert.ok(front([undefined, 0.5], -0.3, 0.01) < 1e-12, 'no gain (beyond the normal tail)');
  // A candidate beyond the front's accuracy gains under both frames.
  assert.ok(front([undefined, 2], -0.72, 0.01) > 0 && observed([undefined, 2], -0.72, 0.01) > 0);
  assert.equal(ehviScorer(pts, 0)([undefined, 2], -0.72, 0.01), observed([undefined, 2], -0.72, 0.01), "'observed' is the default");
});

test('costRepeats: a candidate with an evaluated trial’s exact costs is predicted as a repeat of it', async () => {
  // history: latency is a function of a only (b is free): a candidate with an evaluated a repeats its costs exactly
  const lat = (p: Params): number => p.a as number;
  const cheapA: CheapObjectives = { indices: [1], values: (p) => [lat(p)] };
  const h: Trial[] = [];
  for (let i = 0; i < 10; i++) {
    const p = { a: i, b: (i * 3) % 10 };
    h.push(trial(i, p, [0.5 + 0.04 * i - (i === 5 ? 0.3 : 0), lat(p)]));
  }
  // a = 5 was evaluated at a poor accuracy (0.4); the kernel, seeing a new b, predicts it near its neighbours
  const cands = [
    { a: 5, b: 9 },
    { a: 2, b: 9 },
  ];
  const ask = (o: object) =>
    new Prescreen(listStrategy(cands), { costAware: true, acquisition: 'ehvi', startupTrials: 5, candidates: 2, ...o }).ask({
      space,
      objectives: accLat,
      history: h,
      trialNumber: 10,
      rng: new Rng(1),
      cheapObjectives: cheapA,
    });
  const off = await ask({});
  const on = await ask({ costRepeats: true });
  assert.deepEqual(await ask({ costRepeats: false }), off, 'false is the default');
  assert.deepEqual(on, { a: 2, b: 9 }, 'the repeat of the poor a = 5 is not chosen');
});

test('ehviEvery: the model chooses on every n-th ask only, the inner strategy’s first candidate otherwise', async () => {
  const h = Array.from({ length: 9 }, (_, i) => trial(i, { a: i, b: 9 - i }, [0.3 + 0.05 * i, latencyOf({ a: i, b: 9 - i })]));
  // none of them is surely dominated (each is cheaper than the trial of the same a)
  const cands = [
    { a: 4, b: 1 },
    { a: 0, b: 1 },
    { a: 8, b: 0 },
  ];
  const ask = async (history: Trial[], o: object) =>
    new Prescreen(listStrategy(cands), { costAware: true, acquisition: 'ehvi', startupTrials: 5, candidates: 3, ...o }).ask({
      space,
      objectives: accLat,
      history,
      trialNumber: history.length,
      rng: new Rng(1),
      cheapObjectives: cheap,
    });
  // 9 trials: not a multiple of 2, so the first candidate that is not skipped; 8 trials: the model's choice (as every = 1)
  const model9 = await ask(h, {});
  assert.notDeepEqual(model9, cands[0], 'the model would not keep the first candidate here');
  assert.deepEqual(await ask(h, { ehviEvery: 2 }), cands[0]);
  assert.deepEqual(await ask(h.slice(0, 8), { ehviEvery: 2 }), await ask(h.slice(0, 8), {}));
  assert.deepEqual(await ask(h, { ehviEvery: 1 }), model9, '1 is the default');
  // ehviOthers 'inner': the inner strategy's first proposal even when surely dominated (screened: the next one)
  const dominatedFirst = [{ a: 9, b: 9 }, ...cands];
  const ask2 = async (o: object) =>
    new Prescreen(listStrategy(dominatedFirst), { costAware: true, acquisition: 'ehvi', startupTrials: 5, candidates: 4, ehviEvery: 2, ...o }).ask({
      space,
      objectives: accLat,
      history: h,
      trialNumber: h.length,
      rng: new Rng(1),
      cheapObjectives: cheap,
    });
  assert.deepEqual(await ask2({}), cands[0]);
  assert.deepEqual(await ask2({ ehviOthers: 'screened' }), cands[0], "'screened' is the default");
  assert.deepEqual(await ask2({ ehviOthers: 'inner' }), { a: 9, b: 9 });
});

test('ca14 options: bad values are ConfigErrors naming them', () => {
  const base = { costAware: true, acquisition: 'ehvi' as const };
  assert.throws(
    () => new Prescreen(listStrategy([]), { ...base, ehviReference: 'nadir' as 'front' }),
    (e) => e instanceof ConfigError && /ehviReference "nadir"/.test(e.message),
  );
  assert.throws(() => new Prescreen(listStrategy([]), { costAware: true, ehviReference: 'front' }), /applies to acquisition 'ehvi' only/);
  assert.throws(
    () => new Prescreen(listStrategy([]), { ...base, costRepeats: 1 as unknown as boolean }),
    (e) => e instanceof ConfigError && /costRepeats 1/.test(e.message),
  );
  assert.throws(() => new Prescreen(listStrategy([]), { costAware: true, costRepeats: true }), /applies to acquisition 'ehvi' only/);
  assert.throws(
    () => new Prescreen(listStrategy([]), { ...base, ehviEvery: 0 }),
    (e) => e instanceof ConfigError && /ehviEvery 0/.test(e.message),
  );
  assert.throws(() => new Prescreen(listStrategy([]), { ...base, ehviEvery: 1.5 }), /ehviEvery 1.5/);
  assert.throws(() => new Prescreen(listStrategy([]), { costAware: true, ehviEvery: 2 }), /applies to acquisition 'ehvi' only/);
  assert.throws(
    () => new Prescreen(listStrategy([]), { ...base, ehviEvery: 2, ehviOthers: 'all' as 'inner' }),
    (e) => e instanceof ConfigError && /ehviOthers "all"/.test(e.message),
  );
  assert.throws(() => new Prescreen(listStrategy([]), { ...base, ehviOthers: 'inner' }), /with ehviEvery > 1 only/);
});

test('ca14 options: given at their defaults the EHVI proposes exactly as without them; each one set changes the proposals', async () => {
  // accuracy peaks inside the space; latency depends on a only, so exact cost repeats occur
  const problem = (p: Params) => ({ values: [1 - ((p.a as number) - 6) ** 2 / 20 - ((p.b as number) - 3) ** 2 / 40, p.a as number] });
  const cheapA: CheapObjectives = { indices: [1], values: (p) => [p.a as number] };
  const run = (o: object) => ehviRun(problem, cheapA, 30, o);
  const plain = await run({});
  assert.deepEqual(await run({ ehviReference: 'observed', costRepeats: false, ehviEvery: 1 }), plain);
  for (const o of [{ costRepeats: true }, { ehviEvery: 3 }, { ehviEvery: 2, ehviOthers: 'inner' }]) assert.notDeepEqual(await run(o), plain, JSON.stringify(o));
});

test('end asks (endEvery): bad values are ConfigErrors naming them; the registry JSON options accept them', () => {
  const base = { costAware: true, acquisition: 'ehvi' as const };
  assert.throws(
    () => new Prescreen(listStrategy([]), { ...base, endEvery: 1 }),
    (e) => e instanceof ConfigError && /endEvery 1: expected an integer in \[2, 1000\]/.test(e.message),
  );
  assert.throws(() => new Prescreen(listStrategy([]), { ...base, endEvery: 2.5 }), /endEvery 2.5/);
  assert.throws(() => new Prescreen(listStrategy([]), { costAware: true, endEvery: 3 }), /endEvery 3 applies to acquisition 'ehvi' only/);
  assert.throws(() => new Prescreen(listStrategy([]), { ...base, endEvery: 3, endRadius: 4 }), /endRadius 4: expected an integer in \[1, 3\]/);
  assert.throws(() => new Prescreen(listStrategy([]), { ...base, endEvery: 3, endAfter: 0 }), /endAfter 0/);
  assert.throws(() => new Prescreen(listStrategy([]), { ...base, endRadius: 2 }), /endRadius 2 applies with endEvery only/);
  assert.throws(() => new Prescreen(listStrategy([]), { ...base, endAfter: 50 }), /endAfter 50 applies with endEvery only/);
  assert.throws(
    () => new Prescreen(listStrategy([]), { ...base, endEvery: 3, endSide: 'cheap' as 'top' }),
    (e) => e instanceof ConfigError && /endSide "cheap": expected 'both' or 'top'/.test(e.message),
  );
  assert.throws(() => new Prescreen(listStrategy([]), { ...base, endSide: 'top' }), /endSide top applies with endEvery only/);
  const json = { inner: 'tpe', ...base, ehviShare: 0.5, endEvery: 3, endAfter: 50, endRadius: 1, endSide: 'top' };
  assert.equal(createStrategy('prescreen', json).name, 'prescreen');
  assert.throws(
    () => createStrategy('prescreen', { ...json, endEvery: 0 }),
    (e) => e instanceof ConfigError && /endEvery 0/.test(e.message),
  );
});

test('neighbours: every point within the radius, each once, the centre excluded', () => {
  const sp = new SearchSpace({
    x: { kind: 'categorical', choices: ['p', 'q', 'r'] },
    y: { kind: 'int', low: 0, high: 3 },
    z: { kind: 'categorical', choices: [0, 1] },
  });
  const c = { x: 'p', y: 1, z: 0 };
  const one = neighbours(sp, c, 1);
  assert.equal(one.length, 2 + 3 + 1);
  const two = neighbours(sp, c, 2);
  const keys = new Set(two.map((p) => JSON.stringify(p)));
  assert.equal(keys.size, two.length, 'no duplicates');
  assert.equal(two.length, 6 + 2 * 3 + 2 * 1 + 3 * 1);
  assert.ok(!keys.has(JSON.stringify(c)));
  const changes = (p: Params) => ['x', 'y', 'z'].filter((n) => p[n] !== (c as Params)[n]).length;
  assert.ok(two.every((p) => changes(p) >= 1 && changes(p) <= 2));
  assert.equal(neighbours(sp, c, 3).length, 3 * 4 * 2 - 1, 'radius 3 covers the whole 3-parameter space');
});

test("end asks: late asks go to an unevaluated neighbour of the front's top end / cheap end; off or before endAfter: as before", async () => {
  // four binary parameters, latency = their binary value, accuracy rising with latency: every point is on the true front;
  // the points of latency 4..11 are evaluated, so the run's front ends at 11 (top; 10 next) and at 4 (cheap)
  const bits = new SearchSpace(Object.fromEntries(['b0', 'b1', 'b2', 'b3'].map((n) => [n, { kind: 'categorical', choices: [0, 1] }])));
  const lat = (p: Params): number => 8 * (p.b0 as number) + 4 * (p.b1 as number) + 2 * (p.b2 as number) + (p.b3 as number);
  const pt = (l: number): Params => ({ b0: (l >> 3) & 1, b1: (l >> 2) & 1, b2: (l >> 1) & 1, b3: l & 1 });
  const h = [4, 5, 6, 7, 8, 9, 10, 11].map((l, i) => trial(i, pt(l), [Math.sqrt(l + 1) / 4, l]));
  const cheapBits: CheapObjectives = { indices: [1], values: (p) => [lat(p)] };
  const inner = [pt(1), pt(13)];
  const ask = (o: object, trialNumber: number) =>
    new Prescreen(listStrategy(inner), { costAware: true, acquisition: 'ehvi', startupTrials: 5, candidates: 2, ...o }).ask({
      space: bits,
      objectives: accLat,
      history: h,
      trialNumber,
      rng: new Rng(1),
      cheapObjectives: cheapBits,
    });
  const on = { endEvery: 3, endAfter: 5, endRadius: 1 };
  // trial number 6: a multiple of 3, floor(6 / 3) even: the top end; one change from 11 or 10 and not evaluated: 3, 15, 2, 14
  assert.ok([3, 15, 2, 14].includes(lat(await ask(on, 6))), 'a neighbour of the top end');
  // trial number 9: floor(9 / 3) odd: the cheap end; one change from 4 and not evaluated: 0, 12
  assert.ok([0, 12].includes(lat(await ask(on, 9))), 'a neighbour of the cheap end');
  // endSide 'top': every end ask seeks the top end (9 too)
  assert.ok([3, 15, 2, 14].includes(lat(await ask({ ...on, endSide: 'top' }, 9))), "endSide 'top' at 9: the top end");
  assert.deepEqual(await ask({ ...on, endSide: 'both' }, 9), await ask(on, 9), "'both' is the default");
  // not an end ask (10), before endAfter, or off: one of the inner strategy's proposals
  for (const [o, n] of [
    [on, 10],
    [{ ...on, endAfter: 9 }, 9],
    [{}, 9],
  ] as const)
    assert.ok([1, 13].includes(lat(await ask(o, n))), JSON.stringify([o, n]));
});

test('end asks: given at their defaults absent, proposals as before; endEvery set changes a run', async () => {
  const problem = (p: Params) => ({ values: [1 - ((p.a as number) - 6) ** 2 / 20 - ((p.b as number) - 3) ** 2 / 40, latencyOf(p)] });
  const run = (o: object) => ehviRun(problem, cheap, 40, o);
  const plain = await run({});
  assert.deepEqual(await run({ endEvery: 2, endAfter: 1000 }), plain, 'no end ask before endAfter');
  const ends = await run({ endEvery: 2, endAfter: 12 });
  assert.deepEqual(ends.slice(0, 12), plain.slice(0, 12));
  assert.notDeepEqual(ends, plain);
});

test('ehvi: an ask whose candidates all have NaN costs (no table row) returns the inner strategy’s first one, not a crash', async () => {
  // session 38 (table15): on NAS-Bench-Graph proteins the inner TPE proposed 16 all-skip points (no row, NaN latency)
  // at one ask; the EHVI scores were all NaN and the choice indexed -1
  const h: Trial[] = [];
  for (let i = 0; i < 10; i++) {
    const p = { a: i, b: (i * 3) % 10 };
    h.push(trial(i, p, [0.5 + 0.04 * i, latencyOf(p)]));
  }
  const costless = [
    { a: 9, b: 9 },
    { a: 8, b: 8 },
  ];
  const noRow: CheapObjectives = { indices: [1], values: (p) => [(p.a as number) >= 8 ? Number.NaN : latencyOf(p)] };
  const ask = (points: readonly Params[]) =>
    new Prescreen(listStrategy(points), { costAware: true, acquisition: 'ehvi', startupTrials: 5, candidates: 2 }).ask({
      space,
      objectives: accLat,
      history: h,
      trialNumber: 10,
      rng: new Rng(1),
      cheapObjectives: noRow,
    });
  assert.deepEqual(await ask(costless), { a: 9, b: 9 });
  // one candidate with costs: the model scores it and it is chosen over the costless one
  assert.deepEqual(
    await ask([
      { a: 9, b: 9 },
      { a: 0, b: 1 },
    ]),
    { a: 0, b: 1 },
  );
});
