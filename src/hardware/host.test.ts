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
import { exportKernelOnnx, graphKernels, HostCpuTarget, type HostMeasurement, hostLut, measureNetworks, measureRunOverhead, SINK } from './host.js';
import { LutTarget } from './lut.js';
import { policyPreset } from './precision.js';
import { getTarget } from './registry.js';
import { runTargetConformance } from './testing/conformance.js';
import { randomNet } from './testing/random-nets.js';

const mnist = zooGraph('zoo:mnist-cnn');
const mb = zooGraph('zoo:mbnet32');
const target = new HostCpuTarget({ repeats: 10, budgetMs: 5 });
let m: HostMeasurement;
const dir = mkdtempSync(join(tmpdir(), 'hwnas-host-test-'));

const ortOptimized = (bytes: Uint8Array, _name: string) => ortOptimizedNodes(bytes);

const COMPUTE = (n: { op: string }): boolean => !['ReorderInput', 'ReorderOutput', 'Flatten', 'Reshape', 'Identity'].includes(n.op);

before(async () => {
  await target.prepare(mnist);
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
  it('costs measured networks and names unmeasured layers', () => {
    const c = target.networkCost(mb, policyPreset('fp32'));
    assert.ok(Math.abs(c.latencyMs - m.fusionModelMs) < 1e-9, `${c.latencyMs} vs ${m.fusionModelMs}`);
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
    const lut = new LutTarget(hostLut(m));
    const c = lut.networkCost(mb, policyPreset('fp32'));
    assert.ok(Math.abs(c.latencyMs - m.fusionModelMs) < 1e-9);
    assert.equal(getTarget('host-cpu').kind, 'measured');
    assert.throws(() => getTarget('host-cpu?cores=2'), ConfigError);
  });
});

runTargetConformance('host-cpu (measured)', () => new HostCpuTarget({}, target.toLut()), { monotoneInBits: false, graphs: [mnist, mb] });
