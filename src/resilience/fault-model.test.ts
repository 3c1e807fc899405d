import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Rng } from '../util/rng.js';
import { checkFaultModel, faultBinaryCode, faultFloat32, faultSignedCode, faultUnsignedCode, sampleFaultBits } from './fault-model.js';
import { kendallTau, logitAccuracy, quantile, summarizeRuns } from './metrics.js';

describe('fault models', () => {
  it('a BER hits about N*p bits, strictly increasing, same seed same bits', () => {
    const n = 2_000_000;
    const p = 1e-3;
    const a = sampleFaultBits(n, { kind: 'flip', ber: p }, new Rng(7));
    const b = sampleFaultBits(n, { kind: 'flip', ber: p }, new Rng(7));
    assert.deepEqual(a, b);
    // mean 2000, sd ~45: 5 sd bounds
    assert.ok(Math.abs(a.length - n * p) < 5 * Math.sqrt(n * p), `hits ${a.length}`);
    for (let i = 1; i < a.length; i++) assert.ok((a[i] as number) > (a[i - 1] as number));
    assert.ok((a[a.length - 1] as number) < n);
    // the hits spread over the whole range: about half in each half (5 sd)
    const low = a.filter((x) => x < n / 2).length;
    assert.ok(Math.abs(low - a.length / 2) < 5 * Math.sqrt(a.length / 4), `low half ${low} of ${a.length}`);
    assert.equal(sampleFaultBits(n, { kind: 'flip', ber: 0 }, new Rng(1)).length, 0);
    assert.equal(sampleFaultBits(5, { kind: 'flip', ber: 1 }, new Rng(1)).length, 5);
  });

  it('an exact count hits that many distinct bits, uniformly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 600 }), fc.integer(), (total, count, seed) => {
        const hits = sampleFaultBits(total, { kind: 'flip', count }, new Rng(seed));
        assert.equal(hits.length, Math.min(count, total));
        assert.equal(new Set(hits).size, hits.length);
        for (const h of hits) assert.ok(h >= 0 && h < total);
      }),
      { numRuns: 200 },
    );
    // uniform: each of 10 bits is picked ~ 1/10 of the time by count=1
    const freq = new Array<number>(10).fill(0);
    const rng = new Rng(3);
    for (let i = 0; i < 10_000; i++) {
      const h = sampleFaultBits(10, { kind: 'flip', count: 1 }, rng)[0] as number;
      freq[h] = (freq[h] as number) + 1;
    }
    for (const f of freq) assert.ok(Math.abs(f - 1000) < 5 * 30, `frequency ${f}`);
  });

  it('rejects impossible models with the bad value named', () => {
    assert.throws(() => checkFaultModel({ kind: 'flip', ber: 2 }), /bit error rate 2/);
    assert.throws(() => checkFaultModel({ kind: 'flip', count: -1 }), /count -1/);
    assert.throws(() => checkFaultModel({ kind: 'flip' }), /exactly one of ber/);
    assert.throws(() => checkFaultModel({ kind: 'flip', ber: 0.1, count: 1 }), /exactly one of ber/);
    assert.throws(() => checkFaultModel({ kind: 'zap' as 'flip', ber: 0.1 }), /'zap' is unknown/);
  });

  it('float32 bits: exponent MSB of 1.0 gives +Inf, sign bit negates, mantissa LSB moves one ulp; stuck-at', () => {
    assert.equal(faultFloat32(1, 30, 'flip'), Number.POSITIVE_INFINITY);
    assert.equal(faultFloat32(0.5, 30, 'flip'), 2 ** 127);
    assert.equal(faultFloat32(1.5, 31, 'flip'), -1.5);
    assert.equal(faultFloat32(1, 0, 'flip'), 1 + 2 ** -23);
    assert.equal(faultFloat32(1, 23, 'flip'), 0.5); // exponent LSB: 127 -> 126
    assert.equal(faultFloat32(1, 31, 'stuck-0'), 1);
    assert.equal(faultFloat32(-1, 31, 'stuck-0'), 1);
    assert.equal(faultFloat32(1, 31, 'stuck-1'), -1);
  });

  it('integer codes: two complement sign bit, unsigned codes, binary codes', () => {
    assert.equal(faultSignedCode(0, 8, 7, 'flip'), -128);
    assert.equal(faultSignedCode(5, 4, 3, 'flip'), -3); // 0101 -> 1101
    assert.equal(faultSignedCode(-3, 4, 3, 'flip'), 5);
    assert.equal(faultSignedCode(-1, 8, 0, 'flip'), -2);
    assert.equal(faultSignedCode(6, 4, 1, 'stuck-1'), 6);
    assert.equal(faultSignedCode(6, 4, 0, 'stuck-1'), 7);
    assert.equal(faultSignedCode(6, 4, 2, 'stuck-0'), 2);
    // every flip of a b-bit code changes it by exactly 2^bit (mod 2^b) and stays in range
    for (let b = 2; b <= 8; b++)
      for (let q = -(2 ** (b - 1)); q < 2 ** (b - 1); q++)
        for (let k = 0; k < b; k++) {
          const r = faultSignedCode(q, b, k, 'flip');
          assert.ok(r >= -(2 ** (b - 1)) && r < 2 ** (b - 1));
          assert.equal(Math.abs(r - q), k === b - 1 ? 2 ** (b - 1) : 2 ** k);
          assert.equal(faultSignedCode(r, b, k, 'flip'), q);
        }
    assert.equal(faultUnsignedCode(0, 7, 'flip'), 128);
    assert.equal(faultUnsignedCode(255, 0, 'stuck-0'), 254);
    assert.equal(faultBinaryCode(1, 'flip'), -1);
    assert.equal(faultBinaryCode(-1, 'stuck-1'), 1);
    assert.equal(faultBinaryCode(1, 'stuck-1'), 1);
  });
});

describe('resilience metrics', () => {
  it('accuracy counts NaN rows as wrong', () => {
    const logits = Float32Array.from([1, 2, Number.NaN, 0, 5, 1, Number.POSITIVE_INFINITY, 0]);
    assert.equal(logitAccuracy(logits, [1, 0, 0, 0], 4, 2), 0.75);
  });
  it('quantile, run summary, Kendall tau against hand-computed values', () => {
    assert.equal(quantile([4, 1, 3, 2, 5], 0.5), 3);
    assert.equal(quantile([0, 10], 0.05), 0.5);
    const s = summarizeRuns([0.9, 0.5, 0.8, 0.95], 0.85);
    assert.equal(s.criticalShare, 0.5);
    assert.ok(Math.abs(s.meanAccuracy - 0.7875) < 1e-12);
    assert.equal(s.minAccuracy, 0.5);
    assert.equal(kendallTau([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(kendallTau([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // 5 concordant, 1 discordant of 6 pairs
    assert.ok(Math.abs(kendallTau([1, 2, 3, 4], [1, 3, 2, 4]) - 4 / 6) < 1e-12);
  });
});
