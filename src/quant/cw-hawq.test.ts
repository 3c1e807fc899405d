import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitFusionEdge } from '../hardware/bitfusion.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { Rng } from '../util/rng.js';
import { PolicyCoster, parseBudget } from './cost.js';
import { buildAllocation, type ChannelAllocation, cwHawqSearch, ratiosToCounts, traceOrder } from './cw-hawq.js';

const graph = zooGraph('mbnet32');
const coster = new PolicyCoster(graph, bitFusionEdge());
const rng = new Rng(7);
const traces = coster.layers.map((l) => Array.from({ length: l.outChannels }, () => Math.exp(rng.normal(0, 1.5))));

/** Synthetic accuracy: each channel loses trace x 4^-bits. */
function acc(a: ChannelAllocation): number {
  let loss = 0;
  coster.layers.forEach((l, i) => {
    const bits = a.channelBits[l.name] as readonly number[];
    bits.forEach((b, c) => {
      loss += ((traces[i] as number[])[c] as number) * 4 ** -b * 0.02;
    });
  });
  return 1 - loss;
}

test('ratios to counts, trace order, allocation gives high bits to high traces', () => {
  assert.deepEqual(ratiosToCounts([0.2, 0.3, 0.5], 10), [2, 3, 5]);
  assert.deepEqual(ratiosToCounts([1, 1, 1], 10), [4, 3, 3]);
  assert.deepEqual(ratiosToCounts([0, 0, 0], 4), [2, 1, 1]);
  assert.deepEqual(traceOrder([0.1, 3, 2, 3]), [1, 3, 2, 0]);
  const counts = coster.layers.map((l) => [l.outChannels - 2, 1, 1]);
  const a = buildAllocation(coster, [2, 4, 8], counts, traces.map(traceOrder), 8, 4);
  const l0 = coster.layers[0]?.name as string;
  const bits0 = a.channelBits[l0] as readonly number[];
  const t0 = traces[0] as number[];
  const top = traceOrder(t0);
  assert.equal(bits0[top[0] as number], 8);
  assert.equal(bits0[top[1] as number], 4);
  assert.equal(bits0[top[2] as number], 2);
  const groups = a.policy.layers[l0]?.groups ?? [];
  assert.deepEqual(
    groups.map((g) => [g.channels, g.weightBits]),
    [
      [1, 8],
      [1, 4],
      [(coster.layers[0]?.outChannels ?? 0) - 2, 2],
    ],
  );
});

test('CW-HAWQ search stays within the budget, learns, and is seeded', async () => {
  const w8a8 = coster.uniformCost({ weightBits: 8, actBits: 8 });
  const budget = parseBudget('latency=0.6x', w8a8);
  const run = (): ReturnType<typeof cwHawqSearch> =>
    cwHawqSearch({
      coster,
      budget,
      bits: [2, 4, 8],
      actBits: 'same',
      channelTraces: traces,
      accuracy: acc,
      episodes: 80,
      warmupEpisodes: 20,
      seed: 2,
      agent: { hidden: [32, 32], batchSize: 32 },
    });
  const r = await run();
  assert.ok(r.cost.latency <= budget.value, `${r.cost.latency} > ${budget.value}`);
  assert.ok(coster.policyCost(r.allocation.policy).latency <= budget.value);
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const warm = mean(r.history.slice(0, 20).map((e) => e.accuracy));
  const late = mean(r.history.slice(-20).map((e) => e.accuracy));
  assert.ok(late > warm, `late ${late} vs warm ${warm}`);
  const again = await run();
  assert.deepEqual(again.allocation.counts, r.allocation.counts);
  await assert.rejects(
    cwHawqSearch({ coster, budget: { kind: 'latency', value: w8a8.latency * 0.01 }, bits: [2, 4, 8], channelTraces: traces, accuracy: acc, seed: 1 }),
    /cheapest achievable latency/,
  );
});

test('CW-HAWQ budget wall demotes 8 -> 4 before 4 -> 2 and spends left-over budget (no needless 2-bit channels)', async () => {
  // a budget that all-4-bit weights (8-bit activations) fit: random ratios must not end up 2-bit heavy
  const w4 = coster.uniformCost({ weightBits: 4, actBits: 8 });
  const budget = { kind: 'latency' as const, value: w4.latency * 1.05 };
  const r = await cwHawqSearch({ coster, budget, bits: [2, 4, 8], actBits: 8, channelTraces: traces, accuracy: acc, episodes: 6, warmupEpisodes: 6, seed: 3 });
  const total = coster.layers.reduce((s, l) => s + l.outChannels, 0);
  for (const e of r.history) {
    const at2 = e.counts.reduce((s, c) => s + (c[0] as number), 0);
    assert.ok(at2 <= 0.05 * total, `episode ${e.episode}: ${at2} of ${total} channels at 2 bits`);
    assert.ok(
      e.cost.latency <= budget.value && e.cost.latency >= 0.9 * budget.value,
      `episode ${e.episode}: latency ${e.cost.latency} vs budget ${budget.value}`,
    );
  }
});
