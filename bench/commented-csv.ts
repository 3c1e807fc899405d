/** The `#`-commented CSV format of bench/data (sources and notes in `# ` lines above one header line). */

/** A `#`-commented CSV: `# source: ` lines, a header, rows as records of strings. */
export interface CommentedCsv {
  readonly sources: readonly string[];
  readonly rows: readonly Readonly<Record<string, string>>[];
}

/** Parse a data file of bench/data: `# source: ` / `# note: ` lines, one header line, rows of the same width. */
export function parseCommentedCsv(text: string, what: string): CommentedCsv {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const sources = lines.filter((l) => l.startsWith('# source: ')).map((l) => l.slice('# source: '.length));
  const body = lines.filter((l) => !l.startsWith('#'));
  const header = (body[0] ?? '').split(',');
  const rows = body.slice(1).map((line) => {
    const cells = line.split(',');
    if (cells.length !== header.length) throw new Error(`${what}: expected ${header.length} cells, got ${cells.length}: ${line}`);
    return Object.fromEntries(header.map((h, i) => [h, cells[i] as string]));
  });
  if (rows.length === 0) throw new Error(`${what}: no rows`);
  return { sources, rows };
}
