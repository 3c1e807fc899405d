/**
 * Session 48 (table25): the rule that chooses the blind problems, as code (bench/data/table25-prereg.md), committed before
 * it is run.
 *
 * No new table family was found (see the pre-registration), so the problems are again NEW PAIRINGS of committed tables:
 * table22's universe, nested check and slot draw (table22's {@link sessionDraw}), with every problem registered before
 * this session marked used (table22's five, table23's six and table24's seven picks too) and new slots where `auto`'s
 * blind misses are: three TransNAS-Bench-101 micro (2 or 3 objectives), two NB201 x HELP 3-objective, two EC-NAS-Bench
 * 3-objective. One Rng with a new seed.
 *
 * `node dist/bench/table25.js` prints the universe's sizes and the draw (table22's {@link sessionUniverse} and
 * {@link sessionDraw} of {@link TABLE25_RULE}).
 */
import { TABLE24_ECNAS_HW_PROBLEMS, TABLE24_HW360_PAIR_PROBLEMS, TABLE24_NBG_PROBLEMS, TABLE24_TNB_PROBLEMS } from './compare-optuna.js';
import { printSessionDrawIfMain, type RegisteredSet, type SessionRule, type Table22Slot } from './table22.js';
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

/** The rule: this seed and these slots, table22's five, table23's six and table24's seven picks used. */
export const TABLE25_RULE: SessionRule = { seed: TABLE25_SEED, slots: TABLE25_SLOTS, registered: [TABLE22_REGISTERED, TABLE23_REGISTERED, TABLE24_REGISTERED] };

printSessionDrawIfMain(import.meta.url, TABLE25_RULE);
