/**
 * Session 50 (table27): the rule that chooses the blind problems, as code (bench/data/table27-prereg.md), committed before
 * it is run.
 *
 * No new table family was found (see the pre-registration), so the problems are again NEW PAIRINGS of committed tables:
 * table22's universe, nested check and slot draw (table22's {@link sessionDraw}), with every problem registered before
 * this session marked used (table22's five, table23's six, table24's to table26's seven picks too) and slots where
 * `auto`'s blind misses are: three TransNAS-Bench-101 micro (2 or 3 objectives), two NB201 x HELP 3-objective, one
 * EC-NAS-Bench 3-objective, and a seventh that would be NAS-Bench-Graph 3-objective if its unused pool were not empty;
 * it is (0 unused since table24, asserted by bench/table26.test.ts; table26 registered no NAS-Bench-Graph problem), so
 * the seventh slot is a third NB201 x HELP 3-objective. One Rng with a new seed.
 *
 * `node dist/bench/table27.js` prints the universe's sizes and the draw (table22's {@link sessionUniverse} and
 * {@link sessionDraw} of {@link TABLE27_RULE}).
 */
import { TABLE26_ECNAS_HW_PROBLEMS, TABLE26_ECNAS_PROBLEMS, TABLE26_HW360_PAIR_PROBLEMS, TABLE26_TNB_PROBLEMS } from './compare-optuna.js';
import { printSessionDrawIfMain, type RegisteredSet, type SessionRule, type Table22Slot } from './table22.js';
import { TABLE22_REGISTERED } from './table23.js';
import { TABLE23_REGISTERED } from './table24.js';
import { TABLE24_REGISTERED } from './table25.js';
import { TABLE25_REGISTERED } from './table26.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE27_SEED = 2026120750;

/**
 * The seven slots in the order drawn (the brief's): three TransNAS micro, two NB201 x HELP 3-objective, one EC-NAS
 * 3-objective, then NB201 x HELP 3-objective in NAS-Bench-Graph's place (its unused pool is empty).
 */
export const TABLE27_SLOTS: readonly Table22Slot[] = [
  { family: 'tnb' },
  { family: 'tnb' },
  { family: 'tnb' },
  { family: 'nb201', objectives: 3 },
  { family: 'nb201', objectives: 3 },
  { family: 'ecnas', objectives: 3 },
  { family: 'nb201', objectives: 3 },
];

/** table26's problem objects (session 49): its EC-NAS picks in two objects (hwnas costs, two measured columns). */
export const TABLE26_REGISTERED: RegisteredSet = [
  ['tnb', TABLE26_TNB_PROBLEMS],
  ['nb201', TABLE26_HW360_PAIR_PROBLEMS],
  ['ecnas', TABLE26_ECNAS_HW_PROBLEMS],
  ['ecnas', TABLE26_ECNAS_PROBLEMS],
];

/** The rule: this seed and these slots, table22's to table26's picks used. */
export const TABLE27_RULE: SessionRule = {
  seed: TABLE27_SEED,
  slots: TABLE27_SLOTS,
  registered: [TABLE22_REGISTERED, TABLE23_REGISTERED, TABLE24_REGISTERED, TABLE25_REGISTERED, TABLE26_REGISTERED],
};

printSessionDrawIfMain(import.meta.url, TABLE27_RULE);
