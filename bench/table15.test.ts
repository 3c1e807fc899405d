/**
 * The session-38 (table15) problems of bench/compare-optuna.ts, pre-registered in bench/data/table15-prereg.md:
 * NAS-Bench-Graph ogbn-proteins on its 5-operation sub-space and EC-NAS-Bench's 5-vertex cells. Each loads its own
 * columns; no search runs here (the problems are unseen until the pre-registered runs).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { benchCompareOptuna, ECNAS_PROBLEMS, ecnasFile, NBG_PROBLEMS, nbgFile } from './compare-optuna.js';
import {
  ECNAS_POINTS,
  ecnasCell,
  ecnasClass,
  ecnasGraphHash,
  ecnasObjectives,
  ecnasPrune,
  ecnasSpace,
  enumerateEcnas,
  loadEcnasTable,
} from './ec-nas-bench.js';
import { enumerateNbg, loadNbgTable, NBG_PROTEINS_OPS, nasBenchGraphSpace, nbgClassKey, nbgNoComputation, nbgObjectives } from './nas-bench-graph.js';

const NEW = ['nbg-proteins-latency', 'ecnas-energy', 'nbg-proteins-latency-params', 'ecnas-energy-params', 'ecnas-predict'] as const;

test('the session-38 problems are registered: an unknown name is refused with a list that names all five', async () => {
  await assert.rejects(benchCompareOptuna({ problems: ['ecnas-unknown'], optuna: false }), (e: Error) => {
    assert.match(e.message, /unknown problem 'ecnas-unknown'; expected one of/);
    for (const p of NEW) assert.ok(e.message.includes(p), p);
    return true;
  });
});

test('ogbn-proteins: its own CSV on the 5-operation sub-space, one row per point of it, the hash giving the class', () => {
  const file = nbgFile('proteins');
  assert.ok(file.endsWith('nas-bench-graph-proteins.csv'));
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').filter((l) => /^\d{4}-/.test(l));
  assert.equal(lines.length, 9 * 5 ** 4);
  const points = enumerateNbg(NBG_PROTEINS_OPS);
  assert.deepEqual(
    lines.map((l) => l.split(',')[0]),
    points,
  );
  assert.equal(points.filter(nbgNoComputation).length, 9);
  for (const [name, params] of [
    ['nbg-proteins-latency', false],
    ['nbg-proteins-latency-params', true],
  ] as const) {
    const spec = NBG_PROBLEMS[name];
    assert.equal(spec.dataset, 'proteins');
    assert.equal(nbgObjectives(spec), params ? 'accuracy:max,latency_ms:min,params_m:min' : 'accuracy:max,latency_ms:min');
    const t = loadNbgTable(file, spec);
    assert.equal(t.size, 5625 - 9);
    assert.equal(t.has('0000-skip-skip-skip-skip'), false);
    assert.deepEqual(t.space.space.spec('op2'), { kind: 'categorical', choices: [...NBG_PROTEINS_OPS] });
    const r = (lines.find((l) => l.startsWith('0112-gcn-fc-sage-arma,')) as string).split(',');
    assert.deepEqual(t.values('0112-gcn-fc-sage-arma', t.metrics), r.slice(2, params ? 5 : 4).map(Number));
  }
  // points of one class (the CSV's hash) compute the same network by this repository's class key, and the reverse
  const hashOf = new Map(lines.map((l) => [l.split(',')[0] as string, l.split(',')[1] as string]));
  const classOfHash = new Map<string, string>();
  const hashOfClass = new Map<string, string>();
  for (const p of points) {
    const h = hashOf.get(p) as string;
    const k = nbgClassKey(p);
    assert.equal(classOfHash.get(h) ?? k, k, p);
    assert.equal(hashOfClass.get(k) ?? h, h, p);
    classOfHash.set(h, k);
    hashOfClass.set(k, h);
  }
  assert.equal(classOfHash.size, 2021 + 1); // 2,021 stored classes and the empty hash of the 9 all-skip points
  // the sub-space refuses an operation outside it, and a bad operation list
  const s = nasBenchGraphSpace(undefined, NBG_PROTEINS_OPS);
  assert.throws(() => s.fromParams({ link: '0000', op1: 'gat', op2: 'gcn', op3: 'gcn', op4: 'gcn' }), ConfigError);
  assert.throws(
    () => nasBenchGraphSpace(undefined, ['gcn', 'sage']),
    (e: Error) => e instanceof ConfigError && /operations 'gcn,sage': expected distinct names .* skip among them/.test(e.message),
  );
  const bad = text.replace('\n0000-gcn-gcn-gcn-gcn,', '\n0000-gat-gcn-gcn-gcn,');
  assert.throws(() => loadNbgTable(file, NBG_PROBLEMS['nbg-proteins-latency'], bad), /0000-gat-gcn-gcn-gcn: expected operations of proteins's sub-space only/);
});

test('EC-NAS-Bench: every valid point gets its class row, invalid points (no input-output path, 10 edges) none', () => {
  assert.equal(enumerateEcnas().length, ECNAS_POINTS);
  assert.equal(ECNAS_POINTS, 27648);
  const text = readFileSync(ecnasFile(), 'utf8');
  const cols = (text.split('\n').find((l) => l.startsWith('hash,')) as string).split(',');
  const rows = new Map(
    text
      .split('\n')
      .filter((l) => /^[0-9a-f]{32},/.test(l))
      .map((l) => [l.slice(0, 32), l.split(',')] as const),
  );
  assert.equal(rows.size, 2532);
  const cases = [
    ['ecnas-energy', ['energy_kwh'], 'accuracy:max,energy_kwh:min'],
    ['ecnas-energy-params', ['energy_kwh', 'params_m'], 'accuracy:max,energy_kwh:min,params_m:min'],
    ['ecnas-predict', ['predict_s'], 'accuracy:max,latency_s:min'],
  ] as const;
  for (const [name, costs, objectives] of cases) {
    const spec = ECNAS_PROBLEMS[name];
    assert.deepEqual(spec.costs, costs);
    assert.equal(ecnasObjectives(spec), objectives);
    const t = loadEcnasTable(ecnasFile(), spec);
    assert.equal(t.size, 22680);
    for (const a of ['1111111101-maxpool-conv3x3-conv3x3', '1001000000-conv1x1-conv1x1-conv1x1', '0001000000-conv3x3-maxpool-conv1x1']) {
      const r = rows.get(ecnasClass(a) as string) as readonly string[];
      assert.deepEqual(
        t.values(a, t.metrics),
        ['val_acc', ...costs].map((c) => Number(r[cols.indexOf(c)])),
        `${name} ${a}`,
      );
    }
    assert.equal(t.has('1111111111-conv3x3-conv3x3-conv3x3'), false); // 10 edges
    assert.equal(t.has('1110000000-conv3x3-conv3x3-conv3x3'), false); // nothing reaches the output
  }
});

test('EC-NAS-Bench classes: pruning drops dead vertices and their operations, isomorphic cells share the hash', () => {
  // vertex 3 has no input: pruned, so its operation does not matter
  assert.equal(ecnasClass('1101101100-conv3x3-conv1x1-maxpool'), ecnasClass('1101101100-conv3x3-conv1x1-conv3x3'));
  // two parallel branches input -> v -> output: swapping their operations is an isomorphism
  const a = '1100001010-conv3x3-maxpool-conv1x1';
  const b = '1100001010-maxpool-conv3x3-conv1x1';
  assert.equal(ecnasClass(a), ecnasClass(b));
  assert.notEqual(ecnasClass(a), ecnasClass('1100001010-conv3x3-conv3x3-conv1x1'));
  // the pruned cell of the input -> output edge alone has 2 vertices
  assert.deepEqual(ecnasPrune(ecnasCell('0001000000-conv3x3-conv3x3-conv3x3'))?.labels, [-1, -2]);
  // the hash is order-sensitive in the labels: a chain conv3x3 -> maxpool differs from maxpool -> conv3x3
  const chain = [
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
    [0, 0, 0, 0],
  ];
  assert.notEqual(
    ecnasGraphHash({
      matrix: chain,
      labels: [-1, 0, 2, -2],
    }),
    ecnasGraphHash({
      matrix: chain,
      labels: [-1, 2, 0, -2],
    }),
  );
  // invalid points share one class key (no network); bad strings are ConfigErrors naming the form
  const s = ecnasSpace();
  const key = s.classKey as (a: string) => string;
  assert.equal(key('1111111111-conv3x3-conv3x3-conv3x3'), key('0000000000-maxpool-maxpool-maxpool'));
  assert.notEqual(key('1111111111-conv3x3-conv3x3-conv3x3'), key('0001000000-conv3x3-conv3x3-conv3x3'));
  assert.throws(
    () => s.parse('111-conv3x3-conv3x3-conv3x3'),
    (e: Error) => e instanceof ConfigError && /expected <10 edge bits>-<op1>-<op2>-<op3>/.test(e.message),
  );
  assert.equal(s.fromParams(s.toParams('1100001010-conv3x3-maxpool-conv1x1')), '1100001010-conv3x3-maxpool-conv1x1');
});

test('EC-NAS-Bench loader: a stored hash that is not its cell hash, or a missing class, is an error', () => {
  const text = readFileSync(ecnasFile(), 'utf8');
  const first = text.split('\n').find((l) => /^[0-9a-f]{32},/.test(l)) as string;
  const h = first.slice(0, 32);
  const flipped = `${h.slice(0, 31)}${h[31] === '0' ? '1' : '0'}`;
  assert.throws(
    () => loadEcnasTable('x.csv', ECNAS_PROBLEMS['ecnas-energy'], text.replace(first, `${flipped}${first.slice(32)}`)),
    /hashes to [0-9a-f]{32}; expected the stored hash/,
  );
  assert.throws(() => loadEcnasTable('x.csv', ECNAS_PROBLEMS['ecnas-energy'], text.replace(`${first}\n`, '')), /its class [0-9a-f]{32} has no row/);
  const neg = first.split(',');
  neg[cols(text).indexOf('energy_kwh')] = '-1';
  assert.throws(
    () => loadEcnasTable('x.csv', ECNAS_PROBLEMS['ecnas-energy'], text.replace(first, neg.join(','))),
    /energy_kwh '-1': expected a finite number > 0/,
  );
});

function cols(text: string): string[] {
  return (text.split('\n').find((l) => l.startsWith('hash,')) as string).split(',');
}
