/**
 * The `bismo-cloud` target against HAQ's own BISMO simulator output (issue 18): HAQ (Wang et al., CVPR 2019) built
 * its cloud accelerator from BISMO (16 x 16 array of 256-bit dot-product units, batch 16) and published the per-layer
 * latency lookup table its search used: every quantizable layer of MobileNetV2 at every weight / activation width
 * 1..8 (bench/data/haq-bismo-cloud-lut.csv, 53 x 64 entries, in cycles of that array; sources in the file's header).
 * hwnas costs zoo:mobilenet-v2 on `bismo-cloud` (same array, batch and layer order) at the same widths and compares:
 * - per-layer agreement (Spearman / Kendall across layers, median |err|, within 25 / 50 %) at each uniform width
 *   and over all 3392 (layer, w, a) entries;
 * - whole-network cycles and speed-ups: 8 -> 4 and 8 -> 2 bits on both operands, on weights only and on
 *   activations only, and HAQ's published mixed policy (bench/data/haq-bismo-cloud-policy.csv, "0.6x latency");
 * - which operand each layer's latency follows: weight-bound (only fewer weight bits help), activation-bound, or
 *   compute-bound (both help), per HAQ's table and per the model;
 * - the model / HAQ ratio per layer kind (stem, expand, depthwise, project, head, classifier).
 * The model's cycles are its latency x clock (the same 200 MHz the target assumes; HAQ's table has no clock).
 * Deterministic (no measurement). Printed by `node dist/bench/cost-published.js` (`--json` for all figures).
 */
import { readFileSync } from 'node:fs';
import { type BismoParams, BismoTarget, bismoCloud } from '../src/hardware/bismo.js';
import { policyFromVectors, uniformPolicy } from '../src/hardware/precision.js';
import { prepareNetwork } from '../src/hardware/prepared.js';
import type { PrecisionPolicy } from '../src/ir/precision.js';
import type { Graph } from '../src/ir/types.js';
import { quantizableLayers } from '../src/ir/workload.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { Rng } from '../src/util/rng.js';
import { formatNumber, formatTable } from '../src/util/table.js';
import { parseCommentedCsv } from './commented-csv.js';
import { type Agreement, agreement, geomean } from './cost-validation.js';

const dataUrl = (file: string): URL => new URL(`../../bench/data/${file}`, import.meta.url);

/** One entry of HAQ's table: cycles of one layer at one (weight, activation) width, for the batch of 16. */
export interface HaqLutRow {
  readonly layer: number;
  readonly node: string;
  readonly wBits: number;
  readonly aBits: number;
  readonly cycles: number;
}

/** One layer of HAQ's published mixed policy (aBits -1: HAQ's marker for the 8-bit input image). */
export interface HaqPolicyRow {
  readonly layer: number;
  readonly node: string;
  readonly wBits: number;
  readonly aBits: number;
}

const LAYERS = 53;
const int = (v: string | undefined): number => (v !== undefined && /^-?\d+$/.test(v) ? Number(v) : Number.NaN);

/** Load bench/data/haq-bismo-cloud-lut.csv (or a file of the same columns): 53 layers x 8 x 8 widths, every entry once. */
export function loadHaqLut(path: URL | string = dataUrl('haq-bismo-cloud-lut.csv')): { sources: readonly string[]; rows: HaqLutRow[] } {
  const csv = parseCommentedCsv(readFileSync(path, 'utf8'), 'haq-bismo-cloud-lut');
  const seen = new Set<string>();
  const rows = csv.rows.map((r): HaqLutRow => {
    const row = { layer: int(r.layer), node: r.node as string, wBits: int(r.wBits), aBits: int(r.aBits), cycles: int(r.cycles) };
    for (const k of ['wBits', 'aBits'] as const)
      if (!(row[k] >= 1 && row[k] <= 8)) throw new Error(`haq-bismo-cloud-lut: ${k} '${r[k]}' of layer ${r.layer}: expected an integer 1..8`);
    if (!(row.layer >= 0 && row.layer < LAYERS)) throw new Error(`haq-bismo-cloud-lut: layer '${r.layer}': expected an integer 0..${LAYERS - 1}`);
    if (!(row.cycles > 0)) throw new Error(`haq-bismo-cloud-lut: cycles '${r.cycles}' of layer ${r.layer} w${r.wBits}a${r.aBits}: expected a positive integer`);
    const key = `${row.layer}/${row.wBits}/${row.aBits}`;
    if (seen.has(key)) throw new Error(`haq-bismo-cloud-lut: layer ${row.layer} w${row.wBits}a${row.aBits} appears twice`);
    seen.add(key);
    return row;
  });
  if (rows.length !== LAYERS * 64) throw new Error(`haq-bismo-cloud-lut: ${rows.length} rows, expected ${LAYERS * 64} (53 layers x 8 x 8 widths)`);
  if (!csv.sources.some((s) => s.startsWith('haq-lut = '))) throw new Error("haq-bismo-cloud-lut: no '# source: haq-lut = ...' line");
  return { sources: csv.sources, rows };
}

/** Load bench/data/haq-bismo-cloud-policy.csv: one [w, a] per layer. */
export function loadHaqPolicy(path: URL | string = dataUrl('haq-bismo-cloud-policy.csv')): { sources: readonly string[]; rows: HaqPolicyRow[] } {
  const csv = parseCommentedCsv(readFileSync(path, 'utf8'), 'haq-bismo-cloud-policy');
  const rows = csv.rows.map((r): HaqPolicyRow => ({ layer: int(r.layer), node: r.node as string, wBits: int(r.wBits), aBits: int(r.aBits) }));
  rows.forEach((r, i) => {
    if (r.layer !== i) throw new Error(`haq-bismo-cloud-policy: row ${i} has layer '${r.layer}', expected ${i} (one row per layer, in order)`);
    if (!(r.wBits >= 1 && r.wBits <= 8) || !((r.aBits >= 1 && r.aBits <= 8) || (i === 0 && r.aBits === -1)))
      throw new Error(`haq-bismo-cloud-policy: layer ${i} w${r.wBits}a${r.aBits}: expected bits 1..8 (aBits -1 only on layer 0)`);
  });
  if (rows.length !== LAYERS) throw new Error(`haq-bismo-cloud-policy: ${rows.length} rows, expected ${LAYERS}`);
  return { sources: csv.sources, rows };
}

/**
 * The pre-registered fit / held-out split of HAQ's table (issue 18, session 32), fixed before any parameter was chosen.
 * Layers: MobileNetV2 repeats shapes (b4/b5, b7..b10, b14..b16), so a random split of layers would test a held-out
 * layer against its twin in the fit set; the unit is a shape group (same kind, G, M, K, N). Within each layer kind
 * (depthwise, expand, project; stem, head and classifier pooled as 'other') the groups are shuffled with `seed` and
 * each goes to whichever set holds fewer of that kind's layers (ties: fit). Widths: the seven pairs the bench reports
 * by name (w8a8, w4a4, w2a2, w4a8, w8a4, w2a8, w8a2) are all held out, with 25 of the other 57 drawn with the seed,
 * so a model fitted on the fit set never saw those widths on any layer: 32 fit and 32 held-out (w, a) pairs.
 */
export interface HaqSplit {
  readonly seed: number;
  readonly fitLayers: readonly number[];
  readonly heldLayers: readonly number[];
  /** `w${w}a${a}` keys. */
  readonly fitWidths: readonly string[];
  readonly heldWidths: readonly string[];
}

/** The widths every split holds out (the bench's named figures). */
export const NAMED_WIDTHS: readonly string[] = ['w8a8', 'w4a4', 'w2a2', 'w4a8', 'w8a4', 'w2a8', 'w8a2'];

/** Draw the split of {@link HaqSplit} from `seed` for the conv/dense layers of `graph` (zoo:mobilenet-v2). */
export function makeHaqSplit(seed: number, graph: Graph = zooGraph('zoo:mobilenet-v2')): HaqSplit {
  const q = quantizableLayers(graph);
  const rng = new Rng(seed);
  const groupKind = (name: string): string => {
    const k = layerKind(name);
    return k === 'dw' || k === 'expand' || k === 'project' ? k : 'other';
  };
  const shapes = layerShapes(graph);
  const fit: number[] = [];
  const held: number[] = [];
  for (const kind of ['dw', 'expand', 'project', 'other']) {
    const groups = new Map<string, number[]>();
    q.forEach((n, i) => {
      if (groupKind(n.name) !== kind) return;
      const key = shapes[i] as string;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    let nf = 0;
    let nh = 0;
    for (const g of rng.shuffle([...groups.values()])) {
      if (nh < nf) {
        held.push(...g);
        nh += g.length;
      } else {
        fit.push(...g);
        nf += g.length;
      }
    }
  }
  const others: string[] = [];
  for (let w = 8; w >= 1; w--) for (let a = 8; a >= 1; a--) if (!NAMED_WIDTHS.includes(`w${w}a${a}`)) others.push(`w${w}a${a}`);
  const drawn = rng.shuffle(others).slice(0, 32 - NAMED_WIDTHS.length);
  const heldW = new Set([...NAMED_WIDTHS, ...drawn]);
  const all: string[] = [];
  for (let w = 8; w >= 1; w--) for (let a = 8; a >= 1; a--) all.push(`w${w}a${a}`);
  const byNum = (a: number, b: number): number => a - b;
  return {
    seed,
    fitLayers: fit.sort(byNum),
    heldLayers: held.sort(byNum),
    fitWidths: all.filter((k) => !heldW.has(k)),
    heldWidths: all.filter((k) => heldW.has(k)),
  };
}

/** A shape key per conv/dense layer of `graph`: kind and the GEMM (groups, M, K, N) its costing sees. */
function layerShapes(graph: Graph): string[] {
  const net = prepareNetwork(graph);
  const c = net.col;
  return Array.from(net.layerNode, (i) => `${c.kind[i]}:${c.gemmG[i]}x${c.gemmM[i]}x${c.gemmK[i]}x${c.gemmN[i]}`);
}

/** Load bench/data/haq-bismo-cloud-split.csv (the committed split; one row per layer and per width pair). */
export function loadHaqSplit(path: URL | string = dataUrl('haq-bismo-cloud-split.csv')): HaqSplit & { sources: readonly string[] } {
  const csv = parseCommentedCsv(readFileSync(path, 'utf8'), 'haq-bismo-cloud-split');
  const seedLine = csv.sources.find((s) => s.startsWith('seed = '));
  const seed = seedLine ? Number(seedLine.slice('seed = '.length)) : Number.NaN;
  if (!Number.isInteger(seed)) throw new Error("haq-bismo-cloud-split: no '# source: seed = <integer>' line");
  const pick = (what: string, set: string): string[] => csv.rows.filter((r) => r.what === what && r.set === set).map((r) => r.key as string);
  for (const r of csv.rows) {
    if (r.set !== 'fit' && r.set !== 'held') throw new Error(`haq-bismo-cloud-split: set '${r.set}' of ${r.what} ${r.key}: expected 'fit' or 'held'`);
    if (r.what === 'layer' ? !/^\d+$/.test(r.key as string) || Number(r.key) >= LAYERS : !(r.what === 'width' && /^w[1-8]a[1-8]$/.test(r.key as string)))
      throw new Error(`haq-bismo-cloud-split: '${r.what},${r.key}': expected 'layer,<0..52>' or 'width,w<1..8>a<1..8>'`);
  }
  const split = {
    sources: csv.sources,
    seed,
    fitLayers: pick('layer', 'fit').map(Number),
    heldLayers: pick('layer', 'held').map(Number),
    fitWidths: pick('width', 'fit'),
    heldWidths: pick('width', 'held'),
  };
  if (new Set([...split.fitLayers, ...split.heldLayers]).size !== LAYERS || split.fitLayers.length + split.heldLayers.length !== LAYERS)
    throw new Error(`haq-bismo-cloud-split: expected each of the ${LAYERS} layers exactly once`);
  if (new Set([...split.fitWidths, ...split.heldWidths]).size !== 64 || split.fitWidths.length + split.heldWidths.length !== 64)
    throw new Error('haq-bismo-cloud-split: expected each of the 64 width pairs exactly once');
  return split;
}

/** The split as the lines of bench/data/haq-bismo-cloud-split.csv (after its comment lines). */
export function haqSplitCsvRows(s: HaqSplit, graph: Graph = zooGraph('zoo:mobilenet-v2')): string[] {
  const q = quantizableLayers(graph);
  const shapes = layerShapes(graph);
  const rows = ['what,key,set,node,shape'];
  for (let i = 0; i < LAYERS; i++) rows.push(`layer,${i},${s.heldLayers.includes(i) ? 'held' : 'fit'},${q[i]?.name},${shapes[i]}`);
  for (let w = 8; w >= 1; w--) for (let a = 8; a >= 1; a--) rows.push(`width,w${w}a${a},${s.heldWidths.includes(`w${w}a${a}`) ? 'held' : 'fit'},,`);
  return rows;
}

/** HAQ's table as cycles[layer][w - 1][a - 1]. */
function lutCube(rows: readonly HaqLutRow[]): number[][][] {
  const t = Array.from({ length: LAYERS }, () => Array.from({ length: 8 }, () => new Array<number>(8).fill(Number.NaN)));
  for (const r of rows) ((t[r.layer] as number[][])[r.wBits - 1] as number[])[r.aBits - 1] = r.cycles;
  return t;
}

/** A layer's latency follows: weight bits only, activation bits only, both (compute), or neither fully (mixed). */
export type OperandClass = 'compute' | 'weight' | 'activation' | 'mixed';

/** Class of a layer from its 8 -> 4 speed-up on weights only (sw) and on activations only (sa). */
export function operandClass(sw: number, sa: number): OperandClass {
  if (sw >= 1.7 && sa >= 1.7) return 'compute';
  if (sw >= 1.7 && sa < 1.3) return 'weight';
  if (sa >= 1.7 && sw < 1.3) return 'activation';
  return 'mixed';
}

/** Kind of a zoo:mobilenet-v2 layer from its node name. */
export function layerKind(node: string): string {
  const m = /_(expand|dw|project)$/.exec(node);
  return m ? (m[1] as string) : node;
}

/** One layer at w8a8 and its operand class by HAQ's table and by the model. */
export interface HaqLayerPoint {
  readonly layer: number;
  readonly node: string;
  readonly haqCycles: number;
  readonly modelCycles: number;
  readonly haqClass: OperandClass;
  readonly modelClass: OperandClass;
}

/** A whole-network speed-up, HAQ's table vs the model. */
export interface HaqSpeedup {
  readonly name: string;
  readonly published: number;
  readonly model: number;
}

/** Everything {@link validateBismoHaq} reports. */
export interface BismoHaqValidation {
  readonly target: string;
  /** Per uniform width (`w8a8` .. `w1a1`) and over all 64 widths (`all`): agreement across layers. */
  readonly perWidth: ReadonlyArray<{ readonly widths: string; readonly agreement: Agreement; readonly networkRatio: number }>;
  /** Whole-network cycles at the 64 uniform (w, a) pairs: does the model order bit-width choices as HAQ's table does? */
  readonly networkAcrossWidths: Agreement;
  readonly speedups: readonly HaqSpeedup[];
  readonly layers: readonly HaqLayerPoint[];
  /** Layers whose operand class is the same by both. */
  readonly classAgreement: number;
  /** Geometric-mean model / HAQ ratio per layer kind at w8a8 and at w4a4. */
  readonly byKind: ReadonlyArray<{ readonly kind: string; readonly n: number; readonly w8a8: number; readonly w4a4: number }>;
}

/**
 * Cost zoo:mobilenet-v2 on `bismo-cloud` (or `target`) at every width of HAQ's table and compare. `graph` defaults
 * to the zoo model; its conv/dense layers must be the table's 53 layers in order (checked by node name).
 */
export function validateBismoHaq(
  lut: readonly HaqLutRow[],
  policy: readonly HaqPolicyRow[],
  target: BismoTarget = bismoCloud(),
  graph: Graph = zooGraph('zoo:mobilenet-v2'),
): BismoHaqValidation {
  const q = quantizableLayers(graph);
  const names = [...new Set(lut.map((r) => `${r.layer}:${r.node}`))].sort((a, b) => Number(a.split(':')[0]) - Number(b.split(':')[0]));
  if (q.length !== LAYERS || names.some((n, i) => n !== `${i}:${q[i]?.name}`))
    throw new Error(`bismo-haq: the graph's ${q.length} conv/dense layers are not HAQ's 53 MobileNetV2 layers in order`);
  const haq = lutCube(lut);
  const cyclesPerMs = target.params.clockMHz * 1e3;
  const costLayers = (p: PrecisionPolicy): number[] => {
    const by = new Map(target.networkCost(graph, p).layers.map((l) => [l.node, l.latencyMs]));
    return q.map((n) => (by.get(n.name) as number) * cyclesPerMs);
  };
  const model: number[][][] = Array.from({ length: 8 }, (_, w) => Array.from({ length: 8 }, (_, a) => costLayers(uniformPolicy(w + 1, a + 1))));
  const mod = (w: number, a: number): number[] => model[w - 1]?.[a - 1] as number[];
  const pub = (w: number, a: number): number[] => haq.map((l) => l[w - 1]?.[a - 1] as number);
  const sum = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0);

  const perWidth: Array<{ widths: string; agreement: Agreement; networkRatio: number }> = [];
  for (let b = 8; b >= 1; b--)
    perWidth.push({ widths: `w${b}a${b}`, agreement: agreement(mod(b, b), pub(b, b)), networkRatio: sum(mod(b, b)) / sum(pub(b, b)) });
  const allM: number[] = [];
  const allP: number[] = [];
  for (let w = 1; w <= 8; w++)
    for (let a = 1; a <= 8; a++) {
      allM.push(...mod(w, a));
      allP.push(...pub(w, a));
    }
  perWidth.push({ widths: 'all 64', agreement: agreement(allM, allP), networkRatio: sum(allM) / sum(allP) });
  const netM: number[] = [];
  const netP: number[] = [];
  for (let w = 1; w <= 8; w++)
    for (let a = 1; a <= 8; a++) {
      netM.push(sum(mod(w, a)));
      netP.push(sum(pub(w, a)));
    }

  const speed = (name: string, w0: number, a0: number, w1: number, a1: number): HaqSpeedup => ({
    name,
    published: sum(pub(w0, a0)) / sum(pub(w1, a1)),
    model: sum(mod(w0, a0)) / sum(mod(w1, a1)),
  });
  // HAQ's policy: its cost code reads table[i, w - 1, a - 1] with a = -1 on the first layer, i.e. the 7-bit column
  const pubMixed = sum(policy.map((r, i) => ((haq[i] as number[][])[r.wBits - 1] as number[])[(r.aBits - 1 + 8) % 8] as number));
  const pol = policyFromVectors(
    graph,
    policy.map((r) => r.wBits),
    policy.map((r) => (r.aBits < 1 ? 8 : r.aBits)),
    'haq-0.6',
  );
  const speedups: HaqSpeedup[] = [
    speed('w8a8 -> w4a4', 8, 8, 4, 4),
    speed('w8a8 -> w2a2', 8, 8, 2, 2),
    speed('w8a8 -> w4a8 (weights only)', 8, 8, 4, 8),
    speed('w8a8 -> w8a4 (activations only)', 8, 8, 8, 4),
    speed('w8a8 -> w2a8 (weights only)', 8, 8, 2, 8),
    speed('w8a8 -> w8a2 (activations only)', 8, 8, 8, 2),
    { name: "w8a8 -> HAQ's policy ('0.6x latency')", published: sum(pub(8, 8)) / pubMixed, model: sum(mod(8, 8)) / sum(costLayers(pol)) },
  ];

  const layers: HaqLayerPoint[] = q.map((n, i) => {
    const cls = (f: (w: number, a: number) => number[]): OperandClass =>
      operandClass((f(8, 8)[i] as number) / (f(4, 8)[i] as number), (f(8, 8)[i] as number) / (f(8, 4)[i] as number));
    return { layer: i, node: n.name, haqCycles: pub(8, 8)[i] as number, modelCycles: mod(8, 8)[i] as number, haqClass: cls(pub), modelClass: cls(mod) };
  });
  const kinds = [...new Set(q.map((n) => layerKind(n.name)))];
  const byKind = kinds.map((kind) => {
    const idx = q.map((n, i) => (layerKind(n.name) === kind ? i : -1)).filter((i) => i >= 0);
    const ratio = (w: number, a: number): number => geomean(idx.map((i) => (mod(w, a)[i] as number) / (pub(w, a)[i] as number)));
    return { kind, n: idx.length, w8a8: ratio(8, 8), w4a4: ratio(4, 4) };
  });
  return {
    target: target.name,
    perWidth,
    networkAcrossWidths: agreement(netM, netP),
    speedups,
    layers,
    classAgreement: layers.filter((l) => l.haqClass === l.modelClass).length,
    byKind,
  };
}

/** The comparison as printed by bench/cost-published.ts (`--layers`: per-layer table; `--bismo-dram <GB/s>`: also a what-if). */
export function printBismoHaq(argv: readonly string[] = process.argv): BismoHaqValidation[] {
  const lut = loadHaqLut();
  const pol = loadHaqPolicy();
  const targets = [bismoCloud()];
  const i = argv.indexOf('--bismo-dram');
  if (i >= 0) {
    const gbps = Number(argv[i + 1]);
    if (!(gbps > 0)) throw new Error(`--bismo-dram '${argv[i + 1]}': expected a positive bandwidth in GB/s`);
    targets.push(bismoCloud({ dramGBps: gbps }));
  }
  const f = formatNumber;
  const pct = (x: number): string => `${formatNumber(100 * x)}%`;
  const out: BismoHaqValidation[] = [];
  for (const t of targets) {
    const v = validateBismoHaq(lut.rows, pol.rows, t);
    out.push(v);
    console.log(
      `bismo-cloud (dramGBps ${t.params.dramGBps}${t.params.dramGBps === 25.6 ? ', the preset' : ', what-if, not the preset'}) vs HAQ's BISMO cloud table (MobileNetV2, 53 layers, batch 16, cycles)`,
    );
    console.log(
      formatTable(
        v.perWidth.map((p) => ({
          widths: p.widths,
          n: p.agreement.n,
          rho: f(p.agreement.spearman),
          tau: f(p.agreement.kendall),
          net: f(p.networkRatio),
          med: pct(p.agreement.medianAbsErr),
          w25: pct(p.agreement.within25),
          w50: pct(p.agreement.within50),
          range: `${f(p.agreement.minRatio)}..${f(p.agreement.maxRatio)}`,
        })),
        [
          { key: 'widths', header: 'widths' },
          { key: 'n', header: 'entries' },
          { key: 'rho', header: 'Spearman' },
          { key: 'tau', header: 'Kendall' },
          { key: 'net', header: 'network model/HAQ' },
          { key: 'med', header: 'layer median |err|' },
          { key: 'w25', header: 'within 25%' },
          { key: 'w50', header: 'within 50%' },
          { key: 'range', header: 'layer model/HAQ range' },
        ],
      ),
    );
    const nw = v.networkAcrossWidths;
    console.log(
      `whole network at the 64 uniform (w, a) pairs: Spearman ${f(nw.spearman)}, Kendall ${f(nw.kendall)}, model/HAQ ${f(nw.minRatio)}..${f(nw.maxRatio)}, median |err| ${pct(nw.medianAbsErr)}`,
    );
    console.log(
      formatTable(
        v.speedups.map((s) => ({ name: s.name, published: f(s.published), model: f(s.model), ratio: f(s.model / s.published) })),
        [
          { key: 'name', header: 'network speed-up' },
          { key: 'published', header: "HAQ's table" },
          { key: 'model', header: 'model' },
          { key: 'ratio', header: 'model/HAQ' },
        ],
      ),
    );
    const classes: OperandClass[] = ['compute', 'weight', 'activation', 'mixed'];
    console.log(`operand class per layer (8 -> 4 bits speed-up on weights only / activations only), ${v.classAgreement} of ${v.layers.length} layers agree:`);
    console.log(
      formatTable(
        classes.map(
          (c): Record<string, string | number> => ({
            haq: c,
            ...Object.fromEntries(classes.map((m) => [m, v.layers.filter((l) => l.haqClass === c && l.modelClass === m).length])),
          }),
        ),
        [{ key: 'haq', header: "HAQ's table \\ model" }, ...classes.map((c) => ({ key: c, header: c }))],
      ),
    );
    console.log(
      formatTable(
        v.byKind.map((k) => ({ kind: k.kind, n: k.n, w8a8: f(k.w8a8), w4a4: f(k.w4a4) })),
        [
          { key: 'kind', header: 'layer kind' },
          { key: 'n', header: 'layers' },
          { key: 'w8a8', header: 'model/HAQ w8a8 (geomean)' },
          { key: 'w4a4', header: 'model/HAQ w4a4 (geomean)' },
        ],
      ),
    );
    if (argv.includes('--layers'))
      console.log(
        formatTable(
          v.layers.map((l) => ({ ...l, ratio: f(l.modelCycles / l.haqCycles), modelCycles: Math.round(l.modelCycles) })),
          [
            { key: 'layer', header: '#' },
            { key: 'node', header: 'layer' },
            { key: 'haqCycles', header: 'HAQ cycles w8a8' },
            { key: 'modelCycles', header: 'model cycles w8a8' },
            { key: 'ratio', header: 'model/HAQ' },
            { key: 'haqClass', header: 'HAQ class' },
            { key: 'modelClass', header: 'model class' },
          ],
        ),
      );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Session 32 (cost9): modelling choices fitted on the fit set of the pre-registered split, reported on the held-out set

/** The modelling choices of {@link BismoParams} that the fit may set (session 32). */
export type BismoChoices = Pick<BismoParams, 'portBits' | 'convBatch' | 'weightPlanes' | 'packGroups' | 'requantize'>;

/** Model cycles of zoo:mobilenet-v2's 53 layers at every (w, a) 1..8: cube[layer][w - 1][a - 1]. */
export function modelCube(target: BismoTarget, graph: Graph = zooGraph('zoo:mobilenet-v2')): number[][][] {
  const q = quantizableLayers(graph);
  const cyclesPerMs = target.params.clockMHz * 1e3;
  const cube = q.map(() => Array.from({ length: 8 }, () => new Array<number>(8).fill(Number.NaN)));
  for (let w = 1; w <= 8; w++)
    for (let a = 1; a <= 8; a++) {
      const by = new Map(target.networkCost(graph, uniformPolicy(w, a)).layers.map((l) => [l.node, l.latencyMs]));
      q.forEach((n, i) => {
        ((cube[i] as number[][])[w - 1] as number[])[a - 1] = (by.get(n.name) as number) * cyclesPerMs;
      });
    }
  return cube;
}

const widthOf = (k: string): [number, number] => {
  const m = /^w(\d)a(\d)$/.exec(k);
  if (!m) throw new Error(`bismo-haq: width key '${k}': expected w<1..8>a<1..8>`);
  return [Number(m[1]), Number(m[2])];
};
const at = (cube: number[][][], l: number, w: number, a: number): number => ((cube[l] as number[][])[w - 1] as number[])[a - 1] as number;

/** Mean |ln(model / HAQ)| over the given layers x widths: the fit criterion (a geometric error, both directions alike). */
export function meanLogError(model: number[][][], haq: number[][][], layers: readonly number[], widths: readonly string[]): number {
  let s = 0;
  for (const l of layers)
    for (const k of widths) {
      const [w, a] = widthOf(k);
      s += Math.abs(Math.log(at(model, l, w, a) / at(haq, l, w, a)));
    }
  return s / (layers.length * widths.length);
}

/** Held-out (or any subset's) figures: per uniform width and pooled agreement, network ratios and speed-ups over `layers`. */
export interface SubsetFigures {
  readonly layers: number;
  readonly widths: number;
  readonly meanLogError: number;
  readonly pooled: Agreement;
  readonly at: ReadonlyArray<{ readonly widths: string; readonly agreement: Agreement; readonly networkRatio: number }>;
  readonly speedups: readonly HaqSpeedup[];
}

/** Figures of `model` against HAQ's table over `layers` (pooled over `widths`; the named widths always reported). */
export function subsetFigures(model: number[][][], haq: number[][][], layers: readonly number[], widths: readonly string[]): SubsetFigures {
  const col = (cube: number[][][], w: number, a: number): number[] => layers.map((l) => at(cube, l, w, a));
  const sum = (x: readonly number[]): number => x.reduce((s, v) => s + v, 0);
  const pm: number[] = [];
  const ph: number[] = [];
  for (const k of widths) {
    const [w, a] = widthOf(k);
    pm.push(...col(model, w, a));
    ph.push(...col(haq, w, a));
  }
  const speed = (name: string, w1: number, a1: number): HaqSpeedup => ({
    name,
    published: sum(col(haq, 8, 8)) / sum(col(haq, w1, a1)),
    model: sum(col(model, 8, 8)) / sum(col(model, w1, a1)),
  });
  return {
    layers: layers.length,
    widths: widths.length,
    meanLogError: meanLogError(model, haq, layers, widths),
    pooled: agreement(pm, ph),
    at: [8, 4, 2].map((b) => ({
      widths: `w${b}a${b}`,
      agreement: agreement(col(model, b, b), col(haq, b, b)),
      networkRatio: sum(col(model, b, b)) / sum(col(haq, b, b)),
    })),
    speedups: [
      speed('w8a8 -> w4a4', 4, 4),
      speed('w8a8 -> w2a2', 2, 2),
      speed('w8a8 -> w4a8 (weights only)', 4, 8),
      speed('w8a8 -> w8a4 (activations only)', 8, 4),
      speed('w8a8 -> w2a8 (weights only)', 2, 8),
      speed('w8a8 -> w8a2 (activations only)', 8, 2),
    ],
  };
}

/** One candidate of the fit grid and its criterion on the fit set (fit layers x fit widths). */
export interface FitCandidate {
  readonly choices: BismoChoices;
  readonly fitError: number;
}

/** The grid the fit searches: port width (0 = shared pool), batch handling, weight-plane mapping, group packing, result width. */
export function fitGrid(): BismoChoices[] {
  const out: BismoChoices[] = [];
  for (const portBits of [0, 64, 128, 256, 512, 1024])
    for (const convBatch of ['merged', 'per-image'] as const)
      for (const weightPlanes of ['serial', 'rows'] as const)
        for (const packGroups of [true, false]) for (const requantize of [false, true]) out.push({ portBits, convBatch, weightPlanes, packGroups, requantize });
  return out;
}

/** A bismo-cloud variant with `choices` (the preset's other parameters unchanged). */
export const withChoices = (base: BismoTarget, choices: Partial<BismoChoices>, name = base.name): BismoTarget =>
  new BismoTarget(name, { ...base.params, ...choices }, base.description);

/** Everything {@link fitBismoHaq} reports. */
export interface BismoHaqFit {
  readonly split: HaqSplit;
  readonly grid: readonly FitCandidate[];
  /** The grid's best on the fit set. */
  readonly best: BismoChoices;
  /** Held-out figures of the preset as loaded (`before`), of the fitted choices, and of each fitted change alone on top of `before`. */
  readonly before: { readonly choices: BismoChoices; readonly fit: SubsetFigures; readonly held: SubsetFigures; readonly all: SubsetFigures };
  readonly fitted: { readonly choices: BismoChoices; readonly fit: SubsetFigures; readonly held: SubsetFigures; readonly all: SubsetFigures };
  readonly single: ReadonlyArray<{ readonly change: string; readonly choices: BismoChoices; readonly fit: SubsetFigures; readonly held: SubsetFigures }>;
  /** The fitted choices with one change reverted to `before`'s (does each change earn its place on held-out data?). */
  readonly ablation: ReadonlyArray<{ readonly change: string; readonly choices: BismoChoices; readonly fit: SubsetFigures; readonly held: SubsetFigures }>;
}

export const choicesOf = (t: BismoTarget): BismoChoices => {
  const p = t.params;
  return { portBits: p.portBits, convBatch: p.convBatch, weightPlanes: p.weightPlanes, packGroups: p.packGroups, requantize: p.requantize };
};

/**
 * Fit the modelling choices on the fit set only (grid search, criterion {@link meanLogError} over fit layers x fit
 * widths), then report the held-out figures (held-out layers; pooled over held-out widths) of `base`, of the fit, and
 * of each choice that the fit changed, applied alone to `base`.
 */
export function fitBismoHaq(lut: readonly HaqLutRow[], split: HaqSplit, base: BismoTarget = bismoCloud(), reference: Partial<BismoChoices> = {}): BismoHaqFit {
  const haq = lutCube(lut);
  const start = withChoices(base, reference);
  const grid = fitGrid().map((choices) => ({ choices, fitError: meanLogError(modelCube(withChoices(base, choices)), haq, split.fitLayers, split.fitWidths) }));
  const best = [...grid].sort((x, y) => x.fitError - y.fitError)[0]?.choices as BismoChoices;
  const allLayers = Array.from({ length: LAYERS }, (_, i) => i);
  const allWidths = [...split.fitWidths, ...split.heldWidths];
  const figures = (t: BismoTarget) => {
    const m = modelCube(t);
    return {
      choices: choicesOf(t),
      fit: subsetFigures(m, haq, split.fitLayers, split.fitWidths),
      held: subsetFigures(m, haq, split.heldLayers, split.heldWidths),
      all: subsetFigures(m, haq, allLayers, allWidths),
    };
  };
  const b = choicesOf(start);
  const single = (Object.keys(best) as Array<keyof BismoChoices>)
    .filter((k) => best[k] !== b[k])
    .map((k) => {
      const f = figures(withChoices(start, { [k]: best[k] }));
      return { change: `${k}: ${JSON.stringify(b[k])} -> ${JSON.stringify(best[k])}`, choices: f.choices, fit: f.fit, held: f.held };
    });
  const ablation = (Object.keys(best) as Array<keyof BismoChoices>)
    .filter((k) => best[k] !== b[k])
    .map((k) => {
      const f = figures(withChoices(base, { ...best, [k]: b[k] }));
      return { change: `without ${k}: ${JSON.stringify(best[k])} (back to ${JSON.stringify(b[k])})`, choices: f.choices, fit: f.fit, held: f.held };
    });
  return { split, grid, best, before: figures(start), fitted: figures(withChoices(base, best)), single, ablation };
}

/** Print {@link fitBismoHaq}: the grid's best candidates, then before / fitted / single changes / ablations on fit and held-out data. */
export function printBismoFit(f: BismoHaqFit): void {
  const fm = formatNumber;
  const pct = (x: number): string => `${formatNumber(100 * x)}%`;
  const desc = (c: BismoChoices): string =>
    `ports ${c.portBits === 0 ? 'shared' : `${c.portBits} b`}, ${c.convBatch}, planes ${c.weightPlanes}, ${c.packGroups ? 'packed' : 'unpacked'} groups, results ${c.requantize ? 'requantised' : '32-bit'}`;
  console.log(
    `\nbismo-cloud modelling choices fitted on HAQ's table (split seed ${f.split.seed}: fit = ${f.split.fitLayers.length} layers x ${f.split.fitWidths.length} widths, held out = ${f.split.heldLayers.length} layers x ${f.split.heldWidths.length} widths incl. ${NAMED_WIDTHS.join(', ')}; criterion: mean |ln(model/HAQ)| on the fit set, ${f.grid.length} candidates)`,
  );
  const top = [...f.grid].sort((x, y) => x.fitError - y.fitError).slice(0, 6);
  console.log(
    formatTable(
      top.map((c, i) => ({ i: i + 1, c: desc(c.choices), e: fm(c.fitError) })),
      [
        { key: 'i', header: 'rank' },
        { key: 'c', header: 'choices' },
        { key: 'e', header: 'fit-set mean |ln err|' },
      ],
    ),
  );
  const rows: Array<{ name: string; set: string; s: SubsetFigures }> = [
    { name: `before (${desc(f.before.choices)})`, set: 'fit', s: f.before.fit },
    { name: 'before', set: 'HELD-OUT', s: f.before.held },
    { name: 'before', set: 'all 53 x 64', s: f.before.all },
    { name: `fitted (${desc(f.fitted.choices)})`, set: 'fit', s: f.fitted.fit },
    { name: 'fitted', set: 'HELD-OUT', s: f.fitted.held },
    { name: 'fitted', set: 'all 53 x 64', s: f.fitted.all },
    ...f.single.map((x) => ({ name: `before + ${x.change}`, set: 'HELD-OUT', s: x.held })),
    ...f.ablation.map((x) => ({ name: `fitted ${x.change}`, set: 'HELD-OUT', s: x.held })),
  ];
  const cell = (s: SubsetFigures, w: string): string => {
    const a = s.at.find((x) => x.widths === w);
    return a ? `${fm(a.agreement.spearman)} / ${pct(a.agreement.within25)} / ${fm(a.networkRatio)}` : '';
  };
  const sp = (s: SubsetFigures, name: string): string => {
    const x = s.speedups.find((y) => y.name.startsWith(name));
    return x ? `${fm(x.model)} (HAQ ${fm(x.published)})` : '';
  };
  console.log(
    formatTable(
      rows.map((r) => ({
        name: r.name,
        set: `${r.set} (${r.s.layers} x ${r.s.widths})`,
        mle: fm(r.s.meanLogError),
        rho: fm(r.s.pooled.spearman),
        w25: pct(r.s.pooled.within25),
        w50: pct(r.s.pooled.within50),
        w8: cell(r.s, 'w8a8'),
        w4: cell(r.s, 'w4a4'),
        w2: cell(r.s, 'w2a2'),
        sw: sp(r.s, 'w8a8 -> w4a8'),
        sa: sp(r.s, 'w8a8 -> w8a4'),
      })),
      [
        { key: 'name', header: 'model' },
        { key: 'set', header: 'layers x widths' },
        { key: 'mle', header: 'mean |ln err|' },
        { key: 'rho', header: 'Spearman' },
        { key: 'w25', header: 'within 25%' },
        { key: 'w50', header: 'within 50%' },
        { key: 'w8', header: 'w8a8 rho / w25 / net' },
        { key: 'w4', header: 'w4a4 rho / w25 / net' },
        { key: 'w2', header: 'w2a2 rho / w25 / net' },
        { key: 'sw', header: '8->4 weights only' },
        { key: 'sa', header: '8->4 activations only' },
      ],
    ),
  );
}
