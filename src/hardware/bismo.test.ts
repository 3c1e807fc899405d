import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../ir/builder.js';
import { bismoCloud } from './bismo.js';
import { uniformPolicy } from './precision.js';

/** One dense layer in -> out (batch from the preset: 16). */
function denseNet(inF: number, outF: number) {
  const b = new GraphBuilder('d', [inF]);
  b.output(b.dense(b.input, outF, { name: 'fc' }));
  return b.build();
}

test('bismo: {-1,+1} weights pay one all-ones column for the sum of activations (w = 2b - 1)', () => {
  const t = bismoCloud({ dramGBps: 1e6 }); // compute-bound: latency = cycles
  const p = t.params;
  const hz = p.clockMHz * 1e6;
  const inF = 1024;
  const M = p.batch;
  const fill = p.dm + p.dn;
  for (const outF of [16, 20, 32]) {
    const g = denseNet(inF, outF);
    const fc = (bits: [number, number]) => t.networkCost(g, uniformPolicy(bits[0], bits[1])).layers.find((l) => l.node === 'fc');
    const cyc = (n: number, planes: number): number => Math.ceil(M / p.dm) * Math.ceil(n / p.dn) * Math.ceil(inF / p.dk) * planes + fill;
    const w1 = fc([1, 8]);
    const w2 = fc([2, 4]); // the same 8 bit-plane pairs, no correction
    assert.ok(w1 && w2);
    assert.ok(Math.abs(w1.computeMs - (cyc(outF + 1, 8) / hz) * 1e3) < 1e-12, `w1a8, ${outF} outputs`);
    assert.ok(Math.abs(w2.computeMs - (cyc(outF, 8) / hz) * 1e3) < 1e-12, `w2a4, ${outF} outputs`);
    // 16 and 32 outputs fill whole 16-column blocks: the extra column costs one more block
    if (outF % p.dn === 0) assert.ok(w1.computeMs > w2.computeMs);
    else assert.equal(w1.computeMs, w2.computeMs);
  }
});
