/**
 * `hwnas transform` as a user runs it: a zoo teacher trained first, HANT under a latency budget with
 * Pareto refinement and logit distillation, the transformed ONNX checked in onnxruntime by `hwnas eval`;
 * the selection study killed (-9) and interrupted (Ctrl-C) and continued by running the command again,
 * compared with an uninterrupted run of the same study; bad flags refused before any work.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Trial } from '../search/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { flagList, testDir } from './testing/fixtures.js';
import { type CliRun, runHwnas, spawnHwnas } from './testing/run-cli.js';

const dir = testDir('hwnas-transform-');
const hwnas = (...args: string[]): Promise<CliRun> => runHwnas(dir, ...args);

const DS = 'mnist;limit=train:1500,val:200,test:500';

/** `transform` of mnist-cnn on {@link DS} for bitfusion-edge under `budget`: a one-epoch teacher, `steps` distillation steps on `samples` samples, then the `more` flags. */
function transformArgs(budget: string, steps: string, samples: string, more: Readonly<Record<string, string>> = {}): string[] {
  return [
    'transform',
    'zoo:mnist-cnn',
    ...flagList({ dataset: DS, target: 'bitfusion-edge', budget, 'train-epochs': '1', steps, 'distill-samples': samples, ...more }),
  ];
}

test('hwnas transform: trained zoo teacher, faster student within the budget, ONNX runs in onnxruntime with the reported accuracy', async () => {
  // teacher training, screening of 82 alternatives and a fine-tune: minutes on a loaded machine, so a longer kill timeout than runHwnas's
  const args = [
    ...transformArgs('latency=0.85x', '15', '64', { 'refine-steps': '10', 'finetune-epochs': '1', 'finetune-loss': 'logits', out: 'fast.onnx' }),
    '--json',
  ];
  const r = await spawnHwnas(dir, args, { timeoutMs: 600_000 }).done;
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    teacher: { accuracy: number; latencyMs: number };
    student: { accuracy: number; latencyMs: number };
    budgetMs: number;
    layers: { unit: string; alternatives: number; chosen: string }[];
    study: string;
    trial: number;
    screening: { stored: boolean; dir: string };
  };
  assert.match(j.study, /^transform-mnist-cnn-[0-9a-f]{8}$/, 'the study is named after the model and a hash of the settings');
  assert.equal(j.screening.stored, false, "a new study's screening (and its seconds) are this run's");
  assert.equal(j.trial, 0, "one trial by default: the ILP's choice");
  const store = new SqliteStore(join(dir, '.hwnas', 'hwnas.sqlite'), { readonly: true });
  const uid = store.getStudy(j.study)?.userAttrs.uid;
  store.close();
  // keyed by the study's uid: a study of the same name in another store of the folder has its own (review 52 #2)
  assert.ok(existsSync(join(dir, '.hwnas', 'transform', `${j.study}-${uid}`, 'screening.json')), 'the screening is saved next to the default store');
  assert.ok(j.teacher.accuracy > 0.6, `the zoo teacher was trained first (accuracy ${j.teacher.accuracy})`);
  assert.ok(
    j.student.latencyMs <= j.budgetMs * (1 + 1e-9) && j.budgetMs < j.teacher.latencyMs,
    `student ${j.student.latencyMs} ms within the budget ${j.budgetMs} ms`,
  );
  assert.ok(
    j.layers.some((l) => l.chosen !== 'teacher'),
    'at least one layer was replaced',
  );
  assert.ok(
    j.layers.filter((l) => l.unit.startsWith('conv')).every((l) => l.alternatives >= 30),
    'conv units have >= 30 alternatives',
  );
  assert.ok(existsSync(join(dir, 'fast.onnx')));
  const ev = await hwnas('eval', 'fast.onnx', '--dataset', DS, '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const acc = (JSON.parse(ev.stdout) as { accuracy: number }).accuracy;
  assert.ok(Math.abs(acc - j.student.accuracy) <= 0.002 + 1e-9, `onnxruntime ${acc} vs engine ${j.student.accuracy}`);
});

test('hwnas transform: bad flags are named, exit 2, no stack trace', async () => {
  for (const [args, pattern] of [
    [['--finetune-loss', 'kl'], /--finetune-loss 'kl': expected labels, logits or kd/],
    [['--refine', 'all', '--refine-steps', '5'], /--refine 'all': expected pareto or chosen/],
    [['--distill-lr', '0'], /--distill-lr 0: expected a value > 0/],
    [['--kd-weight', '2', '--finetune-loss', 'kd'], /--kd-weight 2: expected a value in \[0, 1\]/],
    [['--finetune-label-smoothing', '1'], /--finetune-label-smoothing 1: expected a value in \[0, 1\)/],
    [['--budget', 'latency=0.01x'], /infeasible|cannot be met/],
  ] as const) {
    const r = await hwnas(...transformArgs('latency=0.8x', '5', '32'), ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
  }
});

/** Trials of a study, read from a store file without writing to it (undefined while there is no such study). */
function storedTrials(path: string, study?: string): { name: string; trials: Trial[] } | undefined {
  if (!existsSync(path)) return undefined;
  let store: SqliteStore | undefined;
  try {
    store = new SqliteStore(path, { readonly: true });
    const name = study ?? store.listStudies()[0]?.name;
    return name === undefined ? undefined : { name, trials: store.getTrials(name) };
  } catch {
    return undefined; // the database is being created
  } finally {
    store?.close();
  }
}

/** Runs `hwnas <args>` and sends `signal` once `when(trials)` holds for the store's (first) study; resolves with the run and the trials seen then. */
async function runUntil(
  args: readonly string[],
  storePath: string,
  signal: NodeJS.Signals,
  when: (ts: readonly Trial[]) => boolean,
): Promise<{ run: CliRun; seen: Trial[] | undefined }> {
  const proc = spawnHwnas(dir, args, { timeoutMs: 600_000 });
  let seen: Trial[] | undefined;
  try {
    seen = await proc.signalWhen(
      signal,
      'the condition on the stored trials',
      () => {
        const s = storedTrials(storePath);
        return s && when(s.trials) ? s.trials : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 20 },
    );
  } catch {
    // the run ended first (or hung past the load-scaled ceiling): `seen` stays undefined and the caller says so
    if (!proc.exited()) proc.child.kill('SIGKILL');
  }
  const run = await proc.done;
  return { run, seen };
}

const completeOf = (ts: readonly Trial[]): Trial[] => ts.filter((t) => t.state === 'complete');

test('hwnas transform: killed (-9) and interrupted (Ctrl-C) during the selection study, the same command continues it; trials equal an uninterrupted run of the study', async () => {
  const store = join(dir, 'kill', 'hwnas.sqlite');
  const n = 30;
  const args = [...transformArgs('latency=0.85x', '5', '32', { 'refine-steps': '0', 'finetune-epochs': '0', trials: String(n), seed: '1', store }), '--json'];
  // 1. kill -9 once a few trials are complete
  const killed = await runUntil(args, store, 'SIGKILL', (ts) => completeOf(ts).length >= 3);
  assert.ok(killed.seen, `the study never got 3 complete trials:\n${killed.run.stderr}`);
  assert.equal(killed.run.code, null, 'killed by the signal');
  const afterKill = storedTrials(store);
  assert.ok(afterKill);
  const keptKill = completeOf(afterKill.trials);
  assert.ok(keptKill.length >= 3 && keptKill.length < n, `killed mid-study: ${keptKill.length} of ${n} complete`);
  // 2. the same command again, Ctrl-C after a few more trials: the best so far is reported, exit 0
  const interrupted = await runUntil(args, store, 'SIGINT', (ts) => completeOf(ts).length >= keptKill.length + 3);
  assert.ok(interrupted.seen, `no progress after the kill:\n${interrupted.run.stderr}`);
  assert.equal(interrupted.run.code, 130, interrupted.run.stderr);
  const ji = JSON.parse(interrupted.run.stdout) as {
    study: string;
    trial: number;
    trials: number;
    interrupted?: boolean;
    layers: { unit: string; chosen: string }[];
    screening: { stored: boolean; dir: string };
  };
  assert.equal(ji.study, afterKill.name, 'the same command continues the same study');
  assert.equal(ji.screening.stored, true, 'a continued study says its screening (seconds.distill, refine, ilp) is the stored one');
  assert.ok(existsSync(join(ji.screening.dir, 'screening.json')), ji.screening.dir);
  assert.equal(ji.interrupted, true, interrupted.run.stdout);
  assert.ok(ji.trials < n, `stopped early: ${ji.trials} trials`);
  // 3. and again, to the end
  const done = await runHwnas(dir, ...args);
  assert.equal(done.code, 0, done.stderr);
  const j = JSON.parse(done.stdout) as {
    study: string;
    trial: number;
    trials: number;
    interrupted?: boolean;
    budgetMs: number;
    student: { latencyMs: number };
    layers: { unit: string; chosen: string }[];
  };
  assert.equal(j.study, afterKill.name);
  assert.equal(j.interrupted, undefined);
  const final = storedTrials(store, j.study)?.trials ?? [];
  assert.deepEqual(
    final.map((t) => t.number),
    final.map((_, i) => i),
    'trial numbers have no gaps',
  );
  const complete = completeOf(final);
  assert.equal(complete.length, n, `${n} complete trials: ${JSON.stringify(final.map((t) => t.state))}`);
  assert.ok(
    final.filter((t) => t.state === 'failed').every((t) => t.userAttrs['hwnas:fail_reason'] === 'worker-died'),
    'only the killed trial failed',
  );
  for (const t of keptKill)
    assert.deepEqual(
      { params: final[t.number]?.params, values: final[t.number]?.values },
      { params: t.params, values: t.values },
      `trial ${t.number} kept as it was`,
    );
  const best = final[j.trial] as Trial;
  assert.deepEqual(Object.fromEntries(j.layers.map((l) => [l.unit, l.chosen])), best.params, 'the final stage uses the reported trial');
  assert.ok(j.student.latencyMs <= j.budgetMs * (1 + 1e-9));
  assert.ok(
    complete.every((t) => (t.constraints?.[0] ?? 1) > 0 || (t.values?.[0] ?? 1) <= (best.values?.[0] ?? 0)),
    'the kept trial is the most accurate feasible one',
  );
  // 4. an uninterrupted run of the same study config (same seed, screening and strategy options), on a worker thread
  const ro = new SqliteStore(store, { readonly: true });
  const config = ro.getStudy(j.study)?.userAttrs.config as Record<string, unknown>;
  ro.close();
  writeFileSync(join(dir, 'whole.json'), JSON.stringify({ ...config, name: 'whole' }));
  const created = await runHwnas(dir, 'study', 'create', '--config', 'whole.json', '--store', store);
  assert.equal(created.code, 0, created.stderr);
  const whole = await runHwnas(dir, 'study', 'run', 'whole', '--store', store, '--threads', '1', '--json');
  assert.equal(whole.code, 0, whole.stderr);
  const ref = storedTrials(store, 'whole')?.trials ?? [];
  assert.deepEqual(
    ref.map((t) => t.state),
    new Array(n).fill('complete'),
  );
  assert.deepEqual(
    complete.map((t) => t.params),
    ref.map((t) => t.params),
    'the continued study proposed what an uninterrupted one does',
  );
  assert.deepEqual(
    complete.map((t) => t.values),
    ref.map((t) => t.values),
    'and measured the same accuracy and latency',
  );
  // 5. the study is reported like any other
  const rep = await runHwnas(dir, 'report', j.study, '--store', store, '--out', 'kill-report.html', '--json');
  assert.equal(rep.code, 0, rep.stderr);
  assert.equal((JSON.parse(rep.stdout) as { trials: number }).trials, final.length);
});

test('hwnas transform: Ctrl-C during the screening exits 130 with one line saying nothing is stored, and no study is created', async () => {
  const store = join(dir, 'screen-int', 'hwnas.sqlite');
  // a small data set: the teacher trains in a few seconds, and the signal comes as the screening starts
  const args = [
    ...transformArgs('latency=0.85x', '20', '32', { 'refine-steps': '0', 'finetune-epochs': '0', store }),
    ...flagList({ dataset: 'mnist;limit=train:300,val:100,test:100' }),
  ];
  const proc = spawnHwnas(dir, args, { timeoutMs: 600_000 });
  await proc.signalWhen('SIGINT', 'the screening to start', () => /^teacher: accuracy .* units\n/m.test(proc.stderr()), { timeoutMs: 600_000, intervalMs: 20 });
  const r = await proc.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(
    r.stderr,
    /\ninterrupted during the screening( \(distill \d+\/\d+\))?; nothing is stored \(the study is created once the screening is saved\): the same command starts it again\n$/,
  );
  assert.equal(storedTrials(store), undefined, 'no study in the store');
  // nor a screening folder of the study that was never created (no later run could use it; session 54)
  const folders = join(dir, 'screen-int', 'transform');
  assert.deepEqual(existsSync(folders) ? readdirSync(folders) : [], [], 'the unfinished screening folder is removed');
});
