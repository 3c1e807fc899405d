/**
 * Tabular benchmark mode: objective values come from a table of architectures instead of training,
 * as NAS-Bench-style benchmarks compare search algorithms (format in docs/nas.md).
 *
 * CSV: a header row whose first column is `arch` and whose other columns are metric names; one row per
 * architecture, numbers only. JSON: `{"format": "hwnas-nas-table", "space": "nb201", "metrics":
 * ["accuracy", ...], "rows": [{"arch": "...", "accuracy": 0.91, ...}, ...]}` (also accepted: a bare
 * array of such rows). Architecture strings are checked against the space and stored in canonical form.
 * A column mapping ({@link parseTableColumns}, `hwnas nas --table-columns`) reads a table with other column names
 * (a published benchmark's own CSV): each metric from one named column, optionally a percentage read as a fraction;
 * the other columns are ignored.
 */
import * as nodeCrypto from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { splitCsvLine } from '../hardware/lut.js';
import type { Graph, Node } from '../ir/types.js';
import {
  enumerateNb201,
  formatNb201,
  NB201_CLASS_GRAPH,
  type Nb201Cell,
  nb201ComputationClasses,
  nb201Graph,
  nb201IsomorphismKey,
} from '../search/spaces/nb201.js';
import { type ArchSpace, canonicalArch } from '../search/spaces/types.js';
import type { AskContext, CheapObjectives, Objective, Params, SearchStrategy, Trial } from '../search/types.js';
import type { EvaluationResult, Evaluator } from '../study/run-study.js';

/** A table of metrics per architecture, validated against a space. */
export class NasTable {
  private readonly rows = new Map<string, Float64Array>();
  private readonly col: Map<string, number>;

  constructor(
    readonly space: ArchSpace,
    /** Metric names in column order. */
    readonly metrics: readonly string[],
    readonly source = 'NAS table',
  ) {
    metrics.forEach((m, i) => {
      if (typeof m !== 'string' || m.trim() === '')
        throw new ConfigError(`${source}: metric column ${i + 1} has no name ${JSON.stringify(m)}; expected a metric name`);
      if (metrics.indexOf(m) !== i) throw new ConfigError(`${source}: metric '${m}' appears twice; expected each column once`);
    });
    this.col = new Map(metrics.map((m, i) => [m, i]));
  }

  /** Adds a row; the arch string is validated and canonicalised; an architecture already in the table is a ConfigError. */
  add(arch: string, values: Readonly<Record<string, number>> | readonly number[], where = ''): string {
    let canon: string;
    try {
      canon = canonicalArch(this.space, arch);
    } catch (e) {
      throw new ConfigError(`${this.source}${where}: architecture '${arch}' is not valid for space '${this.space.name}': ${(e as Error).message}`);
    }
    const n = this.metrics.length;
    const v = new Float64Array(n);
    const byIndex = Array.isArray(values);
    for (let i = 0; i < n; i++) {
      const m = this.metrics[i] as string;
      const x = byIndex ? (values as readonly number[])[i] : (values as Readonly<Record<string, number>>)[m];
      if (typeof x !== 'number' || !Number.isFinite(x))
        throw new ConfigError(`${this.source}${where}: metric '${m}' of '${arch}' is ${JSON.stringify(x)}, expected a finite number`);
      v[i] = x;
    }
    if (this.rows.has(canon))
      throw new ConfigError(`${this.source}${where}: architecture '${arch}' is in the table twice (as '${canon}'); expected one row per architecture`);
    this.rows.set(canon, v);
    return canon;
  }

  /** Number of architectures. */
  get size(): number {
    return this.rows.size;
  }

  /** Canonical architecture strings in insertion order. */
  archs(): string[] {
    return [...this.rows.keys()];
  }

  /** Whether the (canonical form of) `arch` is in the table. */
  has(arch: string): boolean {
    return this.rows.has(arch);
  }

  /** Column index of a metric (ConfigError naming it and the available ones). */
  column(metric: string): number {
    const i = this.col.get(metric);
    if (i === undefined) throw new ConfigError(`${this.source}: no metric column '${metric}' (columns: ${this.metrics.join(', ')})`);
    return i;
  }

  /** Values of `metrics` for `arch` (ConfigError when the arch is absent). */
  values(arch: string, metrics: readonly string[]): number[] {
    const r = this.rows.get(arch);
    if (!r) throw new ConfigError(`${this.source}: architecture '${arch}' is not in the table (${this.rows.size} rows)`);
    const out = new Array<number>(metrics.length);
    for (let i = 0; i < metrics.length; i++) out[i] = r[this.column(metrics[i] as string)] as number;
    return out;
  }

  /** CSV text (header `arch,<metrics>`). */
  toCsv(): string {
    const lines = [['arch', ...this.metrics].join(',')];
    for (const [a, v] of this.rows) lines.push([a, ...Array.from(v, (x) => String(x))].join(','));
    return `${lines.join('\n')}\n`;
  }

  /** JSON form (see module doc). */
  toJSON(): { format: 'hwnas-nas-table'; space: string; metrics: string[]; rows: Record<string, string | number>[] } {
    return {
      format: 'hwnas-nas-table',
      space: this.space.name,
      metrics: [...this.metrics],
      rows: [...this.rows].map(([arch, v]) => ({ arch, ...Object.fromEntries(this.metrics.map((m, i) => [m, v[i] as number])) })),
    };
  }
}

/** One metric of a table read from a named column (see {@link parseTableColumns}). */
export interface TableColumn {
  /** The metric's name (what `--objectives` refers to). */
  readonly metric: string;
  /** The table's column it is read from. */
  readonly column: string;
  /** The column holds a percentage in [0, 100], read as a fraction (value / 100). */
  readonly percent: boolean;
}

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Parses a column mapping `metric=column[%],...` (`hwnas nas --table-columns`): each metric is read from that column
 * of the table, a trailing `%` reads a percentage as a fraction, a bare `column` is `column=column`. ConfigError
 * naming the bad entry: an empty entry, a name that is not a column name, a metric given twice, or `arch`.
 */
export function parseTableColumns(spec: string, what = 'table column mapping'): TableColumn[] {
  const out: TableColumn[] = [];
  const expected =
    "expected comma-separated 'metric=column' entries, e.g. 'accuracy=acc_mean%,latency_ms=a76_fp32_ms' (a trailing % reads a percentage as a fraction)";
  for (const raw of spec.split(',')) {
    const e = raw.trim();
    const m = /^([^=]+?)\s*(?:=\s*([^=]*?))?$/.exec(e);
    const metric = m?.[1]?.trim() ?? '';
    let column = (m?.[2] ?? metric).trim();
    const percent = column.endsWith('%');
    if (percent) column = column.slice(0, -1).trim();
    if (!m || !COLUMN_NAME.test(metric) || !COLUMN_NAME.test(column)) throw new ConfigError(`${what} '${spec}': bad entry '${e}'; ${expected}`);
    if (metric === 'arch' || column === 'arch')
      throw new ConfigError(`${what} '${spec}': entry '${e}' maps the 'arch' column; the architecture is always read from 'arch', give metrics only`);
    if (out.some((c) => c.metric === metric)) throw new ConfigError(`${what} '${spec}': metric '${metric}' is given twice; expected each metric once`);
    out.push({ metric, column, percent });
  }
  return out;
}

/** The spelling of a mapping that {@link parseTableColumns} reads back (stored in a study's evaluator options). */
export function formatTableColumns(cols: readonly TableColumn[]): string {
  return cols.map((c) => `${c.metric}=${c.column}${c.percent ? '%' : ''}`).join(',');
}

/**
 * The value of a mapped column: a finite number, and with `percent` one in [0, 100], divided by 100 (ConfigError
 * naming the value, the column and what was expected).
 */
function mappedValue(raw: unknown, c: TableColumn, where: string): number {
  const v = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(v)) throw new ConfigError(`${where}: column '${c.column}' (metric '${c.metric}') is ${JSON.stringify(raw)}, expected a finite number`);
  if (!c.percent) return v;
  if (!(v >= 0 && v <= 100))
    throw new ConfigError(`${where}: column '${c.column}' (metric '${c.metric}', read as a percentage) is ${v}, expected a percentage in [0, 100]`);
  return v / 100;
}

/** The columns a mapping names that `available` lacks: a ConfigError naming the first and the available ones. */
function checkMappedColumns(src: string, cols: readonly TableColumn[], available: readonly string[]): void {
  for (const c of cols)
    if (!available.includes(c.column))
      throw new ConfigError(
        `${src}: no column '${c.column}' for metric '${c.metric}' of the column mapping '${formatTableColumns(cols)}' (columns: ${available.join(', ')})`,
      );
}

/**
 * Parses a table's text; `path` decides the format (`.csv` or JSON) and appears in errors. With `columns`, the metrics
 * are the mapping's, read from its columns (other columns ignored; see {@link parseTableColumns}).
 */
export function parseNasTable(text: string, path: string, space: ArchSpace, columns?: readonly TableColumn[]): NasTable {
  const src = `NAS table '${path}'`;
  if (columns !== undefined && columns.length === 0) throw new ConfigError(`${src}: the column mapping is empty; expected at least one 'metric=column'`);
  if (path.toLowerCase().endsWith('.csv')) {
    const lines = text
      .split(/\r?\n/)
      .map((l, i) => ({ l, n: i + 1 }))
      .filter(({ l }) => l.trim() !== '' && !l.startsWith('#'));
    const head = lines[0];
    if (!head) throw new ConfigError(`${src} is empty: expected a header 'arch,<metric>,...'`);
    const header = splitCsvLine(head.l).map((h) => h.trim());
    if (header[0] !== 'arch') throw new ConfigError(`${src}: the first header column is '${header[0] ?? ''}', expected 'arch'`);
    // with a mapping, each metric from its column; without, every column after 'arch' is a metric
    const metrics = columns ? columns.map((c) => c.metric) : header.slice(1);
    if (columns) checkMappedColumns(src, columns, header.slice(1));
    else if (metrics.length === 0) throw new ConfigError(`${src}: the header has no metric columns after 'arch'`);
    const at = columns ? columns.map((c) => header.indexOf(c.column)) : metrics.map((_, i) => i + 1);
    const t = new NasTable(space, metrics, src);
    for (const { l, n } of lines.slice(1)) {
      const c = splitCsvLine(l);
      if (c.length !== header.length) throw new ConfigError(`${src} line ${n}: ${c.length} columns, expected ${header.length} (${header.join(',')})`);
      const values = at.map((k, i) => {
        const x = c[k] as string;
        if (columns) return mappedValue(x, columns[i] as TableColumn, `${src} line ${n}`);
        const v = x.trim() === '' ? Number.NaN : Number(x);
        if (!Number.isFinite(v)) throw new ConfigError(`${src} line ${n}: metric '${metrics[i] ?? ''}' is '${x.trim()}', expected a finite number`);
        return v;
      });
      t.add((c[0] as string).trim(), values, ` line ${n}`);
    }
    return nonEmpty(t);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      `${src}: not valid JSON (${(e as Error).message}); expected {"format":"hwnas-nas-table","metrics":[...],"rows":[{"arch":...}]} or a CSV file`,
    );
  }
  const o = j as { format?: unknown; metrics?: unknown; rows?: unknown; space?: unknown };
  const rows = Array.isArray(j) ? (j as unknown[]) : Array.isArray(o?.rows) ? (o.rows as unknown[]) : null;
  if (!rows) throw new ConfigError(`${src}: expected {"format":"hwnas-nas-table","metrics":[...],"rows":[{"arch":...}]} or an array of rows`);
  if (!Array.isArray(j) && typeof o.space === 'string' && o.space !== space.name)
    throw new ConfigError(`${src}: the table is for space '${o.space}', not '${space.name}'`);
  const first = rows[0] as Record<string, unknown> | undefined;
  const metrics = Array.isArray(o?.metrics) ? (o.metrics as string[]) : first ? Object.keys(first).filter((k) => k !== 'arch') : [];
  if (columns) checkMappedColumns(src, columns, metrics);
  else if (metrics.length === 0) throw new ConfigError(`${src}: no metrics (give "metrics" or rows with fields besides "arch")`);
  const t = new NasTable(space, columns ? columns.map((c) => c.metric) : metrics, src);
  rows.forEach((r, i) => {
    const row = r as Record<string, unknown>;
    if (typeof row?.arch !== 'string') throw new ConfigError(`${src} row ${i}: expected an object with a string 'arch'`);
    t.add(row.arch, columns ? columns.map((c) => mappedValue(row[c.column], c, `${src} row ${i}`)) : (row as Record<string, number>), ` row ${i}`);
  });
  return nonEmpty(t);
}

/** The table, or a ConfigError when it has no rows (a search over it could only fail). */
function nonEmpty(t: NasTable): NasTable {
  if (t.size === 0) throw new ConfigError(`${t.source} has no architecture rows; expected at least one row after the header`);
  return t;
}

/** Reads a table file (.csv, else JSON); with `columns`, through that column mapping ({@link parseNasTable}). */
export function loadNasTable(path: string, space: ArchSpace, columns?: readonly TableColumn[]): NasTable {
  return parseNasTable(readTableText(path), path, space, columns);
}

function readTableText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`NAS table file '${path}' cannot be read`);
  }
}

/**
 * The column mapping a table is read with: `explicit` (parsed) when given; else the space's default mapping for its
 * published table (`spaceDefault`, e.g. NAS-Bench-Macro's) when the file is a CSV whose header has every column that
 * mapping names; else none (the plain format: every column after `arch` is a metric).
 */
export function resolveTableColumns(path: string, explicit: string | undefined, spaceDefault: string | undefined): TableColumn[] | undefined {
  if (explicit !== undefined) return parseTableColumns(explicit, '--table-columns');
  if (spaceDefault === undefined || !path.toLowerCase().endsWith('.csv')) return undefined;
  const head = readTableText(path)
    .split(/\r?\n/)
    .find((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = head === undefined ? [] : splitCsvLine(head).map((h) => h.trim());
  const cols = parseTableColumns(spaceDefault, 'default column mapping');
  return cols.every((c) => header.includes(c.column)) ? cols : undefined;
}

/** Writes a table as CSV (`.csv`) or JSON. */
export function saveNasTable(t: NasTable, path: string): void {
  writeFileSync(path, path.toLowerCase().endsWith('.csv') ? t.toCsv() : `${JSON.stringify(t.toJSON())}\n`);
}

/** Checks that the table has every objective's column (ConfigError naming the first missing one). */
export function checkTableObjectives(t: NasTable, objectives: readonly Objective[]): void {
  for (const o of objectives) t.column(o.name);
}

/** A latency constraint on table lookups: architectures whose `column` value is above `maxMs` are infeasible. */
export interface TableConstraint {
  /** The line, in the column's unit (ms). */
  readonly maxMs: number;
  /** The column compared with the line (default 'latency_ms'). */
  readonly column?: string;
}

/** Default column of a table's latency (what `--max-latency` compares). */
export const TABLE_LATENCY_COLUMN = 'latency_ms';

/** Checks a table constraint against a table (ConfigError naming the bad line or the missing column); returns the column index. */
export function checkTableConstraint(t: NasTable, c: TableConstraint): number {
  if (!(typeof c.maxMs === 'number' && Number.isFinite(c.maxMs) && c.maxMs > 0))
    throw new ConfigError(`latency line ${JSON.stringify(c.maxMs)}: expected a positive number of milliseconds`);
  const column = c.column ?? TABLE_LATENCY_COLUMN;
  if (!t.metrics.includes(column))
    throw new ConfigError(`${t.source}: a latency line (--max-latency ${c.maxMs}) needs a '${column}' column (columns: ${t.metrics.join(', ')})`);
  return t.column(column);
}

/**
 * An evaluator that looks the architecture up: values in objective order, plus the arch string as a
 * user attribute. An architecture absent from the table is an error (the trial fails). With a
 * `constraint`, every result carries the violation `latency - maxMs` (<= 0 feasible), as the training
 * evaluator's does, so the Pareto set, the hypervolume and the infeasible count leave slower trials out.
 */
export function tabularEvaluator(t: NasTable, objectives: readonly Objective[], constraint?: TableConstraint): Evaluator {
  checkTableObjectives(t, objectives);
  const names = objectives.map((o) => o.name);
  const col = constraint ? [constraint.column ?? TABLE_LATENCY_COLUMN] : [];
  if (constraint) checkTableConstraint(t, constraint);
  return async (params): Promise<EvaluationResult> => {
    const arch = t.space.format(t.space.fromParams(params));
    const values = t.values(arch, names);
    if (!constraint) return { values, userAttrs: { arch } };
    const latency = t.values(arch, col)[0] as number;
    return { values, constraints: [latency - constraint.maxMs], userAttrs: { arch } };
  };
}

/** Names of hardware-cost metrics: objectives a cost model, LUT or table gives without training (cost-aware search). */
export const COST_METRIC = /latency|energy|param|size|mac|flop|byte|area|power|memory|cycle/i;

/**
 * The table's hardware-cost objectives as cheap objectives (cost-aware search: a strategy may look them
 * up for any candidate without spending a query; accuracy stays the expensive one). Undefined when no
 * objective is a cost (by {@link COST_METRIC}, or `isCheap`). A candidate absent from the table gets NaN.
 */
export function tableCheapObjectives(
  t: NasTable,
  objectives: readonly Objective[],
  isCheap: (o: Objective) => boolean = (o) => COST_METRIC.test(o.name),
): CheapObjectives | undefined {
  checkTableObjectives(t, objectives);
  const indices = objectives.map((o, i) => (isCheap(o) ? i : -1)).filter((i) => i >= 0);
  if (indices.length === 0) return undefined;
  const names = indices.map((i) => (objectives[i] as Objective).name);
  return {
    indices,
    values(params) {
      const arch = t.space.format(t.space.fromParams(params));
      return t.has(arch) ? t.values(arch, names) : names.map(() => Number.NaN);
    },
  };
}

/**
 * A key of the computation a graph performs, ignoring node names: two graphs get the same key when
 * they apply the same operators (same attributes) to the same operands, with sums compared as
 * unordered multisets (nested `add` nodes flattened, so association and operand order do not matter),
 * and with the same sharing: one node used twice differs from two nodes computing the same term (two
 * separately weighted layers). Graphs equal up to renaming get equal keys; the key joins SHA-1 digests
 * of the canonical output terms and the multiplicity of every term computed by several nodes.
 */
export function computationKey(g: Graph): string {
  const byName = new Map<string, Node>(g.nodes.map((n) => [n.name, n]));
  const intern = new Map<string, number>();
  const idOf = new Map<string, number>();
  const id = (term: string): number => {
    let i = intern.get(term);
    if (i === undefined) {
      i = intern.size;
      intern.set(term, i);
    }
    return i;
  };
  // Operands of a sum, with nested sums flattened.
  const summands = (name: string): string[] => {
    const n = byName.get(name);
    if (n && n.op === 'add') return n.inputs.flatMap(summands);
    return [name];
  };
  const visit = (name: string): number => {
    const known = idOf.get(name);
    if (known !== undefined) return known;
    const n = byName.get(name);
    if (!n) throw new ConfigError(`computationKey: graph '${g.name}' has no node '${name}'`);
    let term: string;
    if (n.op === 'add') {
      term = `sum(${summands(name)
        .map(visit)
        .sort((a, b) => a - b)
        .join(',')})`;
    } else {
      const { name: _n, inputs, ...attrs } = n as Node & Record<string, unknown>;
      term = `${JSON.stringify(attrs)}(${inputs.map(visit).join(',')})`;
    }
    const i = id(term);
    idOf.set(name, i);
    return i;
  };
  const outs = g.outputs.map(visit);
  const terms = [...intern.keys()];
  // The interned ids follow the visiting order, which follows operand order; re-key the reachable terms canonically.
  const canon = new Map<number, string>();
  const canonOf = (i: number): string => {
    const c = canon.get(i);
    if (c !== undefined) return c;
    const t = terms[i] as string;
    const m = /^(.*)\(([\d,]*)\)$/s.exec(t) as RegExpExecArray;
    const head = m[1] as string;
    const args = (m[2] as string) === '' ? [] : (m[2] as string).split(',').map((x) => canonOf(Number(x)));
    if (head === 'sum') args.sort();
    // A digest, not the expanded term: the term of a deep network is a tree exponentially larger than its DAG.
    const r = sha1Base64(`${head}(${args.join(',')})`);
    canon.set(i, r);
    return r;
  };
  // Sharing: a term computed by several distinct nodes (e.g. two separately weighted convs of x) differs
  // from one node used twice; record how many nodes compute each term that more than one node computes.
  const nodesPerTerm = new Map<number, number>();
  for (const i of idOf.values()) nodesPerTerm.set(i, (nodesPerTerm.get(i) ?? 0) + 1);
  const shared = [...nodesPerTerm]
    .filter(([, n]) => n > 1)
    .map(([i, n]) => `${n}x${canonOf(i)}`)
    .sort();
  return [outs.map(canonOf).join(';'), ...shared].join('|');
}

/**
 * SHA-1 of a string, base64: Node's one-shot `crypto.hash` where it exists (Node >= 20.12; ~7x less CPU than a
 * `createHash` object per term, and {@link computationKey} hashes every term of every graph it keys), else `createHash`.
 * The same digest either way.
 */
const sha1Base64: (s: string) => string =
  typeof nodeCrypto.hash === 'function' ? (s) => nodeCrypto.hash('sha1', s, 'base64') : (s) => nodeCrypto.createHash('sha1').update(s).digest('base64');

/** Isomorphism classes of NB201 cells: which class each cell is in and one representative per class. */
export interface Nb201Classes {
  /** All 15,625 cells in {@link enumerateNb201} order. */
  readonly cells: readonly Nb201Cell[];
  /** Class index of each cell. */
  readonly classOf: Int32Array;
  /** Cell index of each class's representative (its first cell in enumeration order). */
  readonly reps: readonly number[];
  /** Number of cells in each class. */
  readonly sizes: readonly number[];
}

/**
 * Groups the NB201 cells that compute the same function (dead edges, edges into nodes that do not
 * reach the output, the order of the two middle nodes when no edge joins them, identity chains...):
 * cells with equal {@link computationKey} of a one-cell network. Same-class cells have the same
 * network graph up to node names, so the same cost on every target and the same accuracy in
 * expectation; a tabular benchmark should train one cell per class. 6,040 classes: fewer than NB201's
 * own 6,466 (`nb201IsomorphismKey`), whose hash keeps zero summands and so splits e.g. swapped middle
 * nodes joined by a `none` edge, while it merges one conv used twice with two convs (docs/search-strategies.md).
 */
export function nb201Classes(): Nb201Classes {
  const classOf = nb201ComputationClasses();
  return groupCells(enumerateNb201(), (_, i) => String(classOf[i]));
}

/**
 * {@link nb201Classes} computed from the graphs: each cell's {@link computationKey} of its class graph
 * (`NB201_CLASS_GRAPH`; 15,625 graphs, seconds of CPU). `nb201Classes` reads the same partition from the committed
 * `src/search/spaces/nb201-classes.ts`, which `scripts/gen-nb201-classes.mjs` writes from this function; a test
 * checks that the two are equal cell for cell.
 */
export function nb201ClassesFromGraphs(): Nb201Classes {
  const keys = enumerateNb201().map((c) => computationKey(nb201Graph(c, NB201_CLASS_GRAPH)));
  return groupCells(enumerateNb201(), (_, i) => keys[i] as string);
}

/** Partitions `cells` by `key` (equal keys, one class), classes numbered in order of first appearance. */
function groupCells(cells: readonly Nb201Cell[], key: (c: Nb201Cell, i: number) => string): Nb201Classes {
  const keyClass = new Map<string, number>();
  const classOf = new Int32Array(cells.length);
  const reps: number[] = [];
  const sizes: number[] = [];
  cells.forEach((c, i) => {
    const k = key(c, i);
    let cl = keyClass.get(k);
    if (cl === undefined) {
      cl = reps.length;
      keyClass.set(k, cl);
      reps.push(i);
      sizes.push(0);
    }
    classOf[i] = cl;
    sizes[cl] = (sizes[cl] as number) + 1;
  });
  return { cells, classOf, reps, sizes };
}

/**
 * The classes of NB201 cells the repeat filter ({@link distinctComputations}) treats as repeats of each
 * other: same {@link computationKey} (the exact computation, {@link nb201Classes}: 6,040 classes) and
 * same NB201 isomorphism string (`nb201IsomorphismKey`, NB201's own hash: 6,466 classes, the unit in
 * which NB201-derived tables store measurements). Neither partition refines the other; this is their
 * common refinement (7,837 classes).
 */
export function nb201RepeatClasses(): Nb201Classes {
  const computation = nb201Classes();
  return groupCells(computation.cells, (c, i) => `${computation.classOf[i]}|${nb201IsomorphismKey(c)}`);
}

/** Canonical architecture string of an NB201 cell's class (its representative), from {@link nb201Classes}. */
export function nb201CanonicalArch(classes: Nb201Classes, cellIndex: number): string {
  const cl = classes.classOf[cellIndex];
  if (cl === undefined) throw new ConfigError(`NB201 cell index ${cellIndex}: expected 0..${classes.cells.length - 1}`);
  return formatNb201(classes.cells[classes.reps[cl] as number] as Nb201Cell);
}

/**
 * {@link computationClassKey}'s function per space object: one object, so that what is keyed by it (a TPE's class
 * index for `classMix`) is reused by every run on the space; the keys are the same either way.
 */
const CLASS_KEYS = new WeakMap<ArchSpace, (p: Params) => string>();

/**
 * The computation class of a point of `space`, as the repeat filter ({@link distinctComputations}) sees it: the
 * space's own `classKey` when it has one; otherwise the {@link computationKey} of its graph, joined with the space's
 * `isomorphismKey` (NB201, NAS-Bench-Macro) and, on a joint space, the precision of every layer. Memoised per
 * architecture string; one function per space object (a second call returns the first's).
 */
export function computationClassKey(space: ArchSpace): (p: Params) => string {
  const made = CLASS_KEYS.get(space);
  if (made) return made;
  const memo = new Map<string, string>();
  const keyOf = (p: Params): string => {
    const a = space.fromParams(p);
    const s = space.format(a);
    let k = memo.get(s);
    if (k === undefined) {
      if (space.classKey) k = space.classKey(a);
      else {
        // the smaller class graph where the space has one, unless the policy needs the network itself
        const g = space.policy || !space.classGraph ? space.graph(a) : space.classGraph(a);
        k = computationKey(g);
        if (space.isomorphismKey) k = `${k}|${space.isomorphismKey(a)}`;
        // A joint space's graph carries no precision: the same architecture at other bits is another computation.
        if (space.policy) {
          const pol = space.policy(a, g);
          const layers = Object.entries(pol.layers).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
          k = `${k}|${JSON.stringify([pol.default, layers])}`;
        }
      }
      memo.set(s, k);
    }
    return k;
  };
  CLASS_KEYS.set(space, keyOf);
  return keyOf;
}

/**
 * Wraps a strategy so that it does not spend queries on computations already queried: while a proposal
 * has the {@link computationKey} of an earlier trial's architecture (the same cell string, or an
 * isomorphic one) and, on a space with an `isomorphismKey` (NB201), the same class under the published
 * benchmarks' own convention (so a cell that such a table measured or trained separately stays
 * reachable; see {@link nb201RepeatClasses}) and, on a joint space, the same precision of every layer, it asks again (the inner strategy draws fresh randomness from the same `ctx.rng`),
 * at most `maxTries` times, then accepts the last proposal. State is rebuilt from history (keys are
 * memoised per architecture string, and the set of seen keys per history prefix, so an ask costs what
 * is new in the history), so runs stay resumable and same-seed runs identical.
 */
export function distinctComputations(inner: SearchStrategy, space: ArchSpace, maxTries = 30): SearchStrategy {
  if (!Number.isInteger(maxTries) || maxTries < 1) throw new ConfigError(`distinctComputations maxTries ${maxTries}: expected an integer >= 1`);
  const keyOf = computationClassKey(space);
  // Keys of the history prefix already read: a trial's params never change, so each trial is keyed
  // once; a history that does not extend the one read (another study, a rewind) starts over.
  let seen = new Set<string>();
  let read = 0;
  let first = '';
  let last = '';
  const mark = (t: Trial | undefined): string => (t ? `${t.number}|${t.startedAt}|${keyOf(t.params)}` : '');
  return {
    name: inner.name,
    async ask(ctx: AskContext): Promise<Params> {
      const h = ctx.history;
      if (h.length < read || mark(h[0]) !== first || mark(h[read - 1]) !== last) {
        seen = new Set();
        read = 0;
        first = mark(h[0]);
      }
      for (; read < h.length; read++) seen.add(keyOf((h[read] as Trial).params));
      last = mark(h[read - 1]);
      // the inner strategy sees the class key (AskContext.classOf): it may model and pick classes itself
      const c: AskContext = { ...ctx, classOf: keyOf };
      let p = await inner.ask(c);
      for (let k = 1; k < maxTries && seen.has(keyOf(p)); k++) p = await inner.ask(c);
      return p;
    },
    ...(inner.tell ? { tell: inner.tell.bind(inner) } : {}),
    ...(inner.status ? { status: inner.status.bind(inner) } : {}),
    // the keys seen are those of every trial proposed before, running or not: it adds no dependence on timing
    get timingFree() {
      return inner.timingFree === true;
    },
  };
}
