/**
 * `hwnas nas` as a stored study, end to end with the real CLI: the default store and a generated study
 * name, re-running continues, `hwnas study resume` continues, and kill -9 in the middle of a run loses no
 * finished trial (the trial being evaluated is marked failed and retried with the same parameters).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Trial } from '../../search/types.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { HWNAS_BIN, runHwnas, spawnHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const TABLE = resolve(HWNAS_BIN, '../../bench/nb201-fmnist.csv');
const BASE = ['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'nsga2', '--budget', '40', '--seed', '3'];

interface NasJson {
  readonly study: string;
  readonly store: string;
  readonly trials: { arch: string; values: Record<string, number> }[];
  readonly hypervolume: number;
  readonly interrupted?: boolean;
}

function trialsOf(path: string, study: string): Trial[] {
  const s = new SqliteStore(path, { readonly: true });
  try {
    return s.getTrials(study);
  } finally {
    s.close();
  }
}

const archOf = (t: Trial): string => t.userAttrs.arch as string;

test('hwnas nas: a study in the default store under a generated name; the same command continues it; bad names rejected', async () => {
  const work = mkdtempSync(join(dir, 'default-'));
  const r = await runHwnas(work, ...BASE, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as NasJson;
  assert.match(j.study, /^nas-nb201-nsga2-[0-9a-f]{8}$/);
  assert.equal(j.store, '.hwnas/hwnas.sqlite');
  assert.ok(existsSync(join(work, '.hwnas', 'hwnas.sqlite')));
  assert.equal(j.trials.length, 40);
  assert.match(r.stderr, new RegExp(`study '${j.study}' .*new.*hwnas study resume ${j.study}`));
  const again = await runHwnas(work, ...BASE, '--json');
  assert.equal(again.code, 0, again.stderr);
  const k = JSON.parse(again.stdout) as NasJson;
  assert.equal(k.study, j.study);
  assert.deepEqual(k.trials, j.trials);
  assert.match(again.stderr, /continued/);
  assert.equal(trialsOf(join(work, '.hwnas', 'hwnas.sqlite'), j.study).length, 40, 'no trial was added by the second run');
  // the '+' of joint spaces is sanitised out of the generated name; an explicit --study keeps its rule
  const bad = await runHwnas(work, ...BASE, '--study', 'a+b');
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /a\+b/);
  assert.ok(!bad.stderr.includes('    at '), bad.stderr);
});

test('hwnas nas: kill -9 mid-run, then the same command continues: no gaps, finished trials kept, the killed trial retried', async () => {
  const work = mkdtempSync(join(dir, 'kill-'));
  const whole = await runHwnas(work, ...BASE, '--store', 'whole.sqlite', '--json');
  assert.equal(whole.code, 0, whole.stderr);
  const reference = JSON.parse(whole.stdout) as NasJson;
  const refTrials = trialsOf(join(work, 'whole.sqlite'), reference.study);

  const args = [...BASE, '--store', 'killed.sqlite', '--table-delay', '150', '--json'];
  const proc = spawnHwnas(work, args);
  const path = join(work, 'killed.sqlite');
  const study = await proc.signalWhen('SIGKILL', '10 complete trials of the nas study', () => {
    const name = /study '([^']+)'/.exec(proc.stderr())?.[1];
    return name && existsSync(path) && trialsOf(path, name).filter((t) => t.state === 'complete').length >= 10 ? name : undefined;
  });
  const killed = await proc.done;
  assert.equal(killed.signal, 'SIGKILL', 'killed by the signal');
  const before = trialsOf(path, study);
  assert.ok(before.length < 40, `the kill came before the end (${before.length} trials)`);
  const running = before.filter((t) => t.state === 'running');

  const resumed = await runHwnas(work, ...args);
  assert.equal(resumed.code, 0, resumed.stderr);
  const after_ = JSON.parse(resumed.stdout) as NasJson;
  assert.equal(after_.study, study);
  assert.match(resumed.stderr, /continued/);
  const all = trialsOf(path, study);
  assert.deepEqual(
    all.map((t) => t.number),
    all.map((_, i) => i),
    'trial numbers have no gaps',
  );
  const complete = all.filter((t) => t.state === 'complete');
  assert.equal(complete.length, 40);
  assert.equal(after_.trials.length, 40);
  for (const t of before.filter((x) => x.state === 'complete')) {
    assert.deepEqual(all[t.number]?.values, t.values, `trial ${t.number} kept its values`);
    assert.deepEqual(all[t.number]?.params, t.params);
  }
  // until the kill, the study proposed exactly what the uninterrupted one did
  for (const t of before) assert.deepEqual(t.params, refTrials[t.number]?.params, `trial ${t.number}`);
  assert.deepEqual(
    before.filter((t) => t.state === 'complete').map(archOf),
    refTrials.slice(0, before.filter((t) => t.state === 'complete').length).map(archOf),
  );
  for (const r of running) {
    assert.equal(all[r.number]?.state, 'failed');
    const retry = all.find((t) => t.userAttrs['hwnas:retry_of'] === r.number);
    assert.deepEqual(retry?.params, r.params, `the killed trial ${r.number} is retried with its parameters`);
    assert.equal(retry?.state, 'complete');
  }
});

test('hwnas nas: hwnas study resume continues an interrupted nas study to its budget with the stored strategy', async () => {
  const work = mkdtempSync(join(dir, 'resume-'));
  const args = [
    'nas',
    '--space',
    'nb201',
    '--table',
    TABLE,
    '--strategy',
    'two-stage',
    '--budget',
    '30',
    '--seed',
    '2',
    '--store',
    's.sqlite',
    '--table-delay',
    '100',
    '--json',
  ];
  const proc = spawnHwnas(work, args);
  const path = join(work, 's.sqlite');
  const study = await proc.signalWhen('SIGKILL', '5 complete trials of the nas study', () => {
    const name = /study '([^']+)'/.exec(proc.stderr())?.[1];
    return name && existsSync(path) && trialsOf(path, name).filter((t) => t.state === 'complete').length >= 5 ? name : undefined;
  });
  await proc.done;
  const before = new Set(trialsOf(path, study).map((t) => t.number));
  // no --threads: it runs as the nas run did, one trial at a time (review55 #5: it took every core)
  const r = await runHwnas(work, 'study', 'resume', study, '--store', 's.sqlite', '--json');
  assert.equal(r.code, 0, r.stderr);
  const all = trialsOf(path, study);
  assert.equal(all.filter((t) => t.state === 'complete').length, 30);
  const resumed = all.filter((t) => !before.has(t.number)).sort((a, b) => a.number - b.number);
  for (let i = 1; i < resumed.length; i++) {
    const [prev, next] = [resumed[i - 1] as Trial, resumed[i] as Trial];
    assert.ok(Date.parse(next.startedAt) >= Date.parse(prev.finishedAt ?? ''), `trial ${next.number} started before trial ${prev.number} finished`);
  }
  const again = await runHwnas(work, ...args);
  assert.equal(again.code, 0, again.stderr);
  const j = JSON.parse(again.stdout) as NasJson & { sensitive?: string[] };
  assert.equal(j.trials.length, 30);
  assert.ok(j.sensitive && j.sensitive.length > 0, 'the stored two-stage sensitive parameters are reported');
});

test('hwnas nas --strategy blockwise: needs an mbv2 space and --dataset; the repeat filter is not a --strategy', async () => {
  const work = mkdtempSync(join(dir, 'bw-'));
  const cases: [string[], RegExp][] = [
    [['--space', 'nb201', '--dataset', 'fashion-mnist'], /MobileNetV2-style.*'nb201'/],
    [['--space', 'mbv2-micro', '--table', TABLE], /--strategy blockwise distils a teacher on --dataset/],
    [['--space', 'mbv2-micro', '--dataset', 'fashion-mnist', '--teacher', 'r99-w1:k3e1r'], /r99/],
    // quantization-aware (+bits): precisions only on a joint space, each one the space offers
    [['--space', 'mbv2-micro', '--dataset', 'fashion-mnist', '--precisions', 'w8a8,w4a4'], /joint space \(--space mbv2-micro\+bits\)/],
    [['--space', 'mbv2-micro+bits', '--dataset', 'fashion-mnist', '--precisions', 'w8a8,w3a3'], /'w3a3' is not a precision of mbv2-micro\+bits/],
    [['--space', 'mbv2-micro+bits', '--dataset', 'fashion-mnist', '--qa-steps', '-1'], /--qa-steps/],
  ];
  for (const [extra, re] of cases) {
    const r = await runHwnas(work, 'nas', '--strategy', 'blockwise', '--budget', '2', ...extra);
    assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
  }
  const d = await runHwnas(work, ...BASE.slice(0, 5), '--strategy', 'distinct', '--budget', '2');
  assert.equal(d.code, 2, d.stderr);
  assert.match(d.stderr, /--no-distinct/);
});

test('hwnas nas --table --max-latency: trials over the line are counted infeasible and kept off the Pareto front', async () => {
  const work = mkdtempSync(join(dir, 'maxlat-'));
  const r = await runHwnas(work, ...BASE, '--max-latency', '0.1', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as NasJson & { pareto: { values: Record<string, number> }[]; infeasible: number };
  const over = j.trials.filter((t) => (t.values.latency_ms as number) > 0.1).length;
  assert.ok(over > 0, 'the line cuts some of the 40 trials');
  assert.equal(j.infeasible, over);
  assert.ok(j.pareto.length > 0);
  for (const p of j.pareto) assert.ok((p.values.latency_ms as number) <= 0.1, JSON.stringify(p));
  const t = trialsOf(join(work, '.hwnas', 'hwnas.sqlite'), j.study);
  assert.ok(
    t.every((x) => x.state !== 'complete' || Array.isArray(x.constraints)),
    'every trial stores its violation',
  );
  // a table without the latency column cannot take a line
  const bad = await runHwnas(work, ...BASE, '--objectives', 'accuracy:max,host_ms:min', '--max-latency', '0.1', '--table', join(work, 'none.csv'));
  assert.equal(bad.code, 2, bad.stderr);
});

test('hwnas nas --budget beyond the table: stops at the table size with a note instead of running on', async () => {
  const work = mkdtempSync(join(dir, 'cap-'));
  const { readFileSync, writeFileSync } = await import('node:fs');
  const small = join(work, 'small.csv');
  writeFileSync(small, `${readFileSync(TABLE, 'utf8').split('\n').slice(0, 6).join('\n')}\n`);
  const r = await runHwnas(work, 'nas', '--space', 'nb201', '--table', small, '--strategy', 'random', '--budget', '100000000', '--json');
  assert.match(r.stderr, /--budget 100000000 is more than the 5 architectures .*stops at 5 trials/);
  // the 5-row table does not cover the nb201 space: random proposals outside it fail, and a run whose every
  // trial failed is an error (exit 2 naming the first failure), not a summary of nothing
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /all 5 trials failed; first error .* is not in the table \(5 rows\)/);
  const study = /study '([^']+)'/.exec(r.stderr)?.[1] as string;
  assert.equal(trialsOf(join(work, '.hwnas', 'hwnas.sqlite'), study).length, 5);
  const big = await runHwnas(work, 'nas', '--space', 'mbv2', '--strategy', 'random', '--dataset', 'mnist', '--budget', '100000000');
  assert.ok(!big.stderr.includes('    at '), big.stderr);
  assert.equal(big.code, 2, big.stderr);
  assert.match(big.stderr, /--budget 100000000: expected at most 10000000/);
});

test('hwnas nas --strategy auto: says which strategy it runs and why, and runs exactly that one', async () => {
  const work = mkdtempSync(join(dir, 'auto-'));
  const args = (s: string) => ['nas', '--space', 'nb201', '--table', TABLE, '--strategy', s, '--budget', '30', '--seed', '3', '--store', `${s}.sqlite`];
  const auto = await runHwnas(work, ...args('auto'), '--json');
  assert.equal(auto.code, 0, auto.stderr);
  const j = JSON.parse(auto.stdout) as NasJson & { auto: { runs: string; meanClassSize: number } };
  // NB201's classes of equal computation (dead edges, isomorphism) average 15,625 / 7,837 points: below the bar of 4
  assert.equal(j.auto.runs, 'tpe');
  assert.ok(Math.abs(j.auto.meanClassSize - 15625 / 7837) < 1e-9, `${j.auto.meanClassSize}`);
  const tpe = JSON.parse((await runHwnas(work, ...args('tpe'), '--json')).stdout) as NasJson;
  assert.deepEqual(j.trials, tpe.trials);
  // auto is the default strategy: without --strategy the same run, in a study named by it
  const dflt = await runHwnas(
    work,
    ...args('auto').filter((a, i, all) => a !== '--strategy' && all[i - 1] !== '--strategy'),
    '--store',
    'default.sqlite',
    '--json',
  );
  assert.equal(dflt.code, 0, dflt.stderr);
  assert.deepEqual((JSON.parse(dflt.stdout) as NasJson).trials, j.trials);
  assert.match(dflt.stderr, /study 'nas-nb201-auto-/);
  const text = await runHwnas(work, ...args('auto'));
  assert.match(text.stdout, /nb201 \/ auto \(runs tpe: classes of equal computation average 1\.99 points\): 30 architectures/);
  // without the repeat filter there is no class key: auto runs TPE and says so
  const plain = await runHwnas(work, ...args('auto'), '--no-distinct', '--study', 'plain');
  assert.match(plain.stdout, /auto \(runs tpe: no classes of equal computation known\)/);
});

test('hwnas nas --table: a changed table is refused on continuing its study; a study stored without the hash continues with a note', async () => {
  const work = mkdtempSync(join(dir, 'changed-'));
  const { readFileSync, writeFileSync } = await import('node:fs');
  const t = join(work, 't.csv');
  const original = readFileSync(TABLE, 'utf8');
  writeFileSync(t, original);
  const args = ['nas', '--space', 'nb201', '--table', t, '--strategy', 'random', '--budget', '5', '--seed', '1', '--store', 's.sqlite'];
  const first = await runHwnas(work, ...args, '--json');
  assert.equal(first.code, 0, first.stderr);
  const study = (JSON.parse(first.stdout) as NasJson).study;
  // halve every accuracy: the same path, other content
  const lines = original.split('\n');
  const col = (lines[0] as string).split(',').indexOf('accuracy');
  const halved = lines.map((l, i) =>
    i === 0 || l === ''
      ? l
      : l
          .split(',')
          .map((v, j) => (j === col ? String(Number(v) / 2) : v))
          .join(','),
  );
  writeFileSync(t, halved.join('\n'));
  const changed = await runHwnas(work, ...args);
  assert.equal(changed.code, 2, changed.stderr);
  assert.match(
    changed.stderr,
    new RegExp(`study '${study}': the content of table .*t\\.csv changed since the study was stored \\(sha256 stored [0-9a-f]{64}, now [0-9a-f]{64}\\)`),
  );
  assert.equal(trialsOf(join(work, 's.sqlite'), study).length, 5, 'no trial of the changed table was added');
  // a study stored before the hash was kept (no tableSha256 attribute): continues, with a note, and records the hash
  writeFileSync(t, original);
  const db = new Database(join(work, 's.sqlite'));
  const row = db.prepare('SELECT user_attrs FROM studies WHERE name = ?').get(study) as { user_attrs: string };
  const { tableSha256, ...rest } = JSON.parse(row.user_attrs) as Record<string, unknown>;
  assert.match(String(tableSha256), /^[0-9a-f]{64}$/, 'a new table study stores its table hash');
  db.prepare('UPDATE studies SET user_attrs = ? WHERE name = ?').run(JSON.stringify(rest), study);
  db.close();
  const old = await runHwnas(work, ...args);
  assert.equal(old.code, 0, old.stderr);
  assert.match(old.stderr, /without its table's content hash .*continuing/);
  assert.match(old.stderr, /continued/);
  assert.equal(trialsOf(join(work, 's.sqlite'), study).length, 5);
  writeFileSync(t, halved.join('\n'));
  const after = await runHwnas(work, ...args);
  assert.equal(after.code, 2, 'the hash recorded on continuing guards the next run');
});

test('hwnas study resume / run of a --table study: a changed table is refused naming the file and both hashes; the same table continues; no hash: a note', async () => {
  const work = mkdtempSync(join(dir, 'resume-changed-'));
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { createHash } = await import('node:crypto');
  const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
  const t = join(work, 't.csv');
  const original = readFileSync(TABLE, 'utf8');
  writeFileSync(t, original);
  const first = await runHwnas(
    work,
    'nas',
    '--space',
    'nb201',
    '--table',
    t,
    '--strategy',
    'random',
    '--budget',
    '4',
    '--seed',
    '1',
    '--store',
    's.sqlite',
    '--json',
  );
  assert.equal(first.code, 0, first.stderr);
  const study = (JSON.parse(first.stdout) as NasJson).study;
  const changedText = original.replace(/\n$/, '\n# one more comment line\n');
  writeFileSync(t, changedText);
  for (const verb of ['resume', 'run']) {
    const r = await runHwnas(work, 'study', verb, study, '--store', 's.sqlite', '--threads', '0');
    assert.equal(r.code, 2, r.stderr);
    assert.ok(
      r.stderr.includes(
        `study '${study}': the content of table ${t} changed since the study was stored (sha256 stored ${sha(original)}, now ${sha(changedText)})`,
      ),
      r.stderr,
    );
    assert.ok(!r.stderr.includes('    at '), r.stderr);
  }
  assert.equal(trialsOf(join(work, 's.sqlite'), study).length, 4, 'no trial of the changed table was added');
  // the table as it was: the study continues
  writeFileSync(t, original);
  const same = await runHwnas(work, 'study', 'resume', study, '--store', 's.sqlite', '--threads', '0');
  assert.equal(same.code, 0, same.stderr);
  assert.doesNotMatch(same.stderr, /note:/);
  // a study stored without the hash: continues with a note, and the hash is recorded from then on
  const db = new Database(join(work, 's.sqlite'));
  const row = db.prepare('SELECT user_attrs FROM studies WHERE name = ?').get(study) as { user_attrs: string };
  const { tableSha256, ...rest } = JSON.parse(row.user_attrs) as Record<string, unknown>;
  assert.equal(tableSha256, sha(original));
  db.prepare('UPDATE studies SET user_attrs = ? WHERE name = ?').run(JSON.stringify(rest), study);
  db.close();
  const old = await runHwnas(work, 'study', 'resume', study, '--store', 's.sqlite', '--threads', '0');
  assert.equal(old.code, 0, old.stderr);
  assert.match(old.stderr, /note: study .* without its table's content hash .*continuing/);
  writeFileSync(t, changedText);
  const after = await runHwnas(work, 'study', 'resume', study, '--store', 's.sqlite', '--threads', '0');
  assert.equal(after.code, 2, 'the hash recorded on resuming guards the next resume');
});

test('hwnas nas --table: flags with no effect on a table are refused by name; --json reports no target', async () => {
  const work = mkdtempSync(join(dir, 'ignored-'));
  for (const extra of [
    ['--target', 'systolic'],
    ['--latency', 'network'],
    ['--policy', 'w8a8'],
    ['--epochs', '2'],
    ['--limit', '100'],
    ['--evaluator', 'supernet'],
    ['--no-latency-anchor'],
    ['--supernet-steps', '3'],
    ['--ptq'],
  ]) {
    const r = await runHwnas(work, ...BASE, '--budget', '2', ...extra);
    assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${extra[0]}: no effect with --table`));
  }
  const r = await runHwnas(work, ...BASE, '--budget', '2', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!('target' in (JSON.parse(r.stdout) as object)), 'a table run costs on no target');
});

test('hwnas nas --table with one objective: the best trial, the table best and their ratio, not every trial on a 100% front', async () => {
  const work = mkdtempSync(join(dir, 'single-'));
  const rows = readFileSync(TABLE, 'utf8').trim().split('\n');
  const col = (rows[0] as string).split(',').indexOf('accuracy');
  const tableBest = Math.max(...rows.slice(1).map((l) => Number(l.split(',')[col])));
  const args = ['nas', '--space', 'nb201', '--table', TABLE, '--budget', '20', '--seed', '3', '--objectives', 'accuracy:max'];
  const r = await runHwnas(work, ...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as NasJson & {
    pareto: { arch: string; values: Record<string, number> }[];
    best: { trial: number; arch: string; value: number };
    tableBest: { arch: string; value: number };
    bestRatio: number;
    bestRatioMeaning: string;
  };
  const found = Math.max(...j.trials.map((t) => t.values.accuracy as number));
  assert.ok(found < tableBest, 'the test needs a search that misses the table best');
  assert.deepEqual(
    j.pareto.map((t) => t.values.accuracy),
    [found],
  );
  assert.equal(j.best.value, found);
  assert.equal(j.tableBest.value, tableBest);
  assert.ok(Math.abs(j.bestRatio - found / tableBest) < 1e-12, `bestRatio ${j.bestRatio}`);
  assert.match(j.bestRatioMeaning, /best accuracy found \/ the table's best/);
  assert.ok(!Object.keys(j).some((k) => k.startsWith('hypervolume')), 'no hypervolume with one objective');
  const text = await runHwnas(work, ...args);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`20 architectures evaluated, best trial #${j.best.trial}\n`));
  assert.match(
    text.stdout,
    new RegExp(
      `best accuracy ${found.toPrecision(5)} \\(trial #${j.best.trial}\\); the table's best ${tableBest.toPrecision(5)}: ${((100 * found) / tableBest).toFixed(1)}% of it`,
    ),
  );
  assert.doesNotMatch(text.stdout, /hypervolume|Pareto front/);
});

test('hwnas nas --threads: above the maximum refused naming the value and the limit; above the budget capped with a note, no Node warning', async () => {
  const work = mkdtempSync(join(dir, 'threads-'));
  const big = await runHwnas(work, ...BASE, '--budget', '12', '--threads', '100');
  assert.equal(big.code, 2, big.stderr);
  assert.match(big.stderr, /--threads 100: expected at most 64 worker threads \(this machine has \d+ cores/);
  const r = await runHwnas(work, ...BASE, '--budget', '12', '--threads', '13', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as NasJson).trials.length, 12);
  assert.match(r.stderr, /note: --threads 13 is more than the 12 trials of the budget: running 12 worker threads\n/);
  assert.doesNotMatch(r.stderr, /\(node:\d+\)|Warning/);
});

test("hwnas nas --redis --queue '': refused before a study is created (it took the default queue)", async () => {
  const work = mkdtempSync(join(dir, 'queue-'));
  const r = await runHwnas(work, ...BASE, '--redis', 'redis://127.0.0.1:1', '--queue', '', '--store', 'q.sqlite');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /queue name "" is empty: expected a name/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(!existsSync(join(work, 'q.sqlite')), 'no store created');
});

test('hwnas nas --table --max-latency below every row: an error naming the line and the smallest latency, not 0% of 0', async () => {
  const work = mkdtempSync(join(dir, 'nomeet-'));
  const r = await runHwnas(work, ...BASE, '--max-latency', '0.001', '--json');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--max-latency 0\.001: no row of .* meets the latency line \(its smallest latency_ms is [0-9.]+ ms\)/);
  assert.equal(r.stdout, '');
});
