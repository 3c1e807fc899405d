import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from '../ir/builder.js';
import { graphWorkloads, type Workload } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { bitFusionEdge, bitFusionTiles } from './bitfusion.js';
import { uniformPolicy } from './precision.js';

function layer(build: (b: GraphBuilder) => void, shape: number[]): Workload {
  const b = new GraphBuilder('t', shape);
  build(b);
  return graphWorkloads(b.build()).find((w) => w.op === 'conv2d' || w.op === 'dense') as Workload;
}

describe('bitfusion-edge', () => {
  const t = bitFusionEdge();
  it('W4A4 is ~4x faster than W8A8 on a compute-bound conv', () => {
    const w = layer((b) => b.output(b.conv(b.input, { out: 256, kernel: 3, bias: false })), [256, 14, 14]);
    const c8 = t.layerCost(w, { weightBits: 8, actBits: 8 });
    const c4 = t.layerCost(w, { weightBits: 4, actBits: 4 });
    assert.equal(c8.bound, 'compute');
    const r = c8.latencyMs / c4.latencyMs;
    assert.ok(r > 3.6 && r <= 4.0, `speedup ${r}`);
    // 2-bit: 16 products per Fusion Unit -> another ~4x under im2col (2304-long reductions fill 512 lanes) ...
    const im2col = bitFusionEdge({ mapping: 'im2col' });
    const r2 = im2col.layerCost(w, { weightBits: 4, actBits: 4 }).latencyMs / im2col.layerCost(w, { weightBits: 2, actBits: 2 }).latencyMs;
    assert.ok(r2 > 2.5, `im2col w2a2 speedup ${r2}`);
    // ... but only 2x channel-wise (the preset): 256 channels per kernel position fill half of the 512 lanes, 9 vs 18 folds
    const c2 = t.layerCost(w, { weightBits: 2, actBits: 2 });
    const rc = c4.latencyMs / c2.latencyMs;
    assert.ok(rc > 1.9 && rc <= 2, `channel-wise w2a2 speedup ${rc}`);
    assert.ok(c4.energyMj < c8.energyMj);
  });
  it('channel-wise mapping (the preset): k² passes of C_in on the rows, except image inputs and grouped convs', () => {
    const cyc = (t2: ReturnType<typeof bitFusionEdge>, w: Workload) => t2.layerCost(w, { weightBits: 8, actBits: 8 }).computeMs * 500e3;
    const im2col = bitFusionEdge({ mapping: 'im2col' });
    // 48 input channels, 3x3, 16 output channels, 8x8 map: channel-wise 9 x ceil(48/32) = 18 folds of 64 pixels;
    // im2col ceil(432/32) = 14 folds; plus rows + cols of fill and drain
    const w = layer((b) => b.output(b.conv(b.input, { out: 16, kernel: 3, bias: false })), [48, 8, 8]);
    assert.equal(cyc(t, w), 18 * 64 + 32 + 16);
    assert.equal(cyc(im2col, w), 14 * 64 + 32 + 16);
    // an image input (3 channels) stays im2col'd: ceil(27/32) = 1 fold
    const stem = layer((b) => b.output(b.conv(b.input, { out: 16, kernel: 3, bias: false })), [3, 8, 8]);
    assert.equal(cyc(t, stem), 64 + 32 + 16);
    // depthwise stays im2col'd and packed (3 groups of 9 taps per 32 lanes)
    const dw = layer((b) => b.output(b.conv(b.input, { out: 48, kernel: 3, groups: 48, bias: false })), [48, 8, 8]);
    assert.equal(cyc(t, dw), cyc(im2col, dw));
    // the 2026-12-03 model stays reachable, and a bad option is refused naming it and the allowed values
    assert.throws(() => bitFusionEdge({ mapping: 'rows' }), /parameter 'mapping' is "rows", expected one of "im2col", "channel", "best"/);
    assert.throws(() => bitFusionEdge({ stalls: 'never' }), /parameter 'stalls' is "never", expected one of "overlap", "edges", "serial"/);
  });
  it('depthwise + 1x1 networks cost the same under the channel mapping as under the 2026-12-03 model', () => {
    const old = bitFusionEdge({ mapping: 'im2col', stalls: 'overlap', psum: 'none' });
    for (const z of ['zoo:mbnet32?channels=1&size=28', 'zoo:mobilenet-v2']) {
      const g = zooGraph(z);
      for (const b of [8, 4, 2]) {
        const pol = uniformPolicy(b, b);
        assert.equal(t.networkCost(g, pol).latencyMs, old.networkCost(g, pol).latencyMs, `${z} w${b}a${b}`);
      }
    }
    // a network with dense 3x3 convs on more than 4 channels does change below 8 bits
    const m = zooGraph('zoo:mnist-cnn');
    assert.ok(t.networkCost(m, uniformPolicy(4, 4)).latencyMs > old.networkCost(m, uniformPolicy(4, 4)).latencyMs);
  });
  it("stalls: 'edges' adds the first tile load and last write, 'serial' all memory time, both >= 'overlap'", () => {
    const w = layer((b) => b.output(b.conv(b.input, { out: 64, kernel: 3, bias: false })), [64, 16, 16]);
    const p = { weightBits: 8, actBits: 8 };
    const o = bitFusionEdge({ stalls: 'overlap' }).layerCost(w, p);
    const e = bitFusionEdge({ stalls: 'edges' }).layerCost(w, p);
    const s = bitFusionEdge({ stalls: 'serial' }).layerCost(w, p);
    assert.equal(o.latencyMs, Math.max(o.computeMs, o.memoryMs));
    assert.ok(Math.abs(s.latencyMs - (o.computeMs + o.memoryMs)) < 1e-12);
    // inputs (16 KB) and outputs fit their buffers, the weights (36 KB) not the 32 KB tile: the edge is all traffic but 4 KB
    const edge = (32 * 1024 + 64 * 16 * 16 + 64 * 16 * 16) / 6.4e9;
    assert.ok(Math.abs(e.latencyMs - (Math.max(o.computeMs / 1e3, o.memoryMs / 1e3 - edge) + edge) * 1e3) < 1e-12);
    assert.ok(o.latencyMs < e.latencyMs && e.latencyMs < s.latencyMs, `${o.latencyMs} < ${e.latencyMs} < ${s.latencyMs}`);
  });
  it('a memory-bound layer gains less from W4A4', () => {
    const w = layer((b) => b.output(b.dense(b.input, 4096, { name: 'fc' })), [4096]);
    const c8 = t.layerCost(w, { weightBits: 8, actBits: 8 });
    const c4 = t.layerCost(w, { weightBits: 4, actBits: 4 });
    assert.equal(c8.bound, 'memory');
    const r = c8.latencyMs / c4.latencyMs;
    assert.ok(r > 1.2 && r < 2.5, `memory-bound speedup ${r} should be well under 4x`);
  });
  it('products per Fusion Unit follow the brick arithmetic', () => {
    assert.equal(t.productsPerUnit(8, 8), 1);
    assert.equal(t.productsPerUnit(4, 4), 4);
    assert.equal(t.productsPerUnit(2, 2), 16);
    assert.equal(t.productsPerUnit(2, 8), 4);
    assert.equal(t.productsPerUnit(16, 16), 0.25);
  });
  it('area of the needed compute array shrinks with bits at equal MAC area per product', () => {
    const a8 = t.computeAreaMm2({ weightBits: 8, actBits: 8 });
    const a4 = t.computeAreaMm2({ weightBits: 4, actBits: 4 });
    assert.ok(a8 > 0 && a4 > 0);
    // 4x the units of 1/4 the multiplier area: same multipliers, 4x accumulators
    assert.ok(a4 > a8, `${a4} vs ${a8}`);
  });
  it('a weight-heavy late layer gains more from fewer weight bits, an early layer from fewer activation bits', () => {
    const gains = (w: Workload) => {
      const c88 = t.layerCost(w, { weightBits: 8, actBits: 8 });
      const c28 = t.layerCost(w, { weightBits: 2, actBits: 8 });
      const c82 = t.layerCost(w, { weightBits: 8, actBits: 2 });
      return { w: c88.latencyMs / c28.latencyMs, a: c88.latencyMs / c82.latencyMs, c88, c28, c82 };
    };
    const late = gains(layer((b) => b.output(b.conv(b.input, { out: 512, kernel: 3, bias: false })), [512, 4, 4]));
    assert.ok(late.w > 2 * late.a, `late: ${late.w} vs ${late.a}`);
    assert.equal(late.c82.memoryBound, 'weights');
    const early = gains(layer((b) => b.output(b.conv(b.input, { out: 32, kernel: 3, bias: false })), [3, 112, 112]));
    assert.ok(early.a > 1.3 * early.w, `early: ${early.a} vs ${early.w}`);
    assert.equal(early.c28.bound, 'memory');
    assert.notEqual(early.c28.memoryBound, 'weights');
  });
  it("outputs are written at the activation bits, or at resultBits when set (the authors' simulator: 32)", () => {
    const w = layer((b) => b.output(b.conv(b.input, { out: 64, kernel: 3, bias: false })), [64, 16, 16]);
    const out = (c: { dramBytes: number; weightDramBytes?: number; actDramBytes?: number }) =>
      c.dramBytes - (c.weightDramBytes as number) - (c.actDramBytes as number);
    assert.equal(out(t.layerCost(w, { weightBits: 4, actBits: 4 })), (64 * 16 * 16 * 4) / 8);
    assert.equal(out(bitFusionEdge({ resultBits: 32 }).layerCost(w, { weightBits: 4, actBits: 4 })), 64 * 16 * 16 * 4);
  });
  it("psum 'tiles' / 'dram' (session 34): the tile search on hand-computed layers", () => {
    // everything fits: one tile; 'dram' reads and writes the 32-bit outputs once (2 x 2 x 16 x 4 bytes)
    const big = { cols: 16, weightBuf: 1e6, inputBuf: 1e6, outputBuf: 1e6, edges: false, computeBytes: 0 };
    const fc = { pixels: 2, reduce: 1, outC: 16, weightBytes: 256, inputBytes: 64, outputBytes: 128, paddedOutC: 16 };
    assert.deepEqual(bitFusionTiles(fc, { ...big, dram: true }), { weightBytes: 256, inputBytes: 64, outputBytes: 256, edgeBytes: 576 });
    assert.deepEqual(bitFusionTiles(fc, { ...big, dram: false }), { weightBytes: 256, inputBytes: 64, outputBytes: 128, edgeBytes: 448 });
    // 4 KB of weights in a 1 KB buffer: 4 reduction slices; a 128-byte output buffer holds 2 pixels x 16 psums. Best:
    // slices outermost, so the weights move once and each output is written 4 times and read back 3 times as 32-bit
    // psums (3 x 2 x 256 bytes) plus its final write at the result bits (64 bytes); slices innermost would re-read the
    // weights per pixel tile (8 KB)
    const split = { pixels: 4, reduce: 4, outC: 16, weightBytes: 4096, inputBytes: 256, outputBytes: 64, paddedOutC: 16 };
    const small = { ...big, weightBuf: 1024, outputBuf: 128 };
    assert.deepEqual(bitFusionTiles(split, { ...small, dram: false }), {
      weightBytes: 4096,
      inputBytes: 256,
      outputBytes: 64 + 3 * 2 * 256,
      edgeBytes: 1024 + 32 + 32,
    });
    // 'dram': 4 visits read and written at 32 bits (2048) still beats re-reading the weights (8192 + 512)
    assert.deepEqual(bitFusionTiles(split, { ...small, dram: true }), {
      weightBytes: 4096,
      inputBytes: 256,
      outputBytes: 2048,
      edgeBytes: 1024 + 32 + 2 * 128,
    });
    // through the target: a 16 -> 16 3x3 conv on 8x8 at W8A8 fits every buffer; 'dram' moves the outputs twice at
    // 32 bits padded to the 16 columns, 'tiles' once at the activation bits (= 'none'), and psum is checked
    const w = layer((b) => b.output(b.conv(b.input, { out: 16, kernel: 3, bias: false })), [16, 8, 8]);
    const p = { weightBits: 8, actBits: 8 };
    const none = t.layerCost(w, p).dramBytes;
    assert.equal(none, 16 * 16 * 9 + 16 * 64 + 16 * 64);
    assert.equal(bitFusionEdge({ psum: 'tiles' }).layerCost(w, p).dramBytes, none);
    assert.equal(bitFusionEdge({ psum: 'dram' }).layerCost(w, p).dramBytes, 16 * 16 * 9 + 16 * 64 + 2 * 64 * 16 * 4);
    assert.throws(() => bitFusionEdge({ psum: 'all' }), /parameter 'psum' is "all", expected one of "none", "spill", "tiles", "dram"/);
  });
});
