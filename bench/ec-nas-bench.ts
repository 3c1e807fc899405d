/**
 * EC-NAS-Bench (Bakhtiarifard, Igel, Selvan, ICASSP 2024; github.com/PedramBakh/EC-NAS-Bench, MIT) as an hwnas
 * architecture space and a table for bench/compare-optuna.ts (issue 18, session 38, table15: unseen by every hwnas
 * strategy before its pre-registration).
 *
 * The space: NAS-Bench-101's cell cut to 5 vertices: vertex 0 the input, 4 the output, vertices 1-3 one operation each of
 * conv3x3 (conv3x3-bn-relu), conv1x1 (conv1x1-bn-relu) and maxpool (maxpool3x3); an edge i -> j (i < j) is on or off,
 * 10 edges. A point is written `<10 bits>-<op1>-<op2>-<op3>`, the bits the upper triangle row by row (edges 0-1, 0-2,
 * 0-3, 0-4, 1-2, 1-3, 1-4, 2-3, 2-4, 3-4), e.g. `1111111101-maxpool-conv3x3-conv3x3`: parameters `e01` .. `e34` ('0' or
 * '1') and `op1` .. `op3`, 1,024 x 27 = 27,648 points.
 *
 * Classes: as NAS-Bench-101 does, a point's cell is pruned to the vertices on a path from the input to the output (their
 * operations dropped with them); a cell with no such path, or with more than 9 edges after pruning, is not a network of
 * the benchmark (an invalid point: 4,968 of them). The pruned cell's class is NAS-Bench-101's graph hash
 * ({@link ecnasGraphHash}, this file's own implementation of the published vertex-hash refinement); isomorphic cells share
 * it. The benchmark trained one network per class: 2,532 classes, all with results. An invalid point has no row: a
 * query of one is an error (a failed trial), never a number, on both sides.
 *
 * hwnas's IR is not built for these cells (`graph` throws); the space's `classKey` is the hash, which the repeat filter
 * uses.
 *
 * Table: bench/data/ec-nas-bench-5v.csv, one row per class (built by `/usr/bin/python3 bench/data/ec-nas-bench.py <git
 * dir>`; sources in its header): the stored pruned cell and the 4-epoch results (validation / test accuracy, the run's
 * measured energy, time, parameters, the test-set prediction time).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../src/errors.js';
import { NasTable } from '../src/nas/tabular.js';
import { SearchSpace } from '../src/search/space.js';
import type { ArchSpace } from '../src/search/spaces/types.js';
import type { Params } from '../src/search/types.js';
import { parseCommentedCsv } from './commented-csv.js';

/** The operations of vertices 1-3 (NAS-Bench-101's labels 0, 1, 2, in that order). */
export const ECNAS_OPS = ['conv3x3', 'conv1x1', 'maxpool'] as const;
/** The 10 edges (from, to) of the 5-vertex upper triangle, row by row: the bit order of a point. */
export const ECNAS_EDGES: readonly (readonly [number, number])[] = [
  [0, 1],
  [0, 2],
  [0, 3],
  [0, 4],
  [1, 2],
  [1, 3],
  [1, 4],
  [2, 3],
  [2, 4],
  [3, 4],
];
const EDGE_PARAMS = ECNAS_EDGES.map(([i, j]) => `e${i}${j}`);
const OP_PARAMS = ['op1', 'op2', 'op3'] as const;
/** The number of points (2^10 edge sets x 3^3 operation lists). */
export const ECNAS_POINTS = 2 ** 10 * 27;
/** NAS-Bench-101's edge limit. */
const MAX_EDGES = 9;

const ARCH_RE = new RegExp(`^([01]{10})-(${ECNAS_OPS.join('|')})-(${ECNAS_OPS.join('|')})-(${ECNAS_OPS.join('|')})$`);

/** Parses `<10 bits>-<op1>-<op2>-<op3>` (ConfigError quoting it and the expected form). */
export function parseEcnas(s: string): string {
  if (typeof s !== 'string' || !ARCH_RE.test(s.trim()))
    throw new ConfigError(
      `ec-nas-bench architecture '${s}': expected <10 edge bits>-<op1>-<op2>-<op3> with ops of ${ECNAS_OPS.join(', ')}, e.g. '1111111101-maxpool-conv3x3-conv3x3'`,
    );
  return s.trim();
}

/** Every point, the edge bits (as a binary number, the first edge most significant) first, then the operations. */
export function enumerateEcnas(): string[] {
  const out: string[] = [];
  for (let b = 0; b < 2 ** 10; b++) {
    const bits = b.toString(2).padStart(10, '0');
    for (let i = 0; i < 27; i++) out.push([bits, ECNAS_OPS[Math.floor(i / 9)], ECNAS_OPS[Math.floor(i / 3) % 3], ECNAS_OPS[i % 3]].join('-'));
  }
  return out;
}

/** A cell: adjacency matrix (matrix[i][j] = 1 for an edge i -> j) and labels (-1 input, -2 output, 0-2 the operations). */
export interface EcnasCell {
  readonly matrix: readonly (readonly number[])[];
  readonly labels: readonly number[];
}

/** The 5-vertex cell of a point, unpruned. */
export function ecnasCell(arch: string): EcnasCell {
  const [bits, ...ops] = parseEcnas(arch).split('-') as [string, ...string[]];
  const matrix = Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]);
  ECNAS_EDGES.forEach(([i, j], k) => {
    (matrix[i] as number[])[j] = bits[k] === '1' ? 1 : 0;
  });
  return { matrix, labels: [-1, ...ops.map((o) => ECNAS_OPS.indexOf(o as (typeof ECNAS_OPS)[number])), -2] };
}

/**
 * NAS-Bench-101's pruning: keeps the vertices reachable from the input and reaching the output. Undefined when the
 * input does not reach the output.
 */
export function ecnasPrune(cell: EcnasCell): EcnasCell | undefined {
  const n = cell.matrix.length;
  const edge = (i: number, j: number) => (cell.matrix[i] as readonly number[])[j] === 1;
  const from = new Set([0]);
  for (let v = 1; v < n; v++) for (const u of from) if (edge(u, v)) from.add(v);
  const to = new Set([n - 1]);
  for (let v = n - 2; v >= 0; v--) for (const w of to) if (edge(v, w)) to.add(v);
  if (!from.has(n - 1)) return undefined;
  const keep = [...Array(n).keys()].filter((v) => from.has(v) && to.has(v));
  return { matrix: keep.map((i) => keep.map((j) => (edge(i, j) ? 1 : 0))), labels: keep.map((v) => cell.labels[v] as number) };
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/**
 * NAS-Bench-101's graph hash (as its paper and generator describe it): each vertex starts from the MD5 of its
 * `(out-degree, in-degree, label)` written as a Python tuple; then, as many rounds as vertices, each vertex is re-hashed
 * from its in-neighbours' hashes sorted and concatenated, `|`, its out-neighbours' likewise, `|`, its own hash; the
 * graph's hash is the MD5 of the sorted vertex hashes written as a Python list of strings.
 */
export function ecnasGraphHash(cell: EcnasCell): string {
  const key = `${cell.labels.join(',')}|${cell.matrix.map((r) => r.join(',')).join('/')}`;
  let h = GRAPH_HASH.get(key);
  if (h === undefined) {
    h = graphHash(cell);
    GRAPH_HASH.set(key, h);
  }
  return h;
}

/**
 * Each cell's hash once computed, keyed by its labels and matrix (every table load re-verifies all 2,532 rows' stored
 * hashes; the rounds of MD5 were most of a load). At most one entry per distinct cell given, a few thousand.
 */
const GRAPH_HASH = new Map<string, string>();

/** {@link ecnasGraphHash} computed. */
function graphHash(cell: EcnasCell): string {
  const m = cell.matrix;
  const n = m.length;
  const at = (i: number, j: number) => (m[i] as readonly number[])[j] === 1;
  let h = [...Array(n).keys()].map((v) => {
    const out = [...Array(n).keys()].filter((w) => at(v, w)).length;
    const inn = [...Array(n).keys()].filter((w) => at(w, v)).length;
    return md5(`(${out}, ${inn}, ${cell.labels[v]})`);
  });
  const sorted = (xs: string[]) => xs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let round = 0; round < n; round++)
    h = [...Array(n).keys()].map((v) => {
      const ins = sorted([...Array(n).keys()].filter((w) => at(w, v)).map((w) => h[w] as string));
      const outs = sorted([...Array(n).keys()].filter((w) => at(v, w)).map((w) => h[w] as string));
      return md5(`${ins.join('')}|${outs.join('')}|${h[v]}`);
    });
  return md5(
    `[${sorted(h)
      .map((x) => `'${x}'`)
      .join(', ')}]`,
  );
}

/** Each point's class once computed (at most the space's 27,648 points): every table load and space asks again. */
const CLASS_OF = new Map<string, string | undefined>();

/** A point's class: the graph hash of its pruned cell, or undefined for an invalid point (no path, or > 9 edges). */
export function ecnasClass(arch: string): string | undefined {
  if (CLASS_OF.has(arch)) return CLASS_OF.get(arch);
  const p = ecnasPrune(ecnasCell(arch));
  const edges = p ? p.matrix.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0) : 0;
  const h = p && edges <= MAX_EDGES ? ecnasGraphHash(p) : undefined;
  CLASS_OF.set(arch, h);
  return h;
}

/** The EC-NAS-Bench space (see the module doc); `classKey` is the class hash (`invalid` for every invalid point). */
export function ecnasSpace(): ArchSpace<string> {
  const space = new SearchSpace({
    ...Object.fromEntries(EDGE_PARAMS.map((n) => [n, { kind: 'categorical' as const, choices: ['0', '1'] }])),
    ...Object.fromEntries(OP_PARAMS.map((n) => [n, { kind: 'categorical' as const, choices: [...ECNAS_OPS] }])),
  });
  return {
    name: 'ec-nas-bench-5v',
    space,
    toParams: (a) => {
      const [bits, ...ops] = parseEcnas(a).split('-') as [string, ...string[]];
      return {
        ...Object.fromEntries(EDGE_PARAMS.map((n, k) => [n, bits[k] as string])),
        ...Object.fromEntries(OP_PARAMS.map((n, i) => [n, ops[i] as string])),
      };
    },
    fromParams: (p: Params) => {
      const why = space.check(p);
      if (why !== null) throw new ConfigError(`ec-nas-bench point: ${why}`);
      return [EDGE_PARAMS.map((n) => p[n]).join(''), ...OP_PARAMS.map((n) => p[n])].join('-');
    },
    format: (a) => a,
    parse: parseEcnas,
    classKey: (a) => `hash ${ecnasClass(a) ?? 'invalid'}`,
    graph: (a) => {
      throw new ConfigError(`ec-nas-bench architecture '${a}': this space is a table of the benchmark's measurements only (no IR graph is built)`);
    },
    slots: () => [],
    slotOf: () => undefined,
    slotParams: () => [],
  };
}

/** One problem on this table: validation accuracy (maximised) with the chosen costs (minimised). */
export interface EcnasProblemSpec {
  readonly note: string;
  /** The costs, each a CSV column: energy_kwh (the run's measured energy), params_m, predict_s (test-set prediction time). */
  readonly costs: readonly ('energy_kwh' | 'params_m' | 'predict_s')[];
}

/** The objective name of a cost column (predict_s as `latency_s`: a measured inference time, a hardware cost). */
const OBJECTIVE: Record<EcnasProblemSpec['costs'][number], string> = { energy_kwh: 'energy_kwh', params_m: 'params_m', predict_s: 'latency_s' };

/** The objectives of a problem: accuracy:max and each cost :min. */
export function ecnasObjectives(spec: EcnasProblemSpec): string {
  return ['accuracy:max', ...spec.costs.map((c) => `${OBJECTIVE[c]}:min`)].join(',');
}

/** The pruned cell stored in a row of bench/data/ec-nas-bench-5v.csv (vertices, adjacency bits, ops). */
export function ecnasRowCell(vertices: string, adjacency: string, ops: string, what = 'row'): EcnasCell {
  const n = Number(vertices);
  const names = ops.trim() === '' ? [] : ops.trim().split('|');
  if (!(Number.isInteger(n) && n >= 2 && n <= 5) || !new RegExp(`^[01]{${(n * (n - 1)) / 2}}$`).test(adjacency) || names.length !== n - 2)
    throw new ConfigError(
      `${what}: vertices '${vertices}', adjacency '${adjacency}', ops '${ops}': expected 2-5 vertices, their upper triangle's bits and n - 2 operations`,
    );
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) (matrix[i] as number[])[j] = adjacency[k++] === '1' ? 1 : 0;
  const labels = [-1, ...names.map((o) => ECNAS_OPS.indexOf(o as (typeof ECNAS_OPS)[number])), -2];
  if (labels.slice(1).some((l) => l === -1)) throw new ConfigError(`${what}: ops '${ops}': expected operations of ${ECNAS_OPS.join(', ')}`);
  return { matrix, labels };
}

/**
 * Loads a problem's columns (`val_acc` as `accuracy`, the costs under their objective names) as a NasTable over
 * {@link ecnasSpace}, one row per valid point (its class's figures). Each CSV row's hash must be the graph hash of its
 * stored cell (recomputed), its cell a pruned cell of 2-5 vertices with at most 9 edges, its accuracy in [0, 1] and its
 * costs finite numbers > 0; every valid point's class must have a row. Errors name the bad value and what was expected.
 */
export function loadEcnasTable(path: string, spec: EcnasProblemSpec, text = readFileSync(path, 'utf8')): NasTable {
  const csv = parseCommentedCsv(text, path);
  const cols = ['val_acc', ...spec.costs];
  for (const c of ['hash', 'vertices', 'adjacency', 'ops', ...cols])
    if (!(c in (csv.rows[0] as object))) throw new Error(`${path}: no column '${c}'; expected hash, vertices, adjacency, ops, val_acc and the costs`);
  const byHash = new Map<string, number[] | undefined>();
  for (const r of csv.rows) {
    const h = (r.hash ?? '').trim();
    const adj = (r.adjacency ?? '').trim();
    if (!/^[0-9a-f]{32}$/.test(h)) throw new Error(`${path}: hash '${h}': expected NAS-Bench-101's 32 hex digits`);
    if (byHash.has(h)) throw new Error(`${path}: hash ${h} appears twice; expected one row per class`);
    const cell = ecnasRowCell(r.vertices ?? '', adj, r.ops ?? '', `${path}: hash ${h}`);
    const n = cell.labels.length;
    const pruned = ecnasPrune(cell);
    if (!pruned || pruned.labels.length !== n || adj.split('').filter((c) => c === '1').length > MAX_EDGES)
      throw new Error(`${path}: hash ${h}: its cell is not a pruned cell with an input-output path and at most ${MAX_EDGES} edges`);
    const got = ecnasGraphHash(cell);
    if (got !== h) throw new Error(`${path}: hash ${h}: its stored cell hashes to ${got}; expected the stored hash`);
    const raw = cols.map((c) => (r[c] ?? '').trim());
    if (raw.every((x) => x === '')) {
      byHash.set(h, undefined);
      continue;
    }
    const values = raw.map(Number);
    if (raw.some((x) => x === '') || !(values[0] as number) || !((values[0] as number) >= 0 && (values[0] as number) <= 1))
      throw new Error(`${path}: hash ${h}: val_acc '${r.val_acc}': expected an accuracy in [0, 1] (and every figure present)`);
    cols.slice(1).forEach((c, i) => {
      const v = values[i + 1] as number;
      if (!(v > 0 && Number.isFinite(v))) throw new Error(`${path}: hash ${h}: ${c} '${r[c]}': expected a finite number > 0`);
    });
    byHash.set(h, values);
  }
  const space = ecnasSpace();
  const t = new NasTable(space as ArchSpace, ['accuracy', ...spec.costs.map((c) => OBJECTIVE[c])], path);
  for (const a of enumerateEcnas()) {
    const h = ecnasClass(a);
    if (h === undefined) continue;
    if (!byHash.has(h)) throw new Error(`${path}: point ${a}: its class ${h} has no row; expected every class of the space`);
    const v = byHash.get(h);
    if (v) t.add(a, v);
  }
  return t;
}
