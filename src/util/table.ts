/**
 * Plain-text tables (CLI output, the complexity report): fixed-width columns, numbers right-aligned.
 */

/** A column of {@link formatTable}. */
export interface TableColumn<R> {
  /** Field of the row to show (ignored when `value` is given). */
  readonly key?: keyof R & string;
  readonly header: string;
  /** Computed cell text (default: the field, numbers via {@link formatNumber}). */
  readonly value?: (row: R) => string | number | undefined;
  /** Default: right for numbers, left otherwise. */
  readonly align?: 'left' | 'right';
}

/** A number for a table cell: integers with thousands separators, others to 4 significant digits; NaN as '-'. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '-' : String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
  return v
    .toPrecision(4)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/**
 * A quantity in a report's totals, in one style at every magnitude: from 1,000 up rounded to an integer with thousands
 * separators (12,080; 5,866,000), below it 4 significant digits in plain decimals (851.2, 4.101, 0.0651, 0.0003806;
 * an exponent only below 1e-6); NaN as '-'.
 */
export function formatQuantity(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '-' : String(v);
  if (v === 0) return '0';
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(v))));
  if (Math.abs(v) >= 1000 || Math.abs(Number(v.toFixed(digits))) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (digits > 9) return v.toExponential(3);
  return v
    .toFixed(digits)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/**
 * Format rows as a text table with a header and a separator line.
 * @example formatTable([{ a: 1, b: 'x' }], [{ key: 'a', header: 'A' }, { key: 'b', header: 'B' }])
 */
export function formatTable<R>(rows: readonly R[], columns: readonly TableColumn<R>[]): string {
  const cells = rows.map((r) =>
    columns.map((c) => {
      const v = c.value ? c.value(r) : c.key !== undefined ? (r[c.key] as unknown) : undefined;
      if (typeof v === 'number') return { text: formatNumber(v), num: true };
      return { text: v === undefined || v === null ? '' : String(v), num: false };
    }),
  );
  const widths = columns.map((c, j) => Math.max(c.header.length, ...cells.map((r) => (r[j] as { text: string }).text.length)));
  const alignOf = (j: number, num: boolean): 'left' | 'right' => columns[j]?.align ?? (num ? 'right' : 'left');
  const pad = (s: string, w: number, a: 'left' | 'right'): string => (a === 'right' ? s.padStart(w) : s.padEnd(w));
  const numericCol = columns.map((_, j) => cells.length > 0 && cells.every((r) => (r[j] as { num: boolean }).num || (r[j] as { text: string }).text === ''));
  const head = columns.map((c, j) => pad(c.header, widths[j] as number, alignOf(j, numericCol[j] as boolean))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  const body = cells.map((r) => r.map((c, j) => pad(c.text, widths[j] as number, alignOf(j, c.num))).join('  '));
  return [head.trimEnd(), sep, ...body.map((l) => l.trimEnd())].join('\n');
}
