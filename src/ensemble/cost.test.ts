import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { uniformPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { zooGraph } from '../ir/zoo/index.js';
import { ensembleCost, membersWithin } from './cost.js';
import { memberPolicy } from './members.js';

test('membersWithin: whole members within the budget, an exact multiple counts, none when one member is over; bad costs named', () => {
  assert.equal(membersWithin(0.5, 1.0), 2);
  assert.equal(membersWithin(0.1, 0.3), 3, 'an exact multiple fits despite float rounding (0.1 x 3 > 0.3 in binary)');
  assert.equal(membersWithin(0.51, 1.0), 1);
  assert.equal(membersWithin(1.2, 1.0), 0);
  assert.throws(
    () => membersWithin(0, 1),
    (e: unknown) => e instanceof ConfigError && /member cost 0/.test(e.message),
  );
  assert.throws(() => membersWithin(Number.NaN, 1), ConfigError);
});

test('ensembleCost: membersWithinW8a8 is the largest K whose sequential cost stays within the w8a8 model; lower member bits never fit fewer', async () => {
  const graph = zooGraph('zoo:mbnet32?channels=1&size=28');
  for (const name of ['bismo-cloud', 'bitfusion-edge']) {
    const target = getTarget(name);
    await target.prepare?.(graph);
    // the w8a8 model itself: exactly one fits
    const self = ensembleCost(target, graph, uniformPolicy(8, 8, 'w8a8'), 1);
    assert.equal(self.membersWithinW8a8?.latency, 1, name);
    assert.equal(self.membersWithinW8a8?.energy, 1, name);
    let prev = 0;
    for (const actBits of [8, 4, 2]) {
      const c = ensembleCost(target, graph, memberPolicy(graph, { weightBits: 1, actBits, lowBitDepthwise: true }), 3);
      const w8 = c.w8a8;
      const fit = c.membersWithinW8a8;
      assert.ok(w8 && fit, `${name}: w8a8 costed`);
      assert.ok(fit.latency * c.member.latencyMs <= w8.latencyMs * (1 + 1e-9), `${name} a${actBits}: K=${fit.latency} within`);
      assert.ok((fit.latency + 1) * c.member.latencyMs > w8.latencyMs, `${name} a${actBits}: K=${fit.latency + 1} over`);
      assert.ok((fit.energy as number) * c.member.energyMj <= w8.energyMj * (1 + 1e-9));
      assert.ok(((fit.energy as number) + 1) * c.member.energyMj > w8.energyMj);
      assert.ok(fit.latency >= prev, `${name}: a${actBits} fits ${fit.latency} < ${prev} at more activation bits`);
      prev = fit.latency;
    }
  }
});
