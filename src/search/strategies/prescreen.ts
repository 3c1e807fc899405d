/**
 * Pre-screening of another strategy's proposals: cost-aware search and predictor-guided proposals.
 *
 * Per ask, the inner strategy (NSGA-II, evolution, TPE, ...) proposes `candidates` points (its offspring,
 * its samples) from the same history; only one of them becomes a trial. The others cost nothing:
 * - **cost-aware** (`costAware`): the study's cheap objectives (hardware cost from a model, a LUT or a
 *   table; `AskContext.cheapObjectives`) are computed exactly for every candidate. A candidate is skipped
 *   when it is dominated by an evaluated trial even if its expensive objectives (accuracy) matched the best
 *   value seen so far: training it cannot move the front unless it beats every architecture seen;
 * - **predictor** (`surrogate: 'gp'`): a Gaussian process per remaining objective over the candidate's
 *   encoding (one-hot per categorical parameter, one lengthscale per parameter; `encoding: 'path'`: NB201's
 *   path encoding (src/search/strategies/nb201-path.ts), one lengthscale per path feature; or an encoding given in
 *   code) predicts it from the evaluated trials; the expensive objectives are then the
 *   optimistic prediction mean - exploration x sd.
 * The candidate kept is the one whose (exact or predicted) objective vector adds most hypervolume to the
 * current front; when none adds any, the one nearest to the front (smallest additive epsilon that makes it
 * non-dominated). Without a surrogate, the first candidate that is not skipped is kept (the inner strategy's
 * own order). Every point already evaluated is skipped (same parameters).
 *
 * All state comes from history: the model's hyperparameters are refitted every `refitEvery` complete trials,
 * on the trials up to that point, with a seed derived from the count, so a resumed study proposes as an
 * uninterrupted one.
 */
import { ConfigError } from '../../errors.js';
import { Rng } from '../../util/rng.js';
import { GaussianProcess, type GpHyperparameters } from '../gp.js';
import { dominates, hypervolume, paretoFront, toMinimization, violation } from '../pareto.js';
import type { SearchSpace } from '../space.js';
import type { AskContext, Objective, Params, SearchStrategy, Trial } from '../types.js';
import { lengthscaleGroups } from './bayesian.js';
import { exactCostEhvi } from './ehvi.js';
import { nb201PathEncoding } from './nb201-path.js';

/** Options of {@link Prescreen}. */
export interface PrescreenOptions {
  /** Proposals of the inner strategy screened per trial (default 16). */
  readonly candidates?: number;
  /** Compute the study's cheap objectives exactly for every candidate (needs a cost-aware study; default false). */
  readonly costAware?: boolean;
  /** Model of the objectives that are not cheap: 'gp' (default) or 'none' (cost-aware skipping only). */
  readonly surrogate?: 'gp' | 'none';
  /** Complete trials before the model ranks candidates (default 20; before: the first candidate not skipped). */
  readonly startupTrials?: number;
  /** Complete trials between hyperparameter refits (default 20). */
  readonly refitEvery?: number;
  /** Most recent complete trials the model is fitted to (default 100). */
  readonly maxPoints?: number;
  /** Optimism of the predicted objectives: mean - exploration x sd, in minimisation (default 0.5). */
  readonly exploration?: number;
  /**
   * What the GP sees of a candidate: 'onehot' (default: one-hot per categorical parameter, the adjacency
   * encoding on NB201 cells) or 'path' (NB201 cells only: BANANAS's path encoding, src/search/strategies/nb201-path.ts).
   */
  readonly encoding?: 'onehot' | 'path';
  /**
   * How the model's prediction ranks candidates: 'optimistic' (default: the hypervolume the point mean -
   * exploration x sd adds) or 'ehvi' (cost-aware with exactly one predicted objective: the expected hypervolume
   * improvement under the GP's normal prediction, exact since the costs are known; src/search/strategies/ehvi.ts).
   */
  readonly acquisition?: 'optimistic' | 'ehvi';
  /**
   * With acquisition 'ehvi': keep the first candidate, in the inner strategy's order, whose
   * expected improvement is at least this share of the best candidate's (default 1: the best one). Below 1 the
   * inner strategy's own preference decides among candidates the model finds nearly as good.
   */
  readonly ehviShare?: number;
  /**
   * With acquisition 'ehvi': where the expected improvement's frame (normalisation and reference point) comes from.
   * 'observed' (default): every evaluated trial's range, reference at its worst value + 10% of the range.
   * 'front': the current feasible front's range, reference at its nadir + 10% of its range, after dropping front
   * points whose expensive objective is an outlier (worse than best + 3 x (median - best) of the evaluated values,
   * e.g. a cell cut off from its input at 1% accuracy that is on the front only for being the cheapest).
   */
  readonly ehviReference?: 'observed' | 'front';
  /**
   * With acquisition 'ehvi': a candidate whose exact costs equal an evaluated trial's is predicted as a repeat of it
   * (mean of those trials' expensive values, spread the model's noise / their count) instead of by the kernel
   * (default false).
   */
  readonly costRepeats?: boolean;
  /**
   * With acquisition 'ehvi': the model chooses on every n-th ask only (those where the study's trial count is a
   * multiple of n); the other asks keep the inner strategy's first candidate that is not skipped (default 1: every ask).
   */
  readonly ehviEvery?: number;
  /**
   * With ehviEvery > 1: what the asks the model skips keep: 'screened' (default: the inner strategy's first
   * candidate not skipped, cost-aware) or 'inner' (its first candidate not evaluated yet, dominated or not).
   */
  readonly ehviOthers?: 'screened' | 'inner';
  /**
   * With acquisition 'ehvi': end asks (default off). From `endAfter` complete trials on, every n-th ask (trial number a
   * multiple of n) the candidates are not the inner strategy's but every point not evaluated yet within `endRadius`
   * parameter changes of an END of the current front (after dropping outlying expensive values as ehviReference
   * 'front' does): alternately the two most accurate front points (the top end) and, per cheap objective, the cheapest
   * front point (the cheap end). The one with the largest expected hypervolume improvement is kept (a candidate with
   * an evaluated trial's exact costs predicted as a repeat, as costRepeats); when none has any, the ask proceeds as usual.
   */
  readonly endEvery?: number;
  /** With endEvery: which ends the end asks seek: 'both' (default: top and cheap alternately) or 'top' (the top end only). */
  readonly endSide?: 'both' | 'top';
  /** With endEvery: complete trials before the first end ask (default 100). */
  readonly endAfter?: number;
  /** With endEvery: parameter changes from an end point a candidate may have (default 2; 1-3). */
  readonly endRadius?: number;
}

/** How the model sees a candidate: an encoding in [0, 1]^d and the lengthscale group of each dimension. */
export interface PrescreenEncoding {
  readonly name: string;
  encode(p: Params): number[];
  /** Lengthscale group per dimension (default: one per dimension). */
  readonly groups?: readonly number[];
}

/** One-hot / unit encoding of the space, one lengthscale per categorical parameter (as the 'bo' strategy). */
export function spaceEncoding(space: SearchSpace): PrescreenEncoding {
  return { name: 'onehot', encode: (p) => space.encode(p), groups: lengthscaleGroups(space) };
}

const DEFAULTS = { candidates: 16, startupTrials: 20, refitEvery: 20, maxPoints: 100, exploration: 0.5 };

/** Checks the JSON options of 'prescreen' (ConfigError naming the bad one). */
export function checkPrescreenOptions(o: PrescreenOptions): void {
  const int = (k: keyof PrescreenOptions, lo: number, hi: number): void => {
    const v = o[k];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi))
      throw new ConfigError(`prescreen ${k} ${JSON.stringify(v)}: expected an integer in [${lo}, ${hi}]`);
  };
  int('candidates', 1, 10_000);
  int('startupTrials', 2, 1_000_000);
  int('refitEvery', 1, 1_000_000);
  int('maxPoints', 5, 2000);
  if (o.acquisition !== undefined && o.acquisition !== 'optimistic' && o.acquisition !== 'ehvi')
    throw new ConfigError(`prescreen acquisition ${JSON.stringify(o.acquisition)}: expected 'optimistic' or 'ehvi'`);
  if (o.acquisition === 'ehvi' && (o.costAware !== true || o.surrogate === 'none'))
    throw new ConfigError(
      "prescreen acquisition 'ehvi' needs costAware true and surrogate 'gp' (the expectation is over the GP's prediction of the expensive objective)",
    );
  if (o.ehviShare !== undefined && !(typeof o.ehviShare === 'number' && o.ehviShare > 0 && o.ehviShare <= 1))
    throw new ConfigError(`prescreen ehviShare ${JSON.stringify(o.ehviShare)}: expected a number in (0, 1]`);
  if (o.ehviReference !== undefined && o.ehviReference !== 'observed' && o.ehviReference !== 'front')
    throw new ConfigError(`prescreen ehviReference ${JSON.stringify(o.ehviReference)}: expected 'observed' or 'front'`);
  if (o.ehviReference !== undefined && o.acquisition !== 'ehvi')
    throw new ConfigError(`prescreen ehviReference '${o.ehviReference}' applies to acquisition 'ehvi' only`);
  int('ehviEvery', 1, 1000);
  if (o.ehviEvery !== undefined && o.acquisition !== 'ehvi') throw new ConfigError(`prescreen ehviEvery ${o.ehviEvery} applies to acquisition 'ehvi' only`);
  if (o.ehviOthers !== undefined && o.ehviOthers !== 'screened' && o.ehviOthers !== 'inner')
    throw new ConfigError(`prescreen ehviOthers ${JSON.stringify(o.ehviOthers)}: expected 'screened' or 'inner'`);
  if (o.ehviOthers !== undefined && !(o.acquisition === 'ehvi' && (o.ehviEvery ?? 1) > 1))
    throw new ConfigError(`prescreen ehviOthers '${o.ehviOthers}' applies to acquisition 'ehvi' with ehviEvery > 1 only`);
  int('endEvery', 2, 1000);
  int('endAfter', 2, 1_000_000);
  int('endRadius', 1, 3);
  if (o.endEvery !== undefined && o.acquisition !== 'ehvi') throw new ConfigError(`prescreen endEvery ${o.endEvery} applies to acquisition 'ehvi' only`);
  if (o.endSide !== undefined && o.endSide !== 'both' && o.endSide !== 'top')
    throw new ConfigError(`prescreen endSide ${JSON.stringify(o.endSide)}: expected 'both' or 'top'`);
  for (const k of ['endAfter', 'endRadius', 'endSide'] as const)
    if (o[k] !== undefined && o.endEvery === undefined) throw new ConfigError(`prescreen ${k} ${o[k]} applies with endEvery only`);
  if (o.costRepeats !== undefined && typeof o.costRepeats !== 'boolean')
    throw new ConfigError(`prescreen costRepeats ${JSON.stringify(o.costRepeats)}: expected true or false`);
  if (o.costRepeats === true && o.acquisition !== 'ehvi') throw new ConfigError("prescreen costRepeats applies to acquisition 'ehvi' only");
  if (o.ehviShare !== undefined && o.acquisition !== 'ehvi') throw new ConfigError(`prescreen ehviShare ${o.ehviShare} applies to acquisition 'ehvi' only`);
  if (o.exploration !== undefined && !(typeof o.exploration === 'number' && o.exploration >= 0 && o.exploration <= 10))
    throw new ConfigError(`prescreen exploration ${JSON.stringify(o.exploration)}: expected a number in [0, 10]`);
  if (o.surrogate !== undefined && o.surrogate !== 'gp' && o.surrogate !== 'none')
    throw new ConfigError(`prescreen surrogate ${JSON.stringify(o.surrogate)}: expected 'gp' or 'none'`);
  if (o.costAware !== undefined && typeof o.costAware !== 'boolean')
    throw new ConfigError(`prescreen costAware ${JSON.stringify(o.costAware)}: expected true or false`);
  if (o.encoding !== undefined && o.encoding !== 'onehot' && o.encoding !== 'path')
    throw new ConfigError(`prescreen encoding ${JSON.stringify(o.encoding)}: expected 'onehot' or 'path' (NB201 cells)`);
  if (o.surrogate === 'none' && o.costAware !== true)
    throw new ConfigError("prescreen surrogate 'none' screens nothing without costAware: set costAware true or surrogate 'gp'");
}

/** Screening counters of one strategy instance (for benches and tests; not part of the study's state). */
export interface PrescreenStats {
  /** Candidates proposed by the inner strategy. */
  proposed: number;
  /** Candidates skipped as surely dominated (cost-aware) or already evaluated. */
  skipped: number;
  /** Asks where every candidate was skipped (the nearest one to the front was kept anyway). */
  allSkipped: number;
  /** Asks answered by an end ask (endEvery). */
  endAsks: number;
}

/** Pre-screens the proposals of `inner` (see the module doc). */
export class Prescreen implements SearchStrategy {
  readonly name = 'prescreen';
  readonly stats: PrescreenStats = { proposed: 0, skipped: 0, allSkipped: 0, endAsks: 0 };
  private readonly o: typeof DEFAULTS & {
    costAware: boolean;
    surrogate: 'gp' | 'none';
    encoding: 'onehot' | 'path';
    acquisition: 'optimistic' | 'ehvi';
    ehviShare: number;
    ehviReference: 'observed' | 'front';
    costRepeats: boolean;
    ehviEvery: number;
    ehviOthers: 'screened' | 'inner';
    endEvery: number;
    endAfter: number;
    endRadius: number;
    endSide: 'both' | 'top';
  };
  private readonly hyperMemo = new Map<string, GpHyperparameters>();

  constructor(
    private readonly inner: SearchStrategy,
    options: PrescreenOptions = {},
    private readonly encoding?: PrescreenEncoding,
  ) {
    checkPrescreenOptions(options);
    this.o = {
      candidates: options.candidates ?? DEFAULTS.candidates,
      startupTrials: options.startupTrials ?? DEFAULTS.startupTrials,
      refitEvery: options.refitEvery ?? DEFAULTS.refitEvery,
      maxPoints: options.maxPoints ?? DEFAULTS.maxPoints,
      exploration: options.exploration ?? DEFAULTS.exploration,
      costAware: options.costAware ?? false,
      surrogate: options.surrogate ?? 'gp',
      encoding: options.encoding ?? 'onehot',
      acquisition: options.acquisition ?? 'optimistic',
      ehviShare: options.ehviShare ?? 1,
      ehviReference: options.ehviReference ?? 'observed',
      costRepeats: options.costRepeats ?? false,
      ehviEvery: options.ehviEvery ?? 1,
      ehviOthers: options.ehviOthers ?? 'screened',
      endEvery: options.endEvery ?? 0,
      endAfter: options.endAfter ?? 100,
      endRadius: options.endRadius ?? 2,
      endSide: options.endSide ?? 'both',
    };
  }

  /** The registry name of the strategy whose proposals are screened. */
  get innerName(): string {
    return this.inner.name;
  }

  tell(trial: Trial, ctx: { readonly objectives: readonly Objective[] }): void {
    this.inner.tell?.(trial, ctx);
  }

  async ask(ctx: AskContext): Promise<Params> {
    const m = ctx.objectives.length;
    const cheap = this.o.costAware ? ctx.cheapObjectives : undefined;
    if (this.o.costAware && !cheap)
      throw new ConfigError(
        `strategy '${this.name}' is cost-aware but the study declares no cheap objectives (its evaluation gives no cost model / table for them)`,
      );
    const cheapSet = new Set(cheap?.indices ?? []);
    for (const i of cheapSet)
      if (!(Number.isInteger(i) && i >= 0 && i < m)) throw new ConfigError(`cheap objective index ${i}: expected an integer in [0, ${m - 1}]`);
    const predicted = Array.from({ length: m }, (_, k) => k).filter((k) => !cheapSet.has(k));

    // Evaluated trials: minimisation vectors, the feasible front, the seen parameters.
    const done = ctx.history.filter((t) => t.state === 'complete' && t.values !== null && t.values.every(Number.isFinite));
    const seen = new Set(ctx.history.map((t) => keyOf(t.params)));
    const vals = done.map((t) => toMinimization(t.values as number[], ctx.objectives));
    const feas = vals.filter((_, i) => violation((done[i] as Trial).constraints) <= 0);
    const bestSeen = Array.from({ length: m }, (_, k) => Math.min(Infinity, ...vals.map((v) => v[k] as number)));

    // End asks (endEvery): a neighbour of an end of the front, by expected hypervolume improvement; else as usual.
    if (
      this.o.endEvery > 0 &&
      cheap &&
      predicted.length === 1 &&
      done.length >= Math.max(this.o.endAfter, this.o.startupTrials) &&
      feas.length > 0 &&
      ctx.trialNumber % this.o.endEvery === 0
    ) {
      const p = this.endAsk(ctx, cheap, predicted[0] as number, done, vals, seen);
      if (p) {
        this.stats.endAsks++;
        return p;
      }
    }

    // The candidates and their exact cheap objectives.
    const cands: { p: Params; y: (number | undefined)[]; costless?: true }[] = [];
    for (let c = 0; c < this.o.candidates; c++) {
      const p = await this.inner.ask(ctx);
      this.stats.proposed++;
      const y: (number | undefined)[] = new Array(m).fill(undefined);
      if (cheap) {
        const v = cheap.values(p);
        if (v.length !== cheap.indices.length)
          throw new ConfigError(`cheap objectives returned ${JSON.stringify(v)}; expected ${cheap.indices.length} numbers`);
        const dir = cheap.indices.map((i) => ctx.objectives[i]?.direction);
        cheap.indices.forEach((i, j) => {
          y[i] = dir[j] === 'maximize' ? -(v[j] as number) : (v[j] as number);
        });
        // A candidate the cost model cannot cost (NaN: e.g. absent from a table) is skipped.
        if (!v.every(Number.isFinite)) {
          cands.push({ p, y, costless: true });
          continue;
        }
      }
      cands.push({ p, y });
    }

    // Skipping: already evaluated; cost-aware: dominated even at the best expensive values seen.
    const surelyDominated = (y: readonly (number | undefined)[]): boolean => {
      if (!cheap || feas.length === 0) return false;
      const opt = y.map((v, k) => (v === undefined ? (bestSeen[k] as number) : v));
      return feas.some((f) => dominates(f, opt) || f.every((x, k) => x === opt[k]));
    };
    const alive = cands.filter((c) => !c.costless && !seen.has(keyOf(c.p)) && !surelyDominated(c.y));
    this.stats.skipped += cands.length - alive.length;
    if (alive.length === 0) this.stats.allSkipped++;
    const pool = alive.length > 0 ? alive : cands.filter((c) => !c.costless).length > 0 ? cands.filter((c) => !c.costless) : cands;

    const useModel = this.o.surrogate === 'gp' && done.length >= this.o.startupTrials && feas.length > 0 && ctx.history.length % this.o.ehviEvery === 0;
    if (!useModel) {
      // with ehviOthers 'inner' (only accepted with ehviEvery > 1), an ask the model skips keeps the inner strategy's
      // first proposal not evaluated yet, dominated or not (plain inner strategy); else the first one not skipped
      if (this.o.ehviOthers === 'inner' && done.length >= this.o.startupTrials) {
        const first = cands.find((c) => !c.costless && !seen.has(keyOf(c.p)));
        if (first) return first.p;
      }
      return (pool[0] as { p: Params }).p;
    }
    const enc = this.encoding ?? (this.o.encoding === 'path' ? nb201PathEncoding(ctx.space) : spaceEncoding(ctx.space));
    const window = done.slice(Math.max(0, done.length - this.o.maxPoints));
    const wv = vals.slice(Math.max(0, done.length - this.o.maxPoints));
    const x = window.map((t) => enc.encode(t.params));
    if (this.o.acquisition === 'ehvi') {
      if (predicted.length !== 1)
        throw new ConfigError(
          `prescreen acquisition 'ehvi' needs exactly one objective that is not cheap; the study has ${predicted.length} (${predicted.map((k) => ctx.objectives[k]?.name).join(', ')})`,
        );
      const k = predicted[0] as number;
      // no candidate could be costed (every one NaN: e.g. points a table has no row for): nothing to score; the inner
      // strategy's first proposal, as the other acquisitions end up with (its failed evaluation marks it seen)
      if (pool.every((c) => c.costless)) return (pool[0] as { p: Params }).p;
      const gp = GaussianProcess.withHyperparameters(
        x,
        wv.map((v) => v[k] as number),
        this.hyper(done, vals, k, enc),
      );
      const preds = pool.map((c) => gp.predict(enc.encode(c.p)));
      if (this.o.costRepeats) repeatPredictions(done, vals, k, gp.noiseVarianceInTargetUnits, pool, preds);
      const score = ehviScorer(feas, k, this.o.ehviReference);
      const scores = pool.map((c, i) => {
        const { mean, variance } = preds[i] as { mean: number; variance: number };
        return score(c.y, mean, Math.sqrt(Math.max(0, variance)));
      });
      const top = Math.max(...scores);
      // the first candidate within the share of the best (the best itself with share 1; the best when none gains)
      const i0 = scores.findIndex((v) => (top > 0 ? v >= this.o.ehviShare * top : v === top));
      return (pool[i0] as { p: Params }).p;
    }
    for (const k of predicted) {
      const y = wv.map((v) => v[k] as number);
      const gp = GaussianProcess.withHyperparameters(x, y, this.hyper(done, vals, k, enc));
      for (const c of pool) {
        const { mean, variance } = gp.predict(enc.encode(c.p));
        c.y[k] = mean - this.o.exploration * Math.sqrt(variance);
      }
    }
    const score = frontScorer(feas);
    let best = pool[0] as { p: Params; y: (number | undefined)[] };
    let bestS = -Infinity;
    for (const c of pool) {
      const s = score(c.y as number[]);
      if (s > bestS) {
        bestS = s;
        best = c;
      }
    }
    return best.p;
  }

  /**
   * One end ask: the top end (the two most accurate points of the trimmed front) on even end asks, the cheap end (the
   * cheapest trimmed-front point per cheap objective) on odd ones; every point not evaluated within endRadius changes
   * of them is a candidate; the one with the largest expected hypervolume improvement is returned (none: undefined).
   */
  private endAsk(
    ctx: AskContext,
    cheap: NonNullable<AskContext['cheapObjectives']>,
    k: number,
    done: readonly Trial[],
    vals: readonly number[][],
    seen: ReadonlySet<string>,
  ): Params | undefined {
    const feasIdx = done.map((_, i) => i).filter((i) => violation((done[i] as Trial).constraints) <= 0);
    const fv = feasIdx.map((i) => vals[i] as number[]);
    const kept = new Set(trimmedFront(fv, k));
    const front = paretoFront(fv)
      .filter((j) => kept.has(fv[j] as number[]))
      .map((j) => ({ y: fv[j] as number[], p: (done[feasIdx[j] as number] as Trial).params }));
    if (front.length === 0) return undefined;
    const top = this.o.endSide === 'top' || Math.floor(ctx.trialNumber / this.o.endEvery) % 2 === 0;
    const centres: Params[] = [];
    if (top) {
      const byAcc = [...front].sort((a, b) => (a.y[k] as number) - (b.y[k] as number));
      for (const f of byAcc.slice(0, 2)) centres.push(f.p);
    } else
      for (const j of cheap.indices) {
        const c = front.reduce((a, b) =>
          (b.y[j] as number) < (a.y[j] as number) || ((b.y[j] as number) === (a.y[j] as number) && (b.y[k] as number) < (a.y[k] as number)) ? b : a,
        );
        centres.push(c.p);
      }
    const m = ctx.objectives.length;
    const pool: { p: Params; y: number[] }[] = [];
    const inPool = new Set<string>();
    for (const c of centres)
      for (const p of neighbours(ctx.space, c, this.o.endRadius)) {
        const key = keyOf(p);
        if (seen.has(key) || inPool.has(key)) continue;
        inPool.add(key);
        const v = cheap.values(p);
        if (v.length !== cheap.indices.length || !v.every(Number.isFinite)) continue;
        const y = new Array<number>(m).fill(0);
        cheap.indices.forEach((i, j) => {
          y[i] = ctx.objectives[i]?.direction === 'maximize' ? -(v[j] as number) : (v[j] as number);
        });
        pool.push({ p, y });
      }
    if (pool.length === 0) return undefined;
    const enc = this.encoding ?? (this.o.encoding === 'path' ? nb201PathEncoding(ctx.space) : spaceEncoding(ctx.space));
    const lo = Math.max(0, done.length - this.o.maxPoints);
    const gp = GaussianProcess.withHyperparameters(
      done.slice(lo).map((t) => enc.encode(t.params)),
      vals.slice(lo).map((v) => v[k] as number),
      this.hyper(done, vals, k, enc),
    );
    const preds = pool.map((c) => gp.predict(enc.encode(c.p)));
    repeatPredictions(done, vals, k, gp.noiseVarianceInTargetUnits, pool, preds);
    const score = ehviScorer(fv, k, this.o.ehviReference);
    let best = -1;
    let bestS = 0;
    pool.forEach((c, i) => {
      const { mean, variance } = preds[i] as { mean: number; variance: number };
      const s = score(c.y, mean, Math.sqrt(Math.max(0, variance)));
      if (s > bestS) {
        bestS = s;
        best = i;
      }
    });
    return best >= 0 ? (pool[best] as { p: Params }).p : undefined;
  }

  /** Hyperparameters of objective `k`'s model: those fitted at the last refit point (memoised; deterministic from history). */
  private hyper(done: readonly Trial[], vals: readonly number[][], k: number, enc: PrescreenEncoding): GpHyperparameters {
    const r = this.o.startupTrials + Math.floor((done.length - this.o.startupTrials) / this.o.refitEvery) * this.o.refitEvery;
    const lo = Math.max(0, r - this.o.maxPoints);
    const key = `${k}|${enc.name}|${r}|${done[lo]?.number}|${done[r - 1]?.number}|${done.length > 0 ? (done[0] as Trial).startedAt : ''}`;
    const hit = this.hyperMemo.get(key);
    if (hit) return hit;
    const prefix = done.slice(lo, r);
    const fit = GaussianProcess.fit(
      prefix.map((t) => enc.encode(t.params)),
      vals.slice(lo, r).map((v) => v[k] as number),
      new Rng(0x9e5c + 31 * r + k),
      { restarts: 1, ...(enc.groups ? { groups: enc.groups } : {}) },
    ).hyper;
    if (this.hyperMemo.size > 64) this.hyperMemo.clear();
    this.hyperMemo.set(key, fit);
    return fit;
  }
}

/**
 * Scores objective vectors (minimisation) against the front of `points`: the hypervolume a vector adds
 * (normalised by the points' range, reference at the worst value + 10% of the range), or, when it adds
 * none, minus the additive epsilon by which it must improve on every objective to be non-dominated.
 */
export function frontScorer(points: readonly (readonly number[])[]): (y: readonly number[]) => number {
  const m = (points[0] as readonly number[]).length;
  const lo = Array.from({ length: m }, (_, k) => Math.min(...points.map((p) => p[k] as number)));
  const hi = Array.from({ length: m }, (_, k) => Math.max(...points.map((p) => p[k] as number)));
  const span = lo.map((l, k) => (hi[k] as number) - l || 1);
  const norm = (p: readonly number[]): number[] => p.map((v, k) => (v - (lo[k] as number)) / (span[k] as number));
  const np = points.map(norm);
  const front = paretoFront(np).map((i) => np[i] as number[]);
  const ref = new Array<number>(m).fill(1.1);
  const base = hypervolume(front, ref);
  return (y) => {
    const ny = norm(y);
    const dominated = front.some((f) => dominates(f, ny) || f.every((v, k) => v === ny[k]));
    if (!dominated) {
      const gain = hypervolume([...front, ny], ref) - base;
      // Beyond the reference box a point adds no volume; it still beats every dominated candidate.
      return gain > 0 ? gain : 0;
    }
    let eps = -Infinity;
    for (const f of front) {
      let need = Infinity;
      for (let k = 0; k < m; k++) need = Math.min(need, (ny[k] as number) - (f[k] as number));
      eps = Math.max(eps, need);
    }
    return -eps - 1e-12;
  };
}

/**
 * Scores candidates by their exact expected hypervolume improvement over the front of `points` (minimisation),
 * objective `k` unknown (normal, mean and sd in the points' units), the others exact; normalised and with the
 * reference as {@link frontScorer}. A candidate with no expected gain (beyond the reference) scores minus its
 * additive epsilon at the mean, as in frontScorer, below every candidate with a gain.
 */
export function ehviScorer(
  points: readonly (readonly number[])[],
  k: number,
  reference: 'observed' | 'front' = 'observed',
): (y: readonly (number | undefined)[], mean: number, sd: number) => number {
  const m = (points[0] as readonly number[]).length;
  // the expensive objective's frame from the trimmed front with reference 'front', every other one from every point
  const trimmed = reference === 'front' ? trimmedFront(points, k) : points;
  const frame = (j: number): readonly (readonly number[])[] => (j === k ? trimmed : points);
  const lo = Array.from({ length: m }, (_, j) => Math.min(...frame(j).map((p) => p[j] as number)));
  const hi = Array.from({ length: m }, (_, j) => Math.max(...frame(j).map((p) => p[j] as number)));
  const span = lo.map((l, j) => (hi[j] as number) - l || 1);
  const np = points.map((p) => p.map((v, j) => (v - (lo[j] as number)) / (span[j] as number)));
  const front = paretoFront(np).map((i) => np[i] as number[]);
  const ref = new Array<number>(m).fill(1.1);
  const fallback = frontScorer(points);
  return (y, mean, sd) => {
    const ny = y.map((v, j) => (j === k ? 0 : ((v as number) - (lo[j] as number)) / (span[j] as number)));
    const e = exactCostEhvi(front, ref, ny, k, (mean - (lo[k] as number)) / (span[k] as number), sd / (span[k] as number));
    if (e > 0) return e;
    const at = y.map((v, j) => (j === k ? mean : (v as number)));
    return Math.min(fallback(at), 0) - 1e-9;
  };
}

/**
 * The feasible front of `points` (minimisation) without the points whose objective `k` is an outlier: worse than
 * best + 3 x (median - best) of every point's objective k. The whole front when that would leave none.
 */
export function trimmedFront(points: readonly (readonly number[])[], k: number): (readonly number[])[] {
  const front = paretoFront(points).map((i) => points[i] as readonly number[]);
  const v = points.map((p) => p[k] as number).sort((a, b) => a - b);
  const best = v[0] as number;
  const median = v[Math.floor((v.length - 1) / 2)] as number;
  const cut = best + 3 * (median - best);
  const kept = front.filter((f) => (f[k] as number) <= cut);
  return kept.length > 0 ? kept : front;
}

/**
 * Replaces the predictions of the candidates whose exact costs equal an evaluated feasible trial's: the mean of those
 * trials' objective k, variance the model's noise / their count (a repeat of that computation, not the kernel's guess).
 */
function repeatPredictions(
  done: readonly Trial[],
  vals: readonly number[][],
  k: number,
  noise: number,
  pool: readonly { y: readonly (number | undefined)[] }[],
  preds: { mean: number; variance: number }[],
): void {
  const byCost = new Map<string, number[]>();
  done.forEach((t, i) => {
    if (violation(t.constraints) > 0) return;
    const key = costKey(vals[i] as number[], k);
    const list = byCost.get(key) ?? [];
    list.push((vals[i] as number[])[k] as number);
    byCost.set(key, list);
  });
  pool.forEach((c, i) => {
    const seenVals = byCost.get(costKey(c.y, k));
    if (seenVals) preds[i] = { mean: seenVals.reduce((a, b) => a + b, 0) / seenVals.length, variance: noise / seenVals.length };
  });
}

/**
 * The points within `radius` parameter changes of `centre` (itself excluded): categorical parameters take their other
 * choices, integer ones with at most 64 values their other values; other parameters stay. At most 20,000 points.
 */
export function neighbours(space: SearchSpace, centre: Params, radius: number): Params[] {
  const alts = space.names.map((n) => {
    const sp = space.spec(n);
    const v = centre[n];
    if (sp.kind === 'categorical') return sp.choices.filter((c) => c !== v);
    if (sp.kind === 'int') {
      const step = sp.step ?? 1;
      const count = Math.floor((sp.high - sp.low) / step) + 1;
      if (count > 64) return [];
      return Array.from({ length: count }, (_, i) => sp.low + i * step).filter((x) => x !== v);
    }
    return [];
  });
  const out: Params[] = [];
  const walk = (from: number, p: Params, left: number): void => {
    for (let i = from; i < space.names.length && out.length < 20_000; i++) {
      const n = space.names[i] as string;
      for (const a of alts[i] as unknown[]) {
        const q = { ...p, [n]: a } as Params;
        out.push(q);
        if (left > 1) walk(i + 1, q, left - 1);
      }
    }
  };
  walk(0, centre, radius);
  return out;
}

/** The exact costs of a minimisation vector: every coordinate but `k`. */
function costKey(y: readonly (number | undefined)[], k: number): string {
  return JSON.stringify(y.filter((_, j) => j !== k));
}

function keyOf(p: Params): string {
  return JSON.stringify(
    Object.keys(p)
      .sort()
      .map((k) => [k, p[k]]),
  );
}
