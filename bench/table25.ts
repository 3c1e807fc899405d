/**
 * Session 48 (table25): the rule that chooses the blind problems, as code (bench/data/table25-prereg.md), committed before
 * it is run.
 *
 * No new table family was found (see the pre-registration), so the problems are again NEW PAIRINGS of committed tables:
 * table22's universe, nested check and slot draw (table22's {@link drawAfter}), with every problem registered before
 * this session marked used (table22's five, table23's six and table24's seven picks too) and new slots where `auto`'s
 * blind misses are: three TransNAS-Bench-101 micro (2 or 3 objectives), two NB201 x HELP 3-objective, two EC-NAS-Bench
 * 3-objective. One Rng with a new seed.
 *
 * `node dist/bench/table25.js` prints the universe's sizes and the draw.
 */
import { pathToFileURL } from 'node:url';
import { TABLE24_ECNAS_HW_PROBLEMS, TABLE24_HW360_PAIR_PROBLEMS, TABLE24_NBG_PROBLEMS, TABLE24_TNB_PROBLEMS } from './compare-optuna.js';
import type { DrawProblem, SlotDraw } from './table21.js';
import {
  drawAfter,
  printDraw,
  type RegisteredSet,
  registeredProblems,
  type Table22Candidate,
  type Table22Slot,
  table22Front,
  universeAfter,
} from './table22.js';
import { TABLE22_REGISTERED } from './table23.js';
import { TABLE23_REGISTERED } from './table24.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE25_SEED = 2026120648;

/** The seven slots in the order drawn (the brief's). */
export const TABLE25_SLOTS: readonly Table22Slot[] = [
  { family: 'tnb' },
  { family: 'tnb' },
  { family: 'tnb' },
  { family: 'nb201', objectives: 3 },
  { family: 'nb201', objectives: 3 },
  { family: 'ecnas', objectives: 3 },
  { family: 'ecnas', objectives: 3 },
];

/** table24's problem objects (session 47). */
export const TABLE24_REGISTERED: RegisteredSet = [
  ['tnb', TABLE24_TNB_PROBLEMS],
  ['nb201', TABLE24_HW360_PAIR_PROBLEMS],
  ['nbg', TABLE24_NBG_PROBLEMS],
  ['ecnas', TABLE24_ECNAS_HW_PROBLEMS],
];

/** The problems registered after table22's used set and before this session: table22's five, table23's six, table24's seven. */
export function table25Registered(): DrawProblem[] {
  return registeredProblems(TABLE22_REGISTERED, TABLE23_REGISTERED, TABLE24_REGISTERED);
}

/** The unused candidates of table22's universe. */
export function table25Universe(): Table22Candidate[] {
  return universeAfter(table25Registered());
}

/** The draw: {@link drawAfter} over this session's slots with table22's, table23's and table24's picks used. */
export function table25Draw(seed = TABLE25_SEED, minFront = 5, front = table22Front): SlotDraw<Table22Slot, Table22Candidate>[] {
  return drawAfter(seed, TABLE25_SLOTS, table25Registered(), minFront, front);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printDraw(table25Universe(), table25Draw());
