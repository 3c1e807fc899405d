/**
 * TransNAS-Bench-101's macro (layer-sequence) space (Duan et al., CVPR 2021) as an hwnas architecture space and a table
 * for bench/compare-optuna.ts (issue 18, session 42, table19: a new table family, unseen).
 *
 * The space: the benchmark's encoder `64-<macro>-basic` (its MacroNet): the stem of the micro space (bench/transnas-micro.ts
 * {@link tnbStem}: 3x256x256 -> 64 channels at 1/4 resolution), then 4-6 layers of two ResNet basic blocks each. A layer
 * is a digit: `1` keeps the shape, `2` doubles the channels, `3` halves the resolution (stride 2), `4` both. A basic block
 * is ReLU-conv3x3-BN (the layer's stride on the first block), ReLU-conv3x3-BN, plus the input (through a 1x1 conv + BN
 * with the stride when the shape changes). The code is written as the benchmark does, e.g. `41414` or `1242`.
 * The benchmark holds the 3,256 codes with 1-4 stride layers (3 or 4) and 1-3 channel-doubling layers (2 or 4).
 *
 * The search parameters: `l0`..`l3` (the first four layers, each 1-4) and `l45` (the last two: none `-`, one digit or two
 * digits, 21 choices), so every code of 4-6 digits is exactly one point (5,376 points, no two points the same code).
 *
 * The data: NASLib's zero-cost benchmark file of the macro space (`zc_transbench101_macro.json`) holds the benchmark's
 * final validation metric of only a SAMPLE of the space: 725 codes on five tasks and 662 of them on the two
 * classification tasks (of 3,256; the complete file is not stored anywhere this project can read). A code without a
 * figure for the task (outside the benchmark, or not in the sample) is a failed query on both sides (as EC-NAS's invalid
 * cells). Every code is its own computation (the layer sequence fixes the shapes), so there are no classes.
 *
 * Build: `node dist/bench/transnas-macro.js build zc_transbench101_macro.json > bench/data/transnas-macro.csv` (the JSON
 * from github.com/automl/NASLib, blob 14dafbcf of naslib/data/zc_transbench101_macro.json). The hardware columns are
 * hwnas's own cost models on the encoder graph ({@link tnbmGraph}; task decoders left out), the same targets and column
 * names as the micro table's, frozen in the CSV at the commit that built it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/types.js';
import { graphTotals } from '../src/ir/workload.js';
import { NasTable } from '../src/nas/tabular.js';
import { SearchSpace } from '../src/search/space.js';
import type { ArchGraphOptions, ArchSpace } from '../src/search/spaces/types.js';
import type { Params } from '../src/search/types.js';
import { parseCommentedCsv } from './commented-csv.js';
import { appendHwColumns, HW_COLUMNS_S39, type HwColumn } from './hw-columns.js';
import { reluConvBn, TNB_HW_COLUMNS, TNB_TASKS, type TnbProblemSpec, tnbRowFigures, tnbStem } from './transnas-micro.js';

const BASE = 64;
const DIGITS = ['1', '2', '3', '4'] as const;
const FIRST = ['l0', 'l1', 'l2', 'l3'] as const;
const TAIL = 'l45';
/** The `l45` choices: no more layer, one layer, two layers. */
const TAIL_CHOICES = ['-', ...DIGITS, ...DIGITS.flatMap((a) => DIGITS.map((b) => `${a}${b}`))];
/** The hardware columns of the table: the micro table's four, then session 39's seven (same targets, same names). */
export const TNBM_HW_COLUMNS: readonly HwColumn[] = [...TNB_HW_COLUMNS, ...HW_COLUMNS_S39];

function checkCode(s: string): string {
  if (typeof s !== 'string' || !/^[1-4]{4,6}$/.test(s.trim()))
    throw new ConfigError(`transnas-macro code '${s}': expected 4-6 digits 1-4 (1 keep, 2 double channels, 3 stride 2, 4 both), e.g. '41414'`);
  return s.trim();
}

/** Every code of 4-6 layers (5,376), shorter first, each length in lexicographic order. */
export function enumerateTnbmCodes(): string[] {
  const out: string[] = [];
  for (let n = 4; n <= 6; n++) for (let i = 0; i < 4 ** n; i++) out.push([...i.toString(4).padStart(n, '0')].map((d) => String(Number(d) + 1)).join(''));
  return out;
}

/** Whether a code is one of the benchmark's 3,256 networks: 1-4 stride-2 layers and 1-3 channel-doubling layers. */
export function tnbmInBenchmark(code: string): boolean {
  const c = checkCode(code);
  const strides = [...c].filter((d) => d === '3' || d === '4').length;
  const doubles = [...c].filter((d) => d === '2' || d === '4').length;
  return strides >= 1 && strides <= 4 && doubles >= 1 && doubles <= 3;
}

/** The TransNAS macro space (see the module doc); points are codes. */
export function tnbmMacroSpace(): ArchSpace<string> {
  const space = new SearchSpace({
    ...Object.fromEntries(FIRST.map((n) => [n, { kind: 'categorical' as const, choices: [...DIGITS] }])),
    [TAIL]: { kind: 'categorical' as const, choices: TAIL_CHOICES },
  });
  return {
    name: 'transnas-macro',
    space,
    toParams: (a) => {
      const c = checkCode(a);
      return { ...Object.fromEntries(FIRST.map((n, i) => [n, c[i] as string])), [TAIL]: c.length === 4 ? '-' : c.slice(4) };
    },
    fromParams: (p: Params) => {
      const why = space.check(p);
      if (why !== null) throw new ConfigError(`transnas-macro point: ${why}`);
      const tail = p[TAIL] as string;
      return FIRST.map((n) => p[n] as string).join('') + (tail === '-' ? '' : tail);
    },
    format: (a) => a,
    parse: checkCode,
    graph: (a, o) => tnbmGraph(a, o),
    slots: () => ['stem', ...[0, 1, 2, 3, 4, 5].map((l) => `layer${l}`)],
    slotOf: (node) => {
      if (node.startsWith('stem')) return 'stem';
      const m = /^l(\d)b\d_/.exec(node);
      return m ? `layer${m[1]}` : undefined;
    },
    slotParams: (slot) => {
      const m = /^layer(\d)$/.exec(slot);
      if (!m) return [];
      const l = Number(m[1]);
      return [l < 4 ? (FIRST[l] as string) : TAIL];
    },
  };
}

/** The benchmark's ResNet basic block (see the module doc), `out` channels, `stride` on the first conv and the shortcut. */
function basicBlock(b: GraphBuilder, x: string, out: number, stride: number, p: string): string {
  const f = reluConvBn(b, reluConvBn(b, x, out, 3, stride, `${p}_a`), out, 3, 1, `${p}_b`);
  const cin = b.channels(x);
  const res = stride !== 1 || cin !== out ? b.bn(b.conv(x, { out, kernel: 1, stride, bias: false, name: `${p}_down_conv` }), { name: `${p}_down_bn` }) : x;
  return b.addOp(res, f, `${p}_add`);
}

/**
 * The IR graph of the benchmark's encoder `64-<code>-basic` (see the module doc): input 3 x `inputSize` (default 256),
 * output the last block's feature map. `channels` replaces the base width 64.
 */
export function tnbmGraph(code: string, o: ArchGraphOptions & { channels?: number } = {}): Graph {
  const c = checkCode(code);
  const size = o.inputSize ?? 256;
  const b = new GraphBuilder(`transnas-macro-${c}`, [o.inChannels ?? 3, size, size]);
  let x = tnbStem(b, o.channels ?? BASE);
  [...c].forEach((d, l) => {
    const layer = Number(d);
    const out = layer % 2 === 0 ? 2 * b.channels(x) : b.channels(x);
    x = basicBlock(b, x, out, layer > 2 ? 2 : 1, `l${l}b0`);
    x = basicBlock(b, x, out, 1, `l${l}b1`);
  });
  b.output(x);
  return b.build();
}

/** One record of NASLib's zero-cost file (only the fields used): the final validation metric, and the model's parameters (millions). */
interface ZcRecord {
  readonly arch: string;
  readonly val_accuracy: number;
  readonly params?: { readonly score: number };
}

/** The CSV text of the table from NASLib's per-task records (see the module doc); `source` describes their origin. */
export function buildTnbmCsv(records: Readonly<Record<string, Readonly<Record<string, ZcRecord>>>>, source: string): string {
  const metric = new Map<string, Record<string, number>>();
  const sceneParams = new Map<string, number>();
  for (const { task, column } of TNB_TASKS) {
    const rs = records[task];
    if (!rs) throw new Error(`benchmark records: no task ${task}`);
    for (const [key, r] of Object.entries(rs)) {
      const m = /^\(([0-4]), ([0-4]), ([0-4]), ([0-4]), ([0-4]), ([0-4])\)$/.exec(r.arch);
      if (!m || r.arch !== key)
        throw new Error(`benchmark records (${task}): arch '${r.arch}' (key '${key}'): expected a tuple of 6 digits 0-4, the same as its key`);
      const digits = m.slice(1).join('');
      if (!/^[1-4]{4,6}0*$/.test(digits) || digits.length !== 6)
        throw new Error(`benchmark records (${task}): arch '${r.arch}': expected 4-6 layers 1-4, then zeros`);
      const code = checkCode(digits.replace(/0+$/, ''));
      if (!tnbmInBenchmark(code)) throw new Error(`benchmark records (${task}): code ${code} is not one of the benchmark's 3,256 networks`);
      if (!Number.isFinite(r.val_accuracy)) throw new Error(`benchmark records (${task}): code ${code}: val_accuracy ${r.val_accuracy} is not a number`);
      const row = metric.get(code) ?? {};
      row[column] = r.val_accuracy;
      metric.set(code, row);
      if (task === 'class_scene' && r.params) sceneParams.set(code, r.params.score);
    }
  }
  const lines: string[] = [];
  for (const code of enumerateTnbmCodes()) {
    const row = metric.get(code);
    if (!row) continue;
    const t = graphTotals(tnbmGraph(code));
    const sp = sceneParams.get(code);
    lines.push(
      [code, ...TNB_TASKS.map((k) => (row[k.column] === undefined ? '' : String(row[k.column]))), sp === undefined ? '' : String(sp), t.macs, t.params].join(
        ',',
      ),
    );
  }
  const header = [
    `# TransNAS-Bench-101 macro (Duan et al., "TransNAS-Bench-101: Improving Transferability and Generalization of Cross-Task Neural Architecture Search", CVPR 2021): the networks of the macro space whose final validation metric NASLib publishes (a sample: ${lines.length} of the benchmark's 3,256 codes), and hardware costs of each network's encoder computed by hwnas's cost models from its IR graph (issue 18, session 42, table19: a table family no hwnas search was run or tuned on before the pre-registration)`,
    `# source: ${source}`,
    '# source: code = the benchmark macro code (4-6 layers, each 1 keep, 2 double the channels, 3 stride 2, 4 both) of the encoder 64-<code>-basic (stem to 64 channels at 1/4 resolution, each layer two ResNet basic blocks; input 3x256x256); every code is its own computation',
    `# source: ${TNB_TASKS.map((t) => `${t.column} = ${t.what}`).join('; ')} (the benchmark's final-epoch values as NASLib publishes them; empty: not in NASLib's sample for the task)`,
    "# source: naslib_scene_params_m = NASLib's `params` figure of the class_scene model (encoder and its 63-way head, millions; the check of the graph); macs, params = multiply-accumulates and parameters of hwnas's IR graph of the encoder (bench/transnas-macro.ts tnbmGraph; task decoders left out)",
    `# source: hardware columns (each target's default precision, batch 1, latency ms / energy mJ): ${TNBM_HW_COLUMNS.map((c) => `${c.column} = target ${c.target} ${c.figure}`).join(', ')}`,
    '# note: hardware columns computed by `node dist/bench/transnas-macro.js build` at the commit that added this file; targets/*.json may change later, this table does not',
  ];
  const cols = ['code', ...TNB_TASKS.map((t) => t.column), 'naslib_scene_params_m', 'macs', 'params'];
  return appendHwColumns(
    `${[...header, cols.join(','), ...lines].join('\n')}\n`,
    TNBM_HW_COLUMNS,
    'code',
    (c) => tnbmGraph(checkCode(c)),
    '',
    'transnas-macro.csv',
  );
}

/**
 * Loads a problem's metric (as `accuracy`: a percentage as a fraction, a score as it is), latency column (`latency_ms`)
 * and energy column (`energy_mj`) as a NasTable over {@link tnbmMacroSpace}: the rows with a figure for the task. Bad
 * rows are errors naming the value and what was expected: a code not of the benchmark's form or appearing twice, a
 * metric that is not a finite number (a percentage outside [0, 100]), a cost that is not a finite number >= 0.
 */
export function loadTnbmTable(path: string, spec: TnbProblemSpec, text = readFileSync(path, 'utf8')): NasTable {
  const csv = parseCommentedCsv(text, path);
  const space = tnbmMacroSpace() as ArchSpace;
  if (!(spec.metric in (csv.rows[0] as object)))
    throw new Error(`${path}: no column '${spec.metric}'; expected one of ${TNB_TASKS.map((t) => t.column).join(', ')}`);
  const t = new NasTable(space, spec.energy ? ['accuracy', 'latency_ms', 'energy_mj'] : ['accuracy', 'latency_ms'], path);
  const seen = new Set<string>();
  for (const r of csv.rows) {
    const code = r.code ?? '';
    if (!/^[1-4]{4,6}$/.test(code) || !tnbmInBenchmark(code))
      throw new Error(`${path}: code '${code}': expected one of the benchmark's codes (4-6 digits 1-4)`);
    if (seen.has(code)) throw new Error(`${path}: code ${code} appears twice; expected one row per code`);
    seen.add(code);
    if ((r[spec.metric]?.trim() ?? '') === '') continue;
    const { metric, cost } = tnbRowFigures(r, spec, path, `code ${code}`);
    const values: Record<string, number> = { accuracy: metric, latency_ms: cost[0] as number };
    if (spec.energy) values.energy_mj = cost[1] as number;
    t.add(code, values);
  }
  return t;
}

/** The codes of the space with no row in `t` (outside the benchmark or not in NASLib's sample): failed queries. */
export function tnbmMissing(t: NasTable): string[] {
  return enumerateTnbmCodes().filter((c) => !t.has(c));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [cmd, file] = process.argv.slice(2);
  if (cmd !== 'build' || !file) {
    console.error('usage: node dist/bench/transnas-macro.js build <zc_transbench101_macro.json>');
    process.exit(2);
  }
  const bytes = readFileSync(file);
  const sha = createHash('sha256').update(bytes).digest('hex');
  process.stdout.write(
    buildTnbmCsv(
      JSON.parse(bytes.toString('utf8')) as Record<string, Record<string, ZcRecord>>,
      `github.com/automl/NASLib (Apache-2.0), naslib/data/zc_transbench101_macro.json as of commit e5a821c2dadf608042e4e046e386006cf6bd0564 (blob 14dafbcfdc089012166895b4c90daf1ef97819f6, sha256 ${sha}; later versions of the file are not stored where this project can read them): per task and code (arch = NASLib's 6-tuple, zeros after the last layer) its val_accuracy (NASLib's final validation metric of the task, from TransNAS-Bench-101's released results)`,
    ),
  );
}
