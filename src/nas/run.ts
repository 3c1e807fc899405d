/**
 * The NAS study driver: an architecture space, a strategy by name, objectives and an evaluator
 * (tabular lookup or short training) run through the study loop; the result lists every trial by
 * architecture string, the Pareto set, and the normalised hypervolume after every `curveStep` queries.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type DatasetSpec, parseDatasetSpec } from '../data/spec.js';
import type { LoadDatasetOptions, SplitLimits } from '../data/types.js';
import { ConfigError } from '../errors.js';
import { hypervolume, objectiveBounds, ParetoArchive, paretoFront, toMinimization, violation } from '../search/pareto.js';
import type { SearchSpace } from '../search/space.js';
import { getArchSpace } from '../search/spaces/registry.js';
import type { ArchSpace } from '../search/spaces/types.js';
import type { CheapObjectives, JsonValue, Objective, SearchStrategy, Trial } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/types.js';
import { type Evaluator, runStudy, type StudyProgress } from '../study/run-study.js';
import { checkTableConstraint, type NasTable, parseNasTable, parseTableColumns, type TableConstraint } from './tabular.js';

/** Normalisation of objectives for hypervolume: per objective, minimisation-space best and worst. */
export interface HvFrame {
  readonly ideal: readonly number[];
  readonly nadir: readonly number[];
  /** Which point `nadir` is (the hypervolume's reference after normalisation), in words: reports print it. */
  readonly reference?: string;
}

/** What {@link tableHv} uses as the hypervolume reference: the true front's nadir (default) or the whole table's worst values. */
export type TableReference = 'front-nadir' | 'table-worst';

/** Minimisation-space points scaled so that ideal -> 0, nadir -> 1 (reference point is [1, ..., 1]). */
export function normalise(values: readonly (readonly number[])[], objectives: readonly Objective[], f: HvFrame): number[][] {
  return values.map((v) =>
    toMinimization(v as number[], objectives).map((x, i) => {
      const lo = f.ideal[i] as number;
      const hi = f.nadir[i] as number;
      return hi > lo ? (x - lo) / (hi - lo) : 0;
    }),
  );
}

/** Frame from a set of objective vectors (their per-objective best and worst). */
export function frameOf(values: readonly (readonly number[])[], objectives: readonly Objective[]): HvFrame {
  const { lo, hi } = objectiveBounds(
    values.map((v) => toMinimization(v as number[], objectives)),
    objectives.length,
  );
  return { ideal: lo, nadir: hi };
}

/** Normalised hypervolume of a set of objective vectors (reference [1, ..., 1]). */
export function normalisedHv(values: readonly (readonly number[])[], objectives: readonly Objective[], f: HvFrame): number {
  return hypervolume(
    normalise(values, objectives, f),
    objectives.map(() => 1),
  );
}

/** What {@link tableHv} returns: the table's true front, its normalised hypervolume and the frame. */
export interface TableTruth {
  readonly frame: HvFrame;
  readonly trueHypervolume: number;
  /** Architectures of the true front (with one objective: the best row(s)). */
  readonly front: string[];
  /** With one objective: the table's best row (the first of equal ones) and its value. */
  readonly best?: { readonly arch: string; readonly value: number };
}

/**
 * The whole table's true (best possible) normalised hypervolume and its frame. The reference is the true
 * front's nadir by default (ideal -> 0, the worst value of each objective over the true front -> 1), so
 * only points near the front count; 'table-worst' puts it at the worst value of the whole table (every
 * point counts, and even random search gets close to 1). With a `constraint`, the true front is that of the
 * feasible rows (what a search under the line can reach). With one objective the frame is the (feasible) rows'
 * range whatever `reference` says (the front's nadir is the best value itself) and `best` is the table's best row.
 */
export function tableHv(t: NasTable, objectives: readonly Objective[], constraint?: TableConstraint, reference: TableReference = 'front-nadir'): TableTruth {
  const names = objectives.map((o) => o.name);
  const all = t.archs();
  const whole = frameOf(
    all.map((a) => t.values(a, names)),
    objectives,
  );
  const col = constraint ? checkTableConstraint(t, constraint) : -1;
  const archs = constraint ? all.filter((a) => (t.values(a, [t.metrics[col] as string])[0] as number) <= constraint.maxMs) : all;
  if (constraint && archs.length === 0 && all.length > 0) {
    // no row under the line: no true front, so no share of it to report (not 0 of 0 as 0%)
    const smallest = Math.min(...all.map((a) => t.values(a, [t.metrics[col] as string])[0] as number));
    throw new ConfigError(
      `--max-latency ${constraint.maxMs}: no row of ${t.source} meets the latency line (its smallest ${t.metrics[col]} is ${smallest} ms); expected a line of at least ${smallest} ms`,
    );
  }
  const vals = archs.map((a) => t.values(a, names));
  const idx = paretoFront(normalise(vals, objectives, whole));
  const under = constraint ? ' (rows under the latency line)' : '';
  // One objective: the true front is the best row(s), whose nadir is the best value itself (a frame of zero width, in
  // which every point would normalise to 0); the frame is the rows' range instead, and the best row is returned.
  const single = objectives.length === 1;
  const frame: HvFrame = single
    ? { ...frameOf(vals, objectives), reference: `the table's worst value${under}` }
    : reference === 'front-nadir'
      ? {
          ...frameOf(
            idx.map((i) => vals[i] as number[]),
            objectives,
          ),
          reference: `the table's true front's nadir${under}`,
        }
      : { ...whole, reference: "the table's worst value of each objective" };
  const norm = normalise(
    idx.map((i) => vals[i] as number[]),
    objectives,
    frame,
  );
  return {
    frame,
    trueHypervolume: hypervolume(
      norm,
      objectives.map(() => 1),
    ),
    front: idx.map((i) => archs[i] as string),
    ...(single && idx.length > 0 ? { best: { arch: archs[idx[0] as number] as string, value: (vals[idx[0] as number] as number[])[0] as number } } : {}),
  };
}

/** The table a `nas-table` study looked its values up in, with the truth `hwnas nas --table` measured it against, or why there is none. */
export type StudyTable = { readonly table: string; readonly truth: TableTruth } | { readonly table: string; readonly truth?: undefined; readonly why: string };

/** The last few truths {@link studyTableTruth} computed (the dashboard asks every 2 s), by file content and options. */
const truths = new Map<string, TableTruth>();

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * For a study whose stored config evaluates with `nas-table` (as `hwnas nas --table` and `study create` store it, user
 * attribute `config`): the table's true front and frame exactly as `hwnas nas --table` computes them (same table, column
 * mapping, objectives and latency line), so a report can show the figure the CLI printed; with a reason instead when the
 * table file cannot be read, no longer has the content the study recorded (`tableSha256`) or does not parse. Undefined
 * for other studies.
 */
export function studyTableTruth(userAttrs: Readonly<Record<string, JsonValue>>, objectives: readonly Objective[]): StudyTable | undefined {
  const config = userAttrs.config;
  const ev = isObject(config) ? config.evaluator : undefined;
  const o = isObject(ev) && ev.name === 'nas-table' && isObject(ev.options) ? ev.options : undefined;
  if (!o || typeof o.table !== 'string') return undefined;
  const table = o.table;
  let bytes: Buffer;
  try {
    bytes = readFileSync(table);
  } catch {
    return { table, why: `its table file ${table} cannot be read here` };
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (typeof userAttrs.tableSha256 === 'string' && userAttrs.tableSha256 !== sha)
    return { table, why: `its table file ${table} no longer has the content the study recorded (sha256 ${userAttrs.tableSha256}, now ${sha})` };
  const constraint: TableConstraint | undefined =
    typeof o.maxLatencyMs === 'number' ? { maxMs: o.maxLatencyMs, ...(typeof o.latencyColumn === 'string' ? { column: o.latencyColumn } : {}) } : undefined;
  const spaceName = typeof o.space === 'string' ? o.space : 'nb201';
  const columns = typeof o.columns === 'string' ? o.columns : undefined;
  const key = JSON.stringify([resolve(table), sha, spaceName, columns ?? null, objectives, constraint ?? null]);
  let truth = truths.get(key);
  if (!truth) {
    try {
      const space = getArchSpace(spaceName);
      truth = tableHv(
        parseNasTable(bytes.toString('utf8'), table, space, columns === undefined ? undefined : parseTableColumns(columns)),
        objectives,
        constraint,
      );
    } catch (e) {
      return { table, why: `its table file ${table} cannot be used: ${(e as Error).message}` };
    }
    if (truths.size >= 4) truths.delete(truths.keys().next().value as string);
    truths.set(key, truth);
  }
  return { table, truth };
}

/** One trial of a NAS result. */
export interface NasTrial {
  readonly number: number;
  readonly arch: string;
  readonly values: Readonly<Record<string, number>>;
  /** Constraint violations (<= 0 feasible), when the study has constraints. */
  readonly constraints?: readonly number[];
}

/** Result of {@link runNas}. */
export interface NasResult {
  readonly trials: NasTrial[];
  readonly pareto: NasTrial[];
  /** Normalised hypervolume of all complete trials (reference point [1, ..., 1] after normalisation). */
  readonly hypervolume: number;
  /** Normalised hypervolume after each `curveStep` queries (and at the end). */
  readonly hypervolumeCurve: { readonly queries: number; readonly hypervolume: number }[];
  /**
   * Set in tabular mode: the whole table's Pareto hypervolume and our share of it (no share when the true hypervolume is
   * 0). With one objective the frame is the table's range, so the share is (worst - best found) / (worst - table's
   * best); `best` states the plainer comparison.
   */
  readonly trueHypervolume?: number;
  readonly hypervolumeRatio?: number;
  readonly frame: HvFrame;
  /** The hypervolume's reference point in words (the frame's nadir). */
  readonly hypervolumeReference: string;
  /** Two-stage: the hardware-sensitive parameters of stage 1. */
  readonly sensitive?: string[];
  /**
   * Trials stored as failed: interrupted or lost attempts (run again as new trials, so `trials` still reaches the
   * budget) and points whose evaluation threw; each failed trial's reason is its `hwnas:fail_reason` attribute.
   */
  readonly failed: number;
  /** Complete trials that violate a constraint (kept in `trials`, left out of `pareto` and the hypervolume). */
  readonly infeasible: number;
  /**
   * With one objective (a hypervolume ranks nothing there; `pareto` is the best trial(s)): the best feasible trial
   * and, in tabular mode, how it compares with the table's best.
   */
  readonly best?: NasBest;
}

/** The result of a one-objective NAS: the best trial found and, given the table's best, the two compared. */
export interface NasBest {
  readonly objective: Objective;
  /** The first trial with the best value. */
  readonly trial: NasTrial;
  readonly value: number;
  /** The table's best row (tabular mode). */
  readonly tableBest?: { readonly arch: string; readonly value: number };
  /**
   * Best found vs the table's best, 1 when the search found it: found / best for a maximised objective, best / found
   * for a minimised one; set when both values are > 0 (a ratio of other values would mean nothing).
   */
  readonly ratio?: number;
}

/** Options of {@link runNas}. */
export interface RunNasOptions {
  readonly space: ArchSpace;
  readonly objectives: readonly Objective[];
  readonly strategy: SearchStrategy;
  readonly evaluate: Evaluator;
  readonly budget: number;
  readonly seed: number;
  /** Default: a fresh in-memory store (nothing kept after the process). */
  readonly store?: Store;
  readonly studyName?: string;
  /** Normalisation frame (tabular mode: the table's); default: the observed range, worst end widened by 10%. */
  readonly frame?: HvFrame;
  readonly trueHypervolume?: number;
  /** One objective, tabular mode: the table's best row, compared with the best found ({@link NasResult.best}). */
  readonly tableBest?: { readonly arch: string; readonly value: number };
  /** Queries between points of the hypervolume curve (default 10). */
  readonly curveStep?: number;
  readonly onProgress?: (p: StudyProgress) => void;
  readonly signal?: AbortSignal;
  /** Extra fields for the result (e.g. the two-stage sensitive set). */
  readonly sensitive?: string[];
  /** Study attributes besides `archSpace` (strategy, target, ... shown by `hwnas report`). */
  readonly studyUserAttrs?: Readonly<Record<string, JsonValue>>;
  /** Cost-aware search: objectives the strategy may compute without a query (e.g. `tableCheapObjectives`). */
  readonly cheapObjectives?: CheapObjectives;
}

/** Options of {@link summariseNas}. */
export interface SummariseNasOptions {
  readonly space: ArchSpace;
  readonly objectives: readonly Objective[];
  /** Normalisation frame (tabular mode: the table's); default: the observed range, worst end widened by 10%. */
  readonly frame?: HvFrame;
  readonly trueHypervolume?: number;
  /** One objective, tabular mode: the table's best row ({@link TableTruth.best}), compared with the best found. */
  readonly tableBest?: { readonly arch: string; readonly value: number };
  /** Queries between points of the hypervolume curve (default 10). */
  readonly curveStep?: number;
  /** Two-stage: the sensitive parameters (copied into the result). */
  readonly sensitive?: string[];
}

/** The NAS summary of a study's trials (in number order): architectures, Pareto set, hypervolume and its curve. */
export function summariseNas(all: readonly Trial[], o: SummariseNasOptions): NasResult {
  const done = all.filter((t): t is Trial & { values: number[] } => t.state === 'complete' && t.values !== null);
  const toNas = (t: Trial & { values: number[] }): NasTrial => ({
    number: t.number,
    arch: typeof t.userAttrs.arch === 'string' ? t.userAttrs.arch : o.space.format(o.space.fromParams(t.params)),
    values: Object.fromEntries(o.objectives.map((ob, i) => [ob.name, t.values[i] as number])),
    ...(t.constraints ? { constraints: t.constraints } : {}),
  });
  const trials = done.map(toNas);
  // Without a given frame: the observed range, its worst end widened by 10% so extreme points count.
  const seen0 = frameOf(
    done.map((t) => t.values),
    o.objectives,
  );
  const frame = o.frame ?? {
    ideal: seen0.ideal,
    nadir: seen0.nadir.map((n, i) => n + 0.1 * (n - (seen0.ideal[i] as number))),
    reference: 'the worst observed value of each objective plus 10% of its observed range (no true front known)',
  };
  const norm = normalise(
    done.map((t) => t.values),
    o.objectives,
    frame,
  );
  // The Pareto set and hypervolume count feasible trials only (constraint violations <= 0).
  const feasible = done.map((t) => violation(t.constraints) <= 0);
  const feasIdx = norm.map((_, i) => i).filter((i) => feasible[i]);
  // With one objective the front is the best trial(s), found on the raw values: a frame of zero width (all values
  // equal, or a table's one-point front) normalises every value to 0.
  const single = o.objectives.length === 1;
  const raw = done.map((t) => toMinimization(t.values, o.objectives));
  const front = paretoFront(feasIdx.map((i) => (single ? raw : norm)[i] as number[])).map((k) => feasIdx[k] as number);
  const seen = new Set<string>();
  const pareto = front
    .map((i) => trials[i] as NasTrial)
    .filter((t) => {
      if (seen.has(t.arch)) return false;
      seen.add(t.arch);
      return true;
    });
  const ref = o.objectives.map(() => 1);
  const step = o.curveStep ?? 10;
  const curve: { queries: number; hypervolume: number }[] = [];
  // Feasible points enter a Pareto archive in trial order (`done` is in trial order): a curve point costs the
  // hypervolume of the front so far, not a pass over every trial (same value: dominated points add nothing).
  const archive = new ParetoArchive<number>();
  let next = 0;
  for (let q = step; q < all.length + step; q += step) {
    const k = Math.min(q, all.length);
    for (; next < done.length && (done[next] as Trial).number < k; next++)
      if (feasible[next]) archive.add(norm[next] as number[], next, (done[next] as Trial).number);
    curve.push({ queries: k, hypervolume: hypervolume(archive.points(), ref) });
    if (k === all.length) break;
  }
  const hv = hypervolume(
    norm.filter((_, i) => feasible[i]),
    ref,
  );
  return {
    trials,
    pareto,
    hypervolume: hv,
    hypervolumeCurve: curve,
    ...(o.trueHypervolume !== undefined
      ? { trueHypervolume: o.trueHypervolume, ...(o.trueHypervolume > 0 ? { hypervolumeRatio: hv / o.trueHypervolume } : {}) }
      : {}),
    frame,
    hypervolumeReference: frame.reference ?? `the given frame's nadir ${JSON.stringify(frame.nadir)}`,
    ...(o.sensitive ? { sensitive: o.sensitive } : {}),
    failed: all.filter((t) => t.state === 'failed').length,
    infeasible: feasible.filter((f) => !f).length,
    ...(single && pareto.length > 0 ? { best: nasBest(pareto[0] as NasTrial, o.objectives[0] as Objective, o.tableBest) } : {}),
  };
}

/** {@link NasBest} of the best trial found, compared with the table's best when given. */
function nasBest(trial: NasTrial, objective: Objective, tableBest?: { readonly arch: string; readonly value: number }): NasBest {
  const value = trial.values[objective.name] as number;
  const ratio =
    tableBest && value > 0 && tableBest.value > 0 ? (objective.direction === 'maximize' ? value / tableBest.value : tableBest.value / value) : undefined;
  return { objective, trial, value, ...(tableBest ? { tableBest } : {}), ...(ratio !== undefined ? { ratio } : {}) };
}

/**
 * Runs a NAS study in-process and summarises it (benches, tests, the library API); `hwnas nas` runs its
 * study from a stored config instead (see src/cli/commands/nas.ts), so that it can be resumed.
 */
export async function runNas(o: RunNasOptions): Promise<NasResult> {
  const store = o.store ?? new MemoryStore();
  const r = await runStudy({
    store,
    studyName: o.studyName ?? `nas-${o.space.name}-${o.strategy.name}-${o.seed}`,
    space: o.space.space,
    objectives: o.objectives,
    strategy: o.strategy,
    evaluate: o.evaluate,
    nTrials: o.budget,
    seed: o.seed,
    catchErrors: true,
    studyUserAttrs: { ...(o.studyUserAttrs ?? {}), archSpace: o.space.name },
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.cheapObjectives ? { cheapObjectives: o.cheapObjectives } : {}),
  });
  return summariseNas(r.trials, {
    space: o.space,
    objectives: o.objectives,
    ...(o.frame ? { frame: o.frame } : {}),
    ...(o.trueHypervolume !== undefined ? { trueHypervolume: o.trueHypervolume } : {}),
    ...(o.tableBest ? { tableBest: o.tableBest } : {}),
    ...(o.curveStep !== undefined ? { curveStep: o.curveStep } : {}),
    ...(o.sensitive ? { sensitive: o.sensitive } : {}),
  });
}

/**
 * Load options for a search data set (`hwnas nas`, study evaluations): `--limit` (training images;
 * validation gets half, at least 500; the test split is not used by the search) merged with the spec's
 * own options. A spec
 * `limit=` replaces `--limit` (a number limits training and validation alike, a `train:...` list only
 * the splits it names); giving both is an error. Size and channels come from the space unless the spec
 * sets them.
 */
export function nasDatasetOptions(
  spec: string,
  limitFlag: number | undefined,
  shape: { size: number; channels: number },
): { spec: DatasetSpec; options: LoadDatasetOptions } {
  const parsed = parseDatasetSpec(spec);
  const own = parsed.options.limit;
  if (own !== undefined && limitFlag !== undefined)
    throw new ConfigError(`--limit ${limitFlag} and the dataset spec '${spec}' both limit the data: give one of them`);
  if (limitFlag !== undefined && !(Number.isInteger(limitFlag) && limitFlag >= 1))
    throw new ConfigError(`--limit ${limitFlag}: expected a positive integer (training images)`);
  const train = limitFlag ?? 2000;
  const half = (n: number): number => Math.max(500, Math.round(n / 2));
  const base: SplitLimits = { train, val: half(train), test: half(train) };
  const limit: SplitLimits = own === undefined ? base : typeof own === 'number' ? { train: own, val: own, test: own } : { ...base, ...own };
  const { limit: _drop, ...rest } = parsed.options;
  return { spec: { ...parsed, options: { ...rest, limit } }, options: { size: shape.size, channels: shape.channels } };
}

/** Most trials a study may have (the study config's limit). */
export const MAX_STUDY_TRIALS = 10_000_000;

/**
 * Number of points of a space whose parameters are all categorical or int (the product of their choice
 * counts; an upper bound on the architectures of a space with inactive parameters), Infinity otherwise.
 */
export function spaceSize(space: SearchSpace): number {
  let n = 1;
  for (const name of space.names) {
    const p = space.spec(name);
    if (p.kind === 'categorical') n *= p.choices.length;
    else if (p.kind === 'int') n *= Math.floor((p.high - p.low) / (p.step ?? 1)) + 1;
    else return Infinity;
  }
  return n;
}

/**
 * The budget a NAS study runs with: at most the number of architectures there are to evaluate (the
 * table's rows in tabular mode, else the space's size when it is enumerable), with a note saying so
 * when `budget` was larger; a budget above {@link MAX_STUDY_TRIALS} that no such bound brings down is
 * a ConfigError. A search can then end: a budget beyond the space would only repeat architectures.
 */
export function capNasBudget(budget: number, space: ArchSpace, table?: NasTable): { budget: number; note?: string } {
  const size = table ? table.size : spaceSize(space.space);
  if (budget > size) {
    const what = table ? `the ${size} architectures of ${table.source}` : `the ${size} points of space '${space.name}'`;
    return { budget: size, note: `--budget ${budget} is more than ${what}: the study stops at ${size} trials` };
  }
  if (budget > MAX_STUDY_TRIALS)
    throw new ConfigError(`--budget ${budget}: expected at most ${MAX_STUDY_TRIALS} trials per study (space '${space.name}' has ${size} points)`);
  return { budget };
}
