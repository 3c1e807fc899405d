/**
 * The session-40 (table17) problems of bench/compare-optuna.ts, pre-registered in bench/data/table17-prereg.md: NB201's
 * accuracy columns paired with hwnas cost models of NB201's own network (bench/data/nb201-hwnas-cost.csv,
 * bench/nb201-hwnas-cost.ts). The new table loads and is what the cost models compute, the earlier NB201 files are
 * unchanged, and each problem's true front is the one the pre-registration states. No search runs here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { graphTotals } from '../src/ir/workload.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { tableHv } from '../src/nas/run.js';
import { nb201Classes, nb201RepeatClasses } from '../src/nas/tabular.js';
import { formatNb201, nb201Graph, parseNb201 } from '../src/search/spaces/nb201.js';
import { parseCommentedCsv } from './commented-csv.js';
import { benchCompareOptuna, connectedCells, HW360_PROBLEMS, hw360File, hw360Objectives, loadHw360Table } from './compare-optuna.js';
import { appendHwColumns } from './hw-columns.js';
import { NB201_COST_NETS, NB201_COST_TARGETS, type Nb201CostNet, nb201CellOps, nb201ClassRepresentatives, nb201CostColumns } from './nb201-hwnas-cost.js';

const NEW = ['nb201-c10-edgetpu', 'nb201-c100-eyeriss-energy', 'nb201-in16-a100', 'nb201-c10-bitfusion', 'nb201-c100-bismo'] as const;
const DATA = join(process.cwd(), 'bench', 'data');
const COST = join(DATA, 'nb201-hwnas-cost.csv');
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

test('the session-40 problems are registered: an unknown name is refused with a list that names all five', async () => {
  await assert.rejects(benchCompareOptuna({ problems: ['nb201-c10-unknown'], optuna: false }), (e: Error) => {
    assert.match(e.message, /unknown problem 'nb201-c10-unknown'; expected one of/);
    for (const p of NEW) assert.ok(e.message.includes(p), p);
    return true;
  });
});

test('the earlier NB201 files are unchanged, byte for byte (the costs are in a new file)', () => {
  // sha256 at commit 230c070 (before session 40)
  assert.equal(sha(readFileSync(join(DATA, 'nb201-c10-in16.csv'), 'utf8')), 'e0d7de6c264e74cd345f3db927b4e1d6edfae8969aba1c5552ed6f9bcd8083e1');
  assert.equal(sha(readFileSync(join(DATA, 'nb201-hw360.csv'), 'utf8')), 'f108af9e52d4f383e775b14e1d287b5ee4ed4602ab0a25e7cd569093e4782707');
});

test('the new table: every index and cell of both NB201 files, costs > 0, one figure per computation class, what the cost models compute', () => {
  const cost = parseCommentedCsv(readFileSync(COST, 'utf8'), COST);
  assert.equal(cost.rows.length, 15625);
  for (const f of ['nb201-c10-in16.csv', 'nb201-hw360.csv']) {
    const rows = parseCommentedCsv(readFileSync(join(DATA, f), 'utf8'), f).rows;
    assert.equal(rows.length, 15625, f);
    rows.forEach((r, i) => {
      assert.equal(cost.rows[i]?.nb201_index, r.nb201_index, `${f} row ${i}`);
      assert.equal(cost.rows[i]?.cell, r.cell, `${f} row ${i}`);
    });
  }
  const nets = Object.keys(NB201_COST_NETS) as Nb201CostNet[];
  const cols = nets.flatMap((n) => nb201CostColumns(n).map((c) => c.column));
  const header = readFileSync(COST, 'utf8')
    .split('\n')
    .find((l) => !l.startsWith('#')) as string;
  assert.deepEqual(header.split(','), ['nb201_index', 'cell', ...cols]);
  // one figure per computation class (equal graphs); the cells' order in nb201Classes is enumerateNb201's
  const cc = nb201Classes();
  const classOf = new Map(cc.cells.map((c, i) => [formatNb201(c), cc.classOf[i] as number]));
  for (const col of cols) {
    const byClass = new Map<number, string>();
    for (const r of cost.rows) {
      const v = r[col] as string;
      assert.ok(Number(v) > 0 && Number.isFinite(Number(v)), `${col} ${v}`);
      const k = classOf.get(formatNb201(nb201CellOps(r.cell as string))) as number;
      assert.equal(byClass.get(k) ?? v, v, `${col}: class ${k}`);
      byClass.set(k, v);
    }
    assert.ok(new Set(byClass.values()).size > 250, `${col}: ${new Set(byClass.values()).size} distinct values`);
  }
  // a sample of rows recomputed from the graph of the cell's class representative (exactly) and of the cell itself (up
  // to the last rounded digit: a class's graphs list the same layers in other orders)
  const rep = nb201ClassRepresentatives();
  for (const i of [0, 1, 777, 5000, 9930, 15624]) {
    const r = cost.rows[i] as Record<string, string>;
    for (const net of nets) {
      const n = NB201_COST_NETS[net];
      const o = { inputSize: n.inputSize, classes: n.classes };
      const g = nb201Graph(nb201CellOps(rep.get(r.cell as string) as string), o);
      const own = nb201Graph(nb201CellOps(r.cell as string), o);
      for (const c of NB201_COST_TARGETS) {
        const tg = getTarget(c.target);
        const fig = (x: { latencyMs: number; energyMj: number }): number => (c.figure === 'latency' ? x.latencyMs : x.energyMj);
        const v = fig(tg.networkCost(g, defaultPolicy(tg)));
        assert.equal(r[`${net}_${c.column}`], v.toFixed(5), `row ${i} ${net}_${c.column}`);
        assert.ok(Math.abs(fig(tg.networkCost(own, defaultPolicy(tg))) - v) <= 1e-5, `row ${i} ${net}_${c.column}: the cell's own graph`);
      }
    }
  }
});

test("the networks' MACs: NB201's published 220.11 / 7.78 M at 32x32; the CIFAR-100 and ImageNet16-120 heads and input by hand", () => {
  const macs = (s: string, o: { inputSize: number; classes: number }): number => graphTotals(nb201Graph(parseNb201(s), o)).macs;
  const all3 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';
  const none = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  assert.equal(macs(all3, NB201_COST_NETS.c10), 220119680);
  assert.equal(macs(none, NB201_COST_NETS.c10), 7783040);
  // CIFAR-100: the classifier 64 -> 100 instead of 64 -> 10 (+5,760 MACs)
  assert.equal(macs(all3, NB201_COST_NETS.c100), 220119680 + 64 * 90);
  // 16x16: stem 16*3*9*256 = 110,592; reductions (3*3*16*32*64 + 3*3*32*32*64 + 16*32*64) + (3*3*32*64*16 + 3*3*64*64*16
  // + 32*64*16) = 917,504 each; fc 64*120 = 7,680; a conv3x3 edge 589,824 in every stage (C^2*9*H*W constant)
  const base16 = 110592 + 2 * 917504 + 7680;
  assert.equal(macs(none, NB201_COST_NETS.in16), base16);
  assert.equal(macs(all3, NB201_COST_NETS.in16), base16 + 15 * 6 * 589824);
});

test('the loader pairs each accuracy with the cost file by NB201 index, and refuses a cost row whose cell differs', () => {
  const t = loadHw360Table(hw360File('nb201-c100-eyeriss-energy'), 'nb201-c100-eyeriss-energy');
  const cost = readFileSync(COST, 'utf8').split('\n');
  const header = (cost.find((l) => l.startsWith('nb201_index,')) as string).split(',');
  const row = (cost.find((l) => l.startsWith('9930,')) as string).split(',');
  const acc = parseCommentedCsv(readFileSync(join(DATA, 'nb201-hw360.csv'), 'utf8'), 'hw360').rows.find((r) => r.nb201_index === '9930') as Record<
    string,
    string
  >;
  const arch = formatNb201(nb201CellOps(row[1] as string));
  assert.deepEqual(t.values(arch, t.metrics), [
    Number(acc.acc_cifar100) / 100,
    Number(row[header.indexOf('c100_eyeriss_ms')]),
    Number(row[header.indexOf('c100_eyeriss_mj')]),
  ]);
  const t2 = loadHw360Table(hw360File('nb201-in16-a100'), 'nb201-in16-a100');
  assert.equal(t2.values(arch, ['latency_ms'])[0], Number(row[header.indexOf('in16_a100_fp32_ms')]));
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-t17-'));
  try {
    writeFileSync(join(dir, 'nb201-hw360.csv'), 'nb201_index,cell,acc_cifar100\n0,421211,52.9\n');
    writeFileSync(join(dir, 'nb201-hwnas-cost.csv'), '# x\nnb201_index,cell,c100_bismo_ms\n0,421212,1.5\n');
    assert.throws(
      () => loadHw360Table(join(dir, 'nb201-hw360.csv'), 'nb201-c100-bismo'),
      (e: Error) => e instanceof ConfigError && /NB201 index 0 has cell '421212'; expected '421211'/.test(e.message),
    );
    writeFileSync(join(dir, 'nb201-hwnas-cost.csv'), '# x\nnb201_index,cell,c100_bismo_ms\n1,334131,1.5\n');
    assert.throws(
      () => loadHw360Table(join(dir, 'nb201-hw360.csv'), 'nb201-c100-bismo'),
      (e: Error) => e instanceof ConfigError && /no row for NB201 index 0/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the true fronts are those of the pre-registration (bench/data/table17-prereg.md)', () => {
  // [problem, front vectors, points on the front, repeat classes on the front, vectors reached by <= 3 points]; the
  // connected cells (as every NB201 problem), the whole table's front has the same points
  const expected = [
    ['nb201-c10-edgetpu', 10, 11, 10, 10],
    ['nb201-c100-eyeriss-energy', 23, 23, 23, 23],
    ['nb201-in16-a100', 12, 36, 14, 11],
    ['nb201-c10-bitfusion', 12, 15, 13, 12],
    ['nb201-c100-bismo', 15, 15, 15, 15],
  ] as const;
  const rc = nb201RepeatClasses();
  const classOf = new Map(rc.cells.map((c, i) => [formatNb201(c), rc.classOf[i] as number]));
  for (const [p, vectors, points, classes, few] of expected) {
    assert.ok(p in HW360_PROBLEMS, p);
    const full = loadHw360Table(hw360File(p), p);
    const t = connectedCells(full);
    const obj = parseObjectives(hw360Objectives(p));
    const h = tableHv(t, obj);
    const n = new Map<string, number>();
    for (const a of h.front) n.set(t.values(a, t.metrics).join(','), (n.get(t.values(a, t.metrics).join(',')) ?? 0) + 1);
    assert.equal(n.size, vectors, `${p} vectors`);
    assert.equal(h.front.length, points, `${p} points`);
    assert.equal(new Set(h.front.map((a) => classOf.get(a))).size, classes, `${p} classes`);
    assert.equal([...n.values()].filter((k) => k <= 3).length, few, `${p} vectors on <= 3 points`);
    assert.equal(tableHv(full, obj).front.length, points, `${p} whole table`);
  }
});

test('appendHwColumns with an empty note writes no note line (the table keeps its own header)', () => {
  const text = '# source: s\nnb201_index,cell\n0,000000\n';
  const cols = nb201CostColumns('in16').slice(0, 1);
  const out = appendHwColumns(text, cols, 'cell', (cell) => nb201Graph(nb201CellOps(cell), NB201_COST_NETS.in16), '').split('\n');
  assert.deepEqual(out.slice(0, 2), ['# source: s', 'nb201_index,cell,in16_eyeriss_ms']);
  assert.match(out[2] as string, /^0,000000,\d+\.\d{5}$/);
  assert.equal(out.length, 4);
});
