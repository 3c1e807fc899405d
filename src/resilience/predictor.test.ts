import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniformPolicy } from '../hardware/precision.js';
import { GraphBuilder } from '../ir/builder.js';
import { zooGraph } from '../ir/zoo/index.js';
import { predictResilience } from './predictor.js';

describe('topology resilience predictor', () => {
  it('float32 is catastrophic where int8 is not; the score is linear in the BER', () => {
    const g = zooGraph('mbnet32');
    const f = predictResilience(g, undefined, 1e-5);
    const q = predictResilience(g, uniformPolicy(8, 8), 1e-5);
    assert.ok(f.catastrophicHits > 0);
    assert.equal(q.catastrophicHits, 0);
    assert.ok(f.score > 10 * q.score, `float ${f.score} vs int8 ${q.score}`);
    // mbnet32: expected catastrophic hits = weights x 1e-5 (one top exponent bit per weight)
    const weights = f.layers.reduce((a, l) => a + l.weights, 0);
    assert.ok(Math.abs(f.catastrophicHits - weights * 1e-5) < 1e-9);
    const q2 = predictResilience(g, uniformPolicy(8, 8), 2e-5);
    assert.ok(Math.abs(q2.score - 2 * q.score) < 1e-12 * q.score + 1e-15);
  });

  it('a depthwise layer takes more damage per hit than a pointwise one of the same size; activation grids bound float layers', () => {
    const g = zooGraph('mbnet32');
    const p = predictResilience(g, uniformPolicy(8, 8), 1e-5);
    const dw = p.layers.find((l) => l.layer === 'b2_dw');
    const pw = p.layers.find((l) => l.layer === 'b2_pw');
    assert.ok(dw && pw);
    assert.equal(dw.fanIn, 9);
    assert.ok(dw.damage / dw.expectedHits > pw.damage / pw.expectedHits);
    // weights float, activations quantized: every layer's output is clipped by the next grid except the logits
    const w32a8 = predictResilience(g, uniformPolicy(32, 8), 1e-5);
    assert.deepEqual(
      w32a8.layers.filter((l) => !l.bounded).map((l) => l.layer),
      ['fc'],
    );
    assert.ok(w32a8.catastrophicHits < predictResilience(g, undefined, 1e-5).catastrophicHits);
  });

  it('a residual branch halves the damage; relu6 bounds a float layer', () => {
    const build = (residual: boolean, act: 'relu' | 'relu6'): ReturnType<GraphBuilder['build']> => {
      const b = new GraphBuilder('r', [8, 6, 6]);
      const c = b.conv(b.input, { out: 8, kernel: 3, name: 'c' });
      const a = b.act(c, act);
      const y = residual ? b.addOp(a, b.input) : a;
      b.output(b.dense(b.flatten(b.globalAvgPool(y)), 4, { name: 'fc' }));
      return b.build();
    };
    const plain = predictResilience(build(false, 'relu'), uniformPolicy(8, 32), 1e-4).layers[0];
    const res = predictResilience(build(true, 'relu'), uniformPolicy(8, 32), 1e-4).layers[0];
    assert.ok(plain && res);
    assert.equal(res.residual, true);
    assert.equal(plain.residual, false);
    assert.ok(Math.abs(res.damage - plain.damage / 2) < 1e-15);
    const f6 = predictResilience(build(false, 'relu6'), undefined, 1e-4);
    assert.equal(f6.layers[0]?.bounded, true);
    assert.equal(predictResilience(build(false, 'relu'), undefined, 1e-4).layers[0]?.bounded, false);
  });
});
