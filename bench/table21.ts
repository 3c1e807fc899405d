/**
 * Session 44 (table21): the rule that chose the blind problems, as code (bench/data/table21-prereg.md), committed before
 * it was run.
 *
 * Universe: (a) NEW measured latency columns: NAS-Bench-201's three accuracy columns, each paired with one of the 27
 * latency columns HELP ships for all 15,625 NB201 cells (bench/data/nb201-help-latency.csv), 2 objectives; (b) the
 * 2-objective combinations of bench/table20.ts's universe on the spaces with failing points (EC-NAS-Bench 5V with hwnas
 * costs, NAS-Bench-Graph). A combination is unused when no problem of bench/compare-optuna.ts has its columns (all
 * registered problems count, table20's six too).
 *
 * table20's two fixes: every drawn problem has exactly 2 objectives (accuracy + one cost), and no drawn problem's true
 * front is NESTED in the true front of a used problem over the same table, or of a problem drawn before it. Nested means:
 * every accuracy value on the candidate's true front is also an accuracy value on the other problem's true front, both
 * over the same accuracy column of the same table (EC-NAS-Bench's val_acc; one NAS-Bench-Graph dataset; one NB201
 * accuracy column), i.e. the candidate's front architectures (up to ties of accuracy, as EC-NAS's classes) are a subset of
 * the other's. A drawn candidate with a front of fewer than 5 distinct vectors, or nested, is replaced by the slot's next
 * draw; a slot whose pool runs out is left empty (reported, not refilled).
 *
 * `node dist/bench/table21.js` prints the universe's sizes and the draw.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseObjectives } from '../src/nas/objectives.js';
import { tableHv } from '../src/nas/run.js';
import type { NasTable } from '../src/nas/tabular.js';
import { Rng } from '../src/util/rng.js';
import { connectedCells, ECNAS_PROBLEMS, ecnasCostFile, ecnasFile, type Hw360Spec, loadHw360Table, nbgFile } from './compare-optuna.js';
import { type EcnasProblemSpec, ecnasObjectives, loadEcnasTable } from './ec-nas-bench.js';
import { type EcnasHwProblemSpec, ecnasHwObjectives, loadEcnasHwTable } from './ecnas-hwnas-cost.js';
import { loadNbgTable, type NbgProblemSpec, nbgObjectives } from './nas-bench-graph.js';
import { allCandidates, FAMILY_PROBLEMS, NB201_TASKS, specKey, usedKeys } from './table20.js';

/** The seed of the draw (the session's date and number), fixed before any look at the universe. */
export const TABLE21_SEED = 2026120644;

/** HELP's latency file (bench/data/nb201-help-latency.csv), a cost file of NB201 problems. */
export const HELP_COST_FILE = 'nb201-help-latency.csv';

/** The families of this draw: NB201 with HELP's latencies, and table20's two spaces with failing points. */
export type Table21Family = 'nb201' | 'ecnas' | 'nbg';

/** One candidate problem: its family, name, spec (as the family's *_PROBLEMS entries write it) and objectives. */
export interface Table21Candidate {
  readonly family: Table21Family;
  readonly name: string;
  readonly spec: Readonly<Record<string, string | boolean>>;
  readonly objectives: 2;
}

/** One slot: a family and, for NB201, the accuracy column. */
export interface Table21Slot {
  readonly family: Table21Family;
  readonly accuracy?: string;
}

/** The seven slots in the order drawn: four without failing points (HELP's new columns), three with. */
export const TABLE21_SLOTS: readonly Table21Slot[] = [
  { family: 'nb201', accuracy: 'acc_cifar100' },
  { family: 'nb201', accuracy: 'acc_cifar10' },
  { family: 'nb201', accuracy: 'acc_imagenet16' },
  { family: 'nb201' },
  { family: 'ecnas' },
  { family: 'ecnas' },
  { family: 'nbg' },
];

/** HELP's latency columns, in the file's order (read from its header). */
export function helpColumns(): string[] {
  const path = join(process.cwd(), 'bench', 'data', HELP_COST_FILE);
  const header = readFileSync(path, 'utf8')
    .split('\n')
    .find((l) => !l.startsWith('#'));
  return (header ?? '').split(',').filter((c) => c.startsWith('help_'));
}

/** A HELP latency column's short name in problem names (`help_titanxp_1_ms` -> `titanxp-1`; bench/table22.ts too). */
export const helpShort = (c: string): string =>
  c
    .replace(/^help_/, '')
    .replace(/_ms$/, '')
    .replaceAll('_', '-');

/** Every candidate (used or not): HELP x NB201 accuracy, then table20's 2-objective EC-NAS and NAS-Bench-Graph ones. */
export function table21Candidates(): Table21Candidate[] {
  const help = NB201_TASKS.flatMap((t) =>
    helpColumns().map(
      (latency): Table21Candidate => ({
        family: 'nb201',
        name: `nb201-${t.tag}-help-${helpShort(latency)}`,
        spec: { accuracy: t.accuracy, latency, ...(t.file ? { file: t.file } : {}), costFile: HELP_COST_FILE },
        objectives: 2,
      }),
    ),
  );
  const failing = allCandidates()
    .filter((c) => (c.family === 'ecnas' || c.family === 'nbg') && c.objectives === 2)
    .map((c): Table21Candidate => ({ family: c.family as Table21Family, name: c.name, spec: c.spec, objectives: 2 }));
  return [...help, ...failing];
}

/** The unused candidates: no problem registered in bench/compare-optuna.ts's family objects has the same columns. */
export function table21Universe(): Table21Candidate[] {
  const used = usedKeys([]);
  return table21Candidates().filter((c) => !used.has(specKey(c.family, c.spec)));
}

/** The table a spec of a family's *_PROBLEMS objects (or a candidate's) is scored on, and its objectives. */
export function specTable(family: Table21Family, spec: Readonly<Record<string, unknown>>, name: string): { table: NasTable; objectives: string } {
  switch (family) {
    case 'ecnas': {
      if (spec.costs !== undefined) {
        const s = { ...spec, note: name } as unknown as EcnasProblemSpec;
        return { table: loadEcnasTable(ecnasFile(), s), objectives: ecnasObjectives(s) };
      }
      const s = { ...spec, note: name } as unknown as EcnasHwProblemSpec;
      return { table: loadEcnasHwTable(ecnasFile(), ecnasCostFile(), s), objectives: ecnasHwObjectives(s) };
    }
    case 'nbg': {
      const s = { ...spec, params: spec.params === true, note: name } as unknown as NbgProblemSpec;
      return { table: loadNbgTable(nbgFile(s.dataset), s), objectives: nbgObjectives(s) };
    }
    case 'nb201': {
      const s = { ...spec, note: name } as unknown as Hw360Spec;
      const t = loadHw360Table(join(process.cwd(), 'bench', 'data', s.file ?? 'nb201-hw360.csv'), s);
      return { table: connectedCells(t), objectives: s.energy ? 'accuracy:max,latency_ms:min,energy_mj:min' : 'accuracy:max,latency_ms:min' };
    }
  }
}

/** A problem's true front: its number of distinct objective vectors and its set of accuracy values. */
export interface FrontSummary {
  readonly vectors: number;
  readonly accuracies: ReadonlySet<number>;
}

/** The true front of a spec's table. */
export function frontSummary(family: Table21Family, spec: Readonly<Record<string, unknown>>, name: string): FrontSummary {
  return tableFrontSummary(specTable(family, spec, name));
}

/** The true front of a table under its objectives (accuracy the column `accuracy`), for any family (bench/table22.ts too). */
export function tableFrontSummary({ table, objectives }: { readonly table: NasTable; readonly objectives: string }): FrontSummary {
  const objs = parseObjectives(objectives);
  const names = objs.map((o) => o.name);
  const front = tableHv(table, objs).front;
  return {
    vectors: new Set(front.map((a) => JSON.stringify(table.values(a, names)))).size,
    accuracies: new Set(front.map((a) => table.values(a, ['accuracy'])[0] as number)),
  };
}

/** The table a front is over, for the nested-check: EC-NAS's val_acc, one NAS-Bench-Graph dataset, one NB201 accuracy. */
export function sameTableKey(family: Table21Family, spec: Readonly<Record<string, unknown>>): string {
  if (family === 'nbg') return `nbg:${String(spec.dataset)}`;
  if (family === 'nb201') return `nb201:${String(spec.accuracy)}`;
  return 'ecnas:val_acc';
}

/** Whether every accuracy value of `inner`'s front is on `outer`'s front. */
export function nestedIn(inner: FrontSummary, outer: FrontSummary): boolean {
  for (const a of inner.accuracies) if (!outer.accuracies.has(a)) return false;
  return true;
}

/** One registered problem of these families (for the nested-check): its family, name and spec. */
export interface UsedProblem {
  readonly family: Table21Family;
  readonly name: string;
  readonly spec: Readonly<Record<string, unknown>>;
}

/** Every problem of bench/compare-optuna.ts over these tables before this session (EC-NAS's measured-cost ones too). */
export function usedProblems(): UsedProblem[] {
  const out: UsedProblem[] = [];
  for (const [name, spec] of Object.entries(ECNAS_PROBLEMS)) out.push({ family: 'ecnas', name, spec });
  for (const family of ['ecnas', 'nbg', 'nb201'] as const) for (const [name, spec] of Object.entries(FAMILY_PROBLEMS[family])) out.push({ family, name, spec });
  return out;
}

/** Why a drawn candidate was rejected, or undefined if it was chosen. */
export type Rejection = { readonly reason: 'small'; readonly vectors: number } | { readonly reason: 'nested'; readonly in: string };

/** One slot's draw: the candidates drawn in order (rejected ones first, with why) and the chosen one, if any. */
export type Table21Draw = SlotDraw<Table21Slot, Table21Candidate>;

/** A problem the slot draw handles: its family, name and spec (a candidate, a used problem). */
export interface DrawProblem {
  readonly family: string;
  readonly name: string;
  readonly spec: Readonly<Record<string, unknown>>;
}

/** One slot's draw of {@link drawSlots}: the candidates drawn in order (rejected ones first, with why), the chosen one. */
export interface SlotDraw<S, C> {
  readonly slot: S;
  readonly pool: number;
  readonly tried: readonly { readonly name: string; readonly vectors: number; readonly rejected?: Rejection }[];
  readonly chosen?: C;
}

/** What {@link drawSlots} needs beyond the seed: the slots, the universe, who is used, how fronts are read and compared. */
export interface SlotDrawOptions<S, C extends DrawProblem> {
  readonly slots: readonly S[];
  /** The unused candidates, in a fixed order. */
  readonly universe: readonly C[];
  readonly inSlot: (c: C, slot: S) => boolean;
  /** The problems a candidate's front must not be nested in (earlier slots' chosen ones are added as they are drawn). */
  readonly used: readonly DrawProblem[];
  readonly front: (p: DrawProblem) => FrontSummary;
  /** The table a front is over: fronts are compared only within one key. */
  readonly tableKey: (p: DrawProblem) => string;
  readonly minFront: number;
}

/**
 * The slot draw (table21's rule, reused by bench/table22.ts): one Rng(seed) for all slots, in order; in each slot a
 * uniform index into the slot's candidates not yet drawn, redrawn while the candidate's front has fewer than `minFront`
 * vectors or is nested in the front of a used problem or of an earlier slot's chosen one over the same table. Each
 * problem's front is computed once.
 */
export function drawSlots<S, C extends DrawProblem>(seed: number, o: SlotDrawOptions<S, C>): SlotDraw<S, C>[] {
  const rng = new Rng(seed);
  const fronts = new Map<string, FrontSummary>();
  const frontOf = (p: DrawProblem): FrontSummary => {
    const key = `${p.family}:${p.name}`;
    let f = fronts.get(key);
    if (f === undefined) {
      f = o.front(p);
      fronts.set(key, f);
    }
    return f;
  };
  const others: DrawProblem[] = [...o.used];
  return o.slots.map((slot) => {
    const pool = o.universe.filter((c) => o.inSlot(c, slot));
    const size = pool.length;
    const tried: { name: string; vectors: number; rejected?: Rejection }[] = [];
    while (pool.length > 0) {
      const [c] = pool.splice(rng.int(0, pool.length - 1), 1) as [C];
      const f = frontOf(c);
      if (f.vectors < o.minFront) {
        tried.push({ name: c.name, vectors: f.vectors, rejected: { reason: 'small', vectors: f.vectors } });
        continue;
      }
      const key = o.tableKey(c);
      const outer = others.find((p) => o.tableKey(p) === key && nestedIn(f, frontOf(p)));
      if (outer !== undefined) {
        tried.push({ name: c.name, vectors: f.vectors, rejected: { reason: 'nested', in: outer.name } });
        continue;
      }
      tried.push({ name: c.name, vectors: f.vectors });
      others.push(c);
      return { slot, pool: size, tried, chosen: c };
    }
    return { slot, pool: size, tried };
  });
}

/** The draw of this session: {@link drawSlots} over table21's slots, universe and used problems. */
export function table21Draw(seed = TABLE21_SEED, minFront = 5, front = frontSummary): Table21Draw[] {
  return drawSlots(seed, {
    slots: TABLE21_SLOTS,
    universe: table21Universe(),
    inSlot: (c, slot) => c.family === slot.family && (slot.accuracy === undefined || c.spec.accuracy === slot.accuracy),
    used: usedProblems(),
    front: (p) => front(p.family as Table21Family, p.spec, p.name),
    tableKey: (p) => sameTableKey(p.family as Table21Family, p.spec),
    minFront,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const all = table21Candidates();
  const uni = table21Universe();
  for (const f of ['nb201', 'ecnas', 'nbg'] as const)
    console.log(`${f}: ${all.filter((c) => c.family === f).length} 2-objective combinations, ${uni.filter((c) => c.family === f).length} unused`);
  for (const d of table21Draw()) console.log(JSON.stringify({ slot: d.slot, pool: d.pool, tried: d.tried, chosen: d.chosen ?? null }));
}
