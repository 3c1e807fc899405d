/**
 * Hardware cost of architectures on any registered target, and architecture-level latency predictors
 * fitted on a few measured architectures (the VPU-NAS / HELP approach): gradient-boosted trees on the
 * space's one-hot encoding plus MACs, parameters and layer count, predicting log latency.
 */
import { ConfigError } from '../errors.js';
import { defaultPolicy, type PrecisionPolicy } from '../hardware/precision.js';
import { fitGbdt, type GbdtModel, type GbdtOptions, kendallTau, predictRow } from '../hardware/predictor.js';
import type { HardwareTarget, NetworkCost } from '../hardware/types.js';
import type { Graph } from '../ir/types.js';
import { graphTotals } from '../ir/workload.js';
import type { ArchSpace } from '../search/spaces/types.js';
import type { Params } from '../search/types.js';

/** A space that can give the precision policy of its own points (joint spaces). */
interface PolicySpace {
  policy(a: unknown, g: Graph): PrecisionPolicy;
}

/** The precision policy of an architecture: the joint space's own, else `fallback`. */
export function archPolicy(space: ArchSpace, arch: unknown, graph: Graph, fallback: PrecisionPolicy): PrecisionPolicy {
  const p = (space as Partial<PolicySpace>).policy;
  return typeof p === 'function' ? p.call(space, arch, graph) : fallback;
}

/** Cost summary of one architecture on a target. */
export interface ArchCost {
  readonly latencyMs: number;
  readonly energyMj: number;
  readonly macs: number;
  readonly params: number;
  readonly network: NetworkCost;
}

/** How latency is taken: the target's cost model, or (host-cpu only) the whole exported network timed. */
export type LatencyMode = 'model' | 'network';

/** Options of {@link archLatencyMs}. */
export interface ArchLatencyOptions {
  /** Default 'model'. */
  readonly mode?: LatencyMode;
  /** 'network': timed runs (default 200) and the quantile reported (default 0.5, the median). */
  readonly repeats?: number;
  readonly quantile?: number;
  /**
   * 'network': a fixed network timed together with each candidate, interleaved run by run. The candidate's
   * latency is then the anchor's first timing (1,000 runs) x the ratio of the two quantiles, so that the
   * machine's speed drifting between candidates (20-40% over seconds on a shared VM) cancels out.
   */
  readonly anchor?: Graph;
}

/** First timing of each anchor network, per quantile. */
const anchorTimings = new WeakMap<Graph, Map<number, Promise<number>>>();

/**
 * The anchor's own latency (ms): its first timing, 1,000 runs at `quantile` (default 0.5), taken once per
 * anchor and quantile and reused (the scale of every latency taken with this anchor, see {@link ArchLatencyOptions.anchor}).
 */
export function anchorLatencyMs(anchor: Graph, quantile = 0.5): Promise<number> {
  const byQ = anchorTimings.get(anchor) ?? new Map<number, Promise<number>>();
  anchorTimings.set(anchor, byQ);
  let t = byQ.get(quantile);
  if (!t) {
    t = import('../hardware/host.js').then(async ({ measureNetworks }) => ((await measureNetworks([anchor], { repeats: 1000, quantile }))[0] as { latencyMs: number }).latencyMs);
    byQ.set(quantile, t);
  }
  return t;
}

/**
 * Latency (ms) and energy (mJ; NaN when the target has none) of a graph on a target. Measured targets
 * are prepared (measured) first; mode 'network' times the whole exported network with onnxruntime
 * instead of summing the target's per-kernel table (host-cpu only).
 */
export async function archLatencyMs(target: HardwareTarget, graph: Graph, policy: PrecisionPolicy, o: ArchLatencyOptions = {}): Promise<{ latencyMs: number; energyMj: number }> {
  if ((o.mode ?? 'model') === 'network') {
    if (target.name !== 'host-cpu') throw new ConfigError(`latency mode 'network' times the model on this machine: it needs target 'host-cpu', got '${target.name}'`);
    const { measureNetwork, measureNetworks } = await import('../hardware/host.js'); // loads onnxruntime
    const quantile = o.quantile ?? 0.5;
    if (o.anchor) {
      const nominal = await anchorLatencyMs(o.anchor, quantile);
      const [a, c] = await measureNetworks([o.anchor, graph], { repeats: o.repeats ?? 200, quantile });
      return { latencyMs: nominal * ((c?.latencyMs as number) / (a?.latencyMs as number)), energyMj: Number.NaN };
    }
    const m = await measureNetwork(graph, { repeats: o.repeats ?? 200, quantile });
    return { latencyMs: m.latencyMs, energyMj: Number.NaN };
  }
  if (target.prepare) await target.prepare(graph);
  const c = target.networkCost(graph, policy);
  return { latencyMs: c.latencyMs, energyMj: c.energyMj };
}

/** Network cost of an architecture string (or parameters) on a target. */
export function archCost(space: ArchSpace, arch: string | Params, target: HardwareTarget, opts: { policy?: PrecisionPolicy; graph?: Parameters<ArchSpace['graph']>[1] } = {}): ArchCost {
  const a = typeof arch === 'string' ? space.parse(arch) : space.fromParams(arch);
  const g = space.graph(a, opts.graph);
  const policy = archPolicy(space, a, g, opts.policy ?? defaultPolicy(target));
  const network = target.networkCost(g, policy);
  const t = graphTotals(g);
  return { latencyMs: network.latencyMs, energyMj: network.energyMj, macs: t.macs, params: t.params, network };
}

/** Features of an architecture for predictors: the space's unit-cube encoding, log MACs, log params, conv/dense count. */
export function archFeatures(space: ArchSpace, arch: string, graph?: Graph): number[] {
  const a = space.parse(arch);
  const t = graphTotals(graph ?? space.graph(a));
  return [...space.space.encode(space.toParams(a)), Math.log1p(t.macs), Math.log1p(t.params), t.layers];
}

/** A fitted architecture-level latency predictor. */
export interface ArchPredictor {
  readonly model: GbdtModel;
  /** Predicted latency (ms) from {@link archFeatures}. */
  predict(features: readonly number[]): number;
}

/** Fits log latency on (features, measured ms) pairs (same data and seed give the same model). */
export function fitArchPredictor(features: readonly (readonly number[])[], latencyMs: readonly number[], opts: GbdtOptions = {}): ArchPredictor {
  if (features.length < 2) throw new ConfigError(`architecture predictor: need >= 2 measured architectures, got ${features.length}`);
  if (latencyMs.some((v) => !(v > 0))) throw new ConfigError('architecture predictor: latencies must be > 0 ms');
  const names = (features[0] as readonly number[]).map((_, i) => `f${i}`);
  const model = fitGbdt(features, latencyMs.map(Math.log), names, { rounds: 200, maxDepth: 4, minLeaf: 2, learningRate: 0.1, ...opts });
  return { model, predict: (f) => Math.exp(predictRow(model, f)) };
}

/** Kendall's tau-b of two rankings (re-export for NAS reports). */
export { kendallTau };
