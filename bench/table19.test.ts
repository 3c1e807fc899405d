/**
 * The session-42 (table19) problems of bench/compare-optuna.ts, pre-registered in bench/data/table19-prereg.md:
 * TransNAS-Bench-101's macro space (bench/transnas-macro.ts, bench/data/transnas-macro.csv), NASLib's published sample of
 * it. The space is every code of 4-6 layers once, the encoder graph has NASLib's parameter count on every row with a
 * classification figure and matches an independent count, the table loads and is what the cost models compute, and each
 * problem's true front is the one the pre-registration states. No search runs here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { graphTotals } from '../src/ir/workload.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { tableHv } from '../src/nas/run.js';
import { parseCommentedCsv } from './commented-csv.js';
import { benchCompareOptuna, TNBM_PROBLEMS, tnbmFile } from './compare-optuna.js';
import { enumerateTnbmCodes, loadTnbmTable, TNBM_HW_COLUMNS, tnbmGraph, tnbmInBenchmark, tnbmMacroSpace, tnbmMissing } from './transnas-macro.js';

const NEW = [
  'tnbm-scene-edgetpu',
  'tnbm-object-a100',
  'tnbm-jigsaw-bismo',
  'tnbm-room-eyeriss',
  'tnbm-segment-jetson',
  'tnbm-normal-edgetpu-bismo-energy',
] as const;
const rows = () => parseCommentedCsv(readFileSync(tnbmFile(), 'utf8'), tnbmFile()).rows;

/** An independent count (no IR) of the encoder's parameters and MACs: stem, then two basic blocks per layer (3x256x256 input). */
function handCount(code: string): { params: number; macs: number } {
  const conv = (cin: number, cout: number, k: number, hw: number) => ({ p: cin * cout * k * k + 2 * cout, m: hw * cin * cout * k * k });
  let hw = 128 * 128;
  const s1 = conv(3, 32, 3, hw);
  hw = 64 * 64;
  const s2 = conv(32, 64, 3, hw);
  let params = s1.p + s2.p;
  let macs = s1.m + s2.m;
  let c = 64;
  for (const d of code) {
    const out = d === '2' || d === '4' ? 2 * c : c;
    if (d === '3' || d === '4') hw /= 4;
    for (const [cin, first] of [
      [c, true],
      [out, false],
    ] as const) {
      for (const x of [conv(cin, out, 3, hw), conv(out, out, 3, hw)]) {
        params += x.p;
        macs += x.m;
      }
      if (first && (cin !== out || d === '3' || d === '4')) {
        const x = conv(cin, out, 1, hw);
        params += x.p;
        macs += x.m;
      }
    }
    c = out;
  }
  return { params, macs };
}

test('the session-42 problems are registered: an unknown name is refused with a list that names all six', async () => {
  await assert.rejects(benchCompareOptuna({ problems: ['tnbm-unknown'], optuna: false }), (e: Error) => {
    assert.match(e.message, /unknown problem 'tnbm-unknown'; expected one of/);
    for (const p of NEW) assert.ok(e.message.includes(p), p);
    return true;
  });
  assert.deepEqual(Object.keys(TNBM_PROBLEMS), [...NEW]);
});

test('the space: every code of 4-6 layers is one point and back; 3,256 of them are the benchmark; a bad code is refused', () => {
  const s = tnbmMacroSpace();
  const codes = enumerateTnbmCodes();
  assert.equal(codes.length, 4 ** 4 + 4 ** 5 + 4 ** 6);
  const keys = new Set<string>();
  for (const c of codes) {
    const p = s.toParams(c);
    assert.equal(s.fromParams(p), c);
    keys.add(s.space.names.map((n) => p[n]).join(','));
  }
  assert.equal(keys.size, codes.length);
  assert.equal(codes.filter(tnbmInBenchmark).length, 3256);
  assert.deepEqual(s.toParams('41414'), { l0: '4', l1: '1', l2: '4', l3: '1', l45: '4' });
  assert.equal(s.fromParams({ l0: '1', l1: '2', l2: '4', l3: '2', l45: '-' }), '1242');
  for (const bad of ['123', '1234567', '12340', '12a4'])
    assert.throws(
      () => s.parse(bad),
      (e: Error) => e instanceof ConfigError && e.message.includes(`'${bad}'`) && /expected 4-6 digits 1-4/.test(e.message),
    );
});

test("the encoder graph: NASLib's parameters of the scene model (graph + 63-way head) on all 662 rows, and an independent count on all 725", () => {
  const all = rows();
  assert.equal(all.length, 725);
  let checked = 0;
  for (const r of all) {
    const code = r.code as string;
    const hand = handCount(code);
    assert.equal(Number(r.params), hand.params, `${code} params`);
    assert.equal(Number(r.macs), hand.macs, `${code} MACs`);
    if (r.naslib_scene_params_m === '') continue;
    const out = 64 * 2 ** [...code].filter((d) => d === '2' || d === '4').length;
    assert.equal(Number(r.params) + out * 63 + 63, Math.round(Number(r.naslib_scene_params_m) * 1e6), `${code} vs NASLib`);
    checked++;
  }
  assert.equal(checked, 662);
  // the graph itself on two codes (the CSV's figures are the graph's): 1114 (one doubling) and 41414 (the micro's layout)
  for (const code of ['1114', '41414']) {
    const t = graphTotals(tnbmGraph(code));
    assert.deepEqual({ params: t.params, macs: t.macs }, handCount(code), code);
  }
  // 1114: 988,960 encoder parameters + the 63-way head on 128 channels = NASLib's 0.997087 M
  assert.equal(handCount('1114').params + 128 * 63 + 63, 997087);
});

test('the table: the hardware columns are what the cost models compute (a sample); the loader keeps the rows with a figure and refuses bad ones', () => {
  const all = rows();
  for (const i of [0, 100, 400, 724]) {
    const r = all[i] as Record<string, string>;
    const g = tnbmGraph(r.code as string);
    for (const c of TNBM_HW_COLUMNS) {
      const tg = getTarget(c.target);
      const x = tg.networkCost(g, defaultPolicy(tg));
      assert.equal(r[c.column], (c.figure === 'latency' ? x.latencyMs : x.energyMj).toFixed(5), `row ${i} ${c.column}`);
    }
  }
  const scene = loadTnbmTable(tnbmFile(), TNBM_PROBLEMS['tnbm-scene-edgetpu']);
  assert.equal(scene.size, 662);
  assert.equal(tnbmMissing(scene).length, 5376 - 662);
  const normal = loadTnbmTable(tnbmFile(), TNBM_PROBLEMS['tnbm-normal-edgetpu-bismo-energy']);
  assert.equal(normal.size, 725);
  const r0 = all[0] as Record<string, string>;
  assert.deepEqual(normal.values(r0.code as string, normal.metrics), [Number(r0.normal_ssim), Number(r0.edgetpu_int8_ms), Number(r0.bismo_mj)]);
  assert.equal(scene.values(r0.code as string, ['accuracy'])[0], Number(r0.scene_top1) / 100);
  const text = readFileSync(tnbmFile(), 'utf8');
  const lines = text.split('\n');
  const hi = lines.findIndex((l) => l.startsWith('code,'));
  const header = (lines[hi] as string).split(',');
  const withCell = (col: string, v: string): string => {
    const ls = [...lines];
    const cells = (ls[hi + 1] as string).split(',');
    cells[header.indexOf(col)] = v;
    ls[hi + 1] = cells.join(',');
    return ls.join('\n');
  };
  assert.throws(
    () => loadTnbmTable('t.csv', TNBM_PROBLEMS['tnbm-scene-edgetpu'], withCell('scene_top1', '140')),
    /scene_top1 '140' of code 1114: expected a percentage in \[0, 100\]/,
  );
  assert.throws(
    () => loadTnbmTable('t.csv', TNBM_PROBLEMS['tnbm-object-a100'], withCell('a100_fp32_ms', '-1')),
    /a100_fp32_ms '-1' of code 1114: expected a finite number >= 0/,
  );
  assert.throws(
    () => loadTnbmTable('t.csv', TNBM_PROBLEMS['tnbm-object-a100'], withCell('code', '1111')),
    /code '1111': expected one of the benchmark's codes/,
  );
});

test('the true fronts are those of the pre-registration (bench/data/table19-prereg.md)', () => {
  // [problem, rows (networks with a figure), front vectors (one network each)]
  const expected: [keyof typeof TNBM_PROBLEMS, number, number][] = [
    ['tnbm-scene-edgetpu', 662, 25],
    ['tnbm-object-a100', 662, 7],
    ['tnbm-jigsaw-bismo', 725, 16],
    ['tnbm-room-eyeriss', 725, 13],
    ['tnbm-segment-jetson', 725, 17],
    ['tnbm-normal-edgetpu-bismo-energy', 725, 31],
  ];
  for (const [p, size, vectors] of expected) {
    const spec = TNBM_PROBLEMS[p];
    const t = loadTnbmTable(tnbmFile(), spec);
    assert.equal(t.size, size, `${p} rows`);
    const h = tableHv(t, parseObjectives('energy' in spec ? 'accuracy:max,latency_ms:min,energy_mj:min' : 'accuracy:max,latency_ms:min'));
    assert.equal(h.front.length, vectors, `${p} front`);
    assert.equal(new Set(h.front.map((a) => t.values(a, t.metrics).join(','))).size, vectors, `${p} vectors`);
  }
});
