/**
 * The session-37 (table14) problems of bench/compare-optuna.ts, pre-registered in bench/data/table14-prereg.md: each
 * loads its own columns. No search runs here (the problems are unseen until the pre-registered runs).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { benchCompareOptuna, NBG_PROBLEMS, nbgFile, TNB_PROBLEMS, tnbFile } from './compare-optuna.js';
import { loadNbgTable, NBG_POINTS, nbgObjectives } from './nas-bench-graph.js';
import { loadTnbTable, tnbConnectedCells } from './transnas-micro.js';

const NBG_NEW = ['nbg-citeseer-latency', 'nbg-citeseer-latency-params', 'nbg-physics-latency-params'] as const;
const TNB_NEW = ['tnb-autoenc-a76', 'tnb-autoenc-edgetpu', 'tnb-autoenc-eyeriss-energy'] as const;

test('the session-37 problems are registered: an unknown name is refused with a list that names all six', async () => {
  await assert.rejects(benchCompareOptuna({ problems: ['nbg-unknown-latency'], optuna: false }), (e: Error) => {
    assert.match(e.message, /unknown problem 'nbg-unknown-latency'; expected one of/);
    for (const p of [...NBG_NEW, ...TNB_NEW]) assert.ok(e.message.includes(p), p);
    return true;
  });
});

test('NAS-Bench-Graph citeseer and physics: their own columns of the second CSV, the parameter count as a third objective', () => {
  const text = readFileSync(nbgFile('citeseer'), 'utf8');
  assert.equal(nbgFile('physics'), nbgFile('citeseer'));
  const cols = (text.split('\n').find((l) => l.startsWith('arch,')) as string).split(',');
  const line = (arch: string): string[] => (text.split('\n').find((l) => l.startsWith(`${arch},`)) as string).split(',');
  const cases = [
    ['nbg-citeseer-latency', 'citeseer', false],
    ['nbg-citeseer-latency-params', 'citeseer', true],
    ['nbg-physics-latency-params', 'physics', true],
  ] as const;
  for (const [name, dataset, params] of cases) {
    const spec = NBG_PROBLEMS[name];
    assert.equal(spec.dataset, dataset);
    assert.equal(nbgObjectives(spec), params ? 'accuracy:max,latency_ms:min,params_m:min' : 'accuracy:max,latency_ms:min');
    const t = loadNbgTable(nbgFile(spec.dataset), spec);
    assert.equal(t.size, NBG_POINTS - 9);
    assert.equal(t.has('0000-skip-skip-skip-skip'), false);
    for (const arch of ['0112-gcn-fc-sage-gin', '0123-gat-skip-cheb-arma']) {
      const r = line(arch);
      const want = ['perf', 'latency_ms', ...(params ? ['params_m'] : [])].map((c) => Number(r[cols.indexOf(`${dataset}_${c}`)]));
      assert.deepEqual(t.values(arch, t.metrics), want, `${name} ${arch}`);
    }
  }
  // two datasets, two columns: citeseer and physics differ on a point
  const a = loadNbgTable(nbgFile('citeseer'), NBG_PROBLEMS['nbg-citeseer-latency-params']).values('0112-gcn-fc-sage-gin', ['accuracy']);
  const b = loadNbgTable(nbgFile('physics'), NBG_PROBLEMS['nbg-physics-latency-params']).values('0112-gcn-fc-sage-gin', ['accuracy']);
  assert.notDeepEqual(a, b);
});

test('ogbn-proteins is not in the two 9-operation CSVs (session 38 gives it its own file on its 5-operation sub-space)', () => {
  for (const f of ['nas-bench-graph.csv', 'nas-bench-graph-2.csv']) assert.ok(!nbgFile('proteins').endsWith(`/${f}`), f);
  assert.throws(
    () => nbgFile('ppi' as never),
    (e: Error) => e instanceof ConfigError && /dataset 'ppi': expected one of arxiv, computers, pubmed, cora, citeseer/.test(e.message),
  );
});

test('TransNAS-Bench-101 autoencoding: SSIM as it is, each cell its class mean, each problem its own cost columns', () => {
  const text = readFileSync(tnbFile(), 'utf8');
  const cols = (text.split('\n').find((l) => l.startsWith('cell,')) as string).split(',');
  const at = (c: string): number => cols.indexOf(c);
  const rows = text
    .split('\n')
    .filter((l) => /^[0-3]_/.test(l))
    .map((l) => l.split(','));
  const members = rows.filter((v) => v[at('class')] === '2_30_321' || v[0] === '2_30_321');
  assert.ok(members.length >= 2);
  const mean = members.reduce((s, v) => s + Number(v[at('autoenc_ssim')]), 0) / members.length;
  const cases = [
    ['tnb-autoenc-a76', ['a76_fp32_ms']],
    ['tnb-autoenc-edgetpu', ['edgetpu_int8_ms']],
    ['tnb-autoenc-eyeriss-energy', ['eyeriss_ms', 'eyeriss_mj']],
  ] as const;
  for (const [name, costs] of cases) {
    const spec = TNB_PROBLEMS[name];
    assert.equal(spec.metric, 'autoenc_ssim');
    const t = loadTnbTable(tnbFile(), spec);
    assert.equal(t.size, 4096);
    assert.deepEqual(t.metrics, costs.length === 2 ? ['accuracy', 'latency_ms', 'energy_mj'] : ['accuracy', 'latency_ms']);
    for (const v of members) {
      const got = t.values(v[0] as string, t.metrics);
      assert.ok(Math.abs((got[0] as number) - mean) < 1e-12, `${name} ${v[0]}`);
      assert.deepEqual(
        got.slice(1),
        costs.map((c) => Number(v[at(c)])),
        `${name} ${v[0]}`,
      );
    }
    // the true front is taken over the cells whose output is not cut off
    const connected = tnbConnectedCells(t);
    assert.equal(connected.size, rows.filter((v) => v[at('cutoff')] === '0').length);
  }
  // the three problems share the metric but not the first cost
  const cell = members[0]?.[0] as string;
  const lat = cases.map(([name]) => loadTnbTable(tnbFile(), TNB_PROBLEMS[name]).values(cell, ['latency_ms'])[0]);
  assert.equal(new Set(lat).size, 3);
});
