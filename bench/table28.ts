/**
 * Session 51 (table28): the rule that chooses the blind problems, as code (bench/data/table28-prereg.md), committed before
 * it is run.
 *
 * No new table family was found (see the pre-registration), and every committed family outside table22's universe
 * (NB201 with hwnas costs, NAS-Bench-Macro, TransNAS-Bench-101 macro, NB201 with measured Pi 5 / Pixel costs) has had
 * problems run blind before (table13-20), so the universe stays table22's and the problems are again NEW PAIRINGS of
 * committed tables: table22's universe, nested check and slot draw (table22's {@link sessionDraw}), every problem
 * registered before this session marked used (table22's five, table23's six, table24's to table27's seven picks too).
 *
 * Slots, fixed before the draw: three TransNAS-Bench-101 micro (2 or 3 objectives), three NB201 x HELP 3-objective, one
 * EC-NAS-Bench 3-objective, last. NAS-Bench-Graph has no slot (0 unused since table24). EC-NAS's unused pool is nearly
 * all nested in registered fronts (table27 redrew twenty-nine of thirty), so the rule says what happens when a slot's
 * pool has no acceptable candidate (every one nested or with a front of < 5 vectors): table22's draw leaves that slot
 * empty, and {@link table28Fallback} then draws one NB201 x HELP 3-objective problem per empty slot, with the next seed,
 * the main draw's chosen problems counted as used (nested check included). One Rng per draw.
 *
 * `node dist/bench/table28.js` prints the universe's sizes, the draw and, if a slot stayed empty, the fallback draw.
 */
import { pathToFileURL } from 'node:url';
import { TABLE27_ECNAS_HW_PROBLEMS, TABLE27_HW360_PAIR_PROBLEMS, TABLE27_TNB_PROBLEMS } from './compare-optuna.js';
import type { SlotDraw } from './table21.js';
import { printDraw, type RegisteredSet, type SessionRule, sessionDraw, sessionUniverse, type Table22Candidate, type Table22Slot } from './table22.js';
import { TABLE22_REGISTERED } from './table23.js';
import { TABLE23_REGISTERED } from './table24.js';
import { TABLE24_REGISTERED } from './table25.js';
import { TABLE25_REGISTERED } from './table26.js';
import { TABLE26_REGISTERED } from './table27.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE28_SEED = 2026120751;

/** The seven slots in the order drawn: three TransNAS micro, three NB201 x HELP 3-objective, EC-NAS 3-objective last. */
export const TABLE28_SLOTS: readonly Table22Slot[] = [
  { family: 'tnb' },
  { family: 'tnb' },
  { family: 'tnb' },
  { family: 'nb201', objectives: 3 },
  { family: 'nb201', objectives: 3 },
  { family: 'nb201', objectives: 3 },
  { family: 'ecnas', objectives: 3 },
];

/** The slot that replaces each slot the main draw leaves empty ({@link table28Fallback}). */
export const TABLE28_FALLBACK_SLOT: Table22Slot = { family: 'nb201', objectives: 3 };

/** table27's problem objects (session 50), one per family. */
export const TABLE27_REGISTERED: RegisteredSet = [
  ['tnb', TABLE27_TNB_PROBLEMS],
  ['nb201', TABLE27_HW360_PAIR_PROBLEMS],
  ['ecnas', TABLE27_ECNAS_HW_PROBLEMS],
];

/** The rule: this seed and these slots, table22's to table27's picks used. */
export const TABLE28_RULE: SessionRule = {
  seed: TABLE28_SEED,
  slots: TABLE28_SLOTS,
  registered: [TABLE22_REGISTERED, TABLE23_REGISTERED, TABLE24_REGISTERED, TABLE25_REGISTERED, TABLE26_REGISTERED, TABLE27_REGISTERED],
};

/**
 * The fallback rule for a main draw `draw` of {@link TABLE28_RULE}: undefined when every slot chose a problem, else one
 * {@link TABLE28_FALLBACK_SLOT} per empty slot, seed {@link TABLE28_SEED} + 1, the main draw's chosen problems used.
 */
export function table28Fallback(draw: readonly SlotDraw<Table22Slot, Table22Candidate>[]): SessionRule | undefined {
  const empty = draw.filter((d) => d.chosen === undefined).length;
  if (empty === 0) return undefined;
  const chosen: RegisteredSet = draw.flatMap((d) => (d.chosen === undefined ? [] : [[d.chosen.family, { [d.chosen.name]: d.chosen.spec }] as const]));
  return {
    seed: TABLE28_SEED + 1,
    slots: Array.from({ length: empty }, () => TABLE28_FALLBACK_SLOT),
    registered: [...TABLE28_RULE.registered, chosen],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const draw = sessionDraw(TABLE28_RULE);
  printDraw(sessionUniverse(TABLE28_RULE), draw);
  const fallback = table28Fallback(draw);
  if (fallback === undefined) console.log('fallback: none (every slot chose a problem)');
  else {
    console.log(`fallback: ${fallback.slots.length} slot(s), seed ${fallback.seed}`);
    for (const d of sessionDraw(fallback)) console.log(JSON.stringify({ slot: d.slot, pool: d.pool, tried: d.tried, chosen: d.chosen ?? null }));
  }
}
