/**
 * Versioned schema of the SQLite store. Each migration moves the schema from version-1 to
 * version; applied ones are recorded in `schema_version`. Never edit a released migration:
 * append a new one. Documented in docs/store.md.
 */

/** One schema step. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

const immutable = (table: string, op: 'INSERT' | 'UPDATE' | 'DELETE'): string => `
CREATE TRIGGER ${table}_${op.toLowerCase()}_finished BEFORE ${op} ON ${table}
WHEN (SELECT state FROM trials WHERE id = ${op === 'DELETE' ? 'OLD' : 'NEW'}.trial_id) <> 'running'
BEGIN SELECT RAISE(ABORT, 'hwnas: finished trials are immutable'); END;`;

/** All migrations, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'studies, trials, params, values, constraints, user attributes, artifacts; immutability triggers',
    sql: `
CREATE TABLE studies (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  objectives  TEXT NOT NULL,             -- JSON [{name, direction}]
  space       TEXT,                      -- JSON SearchSpace.toJSON() or NULL
  user_attrs  TEXT NOT NULL DEFAULT '{}',-- JSON object
  created_at  TEXT NOT NULL
);
CREATE TABLE trials (
  id           INTEGER PRIMARY KEY,
  study_id     INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  number       INTEGER NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('running', 'complete', 'pruned', 'failed')),
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  heartbeat_at TEXT NOT NULL,
  worker       TEXT,
  UNIQUE (study_id, number)
);
CREATE INDEX trials_state ON trials (study_id, state);
CREATE TABLE trial_params (
  trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  value    TEXT NOT NULL,                -- JSON
  PRIMARY KEY (trial_id, name)
);
CREATE TABLE trial_values (
  trial_id  INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  objective INTEGER NOT NULL,            -- index into studies.objectives
  value     REAL NOT NULL,
  PRIMARY KEY (trial_id, objective)
);
CREATE TABLE trial_constraints (
  trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  idx      INTEGER NOT NULL,
  value    REAL NOT NULL,                -- violation; <= 0 is feasible
  PRIMARY KEY (trial_id, idx)
);
CREATE TABLE trial_user_attrs (
  trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,                -- JSON
  PRIMARY KEY (trial_id, key)
);
CREATE TABLE artifacts (
  id         INTEGER PRIMARY KEY,
  study_id   INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  trial_id   INTEGER REFERENCES trials(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  media_type TEXT NOT NULL,
  path       TEXT,
  data       BLOB,
  created_at TEXT NOT NULL,
  CHECK ((path IS NULL) <> (data IS NULL))
);
CREATE INDEX artifacts_study ON artifacts (study_id, trial_id);
CREATE TRIGGER trials_update_finished BEFORE UPDATE ON trials WHEN OLD.state <> 'running'
BEGIN SELECT RAISE(ABORT, 'hwnas: finished trials are immutable'); END;
${['trial_params', 'trial_values', 'trial_constraints', 'trial_user_attrs'].flatMap((t) => [immutable(t, 'INSERT'), immutable(t, 'UPDATE')]).join('\n')}
`,
  },
];

/** The schema version this build of hwnas writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
