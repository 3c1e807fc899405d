/**
 * The rows of an NB201 CSV of bench/data (bench/data/nb201-hw360.csv, nb201-c10-in16.csv, ...) and of its cost file, as
 * `loadHw360Table` (bench/compare-optuna.ts) reads them: every check that does not depend on the problem's columns done
 * once per file content. The blind-set draws (bench/table2x.ts) load these 15,625-row files once per candidate problem,
 * each time for other columns; the rows, their cells and the numbers of a column are kept here per (path, cost path)
 * with the texts they were read from. Each call reads both files again and reuses the kept rows only when both texts are
 * the same: a changed file is parsed anew, never answered from a stale parse.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../src/errors.js';
import { formatNb201, NB201_OPS, type Nb201Op } from '../src/search/spaces/nb201.js';
import { parseCommentedCsv } from './commented-csv.js';

/** One checked row: its cell digits, its NB201 architecture string, its record and its cost file's record (or its own). */
export interface Hw360Row {
  readonly cell: string;
  readonly arch: string;
  readonly row: Readonly<Record<string, string>>;
  readonly costRow: Readonly<Record<string, string>>;
}

/** The checked rows of a file (and its cost file), in file order. */
export interface Hw360Rows {
  /** The rows before the first bad one (all of them when none is bad). */
  readonly rows: readonly Hw360Row[];
  /** The error of the first bad row (at index `rows.length`), for the caller to throw after reading the rows before it. */
  readonly bad?: () => Error;
  /**
   * A column's numbers for `rows`, from the row (`cost` false) or from the cost row (`cost` true): an empty or missing
   * field is NaN (a missing measurement, not 0), anything else `Number(field)`.
   */
  column(name: string, cost: boolean): Float64Array;
}

interface Kept {
  readonly text: string;
  readonly costText: string | undefined;
  readonly rows: Hw360Rows;
}

/** The last few files' rows, keyed by path and cost path; least recently used first. */
const KEPT = new Map<string, Kept>();
const KEPT_MAX = 8;

/**
 * The checked rows of `path` joined with `costPath` (optional; rows matched by `nb201_index`, cells equal), read now.
 * Errors as `loadHw360Table` gives them, in its order: a bad file or a repeated cost row throws here; a bad row is
 * returned as {@link Hw360Rows.bad} for the caller to throw after the rows before it.
 */
export function hw360Rows(path: string, costPath: string | undefined): Hw360Rows {
  const key = `${path}\0${costPath ?? ''}`;
  const text = readFileSync(path, 'utf8');
  const hit = KEPT.get(key);
  if (hit !== undefined && hit.text === text) {
    const costText = costPath === undefined ? undefined : readFileSync(costPath, 'utf8');
    if (hit.costText === costText) {
      KEPT.delete(key);
      KEPT.set(key, hit);
      return hit.rows;
    }
    return keep(key, text, costText, build(path, text, costPath, costText));
  }
  const csv = parseCommentedCsv(text, path);
  const costText = costPath === undefined ? undefined : readFileSync(costPath, 'utf8');
  return keep(key, text, costText, build(path, text, costPath, costText, csv));
}

function keep(key: string, text: string, costText: string | undefined, rows: Hw360Rows): Hw360Rows {
  KEPT.delete(key);
  KEPT.set(key, { text, costText, rows });
  if (KEPT.size > KEPT_MAX) KEPT.delete(KEPT.keys().next().value as string);
  return rows;
}

function build(path: string, text: string, costPath: string | undefined, costText: string | undefined, csv = parseCommentedCsv(text, path)): Hw360Rows {
  const costRows = new Map<string, Readonly<Record<string, string>>>();
  if (costPath !== undefined) {
    for (const r of parseCommentedCsv(costText as string, costPath).rows) {
      if (costRows.has(r.nb201_index as string)) throw new ConfigError(`${costPath}: NB201 index ${r.nb201_index} appears twice; expected one row per index`);
      costRows.set(r.nb201_index as string, r);
    }
  }
  const rows: Hw360Row[] = [];
  let bad: (() => Error) | undefined;
  const seen = new Set<string>();
  for (const r of csv.rows) {
    const cell = r.cell ?? '';
    if (!/^[0-4]{6}$/.test(cell)) {
      bad = () => new Error(`${path}: cell '${cell}' of NB201 index ${r.nb201_index}: expected 6 op indices 0-4`);
      break;
    }
    if (seen.has(r.nb201_index as string)) {
      bad = () => new Error(`${path}: NB201 index ${r.nb201_index} appears twice; expected one row per index`);
      break;
    }
    seen.add(r.nb201_index as string);
    let cr = r;
    if (costPath !== undefined) {
      const c = costRows.get(r.nb201_index as string);
      if (c === undefined) {
        bad = () => new ConfigError(`${costPath}: no row for NB201 index ${r.nb201_index}; expected one for every index of ${path}`);
        break;
      }
      if (c.cell !== cell) {
        bad = () => new ConfigError(`${costPath}: NB201 index ${r.nb201_index} has cell '${c.cell}'; expected '${cell}' as in ${path}`);
        break;
      }
      cr = c;
    }
    rows.push({ cell, arch: formatNb201([...cell].map((d) => NB201_OPS[Number(d)] as Nb201Op)), row: r, costRow: cr });
  }
  const columns = new Map<string, Float64Array>();
  return {
    rows,
    ...(bad === undefined ? {} : { bad }),
    column(name: string, cost: boolean): Float64Array {
      const k = `${cost ? 'cost' : 'row'}:${name}`;
      let col = columns.get(k);
      if (col === undefined) {
        col = new Float64Array(rows.length);
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i] as Hw360Row;
          const v = (cost ? row.costRow : row.row)[name];
          col[i] = v === undefined || v.trim() === '' ? Number.NaN : Number(v);
        }
        columns.set(k, col);
      }
      return col;
    },
  };
}
