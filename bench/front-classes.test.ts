import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { nb201Classes } from '../src/nas/tabular.js';
import { formatNb201, parseNb201 } from '../src/search/spaces/nb201.js';
import { nb201OutputCutOff } from './compare-optuna.js';
import { frontClasses } from './front-classes.js';

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
