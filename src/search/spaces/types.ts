/**
 * Architecture spaces: a search space whose points are network architectures. Every space exposes
 * its points three ways: as categorical/int parameters of a {@link SearchSpace} (what the ask/tell
 * strategies search), as a compact architecture string (what tables and reports use), and as an IR
 * graph (what hardware targets cost and the engine trains).
 */
import type { PrecisionPolicy } from '../../ir/precision.js';
import type { Graph } from '../../ir/types.js';
import { Rng } from '../../util/rng.js';
import type { SearchSpace } from '../space.js';
import type { Params } from '../types.js';
import type { Mbv2SpaceOptions } from './mbv2.js';

/** Options shared by the graph builders of architecture spaces. */
export interface ArchGraphOptions {
  /** Input height = width (default: the space's own). */
  readonly inputSize?: number;
  /** Input channels (default 3). */
  readonly inChannels?: number;
  /** Output classes (default 10). */
  readonly classes?: number;
}

/**
 * A space of architectures of type `A`. `fromParams(toParams(a))` and `parse(format(a))` give `a`
 * back; every point of `space` is a valid architecture.
 */
export interface ArchSpace<A = unknown> {
  /** Registry name ('nb201', 'mbv2', ...). */
  readonly name: string;
  /** The parameters strategies search (categorical and int). */
  readonly space: SearchSpace;
  /** The parameters of an architecture (inactive parameters at their defaults). */
  toParams(a: A): Params;
  /** The architecture of a point of `space` (ConfigError when the point is invalid). */
  fromParams(p: Params): A;
  /** The compact architecture string. */
  format(a: A): string;
  /** Parses an architecture string (ConfigError quoting it when invalid). */
  parse(s: string): A;
  /**
   * `format(parse(s))` without building `A` where the space can tell a canonical string at once (NB201: a string it
   * has parsed before and found canonical); optional, {@link canonicalArch} falls back to format(parse(s)).
   */
  canonical?(s: string): string;
  /** The IR graph of the network. */
  graph(a: A, opts?: ArchGraphOptions): Graph;
  /**
   * The class of `a` under the isomorphism that the space's published benchmarks use to share one
   * measurement between architectures (NB201: `nb201IsomorphismKey`), when that convention is not
   * the exact computation. The repeat filter treats two architectures as repeats only when both this key
   * and the computation of their graphs agree, so it never skips an entry such a table stores separately.
   */
  isomorphismKey?(a: A): string;
  /**
   * The computation class of `a`, for a space whose operations the IR cannot express (a table of measured
   * architectures hwnas has no kernels for, e.g. graph neural networks), or whose classes are known without building
   * graphs (NB201: the committed computation class of each cell joined with `isomorphismKey`, the partition
   * `computationKey` of `classGraph` gives, tested): the repeat filter and every other user of
   * {@link computationClassKey} take this key instead of the graph's computation (and never call `graph`).
   */
  classKey?(a: A): string;
  /**
   * A smaller graph of `a` whose computation (`computationKey`) tells the space's points apart exactly as `graph`'s
   * does, for the repeat filter's class key (NB201: the network with one cell per stage at 8 px and 2 channels, which
   * keys the 15,625 cells 3x faster than the published network; the partitions are equal, tested). Without it the
   * class key is taken from `graph`; a `classKey` takes precedence over both.
   */
  classGraph?(a: A): Graph;
  /** Names of the precision slots (groups of conv/dense layers that share bits in a joint space), in order. */
  slots(): readonly string[];
  /** The slot of a conv/dense node of one of this space's graphs (undefined: not in any slot). */
  slotOf(node: string): string | undefined;
  /** Parameter names that belong to one slot (used to group parameters, e.g. by the two-stage search). */
  slotParams(slot: string): readonly string[];
  /** The skeleton and choices of a MobileNetV2-style space (set by `mbv2Space` only; capacity search, supernet, block-wise search). */
  readonly options?: Mbv2SpaceOptions;
  /** The architecture space a joint space adds per-slot precision to (set by `jointSpace` only). */
  readonly base?: ArchSpace;
  /** The precision policy of a point's graph, for spaces whose points carry their own precision (joint spaces). */
  policy?(a: A, graph: Graph): PrecisionPolicy;
}

/**
 * Input size (height = width) and channels a space's data should be loaded at: mbv2 spaces (also inside a
 * joint space) their largest input size (each architecture resamples to its own), other spaces a sampled
 * graph's input.
 */
export function spaceInputShape(space: ArchSpace): { size: number; channels: number } {
  const own = space.options ?? space.base?.options;
  const g = space.graph(space.fromParams(space.space.sample(new Rng(0))));
  const shape = g.nodes[0]?.op === 'input' ? g.nodes[0].shape : [1, 28, 28];
  const size = own && own.inputSizes.length > 0 ? Math.max(...own.inputSizes) : (shape[1] as number);
  return { size, channels: own?.inChannels ?? (shape[0] as number) };
}

/** The architecture string of a point of the space. */
export function paramsToArch<A>(s: ArchSpace<A>, p: Params): string {
  return s.format(s.fromParams(p));
}

/** The canonical parameters of an architecture string. */
export function archToParams<A>(s: ArchSpace<A>, arch: string): Params {
  return s.toParams(s.parse(arch));
}

/** The canonical spelling of an architecture string (ConfigError when invalid). */
export function canonicalArch<A>(s: ArchSpace<A>, arch: string): string {
  return s.canonical ? s.canonical(arch) : s.format(s.parse(arch));
}
