/**
 * The hardware-aware complexity report (after the hardware-aware complexity metric, seeds S5): per layer
 * and in total, MACs, bit operations, weight and activation bytes at the policy's bits, memory traffic,
 * latency, energy, the bound, and for accelerator targets the area of the compute array needed.
 */
import type { Graph } from '../ir/types.js';
import { activationBytes, graphWorkloads, type Workload, weightBytes } from '../ir/workload.js';
import { formatNumber, formatTable } from '../util/table.js';
import { policyActBits } from './activation-bits.js';
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
}

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
      bound:
        c?.fusedInto !== undefined ? 'fused' : w.op === 'input' || w.op === 'flatten' || w.op === 'reshape' || w.op === 'identity' ? '-' : (c?.bound ?? '-'),
      ...(c?.memoryBound !== undefined && c.fusedInto === undefined ? { memoryBound: c.memoryBound } : {}),
      utilization: c?.utilization ?? Number.NaN,
      areaMm2: area,
    };
  });
  let area = Number.NaN;
  for (const r of rows) if (!Number.isNaN(r.areaMm2)) area = Number.isNaN(area) ? r.areaMm2 : Math.max(area, r.areaMm2);
  const sum = (k: 'macs' | 'bitOps' | 'weightBytes' | 'activationBytes'): number => rows.reduce((s, r) => s + r[k], 0);
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
  };
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
  const shown = r.rows.filter((x) => opts.hideFree === false || (x.bound !== 'fused' && x.bound !== '-'));
  const hasArea = r.rows.some((x) => !Number.isNaN(x.areaMm2));
  const table = formatTable(shown, [
    { key: 'layer', header: 'layer' },
    { key: 'op', header: 'op' },
    { key: 'bits', header: 'bits' },
    { header: 'MMACs', value: (x) => x.macs / 1e6 },
    { header: 'GBOPs', value: (x) => x.bitOps / 1e9 },
    { header: 'W KiB', value: (x) => kib(x.weightBytes) },
    { header: 'A KiB', value: (x) => kib(x.activationBytes) },
    { header: 'DRAM KiB', value: (x) => kib(x.dramBytes) },
    { header: 'chip KiB', value: (x) => kib(x.onchipBytes) },
    { header: 'ms', value: (x) => x.latencyMs },
    { header: 'uJ', value: (x) => x.energyMj * 1e3 },
    { header: 'util', value: (x) => x.utilization },
    { header: 'bound', value: (x) => (x.memoryBound ? `${x.bound} (${x.memoryBound})` : x.bound) },
    ...(hasArea ? [{ header: 'mm2', value: (x: ComplexityRow) => x.areaMm2 }] : []),
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
    .map(([v, unit]) => `${formatNumber(v)} ${unit}`);
  const what =
    hidden.length === 0
      ? ''
      : `; sums of the ${shown.length} rows ${opts.layers === false ? 'of the per-layer table' : 'shown'}${left.length ? ` (the ${hidden.length} hidden fused and plumbing rows add ${left.join(', ')}, never written to DRAM; --json's total counts every node)` : ''}`;
  const lines = [
    `${r.model} on ${r.target}, policy ${r.policy}${r.batch > 1 ? `; batch ${r.batch}: latency, energy and traffic per batch of ${r.batch} (per sample ${formatNumber(t.latencyPerSampleMs)} ms), MACs and bytes per sample` : ''}`,
    `total: ${formatNumber(s('macs') / 1e6)} MMACs, ${formatNumber(s('bitOps') / 1e9)} GBOPs, weights ${formatNumber(kib(s('weightBytes')))} KiB, activations ${formatNumber(kib(s('activationBytes')))} KiB, DRAM ${formatNumber(kib(s('dramBytes')))} KiB, latency ${formatNumber(s('latencyMs') + t.networkOverheadMs)} ms, energy ${formatNumber(energy)} mJ${Number.isNaN(t.areaMm2) ? '' : `, compute-array area ${formatNumber(t.areaMm2)} mm2`}${t.networkOverheadMs ? ` (incl. ${formatNumber(t.networkOverheadMs)} ms network overhead)` : ''}${what}`,
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
      ? `per sample (A's batch ${c.a.batch}, B's ${c.b.batch}; the rows above are per batch): A ${formatNumber(c.a.total.latencyPerSampleMs)} ms / ${formatNumber(c.a.total.energyPerSampleMj)} mJ, B ${formatNumber(c.b.total.latencyPerSampleMs)} ms / ${formatNumber(c.b.total.energyPerSampleMj)} mJ; latency A/B ${formatNumber(c.speedup)}x, energy A/B ${formatNumber(c.energySaving)}x`
      : `total${c.a.batch > 1 ? ` (per batch of ${c.a.batch})` : ''}: A ${formatNumber(c.a.total.latencyMs)} ms / ${formatNumber(c.a.total.energyMj)} mJ, B ${formatNumber(c.b.total.latencyMs)} ms / ${formatNumber(c.b.total.energyMj)} mJ; latency A/B ${formatNumber(c.speedup)}x, energy A/B ${formatNumber(c.energySaving)}x`,
  ].join('\n');
}
