import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { inferShapes } from '../src/ir/shapes.js';
import { graphTotals } from '../src/ir/workload.js';
import { computationKey } from '../src/nas/tabular.js';
import { benchCompareOptuna, TNB_PROBLEMS, tnbFile } from './compare-optuna.js';
import { enumerateTnbCells, loadTnbTable, TNB_OPS, tnbClasses, tnbConnectedCells, tnbGraph, tnbMicroSpace, tnbOutputCutOff } from './transnas-micro.js';

const TEXT = readFileSync(tnbFile(), 'utf8');
const HEADER = TEXT.split('\n').filter((l) => l.startsWith('#'));
const COLS = TEXT.split('\n').find((l) => l.startsWith('cell,')) as string;
const ROWS = TEXT.split('\n').filter((l) => /^\d_\d\d_\d\d\d,/.test(l));
const OBJECT = TNB_PROBLEMS['tnb-object-edgetpu'];
const ROOM = TNB_PROBLEMS['tnb-room-eyeriss-energy'];

test("the encoder graph is the benchmark's network: parameters and FLOPs of NASLib's published class_scene models", () => {
  // NASLib naslib/data/zc_transbench101_micro.json (commit e5a821c2), class_scene: FLOPs and parameters (M) of the whole
  // model, i.e. this encoder plus the task's decoder (global average pooling and a 512 -> 63 linear layer).
  const published: Record<string, [number, number]> = {
    '1_00_210': [263.299072, 0.910687],
    '1_00_223': [1946.13248, 9.440607],
    '0_11_233': [3288.30976, 16.256351],
    '1_10_312': [1600.561152, 7.381087],
    '1_10_123': [1852.90752, 9.103199],
    '3_10_022': [1744.805888, 8.064351],
  };
  const residuals = new Set<number>();
  for (const [cell, [flops, params]] of Object.entries(published)) {
    const g = tnbGraph(cell);
    const t = graphTotals(g);
    assert.equal(t.params + 512 * 63 + 63, Math.round(params * 1e6), cell);
    // their counter adds two operations per batch-norm output and one per ReLU output to the MACs
    const shapes = inferShapes(g);
    let extra = 0;
    for (const n of g.nodes) {
      const e = (shapes.get(n.name) as number[]).reduce((a, b) => a * b, 1);
      if (n.op === 'batchnorm') extra += 2 * e;
      if (n.op === 'relu') extra += e;
    }
    residuals.add(Math.round(flops * 1e6) - t.macs - extra);
  }
  // the same decoder constant for every cell
  assert.equal(residuals.size, 1, [...residuals].join(', '));
  const out = inferShapes(tnbGraph('3_33_333')).get(tnbGraph('3_33_333').outputs[0] as string);
  assert.deepEqual(out, [512, 8, 8]);
});

test('classes of equal computation: swapped middle nodes, dead edges and cut-off cells join, 1,666 classes', () => {
  const cl = tnbClasses();
  assert.equal(cl.size, 4096);
  assert.equal(new Set(cl.values()).size, 1666);
  // nodes 1 and 2 swapped (no edge between them)
  assert.equal(cl.get('3_20_312'), cl.get('2_30_321'));
  // node 1 feeds nothing: its input edge is dead
  assert.equal(cl.get('3_00_302'), cl.get('0_00_302'));
  // a skip out of a zero node adds nothing
  assert.equal(cl.get('0_31_210'), cl.get('0_30_210'));
  // but a conv of a zero node is a constant (its BN), not nothing, and a stride-2 skip from node 0 is a FactorizedReduce
  assert.notEqual(cl.get('0_32_201'), cl.get('0_30_201'));
  assert.notEqual(cl.get('0_00_100'), cl.get('0_00_200'));
  const cut = enumerateTnbCells().filter(tnbOutputCutOff);
  assert.equal(cut.length, 87);
  assert.equal(new Set(cut.map((c) => cl.get(c))).size, 1);
  // the full-size graphs of a class are equal computations too (the key is taken on a small skeleton)
  for (const [a, b] of [
    ['3_20_312', '2_30_321'],
    ['3_00_302', '0_00_302'],
  ] as const)
    assert.equal(computationKey(tnbGraph(a)), computationKey(tnbGraph(b)));
});

test('the CSV: every cell once, its class and cut-off flag as computed here, one cost per class, sources in the header', () => {
  assert.equal(ROWS.length, 4096);
  assert.ok(HEADER.some((l) => /NASLib commit 94190649.*sha256 [0-9a-f]{64}/.test(l)));
  const cols = COLS.split(',');
  const cl = tnbClasses();
  const costOf = new Map<string, string>();
  for (const line of ROWS) {
    const r = Object.fromEntries(line.split(',').map((v, i) => [cols[i], v])) as Record<string, string>;
    assert.equal(r.class, cl.get(r.cell as string), r.cell);
    assert.equal(r.cutoff, tnbOutputCutOff(r.cell as string) ? '1' : '0', r.cell);
    const cost = [r.macs, r.a76_fp32_ms, r.edgetpu_int8_ms, r.eyeriss_ms, r.eyeriss_mj].join(',');
    const prev = costOf.get(r.class as string);
    if (prev === undefined) costOf.set(r.class as string, cost);
    else assert.equal(cost, prev, r.cell);
  }
});

test("the loader: each cell gets its class's mean metric, percentages as fractions, a score as it is, energy for 3 objectives", () => {
  const t = loadTnbTable(tnbFile(), OBJECT);
  assert.equal(t.size, 4096);
  const cols = COLS.split(',');
  const members = ROWS.map((l) => l.split(',')).filter((v) => v[cols.indexOf('class')] === '2_30_321' || v[0] === '2_30_321');
  assert.ok(members.length >= 2);
  const mean = members.reduce((s, v) => s + Number(v[cols.indexOf('object_top1')]), 0) / members.length / 100;
  for (const v of members) assert.ok(Math.abs((t.values(v[0] as string, ['accuracy'])[0] as number) - mean) < 1e-12);
  const room = loadTnbTable(tnbFile(), ROOM);
  assert.deepEqual(room.metrics, ['accuracy', 'latency_ms', 'energy_mj']);
  assert.ok((room.values('3_33_333', ['accuracy'])[0] as number) < 0);
  // the frame's rows: the cells whose output is not cut off
  assert.equal(tnbConnectedCells(t).size, 4096 - 87);
});

test('the loader refuses bad rows, naming the value and what was expected', () => {
  const lines = TEXT.split('\n');
  const at = lines.findIndex((l) => l.startsWith('3_33_333,'));
  const edit = (f: (cells: string[]) => string[] | null): string =>
    lines
      .flatMap((l, i) => {
        if (i !== at) return [l];
        const r = f(l.split(','));
        return r ? [r.join(',')] : [];
      })
      .join('\n');
  const load =
    (text: string, spec: typeof OBJECT | typeof ROOM = OBJECT) =>
    () =>
      loadTnbTable('t.csv', spec, text);
  assert.throws(load(edit((c) => ['3_33_334', ...c.slice(1)])), /cell '3_33_334': expected d_dd_ddd with digits 0-3/);
  assert.throws(load(edit((c) => ['3_33_332', ...c.slice(1)])), /cell 3_33_332 appears twice/);
  const obj = COLS.split(',').indexOf('object_top1');
  assert.throws(load(edit((c) => c.map((v, i) => (i === obj ? '140' : v)))), /object_top1 '140' of cell 3_33_333: expected a percentage in \[0, 100\]/);
  const en = COLS.split(',').indexOf('eyeriss_mj');
  assert.throws(
    load(
      edit((c) => c.map((v, i) => (i === en ? '-1' : v))),
      ROOM,
    ),
    /eyeriss_mj '-1' of cell 3_33_333: expected a finite number >= 0/,
  );
  assert.throws(load(edit(() => null)), /4095 cells; expected all 4096/);
  // a member of a class with another cost than its class
  const t2 = lines.findIndex((l) => l.startsWith('2_30_321,'));
  const lat = COLS.split(',').indexOf('edgetpu_int8_ms');
  const bad = lines
    .map((l, i) =>
      i === t2
        ? l
            .split(',')
            .map((v, k) => (k === lat ? '999' : v))
            .join(',')
        : l,
    )
    .join('\n');
  assert.throws(() => loadTnbTable('t.csv', OBJECT, bad), /costs 999 but other members of class|members of class 2_30_321 cost 999/);
  assert.throws(() => loadTnbTable('t.csv', { ...OBJECT, metric: 'nope' }, TEXT), /no column 'nope'/);
});

test('the space: params round-trip, four choices per edge, a bad cell string is refused naming it', () => {
  const s = tnbMicroSpace();
  for (const a of ['3_13_302', '0_00_000', '3_33_333']) assert.equal(s.fromParams(s.toParams(a)), a);
  assert.deepEqual(s.space.spec('e32'), { kind: 'categorical', choices: [...TNB_OPS] });
  assert.equal(s.toParams('3_13_302').e21, 'nor_conv_3x3');
  assert.throws(() => s.parse('3_13_30'), /'3_13_30': expected the benchmark's form d_dd_ddd/);
  assert.throws(() => s.fromParams({ ...s.toParams('3_13_302'), e10: 'avg_pool_3x3' }), /transnas-micro point/);
});

test('plumbing: the 3-objective problem runs hwnas random and Optuna random (seed 0, 20 queries), shares in (0, 1]', async () => {
  const res = await benchCompareOptuna({ budget: 20, seeds: [0], problems: ['tnb-room-eyeriss-energy'], strategies: ['random'], samplers: ['random'] });
  for (const row of res.rows) assert.ok((row.ratios[0] as number) > 0 && (row.ratios[0] as number) <= 1 + 1e-9, `${row.method}`);
  assert.ok(res.rows.some((x) => x.method === 'hwnas random'));
});

test("the session-36 problems: scene and segmentation as fractions, normal SSIM as it is, each cell its class's mean, their own cost columns", () => {
  const cols = COLS.split(',');
  const at = (c: string): number => cols.indexOf(c);
  const members = ROWS.map((l) => l.split(',')).filter((v) => v[at('class')] === '2_30_321' || v[0] === '2_30_321');
  assert.ok(members.length >= 2);
  const mean = (c: string): number => members.reduce((s, v) => s + Number(v[at(c)]), 0) / members.length;
  const cases = [
    ['tnb-scene-eyeriss', 'scene_top1', 100, ['eyeriss_ms']],
    ['tnb-normal-edgetpu', 'normal_ssim', 1, ['edgetpu_int8_ms']],
    ['tnb-segment-eyeriss-energy', 'segment_acc', 100, ['eyeriss_ms', 'eyeriss_mj']],
  ] as const;
  for (const [name, column, scale, costs] of cases) {
    const spec = TNB_PROBLEMS[name];
    assert.equal(spec.metric, column);
    const t = loadTnbTable(tnbFile(), spec);
    assert.deepEqual(t.metrics, costs.length === 2 ? ['accuracy', 'latency_ms', 'energy_mj'] : ['accuracy', 'latency_ms']);
    for (const v of members) {
      const got = t.values(v[0] as string, t.metrics);
      assert.ok(Math.abs((got[0] as number) - mean(column) / scale) < 1e-12, `${name} ${v[0]}`);
      assert.deepEqual(
        got.slice(1),
        costs.map((c) => Number(v[at(c)])),
        `${name} ${v[0]}`,
      );
    }
  }
  // the three columns are different tasks: no two problems give one cell the same metric
  const cell = members[0]?.[0] as string;
  const m = cases.map(([name]) => loadTnbTable(tnbFile(), TNB_PROBLEMS[name]).values(cell, ['accuracy'])[0]);
  assert.equal(new Set(m).size, 3);
});
