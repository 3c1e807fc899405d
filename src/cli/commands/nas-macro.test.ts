/**
 * `hwnas nas --space nas-bench-macro --table bench/data/nas-bench-macro-c10.csv` end to end with the real CLI on the
 * committed table: the default column mapping, --table-columns, and its errors (exit 2, no stack trace).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { macroRealArch } from '../../search/spaces/macro.js';
import { flagList, testDir } from '../testing/fixtures.js';
import { HWNAS_BIN, runHwnas } from '../testing/run-cli.js';

const dir = testDir('hwnas-nas-macro-cli-');
const TABLE = resolve(HWNAS_BIN, '../../bench/data/nas-bench-macro-c10.csv');

/** `nas --space nas-bench-macro --table <the committed CSV>` with `flags`, JSON out. */
const macroNas = (flags: Readonly<Record<string, string>>): string[] => ['nas', ...flagList({ space: 'nas-bench-macro', table: TABLE, ...flags }), '--json'];

/** The CSV's rows by architecture, read here independently of src/nas/tabular.ts (no quoted fields in this file). */
function csvRows(): Map<string, Record<string, string>> {
  const lines = readFileSync(TABLE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = (lines[0] as string).split(',');
  return new Map(
    lines.slice(1).map((l) => {
      const c = l.split(',');
      return [c[0] as string, Object.fromEntries(header.map((h, i) => [h, c[i] as string]))];
    }),
  );
}

interface Out {
  readonly space: string;
  readonly trials: { arch: string; values: Record<string, number> }[];
  readonly pareto: { arch: string; values: Record<string, number> }[];
  readonly hypervolumeRatio: number;
}

/** Whether `a` dominates `b` (accuracy maximised, every other objective minimised). */
const dominates = (a: Record<string, number>, b: Record<string, number>): boolean => {
  const better = (k: string, x: number, y: number) => (k === 'accuracy' ? x >= y : x <= y);
  const keys = Object.keys(a);
  return keys.every((k) => better(k, a[k] as number, b[k] as number)) && keys.some((k) => a[k] !== b[k]);
};

/** Checks values against the CSV, one trial per class, and that `pareto` is exactly the trials no other trial dominates. */
function checkRun(o: Out, budget: number, columns: Record<string, (r: Record<string, string>) => number>): void {
  const rows = csvRows();
  assert.equal(o.space, 'nas-bench-macro');
  assert.equal(o.trials.length, budget);
  for (const t of o.trials) {
    const r = rows.get(t.arch);
    assert.ok(r, `trial arch ${t.arch} is a row of the table`);
    assert.deepEqual(Object.keys(t.values).sort(), Object.keys(columns).sort());
    for (const [m, f] of Object.entries(columns)) assert.equal(t.values[m], f(r), `${m} of ${t.arch}`);
  }
  // the repeat filter: no two trials compute the same network (same class)
  assert.equal(new Set(o.trials.map((t) => macroRealArch(t.arch))).size, budget);
  const undominated = o.trials.filter((t) => !o.trials.some((u) => dominates(u.values, t.values))).map((t) => t.arch);
  assert.deepEqual(o.pareto.map((t) => t.arch).sort(), [...new Set(undominated)].sort());
  assert.ok(o.hypervolumeRatio > 0 && o.hypervolumeRatio <= 1, `hypervolumeRatio ${o.hypervolumeRatio}`);
}

test('hwnas nas --space nas-bench-macro --table <the committed CSV>: the default columns (acc_mean as a fraction, a76_fp32_ms); the front is the undominated trials', async () => {
  const r = await runHwnas(dir, ...macroNas({ strategy: 'tpe', budget: '40', seed: '1', store: 'a.sqlite' }));
  assert.equal(r.code, 0, r.stderr);
  checkRun(JSON.parse(r.stdout) as Out, 40, {
    accuracy: (row) => Number(row.acc_mean) / 100,
    latency_ms: (row) => Number(row.a76_fp32_ms),
  });
});

test('hwnas nas --space nas-bench-macro --table-columns: three objectives on the systolic target, two-stage', async () => {
  const r = await runHwnas(
    dir,
    ...macroNas({
      'table-columns': 'accuracy=acc_mean%,latency_ms=eyeriss_ms,energy_mj=eyeriss_mj',
      objectives: 'accuracy:max,latency_ms:min,energy_mj:min',
      strategy: 'two-stage',
      budget: '30',
      seed: '2',
      store: 'b.sqlite',
    }),
  );
  assert.equal(r.code, 0, r.stderr);
  checkRun(JSON.parse(r.stdout) as Out, 30, {
    accuracy: (row) => Number(row.acc_mean) / 100,
    latency_ms: (row) => Number(row.eyeriss_ms),
    energy_mj: (row) => Number(row.eyeriss_mj),
  });
});

test('hwnas nas --table-columns: a missing column, a bad entry, a percentage out of range, no --table: exit 2 naming the value', async () => {
  const base = ['nas', '--space', 'nas-bench-macro', '--strategy', 'random', '--budget', '5', '--store', 'c.sqlite'];
  const cases: [string[], RegExp][] = [
    [['--table', TABLE, '--table-columns', 'accuracy=acc_mean%,latency_ms=tpu_ms'], /no column 'tpu_ms' for metric 'latency_ms'.*columns: .*edgetpu_int8_ms/],
    [['--table', TABLE, '--table-columns', 'accuracy=acc_mean%,latency_ms'], /no column 'latency_ms' for metric 'latency_ms'/],
    [['--table', TABLE, '--table-columns', 'accuracy=acc_mean%;latency_ms=eyeriss_ms'], /bad entry 'accuracy=acc_mean%;latency_ms=eyeriss_ms'/],
    [
      ['--table', TABLE, '--table-columns', 'accuracy=flops%,latency_ms=eyeriss_ms'],
      /column 'flops' \(metric 'accuracy', read as a percentage\) is \d+, expected a percentage in \[0, 100\]/,
    ],
    [['--table', TABLE, '--table-columns', 'accuracy=acc_mean%,edge=edgetpu_int8_ms'], /no metric column 'latency_ms' \(columns: accuracy, edge\)/],
    [['--dataset', 'mnist', '--table-columns', 'accuracy=acc_mean%'], /--table-columns accuracy=acc_mean% applies to --table only/],
  ];
  for (const [args, re] of cases) {
    const r = await runHwnas(dir, ...base, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
  }
});
