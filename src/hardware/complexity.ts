/**
 * The hardware-aware complexity report (after the hardware-aware complexity metric, seeds S5): per layer
 * and in total, MACs, bit operations, weight and activation bytes at the policy's bits, memory traffic,
 * latency, energy, the bound, and for accelerator targets the area of the compute array needed.
 */
import type { Graph } from '../ir/types.js';
import { activationBytes, graphWorkloads, type Workload, weightBytes } from '../ir/workload.js';
import { formatQuantity, formatTable, type TableColumn } from '../util/table.js';
import { policyActBits } from './activation-bits.js';
import { isFreeOp } from './layer-key.js';
import { type LayerPrecision, type Precision, type PrecisionPolicy, precisionLabel } from './precision.js';
import { groupSlices, prepareNetwork } from './prepared.js';
import type { Bound, HardwareTarget, MemoryLimiter } from './types.js';

/** One row of a complexity report. */
export interface ComplexityRow {
  readonly layer: string;
  readonly op: string;
  /** `w8a8`, `mixed` for channel groups, `a8` for nodes without weights. */
  readonly bits: string;
  readonly macs: number;
  /** MACs x weight bits x activation bits (BOPs). */
  readonly bitOps: number;
  readonly weightBytes: number;
  readonly activationBytes: number;
  readonly dramBytes: number;
  readonly onchipBytes: number;
  readonly latencyMs: number;
  readonly energyMj: number;
  readonly bound: Bound | 'fused' | '-';
  /** For a memory-bound layer on a target that splits its traffic (bitfusion, bismo): the operand limiting it. */
  readonly memoryBound?: MemoryLimiter;
  readonly utilization: number;
  /** Compute-array area (mm²) needed at this layer's precision (NaN for non-accelerator targets and non-MAC layers). */
  readonly areaMm2: number;
  /**
   * Set when the device runs the row at other bits than `bits` and charges it at them ({@link HardwareTarget.executedPrecision}):
   * `w16a16` (`a16`) when it moves the tensors at those bits, `8-bit compute` when only the arithmetic is wider.
   */
  readonly runsAs?: string;
  /** Set when another target costed the row: a lookup table's fallback, for a layer the table has no entry for. */
  readonly costedBy?: string;
}

/** How many rows of a report a lookup table's fallback target costed (reports of a target with a fallback). */
export interface FallbackRows {
  /** The fallback target. */
  readonly target: string;
  /** Rows it costed. */
  readonly rows: number;
  /** Rows that carry a cost of their own (not fused, not plumbing); the others of them came from the table. */
  readonly costedRows: number;
}

/** Totals of a report. */
export interface ComplexityTotals {
  readonly macs: number;
  readonly bitOps: number;
  readonly weightBytes: number;
  readonly activationBytes: number;
  readonly dramBytes: number;
  readonly onchipBytes: number;
  readonly latencyMs: number;
  readonly energyMj: number;
  /** Largest per-layer area: the array must serve every layer's precision. */
  readonly areaMm2: number;
  readonly networkOverheadMs: number;
  /** `latencyMs / batch`: per sample, comparable across targets with different batches. */
  readonly latencyPerSampleMs: number;
  /** `energyMj / batch`. */
  readonly energyPerSampleMj: number;
}

/** A complexity report. */
export interface ComplexityReport {
  readonly model: string;
  readonly target: string;
  readonly policy: string;
  /** The target's batch: latency, energy and traffic are per batch of this many samples; MACs, bit ops and bytes per sample. */
  readonly batch: number;
  readonly rows: readonly ComplexityRow[];
  readonly total: ComplexityTotals;
  /** For a target with a fallback (`lut:<file>?fallback=<t>`): how many rows the fallback costed. */
  readonly fallback?: FallbackRows;
}

/** What the device runs a row requested at `p` as, when it is not `p` (see {@link ComplexityRow.runsAs}). */
function runsAsLabel(t: HardwareTarget, p: Precision, mac: boolean): string | undefined {
  const e = t.executedPrecision?.(p, mac);
  if (!e) return undefined;
  if (mac ? e.weightBits !== p.weightBits || e.actBits !== p.actBits : e.actBits !== p.actBits)
    return mac ? precisionLabel({ weightBits: e.weightBits, actBits: e.actBits }) : `a${e.actBits}`;
  return e.computeBits !== (mac ? Math.max(p.weightBits, p.actBits) : p.actBits) ? `${e.computeBits}-bit compute` : undefined;
}

/** A row's cost is its own: not fused into another node's, not plumbing. */
const costed = (r: ComplexityRow): boolean => r.bound !== 'fused' && r.bound !== '-';

function parts(w: Workload, lp: LayerPrecision): Array<{ w: Workload; p: Precision }> {
  const slices = groupSlices(w, lp.groups);
  if (slices.length === 0) return [{ w, p: lp.groups?.[0] ?? lp }];
  return slices.map(({ slice, group }) => ({ w: slice, p: group }));
}

/** Build the complexity report of `graph` on `target` under `policy`. */
export function complexityReport(graph: Graph, target: HardwareTarget, policy: PrecisionPolicy): ComplexityReport {
  const cost = target.networkCost(graph, policy);
  const batch = target.batch ?? 1;
  const wls = graphWorkloads(graph);
  const net = prepareNetwork(graph);
  const act = policyActBits(net, policy); // the activation-bits convention (activation-bits.ts)
  const rows: ComplexityRow[] = wls.map((w, i) => {
    const c = cost.layers[i];
    const mac = w.op === 'conv2d' || w.op === 'dense';
    const li = net.layerOf[i] as number;
    const ab = li >= 0 ? (act.layer[li] as number) : (act.node[i] as number);
    const own: LayerPrecision = mac ? (policy.layers[w.node] ?? policy.default) : { weightBits: 0, actBits: ab };
    const lp: LayerPrecision = {
      weightBits: own.weightBits,
      actBits: ab,
      ...(own.groups ? { groups: own.groups.map((g) => ({ ...g, actBits: ab })) } : {}),
    };
    let bitOps = 0;
    let wB = 0;
    let area = Number.NaN;
    for (const { w: pw, p } of parts(w, lp)) {
      bitOps += pw.macs * p.weightBits * p.actBits;
      if (mac) wB += weightBytes(pw, p.weightBits);
      if (mac && target.computeAreaMm2) {
        const a = target.computeAreaMm2(p);
        area = Number.isNaN(area) ? a : Math.max(area, a);
      }
    }
    const aB = activationBytes(w, lp.actBits);
    const runs = c?.fusedInto === undefined && !isFreeOp(w.op) ? [...new Set(parts(w, lp).map(({ p }) => runsAsLabel(target, p, mac)))] : [];
    const runsAs = runs.filter((x) => x !== undefined).join('/');
    return {
      layer: w.node,
      op: w.op,
      bits: mac ? (lp.groups && lp.groups.length > 1 ? 'mixed' : precisionLabel(lp.groups?.[0] ?? lp)) : `a${lp.actBits}`,
      macs: w.macs,
      bitOps,
      weightBytes: wB,
      activationBytes: aB,
      dramBytes: c?.dramBytes ?? 0,
      onchipBytes: c?.onchipBytes ?? 0,
      latencyMs: c?.latencyMs ?? 0,
      energyMj: c?.energyMj ?? Number.NaN,
      bound: c?.fusedInto !== undefined ? 'fused' : isFreeOp(w.op) ? '-' : (c?.bound ?? '-'),
      ...(c?.memoryBound !== undefined && c.fusedInto === undefined ? { memoryBound: c.memoryBound } : {}),
      utilization: c?.utilization ?? Number.NaN,
      areaMm2: area,
      ...(runsAs !== '' ? { runsAs } : {}),
      ...(c?.costedBy !== undefined ? { costedBy: c.costedBy } : {}),
    };
  });
  let area = Number.NaN;
  for (const r of rows) if (!Number.isNaN(r.areaMm2)) area = Number.isNaN(area) ? r.areaMm2 : Math.max(area, r.areaMm2);
  const sum = (k: 'macs' | 'bitOps' | 'weightBytes' | 'activationBytes'): number => rows.reduce((s, r) => s + r[k], 0);
  const fb = target.fallback;
  return {
    model: graph.name,
    target: target.name,
    policy: policy.name ?? 'custom',
    batch,
    rows,
    total: {
      macs: sum('macs'),
      bitOps: sum('bitOps'),
      weightBytes: sum('weightBytes'),
      activationBytes: sum('activationBytes'),
      dramBytes: cost.dramBytes,
      onchipBytes: cost.onchipBytes,
      latencyMs: cost.latencyMs,
      energyMj: cost.energyMj,
      areaMm2: area,
      networkOverheadMs: cost.networkOverheadMs,
      latencyPerSampleMs: cost.latencyMs / batch,
      energyPerSampleMj: cost.energyMj / batch,
    },
    ...(fb ? { fallback: { target: fb.name, rows: rows.filter((r) => r.costedBy !== undefined).length, costedRows: rows.filter(costed).length } } : {}),
  };
}

/** What the header says of the bits the device runs (rows with `runsAs` among `shown`), or ''. */
function runsAsNote(r: ComplexityReport, shown: readonly ComplexityRow[], table: boolean): string {
  const ran = shown.filter((x) => x.runsAs !== undefined);
  if (ran.length === 0) return '';
  const labels = [...new Set(ran.map((x) => x.runsAs as string))];
  // one width for every row: 'at 16 bits (w16a16, a16)' when the tensors move at it, 'with 8-bit arithmetic' when only the compute does
  const moved = labels.map((l) => /^(?:w(\d+))?a(\d+)$/.exec(l)).map((m) => (m && (m[1] === undefined || m[1] === m[2]) ? m[2] : undefined));
  const computed = labels.map((l) => /^(\d+)-bit compute$/.exec(l)?.[1]);
  const one = (xs: (string | undefined)[]): string | undefined => (xs.every((x) => x !== undefined && x === xs[0]) ? xs[0] : undefined);
  const at = one(moved);
  const arith = one(computed);
  const how =
    at !== undefined
      ? `at ${at} bits (${labels.join(', ')}): their latency, energy and traffic are charged at ${at} bits`
      : arith !== undefined
        ? `with ${arith}-bit arithmetic: their latency and energy are charged at ${arith} bits, their traffic at the policy's`
        : `at other bits (${labels.join(', ')}), and is charged at those`;
  return `; ${r.target} runs ${ran.length} of ${shown.length} rows ${how}${table ? " (column 'runs as')" : ''}`;
}

/** What the header says of the rows a fallback target costed, or ''. */
function fallbackNote(r: ComplexityReport, table: boolean): string {
  const f = r.fallback;
  if (!f) return '';
  const own = f.costedRows - f.rows;
  if (own === 0 && f.rows > 0)
    return `; no row came from the table: all ${f.rows} from the fallback ${f.target} (check the policy's bits and the model's layers against the table's keys)`;
  return `; ${own} of ${f.costedRows} rows from the table, ${f.rows} from the fallback ${f.target}${table && f.rows > 0 ? " (column 'from')" : ''}`;
}

/** Options of {@link formatReport}. */
export interface FormatReportOptions {
  /** Show per-layer rows (default true). */
  readonly layers?: boolean;
  /** Hide fused and zero-cost plumbing rows (default true). */
  readonly hideFree?: boolean;
}

const kib = (b: number): number => b / 1024;

/** The report as a text table plus a totals line (energy shown in µJ per layer). */
export function formatReport(r: ComplexityReport, opts: FormatReportOptions = {}): string {
  const shown = r.rows.filter((x) => opts.hideFree === false || costed(x));
  const hasArea = r.rows.some((x) => !Number.isNaN(x.areaMm2));
  const q = (header: string, v: (x: ComplexityRow) => number): TableColumn<ComplexityRow> => ({ header, value: (x) => formatQuantity(v(x)), align: 'right' });
  const table = formatTable(shown, [
    { key: 'layer', header: 'layer' },
    { key: 'op', header: 'op' },
    { key: 'bits', header: 'bits' },
    ...(shown.some((x) => x.runsAs !== undefined) ? [{ header: 'runs as', value: (x: ComplexityRow) => x.runsAs ?? '' }] : []),
    ...(r.fallback && r.fallback.rows > 0 ? [{ header: 'from', value: (x: ComplexityRow) => (costed(x) ? (x.costedBy ?? 'table') : '') }] : []),
    q('MMACs', (x) => x.macs / 1e6),
    q('GBOPs', (x) => x.bitOps / 1e9),
    q('W KiB', (x) => kib(x.weightBytes)),
    q('A KiB', (x) => kib(x.activationBytes)),
    q('DRAM KiB', (x) => kib(x.dramBytes)),
    q('chip KiB', (x) => kib(x.onchipBytes)),
    q('ms', (x) => x.latencyMs),
    q('uJ', (x) => x.energyMj * 1e3),
    q('util', (x) => x.utilization),
    { header: 'bound', value: (x) => (x.memoryBound ? `${x.bound} (${x.memoryBound})` : x.bound) },
    ...(hasArea ? [q('mm2', (x) => x.areaMm2)] : []),
  ]);
  const t = r.total;
  // the totals line sums the rows the table lists (with --totals: would list), so each column adds up to its total;
  // what the hidden fused / plumbing rows hold (the activations of a bn or an activation inside its conv's kernel) is named apart
  const hidden = r.rows.filter((x) => !shown.includes(x));
  const sum = (rows: readonly ComplexityRow[], k: 'macs' | 'bitOps' | 'weightBytes' | 'activationBytes' | 'dramBytes' | 'latencyMs' | 'energyMj'): number =>
    rows.reduce((a, x) => a + (Number.isNaN(x[k]) ? 0 : x[k]), 0);
  const s = (k: Parameters<typeof sum>[1]): number => sum(shown, k);
  const energy = shown.some((x) => !Number.isNaN(x.energyMj)) ? s('energyMj') : Number.NaN;
  const left = (
    [
      ['MMACs', 'macs', 1e-6],
      ['GBOPs', 'bitOps', 1e-9],
      ['KiB of weights', 'weightBytes', 1 / 1024],
      ['KiB of activations', 'activationBytes', 1 / 1024],
      ['KiB of DRAM traffic', 'dramBytes', 1 / 1024],
      ['ms', 'latencyMs', 1],
      ['mJ', 'energyMj', 1],
    ] as const
  )
    .map(([unit, k, f]) => [sum(hidden, k) * f, unit] as const)
    .filter(([v]) => v !== 0)
    .map(([v, unit]) => `${formatQuantity(v)} ${unit}`);
  const what =
    hidden.length === 0
      ? ''
      : `; sums of the ${shown.length} rows ${opts.layers === false ? 'of the per-layer table' : 'shown'}${left.length ? ` (the ${hidden.length} hidden fused and plumbing rows add ${left.join(', ')}, never written to DRAM; --json's total counts every node)` : ''}`;
  const lines = [
    `${r.model} on ${r.target}, policy ${r.policy}${r.batch > 1 ? `; batch ${r.batch}: latency, energy and traffic per batch of ${r.batch} (per sample ${formatQuantity(t.latencyPerSampleMs)} ms), MACs and bytes per sample` : ''}${runsAsNote(r, shown, opts.layers !== false)}${fallbackNote(r, opts.layers !== false)}`,
    `total: ${formatQuantity(s('macs') / 1e6)} MMACs, ${formatQuantity(s('bitOps') / 1e9)} GBOPs, weights ${formatQuantity(kib(s('weightBytes')))} KiB, activations ${formatQuantity(kib(s('activationBytes')))} KiB, DRAM ${formatQuantity(kib(s('dramBytes')))} KiB, latency ${formatQuantity(s('latencyMs') + t.networkOverheadMs)} ms, energy ${formatQuantity(energy)} mJ${Number.isNaN(t.areaMm2) ? '' : `, compute-array area ${formatQuantity(t.areaMm2)} mm2`}${t.networkOverheadMs ? ` (incl. ${formatQuantity(t.networkOverheadMs)} ms network overhead)` : ''}${what}`,
  ];
  return opts.layers === false ? lines.join('\n') : [lines[0], table, lines[1]].join('\n');
}

/** One row of a comparison (b relative to a). */
export interface ComparisonRow {
  readonly layer: string;
  readonly bitsA: string;
  readonly bitsB: string;
  readonly latencyA: number;
  readonly latencyB: number;
  readonly energyA: number;
  readonly energyB: number;
  readonly boundA: string;
  readonly boundB: string;
  /** latencyA / latencyB (> 1: b is faster). */
  readonly speedup: number;
}

/** Two reports side by side (two targets, or two policies on one target). */
export interface Comparison {
  readonly a: ComplexityReport;
  readonly b: ComplexityReport;
  readonly rows: readonly ComparisonRow[];
  /** The two targets cost different batches: `speedup` and `energySaving` compare per sample (the rows stay per batch). */
  readonly perSample: boolean;
  readonly speedup: number;
  /** energyA / energyB. */
  readonly energySaving: number;
}

/** Compare two reports of the same graph layer by layer. */
export function compareReports(a: ComplexityReport, b: ComplexityReport): Comparison {
  const byName = new Map(b.rows.map((r) => [r.layer, r]));
  const rows: ComparisonRow[] = [];
  for (const ra of a.rows) {
    const rb = byName.get(ra.layer);
    if (!rb) continue;
    rows.push({
      layer: ra.layer,
      bitsA: ra.bits,
      bitsB: rb.bits,
      latencyA: ra.latencyMs,
      latencyB: rb.latencyMs,
      energyA: ra.energyMj,
      energyB: rb.energyMj,
      boundA: ra.bound,
      boundB: rb.bound,
      speedup: rb.latencyMs > 0 ? ra.latencyMs / rb.latencyMs : Number.NaN,
    });
  }
  // different batches: compare per sample
  const perSample = a.batch !== b.batch;
  const lat = (r: ComplexityReport): number => (perSample ? r.total.latencyPerSampleMs : r.total.latencyMs);
  const en = (r: ComplexityReport): number => (perSample ? r.total.energyPerSampleMj : r.total.energyMj);
  return { a, b, rows, perSample, speedup: lat(a) / lat(b), energySaving: en(a) / en(b) };
}

/** A comparison as a text table. */
export function formatComparison(c: Comparison, opts: { readonly layers?: boolean } = {}): string {
  const la = `${c.a.target}/${c.a.policy}`;
  const lb = `${c.b.target}/${c.b.policy}`;
  const shown = c.rows.filter((r) => r.latencyA > 0 || r.latencyB > 0);
  const table = formatTable(shown, [
    { key: 'layer', header: 'layer' },
    { key: 'bitsA', header: 'bits A' },
    { key: 'bitsB', header: 'bits B' },
    { header: 'ms A', value: (r) => r.latencyA },
    { header: 'ms B', value: (r) => r.latencyB },
    { header: 'A/B', value: (r) => r.speedup },
    { header: 'uJ A', value: (r) => r.energyA * 1e3 },
    { header: 'uJ B', value: (r) => r.energyB * 1e3 },
    { key: 'boundA', header: 'bound A' },
    { key: 'boundB', header: 'bound B' },
  ]);
  return [
    `A = ${la}, B = ${lb} (${c.a.model})`,
    ...(opts.layers === false ? [] : [table]),
    c.perSample
      ? `per sample (A's batch ${c.a.batch}, B's ${c.b.batch}; the rows above are per batch): A ${formatQuantity(c.a.total.latencyPerSampleMs)} ms / ${formatQuantity(c.a.total.energyPerSampleMj)} mJ, B ${formatQuantity(c.b.total.latencyPerSampleMs)} ms / ${formatQuantity(c.b.total.energyPerSampleMj)} mJ; latency A/B ${formatQuantity(c.speedup)}x, energy A/B ${formatQuantity(c.energySaving)}x`
      : `total${c.a.batch > 1 ? ` (per batch of ${c.a.batch})` : ''}: A ${formatQuantity(c.a.total.latencyMs)} ms / ${formatQuantity(c.a.total.energyMj)} mJ, B ${formatQuantity(c.b.total.latencyMs)} ms / ${formatQuantity(c.b.total.energyMj)} mJ; latency A/B ${formatQuantity(c.speedup)}x, energy A/B ${formatQuantity(c.energySaving)}x`,
  ].join('\n');
}
