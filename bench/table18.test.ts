/**
 * The session-41 (table18) problems of bench/compare-optuna.ts, pre-registered in bench/data/table18-prereg.md:
 * EC-NAS-Bench's accuracy paired with hwnas cost models of the NAS-Bench-101 network of each cell
 * (bench/ecnas-hwnas-cost.ts, bench/data/ecnas-hwnas-cost.csv). The network's parameters are EC-NAS's trainable
 * parameters on every row, its MACs an independent count, the new table loads and is what the cost models compute, the
 * earlier files and problems are unchanged, and each problem's true front is the one the pre-registration states. No
 * search runs here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { graphTotals } from '../src/ir/workload.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { tableHv } from '../src/nas/run.js';
import { parseCommentedCsv } from './commented-csv.js';
import { benchCompareOptuna, ECNAS_HW_PROBLEMS, ECNAS_PROBLEMS, ecnasCostFile, ecnasFile } from './compare-optuna.js';
import { type EcnasCell, ecnasCell, ecnasClass, ecnasPrune, ecnasRowCell } from './ec-nas-bench.js';
import { ECNAS_COST_COLUMNS, ecnasChunkCuts, ecnasHwObjectives, ecnasNetworkGraph, ecnasVertexChannels, loadEcnasHwTable } from './ecnas-hwnas-cost.js';

const NEW = ['ecnas-edgetpu', 'ecnas-a100-eyeriss-energy', 'ecnas-bismo', 'ecnas-bitfusion-energy', 'ecnas-eyeriss-energy'] as const;
const DATA = join(process.cwd(), 'bench', 'data');
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const rows = () => parseCommentedCsv(readFileSync(ecnasFile(), 'utf8'), ecnasFile()).rows;

/** An independent count (no IR) of the network's parameters and MACs from NAS-Bench-101's vertex channels. */
function handCount(cell: EcnasCell): { params: number; macs: number } {
  const m = cell.matrix;
  const n = m.length;
  let params = 3 * 9 * 128 + 2 * 128;
  let macs = 32 * 32 * 27 * 128;
  let inC = 128;
  let C = 128;
  let hw = 32 * 32;
  for (let s = 0; s < 3; s++) {
    if (s > 0) {
      C *= 2;
      hw /= 4;
    }
    for (let k = 0; k < 3; k++) {
      const vc = ecnasVertexChannels(inC, C, m);
      const proj = (out: number) => {
        params += inC * out + 2 * out;
        macs += hw * inC * out;
      };
      for (let t = 1; t < n - 1; t++) {
        const c = vc[t] as number;
        if (m[0]?.[t] === 1) proj(c);
        const kk = [9, 1, 0][cell.labels[t] as number] as number;
        if (kk > 0) {
          params += kk * c * c + 2 * c;
          macs += hw * kk * c * c;
        }
      }
      if (m[0]?.[n - 1] === 1) proj(C);
      inC = C;
    }
  }
  return { params: params + 512 * 10 + 10, macs: macs + 512 * 10 };
}

test('the session-41 problems are registered: an unknown name is refused with a list that names all five', async () => {
  await assert.rejects(benchCompareOptuna({ problems: ['ecnas-unknown-hw'], optuna: false }), (e: Error) => {
    assert.match(e.message, /unknown problem 'ecnas-unknown-hw'; expected one of/);
    for (const p of NEW) assert.ok(e.message.includes(p), p);
    return true;
  });
  assert.deepEqual(Object.keys(ECNAS_HW_PROBLEMS), [...NEW]);
});

test('the earlier files and EC-NAS problems are unchanged (the costs are in a new file)', () => {
  // sha256 at commit d0a66ac (before session 41)
  assert.equal(sha(readFileSync(join(DATA, 'ec-nas-bench-5v.csv'), 'utf8')), 'bfcaa6ef6326ae9706522c1a6a8b6ebf02051fc5ab030fc5ae941146b4709e7b');
  assert.equal(sha(readFileSync(join(DATA, 'nb201-hwnas-cost.csv'), 'utf8')), '1087d12a3ff534405eedf2d43d4970a6f586bc8a68318c0344d0ba1ce73904d4');
  assert.deepEqual(Object.fromEntries(Object.entries(ECNAS_PROBLEMS).map(([k, v]) => [k, v.costs])), {
    'ecnas-energy': ['energy_kwh'],
    'ecnas-energy-params': ['energy_kwh', 'params_m'],
    'ecnas-predict': ['predict_s'],
  });
});

test("NAS-Bench-101's vertex channels and the chunk cuts: an uneven split, a truncated vertex, a max pool that passes cuts back", () => {
  // 0->1, 0->2, 1->2, 1->4, 2->3, 3->4 and 2->4: vertices 1, 3, 2 feed the output
  const m = [
    [0, 1, 1, 0, 0],
    [0, 0, 1, 0, 1],
    [0, 0, 0, 1, 1],
    [0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0],
  ];
  assert.deepEqual(ecnasVertexChannels(128, 128, m), [128, 43, 43, 42, 128]);
  assert.deepEqual(ecnasVertexChannels(256, 512, m), [256, 171, 171, 170, 512]);
  // vertex 2 (43) is truncated to 42 by vertex 3; a max pool vertex 3 makes vertex 2's cuts its own and vice versa
  assert.deepEqual(ecnasChunkCuts([128, 43, 43, 42, 128], m, [-1, 0, 0, 0, -2]), [[128], [43], [42, 43], [42], [128]]);
  const one = [
    [0, 1, 0, 0],
    [0, 0, 1, 1],
    [0, 0, 0, 1],
    [0, 0, 0, 0],
  ];
  // 4 vertices, 1 -> 2 -> 3 and 1 -> 3: 1 and 2 split 128 evenly; none truncated
  assert.deepEqual(ecnasVertexChannels(128, 128, one), [128, 64, 64, 128]);
  assert.throws(
    () => ecnasRowCell('4', '1101', 'conv3x3|maxpool'),
    (e: Error) => e instanceof ConfigError && /adjacency '1101'.*expected 2-5 vertices/.test(e.message),
  );
  assert.throws(
    () => ecnasRowCell('3', '111', 'conv5x5'),
    (e: Error) => e instanceof ConfigError && /ops 'conv5x5': expected operations of conv3x3, conv1x1, maxpool/.test(e.message),
  );
  assert.throws(
    () => ecnasNetworkGraph(ecnasCell('0000000000-conv3x3-conv3x3-conv3x3')),
    (e: Error) => e instanceof ConfigError && /expected a pruned cell/.test(e.message),
  );
});

test("the network's parameters are EC-NAS's trainable parameters (params_m) on all 2,532 rows; parameters and MACs match an independent count", () => {
  const all = rows();
  assert.equal(all.length, 2532);
  let truncated = 0;
  for (const r of all) {
    const cell = ecnasRowCell(r.vertices as string, r.adjacency as string, r.ops as string, r.hash);
    const t = graphTotals(ecnasNetworkGraph(cell));
    assert.equal(Number((t.params / 1e6).toPrecision(6)), Number(r.params_m), `${r.hash} params ${t.params} vs params_m ${r.params_m}`);
    const hand = handCount(cell);
    assert.equal(t.params, hand.params, `${r.hash} params`);
    assert.equal(t.macs, hand.macs, `${r.hash} MACs`);
    if ([128, 256, 512].some((c) => ecnasChunkCuts(ecnasVertexChannels(c, c, cell.matrix), cell.matrix, cell.labels).some((k) => k.length > 1))) truncated++;
  }
  // cells with a truncation in some stack (NAS-Bench-101 truncates when 128 / 256 / 512 do not split evenly)
  assert.equal(truncated, 711);
  // the first row by hand: 0->1, 0->2, 1->2, 2->3, two max pools; 1,756,298 in its results.json
  assert.equal(graphTotals(ecnasNetworkGraph(ecnasRowCell('4', '110101', 'maxpool|maxpool'))).params, 1756298);
});

test('the new table: one row per class with its params and MACs, costs > 0, what the cost models compute (a sample)', () => {
  const cost = parseCommentedCsv(readFileSync(ecnasCostFile(), 'utf8'), ecnasCostFile()).rows;
  const acc = rows();
  assert.deepEqual(
    cost.map((r) => r.hash),
    acc.map((r) => r.hash),
  );
  const header = readFileSync(ecnasCostFile(), 'utf8')
    .split('\n')
    .find((l) => !l.startsWith('#')) as string;
  assert.deepEqual(header.split(','), ['hash', 'hwnas_params', 'macs', ...ECNAS_COST_COLUMNS.map((c) => c.column)]);
  for (const c of ECNAS_COST_COLUMNS) {
    const v = cost.map((r) => Number(r[c.column]));
    assert.ok(
      v.every((x) => x > 0 && Number.isFinite(x)),
      c.column,
    );
    assert.ok(new Set(v).size > 900, `${c.column}: ${new Set(v).size} distinct`);
  }
  for (const i of [0, 1, 500, 1234, 2531]) {
    const r = cost[i] as Record<string, string>;
    const a = acc[i] as Record<string, string>;
    const g = ecnasNetworkGraph(ecnasRowCell(a.vertices as string, a.adjacency as string, a.ops as string));
    assert.equal(r.hwnas_params, String(graphTotals(g).params));
    for (const c of ECNAS_COST_COLUMNS) {
      const tg = getTarget(c.target);
      const x = tg.networkCost(g, defaultPolicy(tg));
      assert.equal(r[c.column], (c.figure === 'latency' ? x.latencyMs : x.energyMj).toFixed(5), `row ${i} ${c.column}`);
    }
  }
});

test("the loader pairs each point's accuracy with its class's cost row, and refuses a missing row or a bad figure", () => {
  const t = loadEcnasHwTable(ecnasFile(), ecnasCostFile(), ECNAS_HW_PROBLEMS['ecnas-a100-eyeriss-energy']);
  assert.equal(t.size, 22680);
  assert.deepEqual(t.metrics, ['accuracy', 'latency_ms', 'energy_mj']);
  const arch = '1111111101-maxpool-conv3x3-conv3x3';
  const h = ecnasClass(arch) as string;
  const a = rows().find((r) => r.hash === h) as Record<string, string>;
  const c = parseCommentedCsv(readFileSync(ecnasCostFile(), 'utf8'), 'cost').rows.find((r) => r.hash === h) as Record<string, string>;
  assert.deepEqual(t.values(arch, t.metrics), [Number(a.val_acc), Number(c.a100_fp32_ms), Number(c.eyeriss_mj)]);
  // an invalid point (no input-output path) has no row
  assert.equal(t.has('0000000000-conv3x3-conv3x3-conv3x3'), false);
  const text = readFileSync(ecnasCostFile(), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-t18-'));
  try {
    const p = join(dir, 'cost.csv');
    writeFileSync(p, text.replace(new RegExp(`^${h},.*\n`, 'm'), ''));
    assert.throws(
      () => loadEcnasHwTable(ecnasFile(), p, ECNAS_HW_PROBLEMS['ecnas-edgetpu']),
      (e: Error) => e instanceof ConfigError && e.message.includes(`class ${h}`) && /has no row; expected one row per class/.test(e.message),
    );
    const lines = text.split('\n');
    const hi = lines.findIndex((l) => l.startsWith('hash,'));
    const col = (lines[hi] as string).split(',').indexOf('bismo_ms');
    const bad = (lines[hi + 1] as string).split(',');
    bad[col] = '-1';
    lines[hi + 1] = bad.join(',');
    writeFileSync(p, lines.join('\n'));
    assert.throws(
      () => loadEcnasHwTable(ecnasFile(), p, ECNAS_HW_PROBLEMS['ecnas-bismo']),
      (e: Error) => e instanceof ConfigError && /bismo_ms '-1': expected a finite number > 0/.test(e.message),
    );
    assert.throws(
      () => loadEcnasHwTable(ecnasFile(), ecnasCostFile(), { note: 'x', latency: 'tpu_ms' }),
      (e: Error) => e instanceof ConfigError && /no column 'tpu_ms'; expected one of eyeriss_ms/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // every valid point of the space is in the table, pruned to its class's cell
  const p = ecnasPrune(ecnasCell(arch));
  assert.ok(p && p.labels.length === 5);
});

test('the true fronts are those of the pre-registration (bench/data/table18-prereg.md)', () => {
  // [problem, front vectors, points on the front, classes on the front, vectors reached by <= 3 points]
  const expected: [keyof typeof ECNAS_HW_PROBLEMS, number, number, number, number][] = [
    ['ecnas-edgetpu', 10, 6465, 10, 6],
    ['ecnas-a100-eyeriss-energy', 23, 6634, 23, 17],
    ['ecnas-bismo', 14, 6545, 14, 9],
    ['ecnas-bitfusion-energy', 12, 6542, 12, 7],
    ['ecnas-eyeriss-energy', 17, 1536, 17, 14],
  ];
  for (const [p, vectors, points, classes, few] of expected) {
    const spec = ECNAS_HW_PROBLEMS[p];
    const t = loadEcnasHwTable(ecnasFile(), ecnasCostFile(), spec);
    const h = tableHv(t, parseObjectives(ecnasHwObjectives(spec)));
    const n = new Map<string, number>();
    for (const a of h.front) n.set(t.values(a, t.metrics).join(','), (n.get(t.values(a, t.metrics).join(',')) ?? 0) + 1);
    assert.equal(n.size, vectors, `${p} vectors`);
    assert.equal(h.front.length, points, `${p} points`);
    assert.equal(new Set(h.front.map((a) => ecnasClass(a))).size, classes, `${p} classes`);
    assert.equal([...n.values()].filter((k) => k <= 3).length, few, `${p} vectors on <= 3 points`);
  }
});
