import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InfeasibleError } from '../errors.js';
import { bitFusionEdge } from '../hardware/bitfusion.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { PolicyCoster, parseBudget } from './cost.js';
import { actionToBits, bitsToAction, enforceBudget, haqSearch, layerFeatures, lowerUntilFits, pinFirstLast, randomSearch } from './haq.js';

const BITS = [2, 3, 4, 5, 6, 7, 8];
const graph = zooGraph('mbnet32');
const coster = new PolicyCoster(graph, bitFusionEdge());
const w8a8 = coster.uniformCost({ weightBits: 8, actBits: 8 });

/** Synthetic accuracy: each layer loses sens x 4^-bits (weights) and half that for activations. */
function syntheticAccuracy(p: PrecisionPolicy): number {
  let loss = 0;
  coster.layers.forEach((l, i) => {
    const lp = p.layers[l.name] ?? p.default;
    const sens = i === 0 || l.op === 'dense' ? 8 : l.depthwise ? 3 : 1;
    loss += sens * 4 ** -lp.weightBits + 0.5 * sens * 4 ** -lp.actBits;
  });
  return 1 - loss;
}

test('action <-> bits mapping', () => {
  assert.equal(actionToBits(0, BITS), 2);
  assert.equal(actionToBits(1, BITS), 8);
  for (const b of BITS) assert.equal(actionToBits(bitsToAction(b, BITS), BITS), b);
});

test('budget wall lowers bits until the policy fits; infeasible names the cheapest cost', () => {
  const budget = parseBudget('latency=0.5x', w8a8);
  const wb = new Array<number>(coster.layers.length).fill(8);
  const ab = [...wb];
  const c = enforceBudget(coster, budget, wb, ab, BITS, BITS);
  assert.ok(c.latency <= budget.value);
  assert.ok(wb.some((b) => b < 8));
  const tiny = { kind: 'latency' as const, value: w8a8.latency * 1e-3 };
  assert.throws(
    () => enforceBudget(coster, tiny, [...wb], [...ab], BITS, BITS),
    (e: unknown) => e instanceof InfeasibleError && /cheapest achievable latency/.test(e.message),
  );
});

test('HAQ finds a better policy than random search under the same latency budget, seeded', async () => {
  const budget = parseBudget('latency=0.5x', w8a8);
  const run = (): Promise<Awaited<ReturnType<typeof haqSearch>>> =>
    haqSearch({
      coster,
      budget,
      weightBits: BITS,
      actBits: BITS,
      accuracy: syntheticAccuracy,
      episodes: 100,
      warmupEpisodes: 20,
      seed: 3,
      agent: { hidden: [32, 32], batchSize: 32 },
    });
  const r = await run();
  assert.ok(r.cost.latency <= budget.value);
  const rnd = await randomSearch({ coster, budget, weightBits: BITS, actBits: BITS, accuracy: syntheticAccuracy, trials: 100, seed: 3 });
  console.log(`# haq ${r.accuracy} random ${rnd.accuracy}`);
  assert.ok(r.accuracy > rnd.accuracy, `haq ${r.accuracy} vs random ${rnd.accuracy}`);
  // later episodes are better on average than the warm-up ones: the agent learned
  const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const warm = mean(r.history.slice(0, 20).map((e) => e.accuracy));
  const late = mean(r.history.slice(-30).map((e) => e.accuracy));
  assert.ok(late > warm, `late ${late} vs warm-up ${warm}`);
  const again = await run();
  assert.deepEqual(again.weightBits, r.weightBits);
  assert.deepEqual(again.actBits, r.actBits);
});

test('an aborted search keeps the best so far', async () => {
  const ctl = new AbortController();
  const budget = parseBudget('latency=0.7x', w8a8);
  const r = await haqSearch({
    coster,
    budget,
    weightBits: BITS,
    accuracy: syntheticAccuracy,
    episodes: 50,
    seed: 1,
    signal: ctl.signal,
    onEpisode: (e) => {
      if (e.episode === 4) ctl.abort();
    },
  });
  assert.equal(r.interrupted, true);
  assert.equal(r.history.length, 5);
  assert.equal(r.accuracy, Math.max(...r.history.map((e) => e.accuracy)));
  assert.throws(() => parseBudget('flops=2', w8a8), /budget 'flops=2'/);
  // weights-only at 8-bit activations cannot reach 0.6x on bitfusion-edge
  await assert.rejects(
    haqSearch({ coster, budget: parseBudget('latency=0.6x', w8a8), weightBits: BITS, accuracy: syntheticAccuracy, seed: 1 }),
    /cheapest achievable latency/,
  );
});

test("HAQ's wall: last layer first, activations before weights; first and last layers pinned at 8 bits when the budget admits it", () => {
  const ch = [2, 4, 8];
  // additive cost: sum of bits
  const sum = (w: readonly number[], a: readonly number[]): number => w.reduce((s, x) => s + x, 0) + a.reduce((s, x) => s + x, 0);
  const wb = [8, 8, 8, 8];
  const ab = [8, 8, 8, 8];
  lowerUntilFits(sum, { kind: 'bops', value: 60 }, wb, ab, ch, ch);
  assert.deepEqual(
    [wb, ab],
    [
      [8, 8, 8, 8],
      [8, 8, 8, 4],
    ],
  );
  // one pass over the last layer: its activation 4 -> 2 (58, still over), then its weight 8 -> 4 (54)
  lowerUntilFits(sum, { kind: 'bops', value: 56 }, wb, ab, ch, ch);
  assert.deepEqual(
    [wb, ab],
    [
      [8, 8, 8, 4],
      [8, 8, 8, 2],
    ],
  );
  // pinned first/last: the wall works on the middle layers only
  const w2 = [2, 8, 8, 2];
  const a2 = [2, 8, 8, 2];
  const pins = pinFirstLast(sum, { kind: 'bops', value: 48 }, w2, a2, ch, ch);
  assert.deepEqual(pins, [0, 3]);
  lowerUntilFits(sum, { kind: 'bops', value: 48 }, w2, a2, ch, ch, pins);
  assert.deepEqual([w2[0], a2[0], w2[3], a2[3]], [8, 8, 8, 8]);
  assert.ok(sum(w2, a2) <= 48);
  // a budget that the pins would make unreachable: nothing pinned
  assert.deepEqual(pinFirstLast(sum, { kind: 'bops', value: 20 }, [8, 8, 8, 8], [8, 8, 8, 8], ch, ch), []);
});

test("HAQ's state has the input feature-map size and MACs of each layer", () => {
  const f = layerFeatures(coster.layers);
  assert.equal(f[0]?.length, 10);
  const fmap = f.map((r) => r[5] as number);
  assert.ok(new Set(fmap).size > 1, `feature-map sizes differ across layers: ${fmap}`);
  assert.equal(Math.max(...f.map((r) => r[7] as number)), 1);
});
