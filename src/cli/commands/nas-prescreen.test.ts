/**
 * `hwnas nas --cost-aware / --predictor / --no-predictor` end to end with the real CLI: the stored strategy
 * is the 'prescreen' wrapper with the settings the flags name (the GP implied by --cost-aware), the screen
 * changes which architectures are evaluated, a training evaluator gives its cost model as cheap objectives,
 * and flag combinations that cannot work exit 2 naming the flag.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore } from '../../store/sqlite-store.js';
import { HWNAS_BIN, runHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-prescreen-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const TABLE = resolve(HWNAS_BIN, '../../bench/nb201-fmnist.csv');
const BASE = ['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'nsga2', '--budget', '30', '--seed', '4', '--json'];

interface NasJson {
  readonly study: string;
  readonly trials: { arch: string; values: Record<string, number> }[];
}

/** The stored study config's strategy ({name, options}). */
function storedStrategy(path: string, study: string): { name: string; options?: Record<string, unknown> } {
  const s = new SqliteStore(path, { readonly: true });
  try {
    const cfg = s.getStudy(study)?.userAttrs.config as { strategy: { name: string; options?: Record<string, unknown> } } | undefined;
    assert.ok(cfg, `study ${study} has a stored config`);
    return cfg.strategy;
  } finally {
    s.close();
  }
}

test('hwnas nas --table: --cost-aware stores prescreen with the GP, --no-predictor skipping only, --predictor the GP alone; the screen changes the trials', async () => {
  const work = mkdtempSync(join(dir, 'table-'));
  const run = async (...extra: string[]): Promise<NasJson> => {
    const r = await runHwnas(work, ...BASE, '--store', 's.sqlite', ...extra);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as NasJson;
    assert.equal(j.trials.length, 30);
    return j;
  };
  const plain = await run();
  assert.notEqual(storedStrategy(join(work, 's.sqlite'), plain.study).name, 'prescreen');
  const ca = await run('--cost-aware');
  const s1 = storedStrategy(join(work, 's.sqlite'), ca.study);
  assert.equal(s1.name, 'prescreen');
  assert.equal(s1.options?.costAware, true);
  assert.equal(s1.options?.surrogate, 'gp', '--cost-aware implies the GP predictor');
  const skip = await run('--cost-aware', '--no-predictor');
  const s2 = storedStrategy(join(work, 's.sqlite'), skip.study);
  assert.equal(s2.options?.costAware, true);
  assert.equal(s2.options?.surrogate, 'none');
  const pred = await run('--predictor');
  const s3 = storedStrategy(join(work, 's.sqlite'), pred.study);
  assert.equal(s3.name, 'prescreen');
  assert.equal(s3.options?.costAware, undefined);
  assert.equal(s3.options?.surrogate, 'gp');
  assert.equal(new Set([plain.study, ca.study, skip.study, pred.study]).size, 4, 'different settings, different studies');
  // past NSGA-II's first (random) generation the screened runs evaluate other architectures than the plain one
  const archs = (j: NasJson): string => j.trials.map((t) => t.arch).join(' ');
  assert.notEqual(archs(ca), archs(plain));
  assert.notEqual(archs(pred), archs(plain));
  // the same command continues (here: finds complete) its study, the stored strategy included
  const again = await run('--cost-aware');
  assert.equal(again.study, ca.study);
  assert.deepEqual(again.trials, ca.trials);
});

test('hwnas nas --cost-aware --acquisition ehvi --ehvi-share 0.5: stored as the prescreen options; the study runs', async () => {
  const work = mkdtempSync(join(dir, 'ehvi-'));
  const r = await runHwnas(work, ...BASE, '--store', 's.sqlite', '--cost-aware', '--acquisition', 'ehvi', '--ehvi-share', '0.5');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as NasJson;
  assert.equal(j.trials.length, 30);
  const s = storedStrategy(join(work, 's.sqlite'), j.study);
  assert.equal(s.name, 'prescreen');
  assert.equal(s.options?.acquisition, 'ehvi');
  assert.equal(s.options?.ehviShare, 0.5);
  assert.equal(s.options?.costAware, true);
});

test('hwnas nas --predictor-encoding path: stored as the prescreen encoding, the GP on paths picks other cells than on one-hots', async () => {
  const work = mkdtempSync(join(dir, 'enc-'));
  const run = async (...extra: string[]): Promise<NasJson> => {
    const r = await runHwnas(work, ...BASE, '--store', 's.sqlite', ...extra);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as NasJson;
  };
  const onehot = await run('--predictor');
  const explicit = await run('--predictor', '--predictor-encoding', 'onehot');
  assert.equal(explicit.study, onehot.study, "'onehot' is the default: the same study as without the flag");
  assert.equal(storedStrategy(join(work, 's.sqlite'), onehot.study).options?.encoding, undefined);
  const path = await run('--predictor', '--predictor-encoding', 'path');
  assert.notEqual(path.study, onehot.study);
  const s = storedStrategy(join(work, 's.sqlite'), path.study);
  assert.equal(s.name, 'prescreen');
  assert.equal(s.options?.encoding, 'path');
  assert.equal(s.options?.surrogate, 'gp');
  const ca = await run('--cost-aware', '--predictor-encoding', 'path');
  const s2 = storedStrategy(join(work, 's.sqlite'), ca.study);
  assert.equal(s2.options?.costAware, true);
  assert.equal(s2.options?.encoding, 'path');
  // the first trials are the inner strategy's (the GP waits for its start-up trials); past them the encodings differ
  const archs = (j: NasJson): string[] => j.trials.map((t) => t.arch);
  assert.deepEqual(archs(path).slice(0, 20), archs(onehot).slice(0, 20), 'the 20 start-up trials do not use the GP');
  assert.notDeepEqual(archs(path).slice(20), archs(onehot).slice(20));
  assert.equal(path.trials.length, 30);
});

test('hwnas nas --cost-aware with the train evaluator: the target cost model is the cheap objective; trials report the same latency', async () => {
  const work = mkdtempSync(join(dir, 'train-'));
  const r = await runHwnas(
    work,
    'nas',
    '--space',
    'mbv2-micro',
    '--dataset',
    'fashion-mnist',
    '--limit',
    '64',
    '--epochs',
    '1',
    '--strategy',
    'random',
    '--budget',
    '3',
    '--seed',
    '1',
    '--objectives',
    'accuracy:max,latency_ms:min,size_kb:min',
    '--cost-aware',
    '--store',
    's.sqlite',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as NasJson;
  assert.equal(j.trials.length, 3);
  for (const t of j.trials) assert.ok((t.values.latency_ms ?? 0) > 0 && (t.values.size_kb ?? 0) > 0 && (t.values.accuracy ?? -1) >= 0, JSON.stringify(t));
  const s = storedStrategy(join(work, 's.sqlite'), j.study);
  assert.equal(s.name, 'prescreen');
  assert.equal(s.options?.costAware, true);
});

test('hwnas nas: --cost-aware / --predictor / --no-predictor / --predictor-encoding misuse exits 2 naming the flag, no stack trace', async () => {
  const work = mkdtempSync(join(dir, 'bad-'));
  const cases: [string[], RegExp][] = [
    [['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'two-stage', '--budget', '10', '--cost-aware'], /--cost-aware .*'two-stage' is not one/],
    [['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'nsga2', '--budget', '10', '--no-predictor'], /--no-predictor applies to --cost-aware only/],
    [
      ['nas', '--space', 'mbv2-micro', '--dataset', 'fashion-mnist', '--evaluator', 'supernet', '--strategy', 'nsga2', '--budget', '10', '--cost-aware'],
      /--cost-aware needs --table .* or --evaluator train .*not --evaluator supernet/,
    ],
    [
      ['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'nsga2', '--budget', '10', '--predictor-encoding', 'path'],
      /--predictor-encoding path: .*needs --predictor or --cost-aware/,
    ],
    [
      ['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'nsga2', '--budget', '10', '--cost-aware', '--no-predictor', '--predictor-encoding', 'path'],
      /--predictor-encoding path: .*not --no-predictor/,
    ],
    [
      ['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'nsga2', '--budget', '10', '--predictor', '--predictor-encoding', 'adjacency'],
      /--predictor-encoding 'adjacency': expected onehot or path/,
    ],
    [
      ['nas', '--space', 'mbv2-micro', '--dataset', 'fashion-mnist', '--strategy', 'nsga2', '--budget', '10', '--predictor', '--predictor-encoding', 'path'],
      /the path encoding is defined for NB201 cells \(--space nb201\), not --space mbv2-micro/,
    ],
    [
      ['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'tpe', '--budget', '10', '--cost-aware', '--acquisition', 'ei'],
      /--acquisition 'ei': expected optimistic or ehvi/,
    ],
    [['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'tpe', '--budget', '10', '--acquisition', 'ehvi'], /--acquisition ehvi: .*needs --cost-aware/],
    [
      ['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'tpe', '--budget', '10', '--cost-aware', '--ehvi-share', '0.5'],
      /--ehvi-share 0.5: applies to --acquisition ehvi only/,
    ],
    [
      ['nas', '--space', 'nb201', '--table', TABLE, '--strategy', 'tpe', '--budget', '10', '--cost-aware', '--acquisition', 'ehvi', '--ehvi-share', '1.5'],
      /--ehvi-share '1.5': expected a number in \(0, 1\]/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await runHwnas(work, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
  }
});
