/**
 * Session 45 (table22): the rule that chose the blind problems, as code (bench/data/table22-prereg.md), committed before
 * it was run.
 *
 * No new table family was found (see the pre-registration), so the problems are NEW PAIRINGS of committed tables, now
 * allowed 3 objectives (accuracy + 2 cost columns), drawn by bench/table21.ts's slot draw ({@link drawSlots}) with its
 * nested-front check, over this universe:
 * - EC-NAS-Bench 5V, 3 objectives: table20's (hwnas latency x hwnas energy, 24), one measured column of the benchmark
 *   (energy_kwh, params_m, predict_s) with one hwnas latency or energy column (3 x 11 = 33), two measured columns (3);
 * - NAS-Bench-Graph, 3 objectives: a dataset's accuracy, latency and parameter count (table20's, 9);
 * - TransNAS-Bench-101 micro, 2 or 3 objectives: table20's (7 tasks x 32 cost choices, 224);
 * - NB201 x HELP, 3 objectives: one of NB201's three accuracy columns with two of HELP's 27 latency columns (3 x 351).
 * A combination is unused when no problem of bench/compare-optuna.ts has its columns (every problem registered before
 * this session: table20's family objects, EC-NAS-Bench's measured-cost ones, table21's).
 *
 * The nested check is table21's, generalised to any number of objectives over the same table: a candidate is rejected
 * when every accuracy value on its true front is an accuracy value on the true front of a used problem or of an earlier
 * slot's chosen one over the same accuracy column of the same table (EC-NAS-Bench's val_acc; one NAS-Bench-Graph
 * dataset; one TransNAS task; one NB201 accuracy column), whatever their objectives: its front architectures (up to ties
 * of accuracy) are then a subset of the other's. Fronts of fewer than 5 distinct vectors are redrawn; a slot whose pool
 * runs out stays empty.
 *
 * `node dist/bench/table22.js` prints the universe's sizes and the draw.
 */
import { pathToFileURL } from 'node:url';
import {
  connectedCells,
  ECNAS_PROBLEMS,
  HW360_PAIR_OBJECTIVES,
  type Hw360PairSpec,
  loadHw360PairTable,
  TABLE21_HW360_PROBLEMS,
  TNB_PROBLEMS,
  tnbFile,
} from './compare-optuna.js';
import { allCandidates, columnShort, ENERGY_COLUMNS, LATENCY_COLUMNS, NB201_TASKS, specKey, usedKeys } from './table20.js';
import {
  type DrawProblem,
  drawSlots,
  type FrontSummary,
  HELP_COST_FILE,
  helpColumns,
  helpShort,
  type SlotDraw,
  sameTableKey,
  specTable,
  type Table21Family,
  tableFrontSummary,
  usedProblems,
} from './table21.js';
import { loadTnbTable, type TnbProblemSpec, tnbConnectedCells } from './transnas-micro.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE22_SEED = 2026120645;

/** The families of this draw. */
export type Table22Family = 'ecnas' | 'nbg' | 'tnb' | 'nb201';

/** One candidate problem: its family, name, spec (as the family's *_PROBLEMS entries write it) and objectives. */
export interface Table22Candidate extends DrawProblem {
  readonly family: Table22Family;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly objectives: 2 | 3;
}

/** One slot: a family and, where fixed, the number of objectives. */
export interface Table22Slot {
  readonly family: Table22Family;
  readonly objectives?: 2 | 3;
}

/** The five slots in the order drawn (the brief's): three on spaces with failing points, two without. */
export const TABLE22_SLOTS: readonly Table22Slot[] = [
  { family: 'ecnas', objectives: 3 },
  { family: 'ecnas', objectives: 3 },
  { family: 'nbg', objectives: 3 },
  { family: 'tnb' },
  { family: 'nb201', objectives: 3 },
];

/** EC-NAS-Bench's measured cost columns (bench/ec-nas-bench.ts) and their short names in problem names. */
const MEASURED = [
  ['energy_kwh', 'kwh'],
  ['params_m', 'params'],
  ['predict_s', 'predict'],
] as const;

/** Every candidate (used or not), in a fixed order: EC-NAS, NAS-Bench-Graph, TransNAS micro, NB201 x HELP pairs. */
export function table22Candidates(): Table22Candidate[] {
  const t20 = allCandidates();
  const from20 = (family: Table22Family, keep: (objectives: number) => boolean): Table22Candidate[] =>
    t20.filter((c) => c.family === family && keep(c.objectives)).map((c) => ({ family, name: c.name, spec: c.spec, objectives: c.objectives as 2 | 3 }));
  const hw: { latency?: string; energy?: string }[] = [...LATENCY_COLUMNS.map((latency) => ({ latency })), ...ENERGY_COLUMNS.map((energy) => ({ energy }))];
  const measuredHw = MEASURED.flatMap(([m, ms]) =>
    hw.map(
      (c): Table22Candidate => ({
        family: 'ecnas',
        name: `ecnas-${ms}-${c.latency ? columnShort(c.latency) : `${columnShort(c.energy as string)}-energy`}`,
        spec: { measured: [m], ...c },
        objectives: 3,
      }),
    ),
  );
  const measuredPairs = MEASURED.flatMap(([a, as], i) =>
    MEASURED.slice(i + 1).map(([b, bs]): Table22Candidate => ({ family: 'ecnas', name: `ecnas-${as}-${bs}`, spec: { costs: [a, b] }, objectives: 3 })),
  );
  const help = helpColumns();
  const helpPairs = NB201_TASKS.flatMap((t) =>
    help.flatMap((a, i) =>
      help.slice(i + 1).map(
        (b): Table22Candidate => ({
          family: 'nb201',
          name: `nb201-${t.tag}-help-${helpShort(a)}-${helpShort(b)}`,
          spec: { accuracy: t.accuracy, latency: a, latency2: b, ...(t.file ? { file: t.file } : {}), costFile: HELP_COST_FILE },
          objectives: 3,
        }),
      ),
    ),
  );
  return [...from20('ecnas', (o) => o === 3), ...measuredHw, ...measuredPairs, ...from20('nbg', (o) => o === 3), ...from20('tnb', () => true), ...helpPairs];
}

/** The column keys of every problem registered before this session (table20's family objects, EC-NAS measured, table21). */
export function table22UsedKeys(): Set<string> {
  const used = usedKeys([]);
  for (const spec of Object.values(ECNAS_PROBLEMS)) used.add(specKey('ecnas', spec));
  for (const spec of Object.values(TABLE21_HW360_PROBLEMS)) used.add(specKey('nb201', spec));
  return used;
}

/** The unused candidates. */
export function table22Universe(): Table22Candidate[] {
  return universeAfter([]);
}

/** Every problem registered before this session over these tables (table21's, its HELP ones, TransNAS micro's). */
export function table22UsedProblems(): DrawProblem[] {
  return [
    ...usedProblems(),
    ...Object.entries(TABLE21_HW360_PROBLEMS).map(([name, spec]) => ({ family: 'nb201', name, spec })),
    ...Object.entries(TNB_PROBLEMS).map(([name, spec]) => ({ family: 'tnb', name, spec })),
  ];
}

/** A problem's table and objectives: TransNAS micro and NB201 pairs here, the rest by table21's {@link specTable}. */
export function table22SpecTable(p: DrawProblem): { table: ReturnType<typeof specTable>['table']; objectives: string } {
  if (p.family === 'tnb') {
    const spec = { ...p.spec, note: p.name } as unknown as TnbProblemSpec;
    return {
      table: tnbConnectedCells(loadTnbTable(tnbFile(), spec)),
      objectives: spec.energy ? 'accuracy:max,latency_ms:min,energy_mj:min' : 'accuracy:max,latency_ms:min',
    };
  }
  if (p.family === 'nb201' && p.spec.latency2 !== undefined)
    return { table: connectedCells(loadHw360PairTable({ ...p.spec, note: p.name } as unknown as Hw360PairSpec)), objectives: HW360_PAIR_OBJECTIVES };
  return specTable(p.family as Table21Family, p.spec, p.name);
}

/** The table a front is over: one TransNAS task, else table21's {@link sameTableKey}. */
export function table22TableKey(p: DrawProblem): string {
  return p.family === 'tnb' ? `tnb:${String(p.spec.metric)}` : sameTableKey(p.family as Table21Family, p.spec);
}

/** The true front of a problem of this draw. */
export function table22Front(p: DrawProblem): FrontSummary {
  return tableFrontSummary(table22SpecTable(p));
}

/** Whether a candidate belongs in a slot: its family and, where the slot fixes it, its number of objectives (table23's too). */
export function inTable22Slot(c: Table22Candidate, slot: Table22Slot): boolean {
  return c.family === slot.family && (slot.objectives === undefined || c.objectives === slot.objectives);
}

/** A registered set's problem objects, one per family (as bench/compare-optuna.ts keeps them), in slot order. */
export type RegisteredSet = readonly (readonly [Table22Family, Readonly<Record<string, object>>])[];

/** The problems of registered sets, with their families, set by set. */
export function registeredProblems(...sets: readonly RegisteredSet[]): DrawProblem[] {
  return sets.flatMap((set) =>
    set.flatMap(([family, problems]) => Object.entries(problems).map(([name, spec]) => ({ family, name, spec: spec as Readonly<Record<string, unknown>> }))),
  );
}

/** The column keys of table22's used set plus those of the problems `registered` after it. */
export function usedKeysAfter(registered: readonly DrawProblem[]): Set<string> {
  const used = table22UsedKeys();
  for (const p of registered) used.add(specKey(p.family as Table22Family, p.spec));
  return used;
}

/** The candidates of table22's universe not used by table22's used set nor by `registered`. */
export function universeAfter(registered: readonly DrawProblem[]): Table22Candidate[] {
  const used = usedKeysAfter(registered);
  return table22Candidates().filter((c) => !used.has(specKey(c.family, c.spec)));
}

/** table22's used problems, then `registered`: what a later session's draw checks nesting against. */
export function usedProblemsAfter(registered: readonly DrawProblem[]): DrawProblem[] {
  return [...table22UsedProblems(), ...registered];
}

/**
 * A later session's draw: table21's {@link drawSlots} over `slots`, table22's universe less table22's used set and
 * `registered`, the nested check against table22's used problems and `registered`, table22's fronts.
 */
export function drawAfter(
  seed: number,
  slots: readonly Table22Slot[],
  registered: readonly DrawProblem[],
  minFront = 5,
  front = table22Front,
): SlotDraw<Table22Slot, Table22Candidate>[] {
  return drawSlots(seed, {
    slots,
    universe: universeAfter(registered),
    inSlot: inTable22Slot,
    used: usedProblemsAfter(registered),
    front,
    tableKey: table22TableKey,
    minFront,
  });
}

/** The draw: {@link drawAfter} over this session's slots, nothing registered after table22's used set. */
export function table22Draw(seed = TABLE22_SEED, minFront = 5, front = table22Front): SlotDraw<Table22Slot, Table22Candidate>[] {
  return drawAfter(seed, TABLE22_SLOTS, [], minFront, front);
}

/** Prints a draw as `node dist/bench/table2x.js` does: each family's candidates (all, unused), then each slot's draw. */
export function printDraw(universe: readonly Table22Candidate[], draw: readonly SlotDraw<Table22Slot, Table22Candidate>[]): void {
  const all = table22Candidates();
  for (const f of ['ecnas', 'nbg', 'tnb', 'nb201'] as const)
    console.log(`${f}: ${all.filter((c) => c.family === f).length} combinations, ${universe.filter((c) => c.family === f).length} unused`);
  for (const d of draw) console.log(JSON.stringify({ slot: d.slot, pool: d.pool, tried: d.tried, chosen: d.chosen ?? null }));
}

/** A later session's draw rule (table23 on): its seed, its slots in order, and the problem sets registered after table22's used set. */
export interface SessionRule {
  readonly seed: number;
  readonly slots: readonly Table22Slot[];
  readonly registered: readonly RegisteredSet[];
}

/** The unused candidates of table22's universe under a session's rule (its registered sets used). */
export function sessionUniverse(rule: SessionRule): Table22Candidate[] {
  return universeAfter(registeredProblems(...rule.registered));
}

/** A session's draw: {@link drawAfter} over its slots with its registered sets used (its own seed unless given). */
export function sessionDraw(rule: SessionRule, seed = rule.seed, minFront = 5, front = table22Front): SlotDraw<Table22Slot, Table22Candidate>[] {
  return drawAfter(seed, rule.slots, registeredProblems(...rule.registered), minFront, front);
}

/** Prints a session's universe and draw ({@link printDraw}) when `moduleUrl` is the script node runs (`node dist/bench/table2x.js`). */
export function printSessionDrawIfMain(moduleUrl: string, rule: SessionRule): void {
  if (moduleUrl === pathToFileURL(process.argv[1] ?? '').href) printDraw(sessionUniverse(rule), sessionDraw(rule));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printDraw(table22Universe(), table22Draw());
