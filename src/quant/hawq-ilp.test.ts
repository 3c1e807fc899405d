import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InfeasibleError } from '../errors.js';
import { bismoCloud } from '../hardware/bismo.js';
import { bitFusionEdge } from '../hardware/bitfusion.js';
import type { Precision } from '../hardware/precision.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { PolicyCoster } from './cost.js';
import { ilpSearch, precisionGrid } from './hawq-ilp.js';

const graph = zooGraph('mbnet32');

function score(i: number, p: Precision): number {
  const sens = i === 0 ? 10 : 1 + (i % 3);
  return sens * (4 ** -p.weightBits + 0.5 * 4 ** -p.actBits);
}

test('ILP on mbnet32 agrees with exhaustive search over the true target cost (bitfusion-edge, bismo-cloud)', async () => {
  for (const target of [bitFusionEdge(), bismoCloud()]) {
    const coster = new PolicyCoster(graph, target);
    const options: Precision[] = [
      { weightBits: 2, actBits: 4 },
      { weightBits: 4, actBits: 4 },
      { weightBits: 8, actBits: 8 },
    ];
    const ref = coster.uniformCost({ weightBits: 8, actBits: 8 });
    for (const frac of [0.45, 0.7]) {
      const budget = { latency: frac * ref.latency };
      const r = await ilpSearch({ coster, budget, options, score });
      // exhaustive: 3^n over the layers with the real coster
      const n = coster.layers.length;
      let best = Infinity;
      const idx = new Array<number>(n).fill(0);
      for (let it = 0; it < 3 ** n; it++) {
        const wb = idx.map((k) => (options[k] as Precision).weightBits);
        const ab = idx.map((k) => (options[k] as Precision).actBits);
        if (coster.cost(wb, ab).latency <= budget.latency * (1 + 1e-9)) {
          const s = idx.reduce((acc, k, i) => acc + score(i, options[k] as Precision), 0);
          if (s < best) best = s;
        }
        for (let i = 0; i < n; i++) {
          idx[i] = (idx[i] as number) + 1;
          if ((idx[i] as number) < 3) break;
          idx[i] = 0;
        }
      }
      assert.ok(Math.abs(r.objective - best) <= 1e-9 * best, `${target.name} ${frac}: ilp ${r.objective} vs exhaustive ${best}`);
      assert.ok(r.cost.latency <= budget.latency * (1 + 1e-6));
    }
  }
});

test('energy and size budgets, and infeasible budgets name the cheapest cost', async () => {
  const coster = new PolicyCoster(graph, bitFusionEdge());
  const ref = coster.uniformCost({ weightBits: 8, actBits: 8 });
  const options = precisionGrid([2, 3, 4, 5, 6, 7, 8], [4, 6, 8]);
  const r = await ilpSearch({ coster, budget: { energy: 0.6 * ref.energy, size: 0.5 * ref.size }, options, score });
  assert.ok(r.cost.energy <= 0.6 * ref.energy * (1 + 1e-6) && r.cost.size <= 0.5 * ref.size * (1 + 1e-6));
  await assert.rejects(ilpSearch({ coster, budget: { latency: 0.01 * ref.latency }, options, score }), /latency budget .*cheapest achievable/);
  await assert.rejects(
    ilpSearch({ coster, budget: { latency: ref.latency }, options: [{ weightBits: 12, actBits: 8 }], score }),
    /w12a8 cannot run on target 'bitfusion-edge'/,
  );
});

/** A coster whose network cost is not a sum over layers: two or more low-bit layers pay an extra transition cost (as a fusion-aware target can). */
class NonAdditiveCoster extends PolicyCoster {
  penalty = 0;
  override cost(weightBits: ArrayLike<number>, actBits: ArrayLike<number>, defaultActBits?: number): ReturnType<PolicyCoster['cost']> {
    const c = super.cost(weightBits, actBits, defaultActBits);
    const low = Array.from(weightBits).filter((b) => b < 8).length;
    return { ...c, latency: c.latency + (low >= 2 ? this.penalty * (low - 1) : 0) };
  }
}

test('ILP checks its solution with the target cost and repairs (or fails) when a non-additive cost is over budget', async () => {
  const coster = new NonAdditiveCoster(graph, bitFusionEdge());
  const options: Precision[] = [
    { weightBits: 2, actBits: 4 },
    { weightBits: 4, actBits: 4 },
    { weightBits: 8, actBits: 8 },
  ];
  const ref = coster.uniformCost({ weightBits: 8, actBits: 8 });
  coster.penalty = 0.02 * ref.latency;
  const budget = { latency: 0.7 * ref.latency };
  const r = await ilpSearch({ coster, budget, options, score });
  assert.ok(r.repairs > 0, 'the additive model is over budget at first');
  assert.ok(r.cost.latency <= budget.latency * (1 + 1e-9), `${r.cost.latency} > ${budget.latency}`);
  assert.equal(r.cost.latency, coster.cost(r.weightBits, r.actBits).latency);
  await assert.rejects(
    ilpSearch({ coster, budget, options, score, maxRepairs: 0 }),
    (e: unknown) => e instanceof InfeasibleError && /exceeds the budget/.test(String(e)),
  );
});
