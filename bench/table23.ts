/**
 * Session 46 (table23): the rule that chose the blind problems, as code (bench/data/table23-prereg.md), committed before
 * it was run.
 *
 * No new table family was found (see the pre-registration), so the problems are again NEW PAIRINGS of committed tables:
 * table22's universe, nested check and slot draw (table22's {@link sessionDraw}), with every problem registered before
 * this session marked used (table22's five picks too) and new slots: three EC-NAS-Bench 3-objective
 * ones first (the space where `auto` runs nsga2), then NAS-Bench-Graph 3-objective, TransNAS micro (2 or 3 objectives)
 * and NB201 x HELP 3-objective. One Rng with a new seed.
 *
 * `node dist/bench/table23.js` prints the universe's sizes and the draw (table22's {@link sessionUniverse} and
 * {@link sessionDraw} of {@link TABLE23_RULE}).
 */
import { TABLE22_ECNAS_HW_PROBLEMS, TABLE22_HW360_PAIR_PROBLEMS, TABLE22_NBG_PROBLEMS, TABLE22_TNB_PROBLEMS } from './compare-optuna.js';
import { printSessionDrawIfMain, type RegisteredSet, type SessionRule, type Table22Slot } from './table22.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE23_SEED = 2026120646;

/** The six slots in the order drawn (the brief's): three EC-NAS-Bench ones first, then one of each other family. */
export const TABLE23_SLOTS: readonly Table22Slot[] = [
  { family: 'ecnas', objectives: 3 },
  { family: 'ecnas', objectives: 3 },
  { family: 'ecnas', objectives: 3 },
  { family: 'nbg', objectives: 3 },
  { family: 'tnb' },
  { family: 'nb201', objectives: 3 },
];

/** table22's problem objects (session 45). */
export const TABLE22_REGISTERED: RegisteredSet = [
  ['ecnas', TABLE22_ECNAS_HW_PROBLEMS],
  ['nbg', TABLE22_NBG_PROBLEMS],
  ['tnb', TABLE22_TNB_PROBLEMS],
  ['nb201', TABLE22_HW360_PAIR_PROBLEMS],
];

/** The rule: this seed and these slots, table22's five picks used. */
export const TABLE23_RULE: SessionRule = { seed: TABLE23_SEED, slots: TABLE23_SLOTS, registered: [TABLE22_REGISTERED] };

printSessionDrawIfMain(import.meta.url, TABLE23_RULE);
