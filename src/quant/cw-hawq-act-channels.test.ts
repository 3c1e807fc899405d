/**
 * CW-HAWQ's channel-wise activation bits: input channels ordered by their own activation traces, the wall's
 * input slices, and the targets' cost of a layer whose input channels have mixed widths.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { buildModel } from '../engine/model.js';
import { type PrecisionPolicy, parsePolicy, uniformPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { referenceForward } from '../ir/reference.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { Rng } from '../util/rng.js';
import { calibrateActivations, evaluatePolicy } from './apply.js';
import { PolicyCoster, parseBudget } from './cost.js';
import { type ActChannelLayer, type ChannelAllocation, channelWall, cwHawqSearch, traceOrder } from './cw-hawq.js';
import { inputBitsKey } from './quant-config.js';
import { tinyQuantModel } from './testing/tiny-model.js';

const graph = zooGraph('mbnet32');

test('cw-hawq --act-channels: the input channels at the higher width are the ones with the largest activation traces', async () => {
  const coster = new PolicyCoster(graph, getTarget('bitfusion-edge'));
  const rng = new Rng(3);
  const traces = coster.layers.map((l) => Array.from({ length: l.outChannels }, () => Math.exp(rng.normal(0, 1))));
  const acts = [4, 8];
  // activation traces and damage per input channel (damage = trace x 4^-bits); the dense layer stays per tensor
  const actChannels: (ActChannelLayer | undefined)[] = coster.layers.map((l) => {
    if (l.name === 'fc') return undefined;
    const t = Array.from({ length: l.workload.conv?.inChannels ?? 0 }, () => Math.exp(rng.normal(0, 1.5)));
    return { traces: t, damage: acts.map((b) => t.map((x) => x * 4 ** -b)) };
  });
  const weightDamage = coster.layers.map((_, i) => [2, 4, 8].map((b) => (traces[i] as number[]).map((x) => x * 4 ** -b * 1e-3)));
  const accuracy = (a: ChannelAllocation): number => {
    let loss = 0;
    coster.layers.forEach((l, i) => {
      const ib = a.channelBits[inputBitsKey(l.name)];
      const ac = actChannels[i];
      if (ib && ac) ib.forEach((b, c) => (loss += (ac.traces[c] as number) * 4 ** -b * 1e-3));
    });
    return 1 - loss;
  };
  const budget = parseBudget('latency=0.7x', coster.uniformCost({ weightBits: 8, actBits: 8 }));
  const r = await cwHawqSearch({
    coster,
    budget,
    bits: [2, 4, 8],
    searchActBits: acts,
    actDamage: actChannels.map((ac) => (ac ? acts.map((_, a) => (ac.damage[a] as number[]).reduce((s, v) => s + v, 0)) : [1e-3, 0])),
    channelDamage: weightDamage,
    actChannels,
    channelTraces: traces,
    accuracy,
    episodes: 12,
    seed: 1,
  });
  assert.ok(r.cost.latency <= budget.value * (1 + 1e-9), `latency ${r.cost.latency} over the budget ${budget.value}`);
  let split = 0;
  coster.layers.forEach((l, i) => {
    const ac = actChannels[i];
    const ib = r.allocation.channelBits[inputBitsKey(l.name)];
    if (!ac) {
      assert.equal(ib, undefined, `${l.name}: a dense input stays per tensor`);
      return;
    }
    if (!ib) return;
    const hi = Math.max(...ib);
    const lo = Math.min(...ib);
    if (hi === lo) return;
    split++;
    // every channel at the higher width has a trace at least that of every channel at the lower one
    const minHigh = Math.min(...ib.flatMap((b, c) => (b === hi ? [ac.traces[c] as number] : [])));
    const maxLow = Math.max(...ib.flatMap((b, c) => (b === lo ? [ac.traces[c] as number] : [])));
    assert.ok(minHigh >= maxLow, `${l.name}: a channel at ${lo} bits (trace ${maxLow}) is more sensitive than one at ${hi} bits (${minHigh})`);
    // the policy carries the split as input groups, costed by the target
    const groups = r.allocation.policy.layers[l.name]?.inputGroups ?? [];
    assert.deepEqual(
      groups.map((g) => [g.actBits, g.channels]),
      [
        [hi, ib.filter((b) => b === hi).length],
        [lo, ib.filter((b) => b === lo).length],
      ],
    );
    assert.deepEqual(
      traceOrder(ac.traces)
        .slice(0, ib.filter((b) => b === hi).length)
        .map((c) => ib[c]),
      new Array<number>(ib.filter((b) => b === hi).length).fill(hi),
    );
  });
  assert.ok(split > 0, 'some layer input is split between two widths');
});

test('the wall lowers a split input slice by slice, least sensitive first, to the budget', () => {
  // one layer, one weight width; the layer costs 10 with its input at acts[0] and 20 at acts[1]
  const order = [3, 0, 2, 4, 5, 7, 6, 1];
  const traces = [7, 1, 6, 8, 5, 4, 2, 3];
  const damage = [traces.map((t) => t), traces.map(() => 0)];
  const wall = channelWall({
    bits: [8],
    channelTraces: [[1]],
    budget: { kind: 'latency', value: 15 },
    layerCost: (_li, _c, a) => (a === 0 ? 10 : 20),
    cost: (_c, a, h) => {
      const s = (h?.[0] ?? 0) / 8;
      return (a[0] === 0 ? 10 : 20) * (1 - s) + (s > 0 ? 20 * s : 0);
    },
    weightDamage: [[[0]]],
    actDamage: [[1, 0]],
    actChannels: [{ order, damage }],
  });
  assert.deepEqual(traceOrder(traces), order);
  const acts = [1];
  const high = [0];
  const c = wall([[1]], acts, high);
  // from every channel at acts[1]: slices of the least sensitive go down until the share-weighted cost fits
  assert.equal(acts[0], 0);
  assert.equal(high[0], 4);
  assert.equal(c, 15);
});

test('targets cost a layer with mixed input widths between its uniform costs (pointwise and depthwise)', () => {
  for (const name of ['bitfusion-edge', 'systolic', 'myriad-x']) {
    const t = getTarget(name);
    const acts = t.supportedBits.act.filter((b) => b <= 8);
    const lo = Math.min(...acts);
    const hi = Math.max(...acts);
    const w = t.supportedBits.weight.includes(8) ? 8 : (t.supportedBits.weight[0] as number);
    for (const [layer, inC] of [
      ['b2_pw', 64],
      ['b3_dw', 128],
    ] as const) {
      const at = (inputGroups?: { channels: number; actBits: number }[], a = hi): PrecisionPolicy => ({
        default: { weightBits: w, actBits: hi },
        layers: { [layer]: { weightBits: w, actBits: a, ...(inputGroups ? { inputGroups } : {}) } },
      });
      const mixed = at([
        { channels: inC / 4, actBits: hi },
        { channels: (3 * inC) / 4, actBits: lo },
      ]);
      const layerLat = (p: PrecisionPolicy): number => t.networkCost(graph, p).layers.find((l) => l.node === layer)?.latencyMs as number;
      const [mLo, mMix, mHi] = [layerLat(at(undefined, lo)), layerLat(mixed), layerLat(at(undefined, hi))];
      assert.ok(mLo <= mMix && mMix <= mHi, `${name} ${layer}: ${mLo} <= ${mMix} <= ${mHi}`);
      assert.ok(mLo < mHi ? mLo < mMix && mMix < mHi : true, `${name} ${layer}: strictly between when the widths differ in cost`);
      // the same through the policy coster (what the searches use)
      const coster = new PolicyCoster(graph, t);
      const c = (p: PrecisionPolicy): number => coster.policyCost(p).latency;
      assert.ok(c(at(undefined, lo)) <= c(mixed) && c(mixed) <= c(at(undefined, hi)), `${name} ${layer}: network latency between`);
      assert.ok(coster.policyCost(mixed).bops < coster.policyCost(at(undefined, hi)).bops, 'fewer BOPs with a quarter of the input at the high width');
    }
  }
});

test('policy JSON: inputGroups are read and must cover the layer input channels (bad value named)', () => {
  const p = parsePolicy(
    {
      default: { weightBits: 8, actBits: 8 },
      layers: {
        b2_pw: {
          weightBits: 8,
          actBits: 8,
          inputGroups: [
            { channels: 16, actBits: 8 },
            { channels: 48, actBits: 4 },
          ],
        },
      },
    },
    { graph },
  );
  assert.deepEqual(p.layers.b2_pw?.inputGroups, [
    { channels: 16, actBits: 8 },
    { channels: 48, actBits: 4 },
  ]);
  assert.throws(
    () => parsePolicy({ layers: { b2_pw: { weightBits: 8, actBits: 8, inputGroups: [{ channels: 16, actBits: 8 }] } } }, { graph }),
    /input groups cover 16 channels, expected the layer's 64 input channels/,
  );
  assert.throws(
    () => parsePolicy({ layers: { b2_pw: { weightBits: 8, actBits: 8, inputGroups: [{ channels: 64, actBits: 9 }] } } }),
    /actBits=9 is not a bit-width/,
  );
});

test('per-channel activation bits change the evaluated accuracy (tiny model, labels = its float predictions)', async () => {
  await initEngine({ backend: 'wasm' });
  const model = tinyQuantModel(3);
  const rng = new Rng(4);
  const n = 400;
  const x = Float32Array.from({ length: n * 72 }, () => rng.normal());
  const logits = referenceForward(model, x, n);
  const y = Int32Array.from({ length: n }, (_, i) => {
    const r = Array.from(logits.subarray(i * 3, i * 3 + 3));
    return r.indexOf(Math.max(...r));
  });
  const m = buildModel(model);
  try {
    const cal = calibrateActivations(m, x, 200, 'mse');
    const policy = uniformPolicy(8, 8);
    const acc = (dwInput?: number[], c1Input?: number[]): number =>
      evaluatePolicy(m, policy, { x, y, n }, cal, {
        ...(dwInput ? { [inputBitsKey('dw')]: dwInput } : {}),
        ...(c1Input ? { [inputBitsKey('c1')]: c1Input } : {}),
      }).accuracy;
    const a8 = acc();
    const all8 = acc([8, 8, 8, 8], [8, 8]);
    const all2 = acc([2, 2, 2, 2], [2, 2]);
    const mixed = acc([8, 2, 8, 2], [8, 2]);
    assert.equal(all8, a8, 'per-channel 8 bits everywhere = the per-tensor 8-bit grid');
    assert.ok(all2 < all8, `2-bit input channels ${all2} vs 8-bit ${all8}`);
    assert.notEqual(mixed, all8);
    assert.notEqual(mixed, all2);
  } finally {
    m.dispose();
  }
});
