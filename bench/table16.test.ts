/**
 * The session-39 (table16) problems of bench/compare-optuna.ts, pre-registered in bench/data/table16-prereg.md: hardware
 * columns of targets never paired with NAS-Bench-Macro and TransNAS-Bench-101 micro (bench/hw-columns.ts). The tables load,
 * the earlier columns are those of the earlier files byte for byte, and each problem's true front is the one the
 * pre-registration states. No search runs here (the problems are unseen until the pre-registered runs).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { tableHv } from '../src/nas/run.js';
import { macroRealArch } from '../src/search/spaces/macro.js';
import { benchCompareOptuna, MACRO_PROBLEMS, macroFile, TNB_PROBLEMS, tnbFile } from './compare-optuna.js';
import { appendHwColumns, HW_COLUMNS_S39 } from './hw-columns.js';
import { loadMacroTable } from './nas-macro.js';
import { loadTnbTable, tnbClasses, tnbConnectedCells } from './transnas-micro.js';

const NEW = ['macro-c10-myriadx', 'tnb-object-a100', 'macro-c10-bitfusion-energy', 'tnb-normal-a100', 'macro-c10-bismo'] as const;

/** The file as it was before the session-39 columns: the appended note line and the appended cells removed. */
function earlier(text: string, added: number): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const l of lines) {
    if (l.startsWith('# note: session 39')) continue;
    if (l.startsWith('#') || l === '') out.push(l);
    else out.push(l.split(',').slice(0, -added).join(','));
  }
  return out.join('\n');
}

test('the session-39 problems are registered: an unknown name is refused with a list that names all five', async () => {
  await assert.rejects(benchCompareOptuna({ problems: ['macro-c10-unknown'], optuna: false }), (e: Error) => {
    assert.match(e.message, /unknown problem 'macro-c10-unknown'; expected one of/);
    for (const p of NEW) assert.ok(e.message.includes(p), p);
    return true;
  });
});

test('the earlier columns are unchanged: the tables without the session-39 columns are the earlier files, byte for byte', () => {
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  // sha256 of bench/data/nas-bench-macro-c10.csv and bench/data/transnas-micro.csv at commit fe9c674 (before session 39)
  assert.equal(sha(earlier(readFileSync(macroFile(), 'utf8'), HW_COLUMNS_S39.length)), 'fcd74ce23fb1e554bbf68c06788616d24da0c67a909694d7785f186166b91535');
  assert.equal(sha(earlier(readFileSync(tnbFile(), 'utf8'), HW_COLUMNS_S39.length)), '3a71b5bb215d5179cc023671da2dedbb84e1557afd5e87fa63ddfb3e3235b7c9');
  for (const f of [macroFile(), tnbFile()]) {
    const header = readFileSync(f, 'utf8')
      .split('\n')
      .find((l) => !l.startsWith('#')) as string;
    assert.deepEqual(
      header.split(',').slice(-HW_COLUMNS_S39.length),
      HW_COLUMNS_S39.map((c) => c.column),
      f,
    );
  }
});

test('the new columns load: costs > 0, one figure per class, many distinct values, the problems use them', () => {
  const mt = readFileSync(macroFile(), 'utf8');
  const rows = mt.split('\n').filter((l) => /^[012]{8},/.test(l));
  const header = (mt.split('\n').find((l) => l.startsWith('arch,')) as string).split(',');
  for (const c of HW_COLUMNS_S39) {
    const i = header.indexOf(c.column);
    const byClass = new Map<string, string>();
    for (const r of rows) {
      const cells = r.split(',');
      const v = cells[i] as string;
      assert.ok(Number(v) > 0 && Number.isFinite(Number(v)), `${c.column} ${v}`);
      assert.equal(byClass.get(cells[1] as string) ?? v, v, `${c.column}: class ${cells[1]}`);
      byClass.set(cells[1] as string, v);
    }
    assert.equal(byClass.size, 3969);
    assert.ok(new Set(byClass.values()).size > 2000, `${c.column}: ${new Set(byClass.values()).size} distinct values`);
  }
  const t = loadMacroTable(macroFile(), MACRO_PROBLEMS['macro-c10-bitfusion-energy']);
  const r = (rows.find((l) => l.startsWith('02012100,')) as string).split(',');
  assert.deepEqual(t.values('02012100', t.metrics), [Number(r[5]) / 100, Number(r[header.indexOf('bitfusion_ms')]), Number(r[header.indexOf('bitfusion_mj')])]);
  const tt = loadTnbTable(tnbFile(), TNB_PROBLEMS['tnb-object-a100']);
  const th = (
    readFileSync(tnbFile(), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('cell,')) as string
  ).split(',');
  const tr = (
    readFileSync(tnbFile(), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('3_13_302,')) as string
  ).split(',');
  assert.equal(tt.values('3_13_302', ['latency_ms'])[0], Number(tr[th.indexOf('a100_fp32_ms')]));
});

test('appendHwColumns: appends to each line, keeps every earlier byte, refuses a column already there or a short row', () => {
  const graph = () => {
    const b = new GraphBuilder('x', [3, 8, 8]);
    b.conv(b.input, { out: 8, kernel: 3, pad: 1 });
    return b.build();
  };
  const text = '# source: s\nname,class,acc\na,k,1\nb,k,2\n';
  const cols = [
    { column: 'a100_ms', target: 'a100', figure: 'latency' },
    { column: 'bf_mj', target: 'bitfusion-edge', figure: 'energy' },
  ] as const;
  const out = appendHwColumns(text, cols, 'class', graph, '# note: n');
  const lines = out.split('\n');
  assert.equal(lines[0], '# source: s');
  assert.equal(lines[1], '# note: n');
  assert.equal(lines[2], 'name,class,acc,a100_ms,bf_mj');
  assert.ok(lines[3]?.startsWith('a,k,1,') && lines[4]?.startsWith('b,k,2,'));
  assert.equal(lines[3]?.slice(6), lines[4]?.slice(6)); // one class, one figure
  assert.throws(
    () => appendHwColumns(out, cols, 'class', graph, '# note: n'),
    (e: Error) => e instanceof ConfigError && /column 'a100_ms' is already there/.test(e.message),
  );
  assert.throws(
    () => appendHwColumns(`${text}c,k\n`, cols, 'class', graph, '# note: n'),
    (e: Error) => e instanceof ConfigError && /row 'c,k' has 2 cells; expected 3/.test(e.message),
  );
  assert.throws(
    () => appendHwColumns(text, cols, 'cls', graph, '# note: n'),
    (e: Error) => e instanceof ConfigError && /no column 'cls'/.test(e.message),
  );
});

test('the true fronts are those of the pre-registration (bench/data/table16-prereg.md)', () => {
  // [problem, front vectors, points on the front, classes on the front, vectors reached by <= 3 points]
  const expected = [
    ['macro-c10-myriadx', 38, 49, 38, 38],
    ['tnb-object-a100', 14, 302, 14, 8],
    ['macro-c10-bitfusion-energy', 49, 73, 49, 46],
    ['tnb-normal-a100', 12, 316, 12, 8],
    ['macro-c10-bismo', 34, 50, 34, 31],
  ] as const;
  const tc = tnbClasses();
  for (const [p, vectors, points, classes, few] of expected) {
    const macro = p.startsWith('macro');
    const spec = macro ? MACRO_PROBLEMS[p as keyof typeof MACRO_PROBLEMS] : TNB_PROBLEMS[p as keyof typeof TNB_PROBLEMS];
    const t = macro ? loadMacroTable(macroFile(), spec) : tnbConnectedCells(loadTnbTable(tnbFile(), spec as (typeof TNB_PROBLEMS)['tnb-object-a100']));
    const h = tableHv(t, parseObjectives('energy' in spec ? 'accuracy:max,latency_ms:min,energy_mj:min' : 'accuracy:max,latency_ms:min'));
    const n = new Map<string, number>();
    for (const a of h.front) n.set(t.values(a, t.metrics).join(','), (n.get(t.values(a, t.metrics).join(',')) ?? 0) + 1);
    assert.equal(n.size, vectors, `${p} vectors`);
    assert.equal(h.front.length, points, `${p} points`);
    assert.equal(new Set(h.front.map((a) => (macro ? macroRealArch(a) : tc.get(a)))).size, classes, `${p} classes`);
    assert.equal([...n.values()].filter((k) => k <= 3).length, few, `${p} vectors on <= 3 points`);
  }
});
