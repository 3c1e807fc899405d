/**
 * The default {@link Store}: one SQLite file per project directory (`.hwnas/hwnas.sqlite`) through
 * better-sqlite3, in WAL mode with synchronous=FULL. FULL rather than NORMAL: in WAL mode NORMAL
 * already survives a process crash (kill -9), but may lose the last commits on power loss or an
 * OS crash; trials cost seconds to hours while an fsync costs milliseconds, so every finished
 * trial is made durable. The writes of a running trial (createTrial, heartbeat, setTrialUserAttr)
 * commit with NORMAL: they survive a process crash like every write, and the trial's finishTrial
 * (a FULL commit, which flushes the whole log) makes them durable with its result; a power cut can
 * only lose running trials, whose processes die with it (one fsync per trial instead of two, which
 * is what bounds the speed of cheap trials: bench/study-scale.ts). Schema and migrations:
 * ./migrations.ts and docs/store.md.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, UserError } from '../errors.js';
import type { JsonValue, Objective, Trial, TrialState } from '../search/types.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { DEFAULT_STORE_PATH } from './store-path.js';
import type {
  AddArtifactOptions,
  ArtifactRecord,
  CreateStudyOptions,
  CreateTrialOptions,
  FinishTrialOptions,
  RunningTrialInfo,
  Store,
  StudyRecord,
} from './types.js';
import { checkCreateStudy, checkFinish, checkJson, checkSince, finished, noStudy, noTrial, now } from './validate.js';

export { DEFAULT_STORE_PATH };

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** Open read-only (dashboards, reports). */
  readonly readonly?: boolean;
  /** How long to wait for another process's write lock, in ms (default 10,000). */
  readonly busyTimeoutMs?: number;
}

interface StudyRow {
  id: number;
  name: string;
  objectives: string;
  space: string | null;
  user_attrs: string;
  created_at: string;
}

/** What the trial methods need of a study. */
type StudyHead = Pick<StudyRecord, 'id' | 'name' | 'objectives'>;

interface TrialRow {
  id: number;
  number: number;
  state: TrialState;
  started_at: string;
  finished_at: string | null;
  heartbeat_at: string;
  worker: string | null;
}

/** Opens (creating if needed) the store of a project directory: `<dir>/.hwnas/hwnas.sqlite`. */
export function openProjectStore(projectDir: string = process.cwd(), options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(join(projectDir, DEFAULT_STORE_PATH), options);
}

/** SQLite-backed store; several processes may share one file. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** Prepared statements by SQL text (preparing costs more than running the small ones). */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    if (!options.readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    } catch (e) {
      throw new UserError(`cannot open store ${JSON.stringify(path)}: ${(e as Error).message}`);
    }
    try {
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
      if (!options.readonly) {
        this.refuseForeignDatabase();
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
      }
      this.db.pragma('foreign_keys = ON');
      if (!options.readonly) this.migrate();
      else if (this.schemaVersion() !== SCHEMA_VERSION) throw new ConfigError(this.readonlyVersionProblem(path));
    } catch (e) {
      this.db.close();
      const code = (e as { code?: unknown }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new UserError(`store ${JSON.stringify(path)} is not an hwnas store: ${(e as Error).message} (expected an SQLite file written by hwnas)`);
      }
      throw e;
    }
  }

  /** Why a store opened read-only cannot be read: empty, not hwnas's, or an older schema (each with what to do). */
  private readonlyVersionProblem(path: string): string {
    const p = JSON.stringify(path);
    const version = this.schemaVersion();
    if (version === 0) {
      const tables = (this.sql("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
      return tables === 0
        ? `store ${p} is empty (no hwnas tables yet): create a study in it first (hwnas study create --config <file> --store ${path}, or hwnas nas ... --store ${path}), or pass the store a study was written to`
        : `store ${p} is not an hwnas store (an SQLite database with ${tables} table(s) but no hwnas schema version); expected a store written by hwnas`;
    }
    return `store ${p} has schema version ${version}; expected ${SCHEMA_VERSION}: migrate it by opening it read-write once (e.g. hwnas study list --store ${path})`;
  }

  /** Schema version recorded in the file (0 for an empty file). */
  schemaVersion(): number {
    const has = this.sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
    if (!has) return 0;
    const r = this.sql('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
    return r.v ?? 0;
  }

  /** Throws (before anything is written) when the file is an SQLite database that hwnas did not create. */
  private refuseForeignDatabase(): void {
    const tables = this.sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    if (tables.length > 0 && !tables.some((t) => t.name === 'schema_version')) {
      throw new UserError(
        `store ${JSON.stringify(this.path)} is an SQLite database of something else (tables ${tables
          .slice(0, 5)
          .map((t) => t.name)
          .join(', ')}): expected an hwnas store; it was left unchanged`,
      );
    }
  }

  private migrate(): void {
    this.db
      .transaction(() => {
        this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
        const current = this.schemaVersion();
        if (current > SCHEMA_VERSION)
          throw new ConfigError(
            `store ${JSON.stringify(this.path)} has schema version ${current}, newer than this hwnas supports (${SCHEMA_VERSION}); upgrade hwnas`,
          );
        for (const m of MIGRATIONS) {
          if (m.version <= current) continue;
          this.db.exec(m.sql);
          this.sql('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(m.version, m.description, now());
        }
      })
      .immediate();
  }

  createStudy(o: CreateStudyOptions): StudyRecord {
    checkCreateStudy(o);
    const space = checkJson(`study '${o.name}' space`, o.space ?? null);
    const attrs = checkJson(`study '${o.name}' user attributes`, o.userAttrs ?? {});
    return this.db
      .transaction(() => {
        if (this.studyRow(o.name)) throw new UserError(`study '${o.name}' already exists; choose another name or resume it`);
        this.sql('INSERT INTO studies (name, objectives, space, user_attrs, created_at) VALUES (?, ?, ?, ?, ?)').run(
          o.name,
          JSON.stringify(o.objectives.map((x) => ({ name: x.name, direction: x.direction }))),
          space,
          attrs,
          now(),
        );
        return toStudy(this.studyRow(o.name) as StudyRow);
      })
      .immediate();
  }

  getStudy(name: string): StudyRecord | undefined {
    const r = this.studyRow(name);
    return r ? toStudy(r) : undefined;
  }

  listStudies(): StudyRecord[] {
    return (this.sql('SELECT * FROM studies ORDER BY id').all() as StudyRow[]).map(toStudy);
  }

  deleteStudy(name: string, check?: (study: StudyRecord, running: readonly RunningTrialInfo[]) => void): void {
    this.db
      .transaction(() => {
        const s = this.study(name);
        check?.(s, this.getRunningTrials(name));
        // one statement: trials, their params/values/constraints/attributes and artifacts go by ON DELETE CASCADE
        this.sql('DELETE FROM studies WHERE id = ?').run(s.id);
      })
      .immediate();
  }

  setStudyUserAttr(studyName: string, key: string, value: JsonValue): void {
    checkJson(`study '${studyName}' attribute '${key}'`, value);
    this.db
      .transaction(() => {
        const s = this.study(studyName);
        this.sql('UPDATE studies SET user_attrs = ? WHERE id = ?').run(JSON.stringify({ ...s.userAttrs, [key]: value }), s.id);
      })
      .immediate();
  }

  createTrial(studyName: string, o: CreateTrialOptions): Trial {
    return this.tryCreateTrial(studyName, o, () => true) as Trial;
  }

  tryCreateTrial(studyName: string, o: CreateTrialOptions, admit: () => boolean): Trial | undefined {
    checkJson(`study '${studyName}' trial params`, o.params);
    checkJson(`study '${studyName}' trial user attributes`, o.userAttrs ?? {});
    // A claim, not a result: flushed by the next FULL commit (see unflushed and the module doc).
    return this.unflushed(() =>
      this.db
        .transaction((): Trial | undefined => {
          const s = this.head(studyName);
          // BEGIN IMMEDIATE holds the write lock from here to the commit: what admit reads is what the trial joins.
          if (!admit()) return undefined;
          const { n } = this.sql('SELECT COALESCE(MAX(number), -1) + 1 AS n FROM trials WHERE study_id = ?').get(s.id) as { n: number };
          const t = now();
          const id = Number(
            this.sql("INSERT INTO trials (study_id, number, state, started_at, heartbeat_at, worker) VALUES (?, ?, 'running', ?, ?, ?)").run(
              s.id,
              n,
              t,
              t,
              o.worker ?? null,
            ).lastInsertRowid,
          );
          const ins = this.sql('INSERT INTO trial_params (trial_id, name, value) VALUES (?, ?, ?)');
          const params: Record<string, JsonValue> = {};
          for (const [k, v] of Object.entries(o.params)) {
            const json = JSON.stringify(v);
            ins.run(id, k, json);
            params[k] = JSON.parse(json) as JsonValue;
          }
          const ua = this.sql('INSERT INTO trial_user_attrs (trial_id, key, value) VALUES (?, ?, ?)');
          const userAttrs: Record<string, JsonValue> = {};
          for (const [k, v] of Object.entries(o.userAttrs ?? {})) {
            const json = JSON.stringify(v);
            ua.run(id, k, json);
            userAttrs[k] = JSON.parse(json) as JsonValue;
          }
          // What was just written, as loadTrials would read it back (fresh copies through JSON).
          const trial: Trial = { number: n, params, values: null, constraints: null, state: 'running', userAttrs, startedAt: t, finishedAt: null };
          return trial;
        })
        .immediate(),
    );
  }

  finishTrial(studyName: string, number: number, o: FinishTrialOptions): Trial {
    checkJson(`study '${studyName}' trial ${number} user attributes`, o.userAttrs ?? {});
    return this.db
      .transaction(() => {
        const s = this.head(studyName);
        const row = this.runningRow(s, number);
        checkFinish(s, number, o);
        const v = this.sql('INSERT INTO trial_values (trial_id, objective, value) VALUES (?, ?, ?)');
        (o.values ?? []).forEach((x, i) => v.run(row.id, i, x));
        const c = this.sql('INSERT INTO trial_constraints (trial_id, idx, value) VALUES (?, ?, ?)');
        (o.constraints ?? []).forEach((x, i) => c.run(row.id, i, x));
        const ua = this.sql('INSERT OR REPLACE INTO trial_user_attrs (trial_id, key, value) VALUES (?, ?, ?)');
        for (const [k, val] of Object.entries(o.userAttrs ?? {})) ua.run(row.id, k, JSON.stringify(val));
        this.sql('UPDATE trials SET state = ?, finished_at = ? WHERE id = ?').run(o.state, now(), row.id);
        return this.loadTrials(s.id, 'AND t.id = ?', row.id)[0] as Trial;
      })
      .immediate();
  }

  setTrialUserAttr(studyName: string, number: number, key: string, value: JsonValue): void {
    const json = checkJson(`study '${studyName}' trial ${number} attribute '${key}'`, value);
    this.unflushed(() =>
      this.db
        .transaction(() => {
          const row = this.runningRow(this.head(studyName), number);
          this.sql('INSERT OR REPLACE INTO trial_user_attrs (trial_id, key, value) VALUES (?, ?, ?)').run(row.id, key, json);
        })
        .immediate(),
    );
  }

  heartbeat(studyName: string, number: number): void {
    this.unflushed(() =>
      this.db
        .transaction(() => {
          const row = this.runningRow(this.head(studyName), number);
          this.sql('UPDATE trials SET heartbeat_at = ? WHERE id = ?').run(now(), row.id);
        })
        .immediate(),
    );
  }

  getTrial(studyName: string, number: number): Trial | undefined {
    const s = this.head(studyName);
    if (!Number.isInteger(number)) return undefined;
    return this.loadTrials(s.id, 'AND t.number = ?', number)[0];
  }

  getTrials(studyName: string, states?: readonly TrialState[]): Trial[] {
    const s = this.head(studyName);
    const all = this.db.transaction(() => this.loadTrials(s.id, ''))();
    return states ? all.filter((t) => states.includes(t.state)) : all;
  }

  getTrialsSince(studyName: string, since: number, watch: readonly number[] = []): Trial[] {
    const s = this.head(studyName);
    const before = checkSince(studyName, since, watch);
    // Two indexed reads (an OR of both would scan the study) in one snapshot.
    return this.db.transaction(() => [
      ...(before.length > 0 ? this.loadTrials(s.id, `AND t.number IN (${before.map(() => '?').join(', ')}) AND t.state <> 'running'`, ...before) : []),
      ...this.loadTrials(s.id, 'AND t.number >= ?', since),
    ])();
  }

  getRunningTrials(studyName: string): RunningTrialInfo[] {
    const s = this.head(studyName);
    return (
      this.sql("SELECT number, worker, heartbeat_at FROM trials WHERE study_id = ? AND state = 'running' ORDER BY number").all(s.id) as {
        number: number;
        worker: string | null;
        heartbeat_at: string;
      }[]
    ).map((r) => ({ number: r.number, worker: r.worker, heartbeatAt: r.heartbeat_at }));
  }

  addArtifact(studyName: string, o: AddArtifactOptions): ArtifactRecord {
    if ((o.data === undefined) === (o.path === undefined)) throw new UserError(`artifact '${o.name}': expected exactly one of data or path`);
    const s = this.head(studyName);
    let trialId: number | null = null;
    if (o.trialNumber !== undefined) {
      const r = this.sql('SELECT id FROM trials WHERE study_id = ? AND number = ?').get(s.id, o.trialNumber) as { id: number } | undefined;
      if (!r) throw noTrial(studyName, o.trialNumber);
      trialId = r.id;
    }
    const data = o.data === undefined ? null : Buffer.from(typeof o.data === 'string' ? new TextEncoder().encode(o.data) : o.data);
    const id = Number(
      this.sql('INSERT INTO artifacts (study_id, trial_id, name, media_type, path, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        s.id,
        trialId,
        o.name,
        o.mediaType,
        o.path ?? null,
        data,
        now(),
      ).lastInsertRowid,
    );
    return this.artifactRows(`a.id = ${id}`)[0] as ArtifactRecord;
  }

  listArtifacts(studyName: string, trialNumber?: number | null): ArtifactRecord[] {
    const s = this.head(studyName);
    const cond = trialNumber === undefined ? '' : trialNumber === null ? ' AND a.trial_id IS NULL' : ` AND t.number = ${Number(trialNumber) | 0}`;
    return this.artifactRows(`a.study_id = ${s.id}${cond}`);
  }

  readArtifact(id: number): Uint8Array | undefined {
    const r = this.sql('SELECT data FROM artifacts WHERE id = ?').get(id) as { data: Buffer | null } | undefined;
    if (!r) throw new UserError(`artifact ${JSON.stringify(id)} does not exist`);
    return r.data ? new Uint8Array(r.data) : undefined;
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  private sql(text: string): Database.Statement {
    let st = this.statements.get(text);
    if (st === undefined) {
      if (this.statements.size >= 256) this.statements.clear(); // texts vary only with IN-list lengths
      st = this.db.prepare(text);
      this.statements.set(text, st);
    }
    return st;
  }

  /**
   * Runs a write that need not be flushed to disk at its own commit (synchronous NORMAL: it survives
   * a crash of the process, and the next FULL commit, such as the trial's finishTrial, flushes it).
   */
  private unflushed<T>(write: () => T): T {
    this.sql('PRAGMA synchronous = NORMAL').run();
    try {
      return write();
    } finally {
      this.sql('PRAGMA synchronous = FULL').run();
    }
  }

  private artifactRows(where: string): ArtifactRecord[] {
    const rows = this.sql(
      `SELECT a.id, s.name AS study, t.number, a.name, a.media_type, a.path, LENGTH(a.data) AS size, a.created_at FROM artifacts a JOIN studies s ON s.id = a.study_id LEFT JOIN trials t ON t.id = a.trial_id WHERE ${where} ORDER BY a.id`,
    ).all() as {
      id: number;
      study: string;
      number: number | null;
      name: string;
      media_type: string;
      path: string | null;
      size: number | null;
      created_at: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      studyName: r.study,
      trialNumber: r.number,
      name: r.name,
      mediaType: r.media_type,
      path: r.path,
      size: r.size ?? 0,
      createdAt: r.created_at,
    }));
  }

  private studyRow(name: string): StudyRow | undefined {
    return this.sql('SELECT * FROM studies WHERE name = ?').get(name) as StudyRow | undefined;
  }

  /** The study's id, name and objectives (what the trial methods need; no JSON of space or attributes parsed). */
  private head(name: string): StudyHead {
    const r = this.sql('SELECT id, name, objectives FROM studies WHERE name = ?').get(name) as { id: number; name: string; objectives: string } | undefined;
    if (!r)
      throw noStudy(
        name,
        (this.sql('SELECT name FROM studies ORDER BY id').all() as { name: string }[]).map((x) => x.name),
      );
    return { id: r.id, name: r.name, objectives: JSON.parse(r.objectives) as Objective[] };
  }

  private study(name: string): StudyRecord {
    const r = this.studyRow(name);
    if (!r)
      throw noStudy(
        name,
        (this.sql('SELECT name FROM studies ORDER BY id').all() as { name: string }[]).map((x) => x.name),
      );
    return toStudy(r);
  }

  private runningRow(s: StudyHead, number: number): TrialRow {
    const row = this.sql('SELECT * FROM trials WHERE study_id = ? AND number = ?').get(s.id, number) as TrialRow | undefined;
    if (!row) throw noTrial(s.name, number);
    if (row.state !== 'running') throw finished(s.name, number, row.state);
    return row;
  }

  /** Trials of a study (with an extra SQL condition on alias t), assembled from the child tables. */
  private loadTrials(studyId: number, cond: string, ...args: readonly (number | string)[]): Trial[] {
    const rows = this.sql(`SELECT t.* FROM trials t WHERE t.study_id = ? ${cond} ORDER BY t.number`).all(studyId, ...args) as TrialRow[];
    if (rows.length === 0) return [];
    const byId = new Map<number, { params: Record<string, JsonValue>; values: number[]; constraints: number[]; attrs: Record<string, JsonValue> }>();
    for (const r of rows) byId.set(r.id, { params: {}, values: [], constraints: [], attrs: {} });
    const sub = `SELECT t.id FROM trials t WHERE t.study_id = ? ${cond}`;
    for (const p of this.sql(`SELECT trial_id, name, value FROM trial_params WHERE trial_id IN (${sub}) ORDER BY rowid`).all(studyId, ...args) as {
      trial_id: number;
      name: string;
      value: string;
    }[]) {
      (byId.get(p.trial_id) as { params: Record<string, JsonValue> }).params[p.name] = JSON.parse(p.value) as JsonValue;
    }
    for (const v of this.sql(`SELECT trial_id, objective, value FROM trial_values WHERE trial_id IN (${sub}) ORDER BY trial_id, objective`).all(
      studyId,
      ...args,
    ) as { trial_id: number; objective: number; value: number }[]) {
      (byId.get(v.trial_id) as { values: number[] }).values[v.objective] = v.value;
    }
    for (const c of this.sql(`SELECT trial_id, idx, value FROM trial_constraints WHERE trial_id IN (${sub}) ORDER BY trial_id, idx`).all(studyId, ...args) as {
      trial_id: number;
      idx: number;
      value: number;
    }[]) {
      (byId.get(c.trial_id) as { constraints: number[] }).constraints[c.idx] = c.value;
    }
    for (const a of this.sql(`SELECT trial_id, key, value FROM trial_user_attrs WHERE trial_id IN (${sub}) ORDER BY rowid`).all(studyId, ...args) as {
      trial_id: number;
      key: string;
      value: string;
    }[]) {
      (byId.get(a.trial_id) as { attrs: Record<string, JsonValue> }).attrs[a.key] = JSON.parse(a.value) as JsonValue;
    }
    return rows.map((r) => {
      const d = byId.get(r.id) as { params: Record<string, JsonValue>; values: number[]; constraints: number[]; attrs: Record<string, JsonValue> };
      return {
        number: r.number,
        params: d.params,
        values: d.values.length > 0 ? d.values : null,
        constraints: d.constraints.length > 0 ? d.constraints : null,
        state: r.state,
        userAttrs: d.attrs,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
      };
    });
  }
}

function toStudy(r: StudyRow): StudyRecord {
  return {
    id: r.id,
    name: r.name,
    objectives: JSON.parse(r.objectives) as Objective[],
    space: r.space === null ? null : (JSON.parse(r.space) as JsonValue),
    userAttrs: JSON.parse(r.user_attrs) as Record<string, JsonValue>,
    createdAt: r.created_at,
  };
}
