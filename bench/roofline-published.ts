/**
 * The roofline targets against published whole-network latencies (issue 18): bench/data/roofline-published.csv holds
 * batch-1 latencies that vendors published for networks hwnas can build (TensorFlow Lite's Pixel 3 / Pixel 4 CPU
 * tables for `cortex-a76`, NVIDIA's torch2trt Jetson Nano table for `jetson-nano`, NVIDIA's MLPerf Inference v1.0 A100
 * ResNet-50 SingleStream result for `a100`; sources in the file's header).
 * Each row is costed with its target at the row's precision and compared per device: the raw model / published
 * ratio (median, geometric mean, range), Spearman / Kendall rank correlation across networks, and the share within
 * ±25 / 50 % both raw and after one constant factor taken out leave-one-out (the factor is the geometric mean
 * ratio of the device's other rows, so no row is scored with a factor fitted on itself). A roofline built from
 * spec-sheet peaks is expected to be off by a constant factor (threads, clocks, kernel efficiency); the rank
 * correlation and the leave-one-out figures say whether it orders and scales networks right.
 *
 * Printed by `node dist/bench/cost-published.js` (deterministic, no measurement).
 */
import { readFileSync } from 'node:fs';
import { policyPreset } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { type ConvOptions, GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/types.js';
import { resnet } from '../src/ir/zoo/imagenet.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { formatNumber, formatTable } from '../src/util/table.js';
import { parseCommentedCsv } from './commented-csv.js';
import { type Agreement, agreement, geomean } from './cost-validation.js';

/** One published figure. */
export interface RooflineRow {
  readonly device: string;
  readonly target: string;
  readonly source: string;
  readonly network: string;
  readonly graph: string;
  readonly precision: string;
  readonly publishedMs: number;
}

/** A published figure and the model's latency for it. */
export interface RooflinePoint extends RooflineRow {
  readonly modelMs: number;
  readonly ratio: number;
  /** Model latency divided by the geometric-mean ratio of the device's other rows. */
  readonly looScaledRatio: number;
}

/** Figures of a device, or of a device at one precision (its `device` is then `<device> <precision>`). */
export interface RooflineDevice {
  readonly device: string;
  readonly target: string;
  readonly raw: Agreement;
  readonly geomeanRatio: number;
  readonly medianRatio: number;
  /** Agreement of the leave-one-out scaled latencies with the published ones (ranks are unchanged by a constant). */
  readonly looScaled: {
    readonly medianAbsErr: number;
    readonly within25: number;
    readonly within50: number;
    readonly minRatio: number;
    readonly maxRatio: number;
  };
}

const PRECISIONS = ['fp32', 'fp16', 'w8a8'];

/** Load bench/data/roofline-published.csv (or another file of the same columns). */
export function loadRooflinePublished(path: URL | string = new URL('../../bench/data/roofline-published.csv', import.meta.url)): {
  sources: readonly string[];
  rows: RooflineRow[];
} {
  const csv = parseCommentedCsv(readFileSync(path, 'utf8'), 'roofline-published');
  const rows = csv.rows.map((r): RooflineRow => {
    const publishedMs = Number(r.publishedMs);
    if (!(publishedMs > 0)) throw new Error(`roofline-published: publishedMs '${r.publishedMs}' of ${r.network} must be a positive number`);
    if (!PRECISIONS.includes(r.precision as string))
      throw new Error(`roofline-published: precision '${r.precision}' of ${r.network}: expected one of ${PRECISIONS.join(', ')}`);
    const source = r.source as string;
    if (!csv.sources.some((s) => s.startsWith(`${source} = `)))
      throw new Error(`roofline-published: source '${source}' of ${r.network} has no '# source: ${source} = ...' line`);
    return {
      device: r.device as string,
      target: r.target as string,
      source,
      network: r.network as string,
      graph: r.graph as string,
      precision: r.precision as string,
      publishedMs,
    };
  });
  return { sources: csv.sources, rows };
}

// ---------------------------------------------------------------------------------------------------------------
// Graphs of the published networks that the zoo does not have

function convBnAct(b: GraphBuilder, x: string, o: ConvOptions, act: 'relu' | 'relu6'): string {
  return b.act(b.bn(b.conv(x, { ...o, bias: false }), { name: `${o.name}_bn` }), act, `${o.name}_${act}`);
}

/**
 * MobileNetV1 as TF-slim builds it (the TFLite models): 3 x 3 / 2 stem of 32 channels, 13 depthwise-separable
 * blocks, global average pool, 1001 logits; channels max(floor(c x width), 8); TensorFlow 'same' padding.
 */
export function mobilenetV1(width: number, size: number): Graph {
  const b = new GraphBuilder(`mobilenet-v1-${width}-${size}`, [3, size, size]);
  const ch = (c: number): number => Math.max(Math.floor(c * width), 8);
  let x = convBnAct(b, b.input, { out: ch(32), kernel: 3, stride: 2, pad: 'same', name: 'stem' }, 'relu6');
  const blocks: Array<[number, number]> = [
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
    [256, 1],
    [512, 2],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [1024, 2],
    [1024, 1],
  ];
  blocks.forEach(([c, s], i) => {
    const cin = b.channels(x);
    x = convBnAct(b, x, { out: cin, kernel: 3, stride: s, groups: cin, pad: 'same', name: `b${i}_dw` }, 'relu6');
    x = convBnAct(b, x, { out: ch(c), kernel: 1, name: `b${i}_pw` }, 'relu6');
  });
  x = b.flatten(b.globalAvgPool(x, 'pool'), 'flatten');
  b.output(b.dense(x, 1001, { name: 'logits' }));
  return b.build();
}

/** PyTorch max pooling with ceil_mode=True: pad the bottom/right so that a last partial window counts. */
function maxPoolCeil(b: GraphBuilder, x: string, k: number, s: number, name: string): string {
  const h = b.shape(x)[1] as number;
  const rem = (h - k) % s;
  const extra = rem === 0 ? 0 : s - rem;
  return b.maxPool(x, { kernel: k, stride: s, pad: [0, 0, extra, extra], name });
}

/** torchvision SqueezeNet 1.0 / 1.1 (Fire modules: squeeze 1 x 1, expand 1 x 1 and 3 x 3 concatenated). */
export function squeezenet(version: '1_0' | '1_1'): Graph {
  const b = new GraphBuilder(`squeezenet${version}`, [3, 224, 224]);
  let n = 0;
  const fire = (x: string, sq: number, e: number): string => {
    const p = `fire${++n}`;
    const s = b.relu(b.conv(x, { out: sq, kernel: 1, name: `${p}_squeeze` }));
    const e1 = b.relu(b.conv(s, { out: e, kernel: 1, name: `${p}_e1` }));
    const e3 = b.relu(b.conv(s, { out: e, kernel: 3, pad: 1, name: `${p}_e3` }));
    return b.concat([e1, e3], 0, `${p}_cat`);
  };
  let x: string;
  if (version === '1_0') {
    x = b.relu(b.conv(b.input, { out: 96, kernel: 7, stride: 2, pad: 0, name: 'conv1' }));
    x = maxPoolCeil(b, x, 3, 2, 'pool1');
    x = fire(fire(fire(x, 16, 64), 16, 64), 32, 128);
    x = maxPoolCeil(b, x, 3, 2, 'pool2');
    x = fire(fire(fire(fire(x, 32, 128), 48, 192), 48, 192), 64, 256);
    x = maxPoolCeil(b, x, 3, 2, 'pool3');
    x = fire(x, 64, 256);
  } else {
    x = b.relu(b.conv(b.input, { out: 64, kernel: 3, stride: 2, pad: 0, name: 'conv1' }));
    x = maxPoolCeil(b, x, 3, 2, 'pool1');
    x = fire(fire(x, 16, 64), 16, 64);
    x = maxPoolCeil(b, x, 3, 2, 'pool2');
    x = fire(fire(x, 32, 128), 32, 128);
    x = maxPoolCeil(b, x, 3, 2, 'pool3');
    x = fire(fire(fire(fire(x, 48, 192), 48, 192), 64, 256), 64, 256);
  }
  x = b.relu(b.conv(x, { out: 1000, kernel: 1, name: 'classifier' }));
  b.output(b.flatten(b.globalAvgPool(x, 'pool'), 'flatten'));
  return b.build();
}

/** torchvision VGG without batch norm (configurations A = vgg11, B = vgg13), 224 x 224, 4096-4096-1000 classifier. */
export function vgg(name: 'vgg11' | 'vgg13'): Graph {
  const cfg: Array<number | 'M'> =
    name === 'vgg11'
      ? [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M']
      : [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'];
  const b = new GraphBuilder(name, [3, 224, 224]);
  let x = b.input;
  let i = 0;
  for (const v of cfg) x = v === 'M' ? b.maxPool(x, { kernel: 2, stride: 2 }) : b.relu(b.conv(x, { out: v, kernel: 3, pad: 1, name: `conv${++i}` }));
  x = b.flatten(x, 'flatten');
  x = b.relu(b.dense(x, 4096, { name: 'fc1' }));
  x = b.relu(b.dense(x, 4096, { name: 'fc2' }));
  b.output(b.dense(x, 1000, { name: 'fc3' }));
  return b.build();
}

/** torchvision AlexNet at 224 x 224 (64-192-384-256-256 channels, no groups; the 6 x 6 adaptive pool is the identity). */
export function alexnetTorchvision(): Graph {
  const b = new GraphBuilder('alexnet-tv', [3, 224, 224]);
  let x = b.relu(b.conv(b.input, { out: 64, kernel: 11, stride: 4, pad: 2, name: 'conv1' }));
  x = b.maxPool(x, { kernel: 3, stride: 2 });
  x = b.relu(b.conv(x, { out: 192, kernel: 5, pad: 2, name: 'conv2' }));
  x = b.maxPool(x, { kernel: 3, stride: 2 });
  x = b.relu(b.conv(x, { out: 384, kernel: 3, pad: 1, name: 'conv3' }));
  x = b.relu(b.conv(x, { out: 256, kernel: 3, pad: 1, name: 'conv4' }));
  x = b.relu(b.conv(x, { out: 256, kernel: 3, pad: 1, name: 'conv5' }));
  x = b.maxPool(x, { kernel: 3, stride: 2 });
  x = b.flatten(x, 'flatten');
  x = b.relu(b.dense(x, 4096, { name: 'fc1' }));
  x = b.relu(b.dense(x, 4096, { name: 'fc2' }));
  b.output(b.dense(x, 1000, { name: 'fc3' }));
  return b.build();
}

/** The graph of a data-file `graph` spec (see the file's header). */
export function rooflineGraph(spec: string): Graph {
  if (spec.startsWith('zoo:')) return zooGraph(spec);
  const m = /^mobilenet-v1\?width=([0-9.]+)&size=(\d+)$/.exec(spec);
  if (m) return mobilenetV1(Number(m[1]), Number(m[2]));
  if (spec === 'squeezenet1_0') return squeezenet('1_0');
  if (spec === 'squeezenet1_1') return squeezenet('1_1');
  if (spec === 'vgg11' || spec === 'vgg13') return vgg(spec);
  if (spec === 'alexnet-tv') return alexnetTorchvision();
  if (spec === 'resnet34') return resnet('resnet34', 'basic', [3, 4, 6, 3], {});
  if (spec === 'resnet101') return resnet('resnet101', 'bottleneck', [3, 4, 23, 3], {});
  if (spec === 'resnet152') return resnet('resnet152', 'bottleneck', [3, 8, 36, 3], {});
  throw new Error(`roofline-published: unknown graph spec '${spec}'`);
}

const median = (a: readonly number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? (s[h] as number) : ((s[h - 1] as number) + (s[h] as number)) / 2;
};

/** Figures of one group of points (a device, or a device at one precision); leave-one-out within the group. */
function summarise(group: string, ps: readonly (RooflineRow & { modelMs: number; ratio: number })[]): RooflineDevice {
  const scaled = ps.map((p) => {
    const others = ps.filter((q) => q !== p).map((q) => q.ratio);
    return others.length > 0 ? p.ratio / geomean(others) : Number.NaN;
  });
  const ok = scaled.filter(Number.isFinite);
  const err = ok.map((r) => Math.abs(r - 1));
  return {
    device: group,
    target: [...new Set(ps.map((p) => p.target))].join('+'),
    raw: agreement(
      ps.map((p) => p.modelMs),
      ps.map((p) => p.publishedMs),
    ),
    geomeanRatio: geomean(ps.map((p) => p.ratio)),
    medianRatio: median(ps.map((p) => p.ratio)),
    looScaled: {
      medianAbsErr: err.length > 0 ? median(err) : Number.NaN,
      within25: err.filter((e) => e <= 0.25).length / Math.max(err.length, 1),
      within50: err.filter((e) => e <= 0.5).length / Math.max(err.length, 1),
      minRatio: ok.length > 0 ? Math.min(...ok) : Number.NaN,
      maxRatio: ok.length > 0 ? Math.max(...ok) : Number.NaN,
    },
  };
}

/**
 * Cost every row with its target and compare per device, and per device and precision where a device has
 * several (a constant factor per precision is what a wrong precision speed-up looks like).
 */
export function validateRoofline(rows: readonly RooflineRow[]): { points: RooflinePoint[]; devices: RooflineDevice[]; speedups: PrecisionSpeedup[] } {
  const graphs = new Map<string, Graph>();
  const raw = rows.map((r) => {
    const g = graphs.get(r.graph) ?? rooflineGraph(r.graph);
    graphs.set(r.graph, g);
    const modelMs = getTarget(r.target).networkCost(g, policyPreset(r.precision)).latencyMs;
    return { ...r, modelMs, ratio: modelMs / r.publishedMs };
  });
  const points: RooflinePoint[] = raw.map((p) => {
    const others = raw.filter((q) => q.device === p.device && q !== p).map((q) => q.ratio);
    return { ...p, looScaledRatio: others.length > 0 ? p.ratio / geomean(others) : Number.NaN };
  });
  const devices: RooflineDevice[] = [];
  for (const device of new Set(raw.map((p) => p.device))) {
    const ps = raw.filter((p) => p.device === device);
    devices.push(summarise(device, ps));
    const precisions = [...new Set(ps.map((p) => p.precision))];
    if (precisions.length < 2) continue;
    for (const pr of precisions) {
      const sub = ps.filter((p) => p.precision === pr);
      if (sub.length >= 3) devices.push(summarise(`${device} ${pr}`, sub));
    }
  }
  return { points, devices, speedups: precisionSpeedups(points) };
}

/** A network published at two precisions on one device: the published and the modelled speed-up of the lower one. */
export interface PrecisionSpeedup {
  readonly device: string;
  readonly graph: string;
  readonly from: string;
  readonly to: string;
  readonly published: number;
  readonly model: number;
}

/** fp32 -> w8a8 (and any other pair) speed-ups of the networks a device lists at two precisions. */
export function precisionSpeedups(points: readonly RooflinePoint[]): PrecisionSpeedup[] {
  const out: PrecisionSpeedup[] = [];
  for (const a of points) {
    for (const b of points) {
      if (a.device !== b.device || a.graph !== b.graph || a.precision !== 'fp32' || b.precision === 'fp32') continue;
      out.push({
        device: a.device,
        graph: a.graph,
        from: a.precision,
        to: b.precision,
        published: a.publishedMs / b.publishedMs,
        model: a.modelMs / b.modelMs,
      });
    }
  }
  return out;
}

/** The comparison as printed by bench/cost-published.ts. */
export function printRoofline(): void {
  const data = loadRooflinePublished();
  const v = validateRoofline(data.rows);
  const f = (x: number): string => (Number.isFinite(x) ? formatNumber(x) : '-');
  const pct = (x: number): string => (Number.isFinite(x) ? `${formatNumber(100 * x)}%` : '-');
  console.log('roofline targets vs published batch-1 latencies (bench/data/roofline-published.csv), per device and per device + precision');
  console.log(
    formatTable(
      v.devices.map((d) => ({
        group: d.device,
        target: d.target,
        n: d.raw.n,
        rho: d.raw.n > 2 ? f(d.raw.spearman) : '-',
        tau: d.raw.n > 2 ? f(d.raw.kendall) : '-',
        geo: f(d.geomeanRatio),
        range: `${f(d.raw.minRatio)}..${f(d.raw.maxRatio)}`,
        med: pct(d.raw.medianAbsErr),
        w25: pct(d.raw.within25),
        w50: pct(d.raw.within50),
        lmed: pct(d.looScaled.medianAbsErr),
        lw25: pct(d.looScaled.within25),
        lrange: `${f(d.looScaled.minRatio)}..${f(d.looScaled.maxRatio)}`,
      })),
      [
        { key: 'group', header: 'device (published by)' },
        { key: 'target', header: 'target' },
        { key: 'n', header: 'rows' },
        { key: 'rho', header: 'Spearman' },
        { key: 'tau', header: 'Kendall' },
        { key: 'geo', header: 'model/published geomean' },
        { key: 'range', header: 'range' },
        { key: 'med', header: 'raw median |err|' },
        { key: 'w25', header: 'raw within 25%' },
        { key: 'w50', header: 'raw within 50%' },
        { key: 'lmed', header: 'LOO-scaled median |err|' },
        { key: 'lw25', header: 'LOO-scaled within 25%' },
        { key: 'lrange', header: 'LOO-scaled range' },
      ],
    ),
  );
  console.log('speed-up of the quantized network over the float one, published vs model');
  console.log(
    formatTable(
      v.speedups.map((s) => ({ device: s.device, graph: s.graph, pair: `${s.from} -> ${s.to}`, published: f(s.published), model: f(s.model) })),
      [
        { key: 'device', header: 'device' },
        { key: 'graph', header: 'network' },
        { key: 'pair', header: 'precisions' },
        { key: 'published', header: 'published speed-up' },
        { key: 'model', header: 'model speed-up' },
      ],
    ),
  );
  if (process.argv.includes('--layers')) {
    console.log(
      formatTable(
        v.points.map((p) => ({
          device: p.device,
          network: p.network,
          precision: p.precision,
          published: f(p.publishedMs),
          model: f(p.modelMs),
          ratio: f(p.ratio),
        })),
        [
          { key: 'device', header: 'device' },
          { key: 'network', header: 'network' },
          { key: 'precision', header: 'precision' },
          { key: 'published', header: 'published ms' },
          { key: 'model', header: 'model ms' },
          { key: 'ratio', header: 'model/published' },
        ],
      ),
    );
  }
}
