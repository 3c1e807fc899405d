/**
 * `proxyFirst` (issue 18, session 54): a proxy-ranked first ask per cost group. A wrapper around any strategy: when the
 * wrapped strategy proposes a point whose cost group (`group`, e.g. the MACs and parameters a cost model gives) has no
 * trial in the history yet, the proposal is replaced by a point of that group with the highest free score (`score`, e.g.
 * a zero-cost proxy such as SynFlow of the untrained network); ties are broken uniformly with the run's rng. Every other
 * proposal is the wrapped strategy's. Both `score` and `group` are free: they must not query the expensive objective
 * (accuracy), and a comparison must say the strategy used them.
 *
 * Why (bench/data/search54-prereg.md): on NB201, SynFlow does not rank cells of equal cost (within-group Kendall tau
 * ~0), but its first cell of each group of equal MACs and parameters sits at the 71st-82nd accuracy percentile of the
 * group (session 53, proxy53). Within the repeat filter's computation classes the proxy is constant (one network), so
 * the groups must be coarser than those classes; a group's points then all lie in classes not evaluated yet.
 *
 * The space's points are enumerated once per `group` function and space object ({@link classIndex}: categorical spaces of
 * at most 200,000 points); on any other space the wrapper passes every proposal through.
 */
import { ConfigError } from '../../errors.js';
import type { AskContext, Params, SearchStrategy, Trial } from '../types.js';
import { type ClassIndex, classIndex } from './tpe.js';

/** Options of {@link proxyFirst}. */
export interface ProxyFirstOptions {
  /** A point's free score, higher first (-Infinity allowed: ranks last; NaN is an error). */
  readonly score: (p: Params) => number;
  /**
   * A point's cost group. Pass one function object for every run on a space: the space's enumeration by group is
   * memoised per function (as `classIndex` is).
   */
  readonly group: (p: Params) => string;
}

/** Per group index: each group's points of the highest score. */
const TOPS = new WeakMap<ClassIndex, Map<string, readonly Params[]>>();

/** The points of group `key` of `idx` with the highest `score` (computed once per index and group). */
export function topMembers(idx: ClassIndex, key: string, score: (p: Params) => number): readonly Params[] {
  let byKey = TOPS.get(idx);
  if (byKey === undefined) {
    byKey = new Map();
    TOPS.set(idx, byKey);
  }
  const hit = byKey.get(key);
  if (hit !== undefined) return hit;
  const members = idx.byKey.get(key) ?? [];
  let best = Number.NEGATIVE_INFINITY;
  let tops: Params[] = [];
  for (const p of members) {
    const s = score(p);
    if (Number.isNaN(s) || s === Number.POSITIVE_INFINITY)
      throw new ConfigError(`proxyFirst: score ${s} of point ${JSON.stringify(p)}; expected a finite number or -Infinity`);
    if (s > best || tops.length === 0) {
      if (s > best) tops = [];
      best = Math.max(best, s);
      tops.push(p);
    } else if (s === best) tops.push(p);
  }
  byKey.set(key, tops);
  return tops;
}

/** Wraps `inner` so that its first proposal in each cost group becomes the group's best-scored point (see the module doc). */
export function proxyFirst(inner: SearchStrategy, options: ProxyFirstOptions): SearchStrategy {
  const { score, group } = options;
  if (typeof score !== 'function' || typeof group !== 'function')
    throw new ConfigError(`proxyFirst: score ${typeof score}, group ${typeof group}; expected two functions of a point`);
  // each trial's group (a trial's params never change)
  const trialGroup = new WeakMap<Trial, string>();
  const groupOf = (t: Trial): string => {
    let g = trialGroup.get(t);
    if (g === undefined) {
      g = group(t.params);
      trialGroup.set(t, g);
    }
    return g;
  };
  return {
    name: inner.name,
    async ask(ctx: AskContext): Promise<Params> {
      const p = await inner.ask(ctx);
      const idx = classIndex(ctx.space, group);
      if (idx === null) return p;
      const g = group(p);
      if (ctx.history.some((t) => groupOf(t) === g)) return p;
      const tops = topMembers(idx, g, score);
      if (tops.length === 0) return p;
      // a copy: the index is shared by every run on the space
      return { ...(tops[tops.length === 1 ? 0 : ctx.rng.int(0, tops.length - 1)] as Params) };
    },
    ...(inner.tell ? { tell: inner.tell.bind(inner) } : {}),
    ...(inner.status ? { status: inner.status.bind(inner) } : {}),
  };
}
