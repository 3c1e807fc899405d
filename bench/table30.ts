/**
 * Session 56 (table30): the rule that chooses the blind problems, as code (bench/data/table30-prereg.md), committed before
 * it is run.
 *
 * Every registered problem has been run blind, so the problems are again NEW PAIRINGS of committed tables, by the two
 * committed rules search55's pre-registration names: table29's (NB201's accuracy columns x the hwnas cost columns of
 * bench/data/nb201-hwnas-cost.csv, its universe less every registered combination and table29's three NB201 picks) and
 * table28's (table22's TransNAS-Bench-101 micro pairings, table22's to table28's picks used). One draw, table21's slot
 * draw ({@link drawSlots}), one Rng with a new seed, table22's nested check against every registered problem over the
 * same accuracy column of the same table (table22's used set, table22's to table29's picks, earlier slots' picks).
 *
 * Slots, fixed before the draw, in this order: NB201 (any of its three accuracy columns, 2 or 3 objectives), TransNAS
 * micro (2 objectives), NB201, TransNAS micro, TransNAS micro, NB201. TransNAS micro slots are 2-objective because
 * Optuna's TPE multivariate took 110-257 s per 300-trial run on its 3-objective problems (table26-28) against 11-38 s on
 * its 2-objective ones: six problems with 3-objective TransNAS slots would not finish, one process at a time, in the
 * session. A slot whose pool runs out stays empty (no fallback).
 *
 * `node dist/bench/table30.js` prints the pools' sizes and the draw.
 */
import { pathToFileURL } from 'node:url';
import { TABLE29_HW360_PROBLEMS } from './compare-optuna.js';
import { specKey } from './table20.js';
import { type DrawProblem, drawSlots, type SlotDraw } from './table21.js';
import { sessionUniverse, table22Front, table22TableKey } from './table22.js';
import { TABLE28_RULE } from './table28.js';
import { TABLE28_REGISTERED, type Table29Candidate, table29Universe, table29UsedProblems } from './table29.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE30_SEED = 2026120756;

/** One candidate: an NB201 pairing with hwnas costs (table29's) or a TransNAS micro pairing (table22's). */
export interface Table30Candidate extends DrawProblem {
  readonly family: 'nb201' | 'tnb';
  readonly objectives: 2 | 3;
}

/** One slot: a family and, where fixed, the number of objectives. */
export interface Table30Slot {
  readonly family: 'nb201' | 'tnb';
  readonly objectives?: 2 | 3;
}

/** The six slots in the order drawn (and run). */
export const TABLE30_SLOTS: readonly Table30Slot[] = [
  { family: 'nb201' },
  { family: 'tnb', objectives: 2 },
  { family: 'nb201' },
  { family: 'tnb', objectives: 2 },
  { family: 'tnb', objectives: 2 },
  { family: 'nb201' },
];

/** table29's NB201 problems (session 52; its NAS-Bench-Macro ones are no table of this draw). */
export function table29Picks(): DrawProblem[] {
  return Object.entries(TABLE29_HW360_PROBLEMS).map(([name, spec]): DrawProblem => ({ family: 'nb201', name, spec }));
}

/** Every problem registered before this session: table29's used set (table22's, table22-28's picks, NAS-Bench-Macro's) and table29's NB201 picks. */
export function table30UsedProblems(): DrawProblem[] {
  return [...table29UsedProblems(), ...table29Picks()];
}

/** The unused candidates: table29's NB201 ones less table29's picks, then table28's TransNAS micro ones less table28's picks. */
export function table30Universe(): Table30Candidate[] {
  const picked = new Set(table29Picks().map((p) => specKey('nb201', p.spec)));
  const nb201 = table29Universe()
    .filter((c: Table29Candidate) => c.family === 'nb201' && !picked.has(specKey('nb201', c.spec)))
    .map((c): Table30Candidate => ({ family: 'nb201', name: c.name, spec: c.spec, objectives: c.objectives }));
  const tnb = sessionUniverse({ ...TABLE28_RULE, registered: [...TABLE28_RULE.registered, TABLE28_REGISTERED] })
    .filter((c) => c.family === 'tnb')
    .map((c): Table30Candidate => ({ family: 'tnb', name: c.name, spec: c.spec, objectives: c.objectives }));
  return [...nb201, ...tnb];
}

/** Whether a candidate belongs in a slot: its family and, where the slot fixes it, its number of objectives. */
export function inTable30Slot(c: Table30Candidate, slot: Table30Slot): boolean {
  return c.family === slot.family && (slot.objectives === undefined || c.objectives === slot.objectives);
}

/** The draw: {@link drawSlots} over {@link TABLE30_SLOTS}, the universe above, the nested check against every registered problem. */
export function table30Draw(seed = TABLE30_SEED, minFront = 5, front = table22Front): SlotDraw<Table30Slot, Table30Candidate>[] {
  return drawSlots(seed, {
    slots: TABLE30_SLOTS,
    universe: table30Universe(),
    inSlot: inTable30Slot,
    used: table30UsedProblems().filter((p) => p.family === 'nb201' || p.family === 'tnb'),
    front,
    tableKey: table22TableKey,
    minFront,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const uni = table30Universe();
  for (const slot of TABLE30_SLOTS.slice(0, 2)) console.log(`${JSON.stringify(slot)}: ${uni.filter((c) => inTable30Slot(c, slot)).length} unused`);
  for (const d of table30Draw()) console.log(JSON.stringify({ slot: d.slot, pool: d.pool, tried: d.tried, chosen: d.chosen ?? null }));
}
