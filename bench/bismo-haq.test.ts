import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BISMO_SESSION31_CHOICES, bismoCloud } from '../src/hardware/bismo.js';
import { uniformPolicy } from '../src/hardware/precision.js';
import { quantizableLayers } from '../src/ir/workload.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import {
  choicesOf,
  fitBismoHaq,
  type HaqLutRow,
  haqSplitCsvRows,
  loadHaqLut,
  loadHaqPolicy,
  loadHaqSplit,
  makeHaqSplit,
  NAMED_WIDTHS,
  operandClass,
  validateBismoHaq,
} from './bismo-haq.js';

const committed = (f: string): string => readFileSync(new URL(`../../bench/data/${f}`, import.meta.url), 'utf8');

test("data files: HAQ's table covers 53 layers x 64 widths of zoo:mobilenet-v2 in order; bad rows are rejected", () => {
  const lut = loadHaqLut();
  assert.equal(lut.rows.length, 53 * 64);
  assert.ok(lut.sources.some((s) => s.startsWith('haq-lut = ') && /[0-9a-f]{40}/.test(s) && s.includes('sha256')));
  const names = quantizableLayers(zooGraph('zoo:mobilenet-v2')).map((n) => n.name);
  for (const r of lut.rows) assert.equal(r.node, names[r.layer], JSON.stringify(r));
  const pol = loadHaqPolicy();
  assert.equal(pol.rows.length, 53);
  assert.deepEqual(
    pol.rows.map((r) => r.node),
    names,
  );
  const dir = mkdtempSync(join(tmpdir(), 'haq-'));
  const bad = (file: string, from: string, to: string, re: RegExp, load: (p: string) => unknown): void => {
    const p = join(dir, file);
    writeFileSync(p, committed(file).replace(from, to));
    assert.throws(() => load(p), re);
  };
  bad('haq-bismo-cloud-lut.csv', '\n0,stem,1,1,200720\n', '\n0,stem,1,1,-5\n', /cycles '-5' of layer 0 w1a1/, loadHaqLut);
  bad('haq-bismo-cloud-lut.csv', '\n0,stem,1,1,200720\n', '\n0,stem,9,1,200720\n', /wBits '9' of layer 0/, loadHaqLut);
  bad('haq-bismo-cloud-lut.csv', '\n0,stem,1,2,401472\n', '\n0,stem,1,1,401472\n', /layer 0 w1a1 appears twice/, loadHaqLut);
  bad('haq-bismo-cloud-lut.csv', '# source: haq-lut = ', '# source: elsewhere = ', /no '# source: haq-lut = \.\.\.' line/, loadHaqLut);
  bad('haq-bismo-cloud-policy.csv', '\n2,b0_project,5,6\n', '\n2,b0_project,5,-1\n', /layer 2 w5a-1: expected bits 1\.\.8/, loadHaqPolicy);
});

test("the table's unit: compute-bound layers are BISMO 16 x 16 x 256 cycles for the batch of 16, the classifier streams 256 weight bits per cycle", () => {
  const cyc = (node: string, w: number, a: number): number =>
    (loadHaqLut().rows.find((r) => r.node === node && r.wBits === w && r.aBits === a) as HaqLutRow).cycles;
  // b1_expand: 96 outputs x 16 inputs on 112 x 112 x 16 images = 6 x 12544 x 1 tiles per bit-plane pair (at 4+ weight
  // bits; below, its activation stream of 200,704 x a cycles takes over)
  const tiles = Math.ceil(96 / 16) * Math.ceil((112 * 112 * 16) / 16) * Math.ceil(16 / 256);
  for (const b of [4, 6, 8]) assert.ok(Math.abs(cyc('b1_expand', b, b) / (tiles * b * b) - 1) < 0.02, `w${b}a${b}`);
  for (const w of [1, 4, 8]) assert.ok(Math.abs(cyc('classifier', w, 8) / ((1280 * 1000 * w) / 256) - 1) < 0.005, `w${w}`);
});

test("committed figures: the preset agrees with HAQ's table per layer, per width and per operand", () => {
  const v = validateBismoHaq(loadHaqLut().rows, loadHaqPolicy().rows);
  const at = (w: string) => v.perWidth.find((p) => p.widths === w);
  assert.ok((at('w8a8')?.agreement.spearman as number) > 0.95 && (at('all 64')?.agreement.spearman as number) > 0.95, JSON.stringify(v.perWidth));
  assert.ok(v.networkAcrossWidths.n === 64 && v.networkAcrossWidths.spearman > 0.99, JSON.stringify(v.networkAcrossWidths));
  for (const w of ['w8a8', 'w4a4', 'w2a2']) assert.ok(Math.abs((at(w)?.networkRatio as number) - 1) < 0.05, `${w}: ${at(w)?.networkRatio}`);
  const kind = (k: string) => v.byKind.find((x) => x.kind === k);
  // depthwise layers: the packed im2col streams C x H x W x a cycles on the 256-bit activation port, as HAQ charges
  assert.ok(Math.abs((kind('dw')?.w4a4 as number) - 1) < 0.1, JSON.stringify(v.byKind));
  const sp = (name: string) => v.speedups.find((s) => s.name.startsWith(name)) as { published: number; model: number };
  for (const n of ['w8a8 -> w4a8', 'w8a8 -> w8a4', 'w8a8 -> w2a8', "w8a8 -> HAQ's policy"]) assert.ok(Math.abs(sp(n).model / sp(n).published - 1) < 0.05, n);
  // HAQ's own policy, costed with its own table, meets its 0.6x latency budget (checks the table's indexing)
  const haqPolicy = sp("w8a8 -> HAQ's policy");
  assert.ok(1 / haqPolicy.published <= 0.6 && 1 / haqPolicy.published > 0.55, `${1 / haqPolicy.published}`);
  assert.ok(v.classAgreement >= 45, `${v.classAgreement}`);
});

test('the split: committed file = makeHaqSplit(32); shape twins never straddle it; the named widths are held out; bad rows rejected', () => {
  const s = loadHaqSplit();
  const made = makeHaqSplit(32);
  assert.equal(s.seed, 32);
  assert.deepEqual([s.fitLayers, s.heldLayers, s.fitWidths, s.heldWidths], [made.fitLayers, made.heldLayers, made.fitWidths, made.heldWidths]);
  assert.ok(committed('haq-bismo-cloud-split.csv').includes(haqSplitCsvRows(made).join('\n')));
  for (const w of NAMED_WIDTHS) assert.ok(s.heldWidths.includes(w), w);
  assert.equal(s.heldWidths.length, 32);
  const shape = new Map<string, Set<boolean>>();
  for (const line of haqSplitCsvRows(made).filter((l) => l.startsWith('layer,'))) {
    const [, , set, , sh] = line.split(',');
    shape.set(sh as string, (shape.get(sh as string) ?? new Set()).add(set === 'held'));
  }
  for (const [sh, sets] of shape) assert.equal(sets.size, 1, `shape ${sh} in both sets`);
  assert.notDeepEqual(makeHaqSplit(33).heldLayers, s.heldLayers);
  const dir = mkdtempSync(join(tmpdir(), 'haq-split-'));
  const p = join(dir, 'split.csv');
  writeFileSync(p, committed('haq-bismo-cloud-split.csv').replace('\nlayer,1,held,', '\nlayer,1,test,'));
  assert.throws(() => loadHaqSplit(p), /set 'test' of layer 1: expected 'fit' or 'held'/);
  writeFileSync(p, committed('haq-bismo-cloud-split.csv').replace('\nlayer,1,held,', '\nlayer,0,held,'));
  assert.throws(() => loadHaqSplit(p), /each of the 53 layers exactly once/);
});

test('the fit: chosen on the fit set only, it is the preset, and every change it made helps on held-out data', () => {
  const lut = loadHaqLut().rows;
  const split = loadHaqSplit();
  const f = fitBismoHaq(lut, split, bismoCloud(), BISMO_SESSION31_CHOICES);
  assert.deepEqual(f.best, choicesOf(bismoCloud()));
  assert.deepEqual(f.before.choices, { ...BISMO_SESSION31_CHOICES });
  // the held-out layers and widths play no part in the choice: scrambling their cycles leaves it unchanged
  const scrambled = lut.map((r) =>
    split.heldLayers.includes(r.layer) || split.heldWidths.includes(`w${r.wBits}a${r.aBits}`)
      ? { ...r, cycles: r.cycles * (1 + ((r.layer * 7 + r.wBits * 3 + r.aBits) % 5)) }
      : r,
  );
  assert.deepEqual(fitBismoHaq(scrambled, split, bismoCloud(), BISMO_SESSION31_CHOICES).best, f.best);
  const h0 = f.before.held;
  const h1 = f.fitted.held;
  assert.ok(h1.meanLogError < h0.meanLogError / 2 && h1.pooled.within25 > h0.pooled.within25 + 0.3, `${h0.meanLogError} -> ${h1.meanLogError}`);
  const sw = (s: typeof h0) => s.speedups.find((x) => x.name.startsWith('w8a8 -> w4a8')) as { published: number; model: number };
  assert.ok(sw(h0).model > 1.3 * sw(h0).published && Math.abs(sw(h1).model / sw(h1).published - 1) < 0.1);
  for (const a of f.ablation) assert.ok(a.held.meanLogError > h1.meanLogError, a.change);
  assert.equal(f.ablation.length, 3);
});

test('the comparison can fail: a table of 3 x the model cycles scores rank 1 and error 2/3; classes follow the speed-ups', () => {
  const g = zooGraph('zoo:mobilenet-v2');
  const t = bismoCloud();
  const names = quantizableLayers(g).map((n) => n.name);
  const rows: HaqLutRow[] = [];
  for (let w = 1; w <= 8; w++)
    for (let a = 1; a <= 8; a++) {
      const by = new Map(t.networkCost(g, uniformPolicy(w, a)).layers.map((l) => [l.node, l.latencyMs]));
      names.forEach((node, layer) => {
        rows.push({ layer, node, wBits: w, aBits: a, cycles: 3 * (by.get(node) as number) * t.params.clockMHz * 1e3 });
      });
    }
  const v = validateBismoHaq(rows, loadHaqPolicy().rows, t, g);
  const all = v.perWidth.find((p) => p.widths === 'all 64')?.agreement;
  assert.ok(all && Math.abs(all.spearman - 1) < 1e-9 && Math.abs(all.medianAbsErr - 2 / 3) < 1e-9, JSON.stringify(all));
  assert.equal(v.classAgreement, 53);
  assert.ok(Math.abs(v.networkAcrossWidths.spearman - 1) < 1e-9 && Math.abs(v.networkAcrossWidths.maxRatio - 1 / 3) < 1e-9);
  for (const s of v.speedups.slice(0, 6)) assert.ok(Math.abs(s.model / s.published - 1) < 1e-9, s.name);
  assert.equal(operandClass(2, 2), 'compute');
  assert.equal(operandClass(2, 1), 'weight');
  assert.equal(operandClass(1, 2), 'activation');
  assert.equal(operandClass(1.5, 1.5), 'mixed');
  assert.throws(() => validateBismoHaq(rows, loadHaqPolicy().rows, t, zooGraph('zoo:resnet18')), /not HAQ's 53 MobileNetV2 layers/);
});
