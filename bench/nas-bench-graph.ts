/**
 * NAS-Bench-Graph (Qin et al., NeurIPS 2022 Datasets and Benchmarks, github.com/THUMNLab/NAS-Bench-Graph) as an hwnas
 * architecture space and a table for bench/compare-optuna.ts (issue 18, session 35: a graph-neural-network space,
 * unseen by every hwnas strategy before its pre-registration).
 *
 * The space: 4 computing nodes; node i takes one input, the raw input (0) or an earlier node, and applies one of 9
 * operations (gat, gcn, gin, cheb, sage, arma, graph, fc, skip); nodes without a child (leaves) feed the output. The
 * input indices form a link pattern; the benchmark's hash encodes 9 patterns (`0000` all four nodes on the input, ...,
 * `0123` a chain), and every other wiring is one of these up to renumbering the nodes. A point is written
 * `<link>-<op1>-<op2>-<op3>-<op4>`, e.g. `0112-gcn-gin-fc-cheb`: parameters `link` (9 choices) and `op1`..`op4` (9
 * each), 59,049 points. tableProblem's Optuna side gets each parameter's own choices.
 *
 * Classes: many points compute the same network (a skip node passes its input on; two leaves on the same input in
 * either order; a leaf that carries the raw input through skips adds nothing to the output). The benchmark trained one
 * network per class and stores it under a hash (26,206 per dataset). {@link nbgClassKey} is this file's own computation
 * class (skips contracted into their input, a node's class its operation and the multiset of its children's classes,
 * the output the multiset of leaves that do not carry the raw input); bench/data/nas-bench-graph.py maps every point to
 * its class's hash with the same rule, and the tests check that the two partitions agree on all 59,049 points. The 9
 * points whose four operations are all skip contain no computing operation and are not in the benchmark: the table has
 * no row for them, so a query of one is an error (a failed trial), never a number.
 *
 * hwnas's IR has no graph-neural-network operations: `graph` throws, and the space's `classKey` (the benchmark's hash,
 * from the CSV) is what the repeat filter uses, so it never builds a graph.
 *
 * Table: bench/data/nas-bench-graph.csv (built by `/usr/bin/python3 bench/data/nas-bench-graph.py <dir of .bench
 * files>`; sources and sha256 in its header): the benchmark's test performance, measured latency (ms) and parameters
 * (M) of every point's class on arxiv, computers and pubmed.
 *
 * ogbn-proteins (session 38, table15): the benchmark's light file for it stores 2,021 classes, all on 5 of the 9
 * operations (gcn, sage, arma, fc, skip). Its space is the sub-space of those operations ({@link nbgOps}; 9 x 5^4 =
 * 5,625 points, the same link patterns and classes), in bench/data/nas-bench-graph-proteins.csv (the builder's third
 * argument restricts the operations). Its `perf` is the stored test performance as for every dataset (the benchmark's
 * metric for ogbn-proteins is ROC-AUC, in [0, 1]).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../src/errors.js';
import { NasTable } from '../src/nas/tabular.js';
import { SearchSpace } from '../src/search/space.js';
import type { ArchSpace } from '../src/search/spaces/types.js';
import type { Params } from '../src/search/types.js';
import { parseCommentedCsv } from './commented-csv.js';

/** The benchmark's 9 operations (its order: the digit of each in the hash). */
export const NBG_OPS = ['gat', 'gcn', 'gin', 'cheb', 'sage', 'arma', 'graph', 'fc', 'skip'] as const;
/** The 9 link patterns of the benchmark's hash (the input node of computing nodes 1-4), in hash order. */
export const NBG_LINKS = ['0000', '0001', '0011', '0012', '0013', '0111', '0112', '0122', '0123'] as const;
/** The datasets bench/data/nas-bench-graph.csv holds (session 35). */
export const NBG_DATASETS_1 = ['arxiv', 'computers', 'pubmed'] as const;
/** The datasets bench/data/nas-bench-graph-2.csv holds (session 36, table13; the same space and builder). */
export const NBG_DATASETS_2 = ['cora', 'citeseer', 'photo', 'cs', 'physics'] as const;
/** The dataset of bench/data/nas-bench-graph-proteins.csv (session 38, table15; the 5-operation sub-space). */
export const NBG_DATASETS_3 = ['proteins'] as const;
/** The operations of ogbn-proteins's sub-space (the only ones its light file stores), in the benchmark's order. */
export const NBG_PROTEINS_OPS = ['gcn', 'sage', 'arma', 'fc', 'skip'] as const;
/** Every dataset of the three CSVs. */
export const NBG_DATASETS = [...NBG_DATASETS_1, ...NBG_DATASETS_2, ...NBG_DATASETS_3] as const;
export type NbgDataset = (typeof NBG_DATASETS)[number];
const OP_PARAMS = ['op1', 'op2', 'op3', 'op4'] as const;
/** The number of points (9 link patterns x 9^4 operation lists). */
export const NBG_POINTS = NBG_LINKS.length * NBG_OPS.length ** 4;

/** The operations of a dataset's space: all 9, or for proteins {@link NBG_PROTEINS_OPS}. */
export function nbgOps(dataset: NbgDataset): readonly string[] {
  return dataset === 'proteins' ? NBG_PROTEINS_OPS : NBG_OPS;
}

const ARCH_RE = new RegExp(`^(${NBG_LINKS.join('|')})-(${NBG_OPS.join('|')})-(${NBG_OPS.join('|')})-(${NBG_OPS.join('|')})-(${NBG_OPS.join('|')})$`);

/** Parses `<link>-<op1>-<op2>-<op3>-<op4>` (ConfigError quoting it and the expected form). */
export function parseNbg(s: string): string {
  if (typeof s !== 'string' || !ARCH_RE.test(s.trim()))
    throw new ConfigError(
      `nas-bench-graph architecture '${s}': expected <link>-<op1>-<op2>-<op3>-<op4> with link one of ${NBG_LINKS.join(', ')} and ops of ${NBG_OPS.join(', ')}, e.g. '0112-gcn-gin-fc-cheb'`,
    );
  return s.trim();
}

/**
 * Every point, link pattern first, then the operations in the benchmark's order (the first operation most significant);
 * with `ops` (a subset of {@link NBG_OPS} in its order, e.g. {@link NBG_PROTEINS_OPS}) the points of that sub-space.
 */
export function enumerateNbg(ops: readonly string[] = NBG_OPS): string[] {
  const out: string[] = [];
  const k = ops.length;
  for (const link of NBG_LINKS)
    for (let i = 0; i < k ** 4; i++) {
      const d = [...i.toString(k).padStart(4, '0')].map((c) => Number.parseInt(c, k));
      out.push([link, ...d.map((x) => ops[x] as string)].join('-'));
    }
  return out;
}

/** Whether a point has no computing operation (all four are skip); the benchmark has no entry for these. */
export function nbgNoComputation(arch: string): boolean {
  return parseNbg(arch)
    .split('-')
    .slice(1)
    .every((o) => o === 'skip');
}

/**
 * The computation class of a point (see the module doc): skip nodes contracted into the node whose value they carry, a
 * node written as its operation with its children's classes sorted, each leaf that does not carry the raw input counted
 * once on the node it carries.
 */
export function nbgClassKey(arch: string): string {
  const [link, ...ops] = parseNbg(arch).split('-') as [string, ...string[]];
  const parent = [...link].map(Number);
  const carries = [0, 0, 0, 0, 0];
  for (let i = 1; i <= 4; i++) carries[i] = ops[i - 1] === 'skip' ? (carries[parent[i - 1] as number] as number) : i;
  const hasChild = [false, false, false, false, false];
  for (let i = 1; i <= 4; i++) hasChild[parent[i - 1] as number] = true;
  const out = [0, 0, 0, 0, 0];
  for (let i = 1; i <= 4; i++) {
    const c = carries[i] as number;
    if (!hasChild[i] && c !== 0) out[c] = (out[c] as number) + 1;
  }
  const children: number[][] = [[], [], [], [], []];
  for (let i = 1; i <= 4; i++) if (ops[i - 1] !== 'skip') (children[carries[parent[i - 1] as number] as number] as number[]).push(i);
  const node = (v: number): string => {
    const inner = (children[v] as number[])
      .map(node)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .join(',');
    return `${v === 0 ? 'in' : ops[v - 1]}(${inner})${out[v] ? `*${out[v]}` : ''}`;
  };
  return node(0);
}

/**
 * The NAS-Bench-Graph space (see the module doc). With `hashes` (point -> the benchmark's hash, from the CSV) its
 * `classKey` is the hash (`none` for a point without one); without, {@link nbgClassKey}. With `ops` (a subset of
 * {@link NBG_OPS} with skip, e.g. {@link NBG_PROTEINS_OPS}) the operation parameters offer those only (the space's name
 * is then `nas-bench-graph-<n>ops`).
 */
export function nasBenchGraphSpace(hashes?: ReadonlyMap<string, string>, ops: readonly string[] = NBG_OPS): ArchSpace<string> {
  if (ops.length < 2 || !ops.includes('skip') || new Set(ops).size !== ops.length || ops.some((o) => !(NBG_OPS as readonly string[]).includes(o)))
    throw new ConfigError(`nas-bench-graph operations '${ops.join(',')}': expected distinct names of ${NBG_OPS.join(', ')}, skip among them`);
  const space = new SearchSpace({
    link: { kind: 'categorical', choices: [...NBG_LINKS] },
    ...Object.fromEntries(OP_PARAMS.map((n) => [n, { kind: 'categorical' as const, choices: [...ops] }])),
  });
  return {
    name: ops.length === NBG_OPS.length ? 'nas-bench-graph' : `nas-bench-graph-${ops.length}ops`,
    space,
    toParams: (a) => {
      const [link, ...ops] = parseNbg(a).split('-');
      return { link: link as string, ...Object.fromEntries(OP_PARAMS.map((n, i) => [n, ops[i] as string])) };
    },
    fromParams: (p: Params) => {
      const why = space.check(p);
      if (why !== null) throw new ConfigError(`nas-bench-graph point: ${why}`);
      return [p.link, ...OP_PARAMS.map((n) => p[n])].join('-');
    },
    format: (a) => a,
    parse: parseNbg,
    classKey: (a) => (hashes ? `hash ${hashes.get(a) ?? 'none'}` : nbgClassKey(a)),
    graph: (a) => {
      throw new ConfigError(
        `nas-bench-graph architecture '${a}': hwnas's IR has no graph-neural-network operations (gat, gcn, ...); this space is a table of the benchmark's measurements only`,
      );
    },
    slots: () => [],
    slotOf: () => undefined,
    slotParams: () => [],
  };
}

/** One problem on this table: a dataset's test performance (maximised) with its latency and, optionally, its parameters. */
export interface NbgProblemSpec {
  readonly note: string;
  readonly dataset: NbgDataset;
  /** A third objective `params_m` (minimised): the stored parameter count in millions. */
  readonly params?: boolean;
}

/** The objectives of a problem: accuracy:max, latency_ms:min and, with params, params_m:min. */
export function nbgObjectives(spec: NbgProblemSpec): string {
  return spec.params ? 'accuracy:max,latency_ms:min,params_m:min' : 'accuracy:max,latency_ms:min';
}

/**
 * Loads a problem's columns (`<dataset>_perf` as `accuracy`, `<dataset>_latency_ms` as `latency_ms`, with params
 * `<dataset>_params_m` as `params_m`) as a NasTable over {@link nasBenchGraphSpace} keyed by the CSV's hashes. The 9
 * points without a computing operation must have an empty hash and empty figures and get no row. Bad rows are errors
 * naming the value and what was expected: an architecture not of the space's form or appearing twice, a hash that is
 * not a non-negative integer (or empty on a point with a computing operation), a performance outside [0, 1], a latency
 * or parameter count that is not a finite number >= 0, two points of one hash with different figures, a table without
 * all 59,049 points (for proteins, all 5,625 of its sub-space; an operation outside it is an error).
 */
export function loadNbgTable(path: string, spec: NbgProblemSpec, text = readFileSync(path, 'utf8')): NasTable {
  const csv = parseCommentedCsv(text, path);
  const d = spec.dataset;
  const ops = nbgOps(d);
  const points = NBG_LINKS.length * ops.length ** 4;
  const cols = [`${d}_perf`, `${d}_latency_ms`, ...(spec.params ? [`${d}_params_m`] : [])];
  for (const c of ['arch', 'hash', ...cols])
    if (!(c in (csv.rows[0] as object))) throw new Error(`${path}: no column '${c}'; expected arch, hash and <dataset>_perf / _latency_ms / _params_m`);
  const hashes = new Map<string, string>();
  const seen = new Set<string>();
  const figures = new Map<string, string>();
  const rows: { arch: string; values: number[] }[] = [];
  for (const r of csv.rows) {
    const arch = r.arch ?? '';
    if (!ARCH_RE.test(arch)) throw new Error(`${path}: arch '${arch}': expected <link>-<op1>-<op2>-<op3>-<op4> (e.g. 0112-gcn-gin-fc-cheb)`);
    if (seen.has(arch)) throw new Error(`${path}: arch ${arch} appears twice; expected one row per point`);
    seen.add(arch);
    if (
      ops !== NBG_OPS &&
      arch
        .split('-')
        .slice(1)
        .some((o) => !ops.includes(o))
    )
      throw new Error(`${path}: arch ${arch}: expected operations of ${d}'s sub-space only (${ops.join(', ')})`);
    const h = (r.hash ?? '').trim();
    if (nbgNoComputation(arch)) {
      if (h !== '' || cols.some((c) => (r[c] ?? '').trim() !== ''))
        throw new Error(`${path}: arch ${arch} has no computing operation (the benchmark has no entry for it): expected an empty hash and empty figures`);
      continue;
    }
    if (!/^\d+$/.test(h)) throw new Error(`${path}: hash '${h}' of arch ${arch}: expected the benchmark's hash, a non-negative integer`);
    const num = (c: string): number => ((r[c] ?? '').trim() === '' ? Number.NaN : Number(r[c]));
    const perf = num(cols[0] as string);
    if (!(perf >= 0 && perf <= 1)) throw new Error(`${path}: ${cols[0]} '${r[cols[0] as string]}' of arch ${arch}: expected a performance in [0, 1]`);
    const costs = cols.slice(1).map((c) => {
      const v = num(c);
      if (!(v >= 0 && Number.isFinite(v))) throw new Error(`${path}: ${c} '${r[c]}' of arch ${arch}: expected a finite number >= 0`);
      return v;
    });
    const values = [perf, ...costs];
    const f = figures.get(h);
    if (f === undefined) figures.set(h, values.join(','));
    else if (f !== values.join(','))
      throw new Error(
        `${path}: arch ${arch} has ${cols.join(', ')} ${values.join(', ')} but other points of hash ${h} have ${f}; expected one figure per hash`,
      );
    hashes.set(arch, h);
    rows.push({ arch, values });
  }
  if (seen.size !== points) throw new Error(`${path}: ${seen.size} points; expected all ${points}`);
  const metrics = spec.params ? ['accuracy', 'latency_ms', 'params_m'] : ['accuracy', 'latency_ms'];
  const t = new NasTable(nasBenchGraphSpace(hashes, ops) as ArchSpace, metrics, path);
  for (const r of rows) t.add(r.arch, r.values);
  return t;
}
