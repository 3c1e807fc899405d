/**
 * The session-52 (table29) problems of bench/compare-optuna.ts, pre-registered in bench/data/table29-prereg.md: new
 * pairings of NB201 with hwnas costs and of NAS-Bench-Macro, drawn by the rule of bench/table29.ts. The draw gives the six
 * registered problems with their columns and fronts. No search runs here. One draw (~21 s of CPU: the true fronts of
 * the nine candidates drawn, of the 29 registered NB201 problems over the same accuracy columns and of the 7 NAS-Bench-Macro ones).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HW360_PROBLEMS, MACRO_PROBLEMS, TABLE29_HW360_PROBLEMS, TABLE29_MACRO_PROBLEMS } from './compare-optuna.js';
import { assertDrawRegistered, assertRegistered, type RegisteredProblems } from './prereg-checks.js';
import { TABLE29_SLOTS, table29Draw, table29Universe } from './table29.js';

/** The six problems in the pre-registered (slot) order, with the family object each is registered in. */
const REGISTERED: RegisteredProblems = [
  ['nb201-c10-eyeriss-energy', TABLE29_HW360_PROBLEMS],
  ['nb201-c100-a76-bismo-energy', TABLE29_HW360_PROBLEMS],
  ['nb201-in16-a100-bitfusion-energy', TABLE29_HW360_PROBLEMS],
  ['macro-c10-a76-bismo-energy', TABLE29_MACRO_PROBLEMS],
  ['macro-c10-myriadx-bismo-energy', TABLE29_MACRO_PROBLEMS],
  ['macro-c10-bitfusion-eyeriss-energy', TABLE29_MACRO_PROBLEMS],
];

test('the session-52 problems are registered: an unknown name is refused with a list that names all six', async () => {
  await assertRegistered(REGISTERED, 'table29-unknown');
});

test('the universe: 30 / 29 / 31 unused NB201 hwnas combinations (CIFAR-10, CIFAR-100, ImageNet16-120) and 25 NAS-Bench-Macro; no registered one', () => {
  const uni = table29Universe();
  assert.deepEqual(
    TABLE29_SLOTS.slice(0, 3).map((s) => uni.filter((c) => c.family === 'nb201' && c.spec.accuracy === s.accuracy).length),
    [30, 29, 31],
  );
  assert.equal(uni.filter((c) => c.family === 'macro').length, 25);
  const registered = [...Object.keys(HW360_PROBLEMS), ...Object.keys(MACRO_PROBLEMS)];
  for (const c of uni) assert.ok(!registered.includes(c.name), c.name);
});

test('the draw gives the six registered problems (same columns and files) after the fronts of the pre-registration; three candidates redrawn as nested', () => {
  const draw = table29Draw();
  assertDrawRegistered(draw, REGISTERED);
  for (const [i, d] of draw.entries()) {
    const [name, family] = REGISTERED[i] as RegisteredProblems[number];
    const { note: _note, ...spec } = family[name] as { readonly note: string };
    assert.deepEqual(spec, d.chosen?.spec, name);
  }
  assert.deepEqual(
    draw.map((d) => d.tried.map((t) => t.vectors)),
    [[10, 12, 24], [25], [17], [55], [76], [36, 56]],
  );
  assert.deepEqual(
    draw.flatMap((d) => d.tried.flatMap((t) => (t.rejected === undefined ? [] : [`${t.name} in ${t.rejected.reason === 'nested' ? t.rejected.in : 'small'}`]))),
    [
      'nb201-c10-jetson-bitfusion-energy in nb201-c10-edgetpu',
      'nb201-c10-bismo-energy in nb201-c10-bitfusion',
      'macro-c10-jetson in macro-c10-jetson-eyeriss-energy',
    ],
  );
});
