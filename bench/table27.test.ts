/**
 * The session-50 (table27) problems of bench/compare-optuna.ts, pre-registered in bench/data/table27-prereg.md: new
 * pairings of committed tables (3 objectives allowed), drawn by the rule of bench/table27.ts (table22's universe, nested
 * check and slot draw, table22's to table26's picks used). The draw gives the seven registered problems with their
 * columns and fronts. No search runs here.
 */
import { test } from 'node:test';
import {
  TABLE26_ECNAS_HW_PROBLEMS,
  TABLE26_ECNAS_PROBLEMS,
  TABLE26_HW360_PAIR_PROBLEMS,
  TABLE26_TNB_PROBLEMS,
  TABLE27_ECNAS_HW_PROBLEMS,
  TABLE27_HW360_PAIR_PROBLEMS,
  TABLE27_TNB_PROBLEMS,
} from './compare-optuna.js';
import { assertRegistered, assertSessionDraw, assertSessionUniverse, type RegisteredProblems } from './prereg-checks.js';
import { TABLE27_RULE } from './table27.js';

/** The seven problems in the pre-registered (slot) order, with the family object each is registered in. */
const REGISTERED: RegisteredProblems = [
  ['tnb-normal-eyeriss-energy', TABLE27_TNB_PROBLEMS],
  ['tnb-object-bismo-eyeriss-energy', TABLE27_TNB_PROBLEMS],
  ['tnb-autoenc-bitfusion', TABLE27_TNB_PROBLEMS],
  ['nb201-in16-help-titan-rtx-32-titanx-32', TABLE27_HW360_PAIR_PROBLEMS],
  ['nb201-c10-help-titanx-1-silver-4114', TABLE27_HW360_PAIR_PROBLEMS],
  ['ecnas-kwh-eyeriss-energy', TABLE27_ECNAS_HW_PROBLEMS],
  ['nb201-in16-help-2080ti-1-2080ti-32', TABLE27_HW360_PAIR_PROBLEMS],
];
/** The fronts of every candidate drawn (distinct vectors), per slot, as the pre-registration states them. */
const TRIED = [
  [23, 15, 22],
  [22],
  [19, 14],
  [39],
  [70],
  [22, 25, 19, 21, 16, 18, 12, 16, 12, 16, 16, 12, 20, 24, 13, 14, 15, 29, 17, 20, 19, 18, 13, 27, 18, 11, 17, 14, 20, 30],
  [33],
];

test('the session-50 problems are registered: an unknown name is refused with a list that names all seven', async () => {
  await assertRegistered(REGISTERED, 'table27-unknown');
});

test("the universe: table22's unused candidates less table22's to table26's picks (46 EC-NAS, 0 NAS-Bench-Graph, 202 TransNAS, 1045 NB201 x HELP)", () => {
  assertSessionUniverse(
    TABLE27_RULE,
    [46, 0, 202, 1045],
    [
      ...Object.keys(TABLE26_ECNAS_HW_PROBLEMS),
      ...Object.keys(TABLE26_ECNAS_PROBLEMS),
      ...Object.keys(TABLE26_TNB_PROBLEMS),
      ...Object.keys(TABLE26_HW360_PAIR_PROBLEMS),
    ],
  );
});

test('the draw gives the seven registered problems with the fronts of the pre-registration; thirty-two nested candidates redrawn', () => {
  assertSessionDraw(TABLE27_RULE, REGISTERED, TRIED, [
    'tnb-jigsaw-a76-bismo-energy',
    'tnb-autoenc-a76',
    'tnb-jigsaw-a100-eyeriss-energy',
    'ecnas-a76-bitfusion-energy',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-kwh-bitfusion',
    'ecnas-kwh-bitfusion',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-edgetpu-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-predict-bitfusion',
    'ecnas-kwh-bitfusion',
    'ecnas-kwh-eyeriss',
    'ecnas-a100-eyeriss-energy',
    'ecnas-predict-a76',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-predict-bitfusion',
    'ecnas-predict-a76',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a76-bitfusion-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
  ]);
});
