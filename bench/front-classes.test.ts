import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { nb201Classes } from '../src/nas/tabular.js';
import { formatNb201, parseNb201 } from '../src/search/spaces/nb201.js';
import { parseCommentedCsv } from './commented-csv.js';
import { nb201OutputCutOff, tnbFile } from './compare-optuna.js';
import { frontClasses } from './front-classes.js';
import { tnbOutputCutOff } from './transnas-micro.js';

test('frontClasses: a mutually non-dominated front, each cell with the number of cells of its computation class', () => {
  const front = frontClasses('nb201-c10-edgetpu');
  assert.ok(front.length >= 2);
  // accuracy max, latency min: no front cell dominates another
  for (const a of front)
    for (const b of front) {
      const [aa, al] = a.values as [number, number];
      const [ba, bl] = b.values as [number, number];
      assert.ok(!(aa >= ba && al <= bl && (aa > ba || al < bl)), `${a.cell} dominates ${b.cell}`);
    }
  const cls = nb201Classes();
  const count = new Map<number, number>();
  for (const k of cls.classOf) count.set(k, (count.get(k) ?? 0) + 1);
  const classOf = new Map(cls.cells.map((c, i) => [formatNb201(c), cls.classOf[i] as number]));
  for (const f of front) {
    const k = classOf.get(f.cell);
    assert.ok(k !== undefined, f.cell);
    assert.equal(f.classSize, count.get(k));
  }
  assert.ok(front.some((f) => f.classSize > 1));
  for (const f of front) assert.ok(f.exclusive >= 0 && f.exclusive < 1, `${f.cell} exclusive ${f.exclusive}`);
  assert.throws(
    () => frontClasses('nb201-unknown'),
    (e: Error) => e instanceof ConfigError && /nb201-unknown/.test(e.message),
  );
});

test('frontClasses: the scored front, over connected cells only (Darcy: cut-off cells score a constant at ~0 latency)', () => {
  const front = frontClasses('nb201-darcy-pixel');
  assert.ok(front.length >= 2);
  for (const f of front) assert.ok(!nb201OutputCutOff(parseNb201(f.cell)), `${f.cell} is cut off`);
});

test('frontClasses: a TransNAS micro front lists each class once, with its size and the hypervolume share only it carries', () => {
  const front = frontClasses('tnb-normal-a100-eyeriss-energy');
  const path = tnbFile();
  const rows = parseCommentedCsv(readFileSync(path, 'utf8'), path).rows;
  const size = new Map<string, number>();
  for (const r of rows) size.set(r.class ?? '', (size.get(r.class ?? '') ?? 0) + 1);
  assert.equal(new Set(front.map((f) => f.cell)).size, front.length);
  for (const f of front) {
    assert.equal(f.classSize, size.get(f.cell), `${f.cell} is a class representative with its cell count`);
    assert.ok(!tnbOutputCutOff(f.cell), `${f.cell} is cut off`);
    assert.ok(f.exclusive >= 0 && f.exclusive < 1);
  }
  // accuracy max, latency and energy min: no front vector dominates another
  for (const a of front)
    for (const b of front) {
      const [aa, al, ae] = a.values as [number, number, number];
      const [ba, bl, be] = b.values as [number, number, number];
      assert.ok(!(aa >= ba && al <= bl && ae <= be && (aa > ba || al < bl || ae < be)), `${a.cell} dominates ${b.cell}`);
    }
  // session 47's diagnosis (BENCHMARKS.md, search26): a 2-cell class carries 2.8% of the true hypervolume alone
  const needle = front.find((f) => f.cell === '3_01_111');
  assert.equal(needle?.classSize, 2);
  assert.ok((needle?.exclusive ?? 0) > 0.025 && (needle?.exclusive ?? 1) < 0.03, `3_01_111 exclusive ${needle?.exclusive}`);
  assert.ok(front.reduce((s, f) => s + f.exclusive, 0) < 1);
  assert.throws(
    () => frontClasses('tnb-unknown'),
    (e: Error) => e instanceof ConfigError && /tnb-unknown/.test(e.message) && /TransNAS micro/.test(e.message),
  );
});
