import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MemoryStore } from './memory-store.js';
import { SCHEMA_VERSION } from './migrations.js';
import { openProjectStore, SqliteStore } from './sqlite-store.js';
import { storeConformance } from './testing/store-conformance.js';

storeConformance('memory', () => ({ store: new MemoryStore() }));

storeConformance('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-store-'));
  const path = join(dir, 'hwnas.sqlite');
  return { store: new SqliteStore(path), reopen: () => new SqliteStore(path), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

test('sqlite: project store lives in .hwnas/hwnas.sqlite, WAL + synchronous FULL, schema versioned', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-store-'));
  try {
    const s = openProjectStore(dir);
    assert.equal(s.path, join(dir, '.hwnas', 'hwnas.sqlite'));
    assert.equal(s.schemaVersion(), SCHEMA_VERSION);
    s.close();
    const db = new Database(join(dir, '.hwnas', 'hwnas.sqlite'));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.deepEqual(db.prepare('SELECT version FROM schema_version').all(), [{ version: 1 }]);
    // The immutability triggers hold even for raw SQL.
    db.exec("INSERT INTO studies (name, objectives, created_at) VALUES ('s', '[]', 'x')");
    db.exec("INSERT INTO trials (study_id, number, state, started_at, heartbeat_at) VALUES (1, 0, 'complete', 'x', 'x')");
    assert.throws(() => db.exec("UPDATE trials SET state = 'failed'"), /finished trials are immutable/);
    assert.throws(() => db.exec('INSERT INTO trial_values VALUES (1, 0, 1.0)'), /finished trials are immutable/);
    // A file from a newer hwnas is refused with a clear message.
    db.exec("INSERT INTO schema_version VALUES (99, 'future', 'x')");
    db.close();
    assert.throws(() => openProjectStore(dir), /schema version 99, newer than this hwnas supports \(1\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite read-only: an empty file says it is empty and how to make a store; a foreign database says it is not hwnas (review53 #9)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-store-empty-'));
  try {
    for (const bytes of ['', 'x']) {
      const path = join(dir, `zero${bytes.length}.sqlite`);
      writeFileSync(path, bytes);
      assert.throws(
        () => new SqliteStore(path, { readonly: true }),
        (e: Error) => e.message.startsWith(`store ${JSON.stringify(path)} is empty (no hwnas tables yet): create a study in it first (hwnas study create`),
      );
    }
    const foreign = join(dir, 'foreign.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (a)');
    db.close();
    assert.throws(
      () => new SqliteStore(foreign, { readonly: true }),
      /is not an hwnas store \(an SQLite database with 1 table\(s\) but no hwnas schema version\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
