/**
 * The host-measured target (`host-cpu`): latency really measured on this machine with
 * onnxruntime-node (float32, CPU execution provider, 1 intra-op thread by default).
 *
 * What onnxruntime runs is not the IR node list: it folds batchnorm into the conv, fuses the activation and a
 * residual add(+activation) into it (Conv+Add+Act, NCHWc "Sum"), and converts convs to the NCHWc layout. So the
 * unit of measurement is the runtime *kernel* of {@link kernelPlan} (nn-Meter's insight):
 * - Kernels: each kernel's nodes are exported together as one single-unit ONNX model ({@link exportKernelOnnx},
 *   with a cheap NCHWc-capable sink after it so onnxruntime applies the fusions it applies inside a network) and
 *   run with onnxruntime's profiler; the kernel time is the profiled time of its operators, without the layout
 *   reorders and output allocation a lone unit pays but a kernel inside a network does not.
 * - Whole network: the exported model, timed alone by wall clock.
 * - Per node (optional): each IR node alone (`exportNodeOnnx`), for the naive sum-of-layers figure. A lone run
 *   pays onnxruntime-node's per-run cost (fixed + input/output marshalling, {@link measureRunOverhead}).
 * - Timing: all units of a network are timed round-robin in `rounds` passes (warm-up, then runs for a time
 *   budget); the statistic is quantile `quantile` of the samples (median by default; on a shared machine the
 *   minimum estimates the uncontended latency best), the median and IQR are kept.
 * - Fusion model: `Σ kernel times + the network's run overhead`; {@link HostMeasurement} reports its error and
 *   the naive sum's against the measured network. The learned composition (predictor.ts) refines it.
 * - The kernel times form a lookup table (`fused: true`, keyed by the anchor conv's layer key), which is what
 *   `hwnas measure <model> --out lut.json` writes and what the target costs networks from.
 * - Channel groups of a policy (optional, {@link HostMeasureOptions.slices}): each slice is its layer's kernel cut to
 *   the slice's channels (slice-kernel.ts), timed with the kernels and keyed by the slice's own key, as the costing
 *   looks a group up (layer-target.ts); `HostCpuTarget.prepare(model, policies)` measures those of its policies.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as ort from 'onnxruntime-node';
import { ConfigError } from '../errors.js';

export { exportKernelOnnx, SINK } from '../onnx/kernel.js';
export { fitHostComposition, type HostComposition } from './composition.js';

import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { inferShapes } from '../ir/shapes.js';
import type { Graph, Model } from '../ir/types.js';
import type { Workload } from '../ir/workload.js';
import { exportNodeOnnx, exportOnnx } from '../onnx/export.js';
import { exportKernelOnnx, SINK } from '../onnx/kernel.js';
import { createSession, type OnnxSession } from '../onnx/ort.js';
import { loadedOrt, loadOrt, ortCommonVersion } from '../onnx/ort-runtime.js';
import { Rng } from '../util/rng.js';
import { fitHostComposition, usableTiming } from './composition.js';
import { isFreeOp, workloadKey } from './layer-key.js';
import { type LayerValue, LayerValueTarget, unknownLayer } from './layer-target.js';
import type { LutEntry, LutFile } from './lut.js';
import type { Precision, PrecisionPolicy, SupportedBits } from './precision.js';
import { policySlices, prepareNetwork } from './prepared.js';
import { sliceKernelGraph } from './slice-kernel.js';
import type { NetworkTimingOptions } from './types.js';

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
  /** Also time every node alone (for the naive sum-of-layers figure; default true). */
  readonly perNode?: boolean;
  /** Skip kernels whose anchor keys are already known (their entries are reused). */
  readonly known?: ReadonlyMap<string, LutEntry>;
  /**
   * Channel-group slices to time too (`policySlices` of a policy on this graph, prepared.ts): each as its layer's
   * runtime kernel cut to the slice's channels (slice-kernel.ts), timed with the kernels and keyed by the slice's own
   * key, the key the costing looks up. Slices with the same key are timed once; known keys are skipped.
   */
  readonly slices?: readonly Workload[];
  /** Round-robin passes over all units of a network (default 3; see {@link measureHost}). */
  readonly rounds?: number;
  /** Called when a network has been measured. */
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
  /** The runtime kernels ({@link kernelPlan}), each timed as one fused unit. */
  readonly kernels: readonly HostKernelTiming[];
  /**
   * The channel-group slices asked for ({@link HostMeasureOptions.slices}), one per distinct key, each timed as its
   * layer's kernel cut to the slice (`node` is the slice, e.g. `b1_pw[0:16]`); not part of the sums below.
   */
  readonly slices: readonly HostKernelTiming[];
  /** Every non-plumbing node timed alone (empty when `perNode` is false). */
  readonly layers: readonly HostLayerTiming[];
  readonly network: Stats;
  /** The quantile used as latency. */
  readonly quantile: number;
  /** Σ of per-node latencies (naive; NaN without `perNode`). */
  readonly sumOfLayersMs: number;
  /** Σ of the kernels' times net of their run overhead (each kernel timed alone). */
  readonly kernelSumMs: number;
  /** Fusion-model estimate of the whole network, uncalibrated: Σ kernel times net of run overhead + the network's run overhead. */
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

/**
 * Statistics of profiled kernel times. onnxruntime's profiler reports whole microseconds, coarser than the
 * spread of a small kernel, so at the median (the default) the latency is the interquartile mean instead: the
 * mean of the central half of the runs resolves below 1 us and is as robust to outliers.
 */
const profiledStats = (samples: readonly number[], quant = 0.5): Stats => {
  const st = timingStats(samples, quant);
  if (quant !== 0.5 || samples.length < 4) return st;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.slice(Math.floor(s.length / 4), Math.ceil((3 * s.length) / 4));
  return { ...st, latencyMs: mid.reduce((a, b) => a + b, 0) / mid.length };
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
  // The fixed cost is read at the 1-element run, not from the fit's intercept: with points from 1 to 262,144
  // elements the intercept is set by the large runs and came out negative (clamped to 0) on a quiet machine.
  const o = { fixedMs: Math.max(0, (ys[0] as number) - slope * (xs[0] as number)), perElemMs: slope };
  overheadCache.set(quant, o);
  return o;
}

/** Seeded normal input tensors for every input of a session. */
function makeFeeds(s: OnnxSession, shapes: ReadonlyMap<string, readonly number[]>, rng: Rng): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of s.session.inputNames) {
    const shape = shapes.get(name);
    if (!shape) throw new ConfigError(`host-cpu: no shape for input '${name}'`);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    feeds[name] = new (loadedOrt().Tensor)('float32', data, [1, ...shape]);
  }
  return feeds;
}

/**
 * A session for one runtime kernel with onnxruntime's profiler on: the profile gives the time of the
 * fused kernel itself, without the layout reorders (NCHW <-> NCHWc) and output allocation a lone unit pays
 * but a kernel inside a network does not.
 */
async function createProfiledSession(bytes: Uint8Array, threads: number, prefix: string): Promise<OnnxSession> {
  const session = await (await loadOrt()).InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  return { session, inputName: session.inputNames[0] ?? '', inputShape: [], outputName: session.outputNames[0] ?? '' };
}

/** Layout conversions onnxruntime inserts around a lone NCHWc kernel; inside a network they run once per layout change. */
const REORDER_OPS = new Set(['ReorderInput', 'ReorderOutput']);

/**
 * Read and delete a session's profile: per run, the summed kernel time (ms) of its operators other than layout
 * reorders and the {@link SINK}. A run's events start again at the first operator's name.
 */
function profiledKernelMs(prefix: string): number[] {
  const dir = dirname(prefix);
  const base = basename(prefix);
  const file = readdirSync(dir).find((f) => f.startsWith(`${base}_`) && f.endsWith('.json'));
  if (!file) throw new ConfigError(`host-cpu: onnxruntime wrote no profile for '${prefix}'`);
  const path = join(dir, file);
  const events = JSON.parse(readFileSync(path, 'utf8')) as { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[];
  rmSync(path, { force: true });
  const nodes = events.filter((e) => e.cat === 'Node' && e.name?.endsWith('_kernel_time'));
  const firstOp = nodes[0]?.name;
  const runs: number[] = [];
  for (const e of nodes) {
    if (e.name === firstOp) runs.push(0);
    const skip = REORDER_OPS.has(e.args?.op_name ?? '') || (e.name ?? '').startsWith(SINK);
    if (!skip) runs[runs.length - 1] = (runs[runs.length - 1] as number) + (e.dur ?? 0) / 1000;
  }
  return runs;
}

/** Time a session (every input fed with seeded normal data): warm-up, then enough runs for ~`budgetMs` (at least `minRepeats`). */
async function timeAdaptive(
  s: OnnxSession,
  shapes: ReadonlyMap<string, readonly number[]>,
  rng: Rng,
  warmup = 5,
  minRepeats = 30,
  budgetMs = 25,
  quant = 0.5,
): Promise<Stats & { repeats: number }> {
  const r = await timeUnits([{ session: s, budgetMs }], shapes, rng, { warmup, minRepeats, rounds: 1 });
  return { ...timingStats(r[0] as number[], quant), repeats: (r[0] as number[]).length };
}

/** One session to time in {@link timeUnits}. */
interface TimedUnit {
  readonly session: OnnxSession;
  /** Profile file prefix when the session profiles its kernels (see {@link profiledKernelMs}). */
  readonly profile?: string;
  /** Total time budget of this unit's timed runs (ms), split over the rounds. */
  readonly budgetMs: number;
  /** Input shapes of this unit when they differ from the shared ones (several networks timed together). */
  readonly shapes?: ReadonlyMap<string, readonly number[]>;
}

/**
 * Time several sessions round-robin: `rounds` passes over all units, each pass a short warm-up then
 * ~budget/rounds of timed runs (at least minRepeats/rounds). Spreading every unit's samples over the whole
 * measurement makes slow phases of a shared machine hit all units alike, so a low quantile of the pooled
 * samples is comparable between the kernels and the whole network. Returns the samples (ms) per unit.
 */
async function timeUnits(
  units: readonly TimedUnit[],
  shapes: ReadonlyMap<string, readonly number[]>,
  rng: Rng,
  o: { readonly warmup: number; readonly minRepeats: number; readonly rounds: number; readonly rewarm?: number },
): Promise<number[][]> {
  const feeds = units.map((u) => makeFeeds(u.session, u.shapes ?? shapes, rng));
  const est = new Float64Array(units.length);
  const samples: number[][] = units.map(() => []);
  for (let r = 0; r < o.rounds; r++) {
    for (let u = 0; u < units.length; u++) {
      const s = (units[u] as TimedUnit).session.session;
      const f = feeds[u] as Record<string, ort.Tensor>;
      const t0 = performance.now();
      const w = r === 0 ? o.warmup : (o.rewarm ?? Math.max(1, Math.ceil(o.warmup / 2)));
      for (let i = 0; i < w; i++) await s.run(f);
      if (r === 0) est[u] = (performance.now() - t0) / Math.max(1, w);
      const n = Math.min(
        2000,
        Math.max(Math.ceil(o.minRepeats / o.rounds), Math.ceil((units[u] as TimedUnit).budgetMs / o.rounds / Math.max(est[u] as number, 1e-3))),
      );
      const out = samples[u] as number[];
      for (let i = 0; i < n; i++) {
        const t1 = performance.now();
        await s.run(f);
        out.push(performance.now() - t1);
      }
    }
  }
  return samples;
}

/** Elements a runtime kernel (`members` of `g`) reads from outside (all its external inputs) and writes. */
function kernelElems(g: Graph, members: readonly string[], shapes: ReadonlyMap<string, readonly number[]>): { inElems: number; outElems: number } {
  const numel = (name: string): number => (shapes.get(name) ?? []).reduce((a, b) => a * b, 1);
  const inside = new Set(members);
  const ext = new Set<string>();
  for (const n of g.nodes) if (inside.has(n.name)) for (const src of n.inputs) if (!inside.has(src)) ext.add(src);
  return { inElems: [...ext].reduce((a, n) => a + numel(n), 0), outElems: numel(members[members.length - 1] as string) };
}

/** Timing of one runtime kernel (a fused unit of {@link kernelPlan}: conv+bn+act, + residual add+act). */
export interface HostKernelTiming {
  /** The anchor node (conv/dense, or the node itself for unfused ops). */
  readonly node: string;
  readonly op: string;
  /** Lookup key of the anchor workload (what a `lut:` table and the host target look up). */
  readonly key: string;
  /** Ops fused after the anchor, in order (e.g. `['batchnorm', 'relu6']`, `['batchnorm', 'add', 'relu']`). */
  readonly post: readonly string[];
  /** Elements read from outside the unit (all external inputs) and written. */
  readonly inElems: number;
  readonly outElems: number;
  readonly medianMs: number;
  readonly iqrMs: number;
  /** The latency statistic (quantile `quantile`). */
  readonly latencyMs: number;
  /** The kernel's own time: quantile `quantile` of onnxruntime's profiled kernel time (layout reorders excluded). */
  readonly netMs: number;
  /** Median of the profiled kernel time. */
  readonly kernelMedianMs?: number;
}

/** The runtime kernels of a graph: for each anchor node index, its member node indices in graph order. */
export function graphKernels(graph: Graph): { readonly anchor: number; readonly members: readonly number[] }[] {
  const net = prepareNetwork(graph);
  const by = new Map<number, number[]>();
  for (let i = 0; i < net.n; i++) {
    const k = net.kernelOf[i] as number;
    if (k < 0) continue;
    const list = by.get(k) ?? [];
    list.push(i);
    by.set(k, list);
  }
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([anchor, members]) => ({ anchor, members }));
}

/** Measure every runtime kernel of a model alone (and optionally every node alone) and the whole model, on this machine (float32). */
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
  const wls = net.workloads;
  const fp32: Precision = { weightBits: 32, actBits: 32 };
  const kernelsOf = graphKernels(graph);
  const perNode = opts.perNode ?? true;
  const rounds = opts.rounds ?? 3;
  const numel = (name: string): number => (shapes.get(name) ?? []).reduce((a, b) => a * b, 1);
  // the whole network first, alone (other live sessions and their interleaving perturb a short network's run)
  const wholeSession = await createSession(exportOnnx({ graph, weights }, { batch: 1 }), { threads });
  const wholeSamples = await timeUnits([{ session: wholeSession, budgetMs: 4 * budget * rounds }], shapes, rng, { warmup, minRepeats: repeats, rounds });
  await wholeSession.session.release();
  const whole = timingStats(wholeSamples[0] as number[], quant);
  // sessions: one per distinct kernel (anchor key + fused ops), one per distinct node key, the whole network
  const units: TimedUnit[] = [];
  const unitOf = new Map<string, number>();
  const profDir = mkdtempSync(join(tmpdir(), 'hwnas-host-'));
  const addUnit = async (
    key: string,
    bytes: () => Uint8Array,
    budgetMs: number,
    profiled = false,
    unitShapes?: ReadonlyMap<string, readonly number[]>,
  ): Promise<number> => {
    const hit = unitOf.get(key);
    if (hit !== undefined) return hit;
    const own = unitShapes ? { shapes: unitShapes } : {};
    if (profiled) {
      const prefix = join(profDir, `k${units.length}`);
      units.push({ session: await createProfiledSession(bytes(), threads, prefix), budgetMs, profile: prefix, ...own });
    } else units.push({ session: await createSession(bytes(), { threads }), budgetMs, ...own });
    unitOf.set(key, units.length - 1);
    return units.length - 1;
  };
  interface KernelTodo {
    readonly w: Workload;
    readonly key: string;
    readonly post: readonly string[];
    readonly inElems: number;
    readonly outElems: number;
    readonly unit: number;
    readonly known?: LutEntry;
  }
  const ktodo: KernelTodo[] = [];
  const membersOf = (k: (typeof kernelsOf)[number]): string[] => k.members.map((i) => (wls[i] as Workload).node);
  const postOf = (k: (typeof kernelsOf)[number]): string[] => k.members.slice(1).map((i) => (wls[i] as Workload).op);
  for (const k of kernelsOf) {
    const w = wls[k.anchor] as Workload;
    const names = membersOf(k);
    const post = postOf(k);
    const key = workloadKey(w, fp32);
    const known = opts.known?.get(key);
    const unit = known
      ? -1
      : await addUnit(`${key}|post=${post.join('+') || '-'}`, () => exportKernelOnnx(graph, weights, names, { sink: true }), budget, true);
    ktodo.push({ w, key, post, ...kernelElems(graph, names, shapes), unit, ...(known ? { known } : {}) });
  }
  // channel-group slices: their layer's kernel cut to the slice, keyed by the slice's own shape (slice-kernel.ts)
  const kernelAt = new Map(kernelsOf.map((k) => [(wls[k.anchor] as Workload).node, k] as const));
  const stodo: KernelTodo[] = [];
  const sliceKeys = new Set<string>();
  for (const s of opts.slices ?? []) {
    const key = workloadKey(s, fp32);
    if (sliceKeys.has(key)) continue;
    sliceKeys.add(key);
    const k = kernelAt.get(s.sliceOf?.node ?? '');
    if (!k)
      throw new ConfigError(
        `host-cpu: '${s.node}' is not a channel group of a conv/dense layer of graph '${graph.name}' (expected a slice from policySlices of this graph)`,
      );
    const names = membersOf(k);
    const post = postOf(k);
    const sg = sliceKernelGraph(graph, names, s);
    const sShapes = inferShapes(sg);
    const known = opts.known?.get(key);
    const unit = known
      ? -1
      : await addUnit(
          `${key}|post=${post.join('+') || '-'}`,
          () => exportKernelOnnx(sg, initWeights(sg, new Rng(opts.seed ?? 0)), names, { sink: true }),
          budget,
          true,
          sShapes,
        );
    stodo.push({ w: s, key, post, ...kernelElems(sg, names, sShapes), unit, ...(known ? { known } : {}) });
  }
  const ltodo: { readonly w: Workload; readonly key: string; readonly unit: number; readonly fused: number }[] = [];
  if (perNode) {
    for (let i = 0; i < wls.length; i++) {
      const w = wls[i] as Workload;
      if (isFreeOp(w.op)) continue;
      const key = workloadKey(w, fp32);
      ltodo.push({
        w,
        key,
        unit: await addUnit(`node:${key}`, () => exportNodeOnnx(graph, w.node, weights, { batch: 1 }), budget),
        fused: net.fusedInto[i] as number,
      });
    }
  }
  const samples = await timeUnits(units, shapes, rng, { warmup, minRepeats: repeats, rounds });
  const kernelStats: (Stats | undefined)[] = [];
  for (const [i, u] of units.entries()) {
    if (u.profile) {
      u.session.session.endProfiling();
      kernelStats[i] = profiledStats(profiledKernelMs(u.profile), quant);
    }
    await u.session.session.release();
  }
  rmSync(profDir, { recursive: true, force: true });
  const stats = samples.map((x) => timingStats(x, quant));
  opts.onProgress?.(units.length, units.length, graph.name);
  const timing = (k: KernelTodo): HostKernelTiming => {
    const io = runOverheadMs(ovh, k.inElems, k.outElems);
    if (k.known)
      return {
        node: k.w.node,
        op: k.w.op,
        key: k.key,
        post: k.post,
        inElems: k.inElems,
        outElems: k.outElems,
        medianMs: k.known.latencyMs + io,
        iqrMs: k.known.spreadMs ?? 0,
        latencyMs: k.known.latencyMs + io,
        netMs: k.known.latencyMs,
      };
    const t = stats[k.unit] as Stats;
    const kt = kernelStats[k.unit] as Stats;
    return {
      node: k.w.node,
      op: k.w.op,
      key: k.key,
      post: k.post,
      inElems: k.inElems,
      outElems: k.outElems,
      medianMs: t.medianMs,
      iqrMs: t.iqrMs,
      latencyMs: t.latencyMs,
      netMs: kt.latencyMs,
      kernelMedianMs: kt.medianMs,
    };
  };
  const kernels = ktodo.map(timing);
  const layers: HostLayerTiming[] = ltodo.map((l) => {
    const t = stats[l.unit] as Stats;
    return {
      node: l.w.node,
      op: l.w.op,
      key: l.key,
      medianMs: t.medianMs,
      iqrMs: t.iqrMs,
      latencyMs: t.latencyMs,
      netMs: Math.max(0, t.latencyMs - runOverheadMs(ovh, l.w.inElems, l.w.outElems)),
      ...(l.fused >= 0 ? { fusedInto: (wls[l.fused] as Workload).node } : {}),
    };
  });
  const first = wls.find((w) => w.op === 'input');
  const netIo = runOverheadMs(
    ovh,
    first?.outElems ?? 0,
    graph.outputs.reduce((a, o) => a + numel(o), 0),
  );
  const sum = perNode ? layers.reduce((a, l) => a + l.latencyMs, 0) : Number.NaN;
  const kernelSum = kernels.reduce((a, k) => a + k.netMs, 0);
  const fusedModel = kernelSum + netIo;
  const err = (x: number): number => (x - whole.latencyMs) / whole.latencyMs;
  return {
    graph: graph.name,
    device: hostDevice(threads),
    runOverhead: ovh,
    networkIoMs: netIo,
    kernels,
    slices: stodo.map(timing),
    layers,
    network: { medianMs: whole.medianMs, iqrMs: whole.iqrMs, latencyMs: whole.latencyMs },
    quantile: quant,
    sumOfLayersMs: sum,
    kernelSumMs: kernelSum,
    fusionModelMs: fusedModel,
    sumOfLayersError: err(sum),
    fusionModelError: err(fusedModel),
  };
}

/** Time only the whole network (same procedure and statistic as {@link measureHost}); for repeatability checks. */
export async function measureNetwork(
  model: Model | Graph,
  opts: Omit<HostMeasureOptions, 'known' | 'perNode' | 'onProgress'> = {},
): Promise<{ readonly medianMs: number; readonly iqrMs: number; readonly latencyMs: number }> {
  const graph = 'graph' in model ? model.graph : model;
  const rounds = opts.rounds ?? 3;
  const s = await networkSession(model, opts.seed ?? 0, opts.threads ?? 1);
  const samples = await timeUnits([{ session: s, budgetMs: 4 * (opts.budgetMs ?? 25) * rounds }], inferShapes(graph), new Rng((opts.seed ?? 0) + 7), {
    warmup: opts.warmup ?? 5,
    minRepeats: opts.repeats ?? 30,
    rounds,
  });
  await s.session.release();
  return timingStats(samples[0] as number[], opts.quantile ?? 0.5);
}

/** A batch-1 session of a whole network (a bare graph gets seeded random weights: latency does not depend on them). */
async function networkSession(model: Model | Graph, seed: number, threads: number): Promise<OnnxSession> {
  const graph = 'graph' in model ? model.graph : model;
  const weights = 'graph' in model ? model.weights : initWeights(graph, new Rng(seed));
  return createSession(exportOnnx({ graph, weights }, { batch: 1 }), { threads });
}

/**
 * Several whole networks timed together, interleaved run by run (A B C A B C ...), so that every network sees
 * the same machine state: on a shared virtual machine the speed of one core drifts by 20-40% over seconds,
 * and networks timed one after the other compare those states, not the networks. Each network gets `repeats`
 * timed runs (default 300) after `warmup` runs; per network the run-time quantile `quantile` (default 0.5)
 * is `latencyMs`, with the median and interquartile range.
 */
export async function measureNetworks(
  models: readonly (Model | Graph)[],
  opts: { readonly repeats?: number; readonly warmup?: number; readonly quantile?: number; readonly seed?: number; readonly threads?: number } = {},
): Promise<{ readonly medianMs: number; readonly iqrMs: number; readonly latencyMs: number }[]> {
  const units: TimedUnit[] = [];
  try {
    for (const m of models)
      units.push({ session: await networkSession(m, opts.seed ?? 0, opts.threads ?? 1), budgetMs: 0, shapes: inferShapes('graph' in m ? m.graph : m) });
    const repeats = opts.repeats ?? 300;
    const samples = await timeUnits(units, new Map(), new Rng((opts.seed ?? 0) + 7), {
      warmup: opts.warmup ?? 10,
      minRepeats: repeats,
      rounds: repeats,
      rewarm: 0,
    });
    return samples.map((v) => timingStats(v, opts.quantile ?? 0.5));
  } finally {
    for (const u of units) await u.session.session.release();
  }
}

/** A description of this machine for table provenance. */
export function hostDevice(threads = 1): string {
  return `host-cpu (onnxruntime-node ${ortCommonVersion()}, ${threads} thread${threads > 1 ? 's' : ''}, float32)`.replace(' ,', ',');
}

/**
 * A lookup table from host measurements: one entry per runtime kernel (anchor key, time net of the run overhead;
 * conv entries include their fused bn/act/residual add), and the {@link HostComposition} fitted on the measured
 * networks' whole timings as `kernelScale` and `networkOverheadMs`, with those timings (`networks`).
 */
export function hostLut(ms: HostMeasurement | readonly HostMeasurement[]): LutFile {
  const list = Array.isArray(ms) ? ms : [ms as HostMeasurement];
  const entries = new Map<string, LutEntry>();
  for (const m of list) {
    for (const k of [...m.kernels, ...m.slices]) if (!entries.has(k.key)) entries.set(k.key, { key: k.key, latencyMs: k.netMs, spreadMs: k.iqrMs });
  }
  // the networks the fit can use (a table stores only those), then the fit on them
  const networks = list.map((m) => ({ graph: m.graph, kernelSumMs: m.kernelSumMs, networkMs: m.network.latencyMs })).filter(usableTiming);
  const comp = fitHostComposition(networks);
  return {
    format: 'hwnas-lut',
    version: 1,
    device: list[0]?.device ?? hostDevice(),
    fused: true,
    networkOverheadMs: comp.fixedMs,
    kernelScale: comp.kernelScale,
    networks,
    entries: [...entries.values()],
  };
}

/** Options of {@link HostCpuTarget.measure}. */
export interface HostTargetMeasureOptions {
  /** Policies the network will be costed under: their channel-group slices are measured too (default none). */
  readonly policies?: readonly PrecisionPolicy[];
  /** Called when the network has been measured. */
  readonly onProgress?: (done: number, total: number, node: string) => void;
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
  private scale = 1;
  /** (Σ kernels, whole network) of every network measured by this target, for {@link fitHostComposition}. */
  private readonly measured: { kernelSumMs: number; networkMs: number }[] = [];

  constructor(
    readonly options: Omit<HostMeasureOptions, 'known' | 'onProgress'> = {},
    seed?: LutFile,
  ) {
    super();
    this.description = `${hostDevice(options.threads ?? 1)}: measured per layer with onnxruntime-node, conv+bn+act fusion model`;
    if (seed) {
      for (const e of seed.entries) this.table.set(e.key, e);
      this.overhead = seed.networkOverheadMs ?? 0;
      this.scale = seed.kernelScale ?? 1;
    }
  }

  /**
   * Measure the kernels of `model` not measured yet (and the whole network), and the channel-group slices of
   * `o.policies` not measured yet (`policySlices`: each slice at its own shape, keyed as the costing looks it up);
   * returns the measurement.
   */
  async measure(model: Model | Graph, o: HostTargetMeasureOptions = {}): Promise<HostMeasurement> {
    const graph = 'graph' in model ? model.graph : model;
    const net = prepareNetwork(graph);
    const slices = (o.policies ?? []).flatMap((p) => policySlices(net, p));
    const m = await measureHost(model, {
      ...this.options,
      known: this.table,
      ...(slices.length > 0 ? { slices } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    for (const e of hostLut(m).entries) if (!this.table.has(e.key)) this.table.set(e.key, e);
    this.measured.push({ kernelSumMs: m.kernelSumMs, networkMs: m.network.latencyMs });
    const comp = fitHostComposition(this.measured);
    this.overhead = comp.fixedMs;
    this.scale = comp.kernelScale;
    this.clearCostCache();
    return m;
  }

  /** {@inheritDoc HardwareTarget.prepare} */
  async prepare(model: Model | Graph, policies?: readonly PrecisionPolicy[]): Promise<void> {
    await this.measure(model, policies ? { policies } : {});
  }

  /** {@inheritDoc HardwareTarget.timeNetworks} */
  async timeNetworks(graphs: readonly Graph[], o: NetworkTimingOptions = {}): Promise<number[]> {
    const r = await measureNetworks(graphs, {
      repeats: o.repeats ?? 200,
      quantile: o.quantile ?? 0.5,
      ...(this.options.threads !== undefined ? { threads: this.options.threads } : {}),
    });
    return r.map((m) => m.latencyMs);
  }

  /** The measurements so far as a lookup table. */
  toLut(): LutFile {
    return {
      format: 'hwnas-lut',
      version: 1,
      device: hostDevice(this.options.threads ?? 1),
      fused: true,
      networkOverheadMs: this.overhead,
      kernelScale: this.scale,
      entries: [...this.table.values()],
    };
  }

  protected override networkOverheadMs(): number {
    return this.overhead;
  }

  /** Measured values are whole kernels: residual adds (and their activation) fused into a conv cost 0 (see {@link kernelPlan}). */
  protected override costsKernels(): boolean {
    return true;
  }

  protected layerValue(w: Workload, p: Precision): LayerValue {
    const key = workloadKey(w, p);
    const e = this.table.get(key);
    if (!e) {
      const u = unknownLayer(w);
      throw new ConfigError(
        w.sliceOf
          ? `host-cpu has not measured ${u.what} (key '${key}'): prepare the target with the policy (await target.prepare(graph, [policy]); 'hwnas cost' and 'hwnas measure --policy' do) first${u.note}`
          : `host-cpu has not measured ${u.what} (key '${key}'): run 'hwnas measure' on the model or call await target.measure(graph) first${u.note}`,
      );
    }
    // kernel times composed as calibrated on whole networks (fitHostComposition)
    return this.scale === 1 ? e : { ...e, latencyMs: e.latencyMs * this.scale };
  }
}
