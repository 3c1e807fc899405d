/**
 * The data behind the report and the dashboard, computed from the store: trials, the Pareto set,
 * hypervolume against trial number, precision policies and per-layer costs.
 *
 * Conventions read from trial user attributes (written by e.g. the `policy-cost` evaluation):
 * - `policy`: a PrecisionPolicy (`{ default: {weightBits, actBits}, layers: { <layer>: {weightBits, actBits} } }`,
 *   see src/hardware/precision.ts), or the same object in the trial's params under `policy`;
 *   drawn as the per-layer bit-width heat map.
 * - `layerCosts`: `[{ layer, latencyMs, energyMj }]` (energy may be null): the per-layer breakdown bars.
 */
import { UserError } from '../errors.js';
import { normalise, type StudyTable, studyTableTruth } from '../nas/run.js';
import { hypervolume, kneePoint, objectiveBounds, paretoTrials, toMinimization, violation } from '../search/pareto.js';
import { getArchSpace } from '../search/spaces/registry.js';
import type { JsonValue, Objective, Trial, TrialState } from '../search/types.js';
import type { Store, StudyRecord } from '../store/types.js';

/** A trial as the views need it. */
export interface ReportTrial {
  readonly number: number;
  readonly state: TrialState;
  readonly values: readonly number[] | null;
  /** Sum of positive constraint violations (0 = feasible). */
  readonly violation: number;
  readonly params: Readonly<Record<string, JsonValue>>;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** On the feasible first front (with one objective: the best feasible trial, ties included). */
  readonly pareto: boolean;
  /**
   * The architecture string `hwnas nas` prints for the trial (e.g. `r20-w0.5:k3e1r|...`), for a study of an architecture
   * space (study user attribute `archSpace`): the trial's `arch` user attribute, else its params formatted by the space.
   */
  readonly arch?: string;
}

/** One row of the bit-width heat map. */
export interface PolicyRow {
  readonly trial: number;
  /** Weight bits per layer, in `ReportData.policies.layers` order. */
  readonly weightBits: readonly number[];
  readonly actBits: readonly number[];
}

/** Per-layer costs of one trial. */
export interface LayerCostRow {
  readonly trial: number;
  readonly layers: readonly { readonly layer: string; readonly latencyMs: number; readonly energyMj: number | null }[];
}

/** Everything the report and dashboard draw for one study (JSON). */
export interface ReportData {
  readonly study: {
    readonly name: string;
    readonly objectives: readonly Objective[];
    readonly userAttrs: Readonly<Record<string, JsonValue>>;
    readonly createdAt: string;
  };
  readonly counts: Readonly<Record<TrialState, number>>;
  readonly trials: readonly ReportTrial[];
  /**
   * Normalised hypervolume of the feasible front of trials 0..trial (2+ objectives) or best value so far (1 objective).
   * Frame `table` (a `hwnas nas --table` study whose table is readable and unchanged): the frame that command prints its
   * hypervolume in, the table's true front's ideal -> 0 and its nadir -> 1, so the last point and `share` are the CLI's
   * figures. Frame `own` (every other study): per objective (minimisation form) the best feasible value -> 0 and
   * `reference` (the worst feasible value + 10% of the range) -> 1.
   */
  readonly progress: {
    readonly kind: 'hypervolume' | 'best';
    /** Which frame `points` are in (null with one objective). */
    readonly frame: 'own' | 'table' | null;
    /** Minimisation-form reference point (the frame's 1), in the objectives' own units. */
    readonly reference: readonly number[] | null;
    /** Minimisation-form ideal point (the frame's 0), in the objectives' own units. */
    readonly ideal: readonly number[] | null;
    /** How `points` are scaled, in words (reports print it). */
    readonly normalisation: string | null;
    readonly points: readonly { readonly trial: number; readonly value: number }[];
    /** Frame `table`: the normalised hypervolume of the table's true front in that frame. */
    readonly trueHypervolume?: number;
    /** Frame `table`: the last point / `trueHypervolume` (what `hwnas nas` prints as "% of the table's true front"). */
    readonly share?: number;
  };
  /** Knee point of the Pareto set (trial number) with 2+ objectives, or null. */
  readonly knee: number | null;
  /** With one objective: the best feasible trial (the first by number among ties, as `hwnas nas` and `study show` say), or null. */
  readonly best: number | null;
  /**
   * The heat map's rows: the Pareto (or best) trials with a policy, then the latest others, at most `limit` trials;
   * `total` complete trials have a policy, so `total - rows.length` earlier ones are left out.
   */
  readonly policies: { readonly layers: readonly string[]; readonly rows: readonly PolicyRow[]; readonly total: number; readonly limit: number };
  readonly layerCosts: readonly LayerCostRow[];
  readonly generatedAt: string;
  /** Set when other studies are compared with this one (see {@link buildCompareData}). */
  readonly compare?: CompareData;
}

/** Options of {@link buildReportData}. */
export interface ReportDataOptions {
  /** Most heat-map rows / layer-cost trials (Pareto trials first, then the latest; default 60). */
  readonly maxDetailTrials?: number;
  /** Most points on the hypervolume curve (default 200; evenly spaced over the trials). */
  readonly maxProgressPoints?: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bitsOf(v: unknown): { weightBits: number; actBits: number } | undefined {
  if (!isRecord(v)) return undefined;
  const w = v.weightBits;
  const a = v.actBits;
  return typeof w === 'number' && typeof a === 'number' ? { weightBits: w, actBits: a } : undefined;
}

/** The precision policy of a trial (userAttr `policy`, else param `policy`), or undefined. */
export function trialPolicy(
  t: Trial,
): { default?: { weightBits: number; actBits: number }; layers: Record<string, { weightBits: number; actBits: number }> } | undefined {
  const p = t.userAttrs.policy ?? t.params.policy;
  if (!isRecord(p) || !isRecord(p.layers)) return undefined;
  const layers: Record<string, { weightBits: number; actBits: number }> = {};
  for (const [k, v] of Object.entries(p.layers)) {
    const b = bitsOf(v);
    if (b) layers[k] = b;
  }
  const d = bitsOf(p.default);
  return { ...(d ? { default: d } : {}), layers };
}

function trialLayerCosts(t: Trial): LayerCostRow['layers'] | undefined {
  const lc = t.userAttrs.layerCosts;
  if (!Array.isArray(lc)) return undefined;
  const out: { layer: string; latencyMs: number; energyMj: number | null }[] = [];
  for (const e of lc) {
    if (!isRecord(e) || typeof e.layer !== 'string' || typeof e.latencyMs !== 'number') continue;
    out.push({ layer: e.layer, latencyMs: e.latencyMs, energyMj: typeof e.energyMj === 'number' ? e.energyMj : null });
  }
  return out.length > 0 ? out : undefined;
}

/**
 * The architecture string of each trial of a study over an architecture space (`archSpace` user attribute, set by
 * `hwnas nas`), or undefined for other studies: the trial's stored `arch`, else its params in the space's format
 * (undefined for params the space cannot read).
 */
function archLabeller(study: StudyRecord): ((t: Trial) => string | undefined) | undefined {
  const name = study.userAttrs.archSpace;
  if (typeof name !== 'string') return undefined;
  let space: ReturnType<typeof getArchSpace> | undefined;
  try {
    space = getArchSpace(name);
  } catch {
    space = undefined; // a space this build does not know: the stored strings only
  }
  return (t) => {
    if (typeof t.userAttrs.arch === 'string') return t.userAttrs.arch;
    if (!space) return undefined;
    try {
      return space.format(space.fromParams(t.params));
    } catch {
      return undefined;
    }
  };
}

function withArch(arch: string | undefined): { arch?: string } {
  return arch !== undefined ? { arch } : {};
}

/** The single-study hypervolume's own-frame normalisation in words (the report and dashboard print it). */
export const HV_NORMALISATION =
  "normalised hypervolume: per objective the best feasible value -> 0 and the reference point (worst feasible value + 10% of the range) -> 1, so 1 is the whole box; the frame of this study alone ('hwnas nas' without --table prints its figure in this frame, except that its frame also spans infeasible trials)";

/** The normalisation in words of a `hwnas nas --table` study's hypervolume (frame `table`). */
export const HV_TABLE_NORMALISATION =
  "normalised hypervolume in the frame 'hwnas nas --table' prints: per objective the best value of the table's true front -> 0 and the worst value over the true front (its nadir) -> 1, so points behind the nadir add nothing";

/** Why a study that ran on a table is drawn in its own frame: the table could not be used. */
function ownFrameBecause(t: StudyTable | undefined): string {
  return t && !t.truth
    ? `. This study looked its values up in a table, but ${t.why}: 'hwnas nas --table' printed its hypervolume in that table's true-front frame, which cannot be computed here`
    : '';
}

/**
 * Reference point for the hypervolume (minimisation form): the worst value of each objective over
 * the feasible complete trials plus 10% of its range (1 when the range is 0).
 */
export function referencePoint(points: readonly (readonly number[])[]): number[] | null {
  if (points.length === 0) return null;
  const { lo, hi } = objectiveBounds(points);
  return hi.map((h, k) => h + (h > (lo[k] as number) ? 0.1 * (h - (lo[k] as number)) : 1));
}

/** A study's own hypervolume frame (minimisation form): ideal -> 0, {@link referencePoint} -> 1. */
interface OwnFrame {
  readonly ideal: number[];
  readonly reference: number[];
  readonly scale: (v: readonly number[]) => number[];
}

/**
 * The frame `hwnas nas` without `--table` normalises its hypervolume in (src/nas/run.ts, which also counts infeasible
 * trials): per objective the best value -> 0 and the worst + 10% of the range -> 1 (an objective without range -> 0). Null without points.
 */
function ownFrame(points: readonly (readonly number[])[], m: number): OwnFrame | null {
  const reference = referencePoint(points);
  if (!reference) return null;
  const ideal = objectiveBounds(points, m).lo;
  const scale = (v: readonly number[]): number[] =>
    v.map((x, k) => {
      const lo = ideal[k] as number;
      const hi = reference[k] as number;
      return hi > lo && x > lo ? (x - lo) / (hi - lo) : 0;
    });
  return { ideal, reference, scale };
}

/** Normalised hypervolume of minimisation-form points in their own frame ({@link ownFrame}); 0 without points. */
export function ownFrameHypervolume(points: readonly (readonly number[])[], m: number): number {
  const f = ownFrame(points, m);
  return f ? hypervolume(points.map(f.scale), new Array<number>(m).fill(1)) : 0;
}

/** The study named `name`, or a UserError naming it and the studies the store holds. */
function studyOf(store: Store, name: string): StudyRecord {
  const study = store.getStudy(name);
  if (!study)
    throw new UserError(
      `no study named ${JSON.stringify(name)} in the store; known: ${
        store
          .listStudies()
          .map((s) => JSON.stringify(s.name))
          .join(', ') || '(none)'
      }`,
    );
  return study;
}

/** Builds the report data of a study (UserError naming the study when it does not exist). */
export function buildReportData(store: Store, studyName: string, opts: ReportDataOptions = {}): ReportData {
  const study = studyOf(store, studyName);
  const objectives = study.objectives;
  const trials = store.getTrials(studyName);
  const front = new Set(paretoTrials(trials, objectives).map((t) => t.number));
  const counts: Record<TrialState, number> = { running: 0, complete: 0, pruned: 0, failed: 0 };
  for (const t of trials) counts[t.state]++;
  const feasible = trials.filter((t) => t.state === 'complete' && t.values !== null && violation(t.constraints) <= 0);
  const minPts = feasible.map((t) => toMinimization(t.values as number[], objectives));

  // Progress curve: hypervolume (2+ objectives) or best-so-far (1 objective) against trial number.
  const maxPts = opts.maxProgressPoints ?? 200;
  const points: { trial: number; value: number }[] = [];
  const tableStudy = objectives.length > 1 ? studyTableTruth(study.userAttrs, objectives) : undefined;
  const truth = tableStudy?.truth;
  const asMinimised = objectives.map((o) => ({ ...o, direction: 'minimize' as const })); // the points are in minimisation form
  // `hwnas nas --table`'s frame (src/nas/run.ts normalise, no clipping) when the table is known, else the study's own
  const frame: OwnFrame | null = truth
    ? {
        ideal: [...truth.frame.ideal],
        reference: [...truth.frame.nadir],
        scale: (v) => normalise([v], asMinimised, truth.frame)[0] as number[],
      }
    : objectives.length > 1
      ? ownFrame(minPts, objectives.length)
      : null;
  const reference = frame?.reference ?? null;
  const ideal = frame?.ideal ?? null;
  const unit = objectives.map(() => 1);
  if (trials.length > 0 && feasible.length > 0) {
    const last = (trials[trials.length - 1] as Trial).number;
    const step = Math.max(1, Math.ceil((last + 1) / maxPts));
    const marks = new Set<number>();
    for (let n = 0; n <= last; n += step) marks.add(n);
    marks.add(last);
    let k = 0;
    const seen: number[][] = [];
    for (const n of [...marks].sort((a, b) => a - b)) {
      while (k < feasible.length && (feasible[k] as Trial).number <= n) seen.push(minPts[k++] as number[]);
      if (seen.length === 0) continue;
      if (reference)
        points.push({
          trial: n,
          value: hypervolume(
            seen.map((p) => (frame as OwnFrame).scale(p)),
            unit,
          ),
        });
      else {
        const best = Math.min(...seen.map((p) => p[0] as number));
        points.push({ trial: n, value: objectives[0]?.direction === 'maximize' ? -best : best });
      }
    }
  }

  const frontTrials = feasible.filter((t) => front.has(t.number));
  const kneeIdx = objectives.length > 1 ? kneePoint(frontTrials.map((t) => toMinimization(t.values as number[], objectives))) : -1;
  const knee = kneeIdx >= 0 ? (frontTrials[kneeIdx] as Trial).number : null;
  const best = objectives.length === 1 && frontTrials.length > 0 ? Math.min(...frontTrials.map((t) => t.number)) : null;
  const archOf = archLabeller(study);

  // Detail trials: the Pareto set first (sorted by the first objective), then the latest others.
  const maxDetail = opts.maxDetailTrials ?? 60;
  const byFirst = [...frontTrials].sort((a, b) => (a.values?.[0] as number) - (b.values?.[0] as number));
  const rest = trials.filter((t) => t.state === 'complete' && !front.has(t.number)).reverse();
  const detail = [...byFirst, ...rest].slice(0, maxDetail);

  const policyTrials = detail.map((t) => [t, trialPolicy(t)] as const).filter((x) => x[1] !== undefined);
  const layerSet: string[] = [];
  for (const [, p] of policyTrials) for (const l of Object.keys(p?.layers ?? {})) if (!layerSet.includes(l)) layerSet.push(l);
  const rows: PolicyRow[] = policyTrials.map(([t, p]) => ({
    trial: t.number,
    weightBits: layerSet.map((l) => p?.layers[l]?.weightBits ?? p?.default?.weightBits ?? Number.NaN),
    actBits: layerSet.map((l) => p?.layers[l]?.actBits ?? p?.default?.actBits ?? Number.NaN),
  }));
  const layerCosts: LayerCostRow[] = [];
  for (const t of detail) {
    const lc = trialLayerCosts(t);
    if (lc) layerCosts.push({ trial: t.number, layers: lc });
  }

  return {
    study: { name: study.name, objectives, userAttrs: study.userAttrs, createdAt: study.createdAt },
    counts,
    trials: trials.map((t) => ({
      number: t.number,
      state: t.state,
      values: t.values,
      violation: violation(t.constraints),
      params: t.params,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
      pareto: front.has(t.number),
      ...withArch(archOf?.(t)),
    })),
    progress: {
      kind: reference ? 'hypervolume' : 'best',
      frame: reference ? (truth ? 'table' : 'own') : null,
      reference,
      ideal,
      normalisation: reference ? (truth ? HV_TABLE_NORMALISATION : HV_NORMALISATION + ownFrameBecause(tableStudy)) : null,
      points,
      ...(truth ? { trueHypervolume: truth.trueHypervolume } : {}),
      ...(truth && truth.trueHypervolume > 0 && points.length > 0 ? { share: (points.at(-1)?.value as number) / truth.trueHypervolume } : {}),
    },
    knee,
    best,
    policies: { layers: layerSet, rows, total: trials.filter((t) => t.state === 'complete' && trialPolicy(t) !== undefined).length, limit: maxDetail },
    layerCosts,
    generatedAt: new Date().toISOString(),
  };
}

/** JSON for embedding inside a `<script>` element: `<`, `>`, `&` and line separators escaped so no markup can close it. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** One study of a comparison: its feasible front and hypervolume curve in the shared frame. */
export interface CompareStudy {
  readonly name: string;
  readonly strategy: string | null;
  readonly complete: number;
  /** Feasible Pareto set (objective values as stored), sorted by the first objective. */
  readonly front: readonly (readonly number[])[];
  /** Normalised hypervolume (shared frame, reference [1, ...]) after each trial count. */
  readonly curve: readonly { readonly trials: number; readonly hypervolume: number }[];
  /** Normalised hypervolume in the shared frame of all compared studies (comparable between them). */
  readonly hypervolume: number;
  /** Normalised hypervolume in the study's own frame (its report's frame unless it ran on a known table). */
  readonly ownHypervolume: number;
  /**
   * A `hwnas nas --table` study whose table is readable and unchanged: its normalised hypervolume in the table's
   * true-front frame and its share of the true front's (the figures that command prints and the study's report plots).
   */
  readonly table?: { readonly hypervolume: number; readonly share: number | null };
}

/** Strategy comparison of several studies over the same objectives (same budget axis, one frame). */
export interface CompareData {
  readonly objectives: readonly Objective[];
  /** Minimisation-form frame over all studies: ideal -> 0, nadir + 10% of the range -> 1. */
  readonly ideal: readonly number[];
  readonly nadir: readonly number[];
  readonly studies: readonly CompareStudy[];
}

/**
 * Compares studies over the same objectives: every feasible complete trial of every study is put in one
 * normalised frame (per objective, best over all studies -> 0, worst + 10% of the range -> 1), and each
 * study gets its Pareto set and its hypervolume after every trial in that frame, so curves and fronts
 * are directly comparable. UserError when a study is missing or the objectives differ.
 */
export function buildCompareData(store: Store, names: readonly string[], opts: { readonly maxCurvePoints?: number } = {}): CompareData {
  if (names.length < 2) throw new UserError(`a comparison needs at least two studies, got ${names.length}`);
  const studies = names.map((n) => studyOf(store, n));
  const objectives = (studies[0] as (typeof studies)[number]).objectives;
  const sig = (o: readonly Objective[]): string => o.map((x) => `${x.name}:${x.direction}`).join(',');
  for (const s of studies) {
    if (sig(s.objectives) !== sig(objectives))
      throw new UserError(
        `study ${JSON.stringify(s.name)} has objectives ${sig(s.objectives)}, expected ${sig(objectives)} (as study ${JSON.stringify(names[0])}): only studies over the same objectives can be compared`,
      );
  }
  const trialsOf = names.map((n) => store.getTrials(n));
  const feasible = trialsOf.map((ts) => ts.filter((t) => t.state === 'complete' && t.values !== null && violation(t.constraints) <= 0));
  const all = feasible.flatMap((ts) => ts.map((t) => toMinimization(t.values as number[], objectives)));
  // nadir: worst + 10% of the range, exactly the single-study report's reference point
  const ideal = all.length > 0 ? objectiveBounds(all, objectives.length).lo : objectives.map(() => 0);
  const nadir = referencePoint(all) ?? objectives.map(() => 1);
  const norm = (v: readonly number[]): number[] =>
    toMinimization(v as number[], objectives).map((x, k) => (x - (ideal[k] as number)) / ((nadir[k] as number) - (ideal[k] as number)));
  const ref = objectives.map(() => 1);
  const maxPts = opts.maxCurvePoints ?? 100;
  const out: CompareStudy[] = studies.map((s, i) => {
    const ts = feasible[i] as Trial[];
    const pts = ts.map((t) => norm(t.values as number[])); // normalised once, in trial order
    const last = (trialsOf[i] as Trial[]).length;
    const step = Math.max(1, Math.ceil(last / maxPts));
    const curve: { trials: number; hypervolume: number }[] = [];
    for (let n = step; n < last + step; n += step) {
      const k = Math.min(n, last);
      const seen = pts.filter((_, j) => (ts[j] as Trial).number < k);
      curve.push({ trials: k, hypervolume: seen.length > 0 ? hypervolume(seen, ref) : 0 });
      if (k === last) break;
    }
    const front = paretoTrials(ts, objectives)
      .map((t) => t.values as number[])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    const strategy = s.userAttrs.strategy;
    const truth = studyTableTruth(s.userAttrs, objectives)?.truth;
    const tableHv = truth
      ? hypervolume(
          normalise(
            ts.map((t) => t.values as number[]),
            objectives,
            truth.frame,
          ),
          ref,
        )
      : undefined;
    return {
      name: s.name,
      strategy: typeof strategy === 'string' ? strategy : null,
      complete: ts.length,
      front,
      curve,
      hypervolume: pts.length > 0 ? hypervolume(pts, ref) : 0,
      ownHypervolume: ownFrameHypervolume(
        ts.map((t) => toMinimization(t.values as number[], objectives)),
        objectives.length,
      ),
      ...(tableHv !== undefined
        ? { table: { hypervolume: tableHv, share: (truth?.trueHypervolume ?? 0) > 0 ? tableHv / (truth?.trueHypervolume as number) : null } }
        : {}),
    };
  });
  return { objectives, ideal, nadir, studies: out };
}
