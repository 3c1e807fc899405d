/**
 * Extra hardware columns for the frozen tables of bench/data (issue 18, session 39, table16): hwnas cost targets that no
 * search had been paired with on NAS-Bench-Macro and TransNAS-Bench-101 micro (jetson-nano, myriad-x, a100,
 * bitfusion-edge, bismo-cloud). {@link appendHwColumns} appends them to a table's CSV text and leaves every existing
 * byte of each line in place (new `# note:` line before the column header; each header and row line gets `,` and the
 * new values at its end), so no earlier column, and no earlier figure, changes.
 */
import { ConfigError } from '../src/errors.js';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import type { Graph } from '../src/ir/types.js';

/** One cost column: its name, the target (at its default precision) and which figure of the network cost. */
export interface HwColumn {
  readonly column: string;
  readonly target: string;
  readonly figure: 'latency' | 'energy';
}

/**
 * The columns added in session 39 (table16), the same on both tables: each target at its default precision (fp32 on the
 * roofline devices, w8a8 on the two bit-level accelerators), batch 1.
 */
export const HW_COLUMNS_S39: readonly HwColumn[] = [
  { column: 'jetson_fp32_ms', target: 'jetson-nano', figure: 'latency' },
  // computed before session 51, when myriad-x charged the policy's bits for traffic (now `storage=packed`); the default
  // `storage=execution` charges what the device runs (FP16), 0.08% lower on these rows
  { column: 'myriadx_fp32_ms', target: 'myriad-x?storage=packed', figure: 'latency' },
  { column: 'a100_fp32_ms', target: 'a100', figure: 'latency' },
  { column: 'bitfusion_ms', target: 'bitfusion-edge', figure: 'latency' },
  { column: 'bitfusion_mj', target: 'bitfusion-edge', figure: 'energy' },
  { column: 'bismo_ms', target: 'bismo-cloud', figure: 'latency' },
  { column: 'bismo_mj', target: 'bismo-cloud', figure: 'energy' },
];

/** The `# note:` line {@link appendHwColumns} writes (what the columns are and how they were made). */
export function hwColumnsNote(columns: readonly HwColumn[], command: string): string {
  const what = columns.map((c) => `${c.column} = target ${c.target} ${c.figure === 'latency' ? 'latency (ms)' : 'energy (mJ)'}`).join(', ');
  return `# note: session 39 (issue 18, table16): columns ${columns.map((c) => c.column).join(', ')} appended by \`${command}\` (each row's class graph, each target's default precision: fp32 on jetson-nano / myriad-x / a100, w8a8 on bitfusion-edge / bismo-cloud; batch 1): ${what}; computed with targets/*.json as of commit fe9c674 (unchanged by the commit that added them); the columns before them are byte for byte those of the earlier file`;
}

/**
 * Appends `columns` to a `#`-commented CSV text. `keyColumn` names the column whose value identifies the network (the
 * class: equal keys get equal figures, computed once); `graphOf` builds its IR graph. A header that already has one of the
 * columns, a missing key column, or a row of the wrong width is a ConfigError naming it. An empty `note` writes no note
 * line (a caller whose own header says what the columns are).
 */
export function appendHwColumns(
  text: string,
  columns: readonly HwColumn[],
  keyColumn: string,
  graphOf: (key: string) => Graph,
  note: string,
  what = 'csv',
): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const hi = lines.findIndex((l) => !l.startsWith('#'));
  if (hi < 0) throw new ConfigError(`${what}: no header line; expected '#' comment lines, then a header`);
  const header = (lines[hi] as string).split(',');
  const ki = header.indexOf(keyColumn);
  if (ki < 0) throw new ConfigError(`${what}: no column '${keyColumn}'; expected it in the header ${lines[hi]}`);
  for (const c of columns) if (header.includes(c.column)) throw new ConfigError(`${what}: column '${c.column}' is already there; expected a table without it`);
  const targets = new Map(columns.map((c) => [c.target, getTarget(c.target)]));
  const cache = new Map<string, string>();
  const out = [...lines.slice(0, hi), ...(note === '' ? [] : [note]), `${lines[hi]},${columns.map((c) => c.column).join(',')}`];
  for (const line of lines.slice(hi + 1)) {
    const cells = line.split(',');
    if (cells.length !== header.length) throw new ConfigError(`${what}: row '${line}' has ${cells.length} cells; expected ${header.length}`);
    const key = cells[ki] as string;
    let add = cache.get(key);
    if (add === undefined) {
      const g = graphOf(key);
      const costs = new Map<string, { latencyMs: number; energyMj: number }>();
      add = columns
        .map((c) => {
          let nc = costs.get(c.target);
          if (!nc) {
            const tg = targets.get(c.target) as ReturnType<typeof getTarget>;
            nc = tg.networkCost(g, defaultPolicy(tg));
            costs.set(c.target, nc);
          }
          const v = c.figure === 'latency' ? nc.latencyMs : nc.energyMj;
          if (!(Number.isFinite(v) && v > 0)) throw new ConfigError(`${what}: ${c.column} of '${key}' is ${v}; expected a finite cost > 0`);
          return v.toFixed(5);
        })
        .join(',');
      cache.set(key, add);
    }
    out.push(`${line},${add}`);
  }
  return `${out.join('\n')}\n`;
}
