import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { graphWorkloads } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { complexityReport, formatReport } from './complexity.js';
import { graphKernels, HostCpuTarget } from './host.js';
import { isFreeOp, layerKey, parseLayerKey, workloadKey } from './layer-key.js';
import { type LutFile, LutTarget, loadArchTable, loadLut, parseLut, saveLut } from './lut.js';
import { costPolicyPreset, defaultPolicy, policyPreset, uniformPolicy } from './precision.js';
import { prepareNetwork } from './prepared.js';
import { getTarget } from './registry.js';
import { runTargetConformance } from './testing/conformance.js';
import { costSummary } from './types.js';

const g = zooGraph('zoo:mbnet32');

/** A table filled from an analytical target, for every layer at the given bit pairs. */
function tableFrom(bits: number[], fused = false): LutFile {
  const src = getTarget('cortex-a76');
  const entries = new Map<string, { key: string; latencyMs: number; energyMj: number }>();
  for (const w of graphWorkloads(g)) {
    if (isFreeOp(w.op)) continue;
    for (const wb of bits) {
      for (const ab of bits) {
        const p = { weightBits: w.op === 'conv2d' || w.op === 'dense' ? wb : 32, actBits: ab };
        const c = src.layerCost(w, p);
        entries.set(workloadKey(w, p), { key: workloadKey(w, p), latencyMs: c.latencyMs, energyMj: c.energyMj });
      }
    }
  }
  return { format: 'hwnas-lut', version: 1, device: 'cortex-a76 model', fused, entries: [...entries.values()] };
}

describe('lookup-table target', () => {
  it('keys round-trip through the parser', () => {
    for (const w of graphWorkloads(g)) {
      const k = workloadKey(w, { weightBits: 4, actBits: 8 });
      assert.equal(layerKey(parseLayerKey(k)), k);
    }
    assert.equal(workloadKey(graphWorkloads(g)[1] as never, { weightBits: 8, actBits: 8 }), 'conv2d|in=3x32x32|out=32x16x16|k=3x3|s=2x2|g=1|w=8|a=8');
  });
  it('reproduces the costs it was filled with', () => {
    const lut = new LutTarget(tableFrom([8]));
    const ref = getTarget('cortex-a76?fuse=false').networkCost(g, policyPreset('w8a8'));
    const c = lut.networkCost(g, policyPreset('w8a8'));
    assert.ok(Math.abs(c.latencyMs - ref.latencyMs) < 1e-9 * ref.latencyMs, `${c.latencyMs} vs ${ref.latencyMs}`);
  });
  it('a missing key is an error naming the key', () => {
    const lut = new LutTarget(tableFrom([8]));
    assert.throws(
      () => lut.networkCost(g, uniformPolicy(8, 8)) && lut.layerCost(graphWorkloads(g)[1] as never, { weightBits: 4, actBits: 8 }),
      (e: unknown) => e instanceof ConfigError && e.message.includes("missing key 'conv2d|in=3x32x32|out=32x16x16|k=3x3|s=2x2|g=1|w=4|a=8'"),
    );
  });
  it('falls back to another target when asked, and records the misses', () => {
    const fb = getTarget('cortex-a76');
    const lut = new LutTarget(tableFrom([8]), { fallback: fb });
    const w = graphWorkloads(g)[1];
    assert.ok(w);
    const c = lut.layerCost(w, { weightBits: 4, actBits: 4 });
    assert.equal(c.latencyMs, fb.layerCost(w, { weightBits: 4, actBits: 4 }).latencyMs);
    assert.equal(lut.misses.size, 1);
  });
  it("?fallback=: the table's precision is the default, the rows it costed are counted, its overhead only when it costed any", () => {
    // an fp32 table as `hwnas measure` writes one (host-cpu: float32 keys, a network overhead), with a fallback of other bits;
    // unfused: mbnet32's 29 conv, bn, relu, pool and dense rows carry a cost of their own
    const fp32 = { ...tableFrom([32]), networkOverheadMs: 0.004 };
    const fb = getTarget('cortex-a76');
    const lut = new LutTarget(fp32, { fallback: fb, name: 'lut:t.json?fallback=cortex-a76' });
    // before session 51 the default was the fallback's w8a8: no key matched and every row was the fallback's
    assert.deepEqual(lut.defaultPrecision, { weightBits: 32, actBits: 32 });
    assert.equal(costPolicyPreset(lut), 'fp32');
    assert.equal(defaultPolicy(lut).name, 'fp32');
    assert.equal(costPolicyPreset(new LutTarget(tableFrom([8]), { fallback: getTarget('host-cpu') })), 'w8a8');
    const all = complexityReport(g, lut, policyPreset('fp32'));
    assert.deepEqual(all.fallback, { target: 'cortex-a76', rows: 0, costedRows: 29 });
    assert.equal(all.total.networkOverheadMs, 0.004);
    // w8a8: no key of the table matches, every row is the fallback's, and the table's run overhead is not added
    const none = complexityReport(g, lut, policyPreset('w8a8'));
    assert.deepEqual(none.fallback, { target: 'cortex-a76', rows: 29, costedRows: 29 });
    assert.ok(none.rows.filter((r) => r.bound !== 'fused' && r.bound !== '-').every((r) => r.costedBy === 'cortex-a76'));
    assert.equal(none.total.networkOverheadMs, 0);
    assert.equal(none.total.latencyMs, getTarget('cortex-a76?fuse=false').networkCost(g, policyPreset('w8a8')).latencyMs);
    assert.match(formatReport(none), /no row came from the table: all 29 from the fallback cortex-a76/);
    assert.match(formatReport(all), /29 of 29 rows from the table, 0 from the fallback cortex-a76/);
    // some rows from each: a mixed policy whose first conv runs at w8a8 (the fallback's) and the rest at fp32 (the table's)
    const first = prepareNetwork(g).layerNames[0] as string;
    const mixed = { name: 'mixed', default: { weightBits: 32, actBits: 32 }, layers: { [first]: { weightBits: 8, actBits: 32 } } };
    const m = complexityReport(g, lut, mixed);
    assert.deepEqual(m.fallback, { target: 'cortex-a76', rows: 1, costedRows: 29 });
    assert.equal(m.total.networkOverheadMs, 0.004);
    assert.match(formatReport(m), /28 of 29 rows from the table, 1 from the fallback cortex-a76 \(column 'from'\)/);
    // the search fast path agrees with networkCost, overhead included or not
    const net = prepareNetwork(g);
    for (const [wb, ab] of [
      [32, 32],
      [8, 8],
    ] as const) {
      const L = net.layerNode.length;
      const out = lut.evaluate(net, new Int32Array(L).fill(wb), new Int32Array(L).fill(ab), costSummary(), ab);
      const ref = lut.networkCost(g, uniformPolicy(wb, ab)).latencyMs;
      assert.ok(Math.abs(out.latencyMs - ref) <= 1e-12 * ref, `w${wb}a${ab}: ${out.latencyMs} vs ${ref}`);
    }
  });
  it('reads the CSV forms', () => {
    const csv1 = 'key,latency_ms\n"conv2d|in=3x32x32|out=32x16x16|k=3x3|s=2x2|g=1|w=8|a=8",0.5\n';
    const t1 = new LutTarget(parseLut(csv1, 'a.csv'));
    assert.equal(t1.layerCost(graphWorkloads(g)[1] as never, { weightBits: 8, actBits: 8 }).latencyMs, 0.5);
    const csv2 = 'op,in,out,kernel,stride,groups,weight_bits,act_bits,latency_ms,energy_mj\nconv2d,3x32x32,32x16x16,3x3,2x2,1,8,8,0.25,0.01\n';
    const t2 = new LutTarget(parseLut(csv2, 'b.csv'));
    const c = t2.layerCost(graphWorkloads(g)[1] as never, { weightBits: 8, actBits: 8 });
    assert.equal(c.latencyMs, 0.25);
    assert.equal(c.energyMj, 0.01);
    assert.throws(
      () => parseLut('op,latency\n', 'c.csv'),
      (e: unknown) => e instanceof ConfigError && /latency_ms/.test(e.message),
    );
    assert.throws(() => parseLut('{"entries": []}', 'd.json'), ConfigError);
  });
  it('a key given twice is an error naming it and both values (JSON and CSV), not a silent last-wins', () => {
    const k = 'conv2d|in=3x32x32|out=32x16x16|k=3x3|s=2x2|g=1|w=8|a=8';
    const json = JSON.stringify({
      format: 'hwnas-lut',
      version: 1,
      entries: [
        { key: k, latencyMs: 0.004 },
        { key: k, latencyMs: 99 },
      ],
    });
    assert.throws(
      () => parseLut(json, 'dup.json'),
      (e: unknown) => e instanceof ConfigError && e.message.includes(k) && /entry 0: 0\.004 ms, entry 1: 99 ms/.test(e.message),
    );
    const csv = `key,latency_ms\n"${k}",0.004\n"${k}",99\n`;
    assert.throws(
      () => parseLut(csv, 'dup.csv'),
      (e: unknown) => e instanceof ConfigError && /row 2: 0\.004 ms, row 3: 99 ms/.test(e.message),
    );
  });
  it('saves and reloads JSON and CSV tables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-lut-'));
    const t = tableFrom([8]);
    for (const f of ['a.json', 'a.csv']) {
      saveLut(t, join(dir, f));
      const back = loadLut(join(dir, f));
      assert.equal(back.entries.length, t.entries.length);
      assert.deepEqual(
        back.entries.map((e) => [e.key, e.latencyMs, e.energyMj]),
        t.entries.map((e) => [e.key, e.latencyMs, e.energyMj]),
      );
    }
  });
  it('a CSV table keeps device, fused and the calibration, and costs a network as its JSON form does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-lut-'));
    const t: LutFile = { ...tableFrom([32]), device: 'host-cpu (test)', fused: true, networkOverheadMs: 0.02, kernelScale: 0.75 };
    saveLut(t, join(dir, 'f.csv'));
    saveLut(t, join(dir, 'f.json'));
    const back = loadLut(join(dir, 'f.csv'));
    assert.deepEqual([back.device, back.fused, back.networkOverheadMs, back.kernelScale], ['host-cpu (test)', true, 0.02, 0.75]);
    const p = uniformPolicy(32, 32);
    const viaCsv = new LutTarget(back).networkCost(g, p);
    const viaJson = new LutTarget(loadLut(join(dir, 'f.json'))).networkCost(g, p);
    assert.equal(viaCsv.latencyMs, viaJson.latencyMs);
    assert.equal(viaCsv.networkOverheadMs, 0.02);
    assert.throws(
      () => parseLut('# fused: yes\nkey,latency_ms\n', 'x.csv'),
      (e: unknown) => e instanceof ConfigError && /x\.csv: '# fused: yes': expected true or false/.test(e.message),
    );
    assert.throws(
      () => parseLut('# kernel_scale: 0\nkey,latency_ms\n', 'x.csv'),
      (e: unknown) => e instanceof ConfigError && /'# kernel_scale: 0': expected a positive number/.test(e.message),
    );
    // other comment lines stay comments
    assert.equal(parseLut('# measured by hand: yes\nkey,latency_ms\n', 'x.csv').fused, undefined);
  });
  it('keeps the whole-network timings the calibration was fitted on, in JSON and CSV; a bad timing is refused by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-lut-'));
    const networks = [
      { graph: 'mbnet32', kernelSumMs: 0.412, networkMs: 0.35 },
      { graph: 'my net, v2', kernelSumMs: 1.5, networkMs: 1.61 },
    ];
    const t: LutFile = { ...tableFrom([32]), fused: true, networkOverheadMs: 0.02, kernelScale: 0.75, networks };
    for (const f of ['n.json', 'n.csv']) {
      saveLut(t, join(dir, f));
      assert.deepEqual(loadLut(join(dir, f)).networks, networks, f);
    }
    assert.equal(parseLut('key,latency_ms\n', 'x.csv').networks, undefined);
    assert.throws(
      () => parseLut('# network_timing: 0.4 fast mbnet32\nkey,latency_ms\n', 'x.csv'),
      (e: unknown) =>
        e instanceof ConfigError && /x\.csv: '# network_timing: 0\.4 fast mbnet32': expected '<kernel sum ms> <network ms> <graph>'/.test(e.message),
    );
    assert.throws(
      () => parseLut(JSON.stringify({ ...t, networks: [{ graph: 'a', kernelSumMs: -1, networkMs: 2 }] }), 'x.json'),
      (e: unknown) => e instanceof ConfigError && /x\.json: networks\[0\] .*"kernelSumMs":-1.*expected \{graph/.test(e.message),
    );
  });
  it('a fused table with one entry per runtime kernel (as measure writes it) costs its network: residual adds inside a conv cost 0', () => {
    // zoo nets with residual adds: mobilenet-v2 (b2_add is the issue-18 miss), the ResNets (add + relu), EfficientNet-B0
    for (const spec of ['zoo:mobilenet-v2?size=32', 'zoo:resnet18?size=32', 'zoo:resnet50?size=32', 'zoo:efficientnet-b0?size=32']) {
      const net = zooGraph(spec);
      const wls = prepareNetwork(net).workloads;
      const fp32 = { weightBits: 32, actBits: 32 };
      // the keys measureHost times: one per kernel anchor, at distinct made-up latencies
      const entries = new Map<string, { key: string; latencyMs: number }>();
      const kernels = graphKernels(net);
      for (const k of kernels) {
        const key = workloadKey(wls[k.anchor] as never, fp32);
        if (!entries.has(key)) entries.set(key, { key, latencyMs: 0.001 * (entries.size + 1) });
      }
      assert.ok(
        kernels.some((k) => k.members.some((i) => wls[i]?.op === 'add')),
        `${spec}: has an add inside a conv's kernel`,
      );
      const table: LutFile = { format: 'hwnas-lut', version: 1, fused: true, networkOverheadMs: 0.05, kernelScale: 0.8, entries: [...entries.values()] };
      const c = new LutTarget(table).networkCost(net, uniformPolicy(32, 32));
      // oracle: the kernel sum, scaled, plus the overhead; and host-cpu seeded with the same table
      const want = 0.05 + 0.8 * kernels.reduce((a, k) => a + (entries.get(workloadKey(wls[k.anchor] as never, fp32))?.latencyMs as number), 0);
      assert.ok(Math.abs(c.latencyMs - want) < 1e-9, `${spec}: ${c.latencyMs} vs ${want}`);
      assert.ok(Math.abs(new HostCpuTarget({}, table).networkCost(net, uniformPolicy(32, 32)).latencyMs - c.latencyMs) < 1e-9, spec);
      const add = c.layers.find((l) => l.op === 'add' && l.fusedInto !== undefined);
      assert.ok(add && add.latencyMs === 0 && add.dramBytes === 0, `${spec}: ${JSON.stringify(add)}`);
    }
    // an unfused table still costs adds as nodes of their own
    assert.throws(
      () => new LutTarget({ format: 'hwnas-lut', version: 1, entries: [] }).networkCost(zooGraph('zoo:mobilenet-v2?size=32'), uniformPolicy(32, 32)),
      ConfigError,
    );
  });
  it('loads lut:<file> through the registry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-lut-'));
    const f = join(dir, 't.json');
    writeFileSync(f, JSON.stringify(tableFrom([8])));
    const t = getTarget(`lut:${f}`);
    assert.equal(t.kind, 'table');
    assert.ok(t.networkCost(g, uniformPolicy(8, 8)).latencyMs > 0);
    const t2 = getTarget(`lut:${f}?fallback=cortex-a76`);
    assert.ok(t2.networkCost(g, uniformPolicy(4, 4)).latencyMs > 0);
  });
  it('per-architecture tables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-arch-'));
    const f = join(dir, 'a.csv');
    writeFileSync(f, 'arch,latencyMs,accuracy\n"k3-e6|k5-e3",1.5,0.91\nk3-e3,1.1,0.89\n');
    const t = loadArchTable(f);
    assert.equal(t.metric('k3-e6|k5-e3', 'latencyMs'), 1.5);
    assert.throws(
      () => t.get('k7-e6'),
      (e: unknown) => e instanceof ConfigError && /'k7-e6'/.test(e.message),
    );
    assert.throws(
      () => t.metric('k3-e3', 'energy'),
      (e: unknown) => e instanceof ConfigError && /'energy'/.test(e.message),
    );
    const j = join(dir, 'a.json');
    writeFileSync(j, JSON.stringify({ format: 'hwnas-arch-table', entries: { a: { latencyMs: 2 } } }));
    assert.equal(loadArchTable(j).metric('a', 'latencyMs'), 2);
  });
});

runTargetConformance('lut (filled from cortex-a76, unfused)', () => new LutTarget(tableFrom([4, 8])), { monotoneInBits: false, graphs: [g] });
runTargetConformance('lut (fused)', () => new LutTarget(tableFrom([4, 8], true)), { monotoneInBits: false, graphs: [g] });
