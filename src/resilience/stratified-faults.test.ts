import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policyFromVectors, uniformPolicy } from '../hardware/precision.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import type { Model } from '../ir/types.js';
import { Rng } from '../util/rng.js';
import { dequantizeAsymmetric, injectStratifiedWeightFaults, injectWeightFaults, unsignedCode, type WeightSite, weightSites } from './weight-faults.js';

function net(): Model {
  const b = new GraphBuilder('strat-net', [1, 12, 12]);
  let x = b.relu(b.conv(b.input, { out: 16, kernel: 3, name: 'c1' }));
  x = b.relu(b.conv(x, { out: 16, kernel: 3, groups: 16, name: 'dw' }));
  x = b.relu(b.conv(x, { out: 32, kernel: 1, name: 'pw' }));
  b.output(b.dense(b.flatten(b.globalAvgPool(x)), 10, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(3)) };
}

/** Elements whose top stored bit (the sign bit of its channel's two's complement code) differs after the faults. */
function signHits(site: WeightSite, faulty: Int8Array | undefined): number[] {
  if (!faulty) return [];
  const clean = site.codes as Int8Array;
  const out: number[] = [];
  for (let i = 0; i < clean.length; i++) {
    const b = site.channelBits[Math.floor(i / site.perChannel)] as number;
    const top = (c: number) => ((c & (2 ** b - 1)) >>> (b - 1)) & 1;
    if (top(clean[i] as number) !== top(faulty[i] as number)) out.push(i);
  }
  return out;
}

describe('stratified, common-random-number weight faults', () => {
  it('every (layer, bit rank) gets its expected count rounded, so each bit is hit with probability ber', () => {
    const model = net();
    const sites = weightSites(model, uniformPolicy(8, 8));
    const ber = 3e-3;
    let total = 0;
    const runs = 400;
    for (let s = 0; s < runs; s++) {
      const f = injectStratifiedWeightFaults(sites, ber, 'flip', 1000 + s);
      // the count of one run is within rounding of its expectation: per (layer, rank) floor or ceil
      const lo = sites.reduce((a, site) => a + 8 * Math.floor(site.codes!.length * ber), 0);
      const hi = sites.reduce((a, site) => a + 8 * Math.ceil(site.codes!.length * ber), 0);
      assert.ok(f.bitsHit >= lo && f.bitsHit <= hi, `run ${s}: ${f.bitsHit} hits outside [${lo}, ${hi}]`);
      total += f.bitsHit;
    }
    const expected = sites.reduce((a, site) => a + site.totalBits, 0) * ber;
    // stochastic rounding: the mean over runs is the expectation (sd of the mean < 0.5 * sqrt(8 * layers / runs))
    assert.ok(Math.abs(total / runs - expected) < 0.25, `mean hits ${total / runs}, expected ${expected}`);
  });

  it('policies of one network under one seed share their sign-bit hits; a different seed moves them', () => {
    const model = net();
    const w8 = weightSites(model, uniformPolicy(8, 8));
    const w4 = weightSites(model, uniformPolicy(4, 8));
    const mixed = weightSites(model, policyFromVectors(model.graph, [4, 6, 8, 5], [8, 8, 8, 8]));
    let shared = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const f8 = injectStratifiedWeightFaults(w8, 5e-3, 'flip', seed);
      const f4 = injectStratifiedWeightFaults(w4, 5e-3, 'flip', seed);
      const fm = injectStratifiedWeightFaults(mixed, 5e-3, 'flip', seed);
      for (const [li, site] of w8.entries()) {
        const s8 = signHits(site, f8.codes.get(site.layer));
        assert.deepEqual(signHits(w4[li]!, f4.codes.get(site.layer)), s8, `${site.layer} seed ${seed}`);
        assert.deepEqual(signHits(mixed[li]!, fm.codes.get(site.layer)), s8, `${site.layer} seed ${seed} mixed`);
        shared += s8.length;
      }
      // w4 stores 4 bits: it keeps the hits of ranks 0..3 only
      assert.ok(f4.bitsHit < f8.bitsHit);
    }
    assert.ok(shared > 0, 'no sign bit was hit: the comparison tested nothing');
    const a = injectStratifiedWeightFaults(w8, 5e-3, 'flip', 1);
    const b = injectStratifiedWeightFaults(w8, 5e-3, 'flip', 99);
    assert.notDeepEqual([...a.codes.get('pw')!], [...b.codes.get('pw')!]);
  });

  it('float32 layers take hits on their 32 bits; restricting to one layer leaves the others clean', () => {
    const model = net();
    const sites = weightSites(model);
    const f = injectStratifiedWeightFaults(sites, 2e-3, 'flip', 7, new Set(['pw']));
    assert.deepEqual([...f.values.keys()], ['pw']);
    assert.equal(f.codes.size, 0);
    const n = sites.find((s) => s.layer === 'pw')!.values.length;
    assert.ok(f.bitsHit >= 32 * Math.floor(n * 2e-3) && f.bitsHit <= 32 * Math.ceil(n * 2e-3));
    assert.throws(() => injectStratifiedWeightFaults(sites, 1.5, 'flip', 1), /bit error rate 1.5 is invalid/);
  });
});

describe('per-tensor weight storage', () => {
  it('one symmetric scale for the tensor: codes within range, dequantized within half a step, fewer codes used by small channels', () => {
    const model = net();
    const policy = uniformPolicy(4, 8);
    const pc = weightSites(model, policy);
    const pt = weightSites(model, policy, 'per-tensor');
    for (const [i, site] of pt.entries()) {
      const scales = site.scales as Float32Array;
      assert.ok(
        scales.every((s) => s === scales[0]),
        `${site.layer}: scales differ`,
      );
      const codes = site.codes as Int8Array;
      for (let j = 0; j < codes.length; j++) {
        assert.ok(Math.abs(codes[j] as number) <= 7);
        assert.ok(Math.abs((codes[j] as number) * (scales[0] as number) - (site.values[j] as number)) <= (scales[0] as number) / 2 + 1e-7);
      }
      // per-tensor steps are at least the per-channel ones (the tensor max bounds every channel max)
      const pcs = pc[i]?.scales as Float32Array;
      assert.ok(pcs.every((s) => s <= (scales[0] as number) * (1 + 1e-6)));
    }
    // a per-layer mixed policy is one width per tensor: allowed
    assert.equal(weightSites(model, policyFromVectors(model.graph, [4, 6, 8, 5], [8, 8, 8, 8]), 'per-tensor').length, 4);
    assert.throws(() => weightSites(model, policy, 'per-row' as never), /weight granularity 'per-row' is unknown/);
  });
});

describe('asymmetric weight storage', () => {
  it('per channel, unsigned codes with a zero point: codes in range, dequantized within half a step; a top-bit flip is a magnitude step of 2^(b-1) x scale', () => {
    const model = net();
    for (const bits of [8, 4]) {
      const sites = weightSites(model, uniformPolicy(bits, 8), 'asymmetric');
      for (const site of sites) {
        const codes = site.codes as Int8Array;
        const scales = site.scales as Float32Array;
        const zp = site.zeroPoints as Int32Array;
        assert.ok(zp, `${site.layer}: zero points stored`);
        const deq = dequantizeAsymmetric(site, codes);
        for (let j = 0; j < codes.length; j++) {
          const c = Math.floor(j / site.perChannel);
          const u = unsignedCode(codes[j] as number, bits);
          assert.ok(u >= 0 && u <= 2 ** bits - 1, `code ${u} out of [0, ${2 ** bits - 1}]`);
          assert.ok(Math.abs((deq[j] as number) - (site.values[j] as number)) <= (scales[c] as number) / 2 + 1e-6);
        }
        // asymmetric codes use the channel's whole range: some code is near 0 and some near 2^b - 1 in every channel
        for (let c = 0; c < site.outChannels; c++) {
          const us = Array.from(codes.subarray(c * site.perChannel, (c + 1) * site.perChannel), (x) => unsignedCode(x, bits));
          assert.ok(Math.min(...us) <= 1 && Math.max(...us) >= 2 ** bits - 2, `${site.layer} channel ${c}: codes ${Math.min(...us)}..${Math.max(...us)}`);
        }
      }
      // one flip of the top stored bit of one value: the value moves by exactly 2^(b-1) x its channel's scale
      const site = sites[2] as WeightSite;
      const f = injectWeightFaults([site], { kind: 'flip', count: 1 }, new Rng(5));
      const faulty = f.codes.get(site.layer) as Int8Array;
      const changed = [...faulty.keys()].filter((i) => faulty[i] !== (site.codes as Int8Array)[i]);
      assert.equal(changed.length, 1);
      const i = changed[0] as number;
      const c = Math.floor(i / site.perChannel);
      const du = unsignedCode(faulty[i] as number, bits) - unsignedCode((site.codes as Int8Array)[i] as number, bits);
      assert.ok(Number.isInteger(Math.log2(Math.abs(du))) && Math.abs(du) < 2 ** bits, `one bit: code moved by ${du}`);
      const moved = (dequantizeAsymmetric(site, faulty)[i] as number) - (dequantizeAsymmetric(site, site.codes as Int8Array)[i] as number);
      assert.ok(Math.abs(moved - du * ((site.scales as Float32Array)[c] as number)) <= 1e-6);
    }
    assert.throws(() => weightSites(model, uniformPolicy(1, 8), 'asymmetric'), /asymmetric storage needs at least 2 bits/);
  });
});
