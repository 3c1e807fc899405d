import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { zooGraph } from '../ir/zoo/index.js';
import { HostCpuTarget, type HostMeasurement, hostLut, measureRunOverhead } from './host.js';
import { LutTarget } from './lut.js';
import { policyPreset } from './precision.js';
import { getTarget } from './registry.js';
import { runTargetConformance } from './testing/conformance.js';

const mnist = zooGraph('zoo:mnist-cnn');
const mb = zooGraph('zoo:mbnet32');
const target = new HostCpuTarget({ repeats: 10, budgetMs: 5 });
let m: HostMeasurement;

before(async () => {
  await target.prepare(mnist);
  m = await target.measure(mb);
});

describe('host-cpu (onnxruntime-node)', () => {
  it('calibrates a positive run overhead', async () => {
    const o = await measureRunOverhead();
    assert.ok(o.fixedMs > 0 && o.fixedMs < 5, `fixed ${o.fixedMs} ms`);
    assert.ok(o.perElemMs >= 0);
  });
  it('measures every non-plumbing node and the whole network', () => {
    assert.equal(m.graph, 'mbnet32');
    assert.equal(m.layers.length, mb.nodes.filter((n) => !['input', 'flatten'].includes(n.op)).length);
    assert.ok(m.layers.every((l) => l.medianMs > 0 && l.netMs >= 0 && l.iqrMs >= 0));
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
    assert.throws(() => target.networkCost(zooGraph('zoo:mbnet32?size=64'), policyPreset('fp32')), (e: unknown) => e instanceof ConfigError && /not measured layer 'stem'/.test(e.message));
    assert.throws(() => target.networkCost(mb, policyPreset('w8a8')), (e: unknown) => e instanceof ConfigError && /weightBits=8/.test(e.message));
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
