/**
 * `hwnas study delete` (review 52 #7): the study's rows go in one transaction, with the files named by its uid; another
 * study's rows and files (in this store, or a study of the same name in another store of the folder) are untouched;
 * a study a live process runs is refused without --force; a dead process's running trial is shown as dead by list/show.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { UserError } from '../../errors.js';
import type { JsonValue } from '../../search/types.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { registerStudy } from '../register/study.js';
import { testDir } from '../testing/fixtures.js';
import { studyFilePath } from './study-files.js';

const dir = testDir('hwnas-study-delete-');

async function cli(...args: string[]): Promise<string> {
  const program = new Command('hwnas').exitOverride();
  registerStudy(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string | Uint8Array, ...rest: never[]) => {
    if (typeof s !== 'string') return write(s, ...rest);
    out += s;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return out;
}

const objectives = [{ name: 'accuracy', direction: 'maximize' }] as const;

/** A command study with evaluator options `options`, uid `uid` (none: a study of the pre-uid layout) and one complete trial. */
function addStudy(store: SqliteStore, name: string, uid: string | undefined, options: Record<string, JsonValue>): void {
  const config = { name, evaluator: { name: 'quant-policy', options }, nTrials: 3 };
  store.createStudy({ name, objectives, userAttrs: { config, command: {}, ...(uid !== undefined ? { uid } : {}) } });
  store.createTrial(name, { params: { x: 1 }, worker: 'h:1:a' });
  store.finishTrial(name, 0, { state: 'complete', values: [0.5] });
}

/** Writes a file (and its folder). */
function touch(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x');
  return path;
}

test('study delete removes the study and its uid-named files, and nothing of another study or store; unknown names are listed', async () => {
  const a = join(dir, 'a.sqlite');
  const b = join(dir, 'b.sqlite');
  const modelA = studyFilePath(a, 'models', 'qx', 'u1', '.json');
  const modelB = studyFilePath(b, 'models', 'qx', 'u2', '.json');
  const screening = studyFilePath(a, 'transform', 'other', 'u3');
  const legacy = join(dir, 'transform', 'old');
  for (const f of [
    modelA,
    modelA.replace(/json$/, 'bin'),
    modelB,
    modelB.replace(/json$/, 'bin'),
    join(screening, 'screening.json'),
    join(legacy, 'screening.json'),
  ])
    touch(f);
  const sa = new SqliteStore(a);
  addStudy(sa, 'qx', 'u1', { model: modelA });
  addStudy(sa, 'other', 'u3', { dir: screening });
  addStudy(sa, 'old', undefined, { dir: legacy });
  sa.addArtifact('qx', { trialNumber: 0, name: 'p.json', mediaType: 'application/json', data: '{}' });
  sa.close();
  const sb = new SqliteStore(b);
  addStudy(sb, 'qx', 'u2', { model: modelB });
  sb.close();

  const out = await cli('study', 'delete', 'qx', '--store', a);
  assert.match(out, /^deleted study 'qx' \(1 trial\(s\)\) from .*a\.sqlite; removed .*qx-u1\.json, .*qx-u1\.bin\n$/);
  assert.equal(existsSync(modelA), false);
  assert.equal(existsSync(modelA.replace(/json$/, 'bin')), false);
  assert.ok(existsSync(modelB) && existsSync(modelB.replace(/json$/, 'bin')), "the other store's study of the same name keeps its model");
  assert.ok(existsSync(join(screening, 'screening.json')), "another study's screening stays");
  const check = new SqliteStore(a, { readonly: true });
  assert.deepEqual(
    check.listStudies().map((s) => s.name),
    ['other', 'old'],
  );
  assert.equal(check.getTrials('other').length, 1);
  check.close();
  const other = new SqliteStore(b, { readonly: true });
  assert.equal(other.getTrials('qx').length, 1, "the other store's study keeps its trials");
  other.close();

  // a pre-uid folder may be shared with another store's study of the same name: kept, and said so
  const old = JSON.parse(await cli('study', 'delete', 'old', '--store', a, '--json')) as { removed: string[]; kept: { path: string; own: boolean }[] };
  assert.deepEqual(old.removed, []);
  assert.deepEqual(old.kept, [{ path: legacy, what: 'screening', own: false }]);
  assert.ok(existsSync(join(legacy, 'screening.json')));

  await assert.rejects(
    cli('study', 'delete', 'nope', '--store', a),
    (e: unknown) => e instanceof UserError && /study 'nope' does not exist; known studies: other/.test(e.message),
  );
  await assert.rejects(cli('study', 'delete', 'qx', '--store', join(dir, 'none.sqlite')), /no store at/);
});

test('study delete refuses a study a live process is running (unless --force); a dead process is shown as dead and does not block', async () => {
  const p = join(dir, 'run.sqlite');
  const s = new SqliteStore(p);
  addStudy(s, 'live', 'u4', {});
  s.createTrial('live', { params: { x: 2 }, worker: `${hostname()}:${process.pid}:x` }); // this process: alive
  addStudy(s, 'dead', 'u5', {});
  s.createTrial('dead', { params: { x: 2 }, worker: `${hostname()}:2147483646:x` }); // no such pid
  s.close();
  const list = JSON.parse(await cli('study', 'list', '--store', p, '--json')) as { name: string; running: number; runningDead: number }[];
  assert.deepEqual(
    list.map((r) => [r.name, r.running, r.runningDead]),
    [
      ['live', 1, 0],
      ['dead', 1, 1],
    ],
  );
  assert.match(await cli('study', 'list', '--store', p), /1 \(1 dead\)/);
  assert.match(
    await cli('study', 'show', 'dead', '--store', p),
    /dead: trial 1 \(its process is gone\) still 'running' in the store; hwnas study resume dead --store /,
  );
  await assert.rejects(
    cli('study', 'delete', 'live', '--store', p),
    (e: unknown) =>
      e instanceof UserError && /study 'live' has 1 trial\(s\) running in a process that may be alive: trial 1 \(worker .*\); .*--force/.test(e.message),
  );
  const kept = new SqliteStore(p, { readonly: true });
  assert.equal(kept.getTrials('live').length, 2, 'a refused delete changes nothing');
  kept.close();
  await cli('study', 'delete', 'dead', '--store', p);
  await cli('study', 'delete', 'live', '--store', p, '--force');
  const empty = new SqliteStore(p, { readonly: true });
  assert.deepEqual(empty.listStudies(), []);
  empty.close();
});
