/**
 * The one registry of search strategies by name. Every optimiser of hwnas (generic ones here;
 * quantization, transform and architecture strategies registered by their own folders on import)
 * is created through {@link createStrategy}, so configs, the CLI and the study loop name them alike.
 */
import { ConfigError } from '../errors.js';
import type { SearchSpace } from './space.js';
import { AUTO_PICKS, Auto } from './strategies/auto.js';
import { BayesianOptimization, type BayesianOptimizationOptions } from './strategies/bayesian.js';
import { Nsga2, type Nsga2Options } from './strategies/nsga2.js';
import { PORTFOLIO_MEMBERS, Portfolio, type PortfolioOptions } from './strategies/portfolio.js';
import { Prescreen, type PrescreenOptions } from './strategies/prescreen.js';
import { RandomSearch } from './strategies/random.js';
import { RegularizedEvolution, type RegularizedEvolutionOptions } from './strategies/regularized-evolution.js';
import { Tpe, type TpeOptions } from './strategies/tpe.js';
import type { JsonValue, Objective, SearchStrategy } from './types.js';

/** What a strategy factory may know about the study it serves besides its own options. */
export interface StrategyContext {
  /** The study's space. */
  readonly space: SearchSpace;
  readonly objectives: readonly Objective[];
  /** The study's budget (number of trials). */
  readonly nTrials: number;
  /** The study seed. */
  readonly seed: number;
}

/** Builds a strategy from JSON options (ConfigError naming a bad option). */
export type StrategyFactory = (options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined) => SearchStrategy;

/**
 * What a strategy searches: 'generic' strategies work on any space; the others need their domain's
 * options (a quantization cost table, a transform alternative table, an architecture space's inputs).
 */
export type StrategyDomain = 'generic' | 'nas' | 'quant' | 'transform';

/** A registered strategy: factory, a one-line description for help texts and errors, its domain. */
interface Entry {
  readonly factory: StrategyFactory;
  readonly description: string;
  readonly domain: StrategyDomain;
}

const factories = new Map<string, Entry>();
const aliases = new Map<string, string>();

/** Registers (or replaces) a strategy factory under `name`. */
export function registerStrategy(name: string, factory: StrategyFactory, description = '', domain: StrategyDomain = 'generic'): void {
  factories.set(name, { factory, description, domain });
}

/** Makes `alias` another name of the registered strategy `name` (e.g. 'evolution'). */
export function registerStrategyAlias(alias: string, name: string): void {
  aliases.set(alias, name);
}

/** Names of the registered strategies, sorted (aliases not included); with a domain, the generic ones and that domain's. */
export function strategyNames(domain?: StrategyDomain): string[] {
  return [...factories.entries()]
    .filter(([, e]) => domain === undefined || e.domain === 'generic' || e.domain === domain)
    .map(([n]) => n)
    .sort();
}

/** The canonical name of a strategy name or alias (unchanged when unknown). */
export function canonicalStrategyName(name: string): string {
  return aliases.get(name) ?? name;
}

/** One-line description of a registered strategy ('' when none was given). */
export function strategyDescription(name: string): string {
  return factories.get(canonicalStrategyName(name))?.description ?? '';
}

/** A new strategy by registry name or alias (ConfigError naming the known ones when unknown). */
export function createStrategy(name: string, options: Readonly<Record<string, unknown>> = {}, ctx?: StrategyContext): SearchStrategy {
  const f = factories.get(canonicalStrategyName(name));
  if (!f) throw new ConfigError(`unknown search strategy '${name}'; expected one of ${strategyNames().join(', ')}`);
  return f.factory(options, ctx);
}

/** The default NSGA-II / evolution population of a study of `nTrials` trials: a tenth of it, 10 to 50. */
export function defaultPopulationSize(nTrials: number): number {
  return Math.min(50, Math.max(10, Math.round(nTrials / 10)));
}

/**
 * Budget-dependent defaults of the generic strategies, shared by `hwnas nas` and `hwnas study create`
 * (so a config study and the command with the same budget search alike). NSGA-II / evolution: a
 * population of a tenth of the budget (10 to 50) and at most a third of it, so that small studies get
 * several generations (a fixed 50 made a 60-trial NSGA-II study random search for its first 50 trials);
 * BO: startup trials from the encoded dimension. `populationSize` overrides the tenth-of-budget rule.
 */
export function defaultStrategyOptions(name: string, nTrials: number, encodedDimension: number, populationSize?: number): Record<string, JsonValue> {
  const canonical = canonicalStrategyName(name);
  // auto: the defaults of the strategies it picks between (options given for `large` / `small` replace them)
  if (canonical === AUTO)
    return Object.fromEntries(
      Object.entries(AUTO_PICKS).map(([k, n]) => [k, { name: n, options: defaultStrategyOptions(n, nTrials, encodedDimension, populationSize) }]),
    );
  // portfolio: the defaults of its two members, the same way
  if (canonical === PORTFOLIO)
    return Object.fromEntries(
      Object.entries(PORTFOLIO_MEMBERS).map(([k, n]) => [k, { name: n, options: defaultStrategyOptions(n, nTrials, encodedDimension, populationSize) }]),
    );
  const pop = Math.min(populationSize ?? defaultPopulationSize(nTrials), Math.max(4, Math.floor(nTrials / 3)));
  if (canonical === 'nsga2') return { populationSize: pop };
  if (canonical === 'regularized-evolution') return { populationSize: pop, sampleSize: Math.max(2, Math.round(pop / 4)) };
  if (canonical === 'bo') return { candidates: 300, maxPoints: 80, startupTrials: Math.max(10, Math.min(2 * encodedDimension + 2, Math.round(nTrials / 6))) };
  return {};
}

/** A strategy's JSON options with only the keys it knows (a misspelt option is an error, never silently ignored). */
function knownOptions<T>(name: string, options: Readonly<Record<string, unknown>>, known: readonly string[]): T {
  for (const k of Object.keys(options))
    if (!known.includes(k))
      throw new ConfigError(`strategy '${name}': unknown option '${k}'; expected ${known.length ? `one of ${known.join(', ')}` : 'none'}`);
  return options as T;
}

registerStrategy(
  'random',
  (o) => {
    knownOptions('random', o, []);
    return new RandomSearch();
  },
  'uniform random points of the space',
);
registerStrategy(
  'nsga2',
  (o) => new Nsga2(knownOptions<Nsga2Options>('nsga2', o, ['populationSize', 'crossoverProb', 'sbxEta', 'mutationEta', 'mutationProb'])),
  'NSGA-II (non-dominated sorting, crowding distance), constraint-dominance',
);
registerStrategy(
  'bo',
  (o) =>
    new BayesianOptimization(
      knownOptions<BayesianOptimizationOptions>('bo', o, [
        'startupTrials',
        'candidates',
        'refine',
        'restarts',
        'maxPoints',
        'rho',
        'refitEvery',
        'categoricalKernel',
      ]),
    ),
  'Gaussian-process Bayesian optimisation (expected (hypervolume) improvement)',
);
registerStrategy(
  'regularized-evolution',
  (o) => new RegularizedEvolution(knownOptions<RegularizedEvolutionOptions>('regularized-evolution', o, ['populationSize', 'sampleSize', 'mutationEta'])),
  'regularized (aging) evolution',
);
registerStrategyAlias('evolution', 'regularized-evolution');
registerStrategy('tpe', (o) => new Tpe(o as TpeOptions), 'TPE (Parzen estimators; MOTPE for several objectives; options multivariate, candidates, gamma)');
registerStrategy(
  'prescreen',
  createPrescreen,
  "screens options.inner's proposals (options.candidates per trial): costAware computes the cheap objectives (hardware cost) exactly and skips surely dominated ones; surrogate gp predicts the rest (accuracy) and keeps the one adding most hypervolume",
);

/** Registry name of the pre-screening wrapper (cost-aware search and predictor-guided proposals). */
export const PRESCREEN = 'prescreen';

/** 'prescreen' from JSON options: `inner` (a strategy name or `{ name, options }`, default 'nsga2') plus {@link PrescreenOptions}. */
function createPrescreen(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): SearchStrategy {
  const { inner = 'nsga2', ...rest } = options;
  const known = [
    'candidates',
    'costAware',
    'surrogate',
    'startupTrials',
    'refitEvery',
    'maxPoints',
    'exploration',
    'encoding',
    'acquisition',
    'ehviShare',
    'ehviReference',
    'costRepeats',
    'ehviEvery',
    'ehviOthers',
    'endEvery',
    'endAfter',
    'endRadius',
    'endSide',
  ];
  knownOptions('prescreen', options, ['inner', ...known]);
  const ref = strategyRef('prescreen', 'inner', inner);
  if (canonicalStrategyName(ref.name) === PRESCREEN) throw new ConfigError("strategy 'prescreen' option inner = 'prescreen': expected another strategy");
  return new Prescreen(createStrategy(ref.name, ref.options, ctx), rest as PrescreenOptions);
}

/** A strategy named in another's options (`option` of `owner`): a registry name or `{ name, options }`. */
function strategyRef(owner: string, option: string, value: unknown): { name: string; options: Record<string, unknown> } {
  if (typeof value === 'string') return { name: value, options: {} };
  if (value !== null && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string') {
    const io = (value as { options?: unknown }).options;
    if (io !== undefined && (io === null || typeof io !== 'object' || Array.isArray(io)))
      throw new ConfigError(`strategy '${owner}' option ${option}.options ${JSON.stringify(io)}: expected an object`);
    return { name: (value as { name: string }).name, options: (io ?? {}) as Record<string, unknown> };
  }
  throw new ConfigError(`strategy '${owner}' option ${option} ${JSON.stringify(value)}: expected a strategy name or { name, options }`);
}

/** Options keyed `<part>.<option>` (one option of a part strategy: `small.gamma`) apart from the owner's own. */
function partOptions<P extends string>(
  options: Readonly<Record<string, unknown>>,
  names: readonly P[],
): { own: Record<string, unknown>; parts: Record<P, Record<string, unknown>> } {
  const own: Record<string, unknown> = {};
  const parts = Object.fromEntries(names.map((n) => [n, {}])) as Record<P, Record<string, unknown>>;
  for (const [k, v] of Object.entries(options)) {
    const dot = k.indexOf('.');
    const part = k.slice(0, dot) as P;
    if (dot > 0 && dot < k.length - 1 && names.includes(part)) (parts[part] as Record<string, unknown>)[k.slice(dot + 1)] = v;
    else own[k] = v;
  }
  return { own, parts };
}

/** Part `option` of strategy `owner` (a name or `{ name, options }`), its `<option>.<x>` options on top; not `owner` itself. */
function makePart(owner: string, option: string, value: unknown, extra: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): SearchStrategy {
  const ref = strategyRef(owner, option, value);
  if (canonicalStrategyName(ref.name) === owner) throw new ConfigError(`strategy '${owner}' option ${option} = '${owner}': expected another strategy`);
  return createStrategy(ref.name, { ...ref.options, ...extra }, ctx);
}

/** Registry name of the strategy that picks NSGA-II or TPE by the space's classes of equal computation. */
export const AUTO = 'auto';

/**
 * 'auto' from JSON options: `large` (default 'nsga2'), `small` (default 'tpe'), each a name or `{ name, options }`,
 * `minClassSize`, and `large.<option>` / `small.<option>`: one option of that side's strategy, on top of its options
 * (a bench label's `auto~small.frontLocalEvery=2` keeps the NAS defaults of both sides and sets one TPE option).
 */
function createAuto(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): SearchStrategy {
  const { own, parts: sideOptions } = partOptions(options, ['large', 'mid', 'small'] as const);
  const {
    large = AUTO_PICKS.large,
    small = AUTO_PICKS.small,
    mid,
    minClassSize,
    midClassSize,
  } = knownOptions<Record<string, unknown>>(AUTO, own, [
    'large',
    'small',
    'mid',
    'minClassSize',
    'midClassSize',
    'large.<option>',
    'mid.<option>',
    'small.<option>',
  ]);
  const classSizeOption = (name: string, v: unknown): number | undefined => {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 1))
      throw new ConfigError(`strategy 'auto' option ${name} ${JSON.stringify(v)}: expected a number >= 1 (points per class of equal computation)`);
    return v as number | undefined;
  };
  const min = classSizeOption('minClassSize', minClassSize);
  const lo = classSizeOption('midClassSize', midClassSize);
  if (lo !== undefined && lo >= (min ?? 4))
    throw new ConfigError(`strategy 'auto' option midClassSize ${lo}: expected a number below minClassSize (${min ?? 4})`);
  if (mid === undefined && Object.keys(sideOptions.mid).length > 0)
    throw new ConfigError(`strategy 'auto' option mid.${Object.keys(sideOptions.mid)[0]}: expected a mid side (options mid and midClassSize)`);
  const make = (option: 'large' | 'mid' | 'small', value: unknown): SearchStrategy => makePart(AUTO, option, value, sideOptions[option], ctx);
  return new Auto(
    make('large', large),
    make('small', small),
    { ...(min === undefined ? {} : { minClassSize: min }), ...(lo === undefined ? {} : { midClassSize: lo }) },
    mid === undefined ? undefined : make('mid', mid),
  );
}

/** Registry name of the strategy that shares one study between two strategies, ask by ask. */
export const PORTFOLIO = 'portfolio';

/**
 * 'portfolio' from JSON options: `first` (default 'tpe'), `second` (default 'nsga2'), each a name or `{ name, options }`,
 * `secondFrom`, `secondEvery`, and `first.<option>` / `second.<option>`: one option of that member, on top of its options.
 */
function createPortfolio(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): SearchStrategy {
  const { own, parts: memberOptions } = partOptions(options, ['first', 'second'] as const);
  const {
    first = PORTFOLIO_MEMBERS.first,
    second = PORTFOLIO_MEMBERS.second,
    ...schedule
  } = knownOptions<Record<string, unknown>>(PORTFOLIO, own, [
    'first',
    'second',
    'secondFrom',
    'secondEvery',
    'window',
    'minShare',
    'selection',
    'credit',
    'first.<option>',
    'second.<option>',
  ]);
  const make = (option: 'first' | 'second', value: unknown): SearchStrategy => makePart(PORTFOLIO, option, value, memberOptions[option], ctx);
  // secondFrom, secondEvery, window, minShare, selection, credit: checked (values and combinations) by the Portfolio
  return new Portfolio(make('first', first), make('second', second), schedule as PortfolioOptions);
}

registerStrategy(
  PORTFOLIO,
  createPortfolio,
  'two strategies over one history, ask by ask: first (default TPE) before secondFrom, then every secondEvery-th ask second (default NSGA-II), or with window each ask to the member whose recent asks entered the front more often or, with credit=hv, added more hypervolume (probability matching with a floor) (options first, second, secondFrom, secondEvery, window, minShare, selection, credit, first.<option>, second.<option>)',
);

registerStrategy(
  AUTO,
  createAuto,
  'NSGA-II on spaces whose classes of equal computation average >= 4 points (EC-NAS-like cells), TPE elsewhere (options large, small, minClassSize, large.<option>, small.<option>; a third side: mid, midClassSize, mid.<option>)',
);
