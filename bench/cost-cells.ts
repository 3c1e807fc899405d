/**
 * The `cortex-a76` target against thousands of measured NB201 networks (issue 18, session 35): HW-NAS-Bench-360's
 * Raspberry Pi 5 latencies (one A76 core, one thread, batch 1, fp32; LiteRT, ONNX Runtime and PyTorch Mobile; tasks
 * cifar100 / ninapro / darcy), one row per measured NB201 isomorphism class (bench/data/nb201-hw360-pi5.csv).
 *
 * The split, the fitted variants and the figures were pre-registered in bench/data/nb201-hw360-pi5-split.md before any
 * model figure was computed: classes with `rep_index % 5 == 0` are the fit part, the rest is held out. Scored on the
 * held-out part: the preset as is, then S (one scale per framework) and A (the target's stated assumptions on a
 * grid: layerOverheadUs, utilConv, utilElementwise, nHalfMacs), each fitted on the fit part per framework over its
 * three tasks, objective mean |ln(model/measured)|. Two graphs: G1 = the NB201 network of src/search/spaces/nb201.ts
 * (what hwnas's searches cost), G2 = the network as HW-NAS-Bench-360 exported it (every edge runs; a `none` edge is
 * NB201's `x.mul(0)`, here one element-wise op; nothing is dead code).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/cost-cells.js [--json]` (deterministic, no measurement).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { AnalyticalTarget } from '../src/hardware/analytical.js';
import { policyPreset } from '../src/hardware/precision.js';
import { KIND, prepareNetwork } from '../src/hardware/prepared.js';
import { rooflineDevice } from '../src/hardware/roofline.js';
import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/types.js';
import type { Workload } from '../src/ir/workload.js';
import { addNb201Cell, addNb201Reduction, NB201_EDGES, NB201_OPS, type Nb201Cell, type Nb201Op } from '../src/search/spaces/nb201.js';
import { formatNumber, formatTable } from '../src/util/table.js';
import { parseCommentedCsv } from './commented-csv.js';
import { type Agreement, agreement } from './cost-validation.js';

export const FRAMEWORKS = ['litert', 'onnx', 'torchmobile'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** HW-NAS-Bench-360's tasks: input channels x H x W and classifier outputs (its scripts/utils/task_specs.py). */
export const TASKS = {
  cifar100: { inChannels: 3, h: 32, w: 32, classes: 100 },
  ninapro: { inChannels: 1, h: 52, w: 16, classes: 18 },
  darcy: { inChannels: 1, h: 88, w: 88, classes: 1 },
} as const;
export type Task = keyof typeof TASKS;
export const TASK_NAMES = Object.keys(TASKS) as Task[];

/** Which graph of a cell: G1 = hwnas's NB201 network, G2 = the network as exported (every edge runs). */
export type CellGraphKind = 'hwnas' | 'exported';

/** One measured class: its representative cell and the 9 latencies (ms) by `<framework>_<task>`. */
export interface CellRow {
  readonly repIndex: number;
  readonly cell: Nb201Cell;
  readonly members: number;
  readonly ms: Readonly<Record<string, number>>;
}

export const columnOf = (f: Framework, t: Task): string => `${f}_${t}`;

/** Load bench/data/nb201-hw360-pi5.csv (or a file of the same columns); every bad value is named. */
export function loadPi5Cells(path: URL | string = new URL('../../bench/data/nb201-hw360-pi5.csv', import.meta.url)): {
  sources: readonly string[];
  rows: CellRow[];
} {
  const csv = parseCommentedCsv(readFileSync(path, 'utf8'), 'nb201-hw360-pi5');
  const seen = new Set<number>();
  const rows = csv.rows.map((r, i): CellRow => {
    const where = `nb201-hw360-pi5 row ${i + 1}`;
    const rep = Number(r.rep_index);
    if (!/^\d+$/.test(r.rep_index ?? '') || rep > 15624) throw new Error(`${where}: rep_index '${r.rep_index}' must be an integer in 0..15624`);
    if (seen.has(rep)) throw new Error(`${where}: rep_index ${rep} appears twice`);
    seen.add(rep);
    const code = r.cell ?? '';
    if (!/^[0-4]{6}$/.test(code))
      throw new Error(`${where}: cell '${code}' must be six op codes 0-4 (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)`);
    const members = Number(r.members);
    if (!Number.isInteger(members) || members < 1) throw new Error(`${where}: members '${r.members}' must be a positive integer`);
    const ms: Record<string, number> = {};
    for (const f of FRAMEWORKS)
      for (const t of TASK_NAMES) {
        const key = `${columnOf(f, t)}_ms`;
        const v = Number(r[key]);
        if (r[key] === undefined) throw new Error(`${where}: no column '${key}'`);
        if (!(Number.isFinite(v) && v > 0)) throw new Error(`${where}: ${key} '${r[key]}' must be a positive latency in ms`);
        ms[columnOf(f, t)] = v;
      }
    return { repIndex: rep, cell: [...code].map((c) => NB201_OPS[Number(c)] as Nb201Op), members, ms };
  });
  return { sources: csv.sources, rows };
}

/** The pre-registered split: a class is in the fit part when its rep_index is a multiple of 5. */
export const isFitPart = (repIndex: number): boolean => repIndex % 5 === 0;

/**
 * Whether the network's output does not depend on its input: the cell output (node 3) is reached from the cell input
 * only through `none` edges, so every cell outputs a constant (zero, or a conv's BN shift of zero) and so does the
 * network. A converter that folds constants can drop the whole network.
 */
export function inputIndependent(cell: Nb201Cell): boolean {
  const dep = [true, false, false, false];
  NB201_EDGES.forEach(([t, f], k) => {
    if (cell[k] !== 'none' && dep[f]) dep[t] = true;
  });
  return !dep[3];
}

/** G2's cell: every edge is built, a `none` edge is one element-wise op (x.mul(0)) on its source; nodes are summed. */
function addExportedCell(b: GraphBuilder, x: string, cell: Nb201Cell, prefix: string): string {
  const C = b.channels(x);
  const value: string[] = [x];
  for (let j = 1; j <= 3; j++) {
    const terms: string[] = [];
    NB201_EDGES.forEach(([t, f], k) => {
      if (t !== j) return;
      const src = value[f] as string;
      const p = `${prefix}_e${t}${f}`;
      const op = cell[k] as Nb201Op;
      if (op === 'none') terms.push(b.clip(src, 0, 0, `${p}_zero`));
      else if (op === 'skip_connect') terms.push(src);
      else if (op === 'avg_pool_3x3') terms.push(b.avgPool(src, { kernel: 3, stride: 1, pad: 1, countIncludePad: false, name: `${p}_pool` }));
      else {
        const r = b.relu(src, `${p}_relu`);
        const c = b.conv(r, { out: C, kernel: op === 'nor_conv_1x1' ? 1 : 3, pad: op === 'nor_conv_1x1' ? 0 : 1, bias: false, name: `${p}_conv` });
        terms.push(b.bn(c, { name: `${p}_bn` }));
      }
    });
    let acc = terms[0] as string;
    for (let i = 1; i < terms.length; i++) acc = b.addOp(acc, terms[i] as string, `${prefix}_n${j}_add${i}`);
    value[j] = acc;
  }
  return value[3] as string;
}

/**
 * The NB201 network (C = 16, N = 5) of `cell` for a task, with a non-square input where the task has one (ninapro);
 * `hwnas` uses nb201.ts's cell and reduction builders (the same graph as `nb201Graph` for square inputs).
 */
export function taskGraph(cell: Nb201Cell, task: Task, kind: CellGraphKind = 'hwnas'): Graph {
  const s = TASKS[task];
  const b = new GraphBuilder('nb201', [s.inChannels, s.h, s.w]);
  let x = b.bn(b.conv(b.input, { out: 16, kernel: 3, pad: 1, bias: false, name: 'stem' }), { name: 'stem_bn' });
  for (let st = 1; st <= 3; st++) {
    if (st > 1) x = addNb201Reduction(b, x, 16 * 2 ** (st - 1), `rb${st - 1}`);
    for (let c = 1; c <= 5; c++) x = kind === 'hwnas' ? addNb201Cell(b, x, cell, `s${st}c${c}`) : addExportedCell(b, x, cell, `s${st}c${c}`);
  }
  x = b.relu(b.bn(x, { name: 'lastact_bn' }), 'lastact_relu');
  x = b.flatten(b.globalAvgPool(x, 'gap'), 'flatten');
  b.output(b.dense(x, s.classes, { name: 'fc' }));
  return b.build();
}

/** Held-out figures of one column: all classes, the most expensive and the cheapest decile by measured latency. */
const meanAbsLn = (model: ArrayLike<number>, measured: readonly number[], scale = 1): number => {
  let s = 0;
  for (let i = 0; i < measured.length; i++) s += Math.abs(Math.log(((model[i] as number) * scale) / (measured[i] as number)));
  return s / measured.length;
};

/** {@link agreement}'s figures (without within-10%) and the mean |ln(model / measured)|. */
export type CellScore = Omit<Agreement, 'within10'> & { readonly meanAbsLn: number };

/** Agreement of model and measured latencies (pairs in the same order). */
export function cellScore(model: readonly number[], measured: readonly number[]): CellScore {
  const n = model.length;
  if (n === 0 || measured.length !== n) throw new Error(`cellScore needs equal non-empty arrays, got ${n} and ${measured.length}`);
  const { within10: _, ...a } = agreement(model, measured);
  return { ...a, meanAbsLn: meanAbsLn(model, measured) };
}

/** Indices of the cheapest and the most expensive tenth (by `measured`; ties by index). */
export function deciles(measured: readonly number[]): { cheap: number[]; top: number[] } {
  const order = measured.map((_, i) => i).sort((a, b) => (measured[a] as number) - (measured[b] as number) || a - b);
  const k = Math.max(1, Math.round(order.length / 10));
  return { cheap: order.slice(0, k), top: order.slice(-k) };
}

/** All, top-decile and cheapest-decile figures of one column. */
export interface ColumnScore {
  readonly all: CellScore;
  readonly top: CellScore;
  readonly cheap: CellScore;
}

export function columnScore(model: readonly number[], measured: readonly number[]): ColumnScore {
  const d = deciles(measured);
  const pick = (ix: number[], a: readonly number[]): number[] => ix.map((i) => a[i] as number);
  return {
    all: cellScore(model, measured),
    top: cellScore(pick(d.top, model), pick(d.top, measured)),
    cheap: cellScore(pick(d.cheap, model), pick(d.cheap, measured)),
  };
}

/** The pre-registered grid of variant A (order = tie-break order). */
export const GRID_A = {
  layerOverheadUs: [0, 1, 2, 4, 8, 16, 32],
  utilConv: [0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 1],
  utilElementwise: [0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
  nHalfMacs: [0, 20000, 100000, 500000],
} as const;

export type Overrides = Readonly<Record<string, number>>;

export function gridA(): Overrides[] {
  const out: Overrides[] = [];
  for (const layerOverheadUs of GRID_A.layerOverheadUs)
    for (const utilConv of GRID_A.utilConv)
      for (const utilElementwise of GRID_A.utilElementwise)
        for (const nHalfMacs of GRID_A.nHalfMacs) out.push({ layerOverheadUs, utilConv, utilElementwise, nHalfMacs });
  return out;
}

const FP32 = policyPreset('fp32');

/** Model latency (ms) of every graph under the cortex-a76 preset with `overrides`. */
export function modelLatencies(
  graphs: readonly Graph[],
  overrides: Overrides = {},
  target: AnalyticalTarget = rooflineDevice('cortex-a76', overrides),
): Float64Array {
  const out = new Float64Array(graphs.length);
  graphs.forEach((g, i) => {
    out[i] = target.networkCost(g, FP32).latencyMs;
  });
  return out;
}

/** Variant S: the scale (geometric mean of measured / model) over the given pairs. */
export function fitScale(model: ArrayLike<number>, measured: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < measured.length; i++) s += Math.log((measured[i] as number) / (model[i] as number));
  return Math.exp(s / measured.length);
}

/** Variant A: the grid point with the lowest mean |ln| on (model per grid point, measured); first wins ties. */
export function fitGrid(models: readonly ArrayLike<number>[], measured: readonly number[]): { index: number; meanAbsLn: number } {
  let best = { index: -1, meanAbsLn: Number.POSITIVE_INFINITY };
  models.forEach((m, i) => {
    const v = meanAbsLn(m, measured);
    if (v < best.meanAbsLn) best = { index: i, meanAbsLn: v };
  });
  return best;
}

/** One scored variant on the held-out part. */
export interface VariantResult {
  readonly graph: CellGraphKind;
  readonly variant: 'preset' | 'S' | 'A';
  readonly framework: Framework;
  /** S: the scale; A: the chosen overrides. */
  readonly fitted?: number | Overrides;
  readonly fitMeanAbsLn?: number;
  readonly byTask: Readonly<Record<Task, ColumnScore>>;
}

export interface CellsReport {
  readonly fitClasses: number;
  readonly heldClasses: number;
  /** Networks whose layer-mix latency was checked against networkCost (preset). */
  readonly checkedNetworks: number;
  /** The preset's (G1) largest held-out errors on cifar100, per framework, and its error on input-independent classes. */
  readonly worst: readonly WorstCells[];
  readonly results: VariantResult[];
}

/**
 * A network as a multiset of costed layers: under a roofline target without a parameter cache (cortex-a76:
 * weightCacheKB = 0) a node's cost depends only on its own workload, so a network's latency is the sum over its
 * distinct layer workloads of count x that layer's latency. `keys` are the distinct workloads of all networks,
 * `counts[n]` the (key index, count) pairs of network n. Fused nodes (conv+bn+act) and plumbing cost nothing.
 */
export interface LayerMix {
  readonly workloads: Workload[];
  readonly counts: Int32Array[];
}

export function layerMix(graphs: Iterable<Graph>, fuse: boolean): LayerMix {
  const index = new Map<string, number>();
  const workloads: Workload[] = [];
  const counts: Int32Array[] = [];
  for (const g of graphs) {
    const net = prepareNetwork(g);
    const c = net.col;
    const local = new Map<number, number>();
    for (let i = 0; i < net.n; i++) {
      if (c.kind[i] === KIND.free || (fuse && (net.fusedInto[i] as number) >= 0)) continue;
      const key = [c.kind[i], c.macs[i], c.elementOps[i], c.weightElems[i], c.biasElems[i], c.inElems[i], c.outElems[i]].join(',');
      let k = index.get(key);
      if (k === undefined) {
        k = workloads.length;
        index.set(key, k);
        workloads.push(net.workloads[i] as Workload);
      }
      local.set(k, (local.get(k) ?? 0) + 1);
    }
    const pairs = new Int32Array(2 * local.size);
    let j = 0;
    for (const [k, n] of local) {
      pairs[j++] = k;
      pairs[j++] = n;
    }
    counts.push(pairs);
  }
  return { workloads, counts };
}

/** Latency (ms) of every network of `mix` under `target`. */
export function mixLatencies(mix: LayerMix, target: AnalyticalTarget): Float64Array {
  const per = mix.workloads.map((w) => target.layerCost(w, { weightBits: 32, actBits: 32 }).latencyMs);
  return Float64Array.from(mix.counts, (pairs) => {
    let s = 0;
    for (let j = 0; j < pairs.length; j += 2) s += (per[pairs[j] as number] as number) * (pairs[j + 1] as number);
    return s;
  });
}

/** The preset's largest held-out over- and under-estimates of one column (G1), and input-independent classes. */
export interface WorstCells {
  readonly column: string;
  readonly over: readonly { repIndex: number; cell: string; modelMs: number; measuredMs: number }[];
  readonly under: readonly { repIndex: number; cell: string; modelMs: number; measuredMs: number }[];
  readonly independent: { n: number; geomeanRatio: number; medianMeasuredMs: number };
  readonly othersGeomeanRatio: number;
}

function worstCells(column: string, rows: readonly CellRow[], model: ArrayLike<number>, ix: readonly number[]): WorstCells {
  const pts = ix.map((i) => {
    const r = rows[i] as CellRow;
    return { repIndex: r.repIndex, cell: r.cell.join('/'), modelMs: model[i] as number, measuredMs: r.ms[column] as number, indep: inputIndependent(r.cell) };
  });
  const gm = (a: typeof pts): number => Math.exp(a.reduce((s, p) => s + Math.log(p.modelMs / p.measuredMs), 0) / a.length);
  const byRatio = [...pts].sort((a, b) => b.modelMs / b.measuredMs - a.modelMs / a.measuredMs);
  const strip = (p: (typeof pts)[number]) => ({ repIndex: p.repIndex, cell: p.cell, modelMs: p.modelMs, measuredMs: p.measuredMs });
  const ind = pts.filter((p) => p.indep);
  const meas = ind.map((p) => p.measuredMs).sort((a, b) => a - b);
  return {
    column,
    over: byRatio.slice(0, 3).map(strip),
    under: byRatio.slice(-3).reverse().map(strip),
    independent: {
      n: ind.length,
      geomeanRatio: ind.length ? gm(ind) : Number.NaN,
      medianMeasuredMs: meas.length ? (meas[meas.length >> 1] as number) : Number.NaN,
    },
    othersGeomeanRatio: gm(pts.filter((p) => !p.indep)),
  };
}

/** Everything the pre-registration names, on `rows` (default: the data file). */
export function runCells(rows: readonly CellRow[] = loadPi5Cells().rows, kinds: readonly CellGraphKind[] = ['hwnas', 'exported']): CellsReport {
  const fitIx = rows.map((r, i) => (isFitPart(r.repIndex) ? i : -1)).filter((i) => i >= 0);
  const heldIx = rows.map((r, i) => (isFitPart(r.repIndex) ? -1 : i)).filter((i) => i >= 0);
  const grid = gridA();
  const presetTarget = rooflineDevice('cortex-a76');
  const results: VariantResult[] = [];
  const worst: WorstCells[] = [];
  let checked = 0;
  for (const kind of kinds) {
    const mix = new Map<Task, LayerMix>();
    const preset = new Map<Task, Float64Array>();
    for (const t of TASK_NAMES) {
      const m = layerMix(
        rows.map((r) => taskGraph(r.cell, t, kind)),
        presetTarget.fuse,
      );
      mix.set(t, m);
      const lat = mixLatencies(m, presetTarget);
      // the decomposition is exact: every 97th network against networkCost
      rows.forEach((r, i) => {
        if (i % 97 !== 0) return;
        const full = presetTarget.networkCost(taskGraph(r.cell, t, kind), FP32).latencyMs;
        if (Math.abs(full / (lat[i] as number) - 1) > 1e-9) throw new Error(`layer mix ${lat[i]} != networkCost ${full} (class ${r.repIndex}, ${t}, ${kind})`);
        checked++;
      });
      preset.set(t, lat);
    }
    const gridModels = grid.map((o) => {
      const target = rooflineDevice('cortex-a76', o);
      return TASK_NAMES.map((t) => mixLatencies(mix.get(t) as LayerMix, target));
    });
    const held = (a: ArrayLike<number>): number[] => heldIx.map((i) => a[i] as number);
    const fitPart = (a: ArrayLike<number>): number[] => fitIx.map((i) => a[i] as number);
    for (const f of FRAMEWORKS) {
      const measured = (t: Task): number[] => rows.map((r) => r.ms[columnOf(f, t)] as number);
      const score = (model: (t: Task) => ArrayLike<number>): Record<Task, ColumnScore> =>
        Object.fromEntries(TASK_NAMES.map((t) => [t, columnScore(held(model(t)), held(measured(t)))])) as Record<Task, ColumnScore>;
      results.push({ graph: kind, variant: 'preset', framework: f, byTask: score((t) => preset.get(t) as Float64Array) });
      if (kind === 'hwnas') worst.push(worstCells(columnOf(f, 'cifar100'), rows, preset.get('cifar100') as Float64Array, heldIx));
      // pooled over the three tasks of the framework, fit part only
      const pooledMeasured = TASK_NAMES.flatMap((t) => fitPart(measured(t)));
      const pooledPreset = TASK_NAMES.flatMap((t) => fitPart(preset.get(t) as Float64Array));
      const scale = fitScale(pooledPreset, pooledMeasured);
      results.push({
        graph: kind,
        variant: 'S',
        framework: f,
        fitted: scale,
        fitMeanAbsLn: meanAbsLn(pooledPreset, pooledMeasured, scale),
        byTask: score((t) => (preset.get(t) as Float64Array).map((v) => v * scale)),
      });
      const best = fitGrid(
        gridModels.map((m) => m.flatMap((a) => fitPart(a))),
        pooledMeasured,
      );
      const chosen = gridModels[best.index] as Float64Array[];
      results.push({
        graph: kind,
        variant: 'A',
        framework: f,
        fitted: grid[best.index] as Overrides,
        fitMeanAbsLn: best.meanAbsLn,
        byTask: score((t) => chosen[TASK_NAMES.indexOf(t)] as Float64Array),
      });
    }
  }
  return { fitClasses: fitIx.length, heldClasses: heldIx.length, checkedNetworks: checked, worst, results };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const f3 = (x: number): string => x.toFixed(3);

function describeFit(r: VariantResult): string {
  if (r.fitted === undefined) return '';
  if (typeof r.fitted === 'number') return `x${formatNumber(r.fitted)}`;
  return Object.entries(r.fitted)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export function printCells(rep: CellsReport): void {
  console.log(
    `cortex-a76 (fp32, one core) vs HW-NAS-Bench-360 Raspberry Pi 5, one thread: ${rep.fitClasses} fit classes, ${rep.heldClasses} held out (layer-mix latencies checked against networkCost on ${rep.checkedNetworks} networks)`,
  );
  console.log('fitted (on the fit part, per framework over its 3 tasks):');
  for (const r of rep.results)
    if (r.variant !== 'preset') console.log(`  ${r.graph} ${r.variant} ${r.framework}: ${describeFit(r)} (fit mean |ln| ${f3(r.fitMeanAbsLn as number)})`);
  for (const part of ['all', 'top', 'cheap'] as const) {
    console.log(`\nheld-out ${part === 'all' ? 'classes' : part === 'top' ? 'most expensive decile' : 'cheapest decile'}:`);
    const rows = rep.results.flatMap((r) =>
      TASK_NAMES.map((t) => {
        const s = r.byTask[t][part];
        return [
          r.graph,
          r.variant,
          `${r.framework} ${t}`,
          String(s.n),
          f3(s.spearman),
          f3(s.kendall),
          f3(s.meanAbsLn),
          pct(s.medianAbsErr),
          pct(s.within25),
          pct(s.within50),
          `${formatNumber(s.minRatio)}-${formatNumber(s.maxRatio)}`,
        ];
      }),
    );
    const heads = ['graph', 'variant', 'column', 'n', 'Spearman', 'Kendall', 'mean |ln|', 'median err', '<=25%', '<=50%', 'model/meas'];
    console.log(
      formatTable(
        rows,
        heads.map((header, j) => ({ header, value: (r: string[]) => r[j], align: j < 3 ? ('left' as const) : ('right' as const) })),
      ),
    );
  }
}

function printWorst(rep: CellsReport): void {
  console.log('\nwhere the preset (G1) is wrong, held-out cifar100 (cell = ops of edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3):');
  const fmt = (p: WorstCells['over'][number]): string => `${p.repIndex} ${p.cell} ${formatNumber(p.modelMs)}/${formatNumber(p.measuredMs)} ms`;
  for (const w of rep.worst) {
    console.log(
      `  ${w.column}: model/measured geomean ${formatNumber(w.othersGeomeanRatio)} on input-dependent classes; ${w.independent.n} input-independent classes ${formatNumber(w.independent.geomeanRatio)} (median measured ${formatNumber(w.independent.medianMeasuredMs)} ms)`,
    );
    console.log(`    most over (model/measured): ${w.over.map(fmt).join(' | ')}`);
    console.log(`    most under: ${w.under.map(fmt).join(' | ')}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rep = runCells();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rep, null, 1));
  else {
    printCells(rep);
    printWorst(rep);
  }
}
