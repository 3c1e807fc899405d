import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseObjectives } from '../src/nas/objectives.js';
import { computationClassKey, tabularEvaluator } from '../src/nas/tabular.js';
import { benchCompareOptuna, NBG_PROBLEMS, nbgFile, OPTUNA_SCRIPT, pythonWithOptuna } from './compare-optuna.js';
import {
  enumerateNbg,
  loadNbgTable,
  NBG_LINKS,
  NBG_OPS,
  NBG_POINTS,
  nasBenchGraphSpace,
  nbgClassKey,
  nbgNoComputation,
  nbgObjectives,
} from './nas-bench-graph.js';

const TEXT = readFileSync(nbgFile(), 'utf8');
const HEADER = TEXT.split('\n').filter((l) => l.startsWith('#'));
const COLS = (TEXT.split('\n').find((l) => l.startsWith('arch,')) as string).split(',');
const ROWS = TEXT.split('\n').filter((l) => /^\d{4}-/.test(l));
const ARXIV = NBG_PROBLEMS['nbg-arxiv-latency'];
const PUBMED = NBG_PROBLEMS['nbg-pubmed-latency-params'];

/** The point a benchmark hash encodes: base 10, the link pattern's index, then the 4 operations' indices. */
function decodeHash(h: number): string {
  const ops: string[] = [];
  for (let i = 0; i < 4; i++) {
    ops.unshift(NBG_OPS[h % 10] as string);
    h = Math.floor(h / 10);
  }
  return [NBG_LINKS[h] as string, ...ops].join('-');
}

test('classes: leaves on one node in any order, skips contracted, a leaf carrying the raw input dropped; order along a chain matters', () => {
  assert.equal(nbgClassKey('0000-gcn-gat-fc-fc'), nbgClassKey('0000-fc-gcn-fc-gat'));
  // node 1 a skip of the input, node 4 an fc on node 1 = three operations on the input; the same as three leaves on the
  // input plus a skip leaf (the raw input adds nothing to the output)
  assert.equal(nbgClassKey('0001-skip-gcn-gat-fc'), nbgClassKey('0000-gat-gcn-fc-skip'));
  assert.notEqual(nbgClassKey('0123-gcn-gat-fc-sage'), nbgClassKey('0123-gat-gcn-fc-sage'));
  // a skip leaf on a computing node does output that node: not the same as without it
  assert.notEqual(nbgClassKey('0012-gcn-gat-skip-fc'), nbgClassKey('0000-gcn-gat-fc-fc'));
  assert.equal(enumerateNbg().length, NBG_POINTS);
  assert.equal(NBG_POINTS, 59049);
  assert.deepEqual(enumerateNbg().filter(nbgNoComputation).length, 9);
});

test("the CSV: every point once; its hash decodes to a point of the same class; the classes here are the benchmark's hashes, 26,206", () => {
  assert.equal(ROWS.length, NBG_POINTS);
  assert.ok(HEADER.some((l) => /THUMNLab\/NAS-Bench-Graph commit be42534b/.test(l)));
  assert.equal(HEADER.join('\n').match(/\.bench sha256 [0-9a-f]{64}/g)?.length, 3);
  const hashOf = new Map<string, string>();
  for (const line of ROWS) {
    const [arch, h] = line.split(',') as [string, string];
    assert.ok(!hashOf.has(arch), arch);
    hashOf.set(arch, h);
    if (nbgNoComputation(arch)) assert.equal(h, '', arch);
    else assert.equal(nbgClassKey(decodeHash(Number(h))), nbgClassKey(arch), `${arch} hash ${h}`);
  }
  // one hash per class and one class per hash, over all points
  const k2h = new Map<string, string>();
  const h2k = new Map<string, string>();
  for (const [arch, h] of hashOf) {
    const k = nbgClassKey(arch);
    assert.equal(k2h.get(k) ?? h, h, arch);
    assert.equal(h2k.get(h) ?? k, k, arch);
    k2h.set(k, h);
    h2k.set(h, k);
  }
  assert.equal(new Set([...hashOf.values()].filter((h) => h !== '')).size, 26206);
});

test("the loader: 59,040 rows (no row for the 9 all-skip points), the stored figures, classKey = the benchmark's hash", () => {
  const t = loadNbgTable(nbgFile(), ARXIV);
  assert.equal(t.size, NBG_POINTS - 9);
  assert.deepEqual(t.metrics, ['accuracy', 'latency_ms']);
  const row = (ROWS.find((l) => l.startsWith('0000-gat-gat-gat-gat,')) as string).split(',');
  assert.deepEqual(t.values('0000-gat-gat-gat-gat', ['accuracy', 'latency_ms']), [
    Number(row[COLS.indexOf('arxiv_perf')]),
    Number(row[COLS.indexOf('arxiv_latency_ms')]),
  ]);
  assert.ok(!t.has('0123-skip-skip-skip-skip'));
  const key = computationClassKey(t.space);
  assert.equal(key(t.space.toParams(t.space.parse('0000-gat-gat-gat-gat'))), `hash ${row[1]}`);
  assert.equal(key(t.space.toParams(t.space.parse('0001-skip-gcn-gat-fc'))), key(t.space.toParams(t.space.parse('0000-gat-gcn-fc-skip'))));
  // the all-skip points: one key, and a query of one is an error (a failed trial), never a number
  assert.equal(key(t.space.toParams(t.space.parse('0000-skip-skip-skip-skip'))), 'hash none');
  const ev = tabularEvaluator(t, parseObjectives(nbgObjectives(ARXIV)));
  // (the table evaluator reads no evaluation context)
  return assert.rejects(
    ev(t.space.toParams(t.space.parse('0012-skip-skip-skip-skip')), {} as Parameters<typeof ev>[1]),
    /'0012-skip-skip-skip-skip' is not in the table/,
  );
});

test('the loader: params as a third objective; bad rows refused naming the value and what was expected', () => {
  const p = loadNbgTable(nbgFile(), PUBMED);
  assert.deepEqual(p.metrics, ['accuracy', 'latency_ms', 'params_m']);
  const lines = TEXT.split('\n');
  const at = lines.findIndex((l) => l.startsWith('0123-fc-fc-fc-fc,'));
  const edit = (f: (cells: string[]) => string[] | null, i0 = at): string =>
    lines
      .flatMap((l, i) => {
        if (i !== i0) return [l];
        const r = f(l.split(','));
        return r ? [r.join(',')] : [];
      })
      .join('\n');
  const load = (text: string) => () => loadNbgTable('t.csv', PUBMED, text);
  const col = (c: string) => COLS.indexOf(c);
  assert.throws(load(edit((c) => ['0123-fc-fc-fc-relu', ...c.slice(1)])), /arch '0123-fc-fc-fc-relu': expected <link>-<op1>-<op2>-<op3>-<op4>/);
  assert.throws(load(edit((c) => ['0123-fc-fc-fc-sage', ...c.slice(1)])), /arch 0123-fc-fc-fc-sage appears twice/);
  assert.throws(load(edit((c) => c.map((v, i) => (i === 1 ? 'x1' : v)))), /hash 'x1' of arch 0123-fc-fc-fc-fc: expected the benchmark's hash/);
  assert.throws(
    load(edit((c) => c.map((v, i) => (i === col('pubmed_perf') ? '1.5' : v)))),
    /pubmed_perf '1.5' of arch 0123-fc-fc-fc-fc: expected a performance in \[0, 1\]/,
  );
  assert.throws(
    load(edit((c) => c.map((v, i) => (i === col('pubmed_params_m') ? 'nan' : v)))),
    /pubmed_params_m 'nan' of arch 0123-fc-fc-fc-fc: expected a finite number >= 0/,
  );
  assert.throws(load(edit(() => null)), /59048 points; expected all 59049/);
  // a figure on a point without a computing operation
  const skip = lines.findIndex((l) => l.startsWith('0000-skip-skip-skip-skip,'));
  assert.throws(
    load(edit((c) => c.map((v, i) => (i === 1 ? '8888' : v)), skip)),
    /0000-skip-skip-skip-skip has no computing operation .*expected an empty hash/,
  );
  // two points of one hash with different figures
  const h = (lines[at] as string).split(',')[1] as string;
  const other = lines.findIndex((l, i) => i !== at && l.split(',')[1] === h);
  if (other >= 0) assert.throws(load(edit((c) => c.map((v, i) => (i === col('pubmed_latency_ms') ? '999' : v)), other)), /but other points of hash .* have/);
  else {
    // 0123-fc-fc-fc-fc is alone in its class: move another point onto its hash
    const at2 = lines.findIndex((l) => l.startsWith('0123-gcn-gcn-gcn-gcn,'));
    assert.throws(load(edit((c) => c.map((v, i) => (i === 1 ? h : v)), at2)), /but other points of hash .* have/);
  }
  assert.throws(() => loadNbgTable('t.csv', { ...PUBMED, dataset: 'cora' as 'pubmed' }, TEXT), /no column 'cora_perf'/);
});

test('the space: params round-trip, each parameter its own choices, a bad string refused naming it, graph refused', () => {
  const s = nasBenchGraphSpace();
  for (const a of ['0112-gcn-gin-fc-cheb', '0000-skip-skip-skip-skip']) assert.equal(s.fromParams(s.toParams(a)), a);
  assert.deepEqual(s.space.spec('link'), { kind: 'categorical', choices: [...NBG_LINKS] });
  assert.deepEqual(s.space.spec('op3'), { kind: 'categorical', choices: [...NBG_OPS] });
  assert.throws(() => s.parse('0124-gcn-gin-fc-cheb'), /'0124-gcn-gin-fc-cheb': expected <link>-<op1>/);
  assert.throws(() => s.graph('0112-gcn-gin-fc-cheb'), /no graph-neural-network operations/);
  assert.equal(s.classKey?.('0000-gcn-gat-fc-fc'), nbgClassKey('0000-fc-gcn-fc-gat'));
});

test('the Optuna side: per-parameter choices, a missing point a failed trial, an absent point not listed as missing an error (skipped without python3-optuna)', (t) => {
  const py = pythonWithOptuna();
  if (py === undefined) {
    t.skip('no python3 with optuna');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-cmp-nbg-'));
  try {
    writeFileSync(join(dir, 'cmp.py'), OPTUNA_SCRIPT);
    const run = (table: Record<string, unknown>): SpawnSyncReturns<string> => {
      writeFileSync(join(dir, 'table.json'), JSON.stringify({ names: ['link', 'op'], directions: ['maximize', 'minimize'], ...table }));
      writeFileSync(
        join(dir, 'job.json'),
        JSON.stringify({ name: 'toy', problem: { kind: 'table', path: join(dir, 'table.json') }, samplers: ['random'], seeds: [1], budget: 12 }),
      );
      return spawnSync(py, [join(dir, 'cmp.py'), join(dir, 'job.json')], { encoding: 'utf8' });
    };
    // link has 2 choices, op 3; (0, c) has no row and is listed as missing
    const lookup = { '0,a': [0.1, 1], '0,b': [0.2, 2], '1,a': [0.3, 3], '1,b': [0.4, 4], '1,c': [0.5, 5] };
    const r = run({ choicesPer: { link: ['0', '1'], op: ['a', 'b', 'c'] }, lookup, missing: ['0,c'] });
    assert.equal(r.status, 0, r.stderr);
    const values = (JSON.parse(r.stdout) as { runs: { values: number[][] }[] }).runs[0]?.values ?? [];
    // every complete trial is a row; the failed ones (the missing point) give no values
    assert.ok(values.length <= 12 && values.length > 0);
    for (const v of values)
      assert.ok(
        Object.values(lookup).some((x) => x.join(',') === v.join(',')),
        `${v}`,
      );
    const only = run({ choicesPer: { link: ['0'], op: ['c'] }, lookup, missing: ['0,c'] });
    assert.equal(only.status, 0, only.stderr);
    assert.deepEqual((JSON.parse(only.stdout) as { runs: { values: number[][] }[] }).runs[0]?.values, []);
    const bad = run({ choicesPer: { link: ['0'], op: ['c'] }, lookup });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /KeyError: '0,c'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plumbing: the 3-objective problem runs hwnas random and Optuna random (seed 0, 20 queries), shares in (0, 1]', async () => {
  const res = await benchCompareOptuna({ budget: 20, seeds: [0], problems: ['nbg-pubmed-latency-params'], strategies: ['random'], samplers: ['random'] });
  for (const row of res.rows) assert.ok((row.ratios[0] as number) > 0 && (row.ratios[0] as number) <= 1 + 1e-9, `${row.method}`);
  assert.ok(res.rows.some((x) => x.method === 'hwnas random'));
});

test('the second CSV (session 36): the same points and hashes as the first, five more datasets; the new problems load their own columns from it', () => {
  const text2 = readFileSync(nbgFile('cora'), 'utf8');
  assert.notEqual(nbgFile('cora'), nbgFile());
  for (const d of ['cora', 'citeseer', 'photo', 'cs', 'physics'] as const) assert.equal(nbgFile(d), nbgFile('cora'));
  for (const d of ['arxiv', 'computers', 'pubmed'] as const) assert.equal(nbgFile(d), nbgFile());
  assert.throws(() => nbgFile('reddit' as never), /dataset 'reddit': expected one of arxiv, computers, pubmed, cora/);
  const header2 = text2.split('\n').filter((l) => l.startsWith('#'));
  assert.ok(header2.some((l) => /THUMNLab\/NAS-Bench-Graph commit be42534b/.test(l)));
  assert.equal(header2.join('\n').match(/\.bench sha256 [0-9a-f]{64}/g)?.length, 5);
  const cols2 = (text2.split('\n').find((l) => l.startsWith('arch,')) as string).split(',');
  assert.deepEqual(cols2, [
    'arch',
    'hash',
    ...['cora', 'citeseer', 'photo', 'cs', 'physics'].flatMap((d) => [`${d}_perf`, `${d}_latency_ms`, `${d}_params_m`]),
  ]);
  const rows2 = text2.split('\n').filter((l) => /^\d{4}-/.test(l));
  // the same point and hash on every line as the first CSV (one builder, one class mapping)
  assert.deepEqual(
    rows2.map((l) => l.split(',').slice(0, 2).join(',')),
    ROWS.map((l) => l.split(',').slice(0, 2).join(',')),
  );
  const cora = NBG_PROBLEMS['nbg-cora-latency'];
  const photo = NBG_PROBLEMS['nbg-photo-latency-params'];
  const t = loadNbgTable(nbgFile(cora.dataset), cora);
  assert.equal(t.size, NBG_POINTS - 9);
  const row = (rows2.find((l) => l.startsWith('0112-gcn-fc-sage-gin,')) as string).split(',');
  assert.deepEqual(t.values('0112-gcn-fc-sage-gin', ['accuracy', 'latency_ms']), [
    Number(row[cols2.indexOf('cora_perf')]),
    Number(row[cols2.indexOf('cora_latency_ms')]),
  ]);
  const p = loadNbgTable(nbgFile(photo.dataset), photo);
  assert.deepEqual(p.metrics, ['accuracy', 'latency_ms', 'params_m']);
  assert.deepEqual(p.values('0112-gcn-fc-sage-gin', ['accuracy', 'latency_ms', 'params_m']), [
    Number(row[cols2.indexOf('photo_perf')]),
    Number(row[cols2.indexOf('photo_latency_ms')]),
    Number(row[cols2.indexOf('photo_params_m')]),
  ]);
  // a dataset's columns are read from its own file only: cora is not in the first CSV
  assert.throws(() => loadNbgTable(nbgFile(), cora, TEXT), /no column 'cora_perf'/);
  assert.equal(NBG_PROBLEMS['nbg-cs-latency'].dataset, 'cs');
});
