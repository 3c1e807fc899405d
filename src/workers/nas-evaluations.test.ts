import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type CliRun, runHwnas } from '../cli/testing/run-cli.js';
import './builtin.js';
import { ConfigError } from '../errors.js';
import { NasTable, saveNasTable } from '../nas/tabular.js';
import { enumerateNb201, formatNb201, nb201Space } from '../search/spaces/nb201.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { Rng } from '../util/rng.js';
import { getEvaluation } from './registry.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A synthetic NB201 table for plumbing tests only (the real one is bench/nb201-fmnist.csv): accuracy
 * grows with convolutions, latency with their cost, so the front is non-trivial.
 */
function syntheticTable(path: string): void {
  const t = new NasTable(nb201Space(), ['accuracy', 'latency_ms']);
  for (const c of enumerateNb201()) {
    const a = formatNb201(c);
    const n3 = (a.match(/nor_conv_3x3/g) ?? []).length;
    const n1 = (a.match(/nor_conv_1x1/g) ?? []).length;
    const none = (a.match(/none/g) ?? []).length;
    const pool = (a.match(/avg_pool_3x3/g) ?? []).length;
    t.add(a, { accuracy: 0.5 + 0.06 * n3 + 0.04 * n1 - 0.05 * none + 0.01 * pool, latency_ms: 0.01 + 0.009 * n3 + 0.002 * n1 + 0.001 * pool });
  }
  saveNasTable(t, path);
}

const hwnas = (...args: string[]): Promise<CliRun> => runHwnas(dir, ...args);

test('nas-table: study create/run (in process and on worker threads), show, report --compare; bad column named', async () => {
  const table = join(dir, 'nb201.csv');
  syntheticTable(table);
  const store = join(dir, 's.sqlite');
  for (const [name, strategy, threads] of [
    ['nb-random', 'random', '0'],
    ['nb-nsga2', 'nsga2', '2'],
  ] as const) {
    const cfg = join(dir, `${name}.json`);
    writeFileSync(
      cfg,
      JSON.stringify({ name, evaluator: { name: 'nas-table', options: { table, objectives: 'accuracy:max,latency_ms:min' } }, strategy, nTrials: 40, seed: 1 }),
    );
    const c = await hwnas('study', 'create', '--config', cfg, '--store', store);
    assert.equal(c.code, 0, c.stderr);
    const r = await hwnas('study', 'run', name, '--store', store, '--threads', threads, '--json');
    assert.equal(r.code, 0, r.stderr);
  }
  const show = await hwnas('study', 'export', 'nb-nsga2', '--store', store, '--format', 'json');
  assert.equal(show.code, 0, show.stderr);
  const s = JSON.parse(show.stdout) as { trials?: { state: string; userAttrs?: { arch?: string } }[] };
  const trials = s.trials ?? [];
  assert.equal(trials.filter((t) => t.state === 'complete').length, 40);
  assert.ok(
    trials.every((t) => typeof t.userAttrs?.arch === 'string' && t.userAttrs.arch.startsWith('|')),
    'every trial records its NB201 arch string',
  );
  const out = join(dir, 'cmp.html');
  const rep = await hwnas('report', 'nb-nsga2', '--compare', 'nb-random', '--store', store, '--out', out, '--json');
  assert.equal(rep.code, 0, rep.stderr);
  assert.ok(existsSync(out));

  const bad = join(dir, 'bad.json');
  writeFileSync(
    bad,
    JSON.stringify({ name: 'nb-bad', evaluator: { name: 'nas-table', options: { table, objectives: 'accuracy:max,energy_mj:min' } }, nTrials: 5 }),
  );
  // the bad column is found when the study is created (its evaluator is built once to check the options), not later
  const b = await hwnas('study', 'create', '--config', bad, '--store', store);
  assert.equal(b.code, 2, b.stderr);
  assert.match(b.stderr, /energy_mj/);
  assert.ok(!b.stderr.includes('    at '), b.stderr);
  const shown = await hwnas('study', 'show', 'nb-bad', '--store', store);
  assert.equal(shown.code, 2, `no study was created; stderr:\n${shown.stderr}`);
});

test('nas-train: one real short training of an mbv2 point, costed on the target; bad options named', async () => {
  const e = getEvaluation('nas-train');
  assert.throws(() => e.create({ space: 'mbv2' }), /dataset/);
  assert.throws(() => e.objectives({ dataset: 'fashion-mnist', objectives: 'accuracy:sideways' }), /accuracy:sideways/);
  const space = getArchSpace('mbv2');
  assert.deepEqual(e.defaultSpace?.({ dataset: 'fashion-mnist' }).toJSON(), space.space.toJSON());
  const ev = e.create({ dataset: 'fashion-mnist', limit: 256, objectives: 'accuracy:max,latency_ms:min,params:min' });
  const params = space.space.sample(new Rng(3));
  const r = await ev(params, { studyName: 't', trialNumber: 0, seed: 1, signal: new AbortController().signal, setUserAttr: () => {} });
  const [acc, lat, nParams] = r.values as number[];
  assert.ok((acc as number) >= 0 && (acc as number) <= 1, `accuracy ${acc}`);
  assert.ok((lat as number) > 0 && (nParams as number) > 1000);
  assert.equal(r.userAttrs?.arch, space.format(space.fromParams(params)));
});

test('nas-supernet / nas-blockwise / nas-train options: checked when the evaluator is created, bad values named', () => {
  const sn = getEvaluation('nas-supernet');
  assert.throws(() => sn.create({ space: 'nb201', dataset: 'fashion-mnist' }), /nas-supernet.*'nb201'.*mbv2-style/);
  assert.throws(() => sn.create({ dataset: 'fashion-mnist', steps: 0 }), /steps = 0/);
  assert.deepEqual(sn.defaultSpace?.({ dataset: 'fashion-mnist', space: 'mbv2-micro' }).toJSON(), getArchSpace('mbv2-micro').space.toJSON());
  const bw = getEvaluation('nas-blockwise');
  assert.throws(() => bw.create({ dataset: 'fashion-mnist' }), /artifact/);
  assert.throws(() => bw.create({ dataset: 'fashion-mnist', artifact: 'x', latency: 'network' }), /'latency'/);
  assert.throws(() => getEvaluation('nas-train').create({ dataset: 'fashion-mnist', latency: 'wallclock' }), /latency = "wallclock"/);
  assert.throws(() => getEvaluation('nas-table').create({ table: 'x.csv', delayMs: -1 }), /delayMs = -1/);
});

test('nas-table with tableSha256 (as study run passes it to threads and Redis workers): a table of other content is refused naming the file and both hashes', async () => {
  const { createHash } = await import('node:crypto');
  const { readFileSync } = await import('node:fs');
  const table = join(dir, 'hashed.csv');
  syntheticTable(table);
  const sha = createHash('sha256').update(readFileSync(table)).digest('hex');
  const e = getEvaluation('nas-table');
  const params = nb201Space().space.sample(new Rng(1));
  const ctx = { studyName: 't', trialNumber: 0, seed: 1, signal: new AbortController().signal, setUserAttr: () => {} };
  const r = await e.create({ table, tableSha256: sha })(params, ctx);
  assert.equal(r.values.length, 2);
  const other = 'f'.repeat(64);
  for (const f of [() => e.create({ table, tableSha256: other }), () => e.cheapObjectives?.({ table, tableSha256: other })])
    assert.throws(
      f,
      (err: unknown) =>
        err instanceof ConfigError && err.message.includes(`table ${table} changed since the study was stored (sha256 stored ${other}, now ${sha})`),
    );
  assert.throws(() => e.create({ table, tableSha256: 'abc' }), /tableSha256.*64 lowercase hex/);
});

test('nas-table hashes every read (review 51): a table replaced by one of the same size and modification time is refused with tableSha256, and read anew without', async () => {
  const { createHash } = await import('node:crypto');
  const { readFileSync, statSync, utimesSync } = await import('node:fs');
  const table = join(dir, 'same-size.csv');
  syntheticTable(table);
  const when = new Date('2026-12-01T00:00:00Z'); // whole seconds: the replaced file gets exactly the same mtime back
  utimesSync(table, when, when);
  const text = readFileSync(table, 'utf8');
  const sha = createHash('sha256').update(text).digest('hex');
  const e = getEvaluation('nas-table');
  const space = nb201Space();
  const ctx = { studyName: 't', trialNumber: 0, seed: 1, signal: new AbortController().signal, setUserAttr: () => {} };
  const [arch, acc] = (text.split('\n')[1] as string).split(',') as [string, string];
  const params = space.toParams(space.parse(arch));
  const objectives = 'accuracy:max,latency_ms:min';
  e.cheapObjectives?.({ table, tableSha256: sha, objectives });
  assert.equal((await e.create({ table, tableSha256: sha, objectives })(params, ctx)).values[0], Number(acc));
  // one digit of that row's accuracy changed: same size, same modification time, other content
  const acc2 = `${acc.slice(0, -1)}${(Number(acc.at(-1)) + 1) % 10}`;
  const before = statSync(table);
  writeFileSync(table, text.replace(`${arch},${acc},`, `${arch},${acc2},`));
  utimesSync(table, when, when);
  const now = statSync(table);
  assert.deepEqual([now.size, now.mtimeMs], [before.size, before.mtimeMs]);
  const sha2 = createHash('sha256').update(readFileSync(table)).digest('hex');
  for (const f of [() => e.cheapObjectives?.({ table, tableSha256: sha, objectives }), () => e.create({ table, tableSha256: sha, objectives })])
    assert.throws(f, (err: unknown) => err instanceof ConfigError && err.message.includes(`(sha256 stored ${sha}, now ${sha2})`));
  assert.equal((await e.create({ table, objectives })(params, ctx)).values[0], Number(acc2));
  assert.equal((await e.create({ table, tableSha256: sha2, objectives })(params, ctx)).values[0], Number(acc2));
});

test('nas-train with a pruner: per-epoch validation accuracy reaches it, a pruned trial stops training and is stored pruned with its values', async () => {
  const store = join(dir, 'prune.sqlite');
  const cfg = join(dir, 'nt-prune.json');
  // successive halving keeping only the best trial at each rung (reductionFactor 100): every trial that is not
  // the best so far at step 1 (one epoch) is stopped there
  writeFileSync(
    cfg,
    JSON.stringify({
      name: 'nt-prune',
      evaluator: { name: 'nas-train', options: { space: 'mbv2-micro', dataset: 'mnist', limit: 1000, epochs: 3, objectives: 'accuracy:max,latency_ms:min' } },
      strategy: 'random',
      nTrials: 4,
      seed: 1,
      pruner: { name: 'successive-halving', options: { minResource: 1, reductionFactor: 100 } },
    }),
  );
  const c = await hwnas('study', 'create', '--config', cfg, '--store', store);
  assert.equal(c.code, 0, c.stderr);
  // one worker thread: trials run one after another (deterministic decisions), and each report is a message
  // round trip to the study's pruner (ctx.report returns a promise there)
  const r = await hwnas('study', 'run', 'nt-prune', '--store', store, '--threads', '1', '--json');
  assert.equal(r.code, 0, r.stderr);
  const ex = await hwnas('study', 'export', 'nt-prune', '--store', store, '--format', 'json');
  assert.equal(ex.code, 0, ex.stderr);
  type T = { number: number; state: string; values?: number[]; userAttrs: Record<string, unknown> };
  const trials = ((JSON.parse(ex.stdout) as { trials?: T[] }).trials ?? []).sort((a, b) => a.number - b.number);
  assert.equal(trials.length, 4);
  const curve = (t: T) => t.userAttrs['hwnas:intermediate'] as Record<string, number>;
  const pruned = trials.filter((t) => t.state === 'pruned');
  assert.ok(pruned.length >= 1, `some trial is pruned: ${JSON.stringify(trials.map((t) => [t.state, curve(t)]))}`);
  assert.equal(trials[0]?.state, 'complete', 'the first trial has nobody to lose to');
  for (const t of trials) {
    const v = curve(t);
    const acc = t.values?.[0] as number;
    if (t.state === 'pruned') {
      assert.deepEqual(Object.keys(v), ['1'], `trial ${t.number} stopped after its first epoch`);
      assert.equal(t.userAttrs['hwnas:pruned_at_step'], 1);
      assert.equal(t.userAttrs.epochs_trained, 1);
      assert.equal(acc, v['1'], 'its stored accuracy is the validation accuracy the pruner saw');
      assert.ok((t.values?.[1] as number) > 0, 'its latency is stored too');
      // the pruner's rule: an earlier trial was better at step 1
      const earlier = trials.filter((o) => o.number < t.number).map((o) => curve(o)['1'] as number);
      assert.ok(Math.max(...earlier) > (v['1'] as number), `trial ${t.number}: ${v['1']} vs earlier ${earlier}`);
    } else {
      assert.equal(t.state, 'complete');
      assert.deepEqual(Object.keys(v), ['1', '2', '3'], `trial ${t.number} reported each of its 3 epochs`);
      assert.equal(t.userAttrs.epochs_trained, 3);
      assert.equal(acc, v['3'], 'its final accuracy is the last epoch validation');
      assert.ok(acc >= 0 && acc <= 1);
    }
  }
});
