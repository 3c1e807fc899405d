/**
 * Session 47 (table24): the rule that chooses the blind problems, as code (bench/data/table24-prereg.md), committed before
 * it is run.
 *
 * No new table family was found (see the pre-registration), so the problems are again NEW PAIRINGS of committed tables:
 * table22's universe, nested check and slot draw (table22's {@link sessionDraw}), with every problem registered before
 * this session marked used (table22's five picks and table23's six too) and new slots: two TransNAS-Bench-101 micro
 * (2 or 3 objectives), two NB201 x HELP 3-objective, one NAS-Bench-Graph 3-objective, two EC-NAS-Bench 3-objective. One
 * Rng with a new seed.
 *
 * `node dist/bench/table24.js` prints the universe's sizes and the draw (table22's {@link sessionUniverse} and
 * {@link sessionDraw} of {@link TABLE24_RULE}).
 */
import { TABLE23_ECNAS_HW_PROBLEMS, TABLE23_HW360_PAIR_PROBLEMS, TABLE23_NBG_PROBLEMS, TABLE23_TNB_PROBLEMS } from './compare-optuna.js';
import { printSessionDrawIfMain, type RegisteredSet, type SessionRule, type Table22Slot } from './table22.js';
import { TABLE22_REGISTERED } from './table23.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE24_SEED = 2026120647;

/** The seven slots in the order drawn (the brief's). */
export const TABLE24_SLOTS: readonly Table22Slot[] = [
  { family: 'tnb' },
  { family: 'tnb' },
  { family: 'nb201', objectives: 3 },
  { family: 'nb201', objectives: 3 },
  { family: 'nbg', objectives: 3 },
  { family: 'ecnas', objectives: 3 },
  { family: 'ecnas', objectives: 3 },
];

/** table23's problem objects (session 46). */
export const TABLE23_REGISTERED: RegisteredSet = [
  ['ecnas', TABLE23_ECNAS_HW_PROBLEMS],
  ['nbg', TABLE23_NBG_PROBLEMS],
  ['tnb', TABLE23_TNB_PROBLEMS],
  ['nb201', TABLE23_HW360_PAIR_PROBLEMS],
];

/** The rule: this seed and these slots, table22's five and table23's six picks used. */
export const TABLE24_RULE: SessionRule = { seed: TABLE24_SEED, slots: TABLE24_SLOTS, registered: [TABLE22_REGISTERED, TABLE23_REGISTERED] };

printSessionDrawIfMain(import.meta.url, TABLE24_RULE);
