/**
 * The session-48 (table25) problems of bench/compare-optuna.ts, pre-registered in bench/data/table25-prereg.md: new
 * pairings of committed tables (3 objectives allowed), drawn by the rule of bench/table25.ts (table22's universe, nested
 * check and slot draw, table22's, table23's and table24's picks used). The draw gives the seven registered problems with
 * their columns and fronts. No search runs here.
 */
import { test } from 'node:test';
import {
  TABLE24_ECNAS_HW_PROBLEMS,
  TABLE24_TNB_PROBLEMS,
  TABLE25_ECNAS_HW_PROBLEMS,
  TABLE25_HW360_PAIR_PROBLEMS,
  TABLE25_TNB_PROBLEMS,
} from './compare-optuna.js';
import { assertRegistered, assertSessionDraw, assertSessionUniverse, type RegisteredProblems } from './prereg-checks.js';
import { TABLE25_RULE } from './table25.js';

/** The seven problems in the pre-registered (slot) order, with the family object each is registered in. */
const REGISTERED: RegisteredProblems = [
  ['tnb-jigsaw-a100-eyeriss-energy', TABLE25_TNB_PROBLEMS],
  ['tnb-normal-a76', TABLE25_TNB_PROBLEMS],
  ['tnb-scene-eyeriss-energy', TABLE25_TNB_PROBLEMS],
  ['nb201-in16-help-2080ti-32-titanxp-256', TABLE25_HW360_PAIR_PROBLEMS],
  ['nb201-in16-help-gold-6226-pixel3', TABLE25_HW360_PAIR_PROBLEMS],
  ['ecnas-predict-eyeriss-energy', TABLE25_ECNAS_HW_PROBLEMS],
  ['ecnas-kwh-bitfusion-energy', TABLE25_ECNAS_HW_PROBLEMS],
];
/** The fronts of every candidate drawn (distinct vectors), per slot, as the pre-registration states them. */
const TRIED = [[21], [12, 14, 21], [26], [44], [127], [24, 28], [27, 17, 18, 22, 23, 16, 20, 20, 17, 14, 11, 19]];

test('the session-48 problems are registered: an unknown name is refused with a list that names all seven', async () => {
  await assertRegistered(REGISTERED, 'table25-unknown');
});

test("the universe: table22's unused candidates less table22's, table23's and table24's picks (50 EC-NAS, 0 NAS-Bench-Graph, 208 TransNAS, 1049 NB201 x HELP)", () => {
  assertSessionUniverse(TABLE25_RULE, [50, 0, 208, 1049], [...Object.keys(TABLE24_ECNAS_HW_PROBLEMS), ...Object.keys(TABLE24_TNB_PROBLEMS)]);
});

test('the draw gives the seven registered problems with the fronts of the pre-registration; fourteen nested candidates redrawn', () => {
  assertSessionDraw(TABLE25_RULE, REGISTERED, TRIED, [
    'tnb-segment-eyeriss-energy',
    'tnb-segment-eyeriss-energy',
    'ecnas-edgetpu-eyeriss-energy',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a76-bitfusion-energy',
    'ecnas-edgetpu-eyeriss-energy',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a76-bitfusion-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
  ]);
});
