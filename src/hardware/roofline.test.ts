import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { GraphBuilder } from '../ir/builder.js';
import { graphWorkloads, type Workload } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { policyPreset, uniformPolicy } from './precision.js';
import { getTarget } from './registry.js';
import { rooflineDevice } from './roofline.js';

function conv1x1(hw: number, c: number): Workload {
  const b = new GraphBuilder('t', [c, hw, hw]);
  b.output(b.conv(b.input, { out: c, kernel: 1, bias: false, name: 'pw' }));
  return graphWorkloads(b.build())[1] as Workload;
}

describe('roofline targets', () => {
  it('the bound flips from memory to compute where arithmetic intensity crosses the ridge point', () => {
    // pure roofline: no overhead, full utilisation, activations on chip at infinite bandwidth
    const t = rooflineDevice('cortex-a76', { layerOverheadUs: 0, nHalfMacs: 0, utilConv: 1, onchipKB: 1e9, onchipGBps: 1e12, dramGBps: 1.536 });
    const ridge = t.ridgeOpsPerByte(8); // 153.6 GOPS / 1.536 GB/s = 100 ops/byte
    assert.ok(Math.abs(ridge - 100) < 1e-9);
    const seen = new Set<string>();
    for (const hw of [2, 4, 6, 7, 8, 9, 12, 16]) {
      const w = conv1x1(hw, 64);
      const c = t.layerCost(w, { weightBits: 8, actBits: 8 });
      const ai = (2 * w.macs) / c.dramBytes; // = 2·H·W ops per weight byte
      assert.equal(c.bound, ai > ridge ? 'compute' : 'memory', `hw=${hw} ai=${ai}`);
      seen.add(c.bound);
    }
    assert.deepEqual([...seen].sort(), ['compute', 'memory']);
  });
  it('depthwise and small layers are not free: overhead and utilisation', () => {
    const t = getTarget('a100');
    const g = zooGraph('zoo:mobilenet-v2?size=224');
    const c = t.networkCost(g, policyPreset('w8a8'));
    const dw = c.layers.filter((l) => l.node.endsWith('_dw'));
    assert.ok(
      dw.every((l) => l.latencyMs >= 0.005),
      'every layer pays the launch overhead',
    );
    assert.ok(dw.some((l) => l.bound === 'overhead'));
    const macsDw = graphWorkloadsOf(g, '_dw');
    const macsPw = graphWorkloadsOf(g, '_project');
    const tDw = dw.reduce((s, l) => s + l.latencyMs, 0);
    const tPw = c.layers.filter((l) => l.node.endsWith('_project')).reduce((s, l) => s + l.latencyMs, 0);
    // depthwise has far fewer MACs but is not proportionally cheaper
    assert.ok(tDw / tPw > (macsDw / macsPw) * 2, `dw ${tDw} ms vs pw ${tPw} ms`);
  });
  it('Edge TPU runs int8 only and rejects 4-bit with an error naming it', () => {
    const t = getTarget('edge-tpu');
    const g = zooGraph('zoo:mbnet32');
    assert.ok(t.networkCost(g, policyPreset('w8a8')).latencyMs > 0);
    assert.throws(
      () => t.networkCost(g, policyPreset('w4a4')),
      (e: unknown) => e instanceof ConfigError && /weightBits=4/.test(e.message) && /edge-tpu/.test(e.message),
    );
    const w = graphWorkloads(g)[1] as Workload;
    assert.throws(() => t.layerCost(w, { weightBits: 8, actBits: 4 }), ConfigError);
  });
  it('Edge TPU streams parameters beyond its 8 MB cache over the host link', () => {
    const t = getTarget('edge-tpu');
    const small = t.networkCost(zooGraph('zoo:mobilenet-v2'), uniformPolicy(8, 8));
    const big = t.networkCost(zooGraph('zoo:resnet50'), uniformPolicy(8, 8));
    assert.equal(small.dramBytes, 0);
    assert.ok(big.dramBytes > 10e6, `resnet50 streams ${big.dramBytes} bytes`);
  });
  it('devices without a precision run it at the next one they have', () => {
    const t = rooflineDevice('jetson-nano');
    assert.equal(t.executionBits(8), 16);
    assert.equal(t.executionBits(4), 16);
    assert.equal(t.executionBits(32), 32);
    const m = rooflineDevice('myriad-x');
    assert.equal(m.executionBits(32), 16);
  });
  it('devices that convert the model to the precision they run charge its bits: myriad-x every policy, jetson-nano 16 bits and fewer, at FP16', () => {
    const g = zooGraph('mbnet32?channels=1&size=28');
    const cost = (t: string, p: string): readonly number[] => {
      const c = getTarget(t).networkCost(g, policyPreset(p));
      return [c.latencyMs, c.energyMj, c.dramBytes];
    };
    // fp16 as computed before session 51 (commit b503d33), which charged a policy's own bits: w2a2 moved 11,976 DRAM
    // bytes on both, w8a8 47,784, fp32 191,016 (myriad-x 0.47635 ms, above its fp16 figure although it runs as FP16)
    const fp16: Readonly<Record<string, readonly number[]>> = {
      'myriad-x': [0.47135900444444445, 0.7070385066666666, 95528],
      'jetson-nano': [0.3455872488135593, 3.455872488135593, 95528],
    };
    for (const p of ['w2a2', 'w4a8', 'w8a8', 'fp16', 'fp32']) assert.deepEqual(cost('myriad-x', p), fp16['myriad-x'], `myriad-x ${p}`);
    for (const p of ['w2a2', 'w4a8', 'w8a8', 'fp16']) assert.deepEqual(cost('jetson-nano', p), fp16['jetson-nano'], `jetson-nano ${p}`);
    // fp32 runs (and moves) FP32 on the Jetson: as before
    assert.deepEqual(cost('jetson-nano', 'fp32'), [0.5261744976271187, 5.261744976271188, 191016]);
    // the old charge is one parameter away (what-if), and what each device runs is stated
    assert.deepEqual(cost('myriad-x?storage=packed', 'w8a8'), [0.47032128, 0.70548192, 47784]);
    assert.deepEqual(rooflineDevice('myriad-x').executedPrecision({ weightBits: 32, actBits: 32 }, true), { computeBits: 16, weightBits: 16, actBits: 16 });
    assert.deepEqual(rooflineDevice('cortex-a76', { storage: 'packed' }).executedPrecision({ weightBits: 4, actBits: 4 }, true), {
      computeBits: 8,
      weightBits: 4,
      actBits: 4,
    });
    assert.throws(
      () => getTarget('myriad-x?storage=fp16'),
      (e: unknown) => e instanceof ConfigError && /storage 'fp16'/.test(e.message) && /'packed'/.test(e.message) && /'execution'/.test(e.message),
    );
  });
  it('cortex-a76 and a100 charge sub-8-bit tensors at the width of the kernel that runs them (int8 on the A76; INT4 or INT8 on the A100)', () => {
    const g = zooGraph('mbnet32?channels=1&size=28');
    const cost = (t: string, p: string): readonly number[] => {
      const c = getTarget(t).networkCost(g, policyPreset(p));
      return [c.latencyMs, c.energyMj, c.dramBytes];
    };
    // session 51 (commit e72bb48) moved the tensors at the policy's bits: cortex-a76 w2a2 11,976 DRAM bytes, w4a4 and
    // w4a8 23,912, w6a6 35,848, against w8a8's 47,784, although every one of them runs on the int8 kernels
    const a76 = cost('cortex-a76', 'w8a8');
    assert.deepEqual(a76, [0.13887568452380952, 0.2083135267857143, 47784]);
    for (const p of ['w2a2', 'w4a4', 'w4a8', 'w6a6', 'w1a1']) assert.deepEqual(cost('cortex-a76', p), a76, `cortex-a76 ${p}`);
    // the A100 has INT4 tensor cores: 1-4 bits run and move as INT4, 5-8 bits as INT8 (w2a2 moved 11,976 bytes before)
    const int4 = cost('a100', 'w4a4');
    assert.deepEqual(int4, [0.06235556324102564, 24.942225296410253, 23912]);
    for (const p of ['w2a2', 'w1a1', 'w3a4']) assert.deepEqual(cost('a100', p), int4, `a100 ${p}`);
    const int8 = cost('a100', 'w8a8');
    for (const p of ['w4a8', 'w6a6', 'w8a5']) assert.deepEqual(cost('a100', p), int8, `a100 ${p}`);
    assert.deepEqual(rooflineDevice('cortex-a76').executedPrecision({ weightBits: 4, actBits: 4 }, true), { computeBits: 8, weightBits: 8, actBits: 8 });
    assert.deepEqual(rooflineDevice('a100').executedPrecision({ weightBits: 2, actBits: 4 }, true), { computeBits: 4, weightBits: 4, actBits: 4 });
    // fp32 and the native widths are unchanged; ?storage=packed gives the figures before session 52
    assert.deepEqual(cost('cortex-a76', 'fp32'), [0.29150273809523813, 0.4372541071428572, 191016]);
    assert.deepEqual(cost('a100', 'fp32'), [0.5257442215384615, 210.29768861538463, 191016]);
    assert.deepEqual(cost('cortex-a76?storage=packed', 'w4a4'), [0.13887568452380952, 0.2083135267857143, 23912]);
    assert.deepEqual(cost('a100?storage=packed', 'w2a2'), [0.06235545444102564, 24.94218177641025, 11976]);
  });
});

function graphWorkloadsOf(g: ReturnType<typeof zooGraph>, suffix: string): number {
  return graphWorkloads(g)
    .filter((w) => w.node.endsWith(suffix))
    .reduce((s, w) => s + w.macs, 0);
}
