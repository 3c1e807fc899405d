import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { initWeights } from '../ir/init.js';
import type { Graph } from '../ir/types.js';
import { zooGraph } from '../ir/zoo/index.js';
import { exportOnnx } from '../onnx/export.js';
import { ortOptimizedNodes } from '../onnx/ort.js';
import { MBV2_SMALL, mbv2Space } from '../search/spaces/mbv2.js';
import { Rng } from '../util/rng.js';
import {
  exportKernelOnnx,
  fitHostComposition,
  graphKernels,
  HostCpuTarget,
  type HostMeasurement,
  hostLut,
  measureHost,
  measureNetworks,
  measureRunOverhead,
  SINK,
} from './host.js';
import { workloadKey } from './layer-key.js';
import { LutTarget } from './lut.js';
import { type LayerPrecision, type PrecisionPolicy, policyPreset } from './precision.js';
import { lutPredictorMeta } from './predictor.js';
import { groupSlices, policySlices, prepareNetwork } from './prepared.js';
import { getTarget } from './registry.js';
import { runTargetConformance } from './testing/conformance.js';
import { randomNet } from './testing/random-nets.js';

const mnist = zooGraph('zoo:mnist-cnn');
const mb = zooGraph('zoo:mbnet32');
const target = new HostCpuTarget({ repeats: 10, budgetMs: 5 });
let m: HostMeasurement;
let m0: HostMeasurement;
const dir = mkdtempSync(join(tmpdir(), 'hwnas-host-test-'));

const ortOptimized = (bytes: Uint8Array, _name: string) => ortOptimizedNodes(bytes);

const COMPUTE = (n: { op: string }): boolean => !['ReorderInput', 'ReorderOutput', 'Flatten', 'Reshape', 'Identity'].includes(n.op);

before(async () => {
  m0 = await target.measure(mnist);
  m = await target.measure(mb);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('host-cpu (onnxruntime-node)', () => {
  it('measureNetworks times networks of different input shapes together, one result per network, in order', async () => {
    const big = zooGraph('zoo:mbnet32?size=64');
    const r = await measureNetworks([mnist, big, mnist], { repeats: 20, quantile: 0.1 });
    assert.equal(r.length, 3);
    for (const x of r) assert.ok(x.latencyMs > 0 && x.latencyMs <= x.medianMs && x.iqrMs >= 0, JSON.stringify(x));
    // mbnet32 at 64 px does 10.8x the MACs of the MNIST CNN (11.1 M vs 1.03 M): far more than any drift between interleaved runs.
    assert.ok((r[1]?.latencyMs as number) > 2 * (r[0]?.latencyMs as number), JSON.stringify(r));
  });
  it('calibrates a positive run overhead', async () => {
    const o = await measureRunOverhead();
    assert.ok(o.fixedMs > 0 && o.fixedMs < 5, `fixed ${o.fixedMs} ms`);
    assert.ok(o.perElemMs >= 0);
  });
  it('the kernel plan has as many kernels as onnxruntime runs compute nodes (oracle: ORT optimized graph)', async () => {
    const space = mbv2Space({ ...MBV2_SMALL, inputSizes: [32], inChannels: 3 });
    const rng = new Rng(4);
    const graphs: Graph[] = [
      zooGraph('zoo:mobilenet-v2?size=64'),
      randomNet(rng, 'r1'),
      randomNet(rng, 'r2'),
      space.graph(space.fromParams(space.space.sample(rng) as Record<string, never>)),
    ];
    for (const g of graphs) {
      const nodes = await ortOptimized(exportOnnx({ graph: g, weights: initWeights(g, new Rng(1)) }, { batch: 1 }), g.name);
      assert.equal(graphKernels(g).length, nodes.filter(COMPUTE).length, `${g.name}: ${nodes.map((n) => n.op).join(' ')}`);
    }
  });
  it('a kernel unit with a sink fuses as in the network (conv+bn+hardswish is one conv)', async () => {
    const b = zooGraph('zoo:mobilenet-v2?size=64');
    const w = initWeights(b, new Rng(1));
    const nodes = await ortOptimized(exportKernelOnnx(b, w, ['stem', 'stem_bn', 'stem_relu6'], { sink: true }), 'unit');
    const convs = nodes.filter((n) => n.op === 'Conv');
    assert.equal(convs.length, 1);
    assert.equal(convs[0]?.activation, 'Clip');
    assert.ok(nodes.some((n) => n.name.startsWith(SINK)));
  });
  it('measures every kernel and node, and the whole network', () => {
    assert.equal(m.graph, 'mbnet32');
    assert.equal(m.kernels.length, graphKernels(mb).length);
    assert.equal(m.layers.length, mb.nodes.filter((n) => !['input', 'flatten'].includes(n.op)).length);
    assert.ok(m.layers.every((l) => l.medianMs > 0 && l.netMs >= 0 && l.iqrMs >= 0));
    assert.ok(m.kernels.every((k) => k.netMs > 0 && k.latencyMs > 0));
    assert.deepEqual(m.kernels.find((k) => k.node === 'stem')?.post, ['batchnorm', 'relu']);
    assert.ok(m.network.medianMs > 0);
    assert.equal(m.layers.find((l) => l.node === 'stem_bn')?.fusedInto, 'stem');
  });
  it('the fusion model explains the whole network better than the naive sum of layers', () => {
    assert.ok(m.sumOfLayersMs > m.network.medianMs, 'one run overhead per node makes the naive sum too large');
    assert.ok(Math.abs(m.fusionModelError) < Math.abs(m.sumOfLayersError), `fusion ${m.fusionModelError} vs naive ${m.sumOfLayersError}`);
  });
  it('costs measured networks with the composition fitted on their whole timings, and names unmeasured layers', () => {
    const comp = fitHostComposition([m0, m].map((x) => ({ kernelSumMs: x.kernelSumMs, networkMs: x.network.latencyMs })));
    assert.ok(comp.kernelScale > 0 && comp.fixedMs >= 0, JSON.stringify(comp));
    for (const [g, x] of [
      [mnist, m0],
      [mb, m],
    ] as const) {
      const c = target.networkCost(g, policyPreset('fp32'));
      const want = comp.kernelScale * x.kernelSumMs + comp.fixedMs;
      assert.ok(Math.abs(c.latencyMs - want) < 1e-9, `${g.name}: ${c.latencyMs} vs ${want}`);
      assert.ok(Math.abs(c.layers.reduce((a, l) => a + l.latencyMs, c.networkOverheadMs) - c.latencyMs) < 1e-9, 'layers sum to the total');
    }
    assert.throws(
      () => target.networkCost(zooGraph('zoo:mbnet32?size=64'), policyPreset('fp32')),
      (e: unknown) => e instanceof ConfigError && /not measured layer 'stem'/.test(e.message),
    );
    assert.throws(
      () => target.networkCost(mb, policyPreset('w8a8')),
      (e: unknown) => e instanceof ConfigError && /weightBits=8/.test(e.message),
    );
  });
  it('writes a lookup table that reproduces the costs', () => {
    const lut = new LutTarget(hostLut([m0, m]));
    for (const g of [mnist, mb]) {
      const a = lut.networkCost(g, policyPreset('fp32')).latencyMs;
      const b = target.networkCost(g, policyPreset('fp32')).latencyMs;
      assert.ok(Math.abs(a - b) < 1e-9, `${g.name}: lut ${a} vs target ${b}`);
    }
    assert.equal(getTarget('host-cpu').kind, 'measured');
    assert.throws(() => getTarget('host-cpu?cores=2'), ConfigError);
  });
  it('keeps the measured networks in the table: tables measured apart pool to the calibration of measuring them together', () => {
    const both = hostLut([m0, m]);
    assert.deepEqual(
      both.networks,
      [m0, m].map((x) => ({ graph: x.graph, kernelSumMs: x.kernelSumMs, networkMs: x.network.latencyMs })),
    );
    const apart = lutPredictorMeta([
      { path: 'mnist.json', lut: hostLut(m0) },
      { path: 'mbnet.json', lut: hostLut(m) },
    ]);
    assert.equal(apart.calibration, 'pooled');
    assert.ok(Math.abs((apart.kernelScale as number) - (both.kernelScale as number)) < 1e-12, `${apart.kernelScale} vs ${both.kernelScale}`);
    assert.ok(Math.abs((apart.networkOverheadMs as number) - (both.networkOverheadMs as number)) < 1e-12);
  });
});

describe('host-cpu measures the channel groups a policy asks for', () => {
  const F = { weightBits: 32, actBits: 32 };
  const groups = (...cs: number[]): LayerPrecision => ({ ...F, groups: cs.map((channels) => ({ channels, ...F })) });
  // pointwise in two halves, depthwise in a quarter and the rest, the classifier in 4 + 6
  const pol: PrecisionPolicy = { default: F, layers: { b1_pw: groups(32, 32), b2_dw: groups(16, 48), fc: groups(4, 6) } };
  const net = prepareNetwork(mb);
  const wl = (node: string) => net.workloads.find((w) => w.node === node) as (typeof net.workloads)[number];
  const t = new HostCpuTarget({ repeats: 10, budgetMs: 5 });
  let hm: HostMeasurement;
  before(async () => {
    await t.prepare(mb, [pol]);
    hm = await measureHost(mb, { repeats: 10, budgetMs: 5, perNode: false, slices: policySlices(net, pol) });
  });
  it('prepared with the policy, host-cpu costs it with no seeded table: each group at its slice’s measured kernel', () => {
    const lut = t.toLut();
    const at = new Map(lut.entries.map((e) => [e.key, e.latencyMs]));
    const kernelKeys = new Set(graphKernels(mb).map((k) => workloadKey(net.workloads[k.anchor] as (typeof net.workloads)[number], F)));
    const c = t.networkCost(mb, pol);
    for (const [layer, lp] of Object.entries(pol.layers)) {
      const slices = groupSlices(wl(layer), lp.groups);
      for (const { slice } of slices) assert.ok(!kernelKeys.has(workloadKey(slice, F)), `${slice.node}: a key of its own, not one of the network's kernels`);
      const want = (lut.kernelScale ?? 1) * slices.reduce((a, { slice }) => a + (at.get(workloadKey(slice, F)) as number), 0);
      const got = c.layers.find((l) => l.node === layer)?.latencyMs as number;
      assert.ok(want > 0 && Math.abs(got - want) <= 1e-12 * want, `${layer}: ${got} vs ${want}`);
    }
  });
  it('times each distinct slice once, keyed by its own shape, apart from the kernels and their sums', () => {
    const keys = [...new Set(policySlices(net, pol).map((x) => workloadKey(x, F)))];
    assert.deepEqual(
      hm.slices.map((x) => x.key),
      keys,
    );
    assert.deepEqual(
      hm.slices.map((x) => x.node),
      ['b1_pw[0:32]', 'b2_dw[0:16]', 'b2_dw[16:64]', 'fc[0:4]', 'fc[4:10]'],
    );
    assert.equal(hm.slices.find((x) => x.node === 'b1_pw[0:32]')?.key, 'conv2d|in=32x16x16|out=32x16x16|k=1x1|s=1x1|g=1|w=32|a=32');
    assert.ok(hm.slices.every((x) => x.netMs > 0));
    assert.equal(hm.kernels.length, graphKernels(mb).length);
    assert.equal(
      hm.kernelSumMs,
      hm.kernels.reduce((a, k) => a + k.netMs, 0),
    );
    const table = new Map(hostLut(hm).entries.map((e) => [e.key, e.latencyMs]));
    for (const x of hm.slices) assert.equal(table.get(x.key), x.netMs);
  });
  it('a slice of half (a quarter) of the channels times its layer’s kernel on half (a quarter) of the outputs', () => {
    const of = (node: string) => hm.kernels.find((k) => k.node === node) as HostMeasurement['kernels'][number];
    const half = hm.slices.find((x) => x.node === 'b1_pw[0:32]') as HostMeasurement['slices'][number];
    assert.deepEqual(half.post, of('b1_pw').post);
    assert.equal(half.outElems * 2, of('b1_pw').outElems);
    assert.equal(half.inElems, of('b1_pw').inElems, 'a dense-channel conv slice reads every input channel');
    const quarter = hm.slices.find((x) => x.node === 'b2_dw[0:16]') as HostMeasurement['slices'][number];
    assert.equal(quarter.outElems * 4, of('b2_dw').outElems);
    assert.equal(quarter.inElems * 4, of('b2_dw').inElems, 'a depthwise slice reads its own input channels');
  });
});

describe('fitHostComposition', () => {
  it('one network: exact on it, overhead when the whole run is slower than its kernels, a scale below 1 when faster', () => {
    assert.deepEqual(fitHostComposition([{ kernelSumMs: 0.03, networkMs: 0.04 }]), { kernelScale: 1, fixedMs: 0.04 - 0.03 });
    const c = fitHostComposition([{ kernelSumMs: 0.2, networkMs: 0.027 }]);
    assert.equal(c.fixedMs, 0);
    assert.ok(Math.abs(c.kernelScale * 0.2 - 0.027) < 1e-12);
    assert.deepEqual(fitHostComposition([]), { kernelScale: 1, fixedMs: 0 });
  });
  it('several networks: recovers a scale and an overhead, and never fits a negative overhead', () => {
    const rows = [0.01, 0.05, 0.2, 1].map((k) => ({ kernelSumMs: k, networkMs: 0.6 * k + 0.004 }));
    const c = fitHostComposition(rows);
    assert.ok(Math.abs(c.kernelScale - 0.6) < 1e-9 && Math.abs(c.fixedMs - 0.004) < 1e-9, JSON.stringify(c));
    const neg = fitHostComposition([0.1, 0.2, 0.4].map((k) => ({ kernelSumMs: k, networkMs: 0.5 * k - 0.01 })));
    assert.equal(neg.fixedMs, 0);
    assert.ok(neg.kernelScale > 0 && neg.kernelScale < 0.5, JSON.stringify(neg));
  });
});

runTargetConformance('host-cpu (measured)', () => new HostCpuTarget({}, target.toLut()), { monotoneInBits: false, graphs: [mnist, mb] });
