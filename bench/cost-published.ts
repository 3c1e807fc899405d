/**
 * Analytical targets against published figures (issue 18). The `systolic` target: (1) the Eyeriss chip's measured
 * AlexNet and VGG-16 results (bench/data/eyeriss-jssc2017.csv, the figures of the JSSC 2017 paper's abstract),
 * costed with the `systolic` preset (Eyeriss-like 12 x 14 row-stationary, 200 MHz) at the paper's batch sizes; (2) the per-layer
 * compute cycles of SCALE-Sim v2, the public systolic-array simulator whose weight- and output-stationary
 * dataflows `systolic` follows (bench/data/scalesim-compute.csv: three of its own topology files on two of its own
 * array configurations, produced by its compute model; how, in the file's header), costed with `systolic` set to
 * the same array and dataflow. Reports the model / published ratio of every published figure, and per SCALE-Sim
 * configuration Spearman / Kendall rank correlation, median and worst relative error and the share within
 * ±10 / 25 / 50 %. (3) The roofline presets (cortex-a76, jetson-nano, a100) against published whole-network
 * batch-1 latencies (bench/roofline-published.ts, bench/data/roofline-published.csv). (4) `bismo-cloud` against HAQ's
 * published BISMO cloud latency table, per layer and width (bench/bismo-haq.ts), and the session-32 fit of its modelling
 * choices on the fit half of a pre-registered split, reported on the held-out half. Deterministic (no measurement).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/cost-published.js [--json] [--layers] [--bismo-dram <GB/s>]`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { BISMO_SESSION31_CHOICES } from '../src/hardware/bismo.js';
import { policyPreset } from '../src/hardware/precision.js';
import { systolic } from '../src/hardware/systolic.js';
import type { NetworkCost } from '../src/hardware/types.js';
import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/types.js';
import { graphWorkloads } from '../src/ir/workload.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { formatNumber, formatTable } from '../src/util/table.js';
import { fitBismoHaq, loadHaqLut, loadHaqPolicy, loadHaqSplit, printBismoFit, printBismoHaq, validateBismoHaq } from './bismo-haq.js';
import { parseCommentedCsv } from './commented-csv.js';
import { type Agreement, agreement } from './cost-validation.js';
import { loadRooflinePublished, printRoofline, validateRoofline } from './roofline-published.js';

export { type CommentedCsv, parseCommentedCsv } from './commented-csv.js';

const dataUrl = (file: string): URL => new URL(`../../bench/data/${file}`, import.meta.url);

// ---------------------------------------------------------------------------------------------------------------
// Eyeriss (JSSC 2017): measured whole-network figures of the CONV layers

/** Figures of the Eyeriss data file. */
export const EYERISS_METRICS = ['framesPerSecond', 'dramMBPerBatch', 'dramAccessesPerMac', 'layerLatencyRatio'] as const;
export type EyerissMetric = (typeof EYERISS_METRICS)[number];

/** One published Eyeriss figure. */
export interface EyerissFigure {
  readonly network: 'alexnet' | 'vgg16';
  readonly batch: number;
  readonly metric: EyerissMetric;
  /** For `layerLatencyRatio`: the two conv nodes, `a/b`. */
  readonly layers: string;
  readonly published: number;
  readonly source: string;
}

/** The model's value of a published Eyeriss figure, and the ratio. */
export interface EyerissPoint extends EyerissFigure {
  readonly model: number;
  readonly ratio: number;
}

/**
 * AlexNet's five CONV layers as Eyeriss ran them (Krizhevsky et al. 2012, 227 x 227 input; CONV2/4/5 in two
 * groups, 666 M MACs per image as the Eyeriss ISSCC 2016 paper counts). Pooling between them is in the graph but
 * not counted (the figures are of the CONV layers).
 */
export function alexnetConvGraph(): Graph {
  const b = new GraphBuilder('alexnet-conv', [3, 227, 227]);
  let x = b.relu(b.conv(b.input, { out: 96, kernel: 11, stride: 4, pad: 'valid', name: 'conv1' }));
  x = b.maxPool(x, { kernel: 3, stride: 2 });
  x = b.relu(b.conv(x, { out: 256, kernel: 5, pad: 2, groups: 2, name: 'conv2' }));
  x = b.maxPool(x, { kernel: 3, stride: 2 });
  x = b.relu(b.conv(x, { out: 384, kernel: 3, pad: 1, name: 'conv3' }));
  x = b.relu(b.conv(x, { out: 384, kernel: 3, pad: 1, groups: 2, name: 'conv4' }));
  b.output(b.relu(b.conv(x, { out: 256, kernel: 3, pad: 1, groups: 2, name: 'conv5' })));
  return b.build();
}

/** Sum of the conv layers of a cost: latency (ms), DRAM bytes and MACs of the graph's convs (per batch), and each conv's latency. */
function convTotals(cost: NetworkCost, g: Graph, batch: number): { latencyMs: number; dramBytes: number; macs: number; perLayerMs: Map<string, number> } {
  const convs = new Set(g.nodes.filter((n) => n.op === 'conv2d').map((n) => n.name));
  let latencyMs = 0;
  let dramBytes = 0;
  const perLayerMs = new Map<string, number>();
  for (const l of cost.layers) {
    if (!convs.has(l.node)) continue;
    latencyMs += l.latencyMs;
    dramBytes += l.dramBytes;
    perLayerMs.set(l.node, l.latencyMs);
  }
  const macs = graphWorkloads(g)
    .filter((w) => convs.has(w.node))
    .reduce((a, w) => a + w.macs, 0);
  return { latencyMs, dramBytes, macs: macs * batch, perLayerMs };
}

/** Load bench/data/eyeriss-jssc2017.csv. */
export function loadEyeriss(path: URL | string = dataUrl('eyeriss-jssc2017.csv')): { sources: readonly string[]; figures: EyerissFigure[] } {
  const csv = parseCommentedCsv(readFileSync(path, 'utf8'), 'eyeriss-jssc2017');
  const figures = csv.rows.map((r) => {
    if (r.network !== 'alexnet' && r.network !== 'vgg16') throw new Error(`eyeriss-jssc2017: unknown network '${r.network}'`);
    if (!(EYERISS_METRICS as readonly string[]).includes(r.metric as string)) throw new Error(`eyeriss-jssc2017: unknown metric '${r.metric}'`);
    return {
      network: r.network,
      batch: Number(r.batch),
      metric: r.metric as EyerissMetric,
      layers: r.layers as string,
      published: Number(r.published),
      source: r.source as string,
    } as EyerissFigure;
  });
  return { sources: csv.sources, figures };
}

/**
 * Cost each published Eyeriss figure with the `systolic` preset at the figure's batch (16-bit operands, as the
 * chip computes): frames per second = batch / the CONV layers' latency; DRAM MB per batch = the CONV layers' DRAM
 * bytes / 10^6; DRAM accesses per MAC = those bytes / 2 (16-bit words) / their MACs; a layer latency ratio = the
 * latency of the first named conv / the second's.
 */
export function validateEyeriss(figures: readonly EyerissFigure[]): EyerissPoint[] {
  return figures.map((f) => {
    const g = f.network === 'alexnet' ? alexnetConvGraph() : zooGraph('vgg16');
    const t = systolic({ batch: f.batch });
    const tot = convTotals(t.networkCost(g, policyPreset('w16a16')), g, f.batch);
    let model: number;
    if (f.metric === 'framesPerSecond') model = f.batch / (tot.latencyMs / 1e3);
    else if (f.metric === 'dramMBPerBatch') model = tot.dramBytes / 1e6;
    else if (f.metric === 'dramAccessesPerMac') model = tot.dramBytes / 2 / tot.macs;
    else {
      const [a, b] = f.layers.split('/');
      const la = tot.perLayerMs.get(a ?? '');
      const lb = tot.perLayerMs.get(b ?? '');
      if (la === undefined || lb === undefined) throw new Error(`eyeriss-jssc2017: ${f.network} has no conv layers '${f.layers}'`);
      model = la / lb;
    }
    return { ...f, model, ratio: model / f.published };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// SCALE-Sim v2: per-layer compute cycles

/** One layer of the SCALE-Sim data file. */
export interface ScaleSimLayer {
  readonly config: string;
  readonly rows: number;
  readonly cols: number;
  readonly dataflow: 'ws' | 'os';
  readonly network: string;
  readonly layer: string;
  readonly ifmap: number;
  readonly filter: number;
  readonly channels: number;
  readonly filters: number;
  readonly stride: number;
  readonly simCycles: number;
}

/** Load bench/data/scalesim-compute.csv. */
export function loadScaleSim(path: URL | string = dataUrl('scalesim-compute.csv')): { sources: readonly string[]; layers: ScaleSimLayer[] } {
  const csv = parseCommentedCsv(readFileSync(path, 'utf8'), 'scalesim-compute');
  const layers = csv.rows.map((r) => {
    if (r.dataflow !== 'ws' && r.dataflow !== 'os') throw new Error(`scalesim-compute: dataflow '${r.dataflow}' is not ws or os`);
    return {
      config: r.config as string,
      rows: Number(r.rows),
      cols: Number(r.cols),
      dataflow: r.dataflow,
      network: r.network as string,
      layer: r.layer as string,
      ifmap: Number(r.ifmap),
      filter: Number(r.filter),
      channels: Number(r.channels),
      filters: Number(r.filters),
      stride: Number(r.stride),
      simCycles: Number(r.simCycles),
    } as ScaleSimLayer;
  });
  return { sources: csv.sources, layers };
}

/**
 * A one-conv graph of a SCALE-Sim layer. Its topology files give the input with padding included, and it computes
 * ceil((ifmap - filter + stride) / stride) outputs per row: one more than a convolution without padding when the
 * last window does not fit (a stride-2 3 x 3 layer on 56 x 56 gives 28, not 27). The graph pads the bottom and
 * right edge by what that last window needs, so that both count the same windows.
 */
export function scaleSimLayerGraph(l: ScaleSimLayer): Graph {
  const out = Math.ceil((l.ifmap - l.filter + l.stride) / l.stride);
  const extra = Math.max(0, (out - 1) * l.stride + l.filter - l.ifmap);
  const b = new GraphBuilder(l.layer, [l.channels, l.ifmap, l.ifmap]);
  b.output(b.conv(b.input, { out: l.filters, kernel: l.filter, stride: l.stride, pad: [0, 0, extra, extra], bias: false, name: 'layer' }));
  return b.build();
}

/** A SCALE-Sim layer with the model's compute cycles. */
export interface ScaleSimPoint {
  readonly layer: ScaleSimLayer;
  readonly modelCycles: number;
}

/** Figures of one SCALE-Sim configuration (array and dataflow). */
export interface ScaleSimFigures {
  readonly config: string;
  readonly layers: number;
  readonly cycles: Agreement;
  /** Total model cycles / total simulated cycles, per network. */
  readonly networkRatios: Readonly<Record<string, number>>;
}

/** Cost every SCALE-Sim layer with `systolic` set to its array and dataflow (compute cycles: latency without DRAM). */
export function validateScaleSim(layers: readonly ScaleSimLayer[]): { points: ScaleSimPoint[]; configs: ScaleSimFigures[]; all: ScaleSimFigures } {
  const targets = new Map<string, ReturnType<typeof systolic>>();
  const points = layers.map((l) => {
    const key = `${l.rows}x${l.cols}/${l.dataflow}`;
    let t = targets.get(key);
    if (!t) {
      t = systolic({ rows: l.rows, cols: l.cols, dataflow: l.dataflow });
      targets.set(key, t);
    }
    const c = t.networkCost(scaleSimLayerGraph(l), policyPreset('w8a8')).layers.find((x) => x.node === 'layer');
    if (!c) throw new Error(`scalesim-compute: ${l.network}/${l.layer}: no cost`);
    return { layer: l, modelCycles: c.computeMs * t.params.clockMHz * 1e3 };
  });
  const figures = (id: string, ps: readonly ScaleSimPoint[]): ScaleSimFigures => {
    const nets = new Map<string, [number, number]>();
    for (const p of ps) {
      const v = nets.get(p.layer.network) ?? [0, 0];
      v[0] += p.modelCycles;
      v[1] += p.layer.simCycles;
      nets.set(p.layer.network, v);
    }
    return {
      config: id,
      layers: ps.length,
      cycles: agreement(
        ps.map((p) => p.modelCycles),
        ps.map((p) => p.layer.simCycles),
      ),
      networkRatios: Object.fromEntries([...nets].map(([k, [m, s]]) => [k, m / s])),
    };
  };
  const ids = [...new Set(points.map((p) => `${p.layer.config} ${p.layer.rows}x${p.layer.cols} ${p.layer.dataflow}`))];
  const configs = ids.map((id) =>
    figures(
      id,
      points.filter((p) => `${p.layer.config} ${p.layer.rows}x${p.layer.cols} ${p.layer.dataflow}` === id),
    ),
  );
  return { points, configs, all: figures('all', points) };
}

function main(): void {
  const ey = loadEyeriss();
  const eyPoints = validateEyeriss(ey.figures);
  const ss = loadScaleSim();
  const v = validateScaleSim(ss.layers);
  const roof = loadRooflinePublished();
  if (process.argv.includes('--json')) {
    const lut = loadHaqLut();
    const pol = loadHaqPolicy();
    const split = loadHaqSplit();
    const fit = fitBismoHaq(lut.rows, split, undefined, BISMO_SESSION31_CHOICES);
    const bismoHaq = { sources: [...lut.sources, ...pol.sources, ...split.sources], ...validateBismoHaq(lut.rows, pol.rows), fit: { ...fit, grid: fit.grid } };
    process.stdout.write(
      `${JSON.stringify({ eyeriss: { sources: ey.sources, points: eyPoints }, scaleSim: { sources: ss.sources, configs: v.configs, all: v.all }, roofline: { sources: roof.sources, ...validateRoofline(roof.rows) }, bismoHaq }, null, 2)}\n`,
    );
    return;
  }
  console.log('systolic preset (12 x 14 row-stationary, 200 MHz, 16-bit) vs the Eyeriss chip (JSSC 2017), CONV layers');
  console.log(
    formatTable(
      eyPoints.map((p) => ({ ...p, published: formatNumber(p.published), model: formatNumber(p.model), ratio: formatNumber(p.ratio) })),
      [
        { key: 'network', header: 'network' },
        { key: 'batch', header: 'batch' },
        { key: 'metric', header: 'figure' },
        { key: 'layers', header: 'layers' },
        { key: 'published', header: 'published' },
        { key: 'model', header: 'model' },
        { key: 'ratio', header: 'model/published' },
      ],
    ),
  );
  const off = eyPoints.map((p) => Math.abs(p.ratio - 1));
  console.log(`within ±10 / 25 / 50%: ${[0.1, 0.25, 0.5].map((t) => off.filter((e) => e <= t).length).join(' / ')} of ${eyPoints.length} figures`);
  const pct = (x: number): string => `${formatNumber(100 * x)}%`;
  console.log('systolic vs SCALE-Sim v2 compute cycles per layer (same array and dataflow)');
  console.log(
    formatTable(
      [...v.configs, v.all].map((f) => ({
        config: f.config,
        layers: f.layers,
        rho: formatNumber(f.cycles.spearman),
        tau: formatNumber(f.cycles.kendall),
        med: pct(f.cycles.medianAbsErr),
        w10: pct(f.cycles.within10),
        w25: pct(f.cycles.within25),
        range: `${formatNumber(f.cycles.minRatio)}..${formatNumber(f.cycles.maxRatio)}`,
        nets: Object.entries(f.networkRatios)
          .map(([k, r]) => `${k} ${formatNumber(r)}`)
          .join(', '),
      })),
      [
        { key: 'config', header: 'configuration' },
        { key: 'layers', header: 'layers' },
        { key: 'rho', header: 'Spearman' },
        { key: 'tau', header: 'Kendall' },
        { key: 'med', header: 'median |err|' },
        { key: 'w10', header: 'within 10%' },
        { key: 'w25', header: 'within 25%' },
        { key: 'range', header: 'model/sim range' },
        { key: 'nets', header: 'network totals model/sim' },
      ],
    ),
  );
  if (process.argv.includes('--layers')) {
    console.log(
      formatTable(
        v.points.map((p) => ({
          config: `${p.layer.config} ${p.layer.dataflow}`,
          layer: `${p.layer.network}/${p.layer.layer}`,
          sim: p.layer.simCycles,
          model: Math.round(p.modelCycles),
          ratio: formatNumber(p.modelCycles / p.layer.simCycles),
        })),
        [
          { key: 'config', header: 'configuration' },
          { key: 'layer', header: 'layer' },
          { key: 'sim', header: 'SCALE-Sim cycles' },
          { key: 'model', header: 'model cycles' },
          { key: 'ratio', header: 'model/sim' },
        ],
      ),
    );
  }
  printRoofline();
  printBismoHaq();
  printBismoFit(fitBismoHaq(loadHaqLut().rows, loadHaqSplit(), undefined, BISMO_SESSION31_CHOICES));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
