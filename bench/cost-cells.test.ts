import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { policyPreset } from '../src/hardware/precision.js';
import { rooflineDevice } from '../src/hardware/roofline.js';
import { graphWorkloads } from '../src/ir/workload.js';
import { enumerateNb201, nb201Graph } from '../src/search/spaces/nb201.js';
import {
  cellScore,
  deciles,
  FRAMEWORKS,
  fitGrid,
  fitScale,
  gridA,
  inputIndependent,
  isFitPart,
  layerMix,
  loadPi5Cells,
  mixLatencies,
  TASK_NAMES,
  taskGraph,
} from './cost-cells.js';

const COLS = FRAMEWORKS.flatMap((f) => TASK_NAMES.map((t) => `${f}_${t}_ms`));
const header = `# source: test\nrep_index,cell,members,${COLS.join(',')}\n`;
const row = (rep: string, cell = '333333', members = '1', ms = '1.5'): string => `${rep},${cell},${members},${COLS.map(() => ms).join(',')}\n`;
const dir = mkdtempSync(join(tmpdir(), 'cost-cells-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('the data file: 6,466 classes covering the 15,625 cells, 9 positive latency columns, sources with commit and sha256', () => {
  const { sources, rows } = loadPi5Cells();
  assert.equal(rows.length, 6466);
  assert.equal(
    rows.reduce((s, r) => s + r.members, 0),
    15625,
  );
  assert.ok(sources.some((s) => s.includes('a9b243e07fb8f0671ee56587696e7b8ef1ca702d') && /sha256 [0-9a-f]{64}/.test(s)));
  assert.ok(sources.some((s) => s.includes('num_threads=1') && s.includes('taskset')));
  for (const r of rows) for (const c of COLS) assert.ok((r.ms[c.replace(/_ms$/, '')] as number) > 0, `${r.repIndex} ${c}`);
});

test('loader: a bad row is refused with the bad value and what was expected', () => {
  const ok = file('ok.csv', header + row('0') + row('7', '012340'));
  assert.equal(loadPi5Cells(ok).rows.length, 2);
  assert.deepEqual(loadPi5Cells(ok).rows[1]?.cell, ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3', 'none']);
  assert.throws(() => loadPi5Cells(file('a.csv', header + row('x1'))), /rep_index 'x1' must be an integer in 0\.\.15624/);
  assert.throws(() => loadPi5Cells(file('b.csv', header + row('20000'))), /rep_index '20000'/);
  assert.throws(() => loadPi5Cells(file('c.csv', header + row('3') + row('3'))), /rep_index 3 appears twice/);
  assert.throws(() => loadPi5Cells(file('d.csv', header + row('3', '33335'))), /cell '33335' must be six op codes 0-4/);
  assert.throws(() => loadPi5Cells(file('e.csv', header + row('3', '333335'))), /cell '333335'/);
  assert.throws(() => loadPi5Cells(file('f.csv', header + row('3', '333333', '0'))), /members '0' must be a positive integer/);
  assert.throws(() => loadPi5Cells(file('g.csv', header + row('3', '333333', '1', '-2'))), /litert_cifar100_ms '-2' must be a positive latency/);
  assert.throws(() => loadPi5Cells(file('h.csv', header + row('3', '333333', '1', 'NaN'))), /'NaN' must be a positive latency/);
  const short = `# source: t\nrep_index,cell,members,litert_cifar100_ms\n1,333333,1,2\n`;
  assert.throws(() => loadPi5Cells(file('i.csv', short)), /no column 'litert_ninapro_ms'/);
});

test('the split is deterministic: rep_index % 5 == 0 is the fit part, the same on every load', () => {
  const a = loadPi5Cells().rows.filter((r) => isFitPart(r.repIndex));
  const b = loadPi5Cells().rows.filter((r) => isFitPart(r.repIndex));
  assert.deepEqual(
    a.map((r) => r.repIndex),
    b.map((r) => r.repIndex),
  );
  assert.ok(a.every((r) => r.repIndex % 5 === 0));
  assert.ok(a.length > 1000 && a.length < 1600, `${a.length}`);
  assert.equal(isFitPart(10), true);
  assert.equal(isFitPart(11), false);
});

test('G1 is nb201Graph for square inputs; ninapro is 52 x 16; G2 runs every edge', () => {
  for (const c of enumerateNb201().filter((_, i) => i % 331 === 0)) {
    assert.deepEqual(taskGraph(c, 'cifar100'), nb201Graph(c, { classes: 100 }));
    assert.deepEqual(taskGraph(c, 'darcy'), nb201Graph(c, { inputSize: 88, inChannels: 1, classes: 1 }));
  }
  const g = taskGraph(['nor_conv_3x3', 'none', 'none', 'none', 'none', 'none'], 'ninapro', 'hwnas');
  assert.deepEqual((g.nodes[0] as { shape: readonly number[] }).shape, [1, 52, 16]);
  // node 3 has only `none` inputs: G1 drops node 1's conv as dead code, G2 runs it and multiplies by zero
  const conv = (kind: 'hwnas' | 'exported'): number =>
    graphWorkloads(taskGraph(['nor_conv_3x3', 'none', 'none', 'none', 'none', 'none'], 'ninapro', kind)).filter((w) => w.op === 'conv2d').length;
  assert.equal(conv('hwnas'), 7); // stem + 2 x (reduction a, b, down)
  assert.equal(conv('hwnas') + 15, conv('exported'));
  const ex = taskGraph(['none', 'none', 'none', 'none', 'none', 'none'], 'cifar100', 'exported');
  assert.equal(ex.nodes.filter((n) => n.op === 'clip').length, 6 * 15);
});

test('scores: exact agreement, a constant factor, deciles, fits', () => {
  const m = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const s = cellScore(m, m);
  assert.equal(s.spearman, 1);
  assert.equal(s.kendall, 1);
  assert.equal(s.meanAbsLn, 0);
  const d = cellScore(
    m.map((v) => 2 * v),
    m,
  );
  assert.ok(Math.abs(d.meanAbsLn - Math.log(2)) < 1e-12);
  assert.equal(d.within25, 0);
  assert.equal(d.within50, 0);
  assert.equal(d.spearman, 1);
  const r = cellScore([3, 2, 1], [1, 2, 3]);
  assert.equal(r.kendall, -1);
  const dec = deciles([5, 1, 9, 3, 7, 2, 8, 4, 6, 10, 0.5, 11]);
  assert.deepEqual(dec.cheap, [10]);
  assert.deepEqual(dec.top, [11]);
  assert.ok(Math.abs(fitScale([1, 2, 4], [3, 6, 12]) - 3) < 1e-12);
  const best = fitGrid(
    [
      [2, 2],
      [1.1, 2.2],
      [1, 2],
    ],
    [1, 2],
  );
  assert.equal(best.index, 2);
  assert.equal(
    fitGrid(
      [
        [1, 2],
        [1, 2],
      ],
      [1, 2],
    ).index,
    0,
  ); // the first wins ties
  assert.equal(gridA().length, 7 * 7 * 7 * 4);
  assert.throws(() => cellScore([], []), /equal non-empty arrays/);
});

test('input-independent cells: the output reaches the input only through none edges', () => {
  assert.equal(inputIndependent(['nor_conv_3x3', 'none', 'none', 'none', 'none', 'nor_conv_1x1']), true);
  assert.equal(inputIndependent(['none', 'none', 'none', 'none', 'none', 'none']), true);
  assert.equal(inputIndependent(['skip_connect', 'none', 'none', 'none', 'skip_connect', 'none']), false);
  assert.equal(inputIndependent(['none', 'none', 'none', 'avg_pool_3x3', 'none', 'none']), false);
});

test('the layer mix gives networkCost exactly, under the preset and under overrides', () => {
  const cells = enumerateNb201().filter((_, i) => i % 1009 === 0);
  for (const kind of ['hwnas', 'exported'] as const)
    for (const o of [{}, { layerOverheadUs: 2, utilConv: 1, utilElementwise: 0.25, nHalfMacs: 100000 }]) {
      const t = rooflineDevice('cortex-a76', o);
      const graphs = cells.map((c) => taskGraph(c, 'ninapro', kind));
      const mix = mixLatencies(layerMix(graphs, t.fuse), t);
      graphs.forEach((g, i) => {
        const full = t.networkCost(g, policyPreset('fp32')).latencyMs;
        assert.ok(Math.abs((mix[i] as number) / full - 1) < 1e-9, `${kind} ${i}: ${mix[i]} vs ${full}`);
      });
    }
});
