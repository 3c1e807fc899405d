/**
 * Session 43 (table20): the rule that chose the blind problems, as code (bench/data/table20-prereg.md).
 *
 * No new table family could be sourced (see the pre-registration), so the problems are NEW PAIRINGS of committed tables
 * with their cost columns: every (table, accuracy, latency [, energy] / NAS-Bench-Graph dataset [, params]) combination
 * the existing loaders take, minus those any problem of bench/compare-optuna.ts already uses, drawn with a fixed seed,
 * one per slot: two from EC-NAS-Bench (failing points; one 2-objective, one 3-objective), one from NAS-Bench-Graph
 * (failing points), one each from TransNAS-Bench-101 micro, NB201 with hwnas cost models and NAS-Bench-Macro (no failing
 * points). A drawn combination whose true front has fewer than 5 vectors is replaced by the slot's next draw.
 *
 * `node dist/bench/table20.js` prints the universe's sizes and the draw.
 */
import { pathToFileURL } from 'node:url';
import { parseObjectives } from '../src/nas/objectives.js';
import { tableHv } from '../src/nas/run.js';
import type { NasTable } from '../src/nas/tabular.js';
import { Rng } from '../src/util/rng.js';
import {
  connectedCells,
  ECNAS_HW_PROBLEMS,
  ecnasCostFile,
  ecnasFile,
  HW360_PROBLEMS,
  type Hw360Spec,
  loadHw360Table,
  MACRO_PROBLEMS,
  macroFile,
  NBG_PROBLEMS,
  nbgFile,
  TABLE20_ECNAS_HW_PROBLEMS,
  TNB_PROBLEMS,
  tnbFile,
} from './compare-optuna.js';
import { ecnasHwObjectives, loadEcnasHwTable } from './ecnas-hwnas-cost.js';
import { loadNbgTable, NBG_DATASETS, type NbgDataset, nbgObjectives } from './nas-bench-graph.js';
import { loadMacroTable } from './nas-macro.js';
import { loadTnbTable, tnbConnectedCells } from './transnas-micro.js';

/** The seed of the draw (the session's date), fixed before any look at the universe. */
export const TABLE20_SEED = 20261206;

/** The latency columns (ms) every cost table of these families has (NB201's with a task prefix), in the tables' order. */
export const LATENCY_COLUMNS = [
  'eyeriss_ms',
  'edgetpu_int8_ms',
  'myriadx_fp32_ms',
  'jetson_fp32_ms',
  'a100_fp32_ms',
  'a76_fp32_ms',
  'bitfusion_ms',
  'bismo_ms',
] as const;
/** The energy columns (mJ). */
export const ENERGY_COLUMNS = ['eyeriss_mj', 'bitfusion_mj', 'bismo_mj'] as const;

/** TransNAS-Bench-101's seven task columns, in the benchmark's order. */
const TNB_TASKS = ['scene_top1', 'object_top1', 'jigsaw_top1', 'room_negloss', 'segment_acc', 'normal_ssim', 'autoenc_ssim'] as const;
/** NB201's accuracy columns with hwnas costs of that task's network: accuracy, its file, the cost columns' prefix. */
export const NB201_TASKS = [
  { accuracy: 'acc_cifar10', file: 'nb201-c10-in16.csv', prefix: 'c10_', tag: 'c10' },
  { accuracy: 'acc_cifar100', file: undefined, prefix: 'c100_', tag: 'c100' },
  { accuracy: 'acc_imagenet16', file: 'nb201-c10-in16.csv', prefix: 'in16_', tag: 'in16' },
] as const;

/** One candidate problem: its family, its spec (the loader's), its name and its objectives. */
export interface Table20Candidate {
  readonly family: 'ecnas' | 'nbg' | 'tnb' | 'nb201' | 'macro';
  readonly name: string;
  /** The spec as the family's *_PROBLEMS entries write it (note left out). */
  readonly spec: Readonly<Record<string, string | boolean>>;
  readonly objectives: number;
}

/** One slot of the draw: a family and, where fixed, the number of objectives. */
export interface Table20Slot {
  readonly family: Table20Candidate['family'];
  readonly objectives?: 2 | 3;
}

/** The six slots, in the order drawn (and the pre-registered order). */
export const TABLE20_SLOTS: readonly Table20Slot[] = [
  { family: 'ecnas', objectives: 2 },
  { family: 'ecnas', objectives: 3 },
  { family: 'nbg' },
  { family: 'tnb' },
  { family: 'nb201' },
  { family: 'macro' },
];

/** A cost column's short name in problem names (`eyeriss_ms` -> `eyeriss`; bench/table22.ts too). */
export const columnShort = (c: string): string =>
  c
    .replace(/^(c10|c100|in16)_/, '')
    .replace(/_(int8|fp32)?_?m[sj]$/, '')
    .replace(/_m[sj]$/, '');

/** The name of a cost pair: `<lat>`, `<t>-energy` (same target) or `<lat>-<energy target>-energy`. */
function costName(latency: string, energy?: string): string {
  if (energy === undefined) return columnShort(latency);
  return columnShort(latency) === columnShort(energy) ? `${columnShort(energy)}-energy` : `${columnShort(latency)}-${columnShort(energy)}-energy`;
}

/** Every latency column alone and every (latency, energy) pair, with a column prefix. */
function costPairs(prefix = ''): { latency: string; energy?: string }[] {
  return [
    ...LATENCY_COLUMNS.map((l) => ({ latency: prefix + l })),
    ...LATENCY_COLUMNS.flatMap((l) => ENERGY_COLUMNS.map((e) => ({ latency: prefix + l, energy: prefix + e }))),
  ];
}

/** A spec's identity for the used-check: its fields that choose columns, sorted (the note and file names left out). */
export function specKey(family: Table20Candidate['family'], spec: Readonly<Record<string, unknown>>): string {
  // NAS-Bench-Graph entries leave `params` out when false
  const s = family === 'nbg' ? { dataset: spec.dataset, params: spec.params === true } : spec;
  const keep = Object.entries(s)
    .filter(([k]) => !['note', 'file', 'costFile'].includes(k))
    .sort(([a], [b]) => a.localeCompare(b));
  return `${family}:${JSON.stringify(keep)}`;
}

/** Each family's registered problems in bench/compare-optuna.ts. */
export const FAMILY_PROBLEMS: Readonly<Record<Table20Candidate['family'], Readonly<Record<string, Readonly<Record<string, unknown>>>>>> = {
  ecnas: { ...ECNAS_HW_PROBLEMS, ...TABLE20_ECNAS_HW_PROBLEMS },
  nbg: NBG_PROBLEMS,
  tnb: TNB_PROBLEMS,
  nb201: HW360_PROBLEMS,
  macro: MACRO_PROBLEMS,
};

/** The six problems the draw chose (registered in bench/compare-optuna.ts after the draw), in the pre-registered order. */
export const TABLE20_PROBLEMS = [
  'ecnas-myriadx',
  'ecnas-edgetpu-bitfusion-energy',
  'nbg-cs-latency-params',
  'tnb-autoenc-a100-eyeriss-energy',
  'nb201-c100-a100-bismo-energy',
  'macro-c10-jetson-eyeriss-energy',
] as const;

/**
 * The combinations the problems of bench/compare-optuna.ts used before this session (read from its *_PROBLEMS objects,
 * leaving out {@link TABLE20_PROBLEMS}, so the draw is the same after their registration). Session 44 (bench/table21.ts)
 * passes `exclude` empty: every registered problem of these objects is used then.
 */
export function usedKeys(exclude: readonly string[] = TABLE20_PROBLEMS): Set<string> {
  const used = new Set<string>();
  for (const family of Object.keys(FAMILY_PROBLEMS) as Table20Candidate['family'][])
    for (const [name, spec] of Object.entries(FAMILY_PROBLEMS[family])) if (!exclude.includes(name)) used.add(specKey(family, spec));
  return used;
}

/** A candidate's spec as its registered problem has it (for the check that the registration is the draw). */
export function registeredSpecKey(family: Table20Candidate['family'], name: string): string | undefined {
  const s = FAMILY_PROBLEMS[family][name];
  return s === undefined ? undefined : specKey(family, s);
}

/** A candidate's own spec key. */
export function candidateKey(c: Table20Candidate): string {
  return specKey(c.family, c.spec);
}

/** Every candidate of every family (used or not), in a fixed order. */
export function allCandidates(): Table20Candidate[] {
  const out: Table20Candidate[] = [];
  const add = (family: Table20Candidate['family'], name: string, spec: Record<string, string | boolean>, objectives: number) =>
    out.push({ family, name, spec, objectives });
  for (const p of costPairs()) add('ecnas', `ecnas-${costName(p.latency, p.energy)}`, { ...p }, p.energy ? 3 : 2);
  for (const d of NBG_DATASETS)
    for (const params of [false, true]) add('nbg', `nbg-${d}-latency${params ? '-params' : ''}`, { dataset: d, params }, params ? 3 : 2);
  for (const m of TNB_TASKS)
    for (const p of costPairs()) add('tnb', `tnb-${m.replace(/_.*/, '')}-${costName(p.latency, p.energy)}`, { metric: m, ...p }, p.energy ? 3 : 2);
  for (const t of NB201_TASKS)
    for (const p of costPairs(t.prefix)) add('nb201', `nb201-${t.tag}-${costName(p.latency, p.energy)}`, { accuracy: t.accuracy, ...p }, p.energy ? 3 : 2);
  for (const p of costPairs()) add('macro', `macro-c10-${costName(p.latency, p.energy)}`, { ...p }, p.energy ? 3 : 2);
  return out;
}

/** The unused candidates (no problem of bench/compare-optuna.ts has the same columns). */
export function table20Universe(): Table20Candidate[] {
  const used = usedKeys();
  return allCandidates().filter((c) => !used.has(candidateKey(c)));
}

/** The candidate's table as the bench scores it (its true front's frame table) and its objectives. */
export function candidateTable(c: Table20Candidate): { table: NasTable; objectives: string } {
  const s = c.spec as Record<string, string>;
  const obj = `accuracy:max,latency_ms:min${s.energy ? ',energy_mj:min' : ''}`;
  switch (c.family) {
    case 'ecnas': {
      const spec = { note: c.name, latency: s.latency as string, ...(s.energy ? { energy: s.energy } : {}) };
      return { table: loadEcnasHwTable(ecnasFile(), ecnasCostFile(), spec), objectives: ecnasHwObjectives(spec) };
    }
    case 'nbg': {
      const spec = { note: c.name, dataset: c.spec.dataset as NbgDataset, params: c.spec.params === true };
      return { table: loadNbgTable(nbgFile(spec.dataset), spec), objectives: nbgObjectives(spec) };
    }
    case 'tnb': {
      const spec = { note: c.name, metric: s.metric as string, latency: s.latency as string, ...(s.energy ? { energy: s.energy } : {}) };
      return { table: tnbConnectedCells(loadTnbTable(tnbFile(), spec)), objectives: obj };
    }
    case 'nb201': {
      const task = NB201_TASKS.find((t) => t.accuracy === s.accuracy) as (typeof NB201_TASKS)[number];
      const spec: Hw360Spec = {
        note: c.name,
        accuracy: s.accuracy as string,
        latency: s.latency as string,
        ...(s.energy ? { energy: s.energy } : {}),
        ...(task.file ? { file: task.file } : {}),
        costFile: 'nb201-hwnas-cost.csv',
      };
      const path = `${process.cwd()}/bench/data/${task.file ?? 'nb201-hw360.csv'}`;
      return { table: connectedCells(loadHw360Table(path, spec)), objectives: obj };
    }
    case 'macro': {
      const spec = { note: c.name, latency: s.latency as string, ...(s.energy ? { energy: s.energy } : {}) };
      return { table: loadMacroTable(macroFile(), spec), objectives: obj };
    }
  }
}

/** The number of distinct objective vectors on a candidate's true front. */
export function frontVectors(c: Table20Candidate): number {
  const { table, objectives } = candidateTable(c);
  const objs = parseObjectives(objectives);
  const names = objs.map((o) => o.name);
  const front = tableHv(table, objs).front;
  return new Set(front.map((a) => JSON.stringify(table.values(a, names)))).size;
}

/** One slot's draw: the candidates drawn in order (rejected ones first) and the chosen one. */
export interface Table20Draw {
  readonly slot: Table20Slot;
  readonly pool: number;
  readonly tried: readonly { readonly name: string; readonly front: number }[];
  readonly chosen: Table20Candidate;
}

/**
 * The draw: one Rng(seed) for all slots, in order; in each slot a uniform index into the slot's unused candidates (not
 * yet drawn), redrawn while the candidate's true front has fewer than `minFront` vectors.
 */
export function table20Draw(seed = TABLE20_SEED, minFront = 5, front = frontVectors): Table20Draw[] {
  const rng = new Rng(seed);
  const universe = table20Universe();
  return TABLE20_SLOTS.map((slot) => {
    const pool = universe.filter((c) => c.family === slot.family && (slot.objectives === undefined || c.objectives === slot.objectives));
    const size = pool.length;
    const tried: { name: string; front: number }[] = [];
    while (pool.length > 0) {
      const [c] = pool.splice(rng.int(0, pool.length - 1), 1) as [Table20Candidate];
      const f = front(c);
      tried.push({ name: c.name, front: f });
      if (f >= minFront) return { slot, pool: size, tried, chosen: c };
    }
    throw new Error(`table20 slot ${slot.family}/${slot.objectives ?? 'any'}: no candidate with a front of >= ${minFront} vectors`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const all = allCandidates();
  const uni = table20Universe();
  for (const f of ['ecnas', 'nbg', 'tnb', 'nb201', 'macro'] as const)
    console.log(`${f}: ${all.filter((c) => c.family === f).length} combinations, ${uni.filter((c) => c.family === f).length} unused`);
  for (const d of table20Draw()) console.log(JSON.stringify({ slot: d.slot, pool: d.pool, tried: d.tried, chosen: d.chosen }));
}
