/**
 * Session 49 (table26): the rule that chooses the blind problems, as code (bench/data/table26-prereg.md), committed before
 * it is run.
 *
 * No new table family was found (see the pre-registration), so the problems are again NEW PAIRINGS of committed tables:
 * table22's universe, nested check and slot draw (table22's {@link sessionDraw}), with every problem registered before
 * this session marked used (table22's five, table23's six, table24's seven and table25's seven picks too) and slots where
 * `auto`'s blind misses are: three TransNAS-Bench-101 micro (2 or 3 objectives), two NB201 x HELP 3-objective, two
 * EC-NAS-Bench 3-objective. One Rng with a new seed.
 *
 * `node dist/bench/table26.js` prints the universe's sizes and the draw (table22's {@link sessionUniverse} and
 * {@link sessionDraw} of {@link TABLE26_RULE}).
 */
import { TABLE25_ECNAS_HW_PROBLEMS, TABLE25_HW360_PAIR_PROBLEMS, TABLE25_TNB_PROBLEMS } from './compare-optuna.js';
import { printSessionDrawIfMain, type RegisteredSet, type SessionRule, type Table22Slot } from './table22.js';
import { TABLE22_REGISTERED } from './table23.js';
import { TABLE23_REGISTERED } from './table24.js';
import { TABLE24_REGISTERED, TABLE25_SLOTS } from './table25.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE26_SEED = 2026120749;

/** The seven slots in the order drawn: table25's (three TransNAS micro, two NB201 x HELP 3-objective, two EC-NAS 3-objective). */
export const TABLE26_SLOTS: readonly Table22Slot[] = TABLE25_SLOTS;

/** table25's problem objects (session 48). */
export const TABLE25_REGISTERED: RegisteredSet = [
  ['tnb', TABLE25_TNB_PROBLEMS],
  ['nb201', TABLE25_HW360_PAIR_PROBLEMS],
  ['ecnas', TABLE25_ECNAS_HW_PROBLEMS],
];

/** The rule: this seed and these slots, table22's, table23's, table24's and table25's picks used. */
export const TABLE26_RULE: SessionRule = {
  seed: TABLE26_SEED,
  slots: TABLE26_SLOTS,
  registered: [TABLE22_REGISTERED, TABLE23_REGISTERED, TABLE24_REGISTERED, TABLE25_REGISTERED],
};

printSessionDrawIfMain(import.meta.url, TABLE26_RULE);
