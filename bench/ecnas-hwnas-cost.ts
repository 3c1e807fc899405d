/**
 * The NAS-Bench-101 network of an EC-NAS-Bench cell as an hwnas IR graph, and hwnas cost columns for the 2,532 classes
 * of bench/data/ec-nas-bench-5v.csv (issue 18, session 41, table18): EC-NAS's accuracy had only been paired with its own
 * measured columns (energy_kwh, params_m, predict_s); no hwnas cost model had been paired with it.
 *
 * The network (Ying et al. 2019, NAS-Bench-101; EC-NAS-Bench trains it with NAS-Bench-101's own code and configuration:
 * its vendored nasbench/lib/config.py and model_builder.py, stem_filter_size 128, num_stacks 3, num_modules_per_stack 3,
 * 10 labels; only the epochs are cut, to 4): stem conv 3x3 (128 channels, no bias)-BN-ReLU; three stacks of three cells
 * (modules), a max pool 2x2 stride 2 ('same') with the channels doubled before stacks 2 and 3 (128, 256, 512); global
 * average pool; dense 10 (with bias). A cell with input channels `Cin` and output channels `C`: each interior vertex
 * gets {@link ecnasVertexChannels} (NAS-Bench-101's rule: the output's channels split evenly among the interior vertices
 * that feed it, the remainder to the first ones; an interior vertex that does not feed the output takes the largest of
 * its successors'); its input is the sum of, per incoming edge, a 1x1 projection (conv 1x1-BN-ReLU) of the cell input
 * when the edge comes from the input, else the source vertex's value truncated to the vertex's channels (its first
 * channels); its value is its operation of that sum: conv3x3 = conv 3x3-BN-ReLU, conv1x1 = conv 1x1-BN-ReLU, maxpool =
 * max pool 3x3 stride 1 'same'. The cell output is the concatenation of the interior vertices that feed it, plus (added)
 * a projection of the input to `C` when input -> output is an edge; a cell with no interior vertex feeding the output is
 * that projection alone. Convolutions have no bias; BN has a trainable scale and shift per channel.
 *
 * Truncation: the IR has no channel-slice op, so a vertex whose value is truncated by a successor is built as
 * channel chunks (the same convolution or projection split by output channels, each chunk with its BN and ReLU; a max
 * pool vertex pools each chunk of its input sum), cut where its successors truncate it ({@link ecnasChunkCuts}); a
 * truncated value is then the concatenation of its first chunks (no copy when it is one chunk). The split changes
 * neither the MACs nor the parameters (the chunks' weights are the unsplit layer's, row blocks of it), only the number
 * of layers a cost model sees (711 of the 2,532 cells need a cut; the cuts are 1-2 channels off an even split).
 *
 * Build: `node dist/bench/ecnas-hwnas-cost.js build bench/data/ec-nas-bench-5v.csv <commit> > bench/data/ecnas-hwnas-cost.csv`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/types.js';
import { graphTotals } from '../src/ir/workload.js';
import { NasTable } from '../src/nas/tabular.js';
import { parseCommentedCsv } from './commented-csv.js';
import {
  ECNAS_OPS,
  type EcnasCell,
  type EcnasProblemSpec,
  ecnasClass,
  ecnasGraphHash,
  ecnasObjectives,
  ecnasPrune,
  ecnasRowCell,
  loadEcnasTable,
} from './ec-nas-bench.js';
import { appendHwColumns, type HwColumn } from './hw-columns.js';
import { NB201_COST_TARGETS } from './nb201-hwnas-cost.js';

/** The network skeleton (NAS-Bench-101's configuration, which EC-NAS-Bench trained). */
export interface EcnasNetOptions {
  /** Stem channels (default 128). */
  readonly stem?: number;
  /** Stacks (default 3). */
  readonly stacks?: number;
  /** Cells per stack (default 3). */
  readonly cellsPerStack?: number;
  /** Input side (default 32; 3 channels). */
  readonly inputSize?: number;
  /** Classes (default 10). */
  readonly classes?: number;
}

/** NAS-Bench-101's `compute_vertex_channels`: the channels of every vertex of a cell (input `inC`, output `outC`). */
export function ecnasVertexChannels(inC: number, outC: number, matrix: readonly (readonly number[])[]): number[] {
  const n = matrix.length;
  const at = (i: number, j: number) => (matrix[i] as readonly number[])[j] === 1;
  const vc = new Array<number>(n).fill(0);
  vc[0] = inC;
  vc[n - 1] = outC;
  if (n === 2) return vc;
  let inDeg = 0;
  for (let i = 1; i < n; i++) if (at(i, n - 1)) inDeg++;
  if (inDeg === 0) return vc.map((c, v) => (v === 0 || v === n - 1 ? c : 0));
  const interior = Math.floor(outC / inDeg);
  let correction = outC % inDeg;
  for (let v = 1; v < n - 1; v++)
    if (at(v, n - 1)) {
      vc[v] = interior;
      if (correction > 0) {
        vc[v] = (vc[v] as number) + 1;
        correction--;
      }
    }
  for (let v = n - 3; v >= 1; v--) if (!at(v, n - 1)) for (let d = v + 1; d < n - 1; d++) if (at(v, d)) vc[v] = Math.max(vc[v] as number, vc[d] as number);
  for (let v = 1; v < n - 1; v++) {
    if (!((vc[v] as number) > 0))
      throw new ConfigError(`ec-nas cell: vertex ${v} gets ${vc[v]} channels; expected a pruned cell (every vertex on an input-output path)`);
    for (let d = v + 1; d < n - 1; d++)
      if (at(v, d) && (vc[d] as number) > (vc[v] as number))
        throw new ConfigError(`ec-nas cell: vertex ${v} (${vc[v]} channels) feeds vertex ${d} (${vc[d]}); expected no widening (NAS-Bench-101 only truncates)`);
  }
  return vc;
}

/**
 * Where each interior vertex's value is cut into chunks (sorted channel counts, the last its own width): at every width
 * a successor truncates it to, and, through a max pool successor (which pools its input sum chunk by chunk), at that
 * successor's cuts, and back (a max pool vertex's inputs must share its cuts): a fixpoint.
 */
export function ecnasChunkCuts(vc: readonly number[], matrix: readonly (readonly number[])[], labels: readonly number[]): number[][] {
  const n = matrix.length;
  const at = (i: number, j: number) => (matrix[i] as readonly number[])[j] === 1;
  const need = vc.map((c) => new Set<number>([c]));
  for (let v = 1; v < n - 1; v++) for (let t = v + 1; t < n - 1; t++) if (at(v, t)) (need[v] as Set<number>).add(vc[t] as number);
  const maxpool = ECNAS_OPS.indexOf('maxpool');
  for (let changed = true; changed; ) {
    changed = false;
    for (let t = 1; t < n - 1; t++) {
      if (labels[t] !== maxpool) continue;
      const nt = need[t] as Set<number>;
      for (let s = 1; s < t; s++) {
        if (!at(s, t)) continue;
        const ns = need[s] as Set<number>;
        for (const c of nt)
          if (!ns.has(c)) {
            ns.add(c);
            changed = true;
          }
        for (const c of ns)
          if (c < (vc[t] as number) && !nt.has(c)) {
            nt.add(c);
            changed = true;
          }
      }
    }
  }
  return need.map((s) => [...s].sort((a, b) => a - b));
}

interface Chunk {
  readonly node: string;
  readonly lo: number;
  readonly hi: number;
}

function convBnRelu(b: GraphBuilder, x: string, out: number, k: number, p: string): string {
  const c = b.conv(x, { out, kernel: k, stride: 1, pad: 'same', bias: false, name: `${p}_conv` });
  return b.relu(b.bn(c, { name: `${p}_bn` }), `${p}_relu`);
}

/** One concatenation of chunks (the node itself when there is one). */
function joined(b: GraphBuilder, chunks: readonly Chunk[], name: string): string {
  if (chunks.length === 0) throw new ConfigError(`ec-nas cell: ${name}: no chunks; expected at least one`);
  return chunks.length === 1
    ? (chunks[0] as Chunk).node
    : b.concat(
        chunks.map((c) => c.node),
        0,
        name,
      );
}

/** Adds one NAS-Bench-101 cell (a pruned EC-NAS cell) with output channels `outC`; returns its output node. */
export function addEcnasCell(b: GraphBuilder, x: string, cell: EcnasCell, outC: number, prefix: string): string {
  const m = cell.matrix;
  const n = m.length;
  const at = (i: number, j: number) => (m[i] as readonly number[])[j] === 1;
  const vc = ecnasVertexChannels(b.channels(x), outC, m);
  const cuts = ecnasChunkCuts(vc, m, cell.labels);
  const value: Chunk[][] = [];
  const prefixOf = (s: number, c: number): Chunk[] => {
    const got = (value[s] as Chunk[]).filter((k) => k.hi <= c);
    if (got.length === 0 || (got[got.length - 1] as Chunk).hi !== c)
      throw new ConfigError(`ec-nas cell ${prefix}: vertex ${s} has no cut at ${c} channels; expected one`);
    return got;
  };
  for (let t = 1; t < n - 1; t++) {
    const op = ECNAS_OPS[cell.labels[t] as number];
    if (op === undefined) throw new ConfigError(`ec-nas cell ${prefix}: vertex ${t} label ${cell.labels[t]}: expected 0-2 (${ECNAS_OPS.join(', ')})`);
    const bounds = (cuts[t] as number[]).map((hi, i, a) => [i === 0 ? 0 : (a[i - 1] as number), hi] as const);
    const sources = [...Array(t).keys()].filter((s) => at(s, t));
    const p = `${prefix}_v${t}`;
    const sum = (terms: string[], name: string): string => {
      let acc = terms[0] as string;
      for (let i = 1; i < terms.length; i++) acc = b.addOp(acc, terms[i] as string, i === terms.length - 1 ? name : `${name}_add${i}`);
      return acc;
    };
    if (op === 'maxpool') {
      value[t] = bounds.map(([lo, hi], k) => {
        const q = bounds.length === 1 ? p : `${p}_k${k}`;
        const terms = sources.map((s) => {
          if (s === 0) return convBnRelu(b, x, hi - lo, 1, `${q}_proj`);
          const c = (value[s] as Chunk[]).find((u) => u.lo === lo && u.hi === hi);
          if (!c) throw new ConfigError(`ec-nas cell ${prefix}: vertex ${s} has no chunk [${lo}, ${hi}); expected the cuts of max pool vertex ${t}`);
          return c.node;
        });
        const node = b.maxPool(sum(terms, `${q}_in`), { kernel: 3, stride: 1, pad: 'same', name: `${q}_pool` });
        return { node, lo, hi };
      });
    } else {
      const terms = sources.map((s) =>
        s === 0 ? convBnRelu(b, x, vc[t] as number, 1, `${p}_proj`) : joined(b, prefixOf(s, vc[t] as number), `${p}_from${s}`),
      );
      const input = sum(terms, `${p}_in`);
      const k = op === 'conv3x3' ? 3 : 1;
      value[t] = bounds.map(([lo, hi], i) => ({ node: convBnRelu(b, input, hi - lo, k, bounds.length === 1 ? p : `${p}_k${i}`), lo, hi }));
    }
  }
  const feed = [...Array(n).keys()].filter((v) => v > 0 && v < n - 1 && at(v, n - 1)).flatMap((v) => value[v] as Chunk[]);
  if (feed.length === 0) return convBnRelu(b, x, outC, 1, `${prefix}_out_proj`);
  const out = joined(b, feed, `${prefix}_concat`);
  return at(0, n - 1) ? b.addOp(out, convBnRelu(b, x, outC, 1, `${prefix}_out_proj`), `${prefix}_out`) : out;
}

/** The IR graph of the NAS-Bench-101 network with a pruned EC-NAS `cell` (default: NAS-Bench-101's configuration). */
export function ecnasNetworkGraph(cell: EcnasCell, o: EcnasNetOptions = {}): Graph {
  const stem = o.stem ?? 128;
  const stacks = o.stacks ?? 3;
  const per = o.cellsPerStack ?? 3;
  const size = o.inputSize ?? 32;
  for (const [k, v] of [
    ['stem', stem],
    ['stacks', stacks],
    ['cellsPerStack', per],
    ['inputSize', size],
    ['classes', o.classes ?? 10],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`ec-nas network ${k} ${v}: expected an integer >= 1`);
  const pruned = ecnasPrune(cell);
  if (!pruned || pruned.labels.length !== cell.labels.length)
    throw new ConfigError(`ec-nas cell ${JSON.stringify(cell)}: expected a pruned cell (every vertex on an input-output path)`);
  const b = new GraphBuilder('nb101', [3, size, size]);
  let x = convBnRelu(b, b.input, stem, 3, 'stem');
  let C = stem;
  for (let s = 0; s < stacks; s++) {
    if (s > 0) {
      x = b.maxPool(x, { kernel: 2, stride: 2, pad: 'same', name: `down${s}` });
      C *= 2;
    }
    for (let c = 0; c < per; c++) x = addEcnasCell(b, x, cell, C, `s${s}c${c}`);
  }
  x = b.flatten(b.globalAvgPool(x, 'gap'), 'flatten');
  b.output(b.dense(x, o.classes ?? 10, { name: 'fc' }));
  return b.build();
}

/** The cost columns: the targets of table17's NB201 table (bench/nb201-hwnas-cost.ts), same names and figures. */
export const ECNAS_COST_COLUMNS: readonly HwColumn[] = NB201_COST_TARGETS;

/** The command that builds the table. */
export const ECNAS_COST_COMMAND = 'node dist/bench/ecnas-hwnas-cost.js build bench/data/ec-nas-bench-5v.csv';

/**
 * The CSV text of the table from bench/data/ec-nas-bench-5v.csv (its hash and stored cell; each hash is recomputed from
 * the cell): a `#` header (what, command, commit), then `hash,hwnas_params,macs` and the cost columns.
 */
export function buildEcnasCostCsv(sourceText: string, source: string, commit: string): string {
  const csv = parseCommentedCsv(sourceText, source);
  const cells = new Map<string, EcnasCell>();
  const base: string[] = [];
  for (const r of csv.rows) {
    const h = (r.hash ?? '').trim();
    const cell = ecnasRowCell(r.vertices ?? '', (r.adjacency ?? '').trim(), r.ops ?? '', `${source}: hash ${h}`);
    if (ecnasGraphHash(cell) !== h)
      throw new ConfigError(`${source}: hash '${h}': its stored cell hashes to ${ecnasGraphHash(cell)}; expected the stored hash`);
    if (cells.has(h)) throw new ConfigError(`${source}: hash ${h} appears twice; expected one row per class`);
    cells.set(h, cell);
    const t = graphTotals(ecnasNetworkGraph(cell));
    base.push(`${h},${t.params},${t.macs}`);
  }
  const header = [
    "# hwnas cost columns for the 2,532 classes of EC-NAS-Bench's 5-vertex space (issue 18, session 41, table18): the NAS-Bench-101 network of each class's cell (bench/ecnas-hwnas-cost.ts ecnasNetworkGraph: stem conv 3x3-128-BN-ReLU, 3 stacks x 3 cells, 128 / 256 / 512 channels, max pool 2x2 between stacks, global average pool, dense 10; 3x32x32 input; NAS-Bench-101's configuration, which EC-NAS-Bench trained) computed by hwnas cost models, each target at its default precision (fp32 on the roofline devices but the int8-only edge-tpu, w8a8 on bitfusion-edge / bismo-cloud, the systolic preset), batch 1",
    `# note: hwnas_params = the graph's trainable parameters (conv and dense weights, dense bias, BN scale and shift; check against ${source}'s params_m), macs = its multiply-accumulates; columns ${ECNAS_COST_COLUMNS.map((c) => `${c.column} = ${c.target} ${c.figure === 'latency' ? 'latency (ms)' : 'energy (mJ)'}`).join(', ')} (eyeriss = targets/systolic.json, the Eyeriss-like preset); figures rounded to 5 decimals`,
    `# note: built by \`${ECNAS_COST_COMMAND} ${commit}\` with targets/*.json and src/ of commit ${commit}; hash as in ${source} (recomputed from its stored cell)`,
    'hash,hwnas_params,macs',
  ];
  return appendHwColumns(`${[...header, ...base].join('\n')}\n`, ECNAS_COST_COLUMNS, 'hash', (h) => ecnasNetworkGraph(cells.get(h) as EcnasCell), '', source);
}

/**
 * One problem on EC-NAS-Bench with hwnas costs: validation accuracy (maximised), optionally EC-NAS's own measured columns,
 * then a cost column of bench/data/ecnas-hwnas-cost.csv as `latency_ms` and / or one as `energy_mj` (minimised).
 */
export interface EcnasHwProblemSpec {
  readonly note: string;
  readonly measured?: EcnasProblemSpec['costs'];
  /** A latency column (ms) of the cost file. */
  readonly latency?: string;
  /** An energy column (mJ) of the cost file. */
  readonly energy?: string;
}

/** The objectives of a problem: accuracy:max, the measured columns, latency_ms:min, energy_mj:min (those it has). */
export function ecnasHwObjectives(spec: EcnasHwProblemSpec): string {
  return [
    ecnasObjectives({ note: spec.note, costs: spec.measured ?? [] }),
    ...(spec.latency ? ['latency_ms:min'] : []),
    ...(spec.energy ? ['energy_mj:min'] : []),
  ].join(',');
}

/**
 * The accuracy (and measured) tables of the last few {@link loadEcnasHwTable} calls, by path and measured columns, with
 * the text they were loaded from: the blind-set draws (bench/table2x.ts) load one per candidate, the same table each
 * time. Only read here (never handed out), so sharing one is safe; `loadEcnasTable` reads no field of its spec but
 * `costs`.
 */
const BASE = new Map<string, { readonly text: string; readonly table: NasTable }>();
const BASE_MAX = 4;

/** `loadEcnasTable(path, { costs })` of the file's current text, loaded again only when the text or columns differ. */
function ecnasBaseTable(path: string, costs: EcnasProblemSpec['costs']): NasTable {
  const text = readFileSync(path, 'utf8');
  const key = `${path}\n${costs.join(',')}`;
  const hit = BASE.get(key);
  if (hit !== undefined && hit.text === text) return hit.table;
  const table = loadEcnasTable(path, { note: path, costs }, text);
  BASE.delete(key);
  BASE.set(key, { text, table });
  if (BASE.size > BASE_MAX) BASE.delete(BASE.keys().next().value as string);
  return table;
}

/**
 * Loads a problem: the accuracy (and measured) columns through bench/ec-nas-bench.ts `loadEcnasTable` (its checks), the
 * hwnas columns from `costPath` by class hash. The cost file must have exactly one row per hash of the accuracy file and
 * the named columns, each a finite number > 0; errors name the file, the hash or column, and what was expected.
 */
export function loadEcnasHwTable(path: string, costPath: string, spec: EcnasHwProblemSpec, costText = readFileSync(costPath, 'utf8')): NasTable {
  const base = ecnasBaseTable(path, spec.measured ?? []);
  const baseNames = base.metrics;
  const hw = [...(spec.latency ? [[spec.latency, 'latency_ms']] : []), ...(spec.energy ? [[spec.energy, 'energy_mj']] : [])] as [string, string][];
  if (hw.length === 0)
    throw new ConfigError(
      `ec-nas hwnas problem '${spec.note}': no latency or energy column; expected at least one of ${ECNAS_COST_COLUMNS.map((c) => c.column).join(', ')}`,
    );
  const csv = parseCommentedCsv(costText, costPath);
  for (const [c] of hw)
    if (!(c in (csv.rows[0] ?? {})))
      throw new ConfigError(`${costPath}: no column '${c}'; expected one of ${ECNAS_COST_COLUMNS.map((x) => x.column).join(', ')}`);
  const byHash = new Map<string, number[]>();
  for (const r of csv.rows) {
    const h = (r.hash ?? '').trim();
    if (!/^[0-9a-f]{32}$/.test(h)) throw new ConfigError(`${costPath}: hash '${h}': expected NAS-Bench-101's 32 hex digits`);
    if (byHash.has(h)) throw new ConfigError(`${costPath}: hash ${h} appears twice; expected one row per class`);
    byHash.set(
      h,
      hw.map(([c]) => {
        const raw = (r[c] ?? '').trim();
        const v = Number(raw);
        if (raw === '' || !(v > 0 && Number.isFinite(v))) throw new ConfigError(`${costPath}: hash ${h}: ${c} '${r[c]}': expected a finite number > 0`);
        return v;
      }),
    );
  }
  const t = new NasTable(base.space, [...baseNames, ...hw.map(([, o]) => o)], `${path} + ${costPath}`);
  const seen = new Set<string>();
  for (const a of base.archs()) {
    const h = ecnasClass(a) as string;
    const v = byHash.get(h);
    if (!v) throw new ConfigError(`${costPath}: class ${h} (point ${a}) has no row; expected one row per class of ${path}`);
    seen.add(h);
    t.add(a, [...base.values(a, baseNames), ...v]);
  }
  if (seen.size !== byHash.size) throw new ConfigError(`${costPath}: ${byHash.size} rows for ${seen.size} classes of ${path}; expected one row per class`);
  return t;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [cmd, file, commit] = process.argv.slice(2);
  if (cmd !== 'build' || !file) {
    console.error('usage: node dist/bench/ecnas-hwnas-cost.js build bench/data/ec-nas-bench-5v.csv [commit]');
    process.exit(2);
  }
  process.stdout.write(buildEcnasCostCsv(readFileSync(file, 'utf8'), file, commit ?? 'unknown'));
}
