/**
 * The session-47 (table24) problems of bench/compare-optuna.ts, pre-registered in bench/data/table24-prereg.md: new
 * pairings of committed tables (3 objectives allowed), drawn by the rule of bench/table24.ts (table22's universe, nested
 * check and slot draw, table22's and table23's picks used). The draw gives the seven registered problems with their
 * columns and fronts. No search runs here.
 */
import { test } from 'node:test';
import {
  TABLE23_ECNAS_HW_PROBLEMS,
  TABLE23_TNB_PROBLEMS,
  TABLE24_ECNAS_HW_PROBLEMS,
  TABLE24_HW360_PAIR_PROBLEMS,
  TABLE24_NBG_PROBLEMS,
  TABLE24_TNB_PROBLEMS,
} from './compare-optuna.js';
import { assertRegistered, assertSessionDraw, assertSessionUniverse, type RegisteredProblems } from './prereg-checks.js';
import { TABLE24_RULE } from './table24.js';

/** The seven problems in the pre-registered (slot) order, with the family object each is registered in. */
const REGISTERED: RegisteredProblems = [
  ['tnb-jigsaw-bismo-eyeriss-energy', TABLE24_TNB_PROBLEMS],
  ['tnb-normal-a100-eyeriss-energy', TABLE24_TNB_PROBLEMS],
  ['nb201-c100-help-titanx-1-titanx-32', TABLE24_HW360_PAIR_PROBLEMS],
  ['nb201-c10-help-titan-rtx-1-titan-rtx-256', TABLE24_HW360_PAIR_PROBLEMS],
  ['nbg-computers-latency-params', TABLE24_NBG_PROBLEMS],
  ['ecnas-edgetpu-eyeriss-energy', TABLE24_ECNAS_HW_PROBLEMS],
  ['ecnas-kwh-bismo', TABLE24_ECNAS_HW_PROBLEMS],
];
/** The fronts of every candidate drawn (distinct vectors), per slot, as the pre-registration states them. */
const TRIED = [[22], [26], [45], [73], [27], [14, 25], [24, 23, 20, 22, 23]];

test('the session-47 problems are registered: an unknown name is refused with a list that names all seven', async () => {
  await assertRegistered(REGISTERED, 'table24-unknown');
});

test("the universe: table22's unused candidates less table22's and table23's picks (52 EC-NAS, 1 NAS-Bench-Graph, 210 TransNAS, 1051 NB201 x HELP)", () => {
  assertSessionUniverse(TABLE24_RULE, [52, 1, 210, 1051], [...Object.keys(TABLE23_ECNAS_HW_PROBLEMS), ...Object.keys(TABLE23_TNB_PROBLEMS)]);
});

test('the draw gives the seven registered problems with the fronts of the pre-registration; five nested candidates redrawn', () => {
  assertSessionDraw(TABLE24_RULE, REGISTERED, TRIED, [
    'ecnas-a100-eyeriss-energy',
    'ecnas-edgetpu-eyeriss-energy',
    'ecnas-a76-bitfusion-energy',
    'ecnas-a100-eyeriss-energy',
    'ecnas-a100-eyeriss-energy',
  ]);
});
