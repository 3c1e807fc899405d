import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../util/rng.js';
import { hypervolume, paretoFront } from '../pareto.js';
import { createStrategy, strategyNames } from '../registry.js';
import { SearchSpace } from '../space.js';
import { BRANIN_MINIMUM, branin, zdt1, zdt1TrueHypervolume, zdt2, zdt2TrueHypervolume } from '../testing/problems.js';
import { runTrials } from '../testing/run-trials.js';
import { strategyConformance } from '../testing/strategy-conformance.js';
import type { SearchStrategy, Trial } from '../types.js';
import { Auto } from './auto.js';
import { BayesianOptimization, perturb } from './bayesian.js';
import { Nsga2 } from './nsga2.js';
import { Portfolio } from './portfolio.js';
import { Prescreen } from './prescreen.js';
import { RandomSearch } from './random.js';
import { RegularizedEvolution } from './regularized-evolution.js';
import { Tpe } from './tpe.js';

const makers: Record<string, () => SearchStrategy> = {
  random: () => new RandomSearch(),
  nsga2: () => new Nsga2({ populationSize: 8 }),
  bo: () => new BayesianOptimization({ candidates: 200, refine: 2, restarts: 1 }),
  'regularized-evolution': () => new RegularizedEvolution({ populationSize: 8, sampleSize: 3 }),
  tpe: () => new Tpe(),
  auto: () => new Auto(new Nsga2({ populationSize: 8 }), new Tpe()),
  prescreen: () => new Prescreen(new Nsga2({ populationSize: 8 }), { startupTrials: 10, candidates: 6 }),
  portfolio: () => new Portfolio(new Tpe(), new Nsga2({ populationSize: 8 }), { secondFrom: 5 }),
};

test('every registered strategy has a conformance run', () => {
  assert.deepEqual(strategyNames(), Object.keys(makers).sort());
  for (const name of strategyNames()) assert.equal(createStrategy(name).name, name);
  assert.throws(() => createStrategy('cma-es'), /unknown search strategy 'cma-es'; expected one of auto, bo, nsga2/);
});

for (const [name, make] of Object.entries(makers)) strategyConformance(name, make);
strategyConformance('tpe (univariate)', () => new Tpe({ multivariate: false }));
strategyConformance('portfolio (adaptive)', () => new Portfolio(new Tpe(), new Nsga2({ populationSize: 8 }), { secondFrom: 5, window: 5 }));
strategyConformance(
  'portfolio (adaptive, hypervolume credit)',
  () => new Portfolio(new Tpe(), new Nsga2({ populationSize: 8 }), { secondFrom: 5, window: 5, credit: 'hv' }),
);

function frontHv(trials: readonly Trial[]): number {
  const pts = trials.filter((t) => t.values).map((t) => t.values as number[]);
  return hypervolume(
    paretoFront(pts).map((i) => pts[i] as number[]),
    [1.1, 1.1],
  );
}

for (const [problem, trueHv] of [
  [zdt1(), zdt1TrueHypervolume()],
  [zdt2(), zdt2TrueHypervolume()],
] as const) {
  test(`nsga2 on ${problem.name}: hypervolume within 2% of the true front's after 10,000 evaluations`, async () => {
    const trials = await runTrials({
      strategy: new Nsga2({ populationSize: 24 }),
      space: problem.space,
      objectives: problem.objectives,
      evaluate: (p) => ({ values: problem.evaluate(p) }),
      nTrials: 10_000,
      seed: 1,
    });
    const ratio = frontHv(trials) / trueHv;
    console.log(`# nsga2 ${problem.name}: hypervolume ratio ${ratio.toFixed(4)}`);
    assert.ok(ratio >= 0.98 && ratio <= 1 + 1e-9, `ratio ${ratio}`);
  });
}

test('random search is worse than nsga2 on zdt1 (same budget of 2,000)', async () => {
  const p = zdt1();
  const go = (s: SearchStrategy) =>
    runTrials({ strategy: s, space: p.space, objectives: p.objectives, evaluate: (x) => ({ values: p.evaluate(x) }), nTrials: 2000, seed: 4 });
  const hvRandom = frontHv(await go(new RandomSearch()));
  const hvNsga = frontHv(await go(new Nsga2({ populationSize: 50 })));
  console.log(`# zdt1 at 2,000 evaluations: random ${(hvRandom / zdt1TrueHypervolume()).toFixed(4)}, nsga2 ${(hvNsga / zdt1TrueHypervolume()).toFixed(4)}`);
  assert.ok(hvNsga > hvRandom * 1.1, `nsga2 ${hvNsga} vs random ${hvRandom}`);
});

test('bo finds the Branin optimum (0.397887) within 0.05 in 50 evaluations', async () => {
  const p = branin();
  const trials = await runTrials({
    strategy: new BayesianOptimization(),
    space: p.space,
    objectives: p.objectives,
    evaluate: (x) => ({ values: p.evaluate(x) }),
    nTrials: 50,
    seed: 7,
  });
  const values = trials.map((t) => (t.values as number[])[0] as number);
  const best = Math.min(...values);
  const first = values.findIndex((v) => v - BRANIN_MINIMUM < 0.05);
  console.log(`# bo branin: best ${best.toFixed(5)}, first within 0.05 at evaluation ${first + 1}`);
  assert.ok(best - BRANIN_MINIMUM < 0.05, `best ${best}`);
});

test('regularized evolution improves on random search on a single objective', async () => {
  const p = branin();
  const go = (s: SearchStrategy) =>
    runTrials({ strategy: s, space: p.space, objectives: p.objectives, evaluate: (x) => ({ values: p.evaluate(x) }), nTrials: 300, seed: 9 });
  const tail = (ts: Trial[]) => ts.slice(200).reduce((s, t) => s + (t.values as number[])[0]!, 0) / 100;
  const re = tail(await go(new RegularizedEvolution({ populationSize: 20, sampleSize: 5 })));
  const rnd = tail(await go(new RandomSearch()));
  assert.ok(re < rnd / 2, `mean of the last 100: evolution ${re}, random ${rnd}`);
});

test('bo handles two objectives (ParEGO) and beats random on zdt1 with 6 variables at 60 evaluations', async () => {
  const p = zdt1(6);
  const go = (s: SearchStrategy) =>
    runTrials({ strategy: s, space: p.space, objectives: p.objectives, evaluate: (x) => ({ values: p.evaluate(x) }), nTrials: 60, seed: 2 });
  const hvBo = frontHv(await go(new BayesianOptimization({ candidates: 500 })));
  const hvRandom = frontHv(await go(new RandomSearch()));
  console.log(`# zdt1(6) at 60 evaluations: bo ${(hvBo / zdt1TrueHypervolume()).toFixed(4)}, random ${(hvRandom / zdt1TrueHypervolume()).toFixed(4)}`);
  assert.ok(hvBo > hvRandom, `bo ${hvBo} vs random ${hvRandom}`);
});

test('bo: a run resumed between hyperparameter refits (fresh instance) proposes what the uninterrupted run proposes', async () => {
  const p = zdt1(4);
  const make = () => new BayesianOptimization({ candidates: 100, refine: 1, startupTrials: 10, refitEvery: 7 });
  const go = (n: number, history?: Trial[]) =>
    runTrials({
      strategy: make(),
      space: p.space,
      objectives: p.objectives,
      evaluate: (x) => ({ values: p.evaluate(x) }),
      nTrials: n,
      seed: 6,
      ...(history ? { history } : {}),
    });
  const whole = await go(30);
  const resumed = await go(30, await go(20));
  assert.deepEqual(
    resumed.map((t) => t.params),
    whole.map((t) => t.params),
  );
  assert.throws(() => new BayesianOptimization({ refitEvery: 0 }), /refitEvery 0: expected an integer >= 1/);
});

test('bo: a perturbation of a categorical point moves one parameter; a float-only point moves by noise alone', () => {
  const params: Record<string, { kind: 'categorical'; choices: string[] }> = {};
  for (let i = 0; i < 20; i++) params[`p${i}`] = { kind: 'categorical', choices: ['a', 'b', 'c', 'd'] };
  const cat = new SearchSpace(params);
  const rng = new Rng(7);
  const x = cat.sample(rng);
  for (let t = 0; t < 500; t++) {
    const y = perturb(cat.encode(x), 0.1, cat, rng);
    const changed = cat.names.filter((n) => y[n] !== x[n]).length;
    // noise of sd 0.1 on a one-hot block almost never flips it: the move is the categorical one
    assert.ok(changed >= 1 && changed <= 2, `perturbation ${t} changed ${changed} parameters`);
    assert.equal(cat.check(y), null);
  }
  const flt = new SearchSpace({ u: { kind: 'float', low: 0, high: 1 }, v: { kind: 'float', low: 0, high: 1 } });
  const f = { u: 0.5, v: 0.5 };
  const g = perturb(flt.encode(f), 0.1, flt, new Rng(3));
  assert.ok(g.u !== 0.5 && g.v !== 0.5 && Math.abs((g.u as number) - 0.5) < 0.6);
});
