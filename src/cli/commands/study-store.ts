/**
 * The store side of the study commands: open the store, and `study list`, `show`, `delete` and `export`, which read
 * or delete what is stored and so load neither the study config schemas nor the search registries (src/cli/commands/study.ts).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { UserError } from '../../errors.js';
import { exportCsv, exportJson, exportOptunaJournal } from '../../store/export.js';
import { DEFAULT_STORE_PATH, SqliteStore } from '../../store/sqlite-store.js';
import type { RunningTrialInfo, Store, StudyRecord } from '../../store/types.js';
import { bestTrials, DEFAULT_MAX_RETRIES, runningTrialGone, studyUid } from '../../study/run-study.js';
import { formatTable } from '../../util/table.js';
import { printJson } from '../io.js';
import { type StudyFile, studyFiles } from './study-files.js';
import { exportFormat } from './study-flags.js';

/**
 * Opens the store a command works on (`--store`, default .hwnas/hwnas.sqlite). Commands that only read
 * (`mustExist`) do not create one: a missing store is a UserError naming the path.
 */
export function openStore(path: string | undefined, readonly = false, mustExist = readonly): SqliteStore {
  const p = mustExist ? requireStorePath(path) : (path ?? DEFAULT_STORE_PATH);
  return new SqliteStore(p, readonly ? { readonly: true } : {});
}

/** The store path of a `--store` flag (or the default); a UserError naming it when there is no such file. */
export function requireStorePath(path: string | undefined): string {
  const p = path ?? DEFAULT_STORE_PATH;
  if (!existsSync(p)) {
    throw new UserError(
      `no store at '${p}': expected an hwnas store file; create a study first with 'hwnas study create --config <file>'${path === undefined ? ' (or pass --store <file>)' : ''}`,
    );
  }
  return p;
}

/**
 * The `delayMs` of a study's evaluator options (a JSON config or a command's settings), or undefined. Every built-in
 * evaluation takes it (`nas --table-delay`): a pause per evaluation that stands in for training time. It changes when
 * results arrive, never what they are, so it is no part of a study's identity ({@link withoutDelay}): a study resumed
 * with another delay runs with the new one, which its stored config then holds.
 */
export function evaluatorDelayMs(v: unknown): number | undefined {
  const d = (v as { evaluator?: { options?: { delayMs?: unknown } } } | undefined)?.evaluator?.options?.delayMs;
  return typeof d === 'number' ? d : undefined;
}

/** `v` (a config or settings with an `evaluator`) with its evaluator's options given `delayMs` (none for 0 or undefined). */
export function withDelay<T extends object>(v: T, delayMs: number | undefined): T {
  const ev = (v as { evaluator?: { name: string; options?: Record<string, unknown> } }).evaluator;
  if (ev === undefined) return v;
  const { delayMs: _old, ...options } = ev.options ?? {};
  const next = delayMs ? { ...options, delayMs } : options;
  return { ...v, evaluator: { ...ev, ...(ev.options !== undefined || delayMs ? { options: next } : {}) } };
}

/** `v` without its evaluator's `delayMs`: what decides a study's identity. */
export function withoutDelay<T extends object>(v: T): T {
  return evaluatorDelayMs(v) === undefined ? v : withDelay(v, undefined);
}

/** The flags every study command takes. */
export interface StoreFlag {
  readonly store?: string;
  readonly json?: boolean;
}

export function printBest(store: Store, name: string): void {
  const study = store.getStudy(name);
  if (!study) return;
  const best = bestTrials(store.getTrials(name), study.objectives);
  if (best.length === 0) {
    process.stdout.write('no feasible complete trial yet\n');
    return;
  }
  process.stdout.write(`${study.objectives.length > 1 ? 'Pareto set' : 'best trial'}:\n`);
  process.stdout.write(
    `${formatTable(best, [
      { header: '#', value: (t) => t.number },
      ...study.objectives.map((o, i) => ({
        header: `${o.name} (${o.direction === 'minimize' ? 'min' : 'max'})`,
        value: (t: (typeof best)[number]) => t.values?.[i],
      })),
      {
        header: 'params',
        value: (t) => {
          const s = JSON.stringify(t.params);
          return s.length > 80 ? `${s.slice(0, 77)}...` : s;
        },
      },
    ])}\n`,
  );
}

/** What `study list` and `study show` say about running trials whose process is gone. */
const DEAD_NOTE =
  "dead: a trial still 'running' in the store whose process is gone (its pid no longer exists on this host, or no heartbeat for 10 minutes, e.g. after kill -9); the next run of the study (hwnas study resume, or the same command) marks it failed and runs it again";

/** The running trials of a study whose process is presumed gone ({@link runningTrialGone}), read only. */
function goneTrials(store: Store, name: string): { number: number; reason: 'process-gone' | 'stale-heartbeat' }[] {
  const out: { number: number; reason: 'process-gone' | 'stale-heartbeat' }[] = [];
  for (const r of store.getRunningTrials(name)) {
    const reason = runningTrialGone(r);
    if (reason !== undefined) out.push({ number: r.number, reason });
  }
  return out;
}

/** A running trial for messages: `trial 3 (worker host:pid, heartbeat 12 s ago)`. */
function runningText(r: RunningTrialInfo): string {
  const ago = Math.max(0, Math.round((Date.now() - Date.parse(r.heartbeatAt)) / 1000));
  return `trial ${r.number} (worker ${r.worker ?? 'unknown'}, heartbeat ${ago} s ago)`;
}

/** What {@link deleteStudy} did. */
export interface DeletedStudy {
  readonly study: string;
  readonly trials: number;
  /** Files and folders removed (those named by the study's uid that existed). */
  readonly removed: readonly string[];
  /** Files and folders of the pre-uid layout that were left (another store's study of the same name may use them). */
  readonly kept: readonly StudyFile[];
}

/**
 * Deletes a study: its rows in one transaction ({@link Store.deleteStudy}), then the files named by its uid
 * ({@link studyFiles}; `keepFiles` leaves them). A study with a running trial whose process may be alive
 * ({@link runningTrialGone}) is refused (UserError naming the trials) unless `force`: that process would fail at its next
 * write. Files of the pre-uid layout are never removed (a study of the same name in another store may read them).
 */
export function deleteStudy(store: Store, name: string, o: { readonly force?: boolean; readonly keepFiles?: boolean } = {}): DeletedStudy {
  let study: StudyRecord | undefined;
  let trials = 0;
  store.deleteStudy(name, (s, running) => {
    const live = running.filter((r) => runningTrialGone(r) === undefined);
    if (live.length > 0 && !o.force)
      throw new UserError(
        `study '${name}' has ${live.length} trial(s) running in a process that may be alive: ${live.map(runningText).join(', ')}; ` +
          'stop that process first (Ctrl-C), or pass --force to delete the study anyway (that process then fails at its next write)',
      );
    study = s;
    trials = store.getTrials(name).length;
  });
  const files = study ? studyFiles(study) : [];
  const removed: string[] = [];
  if (!o.keepFiles) {
    for (const f of files) {
      if (!f.own || !existsSync(f.path)) continue;
      rmSync(f.path, { recursive: true, force: true });
      removed.push(f.path);
    }
  }
  return { study: name, trials, removed, kept: files.filter((f) => existsSync(f.path)) };
}

/** The action of the command registered in src/cli/register/study.ts (imported when that command runs). */
export const listAction = (f: StoreFlag) => {
  if (!existsSync(f.store ?? DEFAULT_STORE_PATH)) {
    if (f.json) printJson([]);
    else process.stdout.write(`no studies (no store at ${f.store ?? DEFAULT_STORE_PATH}); create one with hwnas study create --config study.json\n`);
    return;
  }
  const store = openStore(f.store);
  try {
    const rows = store.listStudies().map((s) => {
      const ts = store.getTrials(s.name);
      const n = (st: string): number => ts.filter((t) => t.state === st).length;
      return {
        name: s.name,
        objectives: s.objectives.map((o) => `${o.name}(${o.direction === 'minimize' ? 'min' : 'max'})`).join(' '),
        trials: ts.length,
        complete: n('complete'),
        running: n('running'),
        // running in the store, but their process is gone (a kill -9, a second Ctrl-C): the next run retries them
        runningDead: goneTrials(store, s.name).length,
        failed: n('failed'),
        created: s.createdAt,
      };
    });
    if (f.json) printJson(rows);
    else if (rows.length === 0) process.stdout.write('no studies; create one with hwnas study create --config study.json\n');
    else
      process.stdout.write(
        `${formatTable(rows, [
          { key: 'name', header: 'study' },
          { key: 'objectives', header: 'objectives' },
          { key: 'trials', header: 'trials' },
          { key: 'complete', header: 'complete' },
          { header: 'running', value: (r) => (r.runningDead > 0 ? `${r.running} (${r.runningDead} dead)` : r.running) },
          { key: 'failed', header: 'failed' },
          { key: 'created', header: 'created' },
        ])}\n`,
      );
    if (!f.json && rows.some((r) => r.runningDead > 0)) process.stdout.write(`${DEAD_NOTE}\n`);
  } finally {
    store.close();
  }
};

/** The action of the command registered in src/cli/register/study.ts (imported when that command runs). */
export const showAction = (name: string, f: StoreFlag) => {
  const store = openStore(f.store, false, true);
  try {
    const s = store.getStudy(name);
    if (!s)
      throw new UserError(
        `no study named ${JSON.stringify(name)} (known: ${
          store
            .listStudies()
            .map((x) => x.name)
            .join(', ') || 'none'
        })`,
      );
    const trials = store.getTrials(name);
    const best = bestTrials(trials, s.objectives);
    const cfg = s.userAttrs.config as { nTrials?: number; maxRetries?: number } | undefined;
    const budget = cfg ? { nTrials: cfg.nTrials ?? null, maxRetries: cfg.maxRetries ?? DEFAULT_MAX_RETRIES } : null;
    const dead = goneTrials(store, name);
    if (f.json) printJson({ study: s, trials: trials.length, best, ...(budget ? { budget } : {}), runningDead: dead });
    else {
      const counts: Record<string, number> = {};
      for (const t of trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
      const rule = budget
        ? `; budget ${budget.nTrials} trials, a trial whose process died or was interrupted is run again up to ${budget.maxRetries} time(s)`
        : '';
      const delay = evaluatorDelayMs(s.userAttrs.config);
      process.stdout.write(
        `study '${name}' (uid ${studyUid(s)}) created ${s.createdAt}: ${trials.length} trials ${JSON.stringify(counts)}${rule}${delay ? `; each evaluation waits ${delay} ms (delayMs)` : ''}\n`,
      );
      if (dead.length > 0)
        process.stdout.write(
          `dead: ${dead.map((d) => `trial ${d.number} (${d.reason === 'process-gone' ? 'its process is gone' : 'no heartbeat for 10 minutes'})`).join(', ')} ` +
            `still 'running' in the store; hwnas study resume ${name}${f.store !== undefined ? ` --store ${f.store}` : ''} (or the command that made the study) marks it failed and runs it again\n`,
        );
      printBest(store, name);
    }
  } finally {
    store.close();
  }
};

/** The action of the command registered in src/cli/register/study.ts (imported when that command runs). */
export const deleteAction = (name: string, f: StoreFlag & { force?: boolean; keepFiles?: boolean }) => {
  const storePath = requireStorePath(f.store);
  const store = openStore(f.store, false, true);
  try {
    const d = deleteStudy(store, name, { force: !!f.force, keepFiles: !!f.keepFiles });
    if (f.json) printJson({ ...d, store: storePath });
    else {
      process.stdout.write(
        `deleted study '${name}' (${d.trials} trial(s)) from ${storePath}${d.removed.length > 0 ? `; removed ${d.removed.join(', ')}` : ''}\n`,
      );
      for (const k of d.kept)
        process.stdout.write(
          k.own
            ? `kept its ${k.what} ${k.path} (--keep-files)\n`
            : `kept ${k.path} (its ${k.what}, named without the study's uid: a study of the same name in another store of that folder may use it; delete it yourself if not)\n`,
        );
    }
  } finally {
    store.close();
  }
};

/** The action of the command registered in src/cli/register/study.ts (imported when that command runs). */
export const exportAction = (name: string, f: StoreFlag & { format?: string; out?: string }) => {
  const fmt = exportFormat(name, f);
  const store = openStore(f.store, false, true);
  try {
    const text = fmt === 'csv' ? exportCsv(store, name) : fmt === 'json' ? exportJson(store, name) : exportOptunaJournal(store, name);
    if (f.out) {
      writeFileSync(f.out, text);
      process.stderr.write(`wrote ${f.out} (${Buffer.byteLength(text)} bytes)\n`);
    } else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  } finally {
    store.close();
  }
};
