/**
 * The session-51 (table28) problems of bench/compare-optuna.ts, pre-registered in bench/data/table28-prereg.md: new
 * pairings of committed tables (3 objectives allowed), drawn by the rule of bench/table28.ts (table22's universe, nested
 * check and slot draw, table22's to table27's picks used). The draw gives the seven registered problems with their
 * columns and fronts, and no slot needed the fallback. No search runs here. Slow: the draw reads every drawn
 * candidate's front (3.8 minutes at load 17 on 2 cores, most of it the thirty-four EC-NAS fronts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TABLE27_ECNAS_HW_PROBLEMS,
  TABLE27_HW360_PAIR_PROBLEMS,
  TABLE27_TNB_PROBLEMS,
  TABLE28_ECNAS_HW_PROBLEMS,
  TABLE28_HW360_PAIR_PROBLEMS,
  TABLE28_TNB_PROBLEMS,
} from './compare-optuna.js';
import { assertRegistered, assertSessionDraw, assertSessionUniverse, type RegisteredProblems } from './prereg-checks.js';
import type { SlotDraw } from './table21.js';
import type { Table22Candidate, Table22Slot } from './table22.js';
import { TABLE28_FALLBACK_SLOT, TABLE28_RULE, TABLE28_SEED, table28Fallback } from './table28.js';

/** The seven problems in the pre-registered (slot) order, with the family object each is registered in. */
const REGISTERED: RegisteredProblems = [
  ['tnb-normal-a100-bismo-energy', TABLE28_TNB_PROBLEMS],
  ['tnb-room-a100-bismo-energy', TABLE28_TNB_PROBLEMS],
  ['tnb-scene-eyeriss-bitfusion-energy', TABLE28_TNB_PROBLEMS],
  ['nb201-c10-help-1080ti-256-essential-ph-1', TABLE28_HW360_PAIR_PROBLEMS],
  ['nb201-in16-help-1080ti-32-samsung-s7', TABLE28_HW360_PAIR_PROBLEMS],
  ['nb201-c10-help-1080ti-1-titan-rtx-256', TABLE28_HW360_PAIR_PROBLEMS],
  ['ecnas-kwh-a100', TABLE28_ECNAS_HW_PROBLEMS],
];
/** The fronts of every candidate drawn (distinct vectors), per slot, as the pre-registration states them. */
const TRIED = [
  [23, 24],
  [25, 20, 14, 17],
  [29],
  [45],
  [41],
  [70],
  [14, 18, 20, 20, 20, 15, 22, 27, 13, 16, 13, 16, 23, 21, 12, 29, 18, 24, 19, 12, 16, 11, 19, 14, 22, 13, 18, 20, 20, 25, 20, 17, 12, 16],
];

test('the session-51 problems are registered: an unknown name is refused with a list that names all seven', async () => {
  await assertRegistered(REGISTERED, 'table28-unknown');
});

test("the universe: table22's unused candidates less table22's to table27's picks (45 EC-NAS, 0 NAS-Bench-Graph, 199 TransNAS, 1042 NB201 x HELP)", () => {
  assertSessionUniverse(
    TABLE28_RULE,
    [45, 0, 199, 1042],
    [...Object.keys(TABLE27_ECNAS_HW_PROBLEMS), ...Object.keys(TABLE27_TNB_PROBLEMS), ...Object.keys(TABLE27_HW360_PAIR_PROBLEMS)],
  );
});

test('the draw gives the seven registered problems with the fronts of the pre-registration; thirty-seven nested candidates redrawn', () => {
  assertSessionDraw(TABLE28_RULE, REGISTERED, TRIED, [
    'tnb-object-eyeriss-bismo-energy',
    'tnb-scene-eyeriss-energy',
    'tnb-jigsaw-a76-bismo-energy',
    'tnb-autoenc-bitfusion',
    'ecnas-predict-bitfusion',
    'ecnas-kwh-bitfusion',
    'ecnas-predict-a76',
    'ecnas-kwh-eyeriss',
    'ecnas-a100-eyeriss-energy',
    'ecnas-kwh-bitfusion',
    'ecnas-a100-eyeriss-energy',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-kwh-bitfusion',
    'ecnas-predict-bitfusion',
    'ecnas-a100-eyeriss-energy',
    'ecnas-edgetpu-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-kwh-eyeriss',
    'ecnas-a100-eyeriss-energy',
    'ecnas-edgetpu-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a76-bitfusion-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
  ]);
});

test('the fallback: none when every slot chose; one NB201 x HELP 3-objective slot per empty slot, the next seed, the chosen ones used', () => {
  const spec = { metric: 'normal_ssim', latency: 'a100_fp32_ms', energy: 'bismo_mj' };
  const chosen: Table22Candidate = { family: 'tnb', name: 'tnb-normal-a100-bismo-energy', spec, objectives: 3 };
  const full: SlotDraw<Table22Slot, Table22Candidate>[] = [{ slot: { family: 'tnb' }, pool: 1, tried: [], chosen }];
  assert.equal(table28Fallback(full), undefined);
  const empty: SlotDraw<Table22Slot, Table22Candidate> = { slot: { family: 'ecnas', objectives: 3 }, pool: 45, tried: [] };
  const rule = table28Fallback([...full, empty, empty]);
  assert.ok(rule);
  assert.equal(rule.seed, TABLE28_SEED + 1);
  assert.deepEqual(rule.slots, [TABLE28_FALLBACK_SLOT, TABLE28_FALLBACK_SLOT]);
  assert.deepEqual(rule.registered.slice(0, -1), TABLE28_RULE.registered);
  assert.deepEqual(rule.registered.at(-1), [['tnb', { 'tnb-normal-a100-bismo-energy': spec }]]);
});
