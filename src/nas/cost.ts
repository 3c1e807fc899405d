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

/** The precision policy of an architecture: the joint space's own, else `fallback`. */
export function archPolicy(space: ArchSpace, arch: unknown, graph: Graph, fallback: PrecisionPolicy): PrecisionPolicy {
  return space.policy ? space.policy(arch, graph) : fallback;
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

/** First timing of each anchor network, per target and quantile. */
const anchorTimings = new WeakMap<Graph, Map<string, Promise<number>>>();

/** The target's whole-network timer, or a ConfigError saying which targets have one. */
function networkTimer(target: HardwareTarget): NonNullable<HardwareTarget['timeNetworks']> {
  const t = target.timeNetworks;
  if (!t)
    throw new ConfigError(
      `latency mode 'network' times whole networks on the device: target '${target.name}' cannot (expected a target that runs networks on this machine, e.g. 'host-cpu')`,
    );
  return t.bind(target);
}

/**
 * The check `hwnas nas --latency network` makes before its study is created: the target must time whole networks on
 * this machine (host-cpu), otherwise every trial would fail. A ConfigError naming the flag, the target and what to use.
 */
export function checkNetworkLatencyTarget(target: HardwareTarget, targetFlag: string | undefined): void {
  if (target.timeNetworks) return;
  throw new ConfigError(
    `--latency network times each whole network on this machine with onnxruntime: it needs --target host-cpu (got ${targetFlag === undefined ? `the default '${target.name}'` : `'${target.name}'`}); for '${target.name}' use --latency model (its cost model, the default)`,
  );
}

/**
 * The anchor's own latency (ms) on a target that times whole networks: its first timing, 1,000 runs at
 * `quantile` (default 0.5), taken once per anchor, target and quantile and reused (the scale of every
 * latency taken with this anchor, see {@link ArchLatencyOptions.anchor}).
 */
export function anchorLatencyMs(target: HardwareTarget, anchor: Graph, quantile = 0.5): Promise<number> {
  const time = networkTimer(target);
  const byKey = anchorTimings.get(anchor) ?? new Map<string, Promise<number>>();
  anchorTimings.set(anchor, byKey);
  const k = `${target.name}|${quantile}`;
  let t = byKey.get(k);
  if (!t) {
    t = time([anchor], { repeats: 1000, quantile }).then((v) => v[0] as number);
    byKey.set(k, t);
  }
  return t;
}

/**
 * Latency (ms) and energy (mJ; NaN when the target has none) of a graph on a target. Measured targets
 * are prepared (measured) first; mode 'network' times the whole network on the device instead of summing
 * the target's per-kernel table (targets with {@link HardwareTarget.timeNetworks}: host-cpu).
 */
export async function archLatencyMs(
  target: HardwareTarget,
  graph: Graph,
  policy: PrecisionPolicy,
  o: ArchLatencyOptions = {},
): Promise<{ latencyMs: number; energyMj: number }> {
  if ((o.mode ?? 'model') === 'network') {
    const time = networkTimer(target);
    const quantile = o.quantile ?? 0.5;
    const repeats = o.repeats ?? 200;
    if (o.anchor) {
      const nominal = await anchorLatencyMs(target, o.anchor, quantile);
      const [a, c] = await time([o.anchor, graph], { repeats, quantile });
      return { latencyMs: nominal * ((c as number) / (a as number)), energyMj: Number.NaN };
    }
    const [m] = await time([graph], { repeats, quantile });
    return { latencyMs: m as number, energyMj: Number.NaN };
  }
  if (target.prepare) await target.prepare(graph);
  const c = target.networkCost(graph, policy);
  return { latencyMs: c.latencyMs, energyMj: c.energyMj };
}

/** Network cost of an architecture string (or parameters) on a target. */
export function archCost(
  space: ArchSpace,
  arch: string | Params,
  target: HardwareTarget,
  opts: { policy?: PrecisionPolicy; graph?: Parameters<ArchSpace['graph']>[1] } = {},
): ArchCost {
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
