import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitFusionEdge } from '../hardware/bitfusion.js';
import { type Precision, policyFromVectors, uniformPolicy } from '../hardware/precision.js';
import { initWeights } from '../ir/init.js';
import { referenceForward } from '../ir/reference.js';
import { inferShapes } from '../ir/shapes.js';
import type { Model } from '../ir/types.js';
import { graphWorkloads } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { parseMaxFaultDrop } from '../nas/objectives.js';
import { PolicyCoster } from '../quant/cost.js';
import { ilpSearch } from '../quant/hawq-ilp.js';
import { Rng } from '../util/rng.js';
import { layerDamageFn, predictResilience } from './predictor.js';
import { CLIP_SUFFIX, eccExtraCost, mostVulnerableLayers, protectionCost, rangeRestrictionPoints, restrictRanges } from './protection.js';
import { ECC_WORD_BITS, eccSurvivors, injectWeightFaults, storedBits, weightSites } from './weight-faults.js';

const graph = zooGraph('mbnet32');
const model: Model = { graph, weights: initWeights(graph, new Rng(3)) };

test('ECC: a single hit per 72-bit word is corrected, two or more stay; check bits and padding carry no data', () => {
  const [site] = weightSites(model, uniformPolicy(8, 8));
  assert.ok(site);
  assert.equal(storedBits(site, true), Math.ceil(site.totalBits / 64) * ECC_WORD_BITS);
  assert.deepEqual(eccSurvivors(site, [5]), []);
  assert.deepEqual(eccSurvivors(site, [70]), []); // a check bit alone
  assert.deepEqual(eccSurvivors(site, [3, 70]), [3]); // data bit + check bit in one word: uncorrectable, the data bit stays
  assert.deepEqual(eccSurvivors(site, [72 + 1, 72 + 9, 144]), [64 + 1, 64 + 9]); // word 1 has two hits, word 2 one
});

test('ECC hardening: at a BER where words rarely take two hits, hardened layers lose (almost) every fault', () => {
  const policy = uniformPolicy(8, 8);
  const sites = weightSites(model, policy);
  const all = new Set(sites.map((s) => s.layer));
  let plain = 0;
  let left = 0;
  let drawn = 0;
  for (let seed = 0; seed < 20; seed++) {
    plain += injectWeightFaults(sites, { kind: 'flip', ber: 1e-4 }, new Rng(seed)).valuesChanged;
    const h = injectWeightFaults(sites, { kind: 'flip', ber: 1e-4 }, new Rng(seed), undefined, all);
    left += h.valuesChanged;
    drawn += h.bitsHit;
  }
  assert.ok(plain > 100, `plain runs changed ${plain} values`);
  assert.ok(drawn > 100, `ECC storage was hit ${drawn} times`);
  // P(two hits in one 72-bit word | one hit) ~ 71e-4: a handful at most over 20 runs
  assert.ok(left <= 0.05 * plain, `hardened runs changed ${left} values vs ${plain} without ECC`);
  assert.throws(() => injectWeightFaults(sites, { kind: 'flip', ber: 1e-4 }, new Rng(1), undefined, new Set(['nope'])), /hardened layer\(s\) 'nope'/);
});

test('range restriction: clips fold into relu/relu6 or follow the layer chain; clean outputs unchanged inside the bounds', () => {
  const points = rangeRestrictionPoints(graph);
  const layers = graphWorkloads(graph).filter((w) => w.weightElems > 0).length;
  assert.equal(points.length, layers);
  // bounds wide enough never to clip clean data: the restricted model computes the same function
  const wide = new Map(points.map((p) => [p, { min: -1e30, max: 1e30 }] as const));
  const r = restrictRanges(model, wide);
  inferShapes(r.graph); // a valid graph
  const x = Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37));
  const inShape = graph.nodes[0]?.op === 'input' ? graph.nodes[0].shape : [];
  const n = x.length / inShape.reduce((a, b) => a * b, 1);
  const a = referenceForward(model, x.subarray(0, n * inShape.reduce((p, q) => p * q, 1)), n);
  const b = referenceForward(r, x.subarray(0, n * inShape.reduce((p, q) => p * q, 1)), n);
  assert.deepEqual(Array.from(b), Array.from(a));
  // a relu/relu6 point becomes a clip of the same name; other points get a '.range' clip before their consumers
  for (const p of points) {
    const orig = graph.nodes.find((m) => m.name === p);
    const now = r.graph.nodes.find((m) => m.name === p);
    if (orig?.op === 'relu' || orig?.op === 'relu6') assert.equal(now?.op, 'clip');
    else {
      assert.ok(r.graph.nodes.some((m) => m.name === `${p}${CLIP_SUFFIX}` && m.op === 'clip'));
      assert.ok(!r.graph.nodes.some((m) => m.name !== `${p}${CLIP_SUFFIX}` && m.inputs.includes(p)), `${p} still feeds an unclipped consumer`);
    }
  }
  // tight bounds do clamp: every output within [lo, hi] of the last point
  const last = graph.outputs[0] as string;
  const tight = restrictRanges(model, new Map([[last, { min: -0.01, max: 0.01 }]]));
  const out = referenceForward(tight, x.subarray(0, n * inShape.reduce((p, q) => p * q, 1)), n);
  assert.ok(Array.from(out).every((v) => v >= -0.01 - 1e-7 && v <= 0.01 + 1e-7));
  assert.throws(() => restrictRanges(model, new Map([['nope', { min: 0, max: 1 }]])), /'nope' is not a node/);
});

test('protection cost on bitfusion-edge: folded clips cost (almost) nothing, ECC costs 9/8 of the hardened weight traffic', () => {
  const target = bitFusionEdge();
  const policy = uniformPolicy(8, 8);
  const points = rangeRestrictionPoints(graph);
  const r = restrictRanges(model, new Map(points.map((p) => [p, { min: 0, max: 4 }] as const)));
  const hard = mostVulnerableLayers(model, policy, 1e-5, 2);
  assert.equal(hard.length, 2);
  const none = protectionCost(target, graph, policy, {});
  assert.equal(none.latencyMs, none.baseLatencyMs);
  assert.equal(none.extraWeightBytes, 0);
  const c = protectionCost(target, graph, policy, { restricted: r.graph, hardened: new Set(hard) });
  assert.equal(c.baseLatencyMs, target.networkCost(graph, policy).latencyMs);
  assert.ok(Math.abs(c.clipLatencyMs - (target.networkCost(r.graph, policy).latencyMs - c.baseLatencyMs)) < 1e-12);
  const wl = graphWorkloads(graph);
  const bytes = hard.reduce((a, h) => a + (wl.find((w) => w.node === h)?.weightElems ?? 0) / 8, 0); // 8-bit codes: 1 byte, 1/8 more
  assert.ok(Math.abs(c.extraWeightBytes - bytes) < 1e-6, `${c.extraWeightBytes} vs ${bytes}`);
  assert.ok(c.eccLatencyMs >= 0 && c.latencyMs >= c.baseLatencyMs);
  assert.throws(() => protectionCost(target, graph, policy, { hardened: new Set(['nope']) }), /'nope' is not a conv\/dense layer/);
});

test('ILP fault row: absent it changes nothing; present, the allocation meets it and equals the exhaustive optimum', async () => {
  const coster = new PolicyCoster(graph, bitFusionEdge());
  const options: Precision[] = [
    { weightBits: 2, actBits: 4 },
    { weightBits: 4, actBits: 4 },
    { weightBits: 8, actBits: 8 },
  ];
  const score = (i: number, p: Precision): number => (i === 0 ? 10 : 1 + (i % 3)) * (4 ** -p.weightBits + 0.5 * 4 ** -p.actBits);
  const ber = 1e-5;
  const damage = layerDamageFn(graph, ber, model.weights);
  const ref = coster.uniformCost({ weightBits: 8, actBits: 8 });
  const budget = { latency: 0.8 * ref.latency };
  const free = await ilpSearch({ coster, budget, options, score });
  const freeFault = free.weightBits.reduce((a, w, i) => a + damage(i, { weightBits: w, actBits: free.actBits[i] as number }), 0);
  // the layer terms add up to the predictor's own score of the chosen policy
  const pred = predictResilience(graph, policyFromVectors(graph, free.weightBits, free.actBits), ber, model.weights).score;
  assert.ok(Math.abs(freeFault - pred) <= 1e-9 * pred, `${freeFault} vs ${pred}`);
  const cheapest = coster.layers.reduce((a, _, i) => a + Math.min(...options.map((p) => damage(i, p))), 0);
  assert.ok(freeFault > cheapest * (1 + 1e-6), 'the unconstrained allocation is not already the most resilient');
  const max = cheapest + 0.5 * (freeFault - cheapest);
  const r = await ilpSearch({ coster, budget, options, score, fault: { damage, max } });
  assert.ok((r.fault as number) <= max * (1 + 1e-9), `${r.fault} > ${max}`);
  assert.ok(r.objective >= free.objective - 1e-12);
  // exhaustive over 3^n with the real coster and the fault row
  const n = coster.layers.length;
  let best = Infinity;
  const idx = new Array<number>(n).fill(0);
  for (let it = 0; it < 3 ** n; it++) {
    const ps = idx.map((k) => options[k] as Precision);
    const lat = coster.cost(
      ps.map((p) => p.weightBits),
      ps.map((p) => p.actBits),
    ).latency;
    const f = ps.reduce((a, p, i) => a + damage(i, p), 0);
    if (lat <= budget.latency * (1 + 1e-9) && f <= max * (1 + 1e-9))
      best = Math.min(
        best,
        ps.reduce((a, p, i) => a + score(i, p), 0),
      );
    for (let i = 0; i < n; i++) {
      idx[i] = (idx[i] as number) + 1;
      if ((idx[i] as number) < 3) break;
      idx[i] = 0;
    }
  }
  assert.ok(Math.abs(r.objective - best) <= 1e-9 * best, `ilp ${r.objective} vs exhaustive ${best}`);
  await assert.rejects(ilpSearch({ coster, budget, options, score, fault: { damage, max: 1e-30 } }), /fault budget .*cheapest achievable/);
});

test('--max-fault-drop syntax', () => {
  assert.deepEqual(parseMaxFaultDrop('1pp@1e-5'), { maxDrop: 0.01, ber: 1e-5 });
  assert.deepEqual(parseMaxFaultDrop('0.02'), { maxDrop: 0.02 });
  assert.deepEqual(parseMaxFaultDrop('2.5pp'), { maxDrop: 0.025 });
  for (const bad of ['', 'x', '1pp@', '1pp@2', '-1pp', '150pp', '1pp@1e-5@3']) assert.throws(() => parseMaxFaultDrop(bad), /--max-fault-drop/);
});

test('ILP with hardening as a per-layer option: meets a fault line no precision alone meets, at the least score, ECC cost counted', async () => {
  const g = zooGraph('mnist-cnn');
  const m: Model = { graph: g, weights: initWeights(g, new Rng(5)) };
  const target = bitFusionEdge();
  const coster = new PolicyCoster(g, target);
  const options: Precision[] = [
    { weightBits: 2, actBits: 8 },
    { weightBits: 4, actBits: 8 },
    { weightBits: 8, actBits: 8 },
  ];
  const ber = 1e-4;
  const damage = layerDamageFn(g, ber, m.weights);
  const score = (i: number, p: Precision) => (i + 1) * (8 - p.weightBits) ** 2;
  const names = coster.layers.map((l) => l.name);
  const extraCost = (i: number, p: Precision) => eccExtraCost(target, g, names[i] as string, p);
  const factor = 1 - (1 - ber) ** 71;
  const ref = coster.uniformCost({ weightBits: 8, actBits: 8 });
  const budget = { latency: 1.0 * ref.latency };
  // the least damage any precision reaches without hardening; the line is a third of it
  const least = names.reduce((a, _, i) => a + Math.min(...options.map((p) => damage(i, p))), 0);
  const max = least / 3;
  await assert.rejects(ilpSearch({ coster, budget, options, score, fault: { damage, max } }), /fault/);
  const r = await ilpSearch({ coster, budget, options, score, fault: { damage, max, harden: { factor, extraCost } } });
  assert.ok(r.hardened && r.hardened.length > 0);
  assert.ok((r.fault as number) <= max * (1 + 1e-9));
  // the reported cost is the network cost plus the ECC extra of the hardened layers, within the budget
  const policy = r.policy;
  const c = protectionCost(target, g, policy, { hardened: new Set(r.hardened) });
  assert.ok(Math.abs(r.cost.latency - c.latencyMs) < 1e-9 * c.latencyMs, `${r.cost.latency} vs ${c.latencyMs}`);
  assert.ok(r.cost.latency <= budget.latency * (1 + 1e-9));
  // exhaustive oracle over the 6^3 (precision, hardened) choices
  let best = Number.POSITIVE_INFINITY;
  const pick = (i: number, chosen: { p: Precision; h: boolean }[]): void => {
    if (i === names.length) {
      const f = chosen.reduce((a, x, j) => a + damage(j, x.p) * (x.h ? factor : 1), 0);
      const lat =
        coster.cost(
          chosen.map((x) => x.p.weightBits),
          chosen.map((x) => x.p.actBits),
        ).latency + chosen.reduce((a, x, j) => a + (x.h ? extraCost(j, x.p).latency : 0), 0);
      if (f <= max * (1 + 1e-9) && lat <= budget.latency * (1 + 1e-9))
        best = Math.min(
          best,
          chosen.reduce((a, x, j) => a + score(j, x.p), 0),
        );
      return;
    }
    for (const p of options) for (const h of [false, true]) pick(i + 1, [...chosen, { p, h }]);
  };
  pick(0, []);
  assert.ok(Number.isFinite(best));
  assert.ok(Math.abs(r.objective - best) < 1e-9, `ILP ${r.objective} vs exhaustive ${best}`);
  // hardening costs latency on this target: a line the plain optimum already meets needs none
  const free = await ilpSearch({ coster, budget, options, score, fault: { damage, max: least * 10, harden: { factor, extraCost } } });
  assert.deepEqual(free.hardened, []);
});
