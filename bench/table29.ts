/**
 * Session 52 (table29): the rule that chooses the blind problems, as code (bench/data/table29-prereg.md), committed before
 * it is run.
 *
 * `auto` has never run blind on NB201 with hwnas cost models (table17, table20) or on NAS-Bench-Macro (table10, table16,
 * table20), but none of those 13 problems is unseen for it: all are among the 61 seen problems on which search21 set
 * `auto`'s bar and session 45's lead, search22-search25 chose or screened `auto` and its TPE (see the pre-registration).
 * So the problems are NEW PAIRINGS of those two families' committed tables, from table20's universe for them (every
 * latency column alone and every latency x energy pair of bench/data/nb201-hwnas-cost.csv for one of NB201's three
 * accuracy columns, and of NAS-Bench-Macro's cost columns), less every combination a registered problem uses, drawn by
 * table21's slot draw ({@link drawSlots}) with table22's nested check: a candidate is redrawn when its true front has
 * fewer than 5 distinct vectors, or when every accuracy value on it is an accuracy value on the true front of a
 * registered problem (or an earlier slot's pick) over the same accuracy column of the same table, whatever its
 * objectives: for NB201 every registered problem of that accuracy column (Pi 5 / Pixel, hwnas, HELP and HELP pairs); for
 * NAS-Bench-Macro its seven registered problems.
 *
 * Slots, fixed before the draw: NB201 CIFAR-10, NB201 CIFAR-100, NB201 ImageNet16-120 (hwnas costs, 2 or 3 objectives),
 * then three NAS-Bench-Macro (2 or 3 objectives). One Rng with a new seed. A slot whose pool runs out stays empty.
 *
 * `node dist/bench/table29.js` prints the universe's sizes and the draw.
 */
import { pathToFileURL } from 'node:url';
import { MACRO_PROBLEMS, macroFile, TABLE28_ECNAS_HW_PROBLEMS, TABLE28_HW360_PAIR_PROBLEMS, TABLE28_TNB_PROBLEMS } from './compare-optuna.js';
import { loadMacroTable } from './nas-macro.js';
import { allCandidates, NB201_TASKS, specKey, usedKeys } from './table20.js';
import { type DrawProblem, drawSlots, type FrontSummary, type SlotDraw, tableFrontSummary } from './table21.js';
import { type RegisteredSet, registeredProblems, table22Front, table22TableKey, usedProblemsAfter } from './table22.js';
import { TABLE28_RULE } from './table28.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE29_SEED = 2026120752;

/** The cost file of NB201's hwnas cost columns (session 40, bench/nb201-hwnas-cost.ts). */
export const NB201_HWNAS_COST_FILE = 'nb201-hwnas-cost.csv';

/** The families of this draw: NB201 with hwnas costs, NAS-Bench-Macro. */
export type Table29Family = 'nb201' | 'macro';

/** One candidate problem: its family, name, spec (as the family's registered problems write it) and objectives. */
export interface Table29Candidate extends DrawProblem {
  readonly family: Table29Family;
  readonly spec: Readonly<Record<string, string>>;
  readonly objectives: 2 | 3;
}

/** One slot: a family and, for NB201, the accuracy column. */
export interface Table29Slot {
  readonly family: Table29Family;
  readonly accuracy?: string;
}

/** The six slots in the order drawn: NB201 CIFAR-10, CIFAR-100, ImageNet16-120, then three NAS-Bench-Macro. */
export const TABLE29_SLOTS: readonly Table29Slot[] = [
  { family: 'nb201', accuracy: 'acc_cifar10' },
  { family: 'nb201', accuracy: 'acc_cifar100' },
  { family: 'nb201', accuracy: 'acc_imagenet16' },
  { family: 'macro' },
  { family: 'macro' },
  { family: 'macro' },
];

/** table28's problem objects (session 51), one per family. */
export const TABLE28_REGISTERED: RegisteredSet = [
  ['tnb', TABLE28_TNB_PROBLEMS],
  ['nb201', TABLE28_HW360_PAIR_PROBLEMS],
  ['ecnas', TABLE28_ECNAS_HW_PROBLEMS],
];

/** Every candidate of the two families (used or not), table20's, with the NB201 ones' accuracy and cost files. */
export function table29Candidates(): Table29Candidate[] {
  return allCandidates().flatMap((c): Table29Candidate[] => {
    const objectives = c.objectives as 2 | 3;
    const spec = c.spec as Readonly<Record<string, string>>;
    if (c.family === 'macro') return [{ family: 'macro', name: c.name, spec, objectives }];
    if (c.family !== 'nb201') return [];
    const task = NB201_TASKS.find((t) => t.accuracy === spec.accuracy);
    if (task === undefined) throw new Error(`table29: NB201 candidate '${c.name}' has accuracy '${spec.accuracy}'; expected one of NB201_TASKS`);
    return [{ family: 'nb201', name: c.name, spec: { ...spec, ...(task.file ? { file: task.file } : {}), costFile: NB201_HWNAS_COST_FILE }, objectives }];
  });
}

/** Every problem registered before this session: table22's used set and table22's to table28's picks, NAS-Bench-Macro's. */
export function table29UsedProblems(): DrawProblem[] {
  return [
    ...usedProblemsAfter(registeredProblems(...TABLE28_RULE.registered, TABLE28_REGISTERED)),
    ...Object.entries(MACRO_PROBLEMS).map(([name, spec]): DrawProblem => ({ family: 'macro', name, spec })),
  ];
}

/** The unused candidates: no registered problem (table20's family objects, which hold all of both families') has the same columns. */
export function table29Universe(): Table29Candidate[] {
  const used = usedKeys([]);
  for (const p of table29UsedProblems()) if (p.family === 'nb201' || p.family === 'macro') used.add(specKey(p.family, p.spec));
  return table29Candidates().filter((c) => !used.has(specKey(c.family, c.spec)));
}

/** The true front of a problem of this draw: NAS-Bench-Macro's table, else table22's. */
export function table29Front(p: DrawProblem): FrontSummary {
  if (p.family !== 'macro') return table22Front(p);
  const spec = { note: p.name, latency: String(p.spec.latency), ...(p.spec.energy ? { energy: String(p.spec.energy) } : {}) };
  return tableFrontSummary({ table: loadMacroTable(macroFile(), spec), objectives: `accuracy:max,latency_ms:min${spec.energy ? ',energy_mj:min' : ''}` });
}

/** The table a front is over: NAS-Bench-Macro's one accuracy column, else table22's key. */
export function table29TableKey(p: DrawProblem): string {
  return p.family === 'macro' ? 'macro:acc' : table22TableKey(p);
}

/** Whether a candidate belongs in a slot: its family and, where the slot fixes it, its accuracy column. */
export function inTable29Slot(c: Table29Candidate, slot: Table29Slot): boolean {
  return c.family === slot.family && (slot.accuracy === undefined || c.spec.accuracy === slot.accuracy);
}

/** The draw: {@link drawSlots} over {@link TABLE29_SLOTS}, the universe above, the nested check against every registered problem. */
export function table29Draw(seed = TABLE29_SEED, minFront = 5, front = table29Front): SlotDraw<Table29Slot, Table29Candidate>[] {
  return drawSlots(seed, {
    slots: TABLE29_SLOTS,
    universe: table29Universe(),
    inSlot: inTable29Slot,
    used: table29UsedProblems(),
    front,
    tableKey: table29TableKey,
    minFront,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const all = table29Candidates();
  const uni = table29Universe();
  for (const [f, acc] of [
    ['nb201', 'acc_cifar10'],
    ['nb201', 'acc_cifar100'],
    ['nb201', 'acc_imagenet16'],
    ['macro', undefined],
  ] as const) {
    const keep = (c: Table29Candidate) => c.family === f && (acc === undefined || c.spec.accuracy === acc);
    console.log(`${f}${acc ? ` ${acc}` : ''}: ${all.filter(keep).length} combinations, ${uni.filter(keep).length} unused`);
  }
  for (const d of table29Draw()) console.log(JSON.stringify({ slot: d.slot, pool: d.pool, tried: d.tried, chosen: d.chosen ?? null }));
}
