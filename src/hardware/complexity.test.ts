import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphTotals } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { formatQuantity } from '../util/table.js';
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
  it('says which bits the device runs and is charged at: myriad-x runs w8a8 as FP16, cortex-a76 w4a4 as w8a8 (packed storage: 8-bit arithmetic)', () => {
    const m = complexityReport(g, getTarget('myriad-x'), policyPreset('w8a8'));
    const own = m.rows.filter((x) => x.bound !== 'fused' && x.bound !== '-');
    assert.ok(own.length > 0);
    for (const x of own) assert.equal(x.runsAs, x.op === 'conv2d' || x.op === 'dense' ? 'w16a16' : 'a16', x.layer);
    assert.equal(m.total.dramBytes, complexityReport(g, getTarget('myriad-x'), policyPreset('fp16')).total.dramBytes);
    const text = formatReport(m);
    assert.match(
      text.split('\n')[0] as string,
      new RegExp(
        `myriad-x runs ${own.length} of ${own.length} rows at 16 bits \\(w16a16, a16\\): their latency, energy and traffic are charged at 16 bits \\(column 'runs as'\\)`,
      ),
    );
    assert.match(text.split('\n')[1] as string, /\bruns as\b/);
    // fp16 runs as asked: no note, no column; the packed devices keep the policy's bits for traffic
    assert.ok(!/runs/.test(formatReport(complexityReport(g, getTarget('myriad-x'), policyPreset('fp16')))));
    // cortex-a76 runs w4a4 on its int8 kernels and moves int8 tensors (session 52); a packed-storage device says only the
    // arithmetic is wider
    const a8 = complexityReport(g, getTarget('cortex-a76'), policyPreset('w4a4'));
    assert.equal(a8.rows.find((x) => x.layer === 'stem')?.runsAs, 'w8a8');
    assert.equal(a8.total.dramBytes, complexityReport(g, getTarget('cortex-a76'), policyPreset('w8a8')).total.dramBytes);
    const a = complexityReport(g, getTarget('cortex-a76?storage=packed'), policyPreset('w4a4'));
    assert.equal(a.rows.find((x) => x.layer === 'stem')?.runsAs, '8-bit compute');
    assert.match(
      formatReport(a, { layers: false }),
      /cortex-a76 runs \d+ of \d+ rows with 8-bit arithmetic: their latency and energy are charged at 8 bits, their traffic at the policy's$/m,
    );
    assert.equal(complexityReport(g, getTarget('cortex-a76'), policyPreset('w8a8')).rows.filter((x) => x.runsAs).length, 0);
  });
  it('the totals line writes every quantity in one style (review 51: 1.208e+4 KiB beside 3392 KiB and 5,563 KiB)', () => {
    const big = zooGraph('zoo:mobilenet-v2');
    for (const [t, p] of [
      ['jetson-nano', 'w8a8'],
      ['jetson-nano', 'w4a4'],
      ['systolic?rows=1e9', 'w8a8'],
    ] as const) {
      const line = formatReport(complexityReport(big, getTarget(t), policyPreset(p)), { layers: false }).split('\n')[1] as string;
      assert.ok(!/\de[+-]\d/.test(line), `${t} ${p}: no exponent in ${line}`);
      // every number of 1,000 or more has its thousands separated, none has a fraction
      for (const n of line.match(/\d[\d,]*(\.\d+)?/g) ?? [])
        if (Number(n.replace(/,/g, '')) >= 1000) assert.match(n, /^\d{1,3}(,\d{3})+$/, `${t} ${p}: ${n} in ${line}`);
    }
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
      const kib = (k: 'activationBytes' | 'dramBytes'): string => formatQuantity(shown.reduce((a, x) => a + x[k], 0) / 1024);
      for (const layers of [true, false]) {
        const line = formatReport(r, { layers }).split('\n').at(-1) as string;
        assert.ok(line.includes(`activations ${kib('activationBytes')} KiB, DRAM ${kib('dramBytes')} KiB`), `${t.name}: ${line}`);
        assert.ok(line.includes(`sums of the ${shown.length} rows ${layers ? 'shown' : 'of the per-layer table'}`), line);
        const inside = formatQuantity(hidden.reduce((a, x) => a + x.activationBytes, 0) / 1024);
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
