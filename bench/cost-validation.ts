/**
 * Cost models against published figures (issue 18): every layer of the BitFusion authors' public simulator
 * output (bench/data/bitfusion-sim-layers.csv, sources in its header: 8 benchmarks x 5 array/bandwidth/buffer configurations, batch
 * 16, with the layer shapes and bit widths of the simulator's own benchmark file) costed by hwnas's `bitfusion`
 * model set to the same configuration (rows, columns, buffers, bandwidth, batch, 32-bit outputs as the
 * simulator writes them). Per configuration: Spearman and Kendall rank correlation of the per-layer cycles,
 * median and worst relative error, the share of layers within ±10/25/50%, the same for DRAM bytes, and each
 * network's total cycles. Deterministic (no measurement, no load dependence).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/cost-validation.js [--json] [--layers]`; `--new` (session 34): the
 * fit on the 305 old rows and the scoring on the new rows (bench/data/bitfusion-sim-new.csv).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { BITFUSION_SESSION31_CHOICES, bitFusionEdge } from '../src/hardware/bitfusion.js';
import { policyPreset } from '../src/hardware/precision.js';
import { kendallTau } from '../src/hardware/predictor.js';
import { getTarget } from '../src/hardware/registry.js';
import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/types.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { nb201Graph, parseNb201 } from '../src/search/spaces/nb201.js';
import { Rng } from '../src/util/rng.js';
import { formatNumber, formatTable } from '../src/util/table.js';
import { parseCommentedCsv } from './commented-csv.js';

/** One array/buffer/bandwidth configuration of the simulator sweep. */
export interface SimConfig {
  readonly rows: number;
  readonly cols: number;
  readonly bandwidthBitsPerCycle: number;
  readonly weightBufBytes: number;
  readonly inputBufBytes: number;
  readonly outputBufBytes: number;
  readonly batch: number;
}

/** One simulated layer (shapes from the simulator's benchmarks.py, figures from its sweep output). */
export interface SimLayer {
  readonly config: string;
  readonly network: string;
  readonly layer: string;
  readonly kind: 'conv' | 'fc';
  /** 1 when the layer reads the network's input tensor (the simulator im2col-lowers such convolutions), else 0. */
  readonly input: number;
  readonly batch: number;
  readonly inC: number;
  readonly outC: number;
  readonly inH?: number;
  readonly outH?: number;
  readonly k?: number;
  readonly stride?: number;
  readonly wBits: number;
  readonly aBits: number;
  readonly simCycles: number;
  readonly simMemWaitCycles: number;
  readonly simDramReadBits: number;
  readonly simDramWriteBits: number;
}

/** The committed data file. */
export interface SimData {
  readonly sources: readonly string[];
  readonly configs: Readonly<Record<string, SimConfig>>;
  readonly layers: readonly SimLayer[];
}

/** Agreement of model and reference over a set of positive values. */
export interface Agreement {
  readonly n: number;
  readonly spearman: number;
  readonly kendall: number;
  /** Median of |model / reference - 1|. */
  readonly medianAbsErr: number;
  /** Largest model / reference and smallest (worst over- and under-estimate). */
  readonly maxRatio: number;
  readonly minRatio: number;
  readonly within10: number;
  readonly within25: number;
  readonly within50: number;
}

/** Ranks with ties averaged (1-based). */
function ranks(a: readonly number[]): number[] {
  const idx = a.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const r = new Array<number>(a.length).fill(0);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && (idx[j + 1] as readonly [number, number])[0] === (idx[i] as readonly [number, number])[0]) j++;
    for (let k = i; k <= j; k++) r[(idx[k] as readonly [number, number])[1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson on tie-averaged ranks). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, x) => s + x, 0) / n;
  const mb = rb.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (ra[i] as number) - ma;
    const db = (rb[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Geometric mean of positive numbers (of model/published ratios). */
export const geomean = (a: readonly number[]): number => Math.exp(a.reduce((s, v) => s + Math.log(v), 0) / a.length);

/** Rank correlation and relative-error figures of `model` against `ref`. */
export function agreement(model: readonly number[], ref: readonly number[]): Agreement {
  const ratio = model.map((m, i) => m / (ref[i] as number));
  const err = ratio.map((r) => Math.abs(r - 1)).sort((x, y) => x - y);
  const share = (t: number): number => err.filter((e) => e <= t).length / err.length;
  const mid = err.length >> 1;
  return {
    n: model.length,
    spearman: spearman(model, ref),
    kendall: kendallTau(model, ref),
    medianAbsErr: err.length % 2 ? (err[mid] as number) : ((err[mid - 1] as number) + (err[mid] as number)) / 2,
    maxRatio: Math.max(...ratio),
    minRatio: Math.min(...ratio),
    within10: share(0.1),
    within25: share(0.25),
    within50: share(0.5),
  };
}

/**
 * A one-layer graph of a simulated layer (per sample: the target's batch multiplies it). A layer that does not
 * read the network's input reads the output of a ReLU instead, so that models mapping a network's input layer
 * differently (`bitfusion?mapping=channel`) see it as an inner layer; only the node named 'layer' is costed.
 */
export function layerGraph(l: SimLayer): Graph {
  if (l.kind === 'fc') {
    const b = new GraphBuilder(l.layer, [l.inC]);
    const x = l.input === 1 ? b.input : b.relu(b.input, 'prev');
    b.output(b.dense(x, l.outC, { name: 'layer', bias: false }));
    return b.build();
  }
  const h = l.inH as number;
  const k = l.k as number;
  const s = l.stride as number;
  const o = l.outH as number;
  // the simulator's TensorFlow padding: 'SAME' gives out = ceil(in / stride), 'VALID' none
  const pad = o === Math.ceil(h / s) ? 'same' : 'valid';
  const b = new GraphBuilder(l.layer, [l.inC, h, h]);
  const x = l.input === 1 ? b.input : b.relu(b.input, 'prev');
  b.output(b.conv(x, { out: l.outC, kernel: k, stride: s, pad, bias: false, name: 'layer' }));
  return b.build();
}

/** Per-layer model figures of one simulated layer: cycles at 500 MHz and DRAM bytes. */
export interface LayerResult {
  readonly layer: SimLayer;
  readonly modelCycles: number;
  readonly modelDramBytes: number;
  readonly simDramBytes: number;
  readonly modelBound: string;
}

const CLOCK_MHZ = 500;

/** Seed of the pre-registered fit / held-out split (session 33). */
export const SPLIT_SEED = 33;

/** The session-33 modelling options of the bitfusion model (src/hardware/bitfusion.ts). */
export interface BitFusionChoices {
  readonly mapping: 'im2col' | 'channel' | 'best';
  readonly stalls: 'overlap' | 'edges' | 'serial';
  readonly psum: 'none' | 'spill' | 'tiles' | 'dram';
}

/**
 * Cost every simulated layer with the bitfusion model configured as its simulator configuration; `choices`
 * default to the bitfusion-edge preset's.
 */
export function costLayers(data: SimData, choices: Partial<BitFusionChoices> = {}): LayerResult[] {
  const targets = new Map<string, ReturnType<typeof bitFusionEdge>>();
  for (const [id, c] of Object.entries(data.configs)) {
    targets.set(
      id,
      bitFusionEdge({
        rows: c.rows,
        cols: c.cols,
        // the simulator tiles on half of each double-buffered SRAM
        weightBufKB: c.weightBufBytes / 2048,
        inputBufKB: c.inputBufBytes / 2048,
        outputBufKB: c.outputBufBytes / 1024,
        dramGBps: (c.bandwidthBitsPerCycle * CLOCK_MHZ * 1e6) / 8 / 1e9,
        clockMHz: CLOCK_MHZ,
        batch: c.batch,
        resultBits: 32,
        ...choices,
      }),
    );
  }
  return data.layers.map((l) => {
    const t = targets.get(l.config);
    if (!t) throw new Error(`layer ${l.network}/${l.layer}: unknown configuration '${l.config}'`);
    const g = layerGraph(l);
    const cost = t.networkCost(g, { name: 'sim', default: { weightBits: l.wBits, actBits: l.aBits }, layers: {} });
    const c = cost.layers.find((x) => x.node === 'layer');
    if (!c) throw new Error(`layer ${l.network}/${l.layer}: no cost`);
    return {
      layer: l,
      modelCycles: c.latencyMs * CLOCK_MHZ * 1e3,
      modelDramBytes: c.dramBytes,
      simDramBytes: (l.simDramReadBits + l.simDramWriteBits) / 8,
      modelBound: c.memoryBound ? `memory (${c.memoryBound})` : c.bound,
    };
  });
}

/** Figures of one configuration. */
export interface ConfigFigures {
  readonly config: string;
  readonly layers: number;
  readonly cycles: Agreement;
  readonly dramBytes: Agreement;
  /** Per network: total model cycles / total simulated cycles. */
  readonly networkRatios: Readonly<Record<string, number>>;
  readonly networks: Agreement;
}

/** Validation figures, per configuration and over all layers. */
export function validate(
  data: SimData,
  choices: Partial<BitFusionChoices> = {},
): {
  readonly configs: ConfigFigures[];
  readonly all: ConfigFigures;
  /** Layers at <= 2 bits, where the sweep's cycles follow the simulator's own precision arithmetic (see the docs). */
  readonly lowBits: ConfigFigures;
  readonly results: LayerResult[];
} {
  const results = costLayers(data, choices);
  const figures = (id: string, rs: readonly LayerResult[]): ConfigFigures => {
    const nets = new Map<string, [number, number]>();
    for (const r of rs) {
      const k = `${r.layer.config}/${r.layer.network}`;
      const v = nets.get(k) ?? [0, 0];
      v[0] += r.modelCycles;
      v[1] += r.layer.simCycles;
      nets.set(k, v);
    }
    const ratios: Record<string, number> = {};
    for (const [k, [m, s]] of nets) ratios[id === 'all' ? k : (k.split('/')[1] as string)] = m / s;
    const nv = [...nets.values()];
    return {
      config: id,
      layers: rs.length,
      ...cyclesAndDram(rs),
      networkRatios: ratios,
      networks: agreement(
        nv.map((v) => v[0]),
        nv.map((v) => v[1]),
      ),
    };
  };
  const configs = Object.keys(data.configs).map((id) =>
    figures(
      id,
      results.filter((r) => r.layer.config === id),
    ),
  );
  const low = results.filter((r) => r.layer.wBits <= 2 && r.layer.aBits <= 2);
  return { configs, all: figures('all', results), lowBits: figures('all, <= 2 bits', low), results };
}

const NUMERIC = new Set(['config', 'network', 'layer', 'kind']);

/** Parse the committed data file: `#` lines (sources, notes), a header, one row per simulated layer. */
export function parseSimCsv(text: string): SimData {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const sources = lines.filter((l) => l.startsWith('# source: ')).map((l) => l.slice('# source: '.length));
  const rows = lines.filter((l) => !l.startsWith('#'));
  const header = (rows[0] ?? '').split(',');
  const configs: Record<string, SimConfig> = {};
  const layers: SimLayer[] = [];
  for (const line of rows.slice(1)) {
    const cells = line.split(',');
    if (cells.length !== header.length) throw new Error(`bitfusion-sim-layers: expected ${header.length} cells, got ${cells.length}: ${line}`);
    const r: Record<string, string | number | undefined> = {};
    header.forEach((h, i) => {
      const v = cells[i] as string;
      r[h] = NUMERIC.has(h) ? v : v === '' ? undefined : Number(v);
    });
    const id = r.config as string;
    configs[id] ??= {
      rows: r.rows as number,
      cols: r.cols as number,
      bandwidthBitsPerCycle: r.bandwidthBitsPerCycle as number,
      weightBufBytes: r.weightBufBytes as number,
      inputBufBytes: r.inputBufBytes as number,
      outputBufBytes: r.outputBufBytes as number,
      batch: r.batch as number,
    };
    layers.push(r as unknown as SimLayer);
  }
  if (layers.length === 0) throw new Error('bitfusion-sim-layers: no layers');
  return { sources, configs, layers };
}

/** Load the committed data file. */
export function loadSimData(path = new URL('../../bench/data/bitfusion-sim-layers.csv', import.meta.url)): SimData {
  return parseSimCsv(readFileSync(path, 'utf8'));
}

/** A layer of the simulator data across its five configurations: `network/layer`. */
export const simLayerId = (l: SimLayer): string => `${l.network}/${l.layer}`;

/** Shape of a simulated layer, bits left out (shape twins such as AlexNet conv3_a / conv3_b share it). */
export const simShape = (l: SimLayer): string => (l.kind === 'fc' ? `fc:${l.inC}x${l.outC}` : `conv:${l.inC}x${l.outC}:${l.inH}>${l.outH}:k${l.k}s${l.stride}`);

/** The stratum a layer is dealt in: convolutions reading the network input, then conv / fc at <= 2 bits or more. */
export const simStratum = (l: SimLayer): string =>
  l.kind === 'conv' && l.input === 1 ? 'input-conv' : `${l.kind}-${Math.max(l.wBits, l.aBits) <= 2 ? 'low' : 'high'}`;

const STRATA = ['input-conv', 'conv-low', 'conv-high', 'fc-low', 'fc-high'] as const;

/** A fit / held-out split of the simulated layers (each layer with all five configurations). */
export interface SimSplit {
  readonly seed: number;
  readonly fit: readonly string[];
  readonly held: readonly string[];
}

/**
 * The pre-registered split (session 33): layers are grouped by shape (twins together, across networks), the
 * groups of each stratum ({@link simStratum}) shuffled with `seed` and dealt one by one to the set with fewer
 * layers so far (fit on ties). Every layer keeps its five configurations, so both sets hold all five.
 */
export function makeSimSplit(seed: number, data: SimData = loadSimData()): SimSplit {
  const rng = new Rng(seed);
  const layers = new Map<string, SimLayer>();
  for (const l of data.layers) if (!layers.has(simLayerId(l))) layers.set(simLayerId(l), l);
  const ids = [...layers.keys()].sort();
  const fit: string[] = [];
  const held: string[] = [];
  for (const s of STRATA) {
    const groups = new Map<string, string[]>();
    for (const id of ids) {
      const l = layers.get(id) as SimLayer;
      if (simStratum(l) !== s) continue;
      groups.set(simShape(l), [...(groups.get(simShape(l)) ?? []), id]);
    }
    for (const g of rng.shuffle([...groups.keys()].sort().map((k) => groups.get(k) as string[]))) {
      if (held.length < fit.length) held.push(...g);
      else fit.push(...g);
    }
  }
  return { seed, fit: fit.sort(), held: held.sort() };
}

/** Rows of bench/data/bitfusion-sim-split.csv for a split. */
export function simSplitCsvRows(s: SimSplit, data: SimData = loadSimData()): string[] {
  const rows = ['network,layer,set,stratum,shape'];
  const seen = new Set<string>();
  for (const l of [...data.layers].sort((a, b) => (simLayerId(a) < simLayerId(b) ? -1 : 1))) {
    const id = simLayerId(l);
    if (seen.has(id)) continue;
    seen.add(id);
    rows.push(`${l.network},${l.layer},${s.held.includes(id) ? 'held' : 'fit'},${simStratum(l)},${simShape(l)}`);
  }
  return rows;
}

/** Load the committed split; every layer of the data file exactly once, sets 'fit' or 'held'. */
export function loadSimSplit(
  path: URL | string = new URL('../../bench/data/bitfusion-sim-split.csv', import.meta.url),
  data: SimData = loadSimData(),
): SimSplit & { sources: readonly string[] } {
  const csv = parseCommentedCsv(readFileSync(path, 'utf8'), 'bitfusion-sim-split');
  const seedLine = csv.sources.find((s) => s.startsWith('seed = '));
  const seed = seedLine ? Number(seedLine.slice('seed = '.length)) : Number.NaN;
  if (!Number.isInteger(seed)) throw new Error("bitfusion-sim-split: no '# source: seed = <integer>' line");
  const known = new Set(data.layers.map(simLayerId));
  const fit: string[] = [];
  const held: string[] = [];
  for (const r of csv.rows) {
    const id = `${r.network}/${r.layer}`;
    if (!known.has(id)) throw new Error(`bitfusion-sim-split: layer '${id}' is not in bitfusion-sim-layers.csv`);
    if (r.set === 'fit') fit.push(id);
    else if (r.set === 'held') held.push(id);
    else throw new Error(`bitfusion-sim-split: set '${r.set}' of ${id}: expected 'fit' or 'held'`);
  }
  if (new Set([...fit, ...held]).size !== known.size || fit.length + held.length !== known.size)
    throw new Error(`bitfusion-sim-split: expected each of the ${known.size} layers exactly once`);
  return { sources: csv.sources, seed, fit: fit.sort(), held: held.sort() };
}

/** Mean |ln(model / simulator)| of the cycles of the given layers (all their configurations): the fit criterion. */
export function meanLogError(results: readonly LayerResult[], layers: ReadonlySet<string>): number {
  let s = 0;
  let n = 0;
  for (const r of results) {
    if (!layers.has(simLayerId(r.layer))) continue;
    s += Math.abs(Math.log(r.modelCycles / r.layer.simCycles));
    n++;
  }
  return s / n;
}

/** Every combination of the options: 3 mappings x 3 stall rules x 2 partial-sum rules. */
export function fitGrid(): BitFusionChoices[] {
  const g: BitFusionChoices[] = [];
  for (const mapping of ['im2col', 'channel', 'best'] as const)
    for (const stalls of ['overlap', 'edges', 'serial'] as const) for (const psum of ['none', 'spill'] as const) g.push({ mapping, stalls, psum });
  return g;
}

/**
 * The session-34 grid (cost11): mapping im2col | channel x stalls overlap | edges x psum none | tiles | dram (the
 * tiled partial-sum / FC options of src/hardware/bitfusion.ts), 12 candidates.
 */
export function fitGrid34(): BitFusionChoices[] {
  const g: BitFusionChoices[] = [];
  for (const mapping of ['im2col', 'channel'] as const)
    for (const stalls of ['overlap', 'edges'] as const) for (const psum of ['none', 'tiles', 'dram'] as const) g.push({ mapping, stalls, psum });
  return g;
}

/** The committed new rows (session 34): layers the sweep never had, scored once (bench/bitfusion-sim-newrows.py). */
export function loadNewSimData(): SimData {
  return loadSimData(new URL('../../bench/data/bitfusion-sim-new.csv', import.meta.url));
}

/**
 * Session-34 fit: every candidate scored by mean |ln(model / simulator cycles)| over ALL rows of `old` (the 305 sweep
 * rows, all seen by session 33); `chosen` = the lowest (grid order breaks ties). The new rows are not an argument.
 */
export function fitOld(
  old: SimData,
  grid: readonly BitFusionChoices[] = fitGrid34(),
): { candidates: { choices: BitFusionChoices; fit: number }[]; chosen: { choices: BitFusionChoices; fit: number } } {
  const all = new Set(old.layers.map(simLayerId));
  const candidates = grid.map((choices) => ({ choices, fit: meanLogError(costLayers(old, choices), all) }));
  let chosen = candidates[0] as { choices: BitFusionChoices; fit: number };
  for (const c of candidates) if (c.fit < chosen.fit) chosen = c;
  return { candidates, chosen };
}

/** One candidate of the grid with its criterion on the fit and the held-out layers. */
export interface FitCandidate {
  readonly choices: BitFusionChoices;
  readonly fit: number;
  readonly held: number;
}

/** The grid scored on the split; `chosen` = lowest fit criterion (grid order breaks ties). */
export function fitSim(data: SimData, split: SimSplit, grid: readonly BitFusionChoices[] = fitGrid()): { candidates: FitCandidate[]; chosen: FitCandidate } {
  const fit = new Set(split.fit);
  const held = new Set(split.held);
  const candidates = grid.map((choices) => {
    const r = costLayers(data, choices);
    return { choices, fit: meanLogError(r, fit), held: meanLogError(r, held) };
  });
  let chosen = candidates[0] as FitCandidate;
  for (const c of candidates) if (c.fit < chosen.fit) chosen = c;
  return { candidates, chosen };
}

/** A split's held-out rows with their simulator cycles permuted by `seed` (for the test that the choice ignores them). */
export function scrambleHeld(data: SimData, split: SimSplit, seed: number): SimData {
  const held = new Set(split.held);
  const idx = data.layers.flatMap((l, i) => (held.has(simLayerId(l)) ? [i] : []));
  const perm = new Rng(seed).shuffle([...idx]);
  const layers = data.layers.slice();
  idx.forEach((i, k) => {
    const from = data.layers[perm[k] as number] as SimLayer;
    layers[i] = { ...(data.layers[i] as SimLayer), simCycles: from.simCycles, simDramReadBits: from.simDramReadBits, simDramWriteBits: from.simDramWriteBits };
  });
  return { ...data, layers };
}

/** Agreement figures of a set of layers (all their configurations). */
export function subsetAgreement(
  results: readonly LayerResult[],
  layers: ReadonlySet<string>,
): { cycles: Agreement; dramBytes: Agreement; meanLogError: number } {
  const rs = results.filter((r) => layers.has(simLayerId(r.layer)));
  return { ...cyclesAndDram(rs), meanLogError: meanLogError(rs, layers) };
}

/** Model-vs-simulator agreement of a set of layer results: cycles and DRAM bytes. */
function cyclesAndDram(rs: readonly LayerResult[]): { cycles: Agreement; dramBytes: Agreement } {
  return {
    cycles: agreement(
      rs.map((r) => r.modelCycles),
      rs.map((r) => r.layer.simCycles),
    ),
    dramBytes: agreement(
      rs.map((r) => r.modelDramBytes),
      rs.map((r) => r.simDramBytes),
    ),
  };
}

/** One published whole-network latency and the model's. */
export interface NetworkPoint {
  readonly model: string;
  readonly zoo: string;
  readonly publishedMs: number;
  readonly publishedUsbMs: number;
  readonly modelMs: number;
}

/** The edge-tpu preset at W8A8 against Coral's published Dev Board latencies (bench/data/edge-tpu-coral.csv). */
export function validateEdgeTpu(path = new URL('../../bench/data/edge-tpu-coral.csv', import.meta.url)): { points: NetworkPoint[]; agreement: Agreement } {
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .slice(1)
    .map((l) => l.split(','));
  const t = getTarget('edge-tpu');
  const points = rows.map(([model, zoo, dev, usb]) => ({
    model: model as string,
    zoo: zoo as string,
    publishedMs: Number(dev),
    publishedUsbMs: Number(usb),
    modelMs: t.networkCost(zooGraph(zoo as string), policyPreset('w8a8')).latencyMs,
  }));
  if (points.length === 0) throw new Error('edge-tpu-coral: no rows');
  return {
    points,
    agreement: agreement(
      points.map((p) => p.modelMs),
      points.map((p) => p.publishedMs),
    ),
  };
}

/** `--choices mapping=im2col,stalls=overlap,psum=none` (the 2026-12-03 model); default: the preset's. */
function parseChoices(argv: readonly string[]): Partial<BitFusionChoices> {
  const i = argv.indexOf('--choices');
  if (i < 0) return {};
  const out: Record<string, string> = {};
  for (const kv of (argv[i + 1] ?? '').split(',')) {
    const [k, val] = kv.split('=');
    if (!k || !val || !['mapping', 'stalls', 'psum'].includes(k)) {
      console.error(`--choices: '${kv}' is not mapping=<im2col|channel|best>, stalls=<overlap|edges|serial> or psum=<none|spill|tiles|dram>`);
      process.exit(2);
    }
    out[k] = val;
  }
  return out as Partial<BitFusionChoices>;
}

/** A fraction as a table's percentage. */
const pct = (x: number): string => `${formatNumber(100 * x)}%`;

/** The 2026-12-03 model, a row of the comparison tables. */
const MODEL_2026_12_03: [string, Partial<BitFusionChoices>] = ['2026-12-03 (im2col, overlap, none)', BITFUSION_SESSION31_CHOICES];

/** A model's cycle and DRAM agreement with the simulator as table cells (the keys of {@link AGREEMENT_COLUMNS}). */
function agreementCells(a: { readonly cycles: Agreement; readonly dramBytes: Agreement }) {
  return {
    rho: formatNumber(a.cycles.spearman),
    med: pct(a.cycles.medianAbsErr),
    w25: pct(a.cycles.within25),
    w50: pct(a.cycles.within50),
    range: `${formatNumber(a.cycles.minRatio)}..${formatNumber(a.cycles.maxRatio)}`,
    dRho: formatNumber(a.dramBytes.spearman),
    dMed: pct(a.dramBytes.medianAbsErr),
  };
}

/** The columns of {@link agreementCells}. */
const AGREEMENT_COLUMNS = [
  { key: 'rho', header: 'cycles Spearman' },
  { key: 'med', header: 'median |err|' },
  { key: 'w25', header: 'within 25%' },
  { key: 'w50', header: 'within 50%' },
  { key: 'range', header: 'model/sim range' },
  { key: 'dRho', header: 'DRAM Spearman' },
  { key: 'dMed', header: 'DRAM median |err|' },
] as const;

/** A grid of modelling choices with one column per criterion (`[header, value]`), the chosen one marked. */
function choiceGrid<C extends { readonly choices: BitFusionChoices }>(
  candidates: readonly C[],
  chosen: C,
  criteria: readonly (readonly [string, (c: C) => number])[],
): string {
  return formatTable(candidates, [
    { header: 'mapping', value: (c) => c.choices.mapping },
    { header: 'stalls', value: (c) => c.choices.stalls },
    { header: 'psum', value: (c) => c.choices.psum },
    ...criteria.map(([header, value]) => ({ header, value: (c: C) => formatNumber(value(c)) })),
    { header: '', value: (c) => (c === chosen ? '<- chosen' : '') },
  ]);
}

/** The grid on the pre-registered split, the fit's choice and the preset against the 2026-12-03 model. */
function printFit(data: SimData, split: SimSplit, fit: ReturnType<typeof fitSim>): void {
  console.log(
    `fit on the pre-registered split (bench/data/bitfusion-sim-split.csv, seed ${split.seed}: ${split.fit.length} fit / ${split.held.length} held-out layers x 5 configurations); criterion: mean |ln(model/sim cycles)| on the fit half`,
  );
  console.log(
    choiceGrid(fit.candidates, fit.chosen, [
      ['fit mean |ln err|', (c) => c.fit],
      ['held-out mean |ln err|', (c) => c.held],
    ]),
  );
  const models: [string, Partial<BitFusionChoices>][] = [
    MODEL_2026_12_03,
    ['fit choice', fit.chosen.choices],
    [`preset (${bitFusionEdge().params.mapping}, ${bitFusionEdge().params.stalls}, ${bitFusionEdge().params.psum})`, {}],
  ];
  const rows = models.flatMap(([name, ch]) => {
    const r = costLayers(data, ch);
    return (['fit', 'held'] as const).map((half) => {
      const a = subsetAgreement(r, new Set(half === 'fit' ? split.fit : split.held));
      return { name, half, mle: formatNumber(a.meanLogError), ...agreementCells(a) };
    });
  });
  console.log(
    formatTable(rows, [{ key: 'name', header: 'model' }, { key: 'half', header: 'layers' }, { key: 'mle', header: 'mean |ln err|' }, ...AGREEMENT_COLUMNS]),
  );
}

/** Figures of one model on a set of rows: overall, per configuration, per kind. */
export function scoreRows(
  data: SimData,
  choices: Partial<BitFusionChoices>,
): { name: string; meanLogError: number; cycles: Agreement; dramBytes: Agreement }[] {
  const r = costLayers(data, choices);
  const groups: [string, LayerResult[]][] = [
    ['all', r],
    ...Object.keys(data.configs).map((c): [string, LayerResult[]] => [c, r.filter((x) => x.layer.config === c)]),
    ['conv', r.filter((x) => x.layer.kind === 'conv')],
    ['fc', r.filter((x) => x.layer.kind === 'fc')],
  ];
  return groups.map(([name, rs]) => ({ name, ...subsetAgreement(rs, new Set(rs.map((x) => simLayerId(x.layer)))) }));
}

/** `--new`: the session-34 fit on the 305 old rows, then the 2026-12-03 model, the preset and the fit's choice on the new rows. */
function printNew(old: SimData, fresh: SimData): void {
  const f = fitOld(old);
  console.log('session-34 fit on all 305 old rows (bench/data/bitfusion-sim-layers.csv); criterion: mean |ln(model/sim cycles)|');
  console.log(choiceGrid(f.candidates, f.chosen, [['old rows mean |ln err|', (c) => c.fit]]));
  const p = bitFusionEdge().params;
  const models: [string, Partial<BitFusionChoices>][] = [
    MODEL_2026_12_03,
    [`preset (${p.mapping}, ${p.stalls}, ${p.psum})`, {}],
    [`fit choice (${f.chosen.choices.mapping}, ${f.chosen.choices.stalls}, ${f.chosen.choices.psum})`, f.chosen.choices],
  ];
  console.log(
    `new rows (bench/data/bitfusion-sim-new.csv: ${fresh.layers.length} rows, ${new Set(fresh.layers.map(simLayerId)).size} layers x 5 configurations)`,
  );
  console.log(
    formatTable(
      models.flatMap(([name, ch]) =>
        scoreRows(fresh, ch).map((a) => ({
          name,
          rows: a.name,
          n: a.cycles.n,
          mle: formatNumber(a.meanLogError),
          ...agreementCells(a),
          dW25: pct(a.dramBytes.within25),
        })),
      ),
      [
        { key: 'name', header: 'model' },
        { key: 'rows', header: 'rows' },
        { key: 'n', header: 'n' },
        { key: 'mle', header: 'mean |ln err|' },
        ...AGREEMENT_COLUMNS,
        { key: 'dW25', header: 'DRAM within 25%' },
      ],
    ),
  );
}

/**
 * The committed NB201 table's `latency_ms` column (bitfusion-edge, W8A8, costed when the table was built) against
 * the 2026-12-03 model and the preset, over every cell: how far the session-33 mapping moves that column.
 */
export function nb201Shift(path = new URL('../../bench/nb201-fmnist.csv', import.meta.url)): Record<string, number> {
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const old = getTarget('bitfusion-edge?mapping=im2col&stalls=overlap&psum=none');
  const now = getTarget('bitfusion-edge');
  const o: number[] = [];
  const n: number[] = [];
  let tableDev = 0;
  for (const r of rows) {
    const g = nb201Graph(parseNb201(r[0] as string), { inputSize: 28, inChannels: 1 });
    const a = old.networkCost(g, policyPreset('w8a8')).latencyMs;
    o.push(a);
    n.push(now.networkCost(g, policyPreset('w8a8')).latencyMs);
    tableDev = Math.max(tableDev, Math.abs(a / Number(r[2]) - 1));
  }
  const ratio = n.map((v, i) => v / (o[i] as number));
  return {
    cells: rows.length,
    tableVsOldMaxRelDev: tableDev,
    spearmanOldNew: spearman(o, n),
    geomeanNewOverOld: geomean(ratio),
    minRatio: Math.min(...ratio),
    maxRatio: Math.max(...ratio),
  };
}

function main(): void {
  if (process.argv.includes('--nb201')) {
    console.log(JSON.stringify(nb201Shift(), null, 2));
    return;
  }
  const data = loadSimData();
  if (process.argv.includes('--new')) {
    printNew(data, loadNewSimData());
    return;
  }
  if (process.argv.includes('--write-split')) {
    // the pre-registered split's rows (bench/data/bitfusion-sim-split.csv holds them below its header)
    process.stdout.write(`${simSplitCsvRows(makeSimSplit(SPLIT_SEED, data), data).join('\n')}\n`);
    return;
  }
  const choices = parseChoices(process.argv);
  const v = validate(data, choices);
  const tpu = validateEdgeTpu();
  const split = loadSimSplit(undefined, data);
  const fit = fitSim(data, split);
  if (process.argv.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ sources: data.sources, choices, configs: v.configs, all: v.all, lowBits: v.lowBits, fit, edgeTpu: tpu }, null, 2)}\n`,
    );
    return;
  }
  printFit(data, split, fit);
  console.log(`per configuration, model choices ${JSON.stringify({ ...bitFusionEdge().params, ...choices }, ['mapping', 'stalls', 'psum'])}:`);
  const row = (f: ConfigFigures) => ({
    config: f.config,
    layers: f.layers,
    ...agreementCells(f),
    tau: formatNumber(f.cycles.kendall),
    netMed: pct(f.networks.medianAbsErr),
    netRho: formatNumber(f.networks.spearman),
  });
  console.log("bitfusion model vs the BitFusion authors' simulator (per-layer cycles; DRAM bytes; per-network total cycles)");
  console.log(
    formatTable([...v.configs, v.all, v.lowBits].map(row), [
      { key: 'config', header: 'config' },
      { key: 'layers', header: 'layers' },
      ...AGREEMENT_COLUMNS.slice(0, 1),
      { key: 'tau', header: 'Kendall' },
      ...AGREEMENT_COLUMNS.slice(1),
      { key: 'netRho', header: 'network Spearman' },
      { key: 'netMed', header: 'network median |err|' },
    ]),
  );
  // model/sim cycle ratio by precision (where the two differ in kind rather than in the memory model)
  const byBits = new Map<string, number[]>();
  for (const r of v.results) {
    const k = `${r.layer.config.endsWith('bw192') ? 'bw192' : 'bw4096'} w${r.layer.wBits}a${r.layer.aBits}`;
    const a = byBits.get(k) ?? [];
    a.push(r.modelCycles / r.layer.simCycles);
    byBits.set(k, a);
  }
  console.log(
    formatTable(
      [...byBits.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([k, a]) => {
          const s = [...a].sort((x, y) => x - y);
          return {
            k,
            n: a.length,
            med: formatNumber(s[s.length >> 1] as number),
            lo: formatNumber(s[0] as number),
            hi: formatNumber(s[s.length - 1] as number),
          };
        }),
      [
        { key: 'k', header: 'bandwidth, bits' },
        { key: 'n', header: 'layers' },
        { key: 'med', header: 'median model/sim cycles' },
        { key: 'lo', header: 'min' },
        { key: 'hi', header: 'max' },
      ],
    ),
  );
  console.log('edge-tpu (W8A8) vs Coral published time per inference (Dev Board)');
  console.log(
    formatTable(
      tpu.points.map((p) => ({ ...p, ratio: formatNumber(p.modelMs / p.publishedMs), modelMs: formatNumber(p.modelMs) })),
      [
        { key: 'model', header: 'model' },
        { key: 'zoo', header: 'zoo' },
        { key: 'publishedMs', header: 'Dev Board ms' },
        { key: 'publishedUsbMs', header: 'USB ms' },
        { key: 'modelMs', header: 'model ms' },
        { key: 'ratio', header: 'model/Dev Board' },
      ],
    ),
  );
  if (process.argv.includes('--layers')) {
    console.log(
      formatTable(
        v.results.map((r) => ({
          config: r.layer.config,
          layer: `${r.layer.network}/${r.layer.layer}`,
          bits: `w${r.layer.wBits}a${r.layer.aBits}`,
          sim: r.layer.simCycles,
          model: Math.round(r.modelCycles),
          ratio: formatNumber(r.modelCycles / r.layer.simCycles),
          simWait: r.layer.simMemWaitCycles,
          bound: r.modelBound,
          dram: formatNumber(r.modelDramBytes / r.simDramBytes),
        })),
        [
          { key: 'config', header: 'config' },
          { key: 'layer', header: 'layer' },
          { key: 'bits', header: 'bits' },
          { key: 'sim', header: 'sim cycles' },
          { key: 'model', header: 'model cycles' },
          { key: 'ratio', header: 'model/sim' },
          { key: 'simWait', header: 'sim mem-wait cycles' },
          { key: 'bound', header: 'model bound' },
          { key: 'dram', header: 'DRAM model/sim' },
        ],
      ),
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
