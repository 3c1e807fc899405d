import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { graphWorkloads, type Workload } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { HostCpuTarget } from './host.js';
import { describeLayer, FEATURE_NAMES, isFreeOp, workloadKey } from './layer-key.js';
import { type LutFile, LutTarget } from './lut.js';
import type { PrecisionPolicy } from './precision.js';
import { type GbdtModel, KERNEL_FEATURE_NAMES, kernelWork, PredictorTarget } from './predictor.js';
import { type PreparedNetwork, prepareNetwork, sliceWorkload } from './prepared.js';
import { getTarget } from './registry.js';
import { costSummary } from './types.js';

// Channel groups of a policy on per-layer-value targets: each group is a layer of its own (smaller) shape.
const g = zooGraph('zoo:mbnet32');
const wl = (node: string): Workload => graphWorkloads(g).find((w) => w.node === node) as Workload;
const W8A8 = { weightBits: 8, actBits: 8 };

/** Every layer of mbnet32 at w8a8 costs 1 ms, plus the `extra` keys. */
function ones(extra: Readonly<Record<string, number>> = {}): LutFile {
  const keys = new Set(
    graphWorkloads(g).flatMap((w) => (isFreeOp(w.op) ? [] : [workloadKey(w, w.op === 'conv2d' || w.op === 'dense' ? W8A8 : { weightBits: 32, actBits: 8 })])),
  );
  const entries = [...keys].map((key) => ({ key, latencyMs: 1 }));
  for (const [key, latencyMs] of Object.entries(extra)) entries.push({ key, latencyMs });
  return { format: 'hwnas-lut', version: 1, entries };
}

/** `node` split into two 8-bit channel groups of `a` and `rest` channels. */
function split(node: string, a: number, rest: number): PrecisionPolicy {
  return {
    default: W8A8,
    layers: {
      [node]: {
        ...W8A8,
        groups: [
          { channels: a, ...W8A8 },
          { channels: rest, ...W8A8 },
        ],
      },
    },
  };
}

const latencyOf = (t: { networkCost: LutTarget['networkCost'] }, p: PrecisionPolicy, node: string): number =>
  t.networkCost(g, p).layers.find((l) => l.node === node)?.latencyMs as number;

const PW_HALF = 'conv2d|in=32x16x16|out=32x16x16|k=1x1|s=1x1|g=1|w=8|a=8';
const DW_8 = 'conv2d|in=8x16x16|out=8x16x16|k=3x3|s=1x1|g=8|w=8|a=8';
const DW_24 = 'conv2d|in=24x16x16|out=24x16x16|k=3x3|s=1x1|g=24|w=8|a=8';

describe('channel-group slices on per-layer-value targets', () => {
  it('a slice has its own shapes and conv geometry (pointwise, depthwise, dense), and names its layer', () => {
    const pw = sliceWorkload(wl('b1_pw'), 32, 32);
    assert.deepEqual([pw.inShapes, pw.outShape], [[[32, 16, 16]], [32, 16, 16]]);
    assert.equal(workloadKey(pw, W8A8), PW_HALF);
    assert.equal(pw.sliceOf?.node, 'b1_pw');
    const dw = sliceWorkload(wl('b1_dw'), 0, 8);
    assert.equal(workloadKey(dw, W8A8), DW_8);
    assert.equal(dw.inElems, 8 * 16 * 16);
    const fc = sliceWorkload(wl('fc'), 0, 4);
    assert.equal(workloadKey(fc, W8A8), 'dense|in=128|out=4|k=1x1|s=1x1|g=1|w=8|a=8');
  });
  it('lut: two equal groups of a pointwise layer cost their slices, not twice the layer', () => {
    const lut = new LutTarget(ones({ [PW_HALF]: 0.5 }));
    assert.equal(latencyOf(lut, { default: W8A8, layers: {} }, 'b1_pw'), 1);
    assert.equal(latencyOf(lut, split('b1_pw', 32, 32), 'b1_pw'), 1);
  });
  it('lut: depthwise groups are looked up by their own keys', () => {
    const lut = new LutTarget(ones({ [DW_8]: 0.25, [DW_24]: 0.75 }));
    assert.equal(latencyOf(lut, split('b1_dw', 8, 24), 'b1_dw'), 1);
  });
  it('lut without the slice entry: an error naming the group, its layer and the key, never the whole layer cost', () => {
    const lut = new LutTarget(ones());
    assert.throws(
      () => lut.networkCost(g, split('b1_pw', 32, 32)),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes(`channel group 'b1_pw[0:32]' of layer 'b1_pw': missing key '${PW_HALF}'`) &&
        e.message.includes('need per-slice entries'),
    );
  });
  it('lut with a fallback: a missing slice is costed by the fallback at the slice shape', () => {
    const fb = getTarget('cortex-a76?fuse=false');
    const lut = new LutTarget(ones(), { fallback: fb });
    const c = latencyOf(lut, split('b1_pw', 16, 48), 'b1_pw');
    const want = fb.layerCost(sliceWorkload(wl('b1_pw'), 0, 16), W8A8).latencyMs + fb.layerCost(sliceWorkload(wl('b1_pw'), 16, 48), W8A8).latencyMs;
    assert.ok(Math.abs(c - want) < 1e-12, `${c} vs ${want}`);
    assert.ok(lut.misses.has(PW_HALF.replace('out=32', 'out=16')));
  });
  it('host-cpu: a measured slice shape is used; an unmeasured one is named as a channel group', () => {
    const fp32 = { weightBits: 32, actBits: 32 };
    const p = (a: number, b: number): PrecisionPolicy => ({
      default: fp32,
      layers: {
        b1_dw: {
          ...fp32,
          groups: [
            { channels: a, ...fp32 },
            { channels: b, ...fp32 },
          ],
        },
      },
    });
    const seed = ones();
    const t32 = (k: string): string => k.replace('|w=8|a=8', '|w=32|a=32').replace(/\|w=-\|a=8/, '|w=-|a=32');
    const dw16 = 'conv2d|in=16x16x16|out=16x16x16|k=3x3|s=1x1|g=16|w=32|a=32';
    const host = new HostCpuTarget({}, { ...seed, entries: [...seed.entries.map((e) => ({ ...e, key: t32(e.key) })), { key: dw16, latencyMs: 0.4 }] });
    assert.ok(Math.abs(latencyOf(host, p(16, 16), 'b1_dw') - 0.8) < 1e-12);
    assert.throws(
      () => host.networkCost(g, p(8, 24)),
      (e: unknown) => e instanceof ConfigError && /not measured channel group 'b1_dw\[0:8\]' of layer 'b1_dw' \(key 'conv2d\|in=8x16x16\|/.test(e.message),
    );
  });
  it('predictor: a slice is predicted from its own features, with its layer’s fused ops', () => {
    // latency = kernel work, x3 when a batchnorm is fused into the kernel
    const bn = KERNEL_FEATURE_NAMES.indexOf('post_bn');
    assert.equal(bn, FEATURE_NAMES.length);
    const model: GbdtModel = {
      format: 'hwnas-predictor',
      version: 1,
      model: 'gbdt',
      target: 'log-ms-per-work',
      features: KERNEL_FEATURE_NAMES,
      base: 0,
      learningRate: 1,
      trees: [{ feature: [bn, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 0, Math.log(3)] }],
      meta: { fused: 1 },
    };
    const t = new PredictorTarget(model);
    const work = (a: number, n: number): number => kernelWork(describeLayer(sliceWorkload(wl('b1_pw'), a, n), W8A8));
    const whole = latencyOf(t, { default: W8A8, layers: {} }, 'b1_pw');
    assert.ok(Math.abs(whole - 3 * kernelWork(describeLayer(wl('b1_pw'), W8A8))) < 1e-9 * whole);
    const c = latencyOf(t, split('b1_pw', 16, 48), 'b1_pw');
    const want = 3 * (work(0, 16) + work(16, 48));
    assert.ok(Math.abs(c - want) < 1e-9 * want, `${c} vs ${want}`);
    assert.ok(c < 2 * whole);
  });
  it('marks a network once, however often it is evaluated, with the same costs every call', () => {
    let marks = 0;
    class Counting extends LutTarget {
      protected override markNetwork(net: PreparedNetwork): void {
        marks++;
        super.markNetwork(net);
      }
    }
    const t = new Counting({ ...ones(), fused: true });
    const net = prepareNetwork(g);
    const first = t.evaluate(net, new Array(net.layerNode.length).fill(8), new Array(net.layerNode.length).fill(8), costSummary()).latencyMs;
    for (let i = 0; i < 3; i++)
      assert.equal(t.evaluate(net, new Array(net.layerNode.length).fill(8), new Array(net.layerNode.length).fill(8), costSummary()).latencyMs, first);
    assert.equal(t.networkCost(g, { default: W8A8, layers: {} }).latencyMs, first);
    assert.equal(marks, 1);
  });
});
