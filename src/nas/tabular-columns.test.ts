/** Column mappings of NAS tables (`hwnas nas --table-columns`): parsing, reading CSV and JSON through one, errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../errors.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { formatTableColumns, parseNasTable, parseTableColumns, resolveTableColumns } from './tabular.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-table-columns-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const macro = getArchSpace('nas-bench-macro');
const CSV = ['# a comment', 'arch,class,acc_mean,a76_ms,mj', '00000000,00000000,69.3,1.5,0.25', '01000000,01000000,80.5,2.5,0.5', ''].join('\n');

test('parseTableColumns: metric=column, a bare column, % for percentages; it spells back what it read', () => {
  const c = parseTableColumns(' accuracy = acc_mean% , latency_ms=a76_ms,mj ');
  assert.deepEqual(c, [
    { metric: 'accuracy', column: 'acc_mean', percent: true },
    { metric: 'latency_ms', column: 'a76_ms', percent: false },
    { metric: 'mj', column: 'mj', percent: false },
  ]);
  assert.equal(formatTableColumns(c), 'accuracy=acc_mean%,latency_ms=a76_ms,mj=mj');
  assert.deepEqual(parseTableColumns(formatTableColumns(c)), c);
});

test('parseTableColumns: bad entries are ConfigErrors naming the entry', () => {
  const bad: [string, RegExp][] = [
    ['accuracy=acc_mean%,', /bad entry ''/],
    ['=x', /bad entry '=x'/],
    ['a=b=c', /bad entry 'a=b=c'/],
    ['accuracy=', /bad entry 'accuracy='/],
    ['accuracy=a b', /bad entry 'accuracy=a b'/],
    ['accuracy=x,accuracy=y', /metric 'accuracy' is given twice/],
    ['arch=x', /'arch' column/],
  ];
  for (const [spec, re] of bad)
    assert.throws(
      () => parseTableColumns(spec),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      spec,
    );
});

test('parseNasTable with a mapping: only the mapped columns, percentages as fractions; the same from JSON', () => {
  const cols = parseTableColumns('accuracy=acc_mean%,latency_ms=a76_ms');
  const t = parseNasTable(CSV, 't.csv', macro, cols);
  assert.deepEqual(t.metrics, ['accuracy', 'latency_ms']);
  assert.deepEqual(t.archs(), ['00000000', '01000000']);
  assert.deepEqual(t.values('01000000', ['accuracy', 'latency_ms']), [0.805, 2.5]);
  const json = JSON.stringify([
    { arch: '00000000', acc_mean: 69.3, a76_ms: 1.5 },
    { arch: '01000000', acc_mean: 80.5, a76_ms: 2.5 },
  ]);
  const j = parseNasTable(json, 't.json', macro, cols);
  assert.deepEqual(j.values('00000000', ['accuracy', 'latency_ms']), t.values('00000000', ['accuracy', 'latency_ms']));
  // without a mapping the plain format reads every column as a metric
  assert.deepEqual(parseNasTable(CSV, 't.csv', macro).metrics, ['class', 'acc_mean', 'a76_ms', 'mj']);
});

test('parseNasTable with a mapping: a missing column, a non-number and a percentage outside [0, 100] are ConfigErrors', () => {
  const read =
    (spec: string, text = CSV) =>
    () =>
      parseNasTable(text, 't.csv', macro, parseTableColumns(spec));
  assert.throws(read('accuracy=acc%'), /no column 'acc' for metric 'accuracy'.*\(columns: class, acc_mean, a76_ms, mj\)/);
  assert.throws(
    read('accuracy=a76_ms%', CSV.replace('2.5,0.5', '250,0.5')),
    /line 4: column 'a76_ms' \(metric 'accuracy', read as a percentage\) is 250, expected a percentage in \[0, 100\]/,
  );
  assert.throws(read('latency_ms=mj', CSV.replace('0.25', 'n/a')), /line 3: column 'mj' \(metric 'latency_ms'\) is "n\/a", expected a finite number/);
  assert.throws(() => parseNasTable(CSV, 't.csv', macro, []), /column mapping is empty/);
});

test("resolveTableColumns: the flag wins; the space's default applies only to a CSV with its columns", () => {
  const path = join(dir, 'macro.csv');
  writeFileSync(path, CSV);
  const dflt = 'accuracy=acc_mean%,latency_ms=a76_ms';
  assert.deepEqual(resolveTableColumns(path, 'latency_ms=mj', dflt), [{ metric: 'latency_ms', column: 'mj', percent: false }]);
  assert.deepEqual(resolveTableColumns(path, undefined, dflt), parseTableColumns(dflt));
  assert.equal(resolveTableColumns(path, undefined, 'accuracy=acc_mean%,latency_ms=eyeriss_ms'), undefined, 'a column the CSV lacks: plain format');
  assert.equal(resolveTableColumns(path, undefined, undefined), undefined);
  assert.throws(() => resolveTableColumns(path, 'x=', dflt), /--table-columns 'x='/);
});
