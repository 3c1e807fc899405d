/**
 * The session-46 (table23) problems of bench/compare-optuna.ts, pre-registered in bench/data/table23-prereg.md: new
 * pairings of committed tables (3 objectives allowed), drawn by the rule of bench/table23.ts (table22's universe, nested
 * check and slot draw, table22's picks used). The draw gives the six registered problems with their columns and fronts.
 * No search runs here.
 */
import { test } from 'node:test';
import {
  TABLE22_ECNAS_HW_PROBLEMS,
  TABLE23_ECNAS_HW_PROBLEMS,
  TABLE23_HW360_PAIR_PROBLEMS,
  TABLE23_NBG_PROBLEMS,
  TABLE23_TNB_PROBLEMS,
} from './compare-optuna.js';
import { assertRegistered, assertSessionDraw, assertSessionUniverse, type RegisteredProblems } from './prereg-checks.js';
import { TABLE23_RULE } from './table23.js';

/** The six problems in the pre-registered (slot) order, with the family object each is registered in. */
const REGISTERED: RegisteredProblems = [
  ['ecnas-kwh-bitfusion', TABLE23_ECNAS_HW_PROBLEMS],
  ['ecnas-predict-a76', TABLE23_ECNAS_HW_PROBLEMS],
  ['ecnas-predict-a100', TABLE23_ECNAS_HW_PROBLEMS],
  ['nbg-cora-latency-params', TABLE23_NBG_PROBLEMS],
  ['tnb-normal-bismo-bitfusion-energy', TABLE23_TNB_PROBLEMS],
  ['nb201-c100-help-1080ti-32-titanxp-32', TABLE23_HW360_PAIR_PROBLEMS],
];
/** The fronts of every candidate drawn (distinct vectors), per slot, as the pre-registration states them. */
const TRIED = [[21, 19], [27], [14], [16], [18, 26], [66]];

test('the session-46 problems are registered: an unknown name is refused with a list that names all six', async () => {
  await assertRegistered(REGISTERED, 'table23-unknown');
});

test("the universe: table22's unused candidates less table22's five picks (55 EC-NAS, 2 NAS-Bench-Graph, 211 TransNAS, 1052 NB201 x HELP)", () => {
  assertSessionUniverse(TABLE23_RULE, [55, 2, 211, 1052], Object.keys(TABLE22_ECNAS_HW_PROBLEMS));
});

test('the draw gives the six registered problems with the fronts of the pre-registration; two nested candidates redrawn', () => {
  assertSessionDraw(TABLE23_RULE, REGISTERED, TRIED, ['ecnas-a100-eyeriss-energy', 'tnb-room-eyeriss-energy']);
});
