/**
 * The session-56 (table30) problems of bench/compare-optuna.ts, pre-registered in bench/data/table30-prereg.md: new
 * pairings of NB201 with hwnas costs and of TransNAS-Bench-101 micro, drawn by the rule of bench/table30.ts. The draw
 * gives the registered problems with their columns and fronts; none of them, nor any unused candidate, is in the blind
 * record. No search runs here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TABLE30_HW360_PROBLEMS, TABLE30_TNB_PROBLEMS } from './compare-optuna.js';
import { assertDrawRegistered, assertRegistered, type RegisteredProblems } from './prereg-checks.js';
import { TABLE30_SLOTS, table30Draw, table30Universe } from './table30.js';

/** The problems in the pre-registered (slot) order, with the family object each is registered in. */
const REGISTERED: RegisteredProblems = [
  ['nb201-in16-eyeriss', TABLE30_HW360_PROBLEMS],
  ['tnb-autoenc-jetson', TABLE30_TNB_PROBLEMS],
  ['nb201-in16-eyeriss-bismo-energy', TABLE30_HW360_PROBLEMS],
  ['tnb-segment-edgetpu', TABLE30_TNB_PROBLEMS],
  ['tnb-scene-a100', TABLE30_TNB_PROBLEMS],
];

test('the session-56 problems are registered: an unknown name is refused with a list that names them all', async () => {
  await assertRegistered(REGISTERED, 'table30-unknown');
});

test("no unused candidate but this set's own is a problem of the blind record", () => {
  const csv = readFileSync(join(process.cwd(), 'bench', 'data', 'blind-record.csv'), 'utf8');
  const record = new Set(csv.split('\n').flatMap((l) => (l.startsWith('#') || l === '' ? [] : [l.split(',')[0]])));
  const uni = table30Universe();
  assert.ok(record.has('nb201-c10-eyeriss-energy'));
  // this set's own five rows were appended after its runs; every other candidate must be absent
  const own = new Set(REGISTERED.map(([p]) => p));
  for (const c of uni) assert.ok(own.has(c.name) || !record.has(c.name), c.name);
  assert.deepEqual(
    TABLE30_SLOTS.slice(0, 2).map((s) => uni.filter((c) => c.family === s.family && (s.objectives === undefined || c.objectives === s.objectives)).length),
    [87, 45],
  );
});

test('the draw gives the five registered problems (same columns) after the tries of the pre-registration; the last NB201 slot stays empty', () => {
  const draw = table30Draw();
  assert.equal(draw.at(-1)?.chosen, undefined);
  assert.equal(draw.at(-1)?.tried.length, 87);
  assertDrawRegistered(draw.slice(0, -1), REGISTERED);
  assert.deepEqual(
    draw.map((d) => [d.tried.length, d.tried.at(-1)?.vectors]),
    [
      [30, 19],
      [4, 18],
      [45, 21],
      [18, 17],
      [2, 16],
      [87, 23],
    ],
  );
  assert.ok(draw.every((d) => d.tried.slice(0, -1).every((t) => t.rejected?.reason === 'nested')));
});
