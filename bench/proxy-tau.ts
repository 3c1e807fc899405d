/**
 * How well the SynFlow zero-cost proxy (bench/data/nb201-synflow.csv, bench/nb201-synflow.ts) ranks the accuracy
 * columns the NB201 and TransNAS-Bench-101 micro problems of bench/compare-optuna.ts use (issue 18, session 53,
 * proxy53), against two free baselines, MACs and parameters of the network (hwnas's workloads of NB201's CIFAR-10
 * network; for TransNAS micro the file's encoder `macs` / `params`):
 * - `overall`: Kendall tau-b over every cell that has a score;
 * - `in MACs groups`: tau-b pooled over the pairs of cells of equal MACs and parameters (the pairs that cost cannot
 *   separate: on a front, cost places a group and only the ranking within it decides which cell to query); MACs and
 *   parameters are constant there, so their tau is 0 by construction;
 * - `top pick`: over the MACs groups of at least 5 cells, the mean accuracy percentile (within its group; 0.5 = a
 *   random pick, 1 = the best) of the cell the proxy ranks first (ties: their mean);
 * - within `auto`'s classes (the repeat filter's computation classes) the proxy is constant by construction (cells of a
 *   class compute the same network), so no tau is defined there; pairs of one class are skipped everywhere (NB201
 *   trained each cell, so their accuracies differ by training noise only).
 * A cell whose output does not depend on its input scores -inf and ranks below every other; a row `cells whose output
 * depends on the input` leaves them out.
 * TransNAS micro cells map to NB201 cells digit for digit (ops none 0, skip 1, conv 1x1 2, conv 3x3 3; edges in the
 * same order): the score is that of NB201's CIFAR-10 network with the cell, not of TransNAS's encoder; the problems'
 * loader averages a class's members, so each TransNAS class counts once (its representative's row).
 *
 * `node dist/bench/proxy-tau.js [bench/data/nb201-synflow.csv]`
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { graphTotals } from '../src/ir/workload.js';
import { nb201Graph } from '../src/search/spaces/nb201.js';
import { parseCommentedCsv } from './commented-csv.js';
import { nb201CellOps } from './nb201-hwnas-cost.js';

/** Pair counts of two paired samples, as Kendall's tau-b needs them. */
export interface PairCounts {
  conc: number;
  disc: number;
  /** Pairs tied in the first sample only, in the second only. */
  tieA: number;
  tieB: number;
}

/** Adds the pair counts of `a` against `b` (equal length) into `into`, skipping pairs of equal `cls` when given. */
export function addPairCounts(a: readonly number[], b: readonly number[], into: PairCounts, cls?: readonly string[]): PairCounts {
  if (a.length !== b.length || (cls && cls.length !== a.length))
    throw new ConfigError(`pair counts: ${a.length} vs ${b.length} values (${cls?.length} classes); expected equal lengths`);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] as number;
    const bi = b[i] as number;
    for (let j = i + 1; j < a.length; j++) {
      if (cls && cls[i] === cls[j]) continue;
      const da = Math.sign(ai - (a[j] as number));
      const db = Math.sign(bi - (b[j] as number));
      if (da === 0 && db === 0) continue;
      if (da === 0) into.tieA++;
      else if (db === 0) into.tieB++;
      else if (da === db) into.conc++;
      else into.disc++;
    }
  }
  return into;
}

/** Kendall's tau-b of pooled pair counts (0 when one side is constant on every pair). */
export function tauB(c: PairCounts): number {
  const d = Math.sqrt((c.conc + c.disc + c.tieA) * (c.conc + c.disc + c.tieB));
  return d > 0 ? (c.conc - c.disc) / d : 0;
}

const zero = (): PairCounts => ({ conc: 0, disc: 0, tieA: 0, tieB: 0 });

/** One row of the analysis: a cell's proxy score, accuracy, its cost group's key, its computation class. */
export interface ProxyRow {
  readonly score: number;
  /** The computation class (pairs within one class are skipped: the proxy ties them by construction). */
  readonly cls: string;
  readonly accuracy: number;
  readonly macs: number;
  readonly params: number;
}

/** The figures of one accuracy column. */
export interface ProxyTau {
  readonly n: number;
  readonly overall: { readonly synflow: number; readonly macs: number; readonly params: number };
  readonly inGroups: number;
  readonly groupPairs: number;
  readonly groups: number;
  readonly topPick: number;
  readonly topPickGroups: number;
}

/** The figures of {@link ProxyTau} for `rows` (a -inf score ranks below every finite one). */
export function proxyTau(rows: readonly ProxyRow[]): ProxyTau {
  const acc = rows.map((r) => r.accuracy);
  const cls = rows.map((r) => r.cls);
  const fin = (v: number): number => (Number.isFinite(v) ? v : -1e9);
  const overall = {
    synflow: tauB(
      addPairCounts(
        rows.map((r) => fin(r.score)),
        acc,
        zero(),
        cls,
      ),
    ),
    macs: tauB(
      addPairCounts(
        rows.map((r) => r.macs),
        acc,
        zero(),
        cls,
      ),
    ),
    params: tauB(
      addPairCounts(
        rows.map((r) => r.params),
        acc,
        zero(),
        cls,
      ),
    ),
  };
  const groups = new Map<string, ProxyRow[]>();
  for (const r of rows) {
    const k = `${r.macs}|${r.params}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const pooled = zero();
  let groupPairs = 0;
  let pickSum = 0;
  let pickGroups = 0;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    groupPairs += (g.length * (g.length - 1)) / 2;
    addPairCounts(
      g.map((r) => fin(r.score)),
      g.map((r) => r.accuracy),
      pooled,
      g.map((r) => r.cls),
    );
    if (g.length >= 5) {
      const best = Math.max(...g.map((r) => fin(r.score)));
      const top = g.filter((r) => fin(r.score) === best);
      // percentile of a value in its group: share of the group strictly below, plus half the ties
      const pct = (a: number): number => (g.filter((r) => r.accuracy < a).length + (g.filter((r) => r.accuracy === a).length - 1) / 2) / (g.length - 1);
      pickSum += top.reduce((s, r) => s + pct(r.accuracy), 0) / top.length;
      pickGroups++;
    }
  }
  return {
    n: rows.length,
    overall,
    inGroups: tauB(pooled),
    groupPairs,
    groups: [...groups.values()].filter((g) => g.length >= 2).length,
    topPick: pickGroups ? pickSum / pickGroups : Number.NaN,
    topPickGroups: pickGroups,
  };
}

/** A cell's scores in bench/data/nb201-synflow.csv: the c10 network's, the in16 network's where computed, its class representative. */
export interface SynflowRow {
  readonly score: number;
  readonly in16: number | undefined;
  readonly rep: string;
}

/** Reads bench/data/nb201-synflow.csv (cell -> {@link SynflowRow}). */
export function readSynflow(path: string): Map<string, SynflowRow> {
  const out = new Map<string, SynflowRow>();
  const num = (v: string): number => (v === '-inf' ? Number.NEGATIVE_INFINITY : Number(v));
  for (const r of parseCommentedCsv(readFileSync(path, 'utf8'), path).rows) {
    const v = r.c10_synflow_log10;
    if (v === undefined) throw new ConfigError(`${path}: no c10_synflow_log10 column`);
    const w = r.in16_synflow_log10;
    out.set(r.cell as string, { score: num(v), in16: w === undefined || w === '' ? undefined : num(w), rep: r.class_rep as string });
  }
  return out;
}

const totals = new Map<string, { macs: number; params: number }>();
function nb201Totals(rep: string): { macs: number; params: number } {
  let t = totals.get(rep);
  if (!t) {
    const g = graphTotals(nb201Graph(nb201CellOps(rep)));
    t = { macs: g.macs, params: g.params };
    totals.set(rep, t);
  }
  return t;
}

/** The accuracy columns of the NB201 problems (file under bench/data, column, what). */
export const NB201_ACCURACY = [
  { file: 'nb201-c10-in16.csv', column: 'acc_cifar10', what: 'NB201 CIFAR-10 (12 epochs)' },
  { file: 'nb201-hw360.csv', column: 'acc_cifar100', what: 'NB201 CIFAR-100 (200 epochs)' },
  { file: 'nb201-c10-in16.csv', column: 'acc_imagenet16', what: 'NB201 ImageNet16-120 (12 epochs)' },
  { file: 'nb201-hw360.csv', column: 'acc_ninapro', what: 'NAS-Bench-360 NinaPro' },
  { file: 'nb201-hw360.csv', column: 'darcy_score', what: 'NAS-Bench-360 Darcy Flow' },
] as const;

/** The TransNAS-Bench-101 micro task columns (bench/data/transnas-micro.csv; higher is better in each). */
export const TNB_TASKS = ['scene_top1', 'object_top1', 'jigsaw_top1', 'room_negloss', 'segment_acc', 'normal_ssim', 'autoenc_ssim'] as const;

function fmt(t: ProxyTau, what: string): string {
  const f = (v: number): string => (v >= 0 ? ' ' : '') + v.toFixed(3);
  return `| ${what} | ${t.n} | ${f(t.overall.synflow)} | ${f(t.overall.macs)} | ${f(t.overall.params)} | ${f(t.inGroups)} | ${t.groups} / ${t.groupPairs} | ${t.topPick.toFixed(3)} (${t.topPickGroups}) |`;
}

/** The markdown table of every accuracy column. */
export function report(synflowPath: string, dataDir = 'bench/data'): string {
  const sf = readSynflow(synflowPath);
  const lines = [
    '| accuracy column | cells | synflow tau | MACs tau | params tau | synflow tau in MACs groups | groups / pairs | synflow top pick (groups) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const a of NB201_ACCURACY) {
    const path = `${dataDir}/${a.file}`;
    const rows: ProxyRow[] = [];
    for (const r of parseCommentedCsv(readFileSync(path, 'utf8'), path).rows) {
      const s = sf.get(r.cell as string);
      const v = Number(r[a.column]);
      if (!s || !Number.isFinite(v)) continue;
      rows.push({ score: s.score, cls: s.rep, accuracy: v, ...nb201Totals(s.rep) });
    }
    lines.push(fmt(proxyTau(rows), a.what));
    if (a.column !== 'acc_ninapro' && a.column !== 'darcy_score')
      lines.push(fmt(proxyTau(rows.filter((r) => Number.isFinite(r.score))), `${a.what}, cells whose output depends on the input`));
  }
  // The ImageNet16-120 network's own score (16x16 input, 120 classes) on the cells where it was computed, against the
  // CIFAR-10 network's on the same cells.
  for (const net of ['in16', 'c10'] as const) {
    const rows: ProxyRow[] = [];
    for (const r of parseCommentedCsv(readFileSync(`${dataDir}/nb201-c10-in16.csv`, 'utf8'), 'nb201-c10-in16.csv').rows) {
      const s = sf.get(r.cell as string);
      if (!s || s.in16 === undefined) continue;
      rows.push({ score: net === 'in16' ? s.in16 : s.score, cls: s.rep, accuracy: Number(r.acc_imagenet16), ...nb201Totals(s.rep) });
    }
    if (rows.length > 0)
      lines.push(
        fmt(proxyTau(rows), `NB201 ImageNet16-120, score of the ${net === 'in16' ? 'ImageNet16-120 (16x16) network' : 'CIFAR-10 network, same cells'}`),
      );
  }
  // A reference for what a good within-group ranker reaches: another task's trained accuracy as the "proxy".
  const c100 = new Map<string, number>();
  const hwPath = `${dataDir}/nb201-hw360.csv`;
  for (const r of parseCommentedCsv(readFileSync(hwPath, 'utf8'), hwPath).rows) c100.set(r.cell as string, Number(r.acc_cifar100));
  const ciPath = `${dataDir}/nb201-c10-in16.csv`;
  for (const column of ['acc_cifar10', 'acc_imagenet16']) {
    const rows: ProxyRow[] = [];
    for (const r of parseCommentedCsv(readFileSync(ciPath, 'utf8'), ciPath).rows) {
      const s = sf.get(r.cell as string);
      const v = c100.get(r.cell as string);
      if (!s || v === undefined) continue;
      rows.push({ score: v, cls: s.rep, accuracy: Number(r[column]), ...nb201Totals(s.rep) });
    }
    lines.push(fmt(proxyTau(rows), `reference: trained CIFAR-100 accuracy (200 epochs) as the proxy of ${column}`));
  }
  const tnbPath = `${dataDir}/transnas-micro.csv`;
  const tnb = parseCommentedCsv(readFileSync(tnbPath, 'utf8'), tnbPath).rows.filter((r) => r.cell === r.class);
  for (const task of TNB_TASKS) {
    const rows: ProxyRow[] = [];
    for (const r of tnb) {
      const s = sf.get((r.cell as string).replaceAll('_', ''));
      if (!s) continue;
      rows.push({ score: s.score, cls: r.cell as string, accuracy: Number(r[task]), macs: Number(r.macs), params: Number(r.params) });
    }
    lines.push(fmt(proxyTau(rows), `TransNAS micro ${task} (class reps)`));
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(report(process.argv[2] ?? 'bench/data/nb201-synflow.csv'));
}
