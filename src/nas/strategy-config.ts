/**
 * The strategy of a NAS study as registry JSON (`{ name, options }`, stored in the study's config): any
 * registered strategy by name or alias, with NAS defaults for the generic ones (population from the
 * budget, ...) and the repeat filter around them, and the costly inputs of the NAS strategies computed
 * here once (two-stage: the hardware-sensitive parameters; capacity: the repaired architectures), so that
 * a resumed study rebuilds the same strategy from its config without recomputing them.
 */
import { ConfigError } from '../errors.js';
import { canonicalStrategyName, createStrategy, defaultPopulationSize, defaultStrategyOptions, PRESCREEN, strategyNames } from '../search/registry.js';
import type { Mbv2Arch } from '../search/spaces/mbv2.js';
import type { ArchSpace } from '../search/spaces/types.js';
import { checkPopulationFits } from '../search/strategies/variation.js';
import type { JsonValue, Objective, Params, SearchStrategy } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { type CapacityResult, capacityPoints, capacitySearch, checkCapacityArgs } from './capacity.js';
import { DISTINCT } from './strategies/distinct.js';
import './strategies/index.js';
import { graphTotals } from '../ir/workload.js';
import { type OpProbe, type PositionSplit, paramStage, positionSplit, preselectOps, sensitiveParams } from './two-stage.js';

/** Inputs of {@link nasStrategyConfig}. */
export interface NasStrategyConfigOptions {
  /** The study's budget (trials). */
  readonly budget: number;
  /** Seed of the sensitivity analysis, the two-stage reference point and the capacity search (default 0). */
  readonly seed?: number;
  /** Population of nsga2 / evolution (default: budget/10 clamped to [10, 50]). */
  readonly populationSize?: number;
  /**
   * Skip proposals that repeat a computation already queried (same or isomorphic architecture; strategy
   * 'distinct'): default true. On NB201, isomorphic cells are 61% of the space and plain NSGA-II / BO spent
   * up to 45% of 300 queries on repeats (docs/nas-table.md).
   */
  readonly distinct?: boolean;
  /** Two-stage: the cost whose sensitivity picks the stage-1 parameters (e.g. latency on the target). */
  readonly sensitivityCost?: (p: Params) => number;
  /** Two-stage: share of the budget for stage 1 (default 0.4). */
  readonly stage1Share?: number;
  /**
   * Two-stage: how stage 1's parameters are chosen: 'position' (HURRICANE, the default where the space has
   * stages: the early or late part of the network that carries most latency effect, plus input size and
   * width) or 'effect' (parameters one by one by their latency main effect, wherever they sit).
   */
  readonly split?: 'position' | 'effect';
  /** Two-stage: drop operators that are slow on the target for what they offer before the search (default true). */
  readonly preselectOps?: boolean;
  /** Two-stage: inner strategy of each stage (default nsga2). */
  readonly inner?: string;
  /** Capacity search (mbv2 spaces): the latency of an architecture, the line (`--max-latency`), points per stratum. */
  readonly capacity?: {
    readonly latency: (a: Mbv2Arch) => number | Promise<number>;
    readonly line?: number;
    readonly perStratum?: number;
    readonly onProgress?: (done: number, total: number) => void;
  };
}

/** What {@link nasStrategyConfig} returns. */
export interface NasStrategyConfig {
  /** Registry name (canonical) and JSON options: a study config's `strategy`. */
  readonly name: string;
  readonly options: Readonly<Record<string, JsonValue>>;
  /** Two-stage: the hardware-sensitive parameters chosen. */
  readonly sensitive?: string[];
  /** Capacity: the search's result. */
  readonly capacity?: CapacityResult;
  /** Two-stage: the split by layer position and the operator pre-selection's probes, when made. */
  readonly twoStage?: { readonly split?: PositionSplit; readonly probes?: OpProbe[]; readonly dropped: JsonValue[][] };
}

/**
 * Registry names `hwnas nas --strategy` accepts: every registered strategy but the wrappers applied by flags
 * (the repeat filter: --distinct; the proposal screen: --cost-aware / --predictor).
 */
export function nasStrategyNames(): string[] {
  return strategyNames('nas').filter((n) => n !== DISTINCT && n !== PRESCREEN);
}

/** NAS defaults of the generic strategies for a budget (others: no options); see defaultStrategyOptions. */
function genericOptions(name: string, space: ArchSpace, budget: number, populationSize: number): Record<string, JsonValue> {
  return defaultStrategyOptions(name, budget, space.space.encodedDimension, populationSize);
}

/** The registry config of NAS strategy `name` on `space` (see module doc; costly inputs computed here, once). */
export async function nasStrategyConfig(name: string, space: ArchSpace, o: NasStrategyConfigOptions): Promise<NasStrategyConfig> {
  const canonical = canonicalStrategyName(name);
  if (canonical === DISTINCT)
    throw new ConfigError(
      `--strategy '${name}': the repeat filter is applied to every strategy unless --no-distinct; expected one of ${nasStrategyNames().join(', ')}`,
    );
  if (!nasStrategyNames().includes(canonical))
    throw new ConfigError(`--strategy '${name}': expected one of ${nasStrategyNames().join(', ')} (or the alias 'evolution')`);
  const seed = o.seed ?? 0;
  const distinct = o.distinct ?? true;
  if (o.populationSize !== undefined && (canonical === 'nsga2' || canonical === 'regularized-evolution'))
    checkPopulationFits(canonical, o.populationSize, o.budget);
  const pop = o.populationSize ?? defaultPopulationSize(o.budget);
  if (canonical === 'capacity') {
    const line = o.capacity?.line;
    checkCapacityArgs(space, line);
    if (!o.capacity) throw new ConfigError('--strategy capacity needs a hardware target to repair architectures on (give a --target)');
    const r = await capacitySearch(
      space,
      {
        latency: o.capacity.latency,
        line: line as number,
        ...(o.capacity.perStratum !== undefined ? { perStratum: o.capacity.perStratum } : {}),
        ...(o.capacity.onProgress ? { onProgress: o.capacity.onProgress } : {}),
      },
      new Rng(seed),
    );
    const points = capacityPoints(r);
    if (points.length < o.budget)
      throw new ConfigError(
        `capacity search: only ${points.length} distinct architectures were repaired under ${line} ms, fewer than --budget ${o.budget}; lower --budget, or raise --capacity-points`,
      );
    return { name: canonical, options: { archSpace: space.name, points, line: line as number }, capacity: r };
  }
  if (canonical === 'two-stage') {
    if (!o.sensitivityCost) throw new ConfigError('two-stage search needs a hardware cost to find the sensitive parameters (give a --target)');
    const cost = o.sensitivityCost;
    const { effects, sensitive: byEffect } = sensitiveParams(space.space, cost, new Rng(seed));
    const staged = new Set(space.space.names.map(paramStage).filter((x) => x !== undefined)).size >= 2;
    const mode = o.split ?? (staged ? 'position' : 'effect');
    const split = mode === 'position' ? positionSplit(space.space.names, effects) : undefined;
    const sensitive = split ? split.sensitive : byEffect;
    const pre =
      o.preselectOps === false
        ? undefined
        : preselectOps(space.space, {
            latency: cost,
            capacity: (p) => graphTotals(space.graph(space.fromParams(p))),
            reference: space.space.sample(new Rng(seed)),
          });
    const dropped = pre ? pre.probes.filter((x) => !x.kept).map((x) => [...x.op]) : [];
    const stage1Trials = Math.max(1, Math.round(o.budget * (o.stage1Share ?? 0.4)));
    const inner = canonicalStrategyName(o.inner ?? 'nsga2');
    const options: Record<string, JsonValue> = {
      sensitive,
      stage1Trials,
      stage1: { name: inner, options: genericOptions(inner, space, stage1Trials, pop) },
      stage2: { name: inner, options: genericOptions(inner, space, o.budget - stage1Trials, pop) },
      referenceSeed: seed,
      ...(pre && dropped.length > 0 ? { opFields: [...pre.ops.fields], ops: pre.ops.allowed.map((t) => [...t]) } : {}),
      ...(distinct ? { distinct: true, archSpace: space.name } : {}),
    };
    return { name: canonical, options, sensitive, twoStage: { ...(split ? { split } : {}), ...(pre ? { probes: pre.probes } : {}), dropped } };
  }
  const inner = { name: canonical, options: genericOptions(canonical, space, o.budget, pop) };
  return distinct ? { name: DISTINCT, options: { archSpace: space.name, inner } } : inner;
}

/** A NAS strategy built through the registry from {@link nasStrategyConfig} (for benches and tests; commands store the config). */
export async function createNasStrategy(
  name: string,
  space: ArchSpace,
  o: NasStrategyConfigOptions & { readonly objectives?: readonly Objective[] },
): Promise<{ strategy: SearchStrategy; config: NasStrategyConfig; sensitive?: string[] }> {
  const config = await nasStrategyConfig(name, space, o);
  const ctx = o.objectives ? { space: space.space, objectives: o.objectives, nTrials: o.budget, seed: o.seed ?? 0 } : undefined;
  return { strategy: createStrategy(config.name, config.options, ctx), config, ...(config.sensitive ? { sensitive: config.sensitive } : {}) };
}
