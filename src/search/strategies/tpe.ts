/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), multi-objective as in MOTPE (Ozaki et al.
 * 2020/2022) and with the multivariate kernel of Falkner et al. (BOHB) as Optuna's TPE sampler offers it.
 *
 * Each ask splits the complete trials into a "below" set (the best `gamma(n)`: for one objective the
 * smallest values; for several, whole non-dominated fronts, the last one cut by greedy hypervolume subset
 * selection; feasible trials always before infeasible ones, which are ranked by total violation) and an
 * "above" set, fits a Parzen estimator (a mixture of one kernel per trial plus a wide prior kernel) to
 * each, draws candidates from the below density l(x) and proposes the one maximising l(x) / g(x).
 * - univariate: one estimator per dimension, each dimension chosen on its own (Optuna's default);
 * - multivariate: one joint estimator (product kernels), candidates compared jointly.
 * Dimensions: float (truncated Gaussian, log scale where asked); int, an ordinal parameter (Gaussian
 * discretised on its grid: the kernel's mass over each value's cell); categorical (a kernel that puts most
 * of its mass on the trial's choice); structured (each dimension of the codec's [0, 1] encoding as a
 * float, decoded by the codec). Candidates equal to an already evaluated point are skipped (option
 * `skipSeen`, default on: on a discrete space a repeat is a wasted query). State comes from history only.
 * Differences from Optuna's sampler are listed in docs/search-strategies.md.
 */
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../util/rng.js';
import { cholesky, solveLower, solveUpperT } from '../linalg.js';
import { hypervolume, nonDominatedSort, paretoFront, toMinimization, violation } from '../pareto.js';
import { categoricalIndex, type ParamSpec, type SearchSpace, sampleParam } from '../space.js';
import { type AskContext, type CheapObjectives, failedOnItsPoint, type JsonValue, type Params, type SearchStrategy, type Trial } from '../types.js';
import { normCdf } from './bayesian.js';
import { breed, NSGA2_VARIATION } from './variation.js';

/** Options of {@link Tpe}. */
export interface TpeOptions {
  /** Random trials before the estimators are used (default 10). */
  readonly startupTrials?: number;
  /** Candidates drawn from l(x) per ask (per dimension when univariate; default 24). */
  readonly candidates?: number;
  /** One joint estimator over all dimensions (default true; false: one per dimension, Optuna's default). */
  readonly multivariate?: boolean;
  /** Weight of the prior kernel in each mixture (default 1). */
  readonly priorWeight?: number;
  /** Share of the complete trials in the below set (default 0.1), capped by `maxBelow`. */
  readonly gamma?: number;
  /** Most trials in the below set (default 25). */
  readonly maxBelow?: number;
  /** Skip candidates equal to an already evaluated point (default true). */
  readonly skipSeen?: boolean;
  /**
   * How the start-up trials are drawn: 'stratified' (default: every value of every categorical parameter
   * as evenly as the trials allow; other parameters uniform, and a space without categorical parameters
   * exactly as 'random'), or 'random' (independent uniform draws, as Optuna; the default before session 30).
   */
  readonly startup?: 'stratified' | 'random';
  /**
   * Class-aware densities (multivariate, where the context gives a class key, `AskContext.classOf`; default false).
   * A trial then says "this class is good / bad": on each categorical parameter its kernel spreads its weight
   * evenly over the values that keep the trial's class (a dead edge: every value), not only the value sampled (a
   * value joins only if it also keeps the class together with every value of the earlier parameters' spreads, so
   * two edges that revive a node together do not both spread); candidates are drawn from these kernels, scored the
   * same way (a parameter's kernel mass over the values that keep the candidate's class), and one of an already
   * evaluated class is skipped. Without a class key it runs exactly as without the option.
   */
  readonly classAware?: boolean;
  /**
   * With 3 or more objectives (default false): the below set holds the whole first front of the feasible trials when
   * it is larger than `gamma(n)` (at most `2 * maxBelow`), so no front point is cut by hypervolume subset selection.
   * Fewer objectives: no change.
   */
  readonly wholeFront?: boolean;
  /**
   * How the below trials are weighted with 2 or more objectives: 'hv' (default, MOTPE: each trial's hypervolume
   * contribution within the feasible below set over the largest), 'sqrt' (the square root of that share, so one trial
   * beside a wide gap of the front no longer holds most of l(x)'s mass), or 'flat' (every below trial 1, as with one
   * objective). One objective: every below trial 1 whatever the option.
   */
  readonly belowWeighting?: 'hv' | 'sqrt' | 'flat';
  /**
   * End asks (2 or more objectives; default 0 = off): once `endFrom` trials are complete, every `endEvery`-th ask
   * (counted by complete trials) fits l(x) / g(x) for ONE objective, an end of the front: the below set is the best
   * `gamma(n)` feasible trials on that objective alone, each weighing 1, as TPE with one objective. The end asks cycle
   * over the ends that `endObjectives` names. Other asks: unchanged. One objective: no change.
   */
  readonly endEvery?: number;
  /** Complete trials before the first end ask (default 100). */
  readonly endFrom?: number;
  /**
   * Which ends the end asks push: 'all' (default: the first objective's best end, then each other objective's, in turn)
   * or 'first' (the first objective only, e.g. the accuracy end of an accuracy / cost problem).
   */
  readonly endObjectives?: 'all' | 'first';
  /**
   * How an end ask proposes: 'sample' (default: `candidates` draws from the end's l(x), as any ask) or 'neighbours'
   * (every unevaluated point that differs from the end's best trial in 1 to 3 categorical parameters, at most 300
   * drawn at random where there are more, ranked by the end's log l - log g; a point of an evaluated class is passed
   * over where the context gives a class key). Multivariate only; a space without categorical parameters samples.
   */
  readonly endProposal?: 'sample' | 'neighbours';
  /**
   * New-class asks (multivariate, where the context gives a class key, `AskContext.classOf`, as the NAS repeat filter
   * does; default 0 = off). An ask draws up to `classRounds` rounds of `candidates` from l(x) and proposes the one with
   * the largest log l - log g whose computation class is not yet evaluated (the first round is the plain ask's draw, so
   * where its best unevaluated point is of a new class the proposal is the plain one). The densities are unchanged (unlike
   * `classAware`). Where every candidate is of an evaluated class, see `classPool`.
   */
  readonly classRounds?: number;
  /**
   * With `classRounds`, where no candidate from l(x) is of a new class (default 0): `classPool` x `candidates` points
   * drawn uniformly over the space are scored by the same log l - log g and the best of a new class is proposed (TPE's
   * ranking of a wider pool, not a uniform proposal). 0, or none of a new class: the best candidate from l(x) is
   * proposed (a repeat, which the repeat filter asks again, as without the option).
   */
  readonly classPool?: number;
  /**
   * Which candidate of a `classRounds` round may be proposed: 'any' (default: the best-scored one of a new class) or
   * 'top' (only the round's best unevaluated candidate, if of a new class, as the repeat filter's re-asks take it; after
   * the rounds, the best-scored candidate of a new class among all rounds' draws, then `classPool`).
   */
  readonly classPick?: 'any' | 'top';
  /**
   * Gap asks (2 or more objectives; default 0 = off): once `gapFrom` trials are complete, every `gapEvery`-th ask
   * (counted by complete trials; an end ask takes precedence) fits l(x) to the trials nearest one gap of the current
   * front of the feasible trials, each weighing 1, and g(x) to the others. With 2 objectives a gap is the box between
   * two neighbouring front points (the objectives scaled by the front's range; its size, the box's area); the trials
   * nearest it are those with the smallest sum, over the objectives, of how far (scaled) they lie beyond the box's
   * worse corner (the two neighbours themselves: 0). With 3 or more, the gap is a front point's exclusive hypervolume
   * contribution (reference 10% beyond the front's worst values) and the nearest trials are measured the same way from
   * that point. The below set keeps its size, `gamma(n)` trials. One objective, or a front of fewer than 2 distinct
   * points: an ordinary ask.
   */
  readonly gapEvery?: number;
  /** Complete trials before the first gap ask (default 50). */
  readonly gapFrom?: number;
  /**
   * Which gap a gap ask fills: 'largest' (default), 'area' (one drawn at random with probability proportional to its
   * size) or 'tried' (2 objectives: the largest size / (1 + the feasible trials whose value on either objective lies
   * strictly between the two neighbours' values, tries that did not fill it); 3 or more objectives as 'largest').
   */
  readonly gapPick?: 'largest' | 'area' | 'tried';
  /**
   * How a gap ask proposes: 'sample' (default: `candidates` draws from the gap's l(x), as any ask) or 'cross' (the
   * crossings of the gap's two front vectors: every unevaluated point whose each categorical parameter takes the value
   * of a trial of one or of the other, ranked by the gap's log l - log g; a point of an evaluated class is passed over
   * where the context gives a class key; with 3 or more objectives the chosen front vector and its nearest other front
   * vector), or 'neighbours' (the first trial of one of the two vectors, drawn at random: its unevaluated points 1-3
   * categorical choices away, ranked and filtered as `endProposal` 'neighbours' does). Multivariate only; where there is
   * no such point, the gap ask samples.
   */
  readonly gapProposal?: 'sample' | 'cross' | 'neighbours';
  /**
   * Scalarised asks (2 or more objectives; default 0 = off): every `scalarEvery`-th model ask (counted by complete
   * trials from the end of the start-up) fits l(x) to the best `gamma(n)` feasible trials under an augmented Chebyshev
   * scalarisation with a weight vector drawn uniformly from the simplex (objectives scaled by the current front's range),
   * each weighing 1, and g(x) to the others: a second below-set definition alternating with MOTPE's, so that one
   * model's early lock on a part of the front does not own the run. An end or gap ask takes precedence.
   */
  readonly scalarEvery?: number;
  /**
   * The scalarised asks' weight vectors: 'random' (default: uniform on the simplex) or 'golden' (2 objectives: the j-th
   * scalarised ask weighs the first objective frac(0.5 + j * 0.618...), a low-discrepancy sweep that covers the front's
   * trade-offs evenly whatever the seed; 3 or more objectives as 'random').
   */
  readonly scalarWeights?: 'random' | 'golden';
  /**
   * Offspring asks (default 0 = off): every `offspringEvery`-th model ask (counted by complete trials from the end of
   * the start-up) proposes an evolutionary child of the current front instead of a draw from l(x): two parents drawn
   * uniformly from the first non-dominated front of the feasible complete trials (none feasible: the below set),
   * crossed with probability 0.9 and mutated by NSGA-II's operators (src/search/strategies/variation.ts; each parameter
   * with probability `offspringMutation` / parameters). A child that is an evaluated point, or of an evaluated class
   * where the context gives a class key, is drawn again (at most 100 draws). With `offspringPool` > 1, that many distinct
   * such children are drawn and the one with the largest log l - log g is proposed. No such child: the ordinary ask.
   */
  readonly offspringEvery?: number;
  /** Children drawn per offspring ask, the best by log l - log g proposed (default 1: the first child). */
  readonly offspringPool?: number;
  /** Expected parameters mutated per child (default 1: NSGA-II's 1 / parameters per parameter). */
  readonly offspringMutation?: number;
  /**
   * Failed trials in g(x) (a weight in [0, 1]; default 1 since session 43, 0 = off as before): every trial of the history
   * that failed on its point (`failedOnItsPoint`: a query that gave no values, e.g. a point the table has no row for; not
   * a trial whose process died or was interrupted) joins the above set as one more kernel, its recency weight (Optuna's
   * ramp over the above set in history order) times `failedAbove`, so g(x) grows where queries fail and l(x) / g(x)
   * falls there. The below set and `gamma(n)` are those of the complete trials alone; in g(x) a failed kernel is like any
   * other (bandwidths count it; categorical rows the same). Both univariate and multivariate.
   */
  readonly failedAbove?: number;
  /** With `failedAbove`: only the newest `failedLast` failed trials join g(x) (default 0 = all). */
  readonly failedLast?: number;
  /**
   * Class-uniform draws (default 0 = off; a share q in [0, 1]), where the context gives a class key
   * (`AskContext.classOf`) and the space is categorical with at most 200,000 points (enumerated once per key): a
   * class-uniform draw picks a class not yet evaluated uniformly among the space's classes, then a point of it
   * uniformly. Where (`classMixAt`): 'both' (default) a start-up draw is class-uniform with probability q, and a
   * multivariate candidate drawn from l(x)'s prior kernel is replaced by a class-uniform draw with probability q (it is
   * still ranked by log l - log g); 'startup' the start-up only; 'prior' the prior candidates only; 'ask' the start-up as
   * 'both', and a share q of the model asks (by trial number, so the repeat filter's re-asks of one trial agree)
   * propose a class-uniform draw outright; 'ranked' (session 44) as 'ask', but such an ask proposes the best of
   * `candidates` class-uniform draws by log l - log g. No class key, or another space: exactly as without the option.
   */
  readonly classMix?: number;
  /** Where `classMix` acts: 'both' (default), 'startup', 'prior', 'ask' or 'ranked' (see `classMix`). */
  readonly classMixAt?: 'both' | 'startup' | 'prior' | 'ask' | 'ranked';
  /**
   * With `classMix`: act only on a space whose classes hold at least this many points on average (points / classes of
   * the enumerated space; default 0 = every space). Where the mean class is near one point a class-uniform draw is
   * nearly a uniform one, which TPE's start-up and prior kernel already make; where it is large (EC-NAS: 27,648
   * encodings in 2,533 classes, 10.9) class-uniform draws reach the small classes that uniform draws almost never do.
   * Below the bar, or a space that is not enumerated: exactly as without `classMix`.
   */
  readonly classMixMinSize?: number;
  /**
   * Front local-search asks (session 45; default 0 = off): once `frontLocalFrom` trials are complete, every
   * `frontLocalEvery`-th ask (counted by complete trials; an end, gap, scalarised or offspring ask takes precedence)
   * proposes a neighbour of the WHOLE current front instead of a draw from l(x): every unevaluated point 1 to
   * `frontLocalRadius` categorical choices from a trial of the first non-dominated front of the feasible complete trials
   * (per front trial at most 300, drawn at random where there are more, as `endProposal` 'neighbours'), the one with the
   * largest log l - log g of the ordinary ask's l(x) and g(x); a point of an evaluated class is passed over where the
   * context gives a class key. A Pareto local search step ranked by TPE. Multivariate only; a space without categorical
   * parameters, or no such point: the ordinary ask.
   */
  readonly frontLocalEvery?: number;
  /** Complete trials before the first front local-search ask (default 100). */
  readonly frontLocalFrom?: number;
  /** Most categorical choices a front local-search proposal differs by from its front trial (1-3; default 1). */
  readonly frontLocalRadius?: number;
  /**
   * With `frontLocalEvery`: front local-search asks pause once this many complete trials in a row have not entered the
   * front (no trial non-dominated by, and differing in its values from, every feasible complete trial before it), and
   * resume when one does (a local or an ordinary ask); those asks are ordinary ones meanwhile. Default 0: never pause.
   * A stall bound (session 46): on tnb-autoenc-edgetpu seed 4 the last front entry came at trial 180 and the local asks
   * kept half the asks for the 120 trials after it, where `tpe` found the high-accuracy end through l(x).
   */
  readonly frontLocalStall?: number;
  /**
   * With `frontLocalEvery` (session 48; default 0 = every front trial): a front local-search ask takes as targets only
   * the front trials whose computation class holds at most this many points of the space (the class key the context
   * gives, `AskContext.classOf`, over the enumerated space, as `classMix` enumerates it); none such, no class key or a
   * space that is not enumerated: the ordinary ask. Why (session 47's diagnosis of TransNAS micro): the bad seeds miss
   * front classes of 1-2 cells that lie 2-4 choices from the run's own small front classes, while a random or
   * l(x)-driven query hits the large front classes anyway; so the local asks are spent around the small ones.
   */
  readonly frontLocalSmall?: number;
  /**
   * How a front local-search ask picks among its unevaluated neighbours of new classes: 'ranked' (default: the largest
   * log l - log g, as before session 48) or 'random' (uniformly: covering the neighbourhoods, not following l(x) there).
   */
  readonly frontLocalPick?: 'ranked' | 'random';
  /**
   * Same-cost asks (session 55, search55; default 0 = off): with free costs (`AskContext.cheapObjectives`: a cost model's
   * or a table's latency / energy) on a categorical space of at most 200,000 points, once `sameCostFrom` trials are
   * complete every `sameCostEvery`-th ask (counted by complete trials; an end, gap, scalarised, offspring or front
   * local-search ask takes precedence) proposes, among the unevaluated points whose free cost vector equals that of a
   * trial of the first non-dominated front of the feasible complete trials (and, where the context gives a class key,
   * whose class is not evaluated), the one with the largest log l - log g of the ordinary ask's l(x) and g(x); ties: the
   * first in the space's enumeration order (no random draw). No such point, no free costs or another space: the ordinary
   * ask. Why (bench/data/search55-prereg.md): on the worst seeds of a seen NB201 problem with hwnas costs, 15-19 of the
   * 20-22 missed true-front vectors had a cell of the same cost vector asked (of lower accuracy), and those carried
   * 0.067-0.069 of the 0.070-0.071 hypervolume lost: the run reached the right costs and missed their best cell.
   */
  readonly sameCostEvery?: number;
  /** Complete trials before the first same-cost ask (default 60). */
  readonly sameCostFrom?: number;
  /**
   * How a same-cost ask picks among its candidates (session 56, search56): 'lg' (default: the largest log l - log g, as
   * session 55) or 'ridge': the largest prediction of a ridge regression (penalty 1) of the first objective without a
   * free cost (oriented so larger is better), fit on the complete feasible trials' one-hot encoding of the categorical
   * parameters (other parameters are left out of the fit); ties: the first in enumeration order.
   */
  readonly sameCostPick?: 'lg' | 'ridge';
}

/** What an ask needs besides randomness: the two estimators over the flattened dimensions. */
interface Model {
  readonly l: Parzen;
  readonly g: Parzen;
  readonly dims: readonly Dim[];
  readonly specs: readonly ParamSpec[];
  readonly seen: ReadonlySet<string>;
  /** Complete trials the model was fitted on. */
  readonly n: number;
  /** An end ask with endProposal 'neighbours': the end's best trial (whose neighbourhood is searched). */
  readonly endTarget?: Params;
  /** An offspring ask (see `offspringEvery`): the parents' pool, the first front of the feasible trials. */
  readonly parents?: readonly Params[];
  /** A gap ask with gapProposal 'cross': the trials of the gap's two front vectors (whose crossings are proposed). */
  readonly gapPair?: readonly [readonly Params[], readonly Params[]];
  /** A front local-search ask: the trials of the current front whose neighbours it ranks (see `frontLocalEvery`). */
  readonly frontTrials?: readonly Params[];
  /** A same-cost ask: the current front's trials, whose free cost groups it searches (`sameCostEvery`). */
  readonly sameCostFront?: readonly Params[];
  /** classAware with a class key: the key, each point's spreads (see {@link Spreads}) and the evaluated classes. */
  readonly cls?: {
    readonly classOf: (p: Params) => string;
    readonly spreads: (p: Params) => Spreads;
    readonly seen: ReadonlySet<string>;
  };
}

/**
 * Per flattened dimension, the values (categorical indices) that keep a point's computation class when only that
 * dimension changes (the point's own value included); null for other dimensions.
 */
type Spreads = readonly (readonly number[] | null)[];

/** One dimension of the flattened space. */
type Dim =
  | { readonly kind: 'cat'; readonly k: number }
  | {
      readonly kind: 'num';
      /** Bounds in the transformed (log where asked) scale, widened by half a cell for ints. */
      readonly lo: number;
      readonly hi: number;
      /** Int grid: the original-scale step and the log flag; undefined for floats and structured dims. */
      readonly grid?: { readonly step: number; readonly log: boolean; readonly low: number; readonly high: number };
      readonly log: boolean;
    };

/** A Parzen estimator: per component a weight, per dimension its kernel (mean/sigma or a categorical row). */
interface Parzen {
  readonly logWeights: Float64Array;
  readonly cumWeights: Float64Array;
  /** mus[d][i], sigmas[d][i] for numeric dims; probs[d][i] (row of k log-probabilities) for categorical dims. */
  readonly mus: (Float64Array | null)[];
  readonly sigmas: (Float64Array | null)[];
  readonly logProbs: (Float64Array[] | null)[];
  /** log of each component's truncation mass per numeric dim. */
  readonly logZ: (Float64Array | null)[];
}

const EPS = 1e-12;
/** The golden ratio's fractional part (a low-discrepancy step on [0, 1)). */
const GOLDEN = (Math.sqrt(5) - 1) / 2;

/** TPE's score of a point: log l(x) - log g(x) (with class spreads where given). */
function logRatio(l: Parzen, g: Parzen, dims: readonly Dim[], x: readonly number[], spreads?: Spreads): number {
  return logDensity(l, dims, x, spreads) - logDensity(g, dims, x, spreads);
}

/** The multi-objective TPE strategy (univariate or multivariate; categorical, ordinal, float, structured). */
export class Tpe implements SearchStrategy {
  readonly name = 'tpe';
  private readonly o: Required<TpeOptions>;

  constructor(options: TpeOptions = {}) {
    this.o = {
      startupTrials: options.startupTrials ?? 10,
      candidates: options.candidates ?? 24,
      multivariate: options.multivariate ?? true,
      priorWeight: options.priorWeight ?? 1,
      gamma: options.gamma ?? 0.1,
      maxBelow: options.maxBelow ?? 25,
      skipSeen: options.skipSeen ?? true,
      startup: options.startup ?? 'stratified',
      classAware: options.classAware ?? false,
      wholeFront: options.wholeFront ?? false,
      belowWeighting: options.belowWeighting ?? 'hv',
      endEvery: options.endEvery ?? 0,
      endFrom: options.endFrom ?? 100,
      endObjectives: options.endObjectives ?? 'all',
      endProposal: options.endProposal ?? 'sample',
      classRounds: options.classRounds ?? 0,
      classPool: options.classPool ?? 0,
      classPick: options.classPick ?? 'any',
      gapEvery: options.gapEvery ?? 0,
      gapFrom: options.gapFrom ?? 50,
      gapPick: options.gapPick ?? 'largest',
      gapProposal: options.gapProposal ?? 'sample',
      scalarEvery: options.scalarEvery ?? 0,
      scalarWeights: options.scalarWeights ?? 'random',
      offspringEvery: options.offspringEvery ?? 0,
      offspringPool: options.offspringPool ?? 1,
      offspringMutation: options.offspringMutation ?? 1,
      failedAbove: options.failedAbove ?? 1,
      failedLast: options.failedLast ?? 0,
      classMix: options.classMix ?? 0,
      classMixAt: options.classMixAt ?? 'both',
      classMixMinSize: options.classMixMinSize ?? 0,
      frontLocalEvery: options.frontLocalEvery ?? 0,
      frontLocalFrom: options.frontLocalFrom ?? 100,
      frontLocalRadius: options.frontLocalRadius ?? 1,
      frontLocalStall: options.frontLocalStall ?? 0,
      frontLocalSmall: options.frontLocalSmall ?? 0,
      frontLocalPick: options.frontLocalPick ?? 'ranked',
      sameCostEvery: options.sameCostEvery ?? 0,
      sameCostFrom: options.sameCostFrom ?? 60,
      sameCostPick: options.sameCostPick ?? 'lg',
    };
    const o = this.o;
    for (const k of Object.keys(options))
      if (!Object.hasOwn(o, k)) throw new ConfigError(`tpe: unknown option '${k}'; expected one of ${Object.keys(o).join(', ')}`);
    const int = (v: number, min: number): boolean => Number.isInteger(v) && v >= min;
    if (!int(o.startupTrials, 0)) throw new ConfigError(`tpe startupTrials ${JSON.stringify(options.startupTrials)}: expected an integer >= 0`);
    if (!int(o.candidates, 1)) throw new ConfigError(`tpe candidates ${JSON.stringify(options.candidates)}: expected an integer >= 1`);
    if (!int(o.maxBelow, 1)) throw new ConfigError(`tpe maxBelow ${JSON.stringify(options.maxBelow)}: expected an integer >= 1`);
    if (!(o.gamma > 0 && o.gamma < 1)) throw new ConfigError(`tpe gamma ${JSON.stringify(options.gamma)}: expected a number in (0, 1)`);
    if (!(o.priorWeight > 0 && Number.isFinite(o.priorWeight)))
      throw new ConfigError(`tpe priorWeight ${JSON.stringify(options.priorWeight)}: expected a positive number`);
    if (typeof o.multivariate !== 'boolean') throw new ConfigError(`tpe multivariate ${JSON.stringify(options.multivariate)}: expected true or false`);
    if (typeof o.classAware !== 'boolean') throw new ConfigError(`tpe classAware ${JSON.stringify(options.classAware)}: expected true or false`);
    if (typeof o.wholeFront !== 'boolean') throw new ConfigError(`tpe wholeFront ${JSON.stringify(options.wholeFront)}: expected true or false`);
    if (typeof o.skipSeen !== 'boolean') throw new ConfigError(`tpe skipSeen ${JSON.stringify(options.skipSeen)}: expected true or false`);
    if (o.belowWeighting !== 'hv' && o.belowWeighting !== 'sqrt' && o.belowWeighting !== 'flat')
      throw new ConfigError(`tpe belowWeighting ${JSON.stringify(options.belowWeighting)}: expected 'hv', 'sqrt' or 'flat'`);
    if (!int(o.endEvery, 0)) throw new ConfigError(`tpe endEvery ${JSON.stringify(options.endEvery)}: expected an integer >= 0 (0: no end asks)`);
    if (!int(o.endFrom, 0)) throw new ConfigError(`tpe endFrom ${JSON.stringify(options.endFrom)}: expected an integer >= 0`);
    if (o.endObjectives !== 'all' && o.endObjectives !== 'first')
      throw new ConfigError(`tpe endObjectives ${JSON.stringify(options.endObjectives)}: expected 'all' or 'first'`);
    if (o.endProposal !== 'sample' && o.endProposal !== 'neighbours')
      throw new ConfigError(`tpe endProposal ${JSON.stringify(options.endProposal)}: expected 'sample' or 'neighbours'`);
    if (!int(o.classRounds, 0))
      throw new ConfigError(`tpe classRounds ${JSON.stringify(options.classRounds)}: expected an integer >= 0 (0: no new-class asks)`);
    if (!int(o.classPool, 0)) throw new ConfigError(`tpe classPool ${JSON.stringify(options.classPool)}: expected an integer >= 0`);
    if (o.classPick !== 'any' && o.classPick !== 'top') throw new ConfigError(`tpe classPick ${JSON.stringify(options.classPick)}: expected 'any' or 'top'`);
    if (!int(o.gapEvery, 0)) throw new ConfigError(`tpe gapEvery ${JSON.stringify(options.gapEvery)}: expected an integer >= 0 (0: no gap asks)`);
    if (!int(o.gapFrom, 0)) throw new ConfigError(`tpe gapFrom ${JSON.stringify(options.gapFrom)}: expected an integer >= 0`);
    if (o.gapProposal !== 'sample' && o.gapProposal !== 'cross' && o.gapProposal !== 'neighbours')
      throw new ConfigError(`tpe gapProposal ${JSON.stringify(options.gapProposal)}: expected 'sample', 'cross' or 'neighbours'`);
    if (o.gapPick !== 'largest' && o.gapPick !== 'area' && o.gapPick !== 'tried')
      throw new ConfigError(`tpe gapPick ${JSON.stringify(options.gapPick)}: expected 'largest', 'area' or 'tried'`);
    if (!int(o.scalarEvery, 0))
      throw new ConfigError(`tpe scalarEvery ${JSON.stringify(options.scalarEvery)}: expected an integer >= 0 (0: no scalarised asks)`);
    if (o.scalarWeights !== 'random' && o.scalarWeights !== 'golden')
      throw new ConfigError(`tpe scalarWeights ${JSON.stringify(options.scalarWeights)}: expected 'random' or 'golden'`);
    if (!int(o.offspringEvery, 0))
      throw new ConfigError(`tpe offspringEvery ${JSON.stringify(options.offspringEvery)}: expected an integer >= 0 (0: no offspring asks)`);
    if (!int(o.offspringPool, 1)) throw new ConfigError(`tpe offspringPool ${JSON.stringify(options.offspringPool)}: expected an integer >= 1`);
    if (!(o.offspringMutation > 0 && Number.isFinite(o.offspringMutation)))
      throw new ConfigError(`tpe offspringMutation ${JSON.stringify(options.offspringMutation)}: expected a positive number`);
    if (!(o.failedAbove >= 0 && o.failedAbove <= 1))
      throw new ConfigError(`tpe failedAbove ${JSON.stringify(options.failedAbove)}: expected a weight in [0, 1] (0: failed trials ignored)`);
    if (!int(o.failedLast, 0)) throw new ConfigError(`tpe failedLast ${JSON.stringify(options.failedLast)}: expected an integer >= 0 (0: every failed trial)`);
    if (!(o.classMix >= 0 && o.classMix <= 1))
      throw new ConfigError(`tpe classMix ${JSON.stringify(options.classMix)}: expected a share in [0, 1] (0: no class-uniform draws)`);
    if (!(o.classMixMinSize >= 0 && Number.isFinite(o.classMixMinSize)))
      throw new ConfigError(
        `tpe classMixMinSize ${JSON.stringify(options.classMixMinSize)}: expected a number >= 0 (points per class; 0: class-uniform draws on every space)`,
      );
    if (!['both', 'startup', 'prior', 'ask', 'ranked'].includes(o.classMixAt))
      throw new ConfigError(`tpe classMixAt ${JSON.stringify(options.classMixAt)}: expected 'both', 'startup', 'prior', 'ask' or 'ranked'`);
    if (!int(o.frontLocalEvery, 0))
      throw new ConfigError(`tpe frontLocalEvery ${JSON.stringify(options.frontLocalEvery)}: expected an integer >= 0 (0: no front local-search asks)`);
    if (!int(o.frontLocalFrom, 0)) throw new ConfigError(`tpe frontLocalFrom ${JSON.stringify(options.frontLocalFrom)}: expected an integer >= 0`);
    if (!(int(o.frontLocalRadius, 1) && o.frontLocalRadius <= 3))
      throw new ConfigError(`tpe frontLocalRadius ${JSON.stringify(options.frontLocalRadius)}: expected an integer from 1 to 3 (categorical choices changed)`);
    if (!int(o.frontLocalStall, 0))
      throw new ConfigError(
        `tpe frontLocalStall ${JSON.stringify(options.frontLocalStall)}: expected an integer >= 0 (complete trials without a front entry; 0: never pause)`,
      );
    if (!int(o.frontLocalSmall, 0))
      throw new ConfigError(
        `tpe frontLocalSmall ${JSON.stringify(options.frontLocalSmall)}: expected an integer >= 0 (points per class; 0: every front trial)`,
      );
    if (o.frontLocalPick !== 'ranked' && o.frontLocalPick !== 'random')
      throw new ConfigError(`tpe frontLocalPick ${JSON.stringify(options.frontLocalPick)}: expected 'ranked' or 'random'`);
    if (!int(o.sameCostEvery, 0))
      throw new ConfigError(`tpe sameCostEvery ${JSON.stringify(options.sameCostEvery)}: expected an integer >= 0 (0: no same-cost asks)`);
    if (o.sameCostPick !== 'lg' && o.sameCostPick !== 'ridge')
      throw new ConfigError(`tpe sameCostPick ${JSON.stringify(options.sameCostPick)}: expected 'lg' or 'ridge'`);
    if (!int(o.sameCostFrom, 0)) throw new ConfigError(`tpe sameCostFrom ${JSON.stringify(options.sameCostFrom)}: expected an integer >= 0`);
    if (o.startup !== 'stratified' && o.startup !== 'random')
      throw new ConfigError(`tpe startup ${JSON.stringify(options.startup)}: expected 'stratified' or 'random'`);
  }

  /** The estimators of the last history seen (a wrapper that re-asks on the same history reuses them). */
  private memo: { key: string; model: Model | null } | undefined;

  ask(ctx: AskContext): Params {
    const { space, rng } = ctx;
    const h = ctx.history;
    const done = h.filter((t) => t.state === 'complete' && t.values !== null && t.values.every(Number.isFinite));
    const key = `${h.length}|${historyHash(h, space.names)}|${ctx.objectives.map((o) => o.direction).join(',')}|${space.names.join(',')}`;
    if (this.memo?.key !== key) this.memo = { key, model: this.model(done, ctx) };
    const model = this.memo.model;
    const mix = this.o.classMix > 0 && ctx.classOf && this.mixesOn(ctx.space, ctx.classOf) ? ctx.classOf : undefined;
    if (model === null) {
      if (mix && this.o.classMixAt !== 'prior' && rng.next() < this.o.classMix) {
        const p = this.classDraw(ctx, mix);
        if (p !== undefined) return p;
      }
      const seen = this.seen(ctx);
      const categorical = space.names.some((n) => (space.params[n] as ParamSpec).kind === 'categorical');
      if (this.o.startup === 'random' || !categorical || done.length >= Math.max(this.o.startupTrials, 2)) return sampleUnseen(ctx, seen);
      let p = sampleStratified(ctx);
      for (let i = 0; i < 100 && seen.has(keyOf(p, space.names)); i++) p = sampleStratified(ctx);
      return p;
    }
    const seen = model.seen;
    const { l, g, dims, specs } = model;
    const build = (x: readonly number[]): Params => fromPoint(space.names, specs, dims, x);
    if (mix && (this.o.classMixAt === 'ask' || this.o.classMixAt === 'ranked') && (0.5 + ctx.trialNumber * GOLDEN) % 1 < this.o.classMix) {
      const p = this.o.classMixAt === 'ask' ? this.classDraw(ctx, mix) : this.rankedClassDraw(model, ctx, mix);
      if (p !== undefined) return p;
    }
    if (model.parents) {
      const p = this.offspringProposal(model, model.parents, ctx);
      if (p !== undefined) return p;
    }
    if (this.o.multivariate && model.gapPair) {
      const pair = model.gapPair;
      const p =
        this.o.gapProposal === 'cross'
          ? this.crossProposal(model, pair, ctx)
          : this.neighbourProposal(model, [(pair[rng.int(0, 1)] as readonly Params[])[0] as Params], ctx);
      if (p !== undefined) return p;
    }
    if (this.o.multivariate && model.endTarget) {
      const p = this.neighbourProposal(model, [model.endTarget], ctx);
      if (p !== undefined) return p;
    }
    if (this.o.multivariate && model.frontTrials) {
      const p = this.neighbourProposal(model, model.frontTrials, ctx, this.o.frontLocalRadius, this.o.frontLocalPick);
      if (p !== undefined) return p;
    }
    if (this.o.multivariate && model.sameCostFront && ctx.cheapObjectives) {
      const p = this.sameCostProposal(model, model.sameCostFront, ctx, ctx.cheapObjectives);
      if (p !== undefined) return p;
    }
    if (this.o.multivariate && this.o.classRounds > 0 && ctx.classOf && !model.cls) {
      const p = this.newClassProposal(model, ctx, ctx.classOf);
      if (p !== undefined) return p;
    }
    if (this.o.multivariate && model.cls) {
      // class-aware: candidates scored at class level; one of an evaluated class is skipped
      const cls = model.cls;
      let last: Params | undefined;
      for (let round = 0; round < 10; round++) {
        const cands: { p: Params; s: number }[] = [];
        for (let c = 0; c < this.o.candidates; c++) {
          const x = sampleParzen(l, dims, rng);
          const p = build(x);
          const sp = cls.spreads(p);
          cands.push({ p, s: logRatio(l, g, dims, x, sp) });
        }
        cands.sort((a, b) => b.s - a.s);
        for (const c of cands) if (!seen.has(keyOf(c.p, space.names)) && !cls.seen.has(cls.classOf(c.p))) return c.p;
        last = cands[0]?.p;
      }
      if (last !== undefined) return last;
    }
    if (this.o.multivariate) {
      for (let round = 0; round < 10; round++) {
        const cands: { x: number[]; s: number }[] = [];
        for (let c = 0; c < this.o.candidates; c++) {
          const x = mix && (this.o.classMixAt === 'both' || this.o.classMixAt === 'prior') ? this.mixedCandidate(model, ctx, mix) : sampleParzen(l, dims, rng);
          cands.push({ x, s: logRatio(l, g, dims, x) });
        }
        cands.sort((a, b) => b.s - a.s);
        for (const c of cands) {
          const p = build(c.x);
          if (!seen.has(keyOf(p, space.names)) || round === 9) return p;
        }
      }
    }
    // Univariate: per dimension, candidates from its own l, ranked by log l - log g.
    const ranked: { v: number; s: number }[][] = dims.map((dim, d) => {
      const cands: { v: number; s: number }[] = [];
      for (let c = 0; c < this.o.candidates; c++) {
        const v = sampleDim(l, dims, d, pickComponent(l, rng), rng);
        cands.push({ v, s: logDensity1(l, dim, d, v) - logDensity1(g, dim, d, v) });
      }
      return cands.sort((a, b) => b.s - a.s);
    });
    const pos = dims.map(() => 0);
    let p = build(ranked.map((r) => (r[0] as { v: number }).v));
    // A repeat: move the dimension that loses least to its next distinct candidate, until unseen.
    for (let tries = 0; tries < 64 && seen.has(keyOf(p, space.names)); tries++) {
      let bestD = -1;
      let bestLoss = Infinity;
      let bestNext = -1;
      ranked.forEach((r, d) => {
        const cur = r[pos[d] as number] as { v: number; s: number };
        let j = (pos[d] as number) + 1;
        while (j < r.length && sameValue(dims[d] as Dim, (r[j] as { v: number }).v, cur.v)) j++;
        if (j < r.length && cur.s - (r[j] as { s: number }).s < bestLoss) {
          bestLoss = cur.s - (r[j] as { s: number }).s;
          bestD = d;
          bestNext = j;
        }
      });
      if (bestD < 0) return sampleUnseen(ctx, seen);
      pos[bestD] = bestNext;
      p = build(ranked.map((r, d) => (r[pos[d] as number] as { v: number }).v));
    }
    return seen.has(keyOf(p, space.names)) ? sampleUnseen(ctx, seen) : p;
  }

  /** classAware: per class-key function, each point's spreads by parameter key (a point's class never changes). */
  private spreadMemo = new WeakMap<(p: Params) => string, Map<string, Spreads>>();

  /** The spreads of a point under `classOf`: per categorical dimension the values that keep its class (memoised). */
  private spreadsOf(classOf: (p: Params) => string, names: readonly string[], specs: readonly ParamSpec[], dims: readonly Dim[]): (p: Params) => Spreads {
    const m = this.spreadMemo.get(classOf) ?? new Map<string, Spreads>();
    this.spreadMemo.set(classOf, m);
    return (p: Params): Spreads => {
      const key = keyOf(p, names);
      let out = m.get(key);
      if (out) return out;
      const base = classOf(p);
      const sp: (number[] | null)[] = [];
      // earlier categorical parameters whose spread holds more than the point's own value: [name, other values]
      const open: [string, JsonValue[]][] = [];
      specs.forEach((s, k) => {
        if (s.kind !== 'categorical') {
          for (let j = 0; j < (s.kind === 'structured' ? s.codec.dimension : 1); j++) sp.push(null);
          return;
        }
        const name = names[k] as string;
        const own = categoricalIndex(s, p[name] as JsonValue);
        const keep: number[] = [];
        s.choices.forEach((c, j) => {
          if (j === own) {
            keep.push(j);
            return;
          }
          const q = { ...p, [name]: c };
          if (classOf(q) !== base) return;
          // a value joins only if it keeps the class together with every value already in an earlier spread (so two
          // edges that are each dead alone, but revive a node together, do not both spread)
          for (const [e, vs] of open) for (const u of vs) if (classOf({ ...q, [e]: u }) !== base) return;
          keep.push(j);
        });
        if (keep.length > 1) open.push([name, keep.filter((j) => j !== own).map((j) => s.choices[j] as JsonValue)]);
        sp.push(keep);
      });
      if (sp.length !== dims.length) throw new Error(`tpe classAware: ${sp.length} spreads for ${dims.length} dimensions`);
      out = sp;
      m.set(key, out);
      return out;
    };
  }

  /**
   * endProposal / gapProposal 'neighbours' (one target, radius 3) and frontLocalEvery (the front's trials, radius
   * `frontLocalRadius`): the unevaluated points 1 to `radius` categorical choices from a target (per target at most 300,
   * drawn at random where there are more), the one with the largest log l - log g ('random': one drawn uniformly) whose
   * class (where the context gives a key) is not evaluated; undefined when there is none.
   */
  private neighbourProposal(model: Model, targets: readonly Params[], ctx: AskContext, radius = 3, pick: 'ranked' | 'random' = 'ranked'): Params | undefined {
    const { space, rng } = ctx;
    const { l, g, dims, specs } = model;
    // flattened index and choice count of each categorical parameter
    const cats: { d: number; k: number }[] = [];
    let d = 0;
    for (const s of specs) {
      if (s.kind === 'categorical') cats.push({ d, k: s.choices.length });
      d += s.kind === 'structured' ? s.codec.dimension : 1;
    }
    if (cats.length === 0) return undefined;
    const CAP = 300;
    // neighbours at distance 1..radius: e[r] = sum over r-subsets of the product of (k - 1)
    const e = [1, 0, 0, 0];
    for (const c of cats) for (let r = 3; r >= 1; r--) e[r] = (e[r] as number) + (e[r - 1] as number) * (c.k - 1);
    let total = 0;
    for (let r = 1; r <= radius; r++) total += e[r] as number;
    const xs: number[][] = [];
    for (const target of targets) {
      const x0 = toPoint(space.names, specs, target);
      if (total <= CAP) {
        const rec = (from: number, depth: number, x: number[]): void => {
          if (depth > 0) xs.push([...x]);
          if (depth === radius) return;
          for (let i = from; i < cats.length; i++) {
            const c = cats[i] as { d: number; k: number };
            const own = x0[c.d] as number;
            for (let v = 0; v < c.k; v++) {
              if (v === own) continue;
              x[c.d] = v;
              rec(i + 1, depth + 1, x);
            }
            x[c.d] = own;
          }
        };
        rec(0, 0, [...x0]);
      } else {
        for (let t = 0; t < CAP; t++) {
          let u = rng.next() * total;
          let r = 1;
          while (r < radius && u >= (e[r] as number)) u -= e[r++] as number;
          const idx = cats.map((_, i) => i);
          const x = [...x0];
          for (let j = 0; j < r && j < idx.length; j++) {
            const pick = j + rng.int(0, idx.length - 1 - j);
            [idx[j], idx[pick]] = [idx[pick] as number, idx[j] as number];
            const c = cats[idx[j] as number] as { d: number; k: number };
            const own = x0[c.d] as number;
            const v = rng.int(0, c.k - 2);
            x[c.d] = v >= own ? v + 1 : v;
          }
          xs.push(x);
        }
      }
    }
    const scored = pick === 'ranked' ? xs.map((x) => ({ x, s: logRatio(l, g, dims, x) })).sort((a, b) => b.s - a.s) : rng.shuffle([...xs]).map((x) => ({ x }));
    const classOf = ctx.classOf;
    const seenCls = classOf ? this.seenClasses(ctx, classOf) : undefined;
    for (const c of scored) {
      const p = fromPoint(space.names, specs, dims, c.x);
      if (model.seen.has(keyOf(p, space.names))) continue;
      if (classOf && seenCls?.has(classOf(p))) continue;
      return p;
    }
    return undefined;
  }

  /**
   * classRounds: the best-scored candidate from l(x) (up to `classRounds` rounds) whose class is not evaluated; else the
   * best of a new class among `classPool` x `candidates` uniform draws; else the best unevaluated candidate from l(x)
   * (a repeat class); undefined when every candidate was an evaluated point (the plain path then goes on).
   */
  private newClassProposal(model: Model, ctx: AskContext, classOf: (p: Params) => string): Params | undefined {
    const { space, rng } = ctx;
    const { l, g, dims, specs, seen } = model;
    const seenCls = this.seenClasses(ctx, classOf);
    let repeat: Params | undefined;
    // 'top': the rounds' other unevaluated candidates, in draw order (their classes are looked up only if no round's top
    // is new: the class key can be costly)
    const rest: { p: Params; s: number }[] = [];
    for (let round = 0; round < this.o.classRounds; round++) {
      const cands: { x: number[]; s: number }[] = [];
      for (let c = 0; c < this.o.candidates; c++) {
        const x = sampleParzen(l, dims, rng);
        cands.push({ x, s: logRatio(l, g, dims, x) });
      }
      cands.sort((a, b) => b.s - a.s);
      let top = true;
      for (const c of cands) {
        const p = fromPoint(space.names, specs, dims, c.x);
        if (seen.has(keyOf(p, space.names))) continue;
        if (this.o.classPick === 'any' || top) {
          if (!seenCls.has(classOf(p))) return p;
          repeat ??= p;
        } else rest.push({ p, s: c.s });
        top = false;
      }
    }
    // the best-scored of a new class (a stable sort: among equal scores the first drawn)
    rest.sort((a, b) => b.s - a.s);
    for (const c of rest) if (!seenCls.has(classOf(c.p))) return c.p;
    let best: { p: Params; s: number } | undefined;
    for (let c = 0; c < this.o.classPool * this.o.candidates; c++) {
      const p = space.sample(rng);
      if (seen.has(keyOf(p, space.names)) || seenCls.has(classOf(p))) continue;
      const x = toPoint(space.names, specs, p);
      const s = logRatio(l, g, dims, x);
      if (best === undefined || s > best.s) best = { p, s };
    }
    return best?.p ?? repeat;
  }

  /**
   * offspringEvery: a child of two parents drawn from `parents` (crossover with probability 0.9, then mutation, by
   * variation.ts), not evaluated and of no evaluated class (where the context gives a key); with `offspringPool` > 1 the
   * best of that many distinct children by log l - log g. Undefined when 100 draws give no such child.
   */
  private offspringProposal(model: Model, parents: readonly Params[], ctx: AskContext): Params | undefined {
    const { space, rng } = ctx;
    const { l, g, dims, specs, seen } = model;
    const classOf = ctx.classOf;
    const seenCls = classOf ? this.seenClasses(ctx, classOf) : undefined;
    const variation = { ...NSGA2_VARIATION, mutationProb: Math.min(1, this.o.offspringMutation / space.names.length) };
    const kids = new Map<string, Params>();
    for (let t = 0; t < 100 && kids.size < this.o.offspringPool; t++) {
      const a = parents[rng.int(0, parents.length - 1)] as Params;
      const b = parents[rng.int(0, parents.length - 1)] as Params;
      const child = breed(space, a, b, rng, variation);
      const key = keyOf(child, space.names);
      if (seen.has(key) || kids.has(key) || (classOf && seenCls?.has(classOf(child)))) continue;
      kids.set(key, child);
    }
    let best: { p: Params; s: number } | undefined;
    for (const p of kids.values()) {
      if (this.o.offspringPool === 1) return p;
      const s = logRatio(l, g, dims, toPoint(space.names, specs, p));
      if (best === undefined || s > best.s) best = { p, s };
    }
    return best?.p;
  }

  /**
   * classMix: a class not yet evaluated, drawn uniformly among the space's classes (at most 100 draws), and a point of
   * it drawn uniformly; undefined where the space is not categorical with at most 200,000 points, or no draw is new.
   */
  private classDraw(ctx: AskContext, classOf: (p: Params) => string, seen?: ReadonlySet<string>): Params | undefined {
    const { rng } = ctx;
    const idx = classIndex(ctx.space, classOf);
    if (idx === null) return undefined;
    const seenCls = seen ?? this.seenClasses(ctx, classOf);
    for (let t = 0; t < 100; t++) {
      const c = rng.int(0, idx.keys.length - 1);
      if (seenCls.has(idx.keys[c] as string)) continue;
      const m = idx.members[c] as readonly Params[];
      // a copy: the index is shared by every run on the space
      return { ...(m[rng.int(0, m.length - 1)] as Params) };
    }
    return undefined;
  }

  /** classMix's gate (`classMixMinSize`): the space's mean class size reaches the bar (no bar: every space). */
  private mixesOn(space: SearchSpace, classOf: (p: Params) => string): boolean {
    if (this.o.classMixMinSize === 0) return true;
    const idx = classIndex(space, classOf);
    if (idx === null) return false;
    return idx.points / idx.keys.length >= this.o.classMixMinSize;
  }

  /** classMix 'ranked': the best by log l - log g of `candidates` class-uniform draws (undefined: no draw is new). */
  private rankedClassDraw(model: Model, ctx: AskContext, classOf: (p: Params) => string): Params | undefined {
    const seen = this.seenClasses(ctx, classOf);
    let best: { p: Params; s: number } | undefined;
    for (let c = 0; c < this.o.candidates; c++) {
      const p = this.classDraw(ctx, classOf, seen);
      if (p === undefined) break;
      const s = logRatio(model.l, model.g, model.dims, toPoint(ctx.space.names, model.specs, p));
      if (best === undefined || s > best.s) best = { p, s };
    }
    return best?.p;
  }

  /** classMix 'both' / 'prior': a candidate from l(x) whose prior-kernel draws are class-uniform with probability q. */
  private mixedCandidate(model: Model, ctx: AskContext, classOf: (p: Params) => string): number[] {
    const { l, dims, specs } = model;
    const i = pickComponent(l, ctx.rng);
    if (i === l.cumWeights.length - 1 && ctx.rng.next() < this.o.classMix) {
      const p = this.classDraw(ctx, classOf);
      if (p !== undefined) return toPoint(ctx.space.names, specs, p);
    }
    return dims.map((_, d) => sampleDim(l, dims, d, i, ctx.rng));
  }

  /** Each trial's class under a key function (a trial's params never change). */
  private trialClass = new WeakMap<(p: Params) => string, WeakMap<Trial, string>>();
  /** The evaluated classes of the history under `classOf`. */
  private seenClasses(ctx: AskContext, classOf: (p: Params) => string): ReadonlySet<string> {
    const m = this.trialClass.get(classOf) ?? new WeakMap<Trial, string>();
    this.trialClass.set(classOf, m);
    const out = new Set<string>();
    for (const t of ctx.history) {
      let c = m.get(t);
      if (c === undefined) {
        c = classOf(t.params);
        m.set(t, c);
      }
      out.add(c);
    }
    return out;
  }

  /** Keys of the evaluated points (empty when skipSeen is off). */
  private seen(ctx: AskContext): Set<string> {
    return new Set(this.o.skipSeen ? ctx.history.filter((t) => t.state !== 'running').map((t) => keyOf(t.params, ctx.space.names)) : []);
  }

  /** The fitted estimators, or null while too few trials are complete (random proposals then). */
  private model(done: readonly Trial[], ctx: AskContext): Model | null {
    const space = ctx.space;
    if (done.length < Math.max(this.o.startupTrials, 2)) return null;
    const end = this.endOf(done.length, ctx.objectives.length);
    const gap = end === undefined && this.isGapAsk(done.length, ctx.objectives.length);
    const gs = gap ? this.gapSplit(done, ctx) : undefined;
    const scalar = end === undefined && !gap && this.isScalarAsk(done.length, ctx.objectives.length);
    const { below, above, belowWeights } = gs ?? this.split(done, ctx, end, scalar);
    const parents = end === undefined && !gap && !scalar && this.isOffspringAsk(done.length) ? frontParams(done, ctx, below) : undefined;
    const frontTrials =
      end === undefined && !gap && !scalar && !parents && this.isFrontLocalAsk(done, ctx) ? this.smallOnly(frontParams(done, ctx, below), ctx) : undefined;
    const sameCostFront =
      end === undefined &&
      !gap &&
      !scalar &&
      !parents &&
      !frontTrials &&
      ctx.cheapObjectives &&
      onCadence(done.length, this.o.sameCostEvery, this.o.sameCostFrom)
        ? frontParams(done, ctx, below)
        : undefined;
    const gapPair = gs && this.o.gapProposal !== 'sample' ? gs.pair : undefined;
    const endTarget = end !== undefined && this.o.endProposal === 'neighbours' ? bestOn(done, ctx, end) : undefined;
    if (below.length === 0 || above.length === 0) return null;
    const specs = space.names.map((n) => space.params[n] as ParamSpec);
    const dims = flatten(specs);
    const xb = below.map((t) => toPoint(space.names, specs, t.params));
    const { trials: gTrials, weights: gWeights } = this.aboveWithFailed(above, ctx.history);
    const xa = gTrials.map((t) => toPoint(space.names, specs, t.params));
    const mv = this.o.multivariate;
    const classOf = this.o.classAware && mv ? ctx.classOf : undefined;
    const spreads = classOf ? this.spreadsOf(classOf, space.names, specs, dims) : undefined;
    const l = fitParzen(xb, belowWeights, dims, this.o.priorWeight, mv, spreads && below.map((t) => spreads(t.params)));
    return {
      ...(classOf && spreads
        ? {
            cls: {
              classOf,
              spreads,
              seen: this.o.skipSeen ? this.seenClasses(ctx, classOf) : new Set<string>(),
            },
          }
        : {}),
      l,
      g: fitParzen(xa, gWeights, dims, this.o.priorWeight, mv, spreads && gTrials.map((t) => spreads(t.params))),
      dims,
      specs,
      seen: this.seen(ctx),
      n: done.length,
      ...(endTarget ? { endTarget } : {}),
      ...(gapPair ? { gapPair } : {}),
      ...(parents ? { parents } : {}),
      ...(frontTrials ? { frontTrials } : {}),
      ...(sameCostFront ? { sameCostFront } : {}),
    };
  }

  /**
   * `sameCostEvery`: among the unevaluated points (of unevaluated classes) whose free cost vector equals a front
   * trial's, the one with the largest log l - log g (undefined: none, or the space is not enumerated).
   */
  private sameCostProposal(model: Model, front: readonly Params[], ctx: AskContext, cheap: CheapObjectives): Params | undefined {
    const { space } = ctx;
    const { l, g, dims, specs } = model;
    const group = costKeyFn(cheap);
    const idx = classIndex(space, group);
    if (idx === null) return undefined;
    const classOf = ctx.classOf;
    const seenCls = classOf ? this.seenClasses(ctx, classOf) : undefined;
    const ridge = this.o.sameCostPick === 'ridge' ? ridgeScorer(ctx, cheap) : undefined;
    let best: Params | undefined;
    let bestS = -Infinity;
    for (const k of new Set(front.map(group)))
      for (const p of idx.byKey.get(k) ?? []) {
        if (model.seen.has(keyOf(p, space.names))) continue;
        if (classOf && seenCls?.has(classOf(p))) continue;
        const sc = ridge ? ridge(p) : logRatio(l, g, dims, toPoint(space.names, specs, p));
        if (best === undefined || sc > bestS) {
          best = p;
          bestS = sc;
        }
      }
    return best;
  }

  /**
   * g(x)'s trials and weights: the above set with Optuna's recency ramp; with `failedAbove`, the failed trials of the
   * history (the newest `failedLast`, 0: all) merged in history order, each weighing its ramp weight x `failedAbove`.
   */
  private aboveWithFailed(above: readonly Trial[], history: readonly Trial[]): { trials: readonly Trial[]; weights: number[] } {
    const w = this.o.failedAbove;
    if (w === 0) return { trials: above, weights: rampWeights(above.length) };
    let failed = history.filter(failedOnItsPoint);
    if (this.o.failedLast > 0) failed = failed.slice(-this.o.failedLast);
    if (failed.length === 0) return { trials: above, weights: rampWeights(above.length) };
    const isFailed = new Set(failed);
    const inAbove = new Set(above);
    const trials = history.filter((t) => isFailed.has(t) || inAbove.has(t));
    const weights = rampWeights(trials.length).map((r, i) => (isFailed.has(trials[i] as Trial) ? r * w : r));
    return { trials, weights };
  }

  /** The objective whose end this ask pushes (see `endEvery`), or undefined for an ordinary ask. */
  private endOf(n: number, m: number): number | undefined {
    const { endEvery, endFrom, endObjectives } = this.o;
    if (m < 2 || !onCadence(n, endEvery, endFrom)) return undefined;
    if (endObjectives === 'first') return 0;
    return Math.floor((n - endFrom) / endEvery) % m;
  }

  /** Whether this ask (after `n` complete trials) is a scalarised ask (see `scalarEvery`). */
  private isScalarAsk(n: number, m: number): boolean {
    const { scalarEvery } = this.o;
    const from = Math.max(this.o.startupTrials, 2);
    return m >= 2 && onCadence(n, scalarEvery, from);
  }

  /**
   * A scalarised ask's ranking of the feasible trials `feasible` (indices into `loss`; not empty), best first (see
   * `scalarEvery`): by max_k w_k z_k + 0.05 sum_k w_k z_k, z the losses scaled to the current front's range (0 at its
   * best value), w drawn uniformly from the simplex ('golden': the ask's low-discrepancy weight); ties by index.
   */
  private scalarOrder(feasible: readonly number[], loss: readonly number[][], n: number, rng: AskContext['rng']): number[] {
    const m = (loss[feasible[0] as number] as number[]).length;
    // the weight vector: 'golden' (2 objectives) or normalised exponential draws (uniform on the simplex)
    let w: number[];
    if (this.o.scalarWeights === 'golden' && m === 2) {
      const j = Math.floor((n - Math.max(this.o.startupTrials, 2)) / this.o.scalarEvery);
      const u = (0.5 + j * GOLDEN) % 1;
      w = [u, 1 - u];
    } else {
      const e = Array.from({ length: m }, () => -Math.log(1 - rng.next()));
      const sum = e.reduce((a, b) => a + b, 0);
      w = e.map((x) => x / sum);
    }
    const front = (nonDominatedSort(feasible.map((i) => loss[i] as number[]))[0] ?? []).map((k) => loss[feasible[k] as number] as number[]);
    const lo = Array.from({ length: m }, (_, k) => Math.min(...front.map((f) => f[k] as number)));
    const hi = Array.from({ length: m }, (_, k) => Math.max(...front.map((f) => f[k] as number)));
    const score = (i: number): number => {
      let mx = -Infinity;
      let tot = 0;
      for (let k = 0; k < m; k++) {
        const range = (hi[k] as number) - (lo[k] as number);
        const z = (((loss[i] as number[])[k] as number) - (lo[k] as number)) / (range > 0 ? range : 1);
        const wz = (w[k] as number) * z;
        mx = Math.max(mx, wz);
        tot += wz;
      }
      return mx + 0.05 * tot;
    };
    const sc = new Map(feasible.map((i) => [i, score(i)]));
    return [...feasible].sort((a, b) => (sc.get(a) as number) - (sc.get(b) as number) || a - b);
  }

  /** Whether this ask (after `n` complete trials) is an offspring ask (see `offspringEvery`). */
  private isOffspringAsk(n: number): boolean {
    return onCadence(n, this.o.offspringEvery, Math.max(this.o.startupTrials, 2));
  }

  /** Whether the ask after the complete trials `done` is a front local-search ask (see `frontLocalEvery`, `frontLocalStall`). */
  private isFrontLocalAsk(done: readonly Trial[], ctx: AskContext): boolean {
    const { frontLocalEvery: k, frontLocalFrom: from, frontLocalStall: stall } = this.o;
    const n = done.length;
    return onCadence(n, k, from) && (stall === 0 || n - 1 - lastFrontEntry(done, ctx) < stall);
  }

  /**
   * `frontLocalSmall`: the front trials whose class holds at most that many points of the space (undefined: none, no
   * class key or no enumerated space, so the ask is an ordinary one); 0: every front trial.
   */
  private smallOnly(front: Params[], ctx: AskContext): Params[] | undefined {
    const cap = this.o.frontLocalSmall;
    if (cap === 0) return front;
    const classOf = ctx.classOf;
    const idx = classOf ? classIndex(ctx.space, classOf) : null;
    if (!classOf || idx === null) return undefined;
    const small = front.filter((p) => (idx.byKey.get(classOf(p))?.length ?? 0) <= cap);
    return small.length > 0 ? small : undefined;
  }

  /** Whether this ask (after `n` complete trials) is a gap ask (see `gapEvery`). */
  private isGapAsk(n: number, m: number): boolean {
    const { gapEvery, gapFrom } = this.o;
    return m >= 2 && onCadence(n, gapEvery, gapFrom);
  }

  /**
   * A gap ask's below / above sets (see `gapEvery`): the `gamma(n)` feasible trials nearest the chosen gap of the current
   * front, each weighing 1; undefined (an ordinary ask) when the front has fewer than 2 distinct points.
   */
  private gapSplit(
    done: readonly Trial[],
    ctx: AskContext,
  ): { below: Trial[]; above: Trial[]; belowWeights: number[]; pair: [Params[], Params[]] } | undefined {
    const n = done.length;
    const nBelow = Math.min(Math.ceil(this.o.gamma * n), this.o.maxBelow);
    const feasible = done.map((_, i) => i).filter((i) => violation((done[i] as Trial).constraints) <= 0);
    const loss = done.map((t) => toMinimization(t.values as number[], ctx.objectives));
    const m = ctx.objectives.length;
    const first = nonDominatedSort(feasible.map((i) => loss[i] as number[]))[0] ?? [];
    // the front's distinct vectors
    const front: number[][] = [];
    for (const j of first) {
      const v = loss[feasible[j] as number] as number[];
      if (!front.some((f) => f.every((x, k) => x === v[k]))) front.push(v);
    }
    if (front.length < 2) return undefined;
    const range = Array.from({ length: m }, (_, k) => {
      const vs = front.map((f) => f[k] as number);
      const r = Math.max(...vs) - Math.min(...vs);
      return r > 0 ? r : 1;
    });
    // per gap: its size and the corner beyond which a trial's distance counts
    const gaps: { size: number; corner: number[]; ends: [number[], number[]] }[] = [];
    if (m === 2) {
      front.sort((a, b) => (a[0] as number) - (b[0] as number));
      for (let i = 0; i + 1 < front.length; i++) {
        const a = front[i] as number[];
        const b = front[i + 1] as number[];
        const size = (((b[0] as number) - (a[0] as number)) / (range[0] as number)) * (((a[1] as number) - (b[1] as number)) / (range[1] as number));
        // 'tried': a gap's size over 1 + the trials whose value on either objective lies strictly inside the gap's span
        // on it (tries that did not fill it), so a gap the space cannot fill stops taking the gap asks
        const tries =
          this.o.gapPick === 'tried'
            ? feasible.filter((t) => {
                const v = loss[t] as number[];
                return (
                  ((v[0] as number) > (a[0] as number) && (v[0] as number) < (b[0] as number)) ||
                  ((v[1] as number) > (b[1] as number) && (v[1] as number) < (a[1] as number))
                );
              }).length
            : 0;
        gaps.push({ size: size / (1 + tries), corner: [b[0] as number, a[1] as number], ends: [a, b] });
      }
    } else {
      const scaled = front.map((f) => f.map((x, k) => x / (range[k] as number)));
      const ref = referencePoint(scaled);
      const total = hypervolume(scaled, ref);
      scaled.forEach((p, k) => {
        // its partner for crossings: the nearest other front vector (scaled)
        let near = k === 0 ? 1 : 0;
        const d2 = (q: number[]): number => q.reduce((t, x, j) => t + (x - (p[j] as number)) ** 2, 0);
        scaled.forEach((q, j) => {
          if (j !== k && d2(q) < d2(scaled[near] as number[])) near = j;
        });
        gaps.push({
          size: total - hypervolume([...scaled.slice(0, k), ...scaled.slice(k + 1)], ref),
          corner: front[k] as number[],
          ends: [front[k] as number[], front[near] as number[]],
        });
      });
    }
    let pick = 0;
    if (this.o.gapPick === 'area') {
      const sum = gaps.reduce((s, g) => s + g.size, 0);
      let u = ctx.rng.next() * sum;
      pick = gaps.length - 1;
      for (let i = 0; i < gaps.length; i++) {
        u -= (gaps[i] as { size: number }).size;
        if (u < 0) {
          pick = i;
          break;
        }
      }
    } else
      gaps.forEach((g, i) => {
        if (g.size > (gaps[pick] as { size: number }).size) pick = i;
      });
    const chosenGap = gaps[pick] as { corner: number[]; ends: [number[], number[]] };
    const corner = chosenGap.corner;
    const trialsOf = (v: number[]): Params[] => feasible.filter((i) => (loss[i] as number[]).every((x, k) => x === v[k])).map((i) => (done[i] as Trial).params);
    const dist = (i: number): number => (loss[i] as number[]).reduce((s, x, k) => s + Math.max(0, x - (corner[k] as number)) / (range[k] as number), 0);
    const d = new Map(feasible.map((i) => [i, dist(i)]));
    const chosen = new Set([...feasible].sort((a, b) => (d.get(a) as number) - (d.get(b) as number) || a - b).slice(0, nBelow));
    const below = done.filter((_, i) => chosen.has(i));
    const above = done.filter((_, i) => !chosen.has(i));
    return { below, above, belowWeights: below.map(() => 1), pair: [trialsOf(chosenGap.ends[0]), trialsOf(chosenGap.ends[1])] };
  }

  /**
   * gapProposal 'cross': every unevaluated point whose each categorical parameter takes the value of a trial of the
   * gap's one front vector or of a trial of its other (non-categorical parameters from the first; at most 300 drawn at
   * random where there are more), the one with the largest log l - log g whose class (where the context gives a key) is
   * not evaluated; undefined when there is none.
   */
  private crossProposal(model: Model, pair: readonly [readonly Params[], readonly Params[]], ctx: AskContext): Params | undefined {
    const { space, rng } = ctx;
    const { l, g, dims, specs } = model;
    const names = space.names;
    const out = new Map<string, Params>();
    const cross = (a: Params, b: Params): void => {
      const diff = names.filter((n, k) => (specs[k] as ParamSpec).kind === 'categorical' && JSON.stringify(a[n]) !== JSON.stringify(b[n]));
      const all = 2 ** diff.length;
      const CAP = 300;
      const masks = all <= CAP ? Array.from({ length: all }, (_, i) => i) : Array.from({ length: CAP }, () => rng.int(0, all - 1));
      for (const mask of masks) {
        const p: Record<string, JsonValue> = { ...a } as Record<string, JsonValue>;
        diff.forEach((n, j) => {
          if (Math.floor(mask / 2 ** j) % 2 === 1) p[n] = b[n] as JsonValue;
        });
        const key = keyOf(p, names);
        if (!out.has(key)) out.set(key, p);
      }
    };
    for (const a of pair[0].slice(0, 4)) for (const b of pair[1].slice(0, 4)) cross(a, b);
    const classOf = ctx.classOf;
    const seenCls = classOf ? this.seenClasses(ctx, classOf) : undefined;
    const scored = [...out.values()]
      .filter((p) => !model.seen.has(keyOf(p, names)) && !(classOf && seenCls?.has(classOf(p))))
      .map((p) => ({ p, s: logRatio(l, g, dims, toPoint(names, specs, p)) }))
      .sort((a, b) => b.s - a.s);
    return scored[0]?.p;
  }

  /**
   * Below / above sets (and the below weights) of the complete trials; with `end`, the below set is the best trials on
   * that objective alone (weights 1); with `scalar` (a scalarised ask, 2 or more objectives), the best by a random-weight
   * scalarisation ({@link scalarOrder}; weights 1).
   */
  private split(done: readonly Trial[], ctx: AskContext, end?: number, scalar = false): { below: Trial[]; above: Trial[]; belowWeights: number[] } {
    const n = done.length;
    const nBelow = Math.min(Math.ceil(this.o.gamma * n), this.o.maxBelow);
    const viol = done.map((t) => violation(t.constraints));
    const feasible = done.map((_, i) => i).filter((i) => (viol[i] as number) <= 0);
    const infeasible = done
      .map((_, i) => i)
      .filter((i) => (viol[i] as number) > 0)
      .sort((a, b) => (viol[a] as number) - (viol[b] as number) || a - b);
    const loss = done.map((t) => toMinimization(t.values as number[], ctx.objectives));
    const m = ctx.objectives.length;
    let chosen: number[];
    const one = m === 1 ? 0 : end;
    const byOne = (j: number) => (a: number, b: number) => (loss[a] as number[])[j]! - (loss[b] as number[])[j]! || a - b;
    if (one !== undefined) chosen = [...feasible].sort(byOne(one)).slice(0, nBelow);
    else if (scalar) chosen = feasible.length > 0 ? this.scalarOrder(feasible, loss, n, ctx.rng).slice(0, nBelow) : [];
    else if (this.o.wholeFront && m >= 3) {
      const first = nonDominatedSort(feasible.map((i) => loss[i] as number[]))[0]?.length ?? 0;
      chosen = selectFronts(feasible, loss, Math.max(nBelow, Math.min(first, 2 * this.o.maxBelow)));
    } else chosen = selectFronts(feasible, loss, nBelow);
    for (const i of infeasible) if (chosen.length < nBelow) chosen.push(i);
    const inBelow = new Set(chosen);
    const below = done.filter((_, i) => inBelow.has(i));
    const above = done.filter((_, i) => !inBelow.has(i));
    const belowIdx = done.map((_, i) => i).filter((i) => inBelow.has(i));
    let belowWeights = belowIdx.map(() => 1);
    if (m > 1 && one === undefined && !scalar && this.o.belowWeighting !== 'flat') {
      // MOTPE: a below trial weighs its (normalised) hypervolume contribution within the feasible below set.
      const fe = belowIdx.filter((i) => (viol[i] as number) <= 0);
      const pts = fe.map((i) => loss[i] as number[]);
      const ref = referencePoint(pts);
      const total = hypervolume(pts, ref);
      const contrib = new Map<number, number>();
      fe.forEach((i, k) => contrib.set(i, total - hypervolume([...pts.slice(0, k), ...pts.slice(k + 1)], ref)));
      const maxC = Math.max(0, ...contrib.values());
      const sqrt = this.o.belowWeighting === 'sqrt';
      belowWeights = belowIdx.map((i) => {
        if (maxC <= 0) return 1;
        const share = (contrib.get(i) ?? 0) / maxC;
        return Math.max(EPS, sqrt ? Math.sqrt(share) : share);
      });
    }
    return { below, above, belowWeights };
  }
}

/** The parameters of the first non-dominated front of the feasible trials of `done`; none feasible: of `below`. */
function frontParams(done: readonly Trial[], ctx: AskContext, below: readonly Trial[]): Params[] {
  const feasible = done.filter((t) => violation(t.constraints) <= 0);
  if (feasible.length === 0) return below.map((t) => t.params);
  return paretoFront(feasible.map((t) => toMinimization(t.values as number[], ctx.objectives))).map((i) => (feasible[i] as Trial).params);
}

/** Whether the ask after `n` complete trials falls on a cadence: every `every`-th from `from` on (`every` 0: never). */
/** Per free-cost source, one key function (the cost vector as text), so the space's index by cost is built once per source. */
const COST_KEYS = new WeakMap<CheapObjectives, (p: Params) => string>();
function costKeyFn(cheap: CheapObjectives): (p: Params) => string {
  let f = COST_KEYS.get(cheap);
  if (f === undefined) {
    f = (p: Params) => cheap.values(p).join(',');
    COST_KEYS.set(cheap, f);
  }
  return f;
}

/** The categorical parameters' one-hot encoding of `p` (other parameters left out). */
function oneHot(space: SearchSpace, p: Params): number[] {
  const x: number[] = [];
  for (const n of space.names) {
    const spec = space.params[n] as ParamSpec;
    if (spec.kind !== 'categorical') continue;
    const i = categoricalIndex(spec, p[n] as JsonValue);
    for (let c = 0; c < spec.choices.length; c++) x.push(c === i ? 1 : 0);
  }
  return x;
}

/**
 * `sameCostPick: 'ridge'`: a ridge regression (penalty 1, centred target) of the first objective without a free cost,
 * oriented so larger is better, on the complete feasible trials' one-hot encoding; returns its prediction
 * (undefined when no objective lacks a free cost or fewer than 2 trials are usable: the caller then uses log l - log g).
 */
function ridgeScorer(ctx: AskContext, cheap: CheapObjectives): ((p: Params) => number) | undefined {
  const j = ctx.objectives.findIndex((_, i) => !cheap.indices.includes(i));
  if (j < 0) return undefined;
  const done = ctx.history.filter((t) => t.state === 'complete' && t.values !== undefined && violation(t.constraints) <= 0);
  if (done.length < 2) return undefined;
  const xs = done.map((t) => oneHot(ctx.space, t.params));
  const ys = done.map((t) => -(toMinimization(t.values as number[], ctx.objectives)[j] as number));
  const d = (xs[0] as number[]).length;
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  xs.forEach((x, r) => {
    for (let u = 0; u < d; u++) {
      const xu = x[u] as number;
      if (xu === 0) continue;
      b[u] = (b[u] as number) + xu * ((ys[r] as number) - mean);
      for (let v = 0; v < d; v++) a[u * d + v] = (a[u * d + v] as number) + xu * (x[v] as number);
    }
  });
  for (let u = 0; u < d; u++) a[u * d + u] = (a[u * d + u] as number) + 1;
  const ch = cholesky(a, d);
  if (ch === null) return undefined;
  const w = solveUpperT(ch, d, solveLower(ch, d, b));
  return (p) => oneHot(ctx.space, p).reduce((s, x, u) => s + x * (w[u] as number), 0);
}

function onCadence(n: number, every: number, from: number): boolean {
  return every > 0 && n >= from && (n - from) % every === 0;
}

/** Index in `done` of the last trial that entered the front: feasible, its values new and dominated by no feasible trial before it (-1: none). */
function lastFrontEntry(done: readonly Trial[], ctx: AskContext): number {
  let front: number[][] = [];
  let last = -1;
  done.forEach((t, i) => {
    if (violation(t.constraints) > 0) return;
    const v = toMinimization(t.values as number[], ctx.objectives);
    if (front.some((f) => f.every((x, j) => x <= (v[j] as number)))) return;
    front = [...front.filter((f) => !v.every((x, j) => x <= (f[j] as number))), v];
    last = i;
  });
  return last;
}

/** The feasible complete trial best on objective `j` (ties: the other objectives in order, then the earlier trial). */
function bestOn(done: readonly Trial[], ctx: AskContext, j: number): Params | undefined {
  let best: { t: Trial; l: number[] } | undefined;
  for (const t of done) {
    if (violation(t.constraints) > 0) continue;
    const l = toMinimization(t.values as number[], ctx.objectives);
    const key = [l[j] as number, ...l.filter((_, k) => k !== j)];
    if (best === undefined || lexLess(key, best.l)) best = { t, l: key };
  }
  return best?.t.params;
}

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) < (b[i] as number);
  return false;
}

/** Whole non-dominated fronts of `idx` while they fit in `k`; the last front cut by greedy hypervolume subset selection. */
function selectFronts(idx: readonly number[], loss: readonly number[][], k: number): number[] {
  const fronts = nonDominatedSort(idx.map((i) => loss[i] as number[])).map((f) => f.map((j) => idx[j] as number));
  const out: number[] = [];
  for (const f of fronts) {
    if (out.length >= k) break;
    if (out.length + f.length <= k) {
      out.push(...f);
      continue;
    }
    const pts = f.map((i) => loss[i] as number[]);
    const ref = referencePoint(pts);
    const picked: number[] = [];
    const rest = f.map((_, j) => j);
    while (out.length + picked.length < k && rest.length > 0) {
      const base = hypervolume(
        picked.map((j) => pts[j] as number[]),
        ref,
      );
      let best = 0;
      let bestGain = -Infinity;
      rest.forEach((j, r) => {
        const gain =
          hypervolume(
            [...picked, j].map((q) => pts[q] as number[]),
            ref,
          ) - base;
        if (gain > bestGain) {
          bestGain = gain;
          best = r;
        }
      });
      picked.push(rest.splice(best, 1)[0] as number);
    }
    out.push(...picked.map((j) => f[j] as number));
  }
  return out;
}

/** A reference point just beyond the worst value of each objective (10% of the range, or 1 when flat). */
function referencePoint(pts: readonly (readonly number[])[]): number[] {
  if (pts.length === 0) return [];
  const m = (pts[0] as number[]).length;
  return Array.from({ length: m }, (_, k) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of pts) {
      lo = Math.min(lo, p[k] as number);
      hi = Math.max(hi, p[k] as number);
    }
    return hi + (hi > lo ? 0.1 * (hi - lo) : 1);
  });
}

/** Optuna's default weights: 1 for the newest 25 trials, a ramp from 1/n up to 1 for the older ones. */
function rampWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const r = n - 25;
  return Array.from({ length: n }, (_, i) => (i < r ? (r === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (r - 1)) : 1));
}

function flatten(specs: readonly ParamSpec[]): Dim[] {
  const dims: Dim[] = [];
  for (const s of specs) {
    if (s.kind === 'categorical') dims.push({ kind: 'cat', k: s.choices.length });
    else if (s.kind === 'structured') for (let j = 0; j < s.codec.dimension; j++) dims.push({ kind: 'num', lo: 0, hi: 1, log: false });
    else if (s.kind === 'float') dims.push({ kind: 'num', lo: s.log ? Math.log(s.low) : s.low, hi: s.log ? Math.log(s.high) : s.high, log: !!s.log });
    else {
      const step = s.step ?? 1;
      const log = !!s.log;
      const high = s.low + step * Math.floor((s.high - s.low) / step);
      const t = (v: number): number => (log ? Math.log(v) : v);
      dims.push({ kind: 'num', lo: t(s.low - step / 2), hi: t(high + step / 2), log, grid: { step, log, low: s.low, high } });
    }
  }
  return dims;
}

/** A point as numbers per dimension: categorical index, transformed number, or codec encoding. */
function toPoint(names: readonly string[], specs: readonly ParamSpec[], p: Params): number[] {
  const x: number[] = [];
  specs.forEach((s, k) => {
    const v = p[names[k] as string] as JsonValue;
    if (s.kind === 'categorical') x.push(Math.max(0, categoricalIndex(s, v)));
    else if (s.kind === 'structured') x.push(...s.codec.encode(v));
    else x.push(s.log ? Math.log(v as number) : (v as number));
  });
  return x;
}

/** The parameters of a point of the flattened dimensions (nearest valid values). */
function fromPoint(names: readonly string[], specs: readonly ParamSpec[], dims: readonly Dim[], x: readonly number[]): Params {
  const out: Record<string, JsonValue> = {};
  let d = 0;
  specs.forEach((s, k) => {
    const name = names[k] as string;
    if (s.kind === 'categorical') out[name] = s.choices[x[d++] as number] as JsonValue;
    else if (s.kind === 'structured') {
      out[name] = s.codec.decode(x.slice(d, d + s.codec.dimension).map((u) => Math.min(1, Math.max(0, u))));
      d += s.codec.dimension;
    } else {
      const dim = dims[d] as Dim & { kind: 'num' };
      const t = x[d++] as number;
      if (s.kind === 'int') out[name] = roundToGrid(dim, t);
      else out[name] = Math.min(s.high, Math.max(s.low, s.log ? Math.exp(t) : t));
    }
  });
  return out;
}

/** classMix: a space's classes under a class key, in order of first appearance, and each class's points. */
export interface ClassIndex {
  /** Points of the space. */
  readonly points: number;
  readonly keys: readonly string[];
  readonly members: readonly (readonly Params[])[];
  /** The members of each class by its key (the same arrays as `members`). */
  readonly byKey: ReadonlyMap<string, readonly Params[]>;
}

/**
 * classMix's class index per class key function and space object (null: not a categorical space of at most 200,000
 * points), built once per process: every `Tpe` given the same key function (the repeat filter's is one per
 * architecture space object, `computationClassKey`) on the same space reuses it. The index depends on the space and
 * the key only, so a reused one gives the proposals a fresh one would.
 */
const CLASS_INDEX = new WeakMap<(p: Params) => string, WeakMap<SearchSpace, ClassIndex | null>>();

/** The class index of `space` under `classOf` (see `CLASS_INDEX`): the points enumerated in mixed-radix order. */
export function classIndex(space: SearchSpace, classOf: (p: Params) => string): ClassIndex | null {
  let bySpace = CLASS_INDEX.get(classOf);
  if (bySpace === undefined) {
    bySpace = new WeakMap();
    CLASS_INDEX.set(classOf, bySpace);
  }
  const hit = bySpace.get(space);
  if (hit !== undefined) return hit;
  let idx: ClassIndex | null = null;
  const specs = space.names.map((n) => space.params[n] as ParamSpec);
  const sizes = specs.map((s) => (s.kind === 'categorical' ? s.choices.length : 0));
  const total = sizes.reduce((a, b) => a * b, 1);
  if (total > 0 && total <= 200_000) {
    const byKey = new Map<string, Params[]>();
    for (let i = 0; i < total; i++) {
      let r = i;
      const p: Record<string, JsonValue> = {};
      specs.forEach((s, k) => {
        const n = sizes[k] as number;
        p[space.names[k] as string] = (s as { choices: readonly JsonValue[] }).choices[r % n] as JsonValue;
        r = Math.floor(r / n);
      });
      const key = classOf(p);
      const m = byKey.get(key);
      if (m) m.push(p);
      else byKey.set(key, [p]);
    }
    idx = { points: total, keys: [...byKey.keys()], members: [...byKey.values()], byKey };
  }
  bySpace.set(space, idx);
  return idx;
}

/** A hash of every trial's number, state, values, constraints and parameters (the memo key of the estimators). */
function historyHash(h: readonly Trial[], names: readonly string[]): string {
  let a = 0x811c9dc5;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) a = Math.imul(a ^ s.charCodeAt(i), 0x01000193) >>> 0;
  };
  for (const t of h) mix(`${t.number}${t.state}${t.values?.join(',')}${t.constraints?.join(',')}${keyOf(t.params, names)}`);
  return a.toString(16);
}

function keyOf(p: Params, names: readonly string[]): string {
  return JSON.stringify(names.map((n) => p[n] ?? null));
}

function sampleUnseen(ctx: AskContext, seen: ReadonlySet<string>): Params {
  let p = ctx.space.sample(ctx.rng);
  for (let i = 0; i < 100 && seen.has(keyOf(p, ctx.space.names)); i++) p = ctx.space.sample(ctx.rng);
  return p;
}

/**
 * A start-up point that spreads the start-up trials evenly over every categorical parameter's values: per
 * categorical parameter, a value among those the trials in the history use least, at random among ties;
 * other parameters uniform. Over `strata` trials every value of a k-way choice appears floor or
 * ceil(strata / k) times, unless other proposals (a wrapper's, a resumed study's) interfere.
 */
function sampleStratified(ctx: AskContext): Params {
  const { space, rng } = ctx;
  const out: Record<string, JsonValue> = {};
  for (const name of space.names) {
    const s = space.params[name] as ParamSpec;
    if (s.kind !== 'categorical') {
      out[name] = sampleParam(s, rng);
      continue;
    }
    const count = new Array<number>(s.choices.length).fill(0);
    for (const t of ctx.history) {
      const i = categoricalIndex(s, t.params[name] as JsonValue);
      if (i >= 0) count[i] = (count[i] as number) + 1;
    }
    const min = Math.min(...count);
    const ties = count.flatMap((c, i) => (c === min ? [i] : []));
    out[name] = s.choices[ties[rng.int(0, ties.length - 1)] as number] as JsonValue;
  }
  return out;
}

function sameValue(dim: Dim, a: number, b: number): boolean {
  if (dim.kind === 'cat') return a === b;
  if (dim.grid) return roundToGrid(dim, a) === roundToGrid(dim, b);
  return a === b;
}

function roundToGrid(dim: Dim & { kind: 'num' }, t: number): number {
  const g = dim.grid as NonNullable<typeof dim.grid>;
  const v = g.log ? Math.exp(t) : t;
  const k = Math.round((v - g.low) / g.step);
  return g.low + g.step * Math.min(Math.round((g.high - g.low) / g.step), Math.max(0, k));
}

function fitParzen(
  xs: readonly number[][],
  weights: readonly number[],
  dims: readonly Dim[],
  priorWeight: number,
  multivariate: boolean,
  spreads?: readonly Spreads[],
): Parzen {
  const n = xs.length;
  const nc = n + 1;
  const w = new Float64Array(nc);
  for (let i = 0; i < n; i++) w[i] = weights[i] as number;
  w[n] = priorWeight;
  const sum = w.reduce((s, v) => s + v, 0);
  const logWeights = new Float64Array(nc);
  const cumWeights = new Float64Array(nc);
  let acc = 0;
  for (let i = 0; i < nc; i++) {
    logWeights[i] = Math.log((w[i] as number) / sum);
    acc += (w[i] as number) / sum;
    cumWeights[i] = acc;
  }
  const mus: (Float64Array | null)[] = [];
  const sigmas: (Float64Array | null)[] = [];
  const logProbs: (Float64Array[] | null)[] = [];
  const logZ: (Float64Array | null)[] = [];
  dims.forEach((dim, d) => {
    if (dim.kind === 'cat') {
      const rows: Float64Array[] = [];
      for (let i = 0; i < n; i++) {
        const row = new Float64Array(dim.k).fill(priorWeight / dim.k);
        const keep = spreads?.[i]?.[d];
        const c = (xs[i] as number[])[d] as number;
        if (keep && keep.length > 0) for (const v of keep) row[v] = (row[v] as number) + 1 / keep.length;
        else row[c] = (row[c] as number) + 1;
        const z = 1 + priorWeight;
        rows.push(row.map((v) => Math.log(v / z)));
      }
      rows.push(new Float64Array(dim.k).fill(-Math.log(dim.k)));
      mus.push(null);
      sigmas.push(null);
      logZ.push(null);
      logProbs.push(rows);
      return;
    }
    const range = dim.hi - dim.lo;
    const mu = new Float64Array(nc);
    const sg = new Float64Array(nc);
    for (let i = 0; i < n; i++) mu[i] = (xs[i] as number[])[d] as number;
    mu[n] = (dim.lo + dim.hi) / 2;
    if (multivariate) {
      const s = 0.2 * nc ** (-1 / (dims.length + 4)) * range;
      sg.fill(s);
    } else {
      // Distance to the farther neighbour among the sorted means (the bounds count as neighbours).
      const order = Array.from({ length: nc }, (_, i) => i).sort((a, b) => (mu[a] as number) - (mu[b] as number));
      for (let r = 0; r < nc; r++) {
        const i = order[r] as number;
        const left = r > 0 ? (mu[order[r - 1] as number] as number) : dim.lo;
        const right = r < nc - 1 ? (mu[order[r + 1] as number] as number) : dim.hi;
        sg[i] = Math.max((mu[i] as number) - left, right - (mu[i] as number));
      }
    }
    sg[n] = range;
    // Optuna's "magic clip": no kernel narrower than range / min(100, components + 1).
    const minS = range / Math.min(100, nc + 1);
    for (let i = 0; i < nc; i++) sg[i] = Math.min(range, Math.max(minS, sg[i] as number));
    const z = new Float64Array(nc);
    for (let i = 0; i < nc; i++) z[i] = Math.log(Math.max(EPS, gaussMass(mu[i] as number, sg[i] as number, dim.lo, dim.hi)));
    mus.push(mu);
    sigmas.push(sg);
    logZ.push(z);
    logProbs.push(null);
  });
  return { logWeights, cumWeights, mus, sigmas, logProbs, logZ };
}

/** Mass of N(mu, sigma^2) over [a, b], accurate in both tails. */
function gaussMass(mu: number, sigma: number, a: number, b: number): number {
  const za = (a - mu) / sigma;
  const zb = (b - mu) / sigma;
  if (za > 0) return normCdf(-za) - normCdf(-zb);
  return normCdf(zb) - normCdf(za);
}

function pickComponent(pz: Parzen, rng: Rng): number {
  const u = rng.next();
  const c = pz.cumWeights;
  for (let i = 0; i < c.length; i++) if (u < (c[i] as number)) return i;
  return c.length - 1;
}

function sampleDim(pz: Parzen, dims: readonly Dim[], d: number, i: number, rng: Rng): number {
  const dim = dims[d] as Dim;
  if (dim.kind === 'cat') {
    const row = (pz.logProbs[d] as Float64Array[])[i] as Float64Array;
    let u = rng.next();
    for (let j = 0; j < row.length; j++) {
      u -= Math.exp(row[j] as number);
      if (u < 0) return j;
    }
    return row.length - 1;
  }
  const mu = (pz.mus[d] as Float64Array)[i] as number;
  const sg = (pz.sigmas[d] as Float64Array)[i] as number;
  let v = Number.NaN;
  for (let t = 0; t < 200; t++) {
    const s = rng.normal(mu, sg);
    if (s >= dim.lo && s <= dim.hi) {
      v = s;
      break;
    }
  }
  if (Number.isNaN(v)) v = rng.uniform(dim.lo, dim.hi);
  return dim.grid ? toT(dim, roundToGrid(dim, v)) : v;
}

function toT(dim: Dim & { kind: 'num' }, v: number): number {
  return dim.log ? Math.log(v) : v;
}

function sampleParzen(pz: Parzen, dims: readonly Dim[], rng: Rng): number[] {
  const i = pickComponent(pz, rng);
  return dims.map((_, d) => sampleDim(pz, dims, d, i, rng));
}

/** Log kernel density of component i at value v of dimension d. */
function logKernel(pz: Parzen, dim: Dim, d: number, i: number, v: number): number {
  if (dim.kind === 'cat') return (((pz.logProbs[d] as Float64Array[])[i] as Float64Array)[v] as number) ?? -Infinity;
  const mu = (pz.mus[d] as Float64Array)[i] as number;
  const sg = (pz.sigmas[d] as Float64Array)[i] as number;
  const lz = (pz.logZ[d] as Float64Array)[i] as number;
  if (dim.grid) {
    const g = dim.grid;
    const val = roundToGrid(dim, v);
    const a = g.log ? Math.log(val - g.step / 2) : val - g.step / 2;
    const b = g.log ? Math.log(val + g.step / 2) : val + g.step / 2;
    return Math.log(Math.max(EPS, gaussMass(mu, sg, a, b))) - lz;
  }
  const z = (v - mu) / sg;
  return -0.5 * z * z - Math.log(sg) - 0.5 * Math.log(2 * Math.PI) - lz;
}

function logSumExp(xs: Float64Array): number {
  let mx = -Infinity;
  for (const x of xs) mx = Math.max(mx, x);
  if (!Number.isFinite(mx)) return mx;
  let s = 0;
  for (const x of xs) s += Math.exp(x - mx);
  return mx + Math.log(s);
}

/**
 * Joint log density of the mixture (product kernels) at x; with `spreads`, a categorical dimension's kernel value is
 * its mass over the values that keep x's class (the class's mass, not a value's).
 */
function logDensity(pz: Parzen, dims: readonly Dim[], x: readonly number[], spreads?: Spreads): number {
  const nc = pz.logWeights.length;
  const terms = new Float64Array(nc);
  for (let i = 0; i < nc; i++) {
    let s = pz.logWeights[i] as number;
    for (let d = 0; d < dims.length; d++) {
      const keep = spreads?.[d];
      if (keep && keep.length > 1) {
        const row = (pz.logProbs[d] as Float64Array[])[i] as Float64Array;
        let m = 0;
        for (const c of keep) m += Math.exp(row[c] as number);
        s += Math.log(m);
      } else s += logKernel(pz, dims[d] as Dim, d, i, x[d] as number);
    }
    terms[i] = s;
  }
  return logSumExp(terms);
}

/** Marginal log density of dimension d at v. */
function logDensity1(pz: Parzen, dim: Dim, d: number, v: number): number {
  const nc = pz.logWeights.length;
  const terms = new Float64Array(nc);
  for (let i = 0; i < nc; i++) terms[i] = (pz.logWeights[i] as number) + logKernel(pz, dim, d, i, v);
  return logSumExp(terms);
}
