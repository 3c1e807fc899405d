import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { GraphBuilder } from '../ir/builder.js';
import { graphWorkloads, type Workload } from '../ir/workload.js';
import { BISMO_SESSION31_CHOICES, BismoTarget, bismoCloud } from './bismo.js';
import { uniformPolicy } from './precision.js';
import type { LayerCost } from './types.js';

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

/** The conv/dense workload of a one-layer graph (per sample; the target's batch multiplies it). */
function layerOf(shape: number[], build: (b: GraphBuilder) => string): Workload {
  const b = new GraphBuilder('l', shape);
  b.output(build(b));
  return graphWorkloads(b.build()).find((w) => w.op === 'conv2d' || w.op === 'dense') as Workload;
}

describe('bismo traffic: weights and activations scale with their own bits', () => {
  const t = bismoCloud();
  const gains = (w: Workload): { w: number; a: number; c88: LayerCost; c28: LayerCost; c82: LayerCost } => {
    const c88 = t.layerCost(w, { weightBits: 8, actBits: 8 });
    const c28 = t.layerCost(w, { weightBits: 2, actBits: 8 });
    const c82 = t.layerCost(w, { weightBits: 8, actBits: 2 });
    return { w: c88.latencyMs / c28.latencyMs, a: c88.latencyMs / c82.latencyMs, c88, c28, c82 };
  };
  it('a layer with large weights and a small feature map gains more from fewer weight bits', () => {
    for (const w of [
      layerOf([4096], (b) => b.dense(b.input, 4096, { bias: false })),
      layerOf([512, 1, 1], (b) => b.conv(b.input, { out: 512, kernel: 3, bias: false })),
    ]) {
      const g = gains(w);
      assert.ok(g.w > 1.5 * g.a, `${w.node}: weight-bit gain ${g.w} vs activation-bit gain ${g.a}`);
      assert.equal(g.c82.bound, 'memory');
      assert.equal(g.c82.memoryBound, 'weights');
    }
  });
  it('an early layer (few channels, large feature map) gains more from fewer activation bits', () => {
    for (const w of [
      layerOf([3, 112, 112], (b) => b.conv(b.input, { out: 32, kernel: 3, bias: false })),
      layerOf([16, 56, 56], (b) => b.conv(b.input, { out: 16, kernel: 3, bias: false })),
    ]) {
      const g = gains(w);
      assert.ok(g.a > 1.3 * g.w, `${w.node}: activation-bit gain ${g.a} vs weight-bit gain ${g.w}`);
      assert.equal(g.c28.bound, 'memory');
      assert.equal(g.c28.memoryBound, 'activations');
    }
  });
  it('weight traffic scales with weight bits, activation traffic with activation bits (bit-serial, dk-aligned rows)', () => {
    const w = layerOf([64, 8, 8], (b) => b.conv(b.input, { out: 64, kernel: 3, bias: false }));
    const p = t.params;
    const c = (wb: number, ab: number) => t.layerCost(w, { weightBits: wb, actBits: ab });
    const a = c(8, 8);
    const b = c(2, 8);
    const d = c(8, 2);
    assert.ok(a.weightDramBytes !== undefined && a.actDramBytes !== undefined);
    assert.equal(b.weightDramBytes, (a.weightDramBytes as number) / 4);
    assert.equal(b.actDramBytes, a.actDramBytes);
    assert.equal(d.actDramBytes, (a.actDramBytes as number) / 4);
    assert.equal(d.weightDramBytes, a.weightDramBytes);
    // im2col operand as the fetch stage reads it: M = 16 samples x 64 pixels, K = 576 -> 768 bits per bit-plane row
    const K = Math.ceil((64 * 9) / p.dk) * p.dk;
    assert.equal(p.convBatch, 'per-image');
    assert.equal(a.actDramBytes, (p.batch * 64 * K * 8) / 8);
    // one GEMM per image: the weights are fetched once per image
    assert.equal(a.weightDramBytes, (p.batch * 64 * K * 8) / 8);
    // results requantised on chip: written at the activation width
    assert.equal(a.dramBytes - (a.weightDramBytes as number) - (a.actDramBytes as number), (p.batch * 64 * 64 * 8) / 8);
    assert.equal(d.dramBytes - (d.weightDramBytes as number) - (d.actDramBytes as number), (p.batch * 64 * 64 * 2) / 8);
    // session-31 choices: the batch in one GEMM (weights once), 32-bit accumulators whatever the operand bits
    const old = new BismoTarget('old', { ...p, ...BISMO_SESSION31_CHOICES });
    const o = old.layerCost(w, { weightBits: 8, actBits: 2 });
    assert.equal(o.weightDramBytes, (64 * K * 8) / 8);
    assert.equal(o.dramBytes - (o.weightDramBytes as number) - (o.actDramBytes as number), p.batch * 64 * 64 * 4);
  });
  it('per-operand ports: the latency is the slowest of compute and each operand stream at portBits per cycle', () => {
    const p = t.params;
    const hz = p.clockMHz * 1e6;
    for (const w of [
      layerOf([3, 112, 112], (b) => b.conv(b.input, { out: 32, kernel: 3, bias: false })),
      layerOf([1280], (b) => b.dense(b.input, 1000, { bias: false })),
    ])
      for (const [wb, ab] of [
        [8, 8],
        [2, 8],
        [8, 2],
      ] as const) {
        const c = t.layerCost(w, { weightBits: wb, actBits: ab });
        const res = c.dramBytes - (c.weightDramBytes as number) - (c.actDramBytes as number);
        const port = Math.max(c.weightDramBytes as number, c.actDramBytes as number, res) / ((p.portBits / 8) * hz);
        assert.ok(Math.abs(c.memoryMs - port * 1e3) < 1e-12, `${w.node} w${wb}a${ab}`);
        assert.equal(c.latencyMs, Math.max(c.computeMs, c.memoryMs));
      }
    // the stem streams 27 -> 256 im2col bits per pixel per activation plane: one 256-bit word per cycle
    const stem = t.layerCost(
      layerOf([3, 224, 224], (b) => b.conv(b.input, { out: 32, kernel: 3, stride: 2, bias: false })),
      { weightBits: 4, actBits: 8 },
    );
    assert.equal(stem.memoryBound, 'activations');
    assert.ok(Math.abs(stem.latencyMs * p.clockMHz * 1e3 - 112 * 112 * p.batch * 8) < 1e-6, `${stem.latencyMs}`);
  });
  it('per-image convs: small feature maps pay whole 16-column tiles per image; dense layers take the batch as one GEMM', () => {
    const p = t.params;
    const merged = new BismoTarget('merged', { ...p, convBatch: 'merged' });
    const conv = layerOf([160, 7, 7], (b) => b.conv(b.input, { out: 960, kernel: 1, bias: false }));
    const pi = t.layerCost(conv, { weightBits: 8, actBits: 8 });
    const mg = merged.layerCost(conv, { weightBits: 8, actBits: 8 });
    // 49 pixels: ceil(49 / 16) = 4 tiles per image (64 columns) vs ceil(784 / 16) = 49 for the batch
    assert.ok(Math.abs(pi.computeMs / mg.computeMs - (p.batch * 4 * 60 * 64 + p.batch * 32) / (49 * 60 * 64 + 32)) < 1e-9);
    const fc = layerOf([1280], (b) => b.dense(b.input, 1000, { bias: false }));
    assert.deepEqual(t.layerCost(fc, { weightBits: 8, actBits: 8 }), merged.layerCost(fc, { weightBits: 8, actBits: 8 }));
  });
  it('bad modelling choices are rejected naming the value and the allowed ones', () => {
    assert.throws(() => bismoCloud({ convBatch: 'batched' }), /'convBatch' is "batched", expected one of "merged", "per-image"/);
    assert.throws(() => bismoCloud({ weightPlanes: 'parallel' }), /'weightPlanes' is "parallel", expected one of "serial", "rows"/);
    assert.throws(() => bismoCloud({ portBits: -1 }), /portBits/);
  });
  it('operands larger than their buffers are re-fetched (the cheaper loop order)', () => {
    const w = layerOf([4096], (b) => b.dense(b.input, 4096, { bias: false }));
    const small = bismoCloud({ lhsEntries: 16, rhsEntries: 1 }); // 16 x 16 x 256 bit = 8 KB of weights, 512 B of activations
    const big = t.layerCost(w, { weightBits: 8, actBits: 8 });
    const tiny = small.layerCost(w, { weightBits: 8, actBits: 8 });
    assert.ok(tiny.dramBytes > big.dramBytes);
    assert.equal(big.weightDramBytes, 4096 * 4096);
    assert.equal(big.actDramBytes, 16 * 4096);
    // activations (64 KB) re-read once per 8 KB of weights, cheaper than the weights (16 MB) once per 512 B of activations
    assert.equal(tiny.weightDramBytes, 4096 * 4096);
    assert.equal(tiny.actDramBytes, 16 * 4096 * Math.ceil((4096 * 4096) / 8192));
  });
});
