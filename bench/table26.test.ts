/**
 * The session-49 (table26) problems of bench/compare-optuna.ts, pre-registered in bench/data/table26-prereg.md: new
 * pairings of committed tables (3 objectives allowed), drawn by the rule of bench/table26.ts (table22's universe, nested
 * check and slot draw, table22's to table25's picks used). The draw gives the seven registered problems with their
 * columns and fronts. No search runs here.
 */
import { test } from 'node:test';
import {
  TABLE25_ECNAS_HW_PROBLEMS,
  TABLE25_TNB_PROBLEMS,
  TABLE26_ECNAS_HW_PROBLEMS,
  TABLE26_ECNAS_PROBLEMS,
  TABLE26_HW360_PAIR_PROBLEMS,
  TABLE26_TNB_PROBLEMS,
} from './compare-optuna.js';
import { assertRegistered, assertSessionDraw, assertSessionUniverse, type RegisteredProblems } from './prereg-checks.js';
import { TABLE26_RULE } from './table26.js';

/** The seven problems in the pre-registered (slot) order, with the family object each is registered in. */
const REGISTERED: RegisteredProblems = [
  ['tnb-object-eyeriss-bismo-energy', TABLE26_TNB_PROBLEMS],
  ['tnb-scene-a76-bismo-energy', TABLE26_TNB_PROBLEMS],
  ['tnb-jigsaw-a76-bismo-energy', TABLE26_TNB_PROBLEMS],
  ['nb201-c10-help-gold-6240-eyeriss', TABLE26_HW360_PAIR_PROBLEMS],
  ['nb201-in16-help-1080ti-32-2080ti-32', TABLE26_HW360_PAIR_PROBLEMS],
  ['ecnas-kwh-eyeriss', TABLE26_ECNAS_HW_PROBLEMS],
  ['ecnas-kwh-predict', TABLE26_ECNAS_PROBLEMS],
];
/** The fronts of every candidate drawn (distinct vectors), per slot, as the pre-registration states them. */
const TRIED = [[22, 21, 19, 17, 23], [28], [23, 16, 22, 24], [34], [41], [13, 29], [19, 23, 18, 21, 20, 25, 22, 19, 12, 18, 13, 18, 23, 12, 16]];

test('the session-49 problems are registered: an unknown name is refused with a list that names all seven', async () => {
  await assertRegistered(REGISTERED, 'table26-unknown');
});

test("the universe: table22's unused candidates less table22's to table25's picks (48 EC-NAS, 0 NAS-Bench-Graph, 205 TransNAS, 1047 NB201 x HELP)", () => {
  assertSessionUniverse(TABLE26_RULE, [48, 0, 205, 1047], [...Object.keys(TABLE25_ECNAS_HW_PROBLEMS), ...Object.keys(TABLE25_TNB_PROBLEMS)]);
});

test('the draw gives the seven registered problems with the fronts of the pre-registration; twenty-two nested candidates redrawn', () => {
  assertSessionDraw(TABLE26_RULE, REGISTERED, TRIED, [
    'tnb-jigsaw-bismo-eyeriss-energy',
    'tnb-normal-bismo-bitfusion-energy',
    'tnb-jigsaw-a100-eyeriss-energy',
    'tnb-segment-eyeriss-energy',
    'tnb-object-eyeriss-bismo-energy',
    'tnb-segment-eyeriss-energy',
    'tnb-jigsaw-bismo-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-predict-a76',
    'ecnas-a76-bitfusion-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-predict-a76',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-kwh-bitfusion',
    'ecnas-predict-bitfusion',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a76-bitfusion-energy',
    'ecnas-a100-eyeriss-energy',
  ]);
});
