/**
 * Session 46 (table23): the rule that chose the blind problems, as code (bench/data/table23-prereg.md), committed before
 * it was run.
 *
 * No new table family was found (see the pre-registration), so the problems are again NEW PAIRINGS of committed tables:
 * table22's universe ({@link table22Candidates}), nested check and slot draw ({@link drawSlots}), with every problem
 * registered before this session marked used (table22's five picks too) and new slots: three EC-NAS-Bench 3-objective
 * ones first (the space where `auto` runs nsga2), then NAS-Bench-Graph 3-objective, TransNAS micro (2 or 3 objectives)
 * and NB201 x HELP 3-objective. One Rng with a new seed.
 *
 * `node dist/bench/table23.js` prints the universe's sizes and the draw.
 */
import { pathToFileURL } from 'node:url';
import { TABLE22_ECNAS_HW_PROBLEMS, TABLE22_HW360_PAIR_PROBLEMS, TABLE22_NBG_PROBLEMS, TABLE22_TNB_PROBLEMS } from './compare-optuna.js';
import { specKey } from './table20.js';
import { type DrawProblem, drawSlots, type SlotDraw } from './table21.js';
import {
  inTable22Slot,
  type Table22Candidate,
  type Table22Family,
  type Table22Slot,
  table22Candidates,
  table22Front,
  table22TableKey,
  table22UsedKeys,
  table22UsedProblems,
} from './table22.js';

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

/** table22's five registered problems (session 45), with their families. */
export function table22Registered(): DrawProblem[] {
  const of = (family: Table22Family, problems: Readonly<Record<string, object>>): DrawProblem[] =>
    Object.entries(problems).map(([name, spec]) => ({ family, name, spec: spec as Readonly<Record<string, unknown>> }));
  return [
    ...of('ecnas', TABLE22_ECNAS_HW_PROBLEMS),
    ...of('nbg', TABLE22_NBG_PROBLEMS),
    ...of('tnb', TABLE22_TNB_PROBLEMS),
    ...of('nb201', TABLE22_HW360_PAIR_PROBLEMS),
  ];
}

/** The column keys of every problem registered before this session: table22's used ones and table22's picks. */
export function table23UsedKeys(): Set<string> {
  const used = table22UsedKeys();
  for (const p of table22Registered()) used.add(specKey(p.family as Table22Family, p.spec));
  return used;
}

/** The unused candidates of table22's universe. */
export function table23Universe(): Table22Candidate[] {
  const used = table23UsedKeys();
  return table22Candidates().filter((c) => !used.has(specKey(c.family, c.spec)));
}

/** Every problem registered before this session over these tables (table22's used ones and its picks). */
export function table23UsedProblems(): DrawProblem[] {
  return [...table22UsedProblems(), ...table22Registered()];
}

/** The draw: table21's {@link drawSlots} over this session's slots, universe and used problems, table22's fronts. */
export function table23Draw(seed = TABLE23_SEED, minFront = 5, front = table22Front): SlotDraw<Table22Slot, Table22Candidate>[] {
  return drawSlots(seed, {
    slots: TABLE23_SLOTS,
    universe: table23Universe(),
    inSlot: inTable22Slot,
    used: table23UsedProblems(),
    front,
    tableKey: table22TableKey,
    minFront,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const all = table22Candidates();
  const uni = table23Universe();
  for (const f of ['ecnas', 'nbg', 'tnb', 'nb201'] as const)
    console.log(`${f}: ${all.filter((c) => c.family === f).length} combinations, ${uni.filter((c) => c.family === f).length} unused`);
  for (const d of table23Draw()) console.log(JSON.stringify({ slot: d.slot, pool: d.pool, tried: d.tried, chosen: d.chosen ?? null }));
}
