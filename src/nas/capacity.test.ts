import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { ConfigError } from '../errors.js';
import { defaultPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { graphTotals } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { createStrategy } from '../search/registry.js';
import { MBV2_MBNET, type Mbv2Arch, mbv2Space } from '../search/spaces/mbv2.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { strategyConformance } from '../search/testing/strategy-conformance.js';
import type { Trial } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { capacityPoints, capacitySearch, cheaperMoves, isMbv2Space } from './capacity.js';
import { nasStrategyConfig } from './strategy-config.js';

const space = mbv2Space(MBV2_MBNET);
const bf = getTarget('bitfusion-edge');
const pol = defaultPolicy(bf);
const latency = (a: Mbv2Arch): number => bf.networkCost(space.graph(a), pol).latencyMs;
const line = bf.networkCost(zooGraph('zoo:mbnet32?channels=1&size=28'), pol).latencyMs / 1.3;

describe('capacity search', () => {
  it('recognises plain mbv2 spaces only', () => {
    assert.equal(isMbv2Space(getArchSpace('mbv2-mbnet')), true);
    assert.equal(isMbv2Space(getArchSpace('mbv2')), true);
    assert.equal(isMbv2Space(getArchSpace('nb201')), false);
    assert.equal(isMbv2Space(getArchSpace('mbv2-mbnet+bits')), false);
  });

  it('each cheaper move changes one thing: expansion down, kernel 3, SE off, h-swish to ReLU, or a last block dropped', () => {
    const a = space.parse('r24-w1:k5e3hs,k3e2r|k3e1r|k3e1r|k3e1r');
    const moves = cheaperMoves(a, MBV2_MBNET).map((m) => space.format(m));
    assert.deepEqual(
      new Set(moves),
      new Set([
        'r24-w1:k5e2hs,k3e2r|k3e1r|k3e1r|k3e1r',
        'r24-w1:k3e3hs,k3e2r|k3e1r|k3e1r|k3e1r',
        'r24-w1:k5e3h,k3e2r|k3e1r|k3e1r|k3e1r',
        'r24-w1:k5e3rs,k3e2r|k3e1r|k3e1r|k3e1r',
        'r24-w1:k5e3hs,k3e1r|k3e1r|k3e1r|k3e1r',
        'r24-w1:k5e3hs|k3e1r|k3e1r|k3e1r',
      ]),
    );
    assert.deepEqual(cheaperMoves(space.parse('r24-w1:k3e1r|k3e1r|k3e1r|k3e1r'), MBV2_MBNET), []);
  });

  it('repairs random points under the line, one representative per stratum with the most parameters, deterministic by seed', async () => {
    const r = await capacitySearch(space, { latency, line, perStratum: 2 }, new Rng(3));
    assert.ok(r.picks.length >= 1, 'no stratum has a feasible point');
    for (const p of r.feasible) assert.ok(p.latencyMs <= line && Math.abs(latency(space.parse(p.arch)) - p.latencyMs) < 1e-12, p.arch);
    for (const [i, p] of r.picks.entries()) {
      assert.equal(p.params, graphTotals(space.graph(space.parse(p.arch))).params);
      assert.ok(p.arch.startsWith(`${p.stratum}:`), `${p.arch} is not in stratum ${p.stratum}`);
      if (i > 0) assert.ok((r.picks[i - 1] as typeof p).params >= p.params, 'picks not sorted by parameters');
      const others = r.feasible.filter((q) => q.stratum === p.stratum);
      assert.ok(
        others.every((q) => q.params <= p.params),
        `${p.stratum}: a feasible point has more parameters than its pick`,
      );
      assert.ok(p.feasible >= 1 && p.feasible <= 2);
    }
    assert.equal(new Set(r.picks.map((p) => p.stratum)).size, r.picks.length);
    assert.deepEqual(await capacitySearch(space, { latency, line, perStratum: 2 }, new Rng(3)), r);
  });

  it('a line nothing fits under gives no picks; a non-positive line is a ConfigError', async () => {
    const r = await capacitySearch(space, { latency, line: 1e-9, perStratum: 1 }, new Rng(1));
    assert.deepEqual(r.picks, []);
    await assert.rejects(capacitySearch(space, { latency, line: 0 }, new Rng(1)), (e: unknown) => e instanceof ConfigError && /positive/.test(e.message));
  });

  it('as a strategy: proposes the picks first, skips what the history holds, and says so when the list runs out', async () => {
    const r = await capacitySearch(space, { latency, line, perStratum: 1 }, new Rng(2));
    const list = capacityPoints(r);
    assert.deepEqual(
      list.slice(0, r.picks.length),
      r.picks.map((p) => p.arch),
    );
    assert.equal(new Set(list).size, r.feasible.length);
    const s = createStrategy('capacity', { archSpace: 'mbv2-mbnet', points: list, line });
    const ctx = (history: Trial[]) => ({ space: space.space, objectives: [], history, trialNumber: history.length, rng: new Rng(0) });
    const history: Trial[] = [];
    for (const arch of list) {
      const p = await s.ask(ctx(history));
      assert.equal(space.format(space.fromParams(p)), arch);
      history.push({ number: history.length, params: p, state: 'complete', values: [] } as unknown as Trial);
    }
    await assert.rejects(
      async () => s.ask(ctx(history)),
      (e: unknown) => e instanceof ConfigError && /distinct architectures/.test(e.message),
    );
  });

  it('registry options: archSpace and points required, bad points and unknown options named', () => {
    assert.throws(
      () => createStrategy('capacity', { points: ['x'] }),
      (e: unknown) => e instanceof ConfigError && /archSpace/.test(e.message),
    );
    assert.throws(
      () => createStrategy('capacity', { archSpace: 'mbv2-mbnet' }),
      (e: unknown) => e instanceof ConfigError && /points/.test(e.message),
    );
    assert.throws(
      () => createStrategy('capacity', { archSpace: 'mbv2-mbnet', points: ['r99-w1:k3e1r'] }),
      (e: unknown) => e instanceof ConfigError && /r99/.test(e.message),
    );
    assert.throws(
      () => createStrategy('capacity', { archSpace: 'mbv2-mbnet', points: ['r24-w1:k3e1r|k3e1r|k3e1r|k3e1r'], perStratum: 3 }),
      (e: unknown) => e instanceof ConfigError && /'perStratum'/.test(e.message),
    );
  });

  it('nasStrategyConfig: capacity needs an mbv2 space and a line; runs the search once into the options', async () => {
    const capacity = { latency };
    await assert.rejects(
      nasStrategyConfig('capacity', getArchSpace('nb201'), { budget: 2, capacity }),
      (e: unknown) => e instanceof ConfigError && /nb201/.test(e.message),
    );
    await assert.rejects(
      nasStrategyConfig('capacity', space, { budget: 2, capacity }),
      (e: unknown) => e instanceof ConfigError && /--max-latency/.test(e.message),
    );
    const c = await nasStrategyConfig('capacity', space, { budget: 2, seed: 4, capacity: { latency, line, perStratum: 1 } });
    assert.equal(c.name, 'capacity');
    assert.deepEqual(c.options.points, capacityPoints(await capacitySearch(space, { latency, line, perStratum: 1 }, new Rng(4))));
    await assert.rejects(
      nasStrategyConfig('capacity', space, { budget: 10_000, capacity: { latency, line, perStratum: 1 } }),
      (e: unknown) => e instanceof ConfigError && /fewer than --budget 10000/.test(e.message),
    );
  });
});

// Conformance on a synthetic latency (MACs in millions) with a line most random points must be repaired to reach.
const macsLatency = (a: Mbv2Arch): number => graphTotals(space.graph(a)).macs / 1e6;
const POINTS = capacityPoints(await capacitySearch(space, { latency: macsLatency, line: 4, perStratum: 6 }, new Rng(0)));
test('capacity conformance problem has enough repaired points', () => {
  assert.ok(POINTS.length >= 30, `${POINTS.length} points`);
});
strategyConformance('capacity', () => createStrategy('capacity', { archSpace: 'mbv2-mbnet', points: POINTS, line: 4 }), {
  nTrials: 30,
  seedIndependent: true,
  problem: {
    space: space.space,
    objectives: [
      { name: 'params', direction: 'maximize' },
      { name: 'latency_ms', direction: 'minimize' },
    ],
    evaluate: (p) => {
      const t = graphTotals(space.graph(space.fromParams(p)));
      return { values: [t.params, t.macs / 1e6] };
    },
  },
});

test('nasStrategyConfig: a given NSGA-II / evolution population not below the budget is an error naming both; below it passes', async () => {
  const space = getArchSpace('nb201');
  for (const name of ['nsga2', 'regularized-evolution'])
    await assert.rejects(
      nasStrategyConfig(name, space, { budget: 10, populationSize: 10 }),
      (e: unknown) => e instanceof ConfigError && e.message.includes(`${name} populationSize 10 is not below the study's 10 trials`),
    );
  const c = await nasStrategyConfig('nsga2', space, { budget: 10, populationSize: 5 });
  assert.equal(c.name, 'distinct');
});
