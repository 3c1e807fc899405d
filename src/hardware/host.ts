/**
 * The host-measured target (`host-cpu`): latency really measured on this machine with
 * onnxruntime-node (float32, CPU execution provider, 1 intra-op thread by default).
 *
 * - Per layer: each IR node is exported alone (`exportNodeOnnx`) and timed (warm-up, then enough runs for
 *   a time budget; median and inter-quartile range). A single-node run also pays onnxruntime-node's per-run
 *   cost: a fixed part plus copying the node's input and output tensors between JS and the runtime,
 *   calibrated once on ReLU graphs of 1..256K elements ({@link measureRunOverhead}) and subtracted.
 * - Whole network: the exported model, timed the same way.
 * - Sum-of-layers vs whole network: the naive sum of per-node medians over-counts (one run overhead per
 *   node, and batchnorm/activation nodes that onnxruntime folds into the conv). The fusion model (after the
 *   virtual-hardware-model approach of costing the compiler's transformations) predicts
 *   `Σ over unfused nodes (median - run overhead of that node) + run overhead of the network`, with the
 *   conv+bn+act fusion rule of
 *   {@link fusionPlan}; {@link HostMeasurement} reports the error of both against the measured network.
 * - The measurements form a lookup table (`fused: true`, `networkOverheadMs` = the network run's overhead), which is what
 *   `hwnas measure <model> --out lut.json` writes and what the target costs networks from.
 */
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { ConfigError } from '../errors.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { inferShapes } from '../ir/shapes.js';
import type { Graph, Model } from '../ir/types.js';
import { graphWorkloads, type Workload } from '../ir/workload.js';
import { exportNodeOnnx, exportOnnx } from '../onnx/export.js';
import { createSession, type OnnxSession, timeOnnx } from '../onnx/ort.js';
import { Rng } from '../util/rng.js';
import { LayerValueTarget, type LayerValue } from './layer-target.js';
import { isFreeOp, workloadKey } from './layer-key.js';
import type { LutEntry, LutFile } from './lut.js';
import type { Precision, SupportedBits } from './precision.js';
import { prepareNetwork } from './prepared.js';

/** Options of {@link measureHost}. */
export interface HostMeasureOptions {
  /** Untimed runs before timing (default 5). */
  readonly warmup?: number;
  /** Minimum timed runs per layer and for the network (default 30). */
  readonly repeats?: number;
  /** Time budget per layer (ms) that sets the number of runs for fast layers (default 25; 4x for the network). */
  readonly budgetMs?: number;
  /** onnxruntime intra-op threads (default 1). */
  readonly threads?: number;
  /** Seed of the random weights and inputs (default 0). */
  readonly seed?: number;
  /**
   * Quantile of the run times used as the latency (default 0.5, the median). On a shared, loaded machine a
   * low quantile (e.g. 0.1) estimates the uncontended latency better; the median and IQR are always reported.
   */
  readonly quantile?: number;
  /** Skip layers whose keys are already known (their entries are reused). */
  readonly known?: ReadonlyMap<string, LutEntry>;
  /** Called after each measured node. */
  readonly onProgress?: (done: number, total: number, node: string) => void;
}

/** Timing of one node. */
export interface HostLayerTiming {
  readonly node: string;
  readonly op: string;
  readonly key: string;
  /** Median of single-node runs (includes one run overhead and the node's input/output marshalling). */
  readonly medianMs: number;
  readonly iqrMs: number;
  /** The latency statistic (quantile `quantile`, the median by default). */
  readonly latencyMs: number;
  /** `latencyMs` minus the run overhead for its tensor sizes (≥ 0): the node's own time. */
  readonly netMs: number;
  /** Set when the node fuses into a conv/dense in the whole-network run. */
  readonly fusedInto?: string;
}

/** Result of {@link measureHost}. */
export interface HostMeasurement {
  readonly graph: string;
  readonly device: string;
  /** Calibrated per-run overhead of onnxruntime-node. */
  readonly runOverhead: RunOverhead;
  /** Overhead of the whole-network run (fixed part + its input/output marshalling). */
  readonly networkIoMs: number;
  readonly layers: readonly HostLayerTiming[];
  readonly network: Stats;
  /** The quantile used as latency. */
  readonly quantile: number;
  /** Σ of per-node latencies (naive). */
  readonly sumOfLayersMs: number;
  /** Fusion-model estimate of the whole network from the per-node timings. */
  readonly fusionModelMs: number;
  /** (sumOfLayers - network.latencyMs) / network.latencyMs. */
  readonly sumOfLayersError: number;
  /** (fusionModel - network.latencyMs) / network.latencyMs. */
  readonly fusionModelError: number;
}

interface Stats {
  readonly medianMs: number;
  readonly iqrMs: number;
  /** The statistic used as the latency (quantile `q` of the samples). */
  readonly latencyMs: number;
}

const timingStats = (samples: readonly number[], quant = 0.5): Stats => {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => {
    const pos = (s.length - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
  };
  return { medianMs: q(0.5), iqrMs: q(0.75) - q(0.25), latencyMs: q(quant) };
};

/** onnxruntime-node's cost of one `run` outside the operator: fixed part plus copying inputs/outputs. */
export interface RunOverhead {
  /** Fixed cost of one run (ms). */
  readonly fixedMs: number;
  /** Cost per element of (inputs + outputs) / 2 (ms): tensor marshalling between JS and the runtime. */
  readonly perElemMs: number;
}

/** Overhead of a run moving `inElems` in and `outElems` out. */
export function runOverheadMs(o: RunOverhead, inElems: number, outElems: number): number {
  return o.fixedMs + (o.perElemMs * (inElems + outElems)) / 2;
}

const overheadCache = new Map<number, RunOverhead>();

/** Calibrate {@link RunOverhead} on this machine: least squares over ReLU graphs of 1 to 256K elements. */
export async function measureRunOverhead(opts: Pick<HostMeasureOptions, 'threads' | 'quantile'> = {}): Promise<RunOverhead> {
  const quant = opts.quantile ?? 0.5;
  const hit = overheadCache.get(quant);
  if (hit) return hit;
  const xs: number[] = [];
  const ys: number[] = [];
  const rng = new Rng(99);
  for (const c of [1, 16, 256, 1024, 4096]) {
    const b = new GraphBuilder('overhead', [c, c === 1 ? 1 : 8, c === 1 ? 1 : 8]);
    b.output(b.relu(b.input, 'r'));
    const g = b.build();
    const s = await createSession(exportOnnx({ graph: g, weights: new Map() }), { threads: opts.threads ?? 1 });
    const t = await timeAdaptive(s, inferShapes(g), rng, 20, 200, 50, quant);
    await s.session.release();
    xs.push(c === 1 ? 1 : c * 64);
    ys.push(t.latencyMs);
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    sxx += ((xs[i] as number) - mx) ** 2;
  }
  const slope = Math.max(0, sxy / sxx);
  const o = { fixedMs: Math.max(0, my - slope * mx), perElemMs: slope };
  overheadCache.set(quant, o);
  return o;
}

/** Time a session (every input fed with seeded normal data): warm-up, then enough runs for ~`budgetMs` (at least `minRepeats`). */
async function timeAdaptive(s: OnnxSession, shapes: ReadonlyMap<string, readonly number[]>, rng: Rng, warmup = 5, minRepeats = 30, budgetMs = 25, quant = 0.5): Promise<Stats & { repeats: number }> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of s.session.inputNames) {
    const shape = shapes.get(name);
    if (!shape) throw new ConfigError(`host-cpu: no shape for input '${name}'`);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    feeds[name] = new ort.Tensor('float32', data, [1, ...shape]);
  }
  const t0 = performance.now();
  for (let i = 0; i < warmup; i++) await s.session.run(feeds);
  const est = (performance.now() - t0) / Math.max(1, warmup);
  const repeats = Math.min(5000, Math.max(minRepeats, Math.ceil(budgetMs / Math.max(est, 1e-3))));
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t1 = performance.now();
    await s.session.run(feeds);
    samples.push(performance.now() - t1);
  }
  return { ...timingStats(samples, quant), repeats };
}

/** Measure every node of a model alone and the whole model, on this machine (float32). */
export async function measureHost(model: Model | Graph, opts: HostMeasureOptions = {}): Promise<HostMeasurement> {
  const graph = 'graph' in model ? model.graph : model;
  const weights = 'graph' in model ? model.weights : initWeights(graph, new Rng(opts.seed ?? 0));
  const warmup = opts.warmup ?? 5;
  const repeats = opts.repeats ?? 30;
  const threads = opts.threads ?? 1;
  const budget = opts.budgetMs ?? 25;
  const rng = new Rng((opts.seed ?? 0) + 1);
  const quant = opts.quantile ?? 0.5;
  const ovh = await measureRunOverhead({ threads, quantile: quant });
  const shapes = inferShapes(graph);
  const net = prepareNetwork(graph);
  const wls = graphWorkloads(graph);
  const fp32: Precision = { weightBits: 32, actBits: 32 };
  const layers: HostLayerTiming[] = [];
  const seen = new Map<string, Stats>();
  const todo = wls.filter((w) => !isFreeOp(w.op));
  let done = 0;
  for (let i = 0; i < wls.length; i++) {
    const w = wls[i] as Workload;
    if (isFreeOp(w.op)) continue;
    const key = workloadKey(w, fp32);
    const fused = net.fusedInto[i] as number;
    const io = runOverheadMs(ovh, w.inElems, w.outElems);
    let t = seen.get(key);
    const known = opts.known?.get(key);
    if (!t && known) t = { medianMs: known.latencyMs + io, iqrMs: known.spreadMs ?? 0, latencyMs: known.latencyMs + io };
    if (!t) {
      const s = await createSession(exportNodeOnnx(graph, w.node, weights, { batch: 1 }), { threads });
      t = await timeAdaptive(s, shapes, rng, warmup, repeats, budget, quant);
      await s.session.release();
    }
    seen.set(key, t);
    layers.push({
      node: w.node,
      op: w.op,
      key,
      medianMs: t.medianMs,
      iqrMs: t.iqrMs,
      latencyMs: t.latencyMs,
      netMs: Math.max(0, t.latencyMs - io),
      ...(fused >= 0 ? { fusedInto: (wls[fused] as Workload).node } : {}),
    });
    opts.onProgress?.(++done, todo.length, w.node);
  }
  const s = await createSession(exportOnnx({ graph, weights }, { batch: 1 }), { threads });
  const est = await timeOnnx(s, 1, { warmup, repeats: 3 });
  const whole = await timeOnnx(s, 1, { warmup: 0, repeats: Math.min(5000, Math.max(repeats, Math.ceil((4 * budget) / Math.max(est.medianMs, 1e-3)))), seed: rng.int(0, 1e6) });
  await s.session.release();
  const first = wls.find((w) => w.op === 'input');
  const netIo = runOverheadMs(ovh, first?.outElems ?? 0, graph.outputs.reduce((a, o) => a + (wls.find((w) => w.node === o)?.outElems ?? 0), 0));
  const wholeStats = timingStats(whole.samplesMs, quant);
  const sum = layers.reduce((a, l) => a + l.latencyMs, 0);
  const fusedModel = layers.reduce((a, l) => a + (l.fusedInto === undefined ? l.netMs : 0), 0) + netIo;
  return {
    graph: graph.name,
    device: hostDevice(threads),
    runOverhead: ovh,
    networkIoMs: netIo,
    layers,
    network: wholeStats,
    quantile: quant,
    sumOfLayersMs: sum,
    fusionModelMs: fusedModel,
    sumOfLayersError: (sum - wholeStats.latencyMs) / wholeStats.latencyMs,
    fusionModelError: (fusedModel - wholeStats.latencyMs) / wholeStats.latencyMs,
  };
}

/** A description of this machine for table provenance. */
export function hostDevice(threads = 1): string {
  return `host-cpu (onnxruntime-node ${ort.env.versions?.common ?? ''}, ${threads} thread${threads > 1 ? 's' : ''}, float32)`.replace(' ,', ',');
}

/** A lookup table from host measurements (node times net of the run overhead; conv entries absorb fused bn/act). */
export function hostLut(ms: HostMeasurement | readonly HostMeasurement[]): LutFile {
  const list = Array.isArray(ms) ? ms : [ms as HostMeasurement];
  const entries = new Map<string, LutEntry>();
  let overhead = 0;
  for (const m of list) {
    overhead = m.networkIoMs;
    for (const l of m.layers) if (!entries.has(l.key)) entries.set(l.key, { key: l.key, latencyMs: l.netMs, spreadMs: l.iqrMs });
  }
  return { format: 'hwnas-lut', version: 1, device: list[0]?.device ?? hostDevice(), fused: true, networkOverheadMs: overhead, entries: [...entries.values()] };
}

/**
 * The `host-cpu` target: costs from measurements on this machine. Measure a network first
 * (`await target.measure(graph)`); costing a layer that was never measured is a ConfigError naming it.
 */
export class HostCpuTarget extends LayerValueTarget {
  readonly name = 'host-cpu';
  readonly kind = 'measured' as const;
  readonly description: string;
  readonly supportedBits: SupportedBits = { weight: [32], act: [32] };
  readonly hasEnergy = false;
  readonly fuse = true;
  private readonly table = new Map<string, LutEntry>();
  private overhead = 0;

  constructor(
    readonly options: Omit<HostMeasureOptions, 'known' | 'onProgress'> = {},
    seed?: LutFile,
  ) {
    super();
    this.description = `${hostDevice(options.threads ?? 1)}: measured per layer with onnxruntime-node, conv+bn+act fusion model`;
    if (seed) {
      for (const e of seed.entries) this.table.set(e.key, e);
      this.overhead = seed.networkOverheadMs ?? 0;
    }
  }

  /** Measure the nodes of `model` not measured yet (and the whole network); returns the measurement. */
  async measure(model: Model | Graph, onProgress?: (done: number, total: number, node: string) => void): Promise<HostMeasurement> {
    const m = await measureHost(model, { ...this.options, known: this.table, ...(onProgress ? { onProgress } : {}) });
    for (const e of hostLut(m).entries) if (!this.table.has(e.key)) this.table.set(e.key, e);
    this.overhead = m.networkIoMs;
    return m;
  }

  /** {@inheritDoc HardwareTarget.prepare} */
  async prepare(model: Model | Graph): Promise<void> {
    await this.measure(model);
  }

  /** The measurements so far as a lookup table. */
  toLut(): LutFile {
    return { format: 'hwnas-lut', version: 1, device: hostDevice(this.options.threads ?? 1), fused: true, networkOverheadMs: this.overhead, entries: [...this.table.values()] };
  }

  protected override networkOverheadMs(): number {
    return this.overhead;
  }

  protected layerValue(w: Workload, p: Precision): LayerValue {
    const key = workloadKey(w, p);
    const e = this.table.get(key);
    if (!e) throw new ConfigError(`host-cpu has not measured layer '${w.node}' (key '${key}'): run 'hwnas measure' on the model or call await target.measure(graph) first`);
    return e;
  }
}
