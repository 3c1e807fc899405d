/**
 * The files a command study keeps next to its store (review 52 #2): keyed by the study's uid, so two stores in one
 * folder never share them, and a study of the pre-uid layout is refused when its file was rewritten after it was created.
 */
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigError, UserError } from '../../errors.js';
import { MemoryStore } from '../../store/memory-store.js';
import type { StudyRecord } from '../../store/types.js';
import { testDir } from '../testing/fixtures.js';
import { openCommandStudy } from './study.js';
import type { StudyConfig } from './study-config.js';
import { checkLegacyStudyFiles, studyFilePath } from './study-files.js';

const dir = testDir('hwnas-study-files-');

test('openCommandStudy hands prepare the uid the study is created with; two stores give one name two uids and two paths', async () => {
  const seen: string[] = [];
  const paths: string[] = [];
  for (const store of [new MemoryStore(), new MemoryStore()]) {
    const cs = await openCommandStudy(store, {
      prefix: 'x',
      name: 'qx',
      settings: { a: 1 },
      nTrials: 2,
      prepare: (name, uid) => {
        seen.push(uid);
        paths.push(studyFilePath(join(dir, 'a.sqlite'), 'models', name, uid, '.json'));
        return { name, evaluator: { name: 'zdt1' }, strategy: 'random', nTrials: 2, seed: 1 } as StudyConfig;
      },
    });
    assert.equal(cs.status, 'created');
    assert.equal(store.getStudy('qx')?.userAttrs.uid, seen[seen.length - 1], 'the stored uid is the one prepare keyed its files by');
  }
  assert.equal(seen.length, 2);
  assert.notEqual(seen[0], seen[1]);
  assert.notEqual(paths[0], paths[1]);
  assert.equal(paths[0], resolve(dir, 'models', `qx-${seen[0]}.json`));
});

/** A study record created at `createdAt` whose evaluator options are `options`. */
function legacyStudy(name: string, createdAt: string, options: Record<string, string>): [StudyRecord, StudyConfig] {
  const config = { name, evaluator: { name: 'quant-policy', options }, nTrials: 1 } as unknown as StudyConfig;
  const study: StudyRecord = { id: 1, name, objectives: [], space: null, userAttrs: { command: {}, config: config as never }, createdAt };
  return [study, config];
}

/** Writes `path` with its modification time at `iso`. */
function fileAt(path: string, iso: string): void {
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, '{}');
  const t = new Date(iso);
  utimesSync(path, t, t);
}

test("a pre-uid study's model or screening: kept when older than the study, refused (naming the file) when rewritten after, or missing", () => {
  const created = '2026-12-01T10:00:00.000Z';
  const model = join(dir, 'models', 'qx.json');
  const [q, qc] = legacyStudy('qx', created, { model });
  fileAt(model, '2026-12-01T09:59:00.000Z');
  fileAt(model.replace(/\.json$/, '.bin'), '2026-12-01T09:59:00.000Z');
  checkLegacyStudyFiles(q, qc); // its own file: continues
  fileAt(model.replace(/\.json$/, '.bin'), '2026-12-02T08:00:00.000Z'); // another store's study of this name rewrote it
  assert.throws(
    () => checkLegacyStudyFiles(q, qc),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message.includes(`${join(dir, 'models', 'qx.bin')} was rewritten at 2026-12-02T08:00:00.000Z`) &&
      /touch -d/.test(e.message),
  );

  const screening = join(dir, 'transform', 'tx');
  const [t, tc] = legacyStudy('tx', created, { dir: screening });
  assert.throws(
    () => checkLegacyStudyFiles(t, tc),
    (e: Error) => e instanceof UserError && e.message.includes(join(screening, 'screening.json')),
  );
  fileAt(join(screening, 'screening.json'), '2026-12-01T09:00:00.000Z');
  checkLegacyStudyFiles(t, tc);
  fileAt(join(screening, 'screening.json'), '2026-12-01T10:00:05.000Z');
  assert.throws(() => checkLegacyStudyFiles(t, tc), ConfigError);

  // keyed by the uid (or the user's own model file): not checked, whatever its time
  const [u, uc] = legacyStudy('qx', created, { model: join(dir, 'models', 'qx-1234.json') });
  checkLegacyStudyFiles(u, uc);
  const [own, ownc] = legacyStudy('qx', created, { model: join(dir, 'mine', 'qx.json') });
  checkLegacyStudyFiles(own, ownc);
});
