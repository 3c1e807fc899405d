/**
 * The files a command study keeps next to its store (review 52 #2): keyed by the study's uid, so two stores in one
 * folder never share them, and a study of the pre-uid layout is refused when its file was rewritten after it was created.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ConfigError, UserError } from '../../errors.js';
import { MemoryStore } from '../../store/memory-store.js';
import type { StudyRecord } from '../../store/types.js';
import { testDir } from '../testing/fixtures.js';
import { HWNAS_BIN } from '../testing/run-cli.js';
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

test("a study that is never created (prepare throws, or the process exits in it) leaves none of its uid's files; others' stay", async () => {
  const root = join(dir, 'unused');
  const storePath = join(root, 'a.sqlite');
  const keep = [join(root, 'models', 'qx-other.json'), join(root, 'models', 'qx.json'), join(root, 'transform', 'qx-other', 'screening.json')];
  for (const k of keep) fileAt(k, '2026-12-01T09:00:00.000Z');
  let written: string[] = [];
  const store = new MemoryStore();
  await assert.rejects(
    openCommandStudy(store, {
      prefix: 'x',
      name: 'qx',
      settings: { a: 1 },
      nTrials: 2,
      storePath,
      prepare: (name, uid) => {
        written = [
          studyFilePath(storePath, 'models', name, uid, '.json'),
          studyFilePath(storePath, 'models', name, uid, '.bin'),
          join(studyFilePath(storePath, 'transform', name, uid), 'part.json'),
          join(studyFilePath(storePath, 'blockwise', name, uid), 'stage-0.bin'),
        ];
        for (const w of written) fileAt(w, '2026-12-01T09:00:00.000Z');
        throw new UserError('stopped in the preparation');
      },
    }),
    /stopped in the preparation/,
  );
  assert.equal(store.getStudy('qx'), undefined);
  assert.equal(written.length, 4);
  for (const w of written) assert.ok(!existsSync(w), `${w} is removed`);
  assert.ok(!existsSync(resolve(written[2] as string, '..')), 'the screening folder is removed');
  for (const k of keep) assert.ok(existsSync(k), `${k} is kept`);

  // the process exits during prepare (Ctrl-C's handler calls process.exit): the same files go
  const script = `
    import { openCommandStudy } from ${JSON.stringify(pathToFileURL(resolve(HWNAS_BIN, '../../dist/src/cli/commands/study.js')).href)};
    import { MemoryStore } from ${JSON.stringify(pathToFileURL(resolve(HWNAS_BIN, '../../dist/src/store/memory-store.js')).href)};
    import { mkdirSync, writeFileSync } from 'node:fs';
    import { join } from 'node:path';
    await openCommandStudy(new MemoryStore(), { prefix: 'x', name: 'qy', settings: {}, nTrials: 1, storePath: ${JSON.stringify(storePath)},
      prepare: (name, uid) => {
        mkdirSync(join(${JSON.stringify(root)}, 'models'), { recursive: true });
        writeFileSync(join(${JSON.stringify(root)}, 'models', name + '-' + uid + '.json'), '{}');
        console.log(uid);
        if (process.argv.includes('exit')) process.exit(130);
        return new Promise(() => setInterval(() => {}, 1000)); // a preparation Ctrl-C stops
      } });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, 'exit'], { encoding: 'utf8' });
  assert.equal(r.status, 130, r.stderr);
  const uid = r.stdout.trim();
  assert.match(uid, /^[0-9a-f-]{36}$/);
  assert.ok(!existsSync(join(root, 'models', `qy-${uid}.json`)), 'removed on exit');
  // Ctrl-C in a preparation the command does not watch: exit 130, a line saying nothing is stored, the file removed
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += String(d);
  });
  const code = await new Promise<number | null>((done) => {
    child.stdout.on('data', (d: Buffer) => {
      out += String(d);
      if (out.includes('\n')) child.kill('SIGINT');
    });
    child.on('exit', (c) => done(c));
  });
  assert.equal(code, 130, err);
  assert.match(err, /interrupted while preparing study 'qy'; nothing stored/);
  assert.ok(!existsSync(join(root, 'models', `qy-${out.trim()}.json`)), 'removed on Ctrl-C');
  for (const k of keep) assert.ok(existsSync(k), `${k} is kept`);
});

test("openCommandStudy: an evaluator's delayMs is timing, not identity: the same command with another delay continues the study with it", async () => {
  const store = new MemoryStore();
  const settings = (delayMs?: number) => ({ evaluator: { name: 'zdt1', options: delayMs ? { delayMs } : {} }, seed: 1 });
  const open = (delayMs?: number, seed = 1) =>
    openCommandStudy(store, {
      prefix: 'd',
      settings: { ...settings(delayMs), seed },
      nTrials: 2,
      prepare: (name) => ({ name, evaluator: settings(delayMs).evaluator, strategy: 'random', nTrials: 2, seed }) as StudyConfig,
    });
  const a = await open(5);
  const b = await open();
  assert.equal(b.name, a.name, 'the delay is not in the default name');
  assert.equal(b.status, 'resumed');
  assert.equal(b.config.evaluator.options?.delayMs, undefined, 'the delay given now is used');
  assert.deepEqual((store.getStudy(a.name)?.userAttrs.config as StudyConfig | undefined)?.evaluator.options, {}, 'and stored');
  const c = await open(7);
  assert.equal(c.config.evaluator.options?.delayMs, 7);
  assert.notEqual((await open(7, 2)).name, a.name, 'another setting is another study');
});
