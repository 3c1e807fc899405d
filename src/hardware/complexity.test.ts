import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphTotals } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { formatNumber } from '../util/table.js';
import { compareReports, complexityReport, formatComparison, formatReport } from './complexity.js';
import { graphKernels } from './host.js';
import { workloadKey } from './layer-key.js';
import { LutTarget } from './lut.js';
import { parsePolicy, policyPreset } from './precision.js';
import { prepareNetwork } from './prepared.js';
import { getTarget } from './registry.js';

const g = zooGraph('zoo:mbnet32');

describe('complexity report', () => {
  it('per-layer rows add up to the totals and match the network cost', () => {
    const t = getTarget('bitfusion-edge');
    const r = complexityReport(g, t, policyPreset('w4a8'));
    assert.equal(r.rows.length, g.nodes.length);
    assert.equal(r.total.macs, graphTotals(g).macs);
    assert.equal(r.total.bitOps, r.total.macs * 4 * 8);
    const lat = r.rows.reduce((s, x) => s + x.latencyMs, 0);
    assert.ok(Math.abs(lat - r.total.latencyMs) < 1e-12);
    assert.equal(r.total.latencyMs, t.networkCost(g, policyPreset('w4a8')).latencyMs);
    const stem = r.rows.find((x) => x.layer === 'stem');
    assert.equal(stem?.weightBytes, (32 * 3 * 9 * 4) / 8);
    assert.equal(stem?.bits, 'w4a8');
    assert.ok((stem?.areaMm2 ?? 0) > 0);
    assert.equal(r.rows.find((x) => x.layer === 'stem_bn')?.bound, 'fused');
  });
  it('channel groups: bit operations and weight bytes per group', () => {
    const pol = parsePolicy(
      {
        default: { weightBits: 8, actBits: 8 },
        layers: {
          fc: {
            weightBits: 8,
            actBits: 8,
            groups: [
              { channels: 5, weightBits: 2, actBits: 8 },
              { channels: 5, weightBits: 8, actBits: 8 },
            ],
          },
        },
      },
      { graph: g },
    );
    const r = complexityReport(g, getTarget('bitfusion-edge'), pol);
    const fc = r.rows.find((x) => x.layer === 'fc');
    assert.equal(fc?.bits, 'mixed');
    assert.equal(fc?.bitOps, 640 * 16 + 640 * 64);
    assert.equal(fc?.weightBytes, (640 * 2) / 8 + (640 * 8) / 8 + 10 * 4);
  });
  it('no area for non-accelerator targets', () => {
    const r = complexityReport(g, getTarget('cortex-a76'), policyPreset('w8a8'));
    assert.ok(Number.isNaN(r.total.areaMm2));
  });
  it('compares two policies and two targets, and formats both', () => {
    const t = getTarget('bitfusion-edge');
    const a = complexityReport(g, t, policyPreset('w8a8'));
    const b = complexityReport(g, t, policyPreset('w4a4'));
    const c = compareReports(a, b);
    assert.ok(c.speedup > 1.5, `${c.speedup}`);
    assert.ok(c.energySaving > 1);
    const text = formatComparison(c);
    assert.match(text, /A = bitfusion-edge\/w8a8, B = bitfusion-edge\/w4a4/);
    assert.match(text, /latency A\/B/);
    const x = compareReports(a, complexityReport(g, getTarget('bismo-cloud'), policyPreset('w8a8')));
    assert.equal(x.rows.length, g.nodes.length);
    const rep = formatReport(a);
    assert.match(rep, /^mbnet32 on bitfusion-edge, policy w8a8/);
    assert.match(rep, /total: .* MMACs/);
    assert.ok(!/stem_bn/.test(rep), 'fused rows hidden by default');
  });
  it('the text totals are the sums of the rows the table lists, labelled so; what the hidden rows hold is named apart', () => {
    const net = zooGraph('zoo:mobilenet-v2?size=32');
    const wls = prepareNetwork(net).workloads;
    const fp32 = { weightBits: 32, actBits: 32 };
    const entries = new Map(
      graphKernels(net).map((k) => {
        const key = workloadKey(wls[k.anchor] as never, fp32);
        return [key, { key, latencyMs: 0.01 }] as const;
      }),
    );
    const lut = new LutTarget({ format: 'hwnas-lut', version: 1, fused: true, entries: [...entries.values()] });
    for (const [t, p] of [
      [getTarget('bitfusion-edge'), policyPreset('w8a8')],
      [lut, policyPreset('fp32')],
    ] as const) {
      const r = complexityReport(net, t, p);
      const shown = r.rows.filter((x) => x.bound !== 'fused' && x.bound !== '-');
      const hidden = r.rows.filter((x) => x.bound === 'fused' || x.bound === '-');
      // plumbing and fused rows move nothing to or from DRAM on any target (a layer-value target charged the input's bytes to its 'input' row)
      assert.deepEqual(
        hidden.filter((x) => x.dramBytes !== 0).map((x) => x.layer),
        [],
        t.name,
      );
      const kib = (k: 'activationBytes' | 'dramBytes'): string => formatNumber(shown.reduce((a, x) => a + x[k], 0) / 1024);
      for (const layers of [true, false]) {
        const line = formatReport(r, { layers }).split('\n').at(-1) as string;
        assert.ok(line.includes(`activations ${kib('activationBytes')} KiB, DRAM ${kib('dramBytes')} KiB`), `${t.name}: ${line}`);
        assert.ok(line.includes(`sums of the ${shown.length} rows ${layers ? 'shown' : 'of the per-layer table'}`), line);
        const inside = formatNumber(hidden.reduce((a, x) => a + x.activationBytes, 0) / 1024);
        assert.ok(line.includes(`the ${hidden.length} hidden fused and plumbing rows add ${inside} KiB of activations, never written to DRAM`), line);
      }
      assert.equal(
        r.total.dramBytes,
        shown.reduce((a, x) => a + x.dramBytes, 0),
        `${t.name}: the JSON DRAM total is the shown rows' too`,
      );
    }
  });
});
