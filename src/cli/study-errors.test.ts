import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UserError } from '../errors.js';
import type { Trial } from '../search/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { StudyResult } from '../study/run-study.js';
import { createStudyFromConfig, failIfNothingCompleted } from './commands/study.js';
import type { StudyConfig } from './commands/study-config.js';
import { runHwnas, spawnHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-study-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('study create with a bad evaluator or an empty table: exit 2 naming it, and no store file is made', async () => {
  writeFileSync(join(dir, 'empty.csv'), '');
  const configs = {
    'unknown.json': [{ name: 'u', evaluator: { name: 'nope' }, nTrials: 5 }, /unknown evaluator 'nope'/],
    'empty.json': [
      {
        name: 'e',
        evaluator: { name: 'nas-table', options: { table: 'empty.csv', objectives: 'accuracy:max,latency_ms:min' } },
        strategy: 'random',
        nTrials: 5,
      },
      /NAS table 'empty\.csv' is empty/,
    ],
  } as const;
  for (const [file, [config, re]] of Object.entries(configs)) {
    writeFileSync(join(dir, file), JSON.stringify(config));
    const r = await runHwnas(dir, 'study', 'create', '--config', file, '--store', `${file}.sqlite`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(existsSync(join(dir, `${file}.sqlite`)), false, `${file}: no store file`);
  }
});

function trial(number: number, state: Trial['state'], error?: string): Trial {
  return {
    number,
    params: {},
    values: state === 'complete' ? [1] : null,
    constraints: null,
    state,
    userAttrs: error ? { 'hwnas:error': error } : {},
    startedAt: '',
    finishedAt: '',
  };
}

test('a study run whose every trial failed is an error quoting the first failure, not a summary', () => {
  const base = { study: { id: 1, name: 's', objectives: [], space: null, userAttrs: {}, createdAt: '' }, created: 2, recovered: 0, aborted: false, best: [] };
  const allFailed: StudyResult = { ...base, trials: [trial(0, 'failed', 'table row 3: bad'), trial(1, 'failed', 'x')] };
  assert.throws(
    () => failIfNothingCompleted(allFailed),
    (e: unknown) => e instanceof UserError && /all 2 trials failed; first error \(trial 0\): table row 3: bad/.test(e.message),
  );
  failIfNothingCompleted({ ...base, trials: [trial(0, 'failed', 'x'), trial(1, 'complete')] });
  failIfNothingCompleted({ ...base, trials: [] });
  failIfNothingCompleted({ ...base, aborted: true, trials: [trial(0, 'failed', 'aborted')] });
});

test('Ctrl-C during hwnas study run: finished trials are kept, the summary is printed, and the exit code is 130', async () => {
  writeFileSync(
    join(dir, 'slow.json'),
    JSON.stringify({ name: 'slow', evaluator: { name: 'zdt1', options: { delayMs: 200 } }, strategy: 'random', nTrials: 200, seed: 1 }),
  );
  const created = await runHwnas(dir, 'study', 'create', '--config', 'slow.json', '--store', 'slow.sqlite');
  assert.equal(created.code, 0, created.stderr);
  const proc = spawnHwnas(dir, ['study', 'run', 'slow', '--store', 'slow.sqlite', '--threads', '0']);
  // interrupt once a few trials are stored
  await proc.signalWhen('SIGINT', '3 complete trials in slow.sqlite', () => {
    const s = new SqliteStore(join(dir, 'slow.sqlite'), { readonly: true });
    try {
      return s.getTrials('slow', ['complete']).length >= 3;
    } finally {
      s.close();
    }
  });
  const r = await proc.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stdout, /stopped early \(resume with hwnas study resume\)/);
  const s = new SqliteStore(join(dir, 'slow.sqlite'), { readonly: true });
  const complete = s.getTrials('slow', ['complete']).length;
  s.close();
  assert.ok(complete >= 3 && complete < 200, `complete ${complete}`);
});

test('a second Ctrl-C during hwnas study run stops at once with one line, and leaves no trial running in the store', async () => {
  // a command that ignores SIGTERM: after the first Ctrl-C hwnas waits out its grace period (20 s) before SIGKILL
  writeFileSync(
    join(dir, 'stubborn.json'),
    JSON.stringify({
      name: 'stubborn',
      // it says it has started (a file), so that the first Ctrl-C comes once the command runs, not while its trial is
      // being set up (then the trial is stopped before its command starts and the run ends before the second Ctrl-C)
      evaluator: {
        name: 'command',
        options: { cmd: `trap '' TERM; touch '${join(dir, 'stubborn-started')}'; sleep 60`, graceS: 20, workdir: join(dir, 'trials') },
      },
      space: { x: { kind: 'float', low: 0, high: 1 } },
      strategy: 'random',
      nTrials: 3,
      seed: 1,
    }),
  );
  const created = await runHwnas(dir, 'study', 'create', '--config', 'stubborn.json', '--store', 'stubborn.sqlite');
  assert.equal(created.code, 0, created.stderr);
  const proc = spawnHwnas(dir, ['study', 'run', 'stubborn', '--store', 'stubborn.sqlite', '--threads', '0']);
  const running = (): number => {
    const s = new SqliteStore(join(dir, 'stubborn.sqlite'), { readonly: true });
    try {
      return s.getRunningTrials('stubborn').length;
    } finally {
      s.close();
    }
  };
  await proc.signalWhen('SIGINT', "trial 0's command running", () => running() === 1 && existsSync(join(dir, 'stubborn-started')));
  await new Promise((r) => setTimeout(r, 300)); // the first Ctrl-C is handled (the command is sent SIGTERM, which it ignores)
  proc.child.kill('SIGINT');
  const r = await proc.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(
    r.stderr,
    /second interrupt: stopping now; trial 0 of study 'stubborn' marked failed; the next run of the study .*hwnas study resume stubborn --store stubborn\.sqlite\) runs it again/,
  );
  const s = new SqliteStore(join(dir, 'stubborn.sqlite'), { readonly: true });
  const trials = s.getTrials('stubborn');
  s.close();
  assert.deepEqual(
    trials.map((t) => [t.number, t.state, t.userAttrs['hwnas:fail_reason']]),
    [[0, 'failed', 'aborted']],
    'the trial is failed (and will be retried), not left running',
  );
});

test('an --out that is the study store (by its path or a link to it) is refused, exit 2, and the store is left as it was', async () => {
  writeFileSync(join(dir, 'keep.json'), JSON.stringify({ name: 'keep', evaluator: { name: 'zdt1' }, strategy: 'random', nTrials: 5, seed: 1 }));
  const created = await runHwnas(dir, 'study', 'create', '--config', 'keep.json', '--store', 'keep.sqlite');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /run it with: hwnas study run keep --store keep\.sqlite\n/, 'the hint names the store it was created in');
  const ran = await runHwnas(dir, 'study', 'run', 'keep', '--store', 'keep.sqlite');
  assert.equal(ran.code, 0, ran.stderr);
  const before = readFileSync(join(dir, 'keep.sqlite'));
  symlinkSync(join(dir, 'keep.sqlite'), join(dir, 'keep-link.sqlite'));
  const runs = [
    ['study', 'export', 'keep', '--store', 'keep.sqlite', '--out', 'keep.sqlite'],
    ['report', 'keep', '--store', 'keep.sqlite', '--out', 'keep-link.sqlite'],
  ];
  for (const args of runs) {
    const r = await runHwnas(dir, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--out 'keep(-link)?\.sqlite' is the command's --store file 'keep\.sqlite': writing there would destroy it/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.deepEqual(readFileSync(join(dir, 'keep.sqlite')), before, 'store bytes unchanged');
  const s = new SqliteStore(join(dir, 'keep.sqlite'), { readonly: true });
  assert.equal(s.getTrials('keep', ['complete']).length, 5);
  s.close();
  // another file in the same folder is still fine
  const ok = await runHwnas(dir, 'study', 'export', 'keep', '--store', 'keep.sqlite', '--out', 'keep.csv');
  assert.equal(ok.code, 0, ok.stderr);
});

test('a quant-policy config whose searchImages (or faultDrop.images) is above the validation count: study create and study run refuse it as quantize --search-images does', async () => {
  const options = {
    model: 'zoo:mnist-cnn',
    dataset: 'mnist;limit=train:100,val:40,test:20',
    target: 'bitfusion-edge',
    budget: { kind: 'latency', value: 1 },
  };
  const config = (name: string, searchImages: number) => ({
    name,
    evaluator: { name: 'quant-policy', options: { ...options, searchImages } },
    space: { 'conv1.w': { kind: 'int', low: 2, high: 8 }, 'conv1.a': { kind: 'int', low: 2, high: 8 } },
    strategy: 'random',
    nTrials: 2,
  });
  // quant-policy's faultDrop.images (the validation images of its fault runs) gets the same check
  writeFileSync(
    join(dir, 'q-drop.json'),
    JSON.stringify({
      ...config('drop', 40),
      evaluator: { name: 'quant-policy', options: { ...options, faultDrop: { ber: 1e-3, runs: 1, images: 41, seed: 0 } } },
    }),
  );
  const drop = await runHwnas(dir, 'study', 'create', '--config', 'q-drop.json', '--store', 'q.sqlite');
  assert.equal(drop.code, 2, drop.stderr);
  assert.match(drop.stderr, /evaluator 'quant-policy' options\.faultDrop\.images 41: options\.dataset '.*' has 40 validation images; expected at most 40/);
  assert.equal(existsSync(join(dir, 'q.sqlite')), false, 'no store file');
  const msg =
    /evaluator 'quant-policy' options\.searchImages 500: options\.dataset 'mnist;limit=train:100,val:40,test:20' has 40 validation images; expected at most 40/;
  writeFileSync(join(dir, 'q-over.json'), JSON.stringify(config('over', 500)));
  const create = await runHwnas(dir, 'study', 'create', '--config', 'q-over.json', '--store', 'q.sqlite');
  assert.equal(create.code, 2, create.stderr);
  assert.match(create.stderr, msg);
  assert.doesNotMatch(create.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(join(dir, 'q.sqlite')), false, 'no store file');
  // the validation count itself is accepted
  writeFileSync(join(dir, 'q-fits.json'), JSON.stringify(config('fits', 40)));
  const fits = await runHwnas(dir, 'study', 'create', '--config', 'q-fits.json', '--store', 'q.sqlite');
  assert.equal(fits.code, 0, fits.stderr);
  // a study stored with such a config (by the API, or before the check existed) and no trials: study run refuses it
  const store = new SqliteStore(join(dir, 'q.sqlite'));
  try {
    createStudyFromConfig(store, config('over', 500) as unknown as StudyConfig);
  } finally {
    store.close();
  }
  const run = await runHwnas(dir, 'study', 'run', 'over', '--store', 'q.sqlite', '--threads', '0');
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, msg);
  const after = new SqliteStore(join(dir, 'q.sqlite'), { readonly: true });
  try {
    assert.equal(after.getTrials('over').length, 0, 'refused before any trial');
    assert.equal(after.getStudy('fits')?.name, 'fits', 'the other study is kept');
  } finally {
    after.close();
  }
  // a study that has trials already (stored before the check existed) is not stranded: a note, and it continues
  const old = new SqliteStore(join(dir, 'q.sqlite'));
  try {
    const t = old.createTrial('over', { params: { 'conv1.w': 8, 'conv1.a': 8 } });
    old.finishTrial('over', t.number, { state: 'complete', values: [0.5] });
    old.createTrial('over', { params: { 'conv1.w': 4, 'conv1.a': 8 } });
    old.finishTrial('over', t.number + 1, { state: 'complete', values: [0.4] });
  } finally {
    old.close();
  }
  const cont = await runHwnas(dir, 'study', 'run', 'over', '--store', 'q.sqlite', '--threads', '0');
  assert.equal(cont.code, 0, cont.stderr);
  assert.match(
    cont.stderr,
    /note: study 'over': evaluator 'quant-policy' options\.searchImages 500: .* has 40 validation images; expected at most 40; its 2 stored trial\(s\) were scored on what the data set holds/,
  );
});

test('report --compare naming the study itself, nothing, or a study twice: exit 2 naming the value', async () => {
  writeFileSync(join(dir, 'cmp.json'), JSON.stringify({ name: 'cmp', evaluator: { name: 'zdt1' }, strategy: 'random', nTrials: 4, seed: 1 }));
  assert.equal((await runHwnas(dir, 'study', 'create', '--config', 'cmp.json', '--store', 'cmp.sqlite')).code, 0);
  assert.equal((await runHwnas(dir, 'study', 'run', 'cmp', '--store', 'cmp.sqlite')).code, 0);
  for (const [value, pattern] of [
    ['cmp', /--compare 'cmp' names the reported study 'cmp' itself/],
    [',', /--compare ',' names no study/],
    ['', /--compare '' names no study/],
    ['x, x', /--compare 'x, x' names study 'x' twice/],
  ] as const) {
    const r = await runHwnas(dir, 'report', 'cmp', '--store', 'cmp.sqlite', '--out', 'cmp.html', '--compare', value);
    assert.equal(r.code, 2, `--compare '${value}': ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!existsSync(join(dir, 'cmp.html')), 'no report written');
  }
});
