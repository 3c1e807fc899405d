/**
 * hwnas cost columns for the 15,625 NAS-Bench-201 cells (issue 18, session 40, table17): until now the NB201 tables
 * (bench/data/nb201-c10-in16.csv, bench/data/nb201-hw360.csv) were paired only with latencies and energy MEASURED by
 * HW-NAS-Bench-360 on a Raspberry Pi 5 and a Pixel; no hwnas cost model was ever paired with NB201's accuracies. This
 * file builds a NEW table, bench/data/nb201-hwnas-cost.csv (the existing NB201 CSVs are not touched), keyed by
 * `nb201_index` and `cell` (the same two first columns as the existing files), with the cost of NB201's own network
 * (src/search/spaces/nb201.ts `nb201Graph`: stem conv 3x3-16, 3 stages x 5 cells, C = 16 / 32 / 64, residual reduction
 * blocks) on hwnas targets, each at its default precision, batch 1, for the networks of three tasks
 * ({@link NB201_COST_NETS}): CIFAR-10 (3x32x32 input, 10 classes), CIFAR-100 (3x32x32, 100 classes) and ImageNet16-120
 * (3x16x16, 120 classes). A problem pairs an accuracy column of the existing files with the column of its own task's
 * network.
 *
 * Build: `node dist/bench/nb201-hwnas-cost.js build bench/data/nb201-c10-in16.csv > bench/data/nb201-hwnas-cost.csv`
 * (the first file gives the index -> cell map; the figures are computed from the graph of each cell's computation class
 * representative, {@link nb201ClassRepresentatives}).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { nb201Classes } from '../src/nas/tabular.js';
import { NB201_OPS, nb201Graph } from '../src/search/spaces/nb201.js';
import { parseCommentedCsv } from './commented-csv.js';
import { appendHwColumns, type HwColumn } from './hw-columns.js';

/** The networks the columns are computed for: NB201's skeleton at each task's input size and classifier width. */
export const NB201_COST_NETS = {
  c10: { inputSize: 32, classes: 10, what: 'CIFAR-10 network (3x32x32 input, 10 classes)' },
  c100: { inputSize: 32, classes: 100, what: 'CIFAR-100 network (3x32x32 input, 100 classes)' },
  in16: { inputSize: 16, classes: 120, what: 'ImageNet16-120 network (3x16x16 input, 120 classes)' },
} as const;
export type Nb201CostNet = keyof typeof NB201_COST_NETS;

/** The targets of the table (column suffix, target, figure); each network gets all of them (`<net>_<suffix>`). */
export const NB201_COST_TARGETS: readonly HwColumn[] = [
  { column: 'eyeriss_ms', target: 'systolic', figure: 'latency' },
  { column: 'eyeriss_mj', target: 'systolic', figure: 'energy' },
  { column: 'edgetpu_int8_ms', target: 'edge-tpu', figure: 'latency' },
  // computed before session 51, when myriad-x charged the policy's bits for traffic (now `storage=packed`); the default
  // `storage=execution` charges what the device runs (FP16), 0.08% lower on these rows
  { column: 'myriadx_fp32_ms', target: 'myriad-x?storage=packed', figure: 'latency' },
  { column: 'jetson_fp32_ms', target: 'jetson-nano', figure: 'latency' },
  { column: 'a100_fp32_ms', target: 'a100', figure: 'latency' },
  { column: 'a76_fp32_ms', target: 'cortex-a76', figure: 'latency' },
  { column: 'bitfusion_ms', target: 'bitfusion-edge', figure: 'latency' },
  { column: 'bitfusion_mj', target: 'bitfusion-edge', figure: 'energy' },
  { column: 'bismo_ms', target: 'bismo-cloud', figure: 'latency' },
  { column: 'bismo_mj', target: 'bismo-cloud', figure: 'energy' },
];

/** The columns of one network: `<net>_<suffix>` for each of {@link NB201_COST_TARGETS}. */
export function nb201CostColumns(net: Nb201CostNet): HwColumn[] {
  return NB201_COST_TARGETS.map((c) => ({ ...c, column: `${net}_${c.column}` }));
}

/** The command that builds the table. */
export const NB201_COST_COMMAND = 'node dist/bench/nb201-hwnas-cost.js build bench/data/nb201-c10-in16.csv';

/** The cell (NB201 string) of a `cell` field: 6 op indices 0-4 (none, skip, conv 1x1, conv 3x3, avg pool 3x3). */
export function nb201CellOps(cell: string, what = 'cell'): (typeof NB201_OPS)[number][] {
  if (!/^[0-4]{6}$/.test(cell)) throw new ConfigError(`${what} '${cell}': expected 6 op indices 0-4 (edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3)`);
  return [...cell].map((d) => NB201_OPS[Number(d)] as (typeof NB201_OPS)[number]);
}

/**
 * Each cell's computation class representative (`nb201Classes`: cells that compute the same network; the first cell of
 * the class in enumeration order), both as `cell` fields. A class's graphs list the same layers in other orders, so
 * their float sums can differ in the last bits; the table gives every cell of a class its representative's figures, so
 * equal computations have equal costs exactly.
 */
export function nb201ClassRepresentatives(): Map<string, string> {
  const cc = nb201Classes();
  const field = (c: readonly string[]): string => c.map((o) => NB201_OPS.indexOf(o as (typeof NB201_OPS)[number])).join('');
  return new Map(cc.cells.map((c, i) => [field(c), field(cc.cells[cc.reps[cc.classOf[i] as number] as number] as readonly string[])]));
}

/**
 * The CSV text of the table from an existing NB201 CSV (its `nb201_index` and `cell` columns; 15,625 rows): a `#` header
 * (what, command, commit), then `nb201_index,cell` and every network's columns.
 */
export function buildNb201CostCsv(sourceText: string, source: string, commit: string): string {
  const csv = parseCommentedCsv(sourceText, source);
  const seen = new Set<string>();
  const base: string[] = [];
  for (const r of csv.rows) {
    const idx = r.nb201_index ?? '';
    const cell = r.cell ?? '';
    if (!/^\d+$/.test(idx)) throw new ConfigError(`${source}: nb201_index '${idx}': expected an integer`);
    nb201CellOps(cell, `${source}: cell of NB201 index ${idx}`);
    if (seen.has(idx)) throw new ConfigError(`${source}: NB201 index ${idx} appears twice; expected one row per index`);
    seen.add(idx);
    base.push(`${idx},${cell}`);
  }
  if (base.length !== 15625) throw new ConfigError(`${source}: ${base.length} rows; expected all 15625 NB201 cells`);
  const header = [
    '# hwnas cost columns for the 15,625 NAS-Bench-201 cells (issue 18, session 40, table17): the cost of NB201 network of each cell (src/search/spaces/nb201.ts nb201Graph: stem conv 3x3-16 + BN, 3 stages x 5 cells, C = 16 / 32 / 64, residual reduction blocks, BN-ReLU, global average pool, classifier) computed by hwnas cost models, each target at its default precision (fp32 on the roofline devices but the int8-only edge-tpu, w8a8 on bitfusion-edge / bismo-cloud, the systolic preset), batch 1',
    `# note: columns <net>_<target>: net c10 = ${NB201_COST_NETS.c10.what}, c100 = ${NB201_COST_NETS.c100.what}, in16 = ${NB201_COST_NETS.in16.what}; targets ${NB201_COST_TARGETS.map((c) => `${c.column} = ${c.target} ${c.figure === 'latency' ? 'latency (ms)' : 'energy (mJ)'}`).join(', ')} (eyeriss = targets/systolic.json, the Eyeriss-like preset)`,
    `# note: built by \`${NB201_COST_COMMAND}\` with targets/*.json and src/ of commit ${commit}; each cell has the figures of its computation class's representative (src/nas/tabular.ts nb201Classes: 6,040 classes of cells that compute the same network); nb201_index and cell (op indices of edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3: none 0, skip_connect 1, nor_conv_1x1 2, nor_conv_3x3 3, avg_pool_3x3 4) as in ${source}; figures rounded to 5 decimals`,
    'nb201_index,cell',
  ];
  let text = `${[...header, ...base].join('\n')}\n`;
  const rep = nb201ClassRepresentatives();
  for (const net of Object.keys(NB201_COST_NETS) as Nb201CostNet[]) {
    const n = NB201_COST_NETS[net];
    const cols = nb201CostColumns(net);
    text = appendHwColumns(
      text,
      cols,
      'cell',
      (cell) => nb201Graph(nb201CellOps(rep.get(cell) ?? cell), { inputSize: n.inputSize, classes: n.classes }),
      '',
      source,
    );
  }
  return text;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [cmd, file, commit] = process.argv.slice(2);
  if (cmd !== 'build' || !file) {
    console.error('usage: node dist/bench/nb201-hwnas-cost.js build bench/data/nb201-c10-in16.csv [commit]');
    process.exit(2);
  }
  process.stdout.write(buildNb201CostCsv(readFileSync(file, 'utf8'), file, commit ?? 'unknown'));
}
