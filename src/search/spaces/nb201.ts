/**
 * The cell space of NAS-Bench-201 (Dong & Yang, ICLR 2020): a cell is a DAG of 4 nodes whose 6 edges
 * (i -> j, i < j) each carry one of 5 operations; 5^6 = 15,625 cells. The network is the published
 * skeleton: stem conv 3x3 (16 channels, no bias) + BN; three stages of N = 5 cells with C = 16, 32,
 * 64 channels; a residual reduction block between stages (ReLU-Conv3x3/s2-BN, ReLU-Conv3x3-BN,
 * shortcut AvgPool 2x2 + Conv 1x1); BN-ReLU; global average pool; fully connected.
 *
 * Operations: `nor_conv_kxk` = ReLU-Conv(kxk, no bias)-BN; `avg_pool_3x3` = average pool 3x3/s1 pad 1
 * without counting the padding; `skip_connect` = identity; `none` = the zero tensor. A node is the sum
 * of its incoming edges.
 *
 * Zero semantics (as NB201's PyTorch code computes them): a `none` edge contributes nothing and is
 * dropped from the graph. A node whose incoming edges are all `none` (or come from such nodes through
 * skip/pool, which map zero to zero) is the zero tensor. Skip and pool edges out of a zero node are
 * dropped too (exact: they output zero). Conv edges out of a zero node are kept, because in NB201
 * ReLU-Conv-BN of a zero tensor is BN's learned per-channel shift, not zero; the zero tensor is then
 * materialised as `clip(cell input, 0, 0)`. A cell whose output node is zero outputs that tensor.
 * Nodes that do not reach the cell output (e.g. node 1 when node 3 has no used incoming edge) are dead
 * code and are not built. So the graph computes exactly what NB201's network outputs; its MAC count is
 * NB201's except that NB201's module-hook counter also counts such dead operations.
 */
import { ConfigError } from '../../errors.js';
import { GraphBuilder } from '../../ir/builder.js';
import type { Graph } from '../../ir/types.js';
import { SearchSpace } from '../space.js';
import type { Params } from '../types.js';
import { NB201_COMPUTATION_CLASS_CODES } from './nb201-classes.js';
import type { ArchGraphOptions, ArchSpace } from './types.js';

/** The five NB201 operations, in NB201's order. */
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;

/** One NB201 operation. */
export type Nb201Op = (typeof NB201_OPS)[number];

/** The six edges as [to, from], in the order of the architecture string. */
export const NB201_EDGES: readonly (readonly [number, number])[] = [
  [1, 0],
  [2, 0],
  [2, 1],
  [3, 0],
  [3, 1],
  [3, 2],
];

/** Parameter name of an edge: `e<to><from>` (e.g. `e31` is the edge 1 -> 3). */
export const NB201_EDGE_PARAMS: readonly string[] = NB201_EDGES.map(([t, f]) => `e${t}${f}`);

/** A cell: the operation of each of the six edges, in {@link NB201_EDGES} order. */
export type Nb201Cell = readonly Nb201Op[];

/** Options of the NB201 network skeleton. */
export interface Nb201Options extends ArchGraphOptions {
  /** Channels of the first stage (default 16; doubled per stage). */
  readonly channels?: number;
  /** Cells per stage N (default 5). */
  readonly cellsPerStage?: number;
}

const isOp = (s: string): s is Nb201Op => (NB201_OPS as readonly string[]).includes(s);

/** The standard architecture string, e.g. `|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|`. */
export function formatNb201(cell: Nb201Cell): string {
  const op = (k: number): string => `${cell[k]}~${(NB201_EDGES[k] as readonly [number, number])[1]}`;
  return `|${op(0)}|+|${op(1)}|${op(2)}|+|${op(3)}|${op(4)}|${op(5)}|`;
}

/**
 * The cells of canonical strings already parsed (a string equal to its cell's {@link formatNb201}; at most the 15,625
 * cells): a table load parses every row's string, and the blind-set draws load the same table many times.
 */
const PARSED = new Map<string, Nb201Cell>();

/** Parses a standard NB201 architecture string (ConfigError quoting it when malformed). */
export function parseNb201(s: string): Nb201Cell {
  const hit = PARSED.get(s);
  if (hit !== undefined) return hit.slice();
  const cell = parse(s);
  if (formatNb201(cell) === s) PARSED.set(s, cell.slice());
  return cell;
}

/** `formatNb201(parseNb201(s))`: `s` itself when it is a canonical string parsed before (no cell built). */
export function canonicalNb201(s: string): string {
  return PARSED.has(s) ? s : formatNb201(parseNb201(s));
}

function parse(s: string): Nb201Op[] {
  const bad = (why: string): never => {
    throw new ConfigError(
      `NB201 architecture '${s}': ${why}; expected e.g. '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|' with ops ${NB201_OPS.join(', ')}`,
    );
  };
  if (typeof s !== 'string') bad('not a string');
  const nodes = s.trim().split('+');
  if (nodes.length !== 3) bad(`expected 3 node groups separated by '+', found ${nodes.length}`);
  const cell: Nb201Op[] = [];
  nodes.forEach((grp, j) => {
    const g = grp.trim();
    if (!g.startsWith('|') || !g.endsWith('|')) bad(`node group ${j + 1} '${g}' must start and end with '|'`);
    const items = g.slice(1, -1).split('|');
    if (items.length !== j + 1) bad(`node ${j + 1} needs ${j + 1} incoming edge(s), found ${items.length}`);
    items.forEach((it, i) => {
      const m = /^([a-z_0-9x]+)~(\d+)$/.exec(it);
      if (!m) bad(`edge '${it}' is not '<op>~<input node>'`);
      const op = (m as RegExpExecArray)[1] as string;
      const from = Number((m as RegExpExecArray)[2]);
      if (!isOp(op)) bad(`unknown operation '${op}'`);
      if (from !== i) bad(`edge '${it}' of node ${j + 1} must come from node ${i}`);
      cell.push(op as Nb201Op);
    });
  });
  return cell;
}

/** The 15,625 cells in lexicographic order of op indices (edge e10 varies slowest). */
export function enumerateNb201(): Nb201Cell[] {
  const out: Nb201Cell[] = [];
  for (let code = 0; code < 5 ** 6; code++) {
    const cell: Nb201Op[] = [];
    let c = code;
    for (let k = 5; k >= 0; k--) {
      cell[k] = NB201_OPS[c % 5] as Nb201Op;
      c = Math.floor(c / 5);
    }
    out.push(cell);
  }
  return out;
}

/** A cell's index in {@link enumerateNb201} order: its op indices as the digits of a base-5 number, edge e10 first. */
export function nb201CellIndex(cell: Nb201Cell): number {
  let i = 0;
  for (const op of cell) i = i * 5 + NB201_OPS.indexOf(op);
  return i;
}

/** {@link nb201ComputationClasses}, decoded once per process. */
let computationClasses: Int32Array | undefined;

/**
 * The computation class of each of the 15,625 cells in {@link enumerateNb201} order (classes numbered 0..6,039 in order
 * of first appearance): cells with equal `computationKey` of their {@link NB201_CLASS_GRAPH} network are one class. Read
 * from the committed `nb201-classes.ts`, not computed (keying the 15,625 graphs takes seconds of CPU in every process
 * that enumerates the space's classes); `src/nas/tabular.test.ts` recomputes the partition from the graphs and checks
 * that it is this one, cell for cell.
 */
export function nb201ComputationClasses(): Int32Array {
  if (computationClasses === undefined) {
    const codes = NB201_COMPUTATION_CLASS_CODES;
    const out = new Int32Array(5 ** 6);
    if (codes.length !== 3 * out.length) throw new Error(`nb201-classes.ts holds ${codes.length / 3} cells, expected ${out.length}`);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(codes.slice(3 * i, 3 * i + 3), 36);
    computationClasses = out;
  }
  return computationClasses;
}

/**
 * Which nodes of a cell are the zero tensor (see the module comment): node 0 never; node j when every
 * incoming edge is `none`, or is a skip/pool edge from a zero node.
 */
export function nb201ZeroNodes(cell: Nb201Cell): boolean[] {
  const zero = [false, true, true, true];
  NB201_EDGES.forEach(([t, f], k) => {
    const op = cell[k] as Nb201Op;
    if (op === 'none') return;
    if (zero[f] && (op === 'skip_connect' || op === 'avg_pool_3x3')) return;
    zero[t] = false;
  });
  return zero;
}

/**
 * NAS-Bench-201's own isomorphism class of a cell, as a string: the key its API (`to_unique_str` with
 * `consider_zero`) gives and the one the NB201-derived tables (NB201, HW-NAS-Bench, NAS-Bench-360,
 * HW-NAS-Bench-360) use to map one measurement to several cells; 6,466 classes over the 15,625 cells.
 * Each node is the sorted `+`-join of its input terms: `#` for a `none` edge or any edge out of a node
 * whose key is exactly `#`, the source node's key for `skip_connect`, `(<source key>)@<op>` otherwise.
 * It is a hash, not the computation: a node whose two or more inputs are all zero is `#+#`, not `#`
 * (so a conv of it stays a conv), zero summands are counted, and one conv used twice equals two convs.
 * {@link nb201ZeroNodes} and the graph builder are exact; the repeat filter requires both to agree.
 */
export function nb201IsomorphismKey(cell: Nb201Cell): string {
  const key = ['0'];
  for (let j = 1; j <= 3; j++) {
    const terms: string[] = [];
    NB201_EDGES.forEach(([t, f], k) => {
      if (t !== j) return;
      const op = cell[k] as Nb201Op;
      const src = key[f] as string;
      if (op === 'none' || src === '#') terms.push('#');
      else if (op === 'skip_connect') terms.push(src);
      else terms.push(`(${src})@${op}`);
    });
    // Code-unit order, as Python sorts these ASCII strings.
    key[j] = terms.sort().join('+');
  }
  return key[3] as string;
}

function reluConvBn(b: GraphBuilder, x: string, out: number, k: number, stride: number, prefix: string): string {
  const r = b.relu(x, `${prefix}_relu`);
  const c = b.conv(r, { out, kernel: k, stride, pad: (k - 1) / 2, bias: false, name: `${prefix}_conv` });
  return b.bn(c, { name: `${prefix}_bn` });
}

/** Adds one cell to a builder; returns its output node. Names: `<p>_e<to><from>_...`, `<p>_n<j>`. */
export function addNb201Cell(b: GraphBuilder, x: string, cell: Nb201Cell, prefix: string): string {
  const C = b.channels(x);
  const zero = nb201ZeroNodes(cell);
  const value: (string | undefined)[] = [x, undefined, undefined, undefined];
  let zeroTensor: string | undefined;
  const zeroOf = (): string => {
    zeroTensor ??= b.clip(x, 0, 0, `${prefix}_zero`);
    return zeroTensor;
  };
  const used = (k: number): boolean => {
    const op = cell[k] as Nb201Op;
    const f = (NB201_EDGES[k] as readonly [number, number])[1];
    return op !== 'none' && !(zero[f] && (op === 'skip_connect' || op === 'avg_pool_3x3'));
  };
  // Nodes that reach the cell output through used edges (others are dead code and not built).
  const live = [false, false, false, !zero[3]];
  for (let i = 2; i >= 0; i--) live[i] = NB201_EDGES.some(([t, f], k) => f === i && live[t] && used(k));
  for (let j = 1; j <= 3; j++) {
    if (!live[j]) continue;
    const terms: string[] = [];
    NB201_EDGES.forEach(([t, f], k) => {
      if (t !== j || !used(k)) return;
      const op = cell[k] as Nb201Op;
      const src = zero[f] ? zeroOf() : (value[f] as string);
      const p = `${prefix}_e${t}${f}`;
      if (op === 'skip_connect') terms.push(src);
      else if (op === 'avg_pool_3x3') terms.push(b.avgPool(src, { kernel: 3, stride: 1, pad: 1, countIncludePad: false, name: `${p}_pool` }));
      else terms.push(reluConvBn(b, src, C, op === 'nor_conv_1x1' ? 1 : 3, 1, p));
    });
    if (terms.length === 0) continue;
    let acc = terms[0] as string;
    for (let i = 1; i < terms.length; i++) acc = b.addOp(acc, terms[i] as string, i === terms.length - 1 ? `${prefix}_n${j}` : `${prefix}_n${j}_add${i}`);
    value[j] = acc;
  }
  return value[3] ?? zeroOf();
}

/** Adds NB201's residual reduction block (stride 2, channels `out`); names `<p>_a_*`, `<p>_b_*`, `<p>_down_*`. */
export function addNb201Reduction(b: GraphBuilder, x: string, out: number, prefix: string): string {
  const a = reluConvBn(b, x, out, 3, 2, `${prefix}_a`);
  const c = reluConvBn(b, a, out, 3, 1, `${prefix}_b`);
  const p = b.avgPool(x, { kernel: 2, stride: 2, name: `${prefix}_down_pool` });
  const d = b.conv(p, { out, kernel: 1, bias: false, name: `${prefix}_down_conv` });
  return b.addOp(d, c, `${prefix}_add`);
}

/** The IR graph of the NB201 network with `cell` (default skeleton: 3x32x32 input, C=16, N=5, 10 classes). */
export function nb201Graph(cell: Nb201Cell, o: Nb201Options = {}): Graph {
  const C = o.channels ?? 16;
  const N = o.cellsPerStage ?? 5;
  const size = o.inputSize ?? 32;
  if (!Number.isInteger(N) || N < 1) throw new ConfigError(`NB201 cellsPerStage ${N}: expected an integer >= 1`);
  if (!Number.isInteger(C) || C < 1) throw new ConfigError(`NB201 channels ${C}: expected an integer >= 1`);
  const b = new GraphBuilder(`nb201`, [o.inChannels ?? 3, size, size]);
  let x = b.bn(b.conv(b.input, { out: C, kernel: 3, pad: 1, bias: false, name: 'stem' }), { name: 'stem_bn' });
  for (let s = 1; s <= 3; s++) {
    if (s > 1) x = addNb201Reduction(b, x, C * 2 ** (s - 1), `rb${s - 1}`);
    for (let c = 1; c <= N; c++) x = addNb201Cell(b, x, cell, `s${s}c${c}`);
  }
  x = b.relu(b.bn(x, { name: 'lastact_bn' }), 'lastact_relu');
  x = b.flatten(b.globalAvgPool(x, 'gap'), 'flatten');
  b.output(b.dense(x, o.classes ?? 10, { name: 'fc' }));
  return b.build();
}

const SLOTS: readonly string[] = ['stem', ...[1, 2, 3].flatMap((s) => NB201_EDGE_PARAMS.map((e) => `s${s}_${e}`)), 'rb1', 'rb2', 'fc'];

/** The NB201 cell space as an {@link ArchSpace}: parameters `e10, e20, e21, e30, e31, e32`, each one of {@link NB201_OPS}. */
/**
 * The NB201 network `ArchSpace.classGraph` and `nb201Classes` key cells by: one cell per stage, 8 px, 1 input channel,
 * 2 channels. Two cells compute the same network at this size exactly when they do in the published network.
 */
export const NB201_CLASS_GRAPH: Nb201Options = { inputSize: 8, inChannels: 1, channels: 2, cellsPerStage: 1 };

export function nb201Space(defaults: Nb201Options = {}): ArchSpace<Nb201Cell> {
  const params: Record<string, { kind: 'categorical'; choices: readonly string[] }> = {};
  for (const e of NB201_EDGE_PARAMS) params[e] = { kind: 'categorical', choices: NB201_OPS };
  const space = new SearchSpace(params);
  return {
    name: 'nb201',
    space,
    toParams: (cell) => Object.fromEntries(NB201_EDGE_PARAMS.map((e, k) => [e, cell[k] as string])),
    fromParams: (p: Params) =>
      NB201_EDGE_PARAMS.map((e) => {
        const v = p[e];
        if (typeof v !== 'string' || !isOp(v)) throw new ConfigError(`NB201 parameter '${e}' = ${JSON.stringify(v)}: expected one of ${NB201_OPS.join(', ')}`);
        return v;
      }),
    format: formatNb201,
    parse: parseNb201,
    canonical: canonicalNb201,
    graph: (cell, o = {}) => nb201Graph(cell, { ...defaults, ...o }),
    isomorphismKey: nb201IsomorphismKey,
    // The repeat filter's class: the computation class (committed, see nb201ComputationClasses) and NB201's own
    // isomorphism class, the same partition as `computationKey` of the class graph joined with `isomorphismKey`.
    classKey: (cell) => `${nb201ComputationClasses()[nb201CellIndex(cell)]}|${nb201IsomorphismKey(cell)}`,
    classGraph: (cell) => nb201Graph(cell, NB201_CLASS_GRAPH),
    slots: () => SLOTS,
    slotOf: (node) => {
      if (node.startsWith('stem')) return 'stem';
      if (node === 'fc') return 'fc';
      const m = /^s(\d)c\d+_(e\d\d)_/.exec(node);
      if (m) return `s${m[1]}_${m[2]}`;
      const r = /^(rb\d)_/.exec(node);
      return r ? r[1] : undefined;
    },
    slotParams: (slot) => {
      const m = /^s\d_(e\d\d)$/.exec(slot);
      return m ? [m[1] as string] : [];
    },
  };
}
