/**
 * The blind record (bench/data/blind-record.csv): every figure stands in its blind section of BENCHMARKS.md, every
 * problem is registered in compare-optuna and named in its pre-registration, and the goal is counted as stated.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { type BlindRow, loadBlindRecord, parseBlindRecord, RECORD_METHODS, tally, verdict } from './blind-record.js';
import * as compare from './compare-optuna.js';

const HEADER =
  'problem,family,costs,objectives,set,session,section,optuna_mean,optuna_worst,tpe_mean,tpe_worst,nsga2_mean,nsga2_worst,random_mean,random_worst,ehvi_mean,ehvi_worst,ehvi_note,auto_mean,auto_worst';

/** The text of the BENCHMARKS.md section whose title ends with `(... <name>)`: up to the next section, or (`onwards`) to the end. */
function sectionText(benchmarks: string, name: string, onwards = false): string {
  const lines = benchmarks.split('\n');
  const start = lines.findIndex((l) => l.startsWith('## ') && l.trimEnd().endsWith(` ${name})`));
  assert.ok(start >= 0, `no BENCHMARKS.md section titled (... ${name})`);
  const end = onwards ? -1 : lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Whether `text` prints the pair as `mean | worst` or `mean / worst` (bold marks ignored). */
function printsPair(text: string, mean: number, worst: number): boolean {
  const plain = text.replaceAll('**', '');
  return [' | ', ' / '].some((sep) => plain.includes(`${mean.toFixed(4)}${sep}${worst.toFixed(4)}`));
}

test('every figure of the blind record stands in its blind section of BENCHMARKS.md', () => {
  const benchmarks = readFileSync(join(process.cwd(), 'BENCHMARKS.md'), 'utf8');
  const rows = loadBlindRecord();
  assert.ok(rows.length >= 63, `${rows.length} rows`);
  let checked = 0;
  for (const r of rows) {
    const sec = sectionText(benchmarks, r.section);
    assert.ok(sec.includes(`\`${r.problem}\``), `${r.problem}: not named in section ${r.section}`);
    const after = sectionText(benchmarks, r.section, true);
    const pairs: [string, { mean: number; worst: number }, boolean][] = [
      ['optuna', r.optuna, false],
      ...RECORD_METHODS.flatMap((m) => {
        const f = r.figures[m];
        return f ? [[m, f, m === 'auto' || (m === 'ehvi' && r.ehviNote === 'after-window')] as [string, { mean: number; worst: number }, boolean]] : [];
      }),
    ];
    for (const [m, f, later] of pairs) {
      // `auto` (the lead's run beside the blind section) and a figure re-run after its blind window stand in a later
      // section, not in the blind one.
      assert.ok(
        printsPair(later ? after : sec, f.mean, f.worst),
        `${r.problem}, ${m}: ${f.mean} / ${f.worst} not printed in section ${r.section}${later ? ' or after it' : ''}`,
      );
      checked++;
    }
  }
  assert.ok(checked > 4 * rows.length, `${checked} figures checked`);
});

test('every problem of the blind record is registered in compare-optuna and named in its pre-registration', () => {
  const registered = new Set(
    Object.entries(compare)
      .filter(([k, v]) => k.endsWith('_PROBLEMS') && typeof v === 'object' && v !== null)
      .flatMap(([, v]) => Object.keys(v as object)),
  );
  let prereg = 0;
  for (const r of loadBlindRecord()) {
    assert.ok(registered.has(r.problem), `${r.problem}: not registered in bench/compare-optuna.ts`);
    const file = join(process.cwd(), 'bench', 'data', `${r.section}-prereg.md`);
    if (!existsSync(file)) continue; // sessions 31-35 pre-registered in their BENCHMARKS.md sections
    assert.ok(readFileSync(file, 'utf8').includes(r.problem), `${r.problem}: not in ${file}`);
    prereg++;
  }
  assert.ok(prereg >= 40, `${prereg} problems checked against a pre-registration file`);
});

function row(optuna: [number, number], tpe?: [number, number], ehvi?: [number, number], ehviNote = ''): BlindRow {
  const cells = [
    'p',
    'F',
    'hwnas',
    '2',
    'full',
    '45',
    'tableX',
    ...optuna.map(String),
    ...(tpe ?? ['', '']).map(String),
    '',
    '',
    '',
    '',
    ...(ehvi ?? ['', '']).map(String),
    ehviNote,
    '',
    '',
  ];
  return parseBlindRecord(`${HEADER}\n${cells.join(',')}\n`)[0] as BlindRow;
}

test('the goal: strictly above Optuna on mean and worst, and the worst seed >= 0.97', () => {
  assert.deepEqual(verdict(row([0.95, 0.9], [0.98, 0.97]), 'tpe'), { beats: true, meanOk: true, worstOk: true, goal: true });
  // a tie with Optuna is not a win
  assert.equal(verdict(row([0.98, 0.9], [0.98, 0.97]), 'tpe')?.goal, false);
  assert.equal(verdict(row([0.975, 0.97], [0.98, 0.97]), 'tpe')?.beats, false);
  // beating Optuna is not enough
  assert.deepEqual(verdict(row([0.9, 0.8], [0.975, 0.9699]), 'tpe'), { beats: true, meanOk: true, worstOk: false, goal: false });
  // not run: no verdict, and counted as not met
  assert.equal(verdict(row([0.9, 0.8]), 'tpe'), undefined);
  const t = tally([row([0.9, 0.8]), row([0.9, 0.8], [0.99, 0.98])], 'tpe');
  assert.deepEqual(t, { problems: 2, run: 1, beats: 1, meanOk: 1, worstOk: 1, goal: 1 });
  // strict: a figure re-run after the blind window counts as not run
  const late = row([0.9, 0.8], undefined, [0.99, 0.98], 'after-window');
  assert.equal(verdict(late, 'ehvi')?.goal, true);
  assert.equal(verdict(late, 'ehvi', true), undefined);
});

test('a bad record is an error naming the value', () => {
  const bad = (line: string, pattern: RegExp): void =>
    assert.throws(
      () => parseBlindRecord(`${HEADER}\n${line}\n`),
      (e: Error) => e instanceof ConfigError && pattern.test(e.message),
    );
  bad('p,F,hwnas,2,full,45,t,0.95,0.9,0.98,x,,,,,,,,,', /tpe_worst 'x'/);
  bad('p,F,hwnas,2,full,45,t,0.95,0.9,0.98,1.5,,,,,,,,,', /tpe_worst '1.5'/);
  bad('p,F,hwnas,2,full,45,t,0.95,0.9,0.96,0.97,,,,,,,,,', /worst 0.97 above mean 0.96/);
  bad('p,F,hwnas,4,full,45,t,0.95,0.9,,,,,,,,,,,', /objectives '4'/);
  bad('p,F,lut,2,full,45,t,0.95,0.9,,,,,,,,,,,', /costs 'lut'/);
  bad('p,F,hwnas,2,full,45,t,,,0.95,0.9,,,,,,,,,', /no Optuna figures/);
  bad('p,F,hwnas,2,full,45,t,0.95,0.9,,,,,,,,,late,,', /ehvi_note 'late'/);
  bad('p,F,hwnas,2,full,45,t,0.95,0.9', /expected 20 cells/);
  assert.throws(
    () => parseBlindRecord(`${HEADER}\np,F,hwnas,2,full,45,t,0.95,0.9,,,,,,,,,,,\np,F,hwnas,2,full,45,t,0.95,0.9,,,,,,,,,,,\n`),
    /problem 'p' stands twice/,
  );
});
