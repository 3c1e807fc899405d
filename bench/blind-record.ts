/**
 * Issue 18's blind record as data: every pre-registered unseen problem with the figures its blind section in
 * BENCHMARKS.md printed (bench/data/blind-record.csv), and the goal's verdicts computed from them, so that the record is
 * counted by code, not by hand, and each figure can be traced back to its section (blind-record.test.ts checks that
 * every figure stands in BENCHMARKS.md).
 *
 * The goal, per problem and method: beat Optuna's TPE (multivariate) on the mean AND the worst of seeds 1-10 (strictly),
 * and reach >= 0.97 of the true front's hypervolume on the worst seed, at 300 queries.
 *
 * Run: `node dist/bench/blind-record.js [--method tpe|nsga2|random|ehvi|auto] [--strict] [--file <csv>]` (from the repository
 * root): prints the counts by table family and cost source, objective count and set, as a markdown table. `--strict`
 * leaves out figures re-run after their blind window.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { parseCommentedCsv } from './commented-csv.js';
import { benchFlags } from './flags.js';

/**
 * The hwnas methods the record holds (`ehvi` = the cost-aware `tpe+ehvi5e3r3`, whose budget counts accuracy queries
 * only; `auto` = NSGA-II or TPE by the space's classes of equal computation, written in session 45 and blind from
 * table22 on: its figures stand in the lead's section of that session).
 */
export const RECORD_METHODS = ['tpe', 'nsga2', 'random', 'ehvi', 'auto'] as const;
export type RecordMethod = (typeof RECORD_METHODS)[number];

/** Mean and worst share of the true front's hypervolume over seeds 1-10. */
export interface SeedFigures {
  readonly mean: number;
  readonly worst: number;
}

/** One blind problem as its section printed it; a method absent from `figures` was not run on it. */
export interface BlindRow {
  readonly problem: string;
  readonly family: string;
  /** 'measured' (published measurements) or 'hwnas' (hwnas cost models of the same networks). */
  readonly costs: string;
  readonly objectives: number;
  /** 'full' (a full table) or 'sample' (TransNAS-Bench-101 macro's sample, counted apart). */
  readonly set: string;
  readonly session: number;
  readonly section: string;
  readonly optuna: SeedFigures;
  readonly figures: Readonly<Partial<Record<RecordMethod, SeedFigures>>>;
  /** '' | 'after-window' (re-run after a crash fix, outside the blind window) | 'not-comparable' (for `ehvi`). */
  readonly ehviNote: string;
}

/** The goal's parts for one method on one problem. */
export interface Verdict {
  /** Strictly above Optuna's TPE on the mean and on the worst seed. */
  readonly beats: boolean;
  readonly meanOk: boolean;
  readonly worstOk: boolean;
  /** `beats` and `worstOk`: the goal. */
  readonly goal: boolean;
}

/** The goal's threshold on the share of the true front's hypervolume. */
export const GOAL_SHARE = 0.97;

const EHVI_NOTES = new Set(['', 'after-window', 'not-comparable']);

/** The committed record's path (relative to the repository root, as the benches are run). */
export function blindRecordFile(): string {
  return join(process.cwd(), 'bench', 'data', 'blind-record.csv');
}

function share(row: Readonly<Record<string, string>>, key: string, problem: string): number {
  const v = row[key] ?? '';
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1)
    throw new ConfigError(`blind record, problem '${problem}', ${key} '${v}': expected a share of hypervolume in [0, 1]`);
  return x;
}

function pair(row: Readonly<Record<string, string>>, prefix: string, problem: string): SeedFigures | undefined {
  if ((row[`${prefix}_mean`] ?? '') === '' && (row[`${prefix}_worst`] ?? '') === '') return undefined;
  const mean = share(row, `${prefix}_mean`, problem);
  const worst = share(row, `${prefix}_worst`, problem);
  if (worst > mean) throw new ConfigError(`blind record, problem '${problem}', ${prefix}: worst ${worst} above mean ${mean}`);
  return { mean, worst };
}

/** Parse the record's text (`what` names it in errors); every figure is checked, a problem may stand once. */
export function parseBlindRecord(text: string, what = 'blind-record.csv'): BlindRow[] {
  const seen = new Set<string>();
  let rows: readonly Readonly<Record<string, string>>[];
  try {
    rows = parseCommentedCsv(text, what).rows;
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  return rows.map((r) => {
    const problem = r.problem ?? '';
    if (problem === '') throw new ConfigError(`${what}: a row without a problem name`);
    if (seen.has(problem)) throw new ConfigError(`${what}: problem '${problem}' stands twice`);
    seen.add(problem);
    const objectives = Number(r.objectives);
    if (objectives !== 2 && objectives !== 3) throw new ConfigError(`${what}, problem '${problem}', objectives '${r.objectives}': expected 2 or 3`);
    const set = r.set ?? '';
    if (set !== 'full' && set !== 'sample') throw new ConfigError(`${what}, problem '${problem}', set '${set}': expected full or sample`);
    const costs = r.costs ?? '';
    if (costs !== 'measured' && costs !== 'hwnas') throw new ConfigError(`${what}, problem '${problem}', costs '${costs}': expected measured or hwnas`);
    const ehviNote = r.ehvi_note ?? '';
    if (!EHVI_NOTES.has(ehviNote))
      throw new ConfigError(`${what}, problem '${problem}', ehvi_note '${ehviNote}': expected empty, after-window or not-comparable`);
    const optuna = pair(r, 'optuna', problem);
    if (!optuna) throw new ConfigError(`${what}, problem '${problem}': no Optuna figures (the comparator runs on every problem)`);
    const figures: Partial<Record<RecordMethod, SeedFigures>> = {};
    for (const m of RECORD_METHODS) {
      const f = pair(r, m, problem);
      if (f) figures[m] = f;
    }
    return {
      problem,
      family: r.family ?? '',
      costs,
      objectives,
      set,
      session: Number(r.session),
      section: r.section ?? '',
      optuna,
      figures,
      ehviNote,
    };
  });
}

/** The committed record. */
export function loadBlindRecord(path = blindRecordFile()): BlindRow[] {
  if (!existsSync(path)) throw new ConfigError(`blind record '${path}': no such file (run from the repository root, or give --file)`);
  return parseBlindRecord(readFileSync(path, 'utf8'), path);
}

/**
 * The goal's parts for `method` on `row`, or undefined when the method was not run there. `strict`: a figure re-run
 * after the blind window (`ehvi_note` after-window) counts as not run.
 */
export function verdict(row: BlindRow, method: RecordMethod, strict = false): Verdict | undefined {
  const f = row.figures[method];
  if (!f || (strict && method === 'ehvi' && row.ehviNote === 'after-window')) return undefined;
  const beats = f.mean > row.optuna.mean && f.worst > row.optuna.worst;
  const worstOk = f.worst >= GOAL_SHARE;
  return { beats, meanOk: f.mean >= GOAL_SHARE, worstOk, goal: beats && worstOk };
}

/** Counts over a set of problems: how many, how many the method ran on, and how many meet each part of the goal. */
export interface Tally {
  readonly problems: number;
  readonly run: number;
  readonly beats: number;
  readonly meanOk: number;
  readonly worstOk: number;
  readonly goal: number;
}

/** Count `method`'s verdicts over `rows` (a problem it did not run on counts as not met). */
export function tally(rows: readonly BlindRow[], method: RecordMethod, strict = false): Tally {
  const vs = rows.map((r) => verdict(r, method, strict)).filter((v): v is Verdict => v !== undefined);
  const n = (k: keyof Verdict): number => vs.filter((v) => v[k]).length;
  return { problems: rows.length, run: vs.length, beats: n('beats'), meanOk: n('meanOk'), worstOk: n('worstOk'), goal: n('goal') };
}

/** The record's groups, in print order: families (with their cost source), objective counts, then the sets. */
export function recordGroups(rows: readonly BlindRow[]): { readonly name: string; readonly rows: readonly BlindRow[] }[] {
  const full = rows.filter((r) => r.set === 'full');
  const families = [...new Set(full.map((r) => `${r.family}, ${r.costs} costs`))];
  return [
    ...families.map((name) => ({ name, rows: full.filter((r) => `${r.family}, ${r.costs} costs` === name) })),
    { name: 'full tables, 2 objectives', rows: full.filter((r) => r.objectives === 2) },
    { name: 'full tables, 3 objectives', rows: full.filter((r) => r.objectives === 3) },
    { name: '**full tables**', rows: full },
    ...(rows.some((r) => r.set === 'sample')
      ? [{ name: 'TransNAS-Bench-101 macro sample (counted apart)', rows: rows.filter((r) => r.set === 'sample') }]
      : []),
    { name: 'all', rows },
  ];
}

/** The counts of `method` as a markdown table (one row per group). */
export function recordTable(rows: readonly BlindRow[], method: RecordMethod, strict = false): string[] {
  const out = [
    `| \`${method}\`, blind | problems | run on | beats Optuna TPE mv on mean and worst | mean >= ${GOAL_SHARE} | worst >= ${GOAL_SHARE} | goal met |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const g of recordGroups(rows)) {
    const t = tally(g.rows, method, strict);
    out.push(`| ${g.name} | ${t.problems} | ${t.run} | ${t.beats} | ${t.meanOk} | ${t.worstOk} | ${t.goal} |`);
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const flags = benchFlags();
    const method = flags.arg('--method') ?? 'tpe';
    if (!(RECORD_METHODS as readonly string[]).includes(method)) throw new ConfigError(`--method '${method}': expected one of ${RECORD_METHODS.join(', ')}`);
    const rows = loadBlindRecord(flags.arg('--file') ?? blindRecordFile());
    console.log(recordTable(rows, method as RecordMethod, flags.has('--strict')).join('\n'));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`blind-record: ${e.message}`);
    process.exit(2);
  }
}
