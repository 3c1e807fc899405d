/**
 * The NAS-Bench-Macro space in the registry (the table's figures against the published ones: bench/nas-macro.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { graphTotals } from '../../ir/workload.js';
import { Rng } from '../../util/rng.js';
import { enumerateMacro, MACRO_SPACE, macroGraph, macroRealArch } from './macro.js';
import { archSpaceDescriptions, archSpaceNames, archSpaceTableColumns, getArchSpace, MACRO_TABLE_COLUMNS } from './registry.js';

test('nas-bench-macro is registered (also +bits), with a description and a default table column mapping', () => {
  assert.ok(archSpaceNames().includes(MACRO_SPACE));
  assert.ok(archSpaceNames().includes(`${MACRO_SPACE}+bits`));
  assert.match(archSpaceDescriptions()[MACRO_SPACE] ?? '', /6,561/);
  assert.equal(archSpaceTableColumns(MACRO_SPACE), MACRO_TABLE_COLUMNS);
  assert.equal(archSpaceTableColumns('nb201'), undefined);
  assert.equal(archSpaceTableColumns(`${MACRO_SPACE}+bits`), undefined);
  assert.equal(archSpaceTableColumns('toString'), undefined);
});

test('nas-bench-macro: every architecture string round-trips through parameters; bad strings are ConfigErrors', () => {
  const s = getArchSpace(MACRO_SPACE);
  const all = enumerateMacro();
  assert.equal(all.length, 6561);
  assert.equal(new Set(all).size, 6561);
  for (const a of all) {
    assert.equal(s.format(s.fromParams(s.toParams(s.parse(a)))), a);
    assert.equal(s.isomorphismKey?.(s.parse(a)), macroRealArch(a));
  }
  assert.equal(new Set(all.map(macroRealArch)).size, 3969);
  for (const bad of ['0201210', '020121003', '02012130', 'abcdefgh'])
    assert.throws(
      () => s.parse(bad),
      (e: unknown) => e instanceof ConfigError && e.message.includes(bad),
    );
  assert.throws(() => s.fromParams({ ...s.toParams('00000000'), l3: 'mb9k9' }), ConfigError);
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) assert.match(s.format(s.fromParams(s.space.sample(rng))), /^[012]{8}$/);
});

test('nas-bench-macro graph: members of a class have equal costs; input size, channels and classes are options', () => {
  const t = (a: string) => graphTotals(macroGraph(a));
  assert.equal(macroRealArch('01001000'), '01010000');
  assert.deepEqual(t('01001000'), t('01010000'));
  assert.notDeepEqual(t('00010000'), t('01000000'), "a stage's first layer is not moved");
  assert.ok(t('22222222').macs > t('11111111').macs);
  const g = macroGraph('02012100', { inputSize: 28, inChannels: 1, classes: 5 });
  assert.deepEqual(g.nodes[0]?.op === 'input' ? g.nodes[0].shape : undefined, [1, 28, 28]);
  const fc = g.nodes.find((n) => n.name === 'fc');
  assert.equal(fc?.op === 'dense' ? fc.outFeatures : undefined, 5);
});
