/** The `#`-commented CSV format of bench/data (sources and notes in `# ` lines above one header line). */

/** A `#`-commented CSV: `# source: ` lines, a header, rows as records of strings. */
export interface CommentedCsv {
  readonly sources: readonly string[];
  readonly rows: readonly Readonly<Record<string, string>>[];
}

/**
 * The last few parses, keyed by `what` and holding the text they were parsed from: the blind-set draws (bench/table2x.ts)
 * load the same committed file once per candidate problem. A hit needs the same `what` and the same text; the result is
 * frozen (rows and all), so no caller can change what a later caller gets. Least recently used first.
 */
const PARSED = new Map<string, { readonly text: string; readonly csv: CommentedCsv }>();
const PARSED_MAX = 6;

/**
 * Parse a data file of bench/data: `# source: ` / `# note: ` lines, one header line, rows of the same width. The result
 * is frozen and may be shared with an earlier call on the same text (see {@link PARSED}).
 */
export function parseCommentedCsv(text: string, what: string): CommentedCsv {
  const hit = PARSED.get(what);
  if (hit !== undefined && hit.text === text) {
    PARSED.delete(what);
    PARSED.set(what, hit);
    return hit.csv;
  }
  const csv = parse(text, what);
  PARSED.delete(what);
  PARSED.set(what, { text, csv });
  if (PARSED.size > PARSED_MAX) PARSED.delete(PARSED.keys().next().value as string);
  return csv;
}

function parse(text: string, what: string): CommentedCsv {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const sources = lines.filter((l) => l.startsWith('# source: ')).map((l) => l.slice('# source: '.length));
  const body = lines.filter((l) => !l.startsWith('#'));
  const header = (body[0] ?? '').split(',');
  const rows = body.slice(1).map((line) => {
    const cells = line.split(',');
    if (cells.length !== header.length) throw new Error(`${what}: expected ${header.length} cells, got ${cells.length}: ${line}`);
    return Object.freeze(Object.fromEntries(header.map((h, i) => [h, cells[i] as string])));
  });
  if (rows.length === 0) throw new Error(`${what}: no rows`);
  return Object.freeze({ sources: Object.freeze(sources), rows: Object.freeze(rows) });
}
