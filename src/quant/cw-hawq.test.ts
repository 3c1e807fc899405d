import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitFusionEdge } from '../hardware/bitfusion.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { Rng } from '../util/rng.js';
import { PolicyCoster, parseBudget } from './cost.js';
import { buildAllocation, type ChannelAllocation, channelWall, cwHawqSearch, ratiosToCounts, traceOrder } from './cw-hawq.js';

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
      actBits: 4,
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

test('CW-HAWQ budget wall only repairs: demotes 8 -> 4 before 4 -> 2, leaves a fitting allocation as the agent chose it', async () => {
  const w4 = coster.uniformCost({ weightBits: 4, actBits: 8 });
  const budget = { kind: 'latency' as const, value: w4.latency * 1.05 };
  const r = await cwHawqSearch({ coster, budget, bits: [2, 4, 8], actBits: 8, channelTraces: traces, accuracy: acc, episodes: 6, warmupEpisodes: 6, seed: 3 });
  for (const e of r.history) assert.ok(e.cost.latency <= budget.value, `episode ${e.episode}: latency ${e.cost.latency} vs budget ${budget.value}`);
  assert.ok(new Set(r.history.map((e) => JSON.stringify(e.counts))).size > 1, 'different ratios give different allocations');
  // the wall on an all-8-bit start that all-4-bit fits: no channel is pushed to 2 bits
  const table = (li: number, c: readonly number[]): number =>
    coster.policyCost(
      buildAllocation(
        coster,
        [2, 4, 8],
        coster.layers.map((l, i) => (i === li ? c : [0, 0, l.outChannels])),
        traces.map(traceOrder),
        8,
        4,
      ).policy,
    ).latency;
  const cost = (cs: readonly (readonly number[])[]): number =>
    coster.policyCost(buildAllocation(coster, [2, 4, 8], cs, traces.map(traceOrder), 8, 4).policy).latency;
  const wall = channelWall({ bits: [2, 4, 8], channelTraces: traces, budget, layerCost: table, cost });
  const counts = coster.layers.map((l) => [0, 0, l.outChannels]);
  const c = wall(counts);
  assert.ok(c <= budget.value);
  assert.equal(
    counts.reduce((s, x) => s + (x[0] as number), 0),
    0,
    `no 2-bit channel: ${JSON.stringify(counts)}`,
  );
  // an allocation that fits is left alone (no fill)
  const fits = coster.layers.map((l) => [l.outChannels, 0, 0]);
  wall(fits);
  assert.deepEqual(
    fits,
    coster.layers.map((l) => [l.outChannels, 0, 0]),
  );
});

test('one sign convention: a channel with a large negative trace estimate is ranked and weighed as sensitive (|trace|)', () => {
  // ordering: |-5| > |2| > |0.1|
  assert.deepEqual(traceOrder([0.1, -5, 2]), [1, 2, 0]);
  // the wall: one layer of 3 channels, all at 8 bits, budget forces exactly one channel down to 2 bits
  // (each channel costs its bits); the demoted channel must be the least sensitive one (|0.1|), not -5
  const wall = channelWall({
    bits: [2, 8],
    channelTraces: [[0.1, -5, 2]],
    budget: { kind: 'size', value: 18 },
    layerCost: (_li, c) => 2 * (c[0] as number) + 8 * (c[1] as number),
    cost: (cs) => cs.reduce((a, c) => a + 2 * (c[0] as number) + 8 * (c[1] as number), 0),
  });
  const counts = [[0, 3]];
  const c = wall(counts);
  assert.deepEqual(counts, [[1, 2]]);
  assert.equal(c, 18);
  const tiny = { ...coster, layers: [coster.layers[0]] } as unknown as typeof coster;
  const l0 = coster.layers[0];
  if (!l0) throw new Error('no layer');
  const t = Array.from({ length: l0.outChannels }, (_, i) => (i === 0 ? 0.1 : i === 1 ? -5 : 0.01));
  const a = buildAllocation(tiny, [2, 8], [[l0.outChannels - 1, 1]], [traceOrder(t)], 8, 4);
  assert.equal(a.channelBits[l0.name]?.[1], 8, 'the -5 channel gets the 8-bit slot');
});

test('the wall weighs activation moves against weight moves in one unit: it lowers whichever costs less loss per cost saved', () => {
  // one layer of 2 channels at 8 bits, input at activation index 1 (of [4, 8]); cost = weight bits + 2 x activation bits;
  // budget 8 + 8 + 8 = 24 forces one move of 8 cost units: the input 8 -> 4 (saves 8) or both channels 8 -> 4 (saves 8)
  const make = (actLoss: number, weightLoss: number) =>
    channelWall({
      bits: [4, 8],
      channelTraces: [[1, 1]],
      budget: { kind: 'size', value: 24 },
      layerCost: (_li, c, a) => 4 * (c[0] as number) + 8 * (c[1] as number) + 2 * ([4, 8][a] as number),
      cost: (cs, as) => cs.reduce((s, c, li) => s + 4 * (c[0] as number) + 8 * (c[1] as number) + 2 * ([4, 8][as[li] as number] as number), 0),
      weightDamage: [
        [
          [weightLoss, weightLoss],
          [0, 0],
        ],
      ],
      actDamage: [[actLoss, 0]],
    });
  const cheapAct = make(0.01, 1);
  const counts = [[0, 2]];
  const acts = [1];
  assert.equal(cheapAct(counts, acts), 24);
  assert.deepEqual([counts, acts], [[[0, 2]], [0]], 'activations go down when that loses less');
  const cheapWeights = make(1, 0.01);
  const counts2 = [[0, 2]];
  const acts2 = [1];
  assert.equal(cheapWeights(counts2, acts2), 24);
  assert.deepEqual([counts2, acts2], [[[2, 0]], [1]], 'weights go down when that loses less');
  // activation damage needs weight damage in the same unit
  assert.throws(
    () => channelWall({ bits: [4, 8], channelTraces: [[1]], budget: { kind: 'size', value: 1 }, layerCost: () => 0, cost: () => 0, actDamage: [[1, 0]] }),
    /needs the weight damage/,
  );
});
