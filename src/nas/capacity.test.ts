import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { defaultPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { graphTotals } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { MBV2_MBNET, type Mbv2Arch, mbv2Space } from '../search/spaces/mbv2.js';
import { getArchSpace } from '../search/spaces/registry.js';
import type { Trial } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { CapacityStrategy, capacitySearch, cheaperMoves, isMbv2Space } from './capacity.js';
import { createNasStrategy } from './run.js';

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
    assert.deepEqual(new Set(moves), new Set(['r24-w1:k5e2hs,k3e2r|k3e1r|k3e1r|k3e1r', 'r24-w1:k3e3hs,k3e2r|k3e1r|k3e1r|k3e1r', 'r24-w1:k5e3h,k3e2r|k3e1r|k3e1r|k3e1r', 'r24-w1:k5e3rs,k3e2r|k3e1r|k3e1r|k3e1r', 'r24-w1:k5e3hs,k3e1r|k3e1r|k3e1r|k3e1r', 'r24-w1:k5e3hs|k3e1r|k3e1r|k3e1r']));
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
      assert.ok(others.every((q) => q.params <= p.params), `${p.stratum}: a feasible point has more parameters than its pick`);
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
    const s = new CapacityStrategy(space, { latency, line, perStratum: 1, seed: 2 });
    const r = await s.search();
    const ctx = (history: Trial[]) => ({ space: space.space, objectives: [], history, trialNumber: history.length, rng: new Rng(0) });
    const first = await s.ask(ctx([]));
    assert.equal(space.format(space.fromParams(first)), r.picks[0]?.arch);
    const history: Trial[] = [];
    const list = [...r.picks.map((p) => p.arch), ...r.feasible.map((p) => p.arch).filter((a) => !r.picks.some((p) => p.arch === a))];
    for (const arch of list) {
      const p = await s.ask(ctx(history));
      assert.equal(space.format(space.fromParams(p)), arch);
      history.push({ number: history.length, params: p, state: 'complete', values: [] } as unknown as Trial);
    }
    await assert.rejects(s.ask(ctx(history)), (e: unknown) => e instanceof ConfigError && /distinct architectures/.test(e.message));
  });

  it('createNasStrategy: capacity needs an mbv2 space and a line', () => {
    const capacity = { latency };
    assert.throws(() => createNasStrategy('capacity', getArchSpace('nb201'), { budget: 2, capacity }), (e: unknown) => e instanceof ConfigError && /nb201/.test(e.message));
    assert.throws(() => createNasStrategy('capacity', space, { budget: 2, capacity }), (e: unknown) => e instanceof ConfigError && /--max-latency/.test(e.message));
    assert.ok(createNasStrategy('capacity', space, { budget: 2, capacity: { latency, line } }).strategy instanceof CapacityStrategy);
  });
});
