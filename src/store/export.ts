/**
 * Export of a study: CSV (one row per trial), JSON (study + trials), and Optuna's JournalStorage
 * file format (one JSON operation per line) so that optuna-dashboard and optuna can open it:
 * `optuna-dashboard ./study.log` or `JournalStorage(JournalFileBackend('study.log'))`.
 */
import { UserError } from '../errors.js';
import type { JsonValue, Trial, TrialState } from '../search/types.js';
import type { Store, StudyRecord } from './types.js';

/** A study and its trials as plain JSON (what `hwnas study export --format json` writes). */
export interface StudyExport {
  readonly format: 'hwnas-study';
  readonly version: 1;
  readonly study: StudyRecord;
  readonly trials: readonly Trial[];
}

function load(store: Store, studyName: string): { study: StudyRecord; trials: Trial[] } {
  const study = store.getStudy(studyName);
  if (!study)
    throw new UserError(
      `study '${studyName}' does not exist; known studies: ${
        store
          .listStudies()
          .map((s) => s.name)
          .join(', ') || 'none'
      }`,
    );
  return { study, trials: store.getTrials(studyName) };
}

/** The study as JSON text (pretty-printed). */
export function exportJson(store: Store, studyName: string): string {
  const { study, trials } = load(store, studyName);
  const out: StudyExport = { format: 'hwnas-study', version: 1, study, trials };
  return `${JSON.stringify(out, null, 2)}\n`;
}

function csvCell(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The study as CSV: number, state, started_at, finished_at, one column per objective
 * (`values_<name>`), per constraint (`constraint_<i>`), per parameter (`params_<name>`) and per
 * user attribute (`user_attrs_<key>`). Structured values are JSON in their cell.
 */
export function exportCsv(store: Store, studyName: string): string {
  const { study, trials } = load(store, studyName);
  const paramNames = unique(trials.flatMap((t) => Object.keys(t.params)));
  const attrNames = unique(trials.flatMap((t) => Object.keys(t.userAttrs)));
  const nCons = Math.max(0, ...trials.map((t) => t.constraints?.length ?? 0));
  const header = [
    'number',
    'state',
    'started_at',
    'finished_at',
    ...study.objectives.map((o) => `values_${o.name}`),
    ...Array.from({ length: nCons }, (_, i) => `constraint_${i}`),
    ...paramNames.map((p) => `params_${p}`),
    ...attrNames.map((a) => `user_attrs_${a}`),
  ];
  const lines = [header.map(csvCell).join(',')];
  for (const t of trials) {
    lines.push(
      [
        t.number,
        t.state,
        t.startedAt,
        t.finishedAt,
        ...study.objectives.map((_, i) => t.values?.[i] ?? null),
        ...Array.from({ length: nCons }, (_, i) => t.constraints?.[i] ?? null),
        ...paramNames.map((p) => t.params[p]),
        ...attrNames.map((a) => t.userAttrs[a]),
      ]
        .map((v) => csvCell(v as JsonValue | undefined))
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

// Optuna's JournalOperation codes, StudyDirection and TrialState numbers (optuna >= 3.1).
const OP_CREATE_STUDY = 0;
const OP_SET_STUDY_USER_ATTR = 2;
const OP_CREATE_TRIAL = 4;
const DIRECTION = { minimize: 1, maximize: 2 } as const;
const STATE: Record<TrialState, number> = { running: 0, complete: 1, pruned: 2, failed: 3 };

/** Optuna distribution JSON (as optuna.distributions.distribution_to_json writes it) and the internal value. */
function distribution(spec: JsonValue | undefined, observed: readonly JsonValue[]): { json: string; internal: (v: JsonValue) => number } | null {
  const s = (spec ?? null) as Record<string, JsonValue> | null;
  const kind = s && typeof s === 'object' && !Array.isArray(s) ? s.kind : undefined;
  if (kind === 'float' && s) {
    return {
      json: JSON.stringify({ name: 'FloatDistribution', attributes: { step: null, low: s.low, high: s.high, log: s.log === true } }),
      internal: (v) => v as number,
    };
  }
  if (kind === 'int' && s) {
    return {
      json: JSON.stringify({ name: 'IntDistribution', attributes: { log: s.log === true, step: s.step ?? 1, low: s.low, high: s.high } }),
      internal: (v) => v as number,
    };
  }
  const choices: JsonValue[] = kind === 'categorical' && s ? [...(s.choices as JsonValue[])] : [];
  if (kind === undefined) {
    // No stored space: infer from the observed values (numbers -> float range, scalars -> categorical).
    if (observed.length > 0 && observed.every((v) => typeof v === 'number')) {
      const nums = observed as number[];
      const lo = Math.min(...nums);
      const hi = Math.max(...nums);
      return { json: JSON.stringify({ name: 'FloatDistribution', attributes: { step: null, low: lo, high: hi, log: false } }), internal: (v) => v as number };
    }
    if (!observed.every((v) => v === null || typeof v !== 'object')) return null;
    for (const v of observed) if (!choices.includes(v)) choices.push(v);
  }
  if (choices.length === 0) return null;
  return { json: JSON.stringify({ name: 'CategoricalDistribution', attributes: { choices } }), internal: (v) => choices.indexOf(v) };
}

/** ISO time as Python's datetime.fromisoformat reads it on every supported Python (no 'Z'). */
function pyTime(iso: string): string {
  return iso.replace(/Z$/, '').replace(/\.(\d{3})$/, '.$1000');
}

/**
 * The study in Optuna's journal format: one CREATE_STUDY line, study attributes, then one
 * CREATE_TRIAL line per trial carrying its state, values, params (internal representation with
 * their distributions), user attributes and constraints (system attribute 'constraints', which
 * optuna and optuna-dashboard read). Structured parameters, which Optuna has no distribution for,
 * go to the user attribute `param:<name>` as JSON text.
 */
export function exportOptunaJournal(store: Store, studyName: string): string {
  const { study, trials } = load(store, studyName);
  const worker = 'hwnas-export-0';
  const lines: string[] = [];
  const op = (o: Record<string, unknown>): void => {
    lines.push(JSON.stringify({ op_code: o.op_code, worker_id: worker, ...o }));
  };
  op({ op_code: OP_CREATE_STUDY, study_name: study.name, directions: study.objectives.map((o) => DIRECTION[o.direction]) });
  op({ op_code: OP_SET_STUDY_USER_ATTR, study_id: 0, user_attr: { objective_names: study.objectives.map((o) => o.name) } });
  const space = (study.space ?? {}) as Record<string, JsonValue>;
  const names = unique(trials.flatMap((t) => Object.keys(t.params)));
  const dists = new Map<string, ReturnType<typeof distribution>>();
  for (const n of names)
    dists.set(
      n,
      distribution(
        space[n],
        trials.map((t) => t.params[n]).filter((v): v is JsonValue => v !== undefined),
      ),
    );
  for (const t of trials) {
    const params: Record<string, number> = {};
    const distributions: Record<string, string> = {};
    const userAttrs: Record<string, JsonValue> = { ...t.userAttrs };
    for (const [k, v] of Object.entries(t.params)) {
      const d = dists.get(k);
      if (d) {
        params[k] = d.internal(v);
        distributions[k] = d.json;
      } else userAttrs[`param:${k}`] = JSON.stringify(v);
    }
    const single = study.objectives.length === 1;
    const entry: Record<string, unknown> = {
      op_code: OP_CREATE_TRIAL,
      study_id: 0,
      datetime_start: pyTime(t.startedAt),
      state: STATE[t.state],
      value: single && t.values ? t.values[0] : null,
      values: !single && t.values ? t.values : null,
      distributions,
      params,
      user_attrs: userAttrs,
      system_attrs: t.constraints ? { constraints: t.constraints } : {},
      intermediate_values: {},
    };
    if (t.finishedAt) entry.datetime_complete = pyTime(t.finishedAt);
    op(entry);
  }
  return `${lines.join('\n')}\n`;
}
