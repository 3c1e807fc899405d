/**
 * TransNAS-Bench-101's micro (cell) space (Duan et al., CVPR 2021) as an hwnas architecture space and a table for
 * bench/compare-optuna.ts (issue 18, session 34: a cell space with zero / skip operations, unseen).
 *
 * The space: one cell of 4 nodes and 6 edges (0->1, 0->2, 1->2, 0->3, 1->3, 2->3, NB201's layout; a node is the sum of
 * its incoming edges), each edge one of `0` none (zero), `1` skip, `2` ReLU-conv1x1-BN, `3` ReLU-conv3x3-BN; 4^6 = 4,096
 * cells, written as the benchmark does, e.g. `3_13_302` (node 1's edge, node 2's two edges, node 3's three edges).
 * The network is the benchmark's encoder `64-41414-<cell>` (its MacroNet): a stem (3x3 stride-2 conv to 32 channels +
 * BN, ReLU-conv3x3 stride 2 to 64 + BN) and five layers of two cells, layer codes 4 1 4 1 4 (4: the layer's first cell
 * has stride 2 and doubles the channels; 1: neither), so 3x256x256 -> 512x8x8. In a layer's first cell with stride 2 the
 * edges out of node 0 change the shape: skip is a FactorizedReduce (ReLU, two 1x1 stride-2 convs to half the channels
 * each, concatenated, BN), a conv has stride 2, none is a zero tensor of the new shape.
 *
 * Equivalent cells: the benchmark trained each of the 4,096 cells once, but many compute the same network (dead edges,
 * edges out of zero nodes, the two middle nodes swapped, a cut-off output). {@link tnbClasses} groups them by hwnas's
 * {@link computationKey} of the network; the loader gives every member of a class the class's mean metric (each member
 * is a separate training of that computation), so the table has one figure per class and hwnas's repeat filter (which
 * re-asks, up to 30 times, for a proposal of a queried class) loses nothing by skipping members. The hardware columns are equal within a
 * class by construction (same graph up to names).
 *
 * The table (bench/data/transnas-micro.csv) keeps the benchmark's final validation metric of every cell on its seven
 * Taskonomy tasks (as NASLib's zero-cost benchmark files publish them) and adds hardware columns computed by hwnas's own
 * cost models on the encoder's IR graph (this file's {@link tnbGraph}; the task decoders are fixed per task and left
 * out). Those columns are frozen in the CSV at the commit that built it.
 *
 * Build: `node dist/bench/transnas-micro.js build all_benchmarks_zen.zip > bench/data/transnas-micro.csv` (the zip from
 * github.com/automl/NASLib, naslib/data/zc_benchmarks/; read with the system `unzip`). Session 39 (table16) appended seven
 * more hardware columns (bench/hw-columns.ts, {@link addTnbHwColumns}: jetson-nano, myriad-x, a100, bitfusion-edge and
 * bismo-cloud) with `node dist/bench/transnas-micro.js add-columns <the earlier csv>`; `build` appends them as well.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/types.js';
import { graphTotals } from '../src/ir/workload.js';
import { computationKey, NasTable } from '../src/nas/tabular.js';
import { SearchSpace } from '../src/search/space.js';
import { NB201_EDGE_PARAMS, NB201_EDGES } from '../src/search/spaces/nb201.js';
import type { ArchGraphOptions, ArchSpace } from '../src/search/spaces/types.js';
import type { Params } from '../src/search/types.js';
import { parseCommentedCsv } from './commented-csv.js';
import { appendHwColumns, HW_COLUMNS_S39, hwColumnsNote } from './hw-columns.js';

/** The operation of each TransNAS digit (0 none, 1 skip, 2 conv 1x1, 3 conv 3x3); NB201's names for the same operations. */
export const TNB_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3'] as const;
export type TnbOp = (typeof TNB_OPS)[number];
/** Edges (to, from) in the cell string's order, and their parameter names: the same six edges, in the same order, as NB201's. */
const EDGES = NB201_EDGES;
const EDGE_PARAMS = NB201_EDGE_PARAMS;
/** The benchmark's layer codes (`41414`): 4 stride 2 and double channels, 1 neither. */
const MACRO_CODE = [4, 1, 4, 1, 4] as const;
const BASE = 64;

/** The seven Taskonomy tasks, the CSV column of each and what its metric is (NASLib's `val_accuracy` of the task). */
export const TNB_TASKS = [
  { task: 'class_scene', column: 'scene_top1', what: 'scene classification, validation top-1 (%)' },
  { task: 'class_object', column: 'object_top1', what: 'object classification, validation top-1 (%)' },
  { task: 'jigsaw', column: 'jigsaw_top1', what: 'jigsaw puzzle, validation top-1 (%)' },
  { task: 'room_layout', column: 'room_negloss', what: 'room layout, validation negative L2 loss (higher is better)' },
  { task: 'segmentsemantic', column: 'segment_acc', what: 'semantic segmentation, validation pixel accuracy (%)' },
  { task: 'normal', column: 'normal_ssim', what: 'surface normals, validation SSIM' },
  { task: 'autoencoder', column: 'autoenc_ssim', what: 'autoencoding, validation SSIM' },
] as const;

function checkCell(s: string): string {
  if (typeof s !== 'string' || !/^[0-3]_[0-3]{2}_[0-3]{3}$/.test(s.trim()))
    throw new ConfigError(
      `transnas-micro cell '${s}': expected the benchmark's form d_dd_ddd with digits 0-3 (0 none, 1 skip, 2 conv1x1, 3 conv3x3), e.g. '3_13_302'`,
    );
  return s.trim();
}

const digits = (cell: string): number[] => [...cell.replace(/_/g, '')].map(Number);
const fromDigits = (d: readonly number[]): string => `${d[0]}_${d[1]}${d[2]}_${d[3]}${d[4]}${d[5]}`;

/** Every cell string, the first edge the most significant digit (0_00_000, 0_00_001, ...). */
export function enumerateTnbCells(): string[] {
  return Array.from({ length: 4 ** 6 }, (_, i) => fromDigits([...i.toString(4).padStart(6, '0')].map(Number)));
}

/** The TransNAS micro space (see the module doc); points are cell strings. */
export function tnbMicroSpace(): ArchSpace<string> {
  const space = new SearchSpace(Object.fromEntries(EDGE_PARAMS.map((n) => [n, { kind: 'categorical' as const, choices: [...TNB_OPS] }])));
  return {
    name: 'transnas-micro',
    space,
    toParams: (a) => {
      const d = digits(checkCell(a));
      return Object.fromEntries(EDGE_PARAMS.map((n, i) => [n, TNB_OPS[d[i] as number] as string]));
    },
    fromParams: (p: Params) => {
      const why = space.check(p);
      if (why !== null) throw new ConfigError(`transnas-micro point: ${why}`);
      return fromDigits(EDGE_PARAMS.map((n) => TNB_OPS.indexOf(p[n] as TnbOp)));
    },
    format: (a) => a,
    parse: checkCell,
    graph: (a, o) => tnbGraph(a, o),
    slots: () => ['stem', ...MACRO_CODE.flatMap((_, l) => EDGE_PARAMS.map((e) => `l${l}_${e}`))],
    slotOf: (node) => {
      if (node.startsWith('stem')) return 'stem';
      const m = /^l(\d)c\d_(e\d\d)_/.exec(node);
      return m ? `l${m[1]}_${m[2]}` : undefined;
    },
    slotParams: (slot) => {
      const m = /^l\d_(e\d\d)$/.exec(slot);
      return m ? [m[1] as string] : [];
    },
  };
}

/** The benchmark's ReLUConvBN: ReLU, a k x k conv (padding (k - 1) / 2, no bias), BN; node names prefixed with `p`. */
export function reluConvBn(b: GraphBuilder, x: string, out: number, k: number, stride: number, p: string): string {
  const c = b.conv(b.relu(x, `${p}_relu`), { out, kernel: k, stride, pad: (k - 1) / 2, bias: false, name: `${p}_conv` });
  return b.bn(c, { name: `${p}_bn` });
}

/** The benchmark's FactorizedReduce: ReLU, two 1x1 stride-2 convs (the second on the input shifted by one pixel), concat, BN. */
function factorizedReduce(b: GraphBuilder, x: string, out: number, p: string): string {
  const r = b.relu(x, `${p}_relu`);
  const a = b.conv(r, { out: out / 2, kernel: 1, stride: 2, bias: false, name: `${p}_conv_a` });
  const c = b.conv(r, { out: out - out / 2, kernel: 1, stride: 2, bias: false, name: `${p}_conv_b` });
  return b.bn(b.concat([a, c], 0, `${p}_cat`), { name: `${p}_bn` });
}

/**
 * Which nodes of a cell are the zero tensor: node 0 never; node j when every incoming edge is none, or a skip from a zero
 * node (a skip out of node 0 is never zero, also when it is a FactorizedReduce).
 */
export function tnbZeroNodes(cell: string): boolean[] {
  const d = digits(checkCell(cell));
  const zero = [false, true, true, true];
  EDGES.forEach(([t, f], k) => {
    const op = d[k] as number;
    if (op === 0 || (op === 1 && zero[f])) return;
    zero[t] = false;
  });
  return zero;
}

/** Whether a cell's output node is the zero tensor (every path from node 0 to node 3 has a none edge). */
export function tnbOutputCutOff(cell: string): boolean {
  return tnbZeroNodes(cell)[3] as boolean;
}

/** Adds one cell (channels `out`, `stride` 1 or 2 on node 0's edges); dead edges and nodes are not built. */
function addCell(b: GraphBuilder, x: string, cell: string, out: number, stride: number, p: string): string {
  const d = digits(cell);
  const cin = b.channels(x);
  if (stride === 1 && cin !== out) throw new ConfigError(`transnas-micro cell ${p}: a stride-1 cell must keep the channels (${cin} -> ${out})`);
  if (stride === 2 && out !== 2 * cin) throw new ConfigError(`transnas-micro cell ${p}: a stride-2 cell doubles the channels (${cin} -> ${out})`);
  const zero = tnbZeroNodes(cell);
  let zeroTensor: string | undefined;
  const zeroOf = (): string => {
    if (zeroTensor === undefined) {
      // a zero tensor of the cell's output shape (the benchmark's Zero op): subsample, duplicate channels, clip to 0
      const s = stride === 2 ? b.maxPool(x, { kernel: 1, stride: 2, name: `${p}_zero_sub` }) : x;
      zeroTensor = b.clip(stride === 2 ? b.concat([s, s], 0, `${p}_zero_cat`) : s, 0, 0, `${p}_zero`);
    }
    return zeroTensor;
  };
  const used = (k: number): boolean => {
    const op = d[k] as number;
    const f = (EDGES[k] as readonly [number, number])[1];
    return op !== 0 && !(op === 1 && zero[f]);
  };
  const live = [false, false, false, !zero[3]];
  for (let i = 2; i >= 0; i--) live[i] = EDGES.some(([t, f], k) => f === i && live[t] && used(k));
  const value: (string | undefined)[] = [x, undefined, undefined, undefined];
  for (let j = 1; j <= 3; j++) {
    if (!live[j]) continue;
    const terms: string[] = [];
    EDGES.forEach(([t, f], k) => {
      if (t !== j || !used(k)) return;
      const op = d[k] as number;
      const src = zero[f] ? zeroOf() : (value[f] as string);
      const e = `${p}_e${t}${f}`;
      const s = f === 0 ? stride : 1;
      if (op === 1) terms.push(s === 2 ? factorizedReduce(b, src, out, `${e}_fr`) : src);
      else terms.push(reluConvBn(b, src, out, op === 2 ? 1 : 3, s, e));
    });
    let acc = terms[0] as string;
    for (let i = 1; i < terms.length; i++) acc = b.addOp(acc, terms[i] as string, i === terms.length - 1 ? `${p}_n${j}` : `${p}_n${j}_add${i}`);
    value[j] = acc;
  }
  return value[3] ?? zeroOf();
}

/**
 * The benchmark encoder's stem (shared by its micro and macro spaces): a 3x3 stride-2 conv to `base / 2` channels + BN,
 * then ReLU-conv3x3 stride 2 to `base` + BN (input at 1/4 resolution). Returns the stem's output node.
 */
export function tnbStem(b: GraphBuilder, base: number): string {
  const x = b.bn(b.conv(b.input, { out: base / 2, kernel: 3, stride: 2, pad: 1, bias: false, name: 'stem_conv' }), { name: 'stem_bn' });
  return reluConvBn(b, x, base, 3, 2, 'stem_b');
}

/**
 * The IR graph of the benchmark's encoder with `cell` (see the module doc): input 3 x `inputSize` (default 256), output the
 * last cell's feature map (512 x 8 x 8). `channels` replaces the base width 64 (smaller graphs for class keys).
 */
export function tnbGraph(cell: string, o: ArchGraphOptions & { channels?: number } = {}): Graph {
  const c = checkCell(cell);
  const size = o.inputSize ?? 256;
  const base = o.channels ?? BASE;
  const b = new GraphBuilder(`transnas-micro-${c}`, [o.inChannels ?? 3, size, size]);
  let x = tnbStem(b, base);
  let ch = base;
  MACRO_CODE.forEach((code, l) => {
    const out = code % 2 === 0 ? ch * 2 : ch;
    const stride = code > 2 ? 2 : 1;
    x = addCell(b, x, c, out, stride, `l${l}c0`);
    x = addCell(b, x, c, out, 1, `l${l}c1`);
    ch = out;
  });
  b.output(x);
  return b.build();
}

/** Classes of equal computation: each cell's class representative (the first cell of its class in enumeration order). */
export function tnbClasses(): Map<string, string> {
  const repOfKey = new Map<string, string>();
  const out = new Map<string, string>();
  for (const cell of enumerateTnbCells()) {
    // a small skeleton (same structure, base width 4, 32x32 input) keys the same computation as the full one
    const k = computationKey(tnbGraph(cell, { channels: 4, inputSize: 32 }));
    let rep = repOfKey.get(k);
    if (rep === undefined) {
      rep = cell;
      repOfKey.set(k, rep);
    }
    out.set(cell, rep);
  }
  return out;
}

/** The hardware columns the builder adds: name, target (its default precision) and figure. */
export const TNB_HW_COLUMNS = [
  { column: 'a76_fp32_ms', target: 'cortex-a76', figure: 'latency' },
  { column: 'edgetpu_int8_ms', target: 'edge-tpu', figure: 'latency' },
  { column: 'eyeriss_ms', target: 'systolic', figure: 'latency' },
  { column: 'eyeriss_mj', target: 'systolic', figure: 'energy' },
] as const;

/** One record of NASLib's zero-cost benchmark files (only the fields used). */
interface ZenRecord {
  readonly arch: string;
  readonly val_accuracy: number;
}

/** The CSV text of the table from the benchmark's per-task records (see the module doc); `source` describes their origin. */
export function buildTnbCsv(records: Readonly<Record<string, readonly ZenRecord[]>>, source: string): string {
  const metric = new Map<string, Record<string, number>>();
  for (const { task, column } of TNB_TASKS) {
    const rs = records[task];
    if (!rs) throw new Error(`benchmark records: no task ${task}`);
    for (const r of rs) {
      const m = /^\((\d), (\d), (\d), (\d), (\d), (\d)\)$/.exec(r.arch);
      if (!m) throw new Error(`benchmark records (${task}): arch '${r.arch}': expected a tuple of 6 digits 0-3`);
      const cell = checkCell(fromDigits(m.slice(1).map(Number)));
      const row = metric.get(cell) ?? {};
      if (row[column] !== undefined) throw new Error(`benchmark records (${task}): cell ${cell} appears twice`);
      if (!Number.isFinite(r.val_accuracy)) throw new Error(`benchmark records (${task}): cell ${cell}: val_accuracy ${r.val_accuracy} is not a number`);
      row[column] = r.val_accuracy;
      metric.set(cell, row);
    }
  }
  const classes = tnbClasses();
  const targets = new Map(TNB_HW_COLUMNS.map((c) => [c.target, getTarget(c.target)]));
  const costs = new Map<string, { fig: Record<string, number>; macs: number; params: number }>();
  const lines: string[] = [];
  for (const cell of enumerateTnbCells()) {
    const row = metric.get(cell);
    const missing = TNB_TASKS.filter((t) => row?.[t.column] === undefined).map((t) => t.task);
    if (missing.length > 0) throw new Error(`benchmark records: cell ${cell} has no figure for ${missing.join(', ')}`);
    const rep = classes.get(cell) as string;
    let c = costs.get(rep);
    if (!c) {
      const g = tnbGraph(rep);
      const t = graphTotals(g);
      const fig: Record<string, number> = {};
      for (const col of TNB_HW_COLUMNS) {
        const tg = targets.get(col.target) as ReturnType<typeof getTarget>;
        const nc = tg.networkCost(g, defaultPolicy(tg));
        fig[col.column] = col.figure === 'latency' ? nc.latencyMs : nc.energyMj;
      }
      c = { fig, macs: t.macs, params: t.params };
      costs.set(rep, c);
    }
    const r = row as Record<string, number>;
    lines.push(
      [
        cell,
        rep,
        tnbOutputCutOff(cell) ? 1 : 0,
        ...TNB_TASKS.map((t) => String(r[t.column])),
        c.macs,
        c.params,
        ...TNB_HW_COLUMNS.map((col) => (c.fig[col.column] as number).toFixed(5)),
      ].join(','),
    );
  }
  const header = [
    `# TransNAS-Bench-101 micro (Duan et al., "TransNAS-Bench-101: Improving Transferability and Generalization of Cross-Task Neural Architecture Search", CVPR 2021): all 4,096 cells with their final validation metric on seven Taskonomy tasks, and hardware costs of each cell's encoder computed by hwnas's cost models from its IR graph (issue 18, session 34: a cell space with zero / skip operations no hwnas search was run or tuned on before the pre-registration)`,
    `# source: ${source}`,
    '# source: cell = the benchmark micro code d_dd_ddd (edges 0->1 | 0->2 1->2 | 0->3 1->3 2->3; 0 none, 1 skip, 2 ReLU-conv1x1-BN, 3 ReLU-conv3x3-BN) of the encoder 64-41414-<cell> (stem to 64 channels at 1/4 resolution, five layers of two cells, codes 4 1 4 1 4; input 3x256x256, output 512x8x8)',
    "# source: class = the first cell (enumeration order) computing the same network (hwnas computationKey of the encoder graph: dead edges, edges out of zero nodes, swapped middle nodes, cut-off outputs); each cell was trained once by the benchmark, the loader averages a class's members; cutoff = 1 when the cell's output is the zero tensor",
    `# source: ${TNB_TASKS.map((t) => `${t.column} = ${t.what}`).join('; ')} (the benchmark's final-epoch values as NASLib publishes them)`,
    "# source: macs, params = multiply-accumulates and parameters of hwnas's IR graph of the encoder (bench/transnas-micro.ts tnbGraph; task decoders fixed per task and left out); a76_fp32_ms = hwnas target cortex-a76 (roofline, one Cortex-A76 core, fp32), edgetpu_int8_ms = target edge-tpu (w8a8), eyeriss_ms / eyeriss_mj = target systolic (Eyeriss-like 12x14 row-stationary array, w8a8): latency (ms) and energy (mJ) at batch 1, each target's default precision",
    '# note: hardware columns computed by `node dist/bench/transnas-micro.js build` at the commit that added this file; targets/*.json may change later, this table does not',
  ];
  const cols = ['cell', 'class', 'cutoff', ...TNB_TASKS.map((t) => t.column), 'macs', 'params', ...TNB_HW_COLUMNS.map((c) => c.column)];
  return `${[...header, cols.join(','), ...lines].join('\n')}\n`;
}

/** One problem on this table: a task's metric column with one or two cost columns. */
export interface TnbProblemSpec {
  readonly note: string;
  /** Column of the `accuracy` objective (maximised). */
  readonly metric: string;
  /** Column of the `latency_ms` objective. */
  readonly latency: string;
  /** Column of the `energy_mj` objective (3 objectives), if any. */
  readonly energy?: string;
}

/** Percentage columns (divided by 100 into `accuracy`); the others (negative loss, SSIM) are kept as they are. */
const TNB_PERCENT: ReadonlySet<string> = new Set(['scene_top1', 'object_top1', 'jigsaw_top1', 'segment_acc']);

/**
 * One table row's figures for a problem (the micro and the macro table): the task metric (a percentage as a fraction, a
 * score as it is) and the costs (latency, then energy where the problem has one). A metric that is not a finite number
 * (a percentage outside [0, 100]) or a cost that is not a finite number >= 0 is an error naming the value, the row
 * (`what`, e.g. `cell 3_13_302`) and what was expected.
 */
export function tnbRowFigures(r: Readonly<Record<string, string>>, spec: TnbProblemSpec, path: string, what: string): { metric: number; cost: number[] } {
  const num = (col: string): number => (r[col] === undefined || r[col]?.trim() === '' ? Number.NaN : Number(r[col]));
  const pct = TNB_PERCENT.has(spec.metric);
  const m = num(spec.metric);
  if (pct ? !(m >= 0 && m <= 100) : !Number.isFinite(m))
    throw new Error(`${path}: ${spec.metric} '${r[spec.metric]}' of ${what}: expected ${pct ? 'a percentage in [0, 100]' : 'a finite number'}`);
  const cost = (col: string): number => {
    const v = num(col);
    if (!(v >= 0 && Number.isFinite(v))) throw new Error(`${path}: ${col} '${r[col]}' of ${what}: expected a finite number >= 0`);
    return v;
  };
  return { metric: pct ? m / 100 : m, cost: spec.energy ? [cost(spec.latency), cost(spec.energy)] : [cost(spec.latency)] };
}

/**
 * Loads a problem's metric (as `accuracy`: a percentage as a fraction, a score as it is; each cell gets the mean over
 * the members of its class, see the module doc), latency column (`latency_ms`) and energy column (`energy_mj`) as a
 * NasTable over {@link tnbMicroSpace}. Bad rows are errors naming the value and what was expected: a cell not in the
 * benchmark's form or appearing twice, a class that is not a cell or whose own row names another class, a metric that is
 * not a finite number (a percentage outside [0, 100]), a cost that is not a finite number >= 0, members of one class with
 * different costs, a table without all 4,096 cells.
 */
export function loadTnbTable(path: string, spec: TnbProblemSpec, text = readFileSync(path, 'utf8')): NasTable {
  const csv = parseCommentedCsv(text, path);
  const space = tnbMicroSpace() as ArchSpace;
  const metrics = spec.energy ? ['accuracy', 'latency_ms', 'energy_mj'] : ['accuracy', 'latency_ms'];
  if (!(spec.metric in (csv.rows[0] as object)))
    throw new Error(`${path}: no column '${spec.metric}'; expected one of ${TNB_TASKS.map((t) => t.column).join(', ')}`);
  const rows = new Map<string, { cls: string; metric: number; cost: number[] }>();
  for (const r of csv.rows) {
    const cell = r.cell ?? '';
    if (!/^[0-3]_[0-3]{2}_[0-3]{3}$/.test(cell)) throw new Error(`${path}: cell '${cell}': expected d_dd_ddd with digits 0-3`);
    if (rows.has(cell)) throw new Error(`${path}: cell ${cell} appears twice; expected one row per cell`);
    const cls = r.class ?? '';
    if (!/^[0-3]_[0-3]{2}_[0-3]{3}$/.test(cls)) throw new Error(`${path}: class '${cls}' of cell ${cell}: expected a cell d_dd_ddd`);
    rows.set(cell, { cls, ...tnbRowFigures(r, spec, path, `cell ${cell}`) });
  }
  if (rows.size !== 4 ** 6) throw new Error(`${path}: ${rows.size} cells; expected all ${4 ** 6}`);
  const sum = new Map<string, { total: number; n: number; cost: string }>();
  for (const [cell, r] of rows) {
    const own = rows.get(r.cls);
    if (!own || own.cls !== r.cls) throw new Error(`${path}: class ${r.cls} of cell ${cell}: expected a cell whose own class is itself`);
    const s = sum.get(r.cls) ?? { total: 0, n: 0, cost: r.cost.join(',') };
    if (s.cost !== r.cost.join(','))
      throw new Error(`${path}: cell ${cell} costs ${r.cost.join(',')} but other members of class ${r.cls} cost ${s.cost}; expected one cost per class`);
    s.total += r.metric;
    s.n++;
    sum.set(r.cls, s);
  }
  const t = new NasTable(space, metrics, path);
  for (const [cell, r] of rows) {
    const s = sum.get(r.cls) as { total: number; n: number };
    const values: Record<string, number> = { accuracy: s.total / s.n, latency_ms: r.cost[0] as number };
    if (spec.energy) values.energy_mj = r.cost[1] as number;
    t.add(cell, values);
  }
  return t;
}

/** The rows of a table whose cell's output is not the zero tensor ({@link tnbOutputCutOff}). */
export function tnbConnectedCells(t: NasTable): NasTable {
  const out = new NasTable(t.space, t.metrics, `${t.source} (connected cells)`);
  for (const a of t.archs()) if (!tnbOutputCutOff(a)) out.add(a, t.values(a, t.metrics));
  return out;
}

/** The command that appends the session-39 columns ({@link HW_COLUMNS_S39}) to the table; `build` appends them too. */
export const TNB_ADD_COMMAND = 'node dist/bench/transnas-micro.js add-columns bench/data/transnas-micro.csv';

/** Appends the session-39 hardware columns to the table's CSV text (each row's class encoder graph; the earlier bytes unchanged). */
export function addTnbHwColumns(csvText: string, what = 'transnas-micro.csv'): string {
  return appendHwColumns(csvText, HW_COLUMNS_S39, 'class', (cls) => tnbGraph(checkCell(cls)), hwColumnsNote(HW_COLUMNS_S39, TNB_ADD_COMMAND), what);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [cmd, zip] = process.argv.slice(2);
  if (cmd === 'add-columns' && zip) {
    process.stdout.write(addTnbHwColumns(readFileSync(zip, 'utf8'), zip));
    process.exit(0);
  }
  if (cmd !== 'build' || !zip) {
    console.error('usage: node dist/bench/transnas-micro.js build <all_benchmarks_zen.zip> | add-columns <transnas-micro.csv without them>');
    process.exit(2);
  }
  const sha = createHash('sha256').update(readFileSync(zip)).digest('hex');
  const names = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' })
    .split('\n')
    .filter((n) => n.endsWith('.json'));
  const records: Record<string, ZenRecord[]> = {};
  for (const n of names) {
    const m = /--transbench101_micro--(\w+)--\d+\.json$/.exec(n);
    if (!m) continue;
    const part = JSON.parse(execFileSync('unzip', ['-p', zip, n], { encoding: 'utf8', maxBuffer: 1 << 26 })) as ZenRecord[];
    records[m[1] as string] = [...(records[m[1] as string] ?? []), ...part];
  }
  process.stdout.write(
    addTnbHwColumns(
      buildTnbCsv(
        records,
        `github.com/automl/NASLib commit 94190649a106ed54ad78c068b21c469035a3ff46 (Apache-2.0), naslib/data/zc_benchmarks/all_benchmarks_zen.zip (sha256 ${sha}): zen/benchmark--transbench101_micro--<task>--<offset>.json, per cell (arch = op tuple in cell-string order) its val_accuracy (NASLib's final validation metric of the task, from TransNAS-Bench-101's released results)`,
      ),
    ),
  );
}
