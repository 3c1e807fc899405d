import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nb201Classes, nb201RepeatClasses } from '../src/nas/tabular.js';
import { enumerateNb201, formatNb201, type Nb201Cell } from '../src/search/spaces/nb201.js';
import { Rng } from '../src/util/rng.js';
import {
  benchCompareOptuna,
  COMPARE_USAGE,
  classMeanAccuracy,
  compareArgsError,
  connectedCells,
  hw360File,
  hw360Objectives,
  loadHw360Table,
  nb201OutputCutOff,
  OPTUNA_SCRIPT,
  pythonWithOptuna,
  strategySpec,
  syntheticProblem,
  syntheticValues,
  wfgValues,
} from './compare-optuna.js';

/** A point of WFG's Pareto set: position parameters free, distance parameters at their optimum 0.35. */
const onFront = (pos: readonly number[]): number[] => [...pos, 0.35, 0.35, 0.35, 0.35];

test('WFG4: Pareto-optimal inputs lie on the concave front (f1/2)^2 + (f2/4)^2 = 1; others lie beyond it', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const pos = [rng.next(), rng.next(), rng.next(), rng.next()];
    const [f1, f2] = wfgValues('wfg4', onFront(pos)) as [number, number];
    assert.ok(Math.abs((f1 / 2) ** 2 + (f2 / 4) ** 2 - 1) < 1e-9, `${f1}, ${f2}`);
    const off = [...pos, rng.next(), rng.next(), rng.next(), rng.next()];
    const [g1, g2] = wfgValues('wfg4', off) as [number, number];
    assert.ok((g1 / 2) ** 2 + (g2 / 4) ** 2 >= 1 - 1e-9);
  }
});

test('WFG1: Pareto-optimal inputs give distance 0 (f = S h(x1)), a perturbed distance parameter moves both objectives up', () => {
  const pos = [0.3, 0.6, 0.9, 0.1];
  const [f1, f2] = wfgValues('wfg1', onFront(pos)) as [number, number];
  const y = pos.map((v) => v ** 0.02);
  const x1 = y.reduce((a, v, i) => a + 2 * (i + 1) * v, 0) / (2 + 4 + 6 + 8);
  assert.ok(Math.abs(f1 - 2 * (1 - Math.cos((x1 * Math.PI) / 2))) < 1e-12);
  assert.ok(Math.abs(f2 - 4 * (1 - x1 - Math.cos(10 * Math.PI * x1 + Math.PI / 2) / (10 * Math.PI))) < 1e-12);
  const [g1, g2] = wfgValues('wfg1', [...pos, 0.35, 0.9, 0.35, 0.35]) as [number, number];
  assert.ok(g1 > f1 && g2 > f2);
});

test('synthetic problems: a dense sample of the true front scores ~1 of the true hypervolume, a poor set scores less', () => {
  for (const name of ['wfg1', 'wfg4', 'zdt2'] as const) {
    const p = syntheticProblem(name, name === 'zdt2' ? 6 : 8);
    const front: number[][] = [];
    for (let i = 0; i <= 2000; i++) {
      const t = i / 2000;
      // WFG1's position parameters pass through y^0.02: invert it so the front is sampled evenly in x1
      const pos = name === 'wfg1' ? t ** 50 : t;
      // WFG4's s_multi oscillates: its front (checked above) is sampled in closed form, evenly in x1
      front.push(
        name === 'zdt2'
          ? syntheticValues('zdt2', [t, 0, 0, 0, 0, 0])
          : name === 'wfg4'
            ? [2 * Math.sin((t * Math.PI) / 2), 4 * Math.cos((t * Math.PI) / 2)]
            : syntheticValues(name, onFront([pos, pos, pos, pos])),
      );
    }
    const r = p.ratio(front);
    assert.ok(r > 0.995 && r <= 1 + 1e-6, `${name}: ${r}`);
    assert.ok(p.ratio(front.filter((_, i) => i % 500 === 0)) < r);
  }
});

test('the Optuna side computes the same WFG / ZDT / DTLZ2 values as hwnas (skipped without python3-optuna)', (t) => {
  const py = pythonWithOptuna();
  if (py === undefined) {
    t.skip('no python3 with optuna');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-cmp-test-'));
  try {
    const rng = new Rng(7);
    for (const [kind, n] of [
      ['wfg1', 8],
      ['wfg4', 8],
      ['zdt2', 6],
      ['dtlz2', 12],
    ] as const) {
      const points = Array.from({ length: 20 }, () => Array.from({ length: n }, () => rng.next()));
      writeFileSync(join(dir, 'cmp.py'), OPTUNA_SCRIPT);
      writeFileSync(join(dir, 'job.json'), JSON.stringify({ problem: { kind, n }, points }));
      const r: SpawnSyncReturns<string> = spawnSync(py, [join(dir, 'cmp.py'), join(dir, 'job.json')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as number[][];
      points.forEach((x, i) => {
        const want = syntheticValues(kind, x);
        want.forEach((v, j) => assert.ok(Math.abs(v - (got[i]?.[j] as number)) < 1e-9, `${kind} point ${i} objective ${j}: ${v} vs ${got[i]?.[j]}`));
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--optuna-cache: each finished Optuna run is appended once and reused (not re-run) by the next comparison', async (t) => {
  if (pythonWithOptuna() === undefined) {
    t.skip('no python3 with optuna');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-cmp-cache-'));
  try {
    const cache = join(dir, 'runs.jsonl');
    const o = { budget: 12, seeds: [1, 2], problems: ['zdt1'], strategies: [], samplers: ['random'], optunaCache: cache };
    const first = await benchCompareOptuna(o);
    const lines = readFileSync(cache, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2, 'one line per (sampler, seed)');
    const runs = lines.map((l) => JSON.parse(l) as { problem: string; sampler: string; seed: number; budget: number; values: number[][] });
    assert.deepEqual(
      runs.map((r) => [r.problem, r.sampler, r.seed, r.budget, r.values.length]),
      [
        ['zdt1', 'random', 1, 12, 12],
        ['zdt1', 'random', 2, 12, 12],
      ],
    );
    // Seed 1's stored values replaced by the ideal point (0, 0) (hypervolume 1 vs ZDT1's true 2/3), seed 2's line
    // cut short as by an interrupted write: the next run takes seed 1 from the file and runs seed 2 again.
    const fake = { ...runs[0], values: [[0, 0]] };
    writeFileSync(cache, `${JSON.stringify(fake)}\n${(lines[1] as string).slice(0, 40)}`);
    const second = await benchCompareOptuna(o);
    const r1 = first.rows.find((r) => r.method === 'optuna random');
    const r2 = second.rows.find((r) => r.method === 'optuna random');
    assert.ok(r1 && r2);
    assert.ok(Math.abs((r2.ratios[0] as number) - 1.5) < 1e-9, `seed 1 from the cache: ${r2.ratios[0]}`);
    assert.equal(r2.ratios[1], r1.ratios[1], 'seed 2 re-run with the same seed gives the same values');
    assert.equal(readFileSync(cache, 'utf8').trim().split('\n').length, 3, 'the re-run seed is appended');
    // another budget is another run
    const third = await benchCompareOptuna({ ...o, budget: 10, seeds: [1] });
    assert.notEqual(third.rows.find((r) => r.method === 'optuna random')?.ratios[0], 1.5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const HW360 = join(process.cwd(), 'bench', 'data', 'nb201-hw360.csv');
/** The table's accuracy is the file's percentage / 100: equal to the expected fraction up to rounding. */
const near = (actual: readonly number[], expected: readonly number[]): void =>
  assert.ok(actual.length === expected.length && actual.every((x, i) => Math.abs(x - (expected[i] as number)) < 1e-12), `${actual} vs ${expected}`);

test('the real NB201 table (bench/data/nb201-hw360.csv): all 15625 cells, known rows of both accuracy / latency pairs', () => {
  const c100 = loadHw360Table(HW360, 'nb201-c100-pi5');
  assert.equal(c100.size, 15625);
  // NB201 index 9930, NAS-Bench-201's best CIFAR-100 cell (73.51 %)
  const best = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';
  near(c100.values(best, ['accuracy', 'latency_ms']), [0.73513, 11.4527]);
  const top = Math.max(...c100.archs().map((a) => c100.values(a, ['accuracy'])[0] as number));
  near([top], [0.73513]);
  // NB201 index 0 (cell 421211)
  const first = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';
  near(c100.values(first, ['accuracy', 'latency_ms']), [0.52913, 1.4877]);
  const nina = loadHw360Table(HW360, 'nb201-ninapro-pixel');
  assert.equal(nina.size, 15625);
  near(nina.values(first, ['accuracy', 'latency_ms']), [0.90744, 0.8622]);
  near(loadHw360Table(HW360, 'nb201-c100-pixel').values(best, ['accuracy', 'latency_ms']), [0.73513, 12.7415]);
});

test('the real NB201 table maps latencies by NB201 isomorphism: one latency per repeat class, several in some computation classes', () => {
  const classes = nb201RepeatClasses();
  const comp = nb201Classes();
  const t = loadHw360Table(HW360, 'nb201-c100-pi5');
  const px = loadHw360Table(HW360, 'nb201-ninapro-pixel');
  const lat = (i: number): string => {
    const a = formatNb201(classes.cells[i] as Nb201Cell);
    return `${t.values(a, ['latency_ms'])[0]}/${px.values(a, ['latency_ms'])[0]}`;
  };
  const spread = (classOf: Int32Array): number => {
    const byClass = new Map<number, Set<string>>();
    classes.cells.forEach((_, i) => {
      const k = classOf[i] as number;
      const s = byClass.get(k) ?? new Set<string>();
      s.add(lat(i));
      byClass.set(k, s);
    });
    return [...byClass.values()].filter((s) => s.size > 1).length;
  };
  assert.equal(spread(classes.classOf), 0);
  // The computation classes alone merge NB201 classes that HW-NAS-Bench-360 measured apart (e.g. NinaPro's top cell 6216, 033130).
  assert.ok(spread(comp.classOf) > 500, `${spread(comp.classOf)} computation classes with several latencies`);
});

test('cut-off NB201 cells: 341 of 15625, each with the constant accuracy in the real table; connectedCells drops exactly them', () => {
  const cut = enumerateNb201().filter((c) => nb201OutputCutOff(c));
  assert.equal(cut.length, 341);
  const t = loadHw360Table(HW360, 'nb201-c100-pi5');
  const accs = new Set(
    t
      .archs()
      .filter((a) => nb201OutputCutOff(t.space.parse(a) as string[]))
      .map((a) => t.values(a, ['accuracy'])[0]),
  );
  assert.deepEqual([...accs], [0.01]);
  assert.equal(connectedCells(t).size, 15625 - 341);
});

test('the real table loader names a bad cell, a bad number and a short table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw360-'));
  try {
    const head = '# source: test\nnb201_index,cell,acc_cifar100,acc_ninapro,pi5_litert_cifar100_ms,pixel_litert_ninapro_ms\n';
    const write = (body: string): string => {
      const p = join(dir, 't.csv');
      writeFileSync(p, head + body);
      return p;
    };
    assert.throws(() => loadHw360Table(write('0,42121x,52.9,90.7,1.4,0.8\n'), 'nb201-c100-pi5'), /cell '42121x' of NB201 index 0: expected 6 op indices 0-4/);
    assert.throws(() => loadHw360Table(write('0,421211,152.9,90.7,1.4,0.8\n'), 'nb201-c100-pi5'), /acc_cifar100 '152.9' of cell 421211/);
    assert.throws(() => loadHw360Table(write('0,421211,52.9,90.7,-1,0.8\n'), 'nb201-c100-pi5'), /pi5_litert_cifar100_ms '-1'/);
    assert.throws(() => loadHw360Table(write('0,421211,52.9,90.7,,0.8\n'), 'nb201-c100-pi5'), /pi5_litert_cifar100_ms '' of cell 421211/);
    assert.throws(() => loadHw360Table(write('0,421211,52.9,90.7,1.4,0.8\n'), 'nb201-c100-pi5'), /1 cells; expected all 15625/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Darcy Flow columns (session 31): the score as it is (not / 100), Pixel / Pi 5 latencies, Pi 5 energy as a third objective', () => {
  const px = loadHw360Table(HW360, 'nb201-darcy-pixel');
  const pi = loadHw360Table(HW360, 'nb201-darcy-pi5');
  const en = loadHw360Table(HW360, 'nb201-darcy-pi5-energy');
  assert.deepEqual(en.metrics, ['accuracy', 'latency_ms', 'energy_mj']);
  assert.deepEqual(px.metrics, ['accuracy', 'latency_ms']);
  assert.equal(hw360Objectives('nb201-darcy-pi5-energy'), 'accuracy:max,latency_ms:min,energy_mj:min');
  assert.equal(hw360Objectives('nb201-darcy-pixel'), 'accuracy:max,latency_ms:min');
  // NB201 index 0 (cell 421211) and the table's best Darcy cell, index 3976 (cell 423113)
  const first = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';
  near(px.values(first, ['accuracy', 'latency_ms']), [0.92918, 8.2449]);
  near(pi.values(first, ['accuracy', 'latency_ms']), [0.92918, 11.6079]);
  near(en.values(first, ['accuracy', 'latency_ms', 'energy_mj']), [0.92918, 36.9518, 42.9377]);
  const best = '|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|skip_connect~1|nor_conv_3x3~2|';
  near(en.values(best, ['accuracy', 'latency_ms', 'energy_mj']), [0.98481, 71.2306, 96.3768]);
  near([Math.max(...px.archs().map((a) => px.values(a, ['accuracy'])[0] as number))], [0.98481]);
  // cut-off cells: one constant score; some connected cells diverged below 0 (kept: the loader accepts [-1, 1])
  const cutScores = new Set(
    pi
      .archs()
      .filter((a) => nb201OutputCutOff(pi.space.parse(a) as string[]))
      .map((a) => pi.values(a, ['accuracy'])[0]),
  );
  assert.deepEqual([...cutScores], [0.7472]);
  assert.ok(Math.min(...pi.archs().map((a) => pi.values(a, ['accuracy'])[0] as number)) < 0);
});

test('the real table loader names a Darcy score outside [-1, 1] and a bad energy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw360-'));
  try {
    const head = '# source: test\nnb201_index,cell,darcy_score,pi5_torchmobile_darcy_ms,pi5_torchmobile_darcy_mj\n';
    const write = (body: string): string => {
      const p = join(dir, 't.csv');
      writeFileSync(p, head + body);
      return p;
    };
    assert.throws(
      () => loadHw360Table(write('0,421211,92.9,36.9,42.9\n'), 'nb201-darcy-pi5-energy'),
      /darcy_score '92.9' of cell 421211: expected a score in \[-1, 1\]/,
    );
    assert.throws(
      () => loadHw360Table(write('0,421211,0.93,36.9,-4\n'), 'nb201-darcy-pi5-energy'),
      /pi5_torchmobile_darcy_mj '-4' of cell 421211: expected an energy >= 0 in mJ/,
    );
    assert.throws(() => loadHw360Table(write('0,421211,0.93,36.9,\n'), 'nb201-darcy-pi5-energy'), /pi5_torchmobile_darcy_mj '' of cell 421211/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Optuna side of a 3-objective table problem: the directions of the job, each trial one row of the lookup (skipped without python3-optuna)', (t) => {
  const py = pythonWithOptuna();
  if (py === undefined) {
    t.skip('no python3 with optuna');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-cmp-3obj-'));
  try {
    // a 2-parameter toy table: objective 0 maximised, 1 and 2 minimised; the study's directions must follow the job
    const choices = ['a', 'b', 'c'];
    const lookup: Record<string, number[]> = {};
    for (const x of choices) for (const y of choices) lookup[`${x},${y}`] = [choices.indexOf(x) / 2, choices.indexOf(y) + 1, 3 - choices.indexOf(x)];
    writeFileSync(join(dir, 'table.json'), JSON.stringify({ names: ['p', 'q'], choices, lookup, directions: ['maximize', 'minimize', 'minimize'] }));
    writeFileSync(join(dir, 'cmp.py'), OPTUNA_SCRIPT);
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({ name: 'toy', problem: { kind: 'table', path: join(dir, 'table.json') }, samplers: ['random'], seeds: [1], budget: 15 }),
    );
    const r: SpawnSyncReturns<string> = spawnSync(py, [join(dir, 'cmp.py'), join(dir, 'job.json')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { runs: { values: number[][] }[] };
    const rows = new Set(Object.values(lookup).map((v) => v.join(',')));
    assert.equal(out.runs[0]?.values.length, 15);
    for (const v of out.runs[0]?.values ?? []) assert.ok(v.length === 3 && rows.has(v.join(',')), `${v}`);
    // a job whose directions count differs from the values is an Optuna error, not a silent 2-objective study
    writeFileSync(join(dir, 'table.json'), JSON.stringify({ names: ['p', 'q'], choices, lookup, directions: ['maximize', 'minimize'] }));
    const bad = spawnSync(py, [join(dir, 'cmp.py'), join(dir, 'job.json')], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /has 3 values; expected one per direction \(2\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('classMeanAccuracy: one accuracy per repeat class, the mean of its cells; NinaPro top cell 6216 drops to its class mean', () => {
  const t = loadHw360Table(HW360, 'nb201-ninapro-pixel');
  const m = classMeanAccuracy(t);
  const rc = nb201RepeatClasses();
  const accs = new Map<number, number[]>();
  const means = new Map<number, Set<number>>();
  rc.cells.forEach((c, i) => {
    const a = formatNb201(c);
    const k = rc.classOf[i] as number;
    accs.set(k, [...(accs.get(k) ?? []), t.values(a, ['accuracy'])[0] as number]);
    means.set(k, (means.get(k) ?? new Set()).add(m.values(a, ['accuracy'])[0] as number));
  });
  for (const [k, s] of means) {
    assert.equal(s.size, 1, `class ${k}`);
    const xs = accs.get(k) as number[];
    assert.ok(Math.abs(([...s][0] as number) - xs.reduce((p, q) => p + q, 0) / xs.length) < 1e-12);
  }
  const top = '|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|';
  near(t.values(top, ['accuracy', 'latency_ms']), [0.9393, 0.3524]);
  const [acc, lat] = m.values(top, ['accuracy', 'latency_ms']) as [number, number];
  assert.ok(acc < 0.93 && acc > 0.92, `${acc}`);
  assert.equal(lat, 0.3524);
});

test('the session-32 table (bench/data/nb201-c10-in16.csv): CIFAR-10 / ImageNet16-120 accuracies, Pi 5 ONNX / PyTorch Mobile figures, same cells as nb201-hw360.csv', () => {
  assert.ok(hw360File('nb201-c10-pi5onnx').endsWith(join('bench', 'data', 'nb201-c10-in16.csv')));
  assert.ok(hw360File('nb201-darcy-pi5').endsWith(join('bench', 'data', 'nb201-hw360.csv')));
  const onnx = loadHw360Table(hw360File('nb201-c10-pi5onnx'), 'nb201-c10-pi5onnx');
  const in16 = loadHw360Table(hw360File('nb201-in16-pi5torch'), 'nb201-in16-pi5torch');
  const en = loadHw360Table(hw360File('nb201-c10-pi5torch-energy'), 'nb201-c10-pi5torch-energy');
  assert.equal(hw360Objectives('nb201-c10-pi5torch-energy'), 'accuracy:max,latency_ms:min,energy_mj:min');
  // NB201 index 0 (cell 421211) and NB201's best CIFAR-10 cell after 12 epochs, index 5374 (cell 323103, 89.16%)
  const first = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';
  near(onnx.values(first, ['accuracy', 'latency_ms']), [0.6955, 1.8305]);
  near(in16.values(first, ['accuracy', 'latency_ms']), [0.17, 5.1131]);
  near(en.values(first, ['accuracy', 'latency_ms', 'energy_mj']), [0.6955, 5.1131, 6.2888]);
  const best = formatNb201(['nor_conv_3x3', 'nor_conv_1x1', 'nor_conv_3x3', 'skip_connect', 'none', 'nor_conv_3x3']);
  near([Math.max(...onnx.archs().map((a) => onnx.values(a, ['accuracy'])[0] as number))], [0.8916]);
  near(onnx.values(best, ['accuracy']), [0.8916]);
  // every row's cell equals nb201-hw360.csv's cell of the same NB201 index (the tables join on the index)
  const cells = (f: string): string[] =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => /^\d/.test(l))
      .map((l) => l.split(',').slice(0, 2).join(','));
  assert.deepEqual(cells(hw360File('nb201-c10-pi5onnx')), cells(hw360File('nb201-c100-pi5')));
});

test('method labels: ~key=value options on the strategy and on the pre-screen suffix, over a named label; a bad pair is named', () => {
  assert.deepEqual(strategySpec('tpe~endEvery=4~endObjectives=first'), ['tpe', { endEvery: 4, endObjectives: 'first' }, undefined]);
  // a named label's options, then the label's own on top
  assert.deepEqual(strategySpec('tpe-endn~endEvery=5'), ['tpe', { endEvery: 5, endProposal: 'neighbours' }, undefined]);
  assert.deepEqual(strategySpec('tpe-uni~gamma=0.2~skipSeen=false'), ['tpe', { multivariate: false, gamma: 0.2, skipSeen: false }, undefined]);
  const [name, opts, screen] = strategySpec('tpe~endEvery=3+ehvi5~endRadius=3~endEvery=6');
  assert.equal(name, 'tpe');
  assert.deepEqual(opts, { endEvery: 3 });
  assert.deepEqual(screen, { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endRadius: 3, endEvery: 6 });
  assert.deepEqual(strategySpec('tpe+ehvi5'), ['tpe', {}, { costAware: true, acquisition: 'ehvi', ehviShare: 0.5 }]);
  assert.throws(() => strategySpec('tpe~endEvery'), /option '~endEvery': expected ~key=value/);
  assert.throws(() => strategySpec('tpe~end=a=b'), /option '~end=a=b'/);
  // a key may name one option of a part (auto's sides) or of a part's part (a portfolio side's member): 'small.x' and
  // 'mid.second.x' pass, 'a.b.c.d' and '.x' do not
  assert.deepEqual(strategySpec('auto~small.frontLocalEvery=2~large.mutationProb=0.5'), [
    'auto',
    { 'small.frontLocalEvery': 2, 'large.mutationProb': 0.5 },
    undefined,
  ]);
  assert.deepEqual(strategySpec('auto~mid=portfolio~midClassSize=2.3~mid.second.populationSize=30'), [
    'auto',
    { mid: 'portfolio', midClassSize: 2.3, 'mid.second.populationSize': 30 },
    undefined,
  ]);
  assert.throws(() => strategySpec('auto~mid.second.nsga2.populationSize=30'), /option '~mid.second.nsga2.populationSize=30': expected ~key=value/);
  assert.throws(() => strategySpec('auto~.gamma=0.2'), /option '~.gamma=0.2'/);
  assert.throws(() => strategySpec('tpe+nosuch~x=1'), /unknown suffix '\+nosuch'/);
});

test('--trials-out: one JSON line per hwnas run, its values those the share was computed from', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-cmp-trials-'));
  try {
    const out = join(dir, 'trials.jsonl');
    const res = await benchCompareOptuna({ budget: 20, seeds: [1, 2], problems: ['zdt1'], strategies: ['random', 'tpe'], optuna: false, trialsOut: out });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const runs = lines.map((l) => JSON.parse(l) as { problem: string; method: string; seed: number; budget: number; share: number; values: number[][] });
    assert.deepEqual(
      runs.map((r) => [r.problem, r.method, r.seed, r.budget, r.values.length]),
      [
        ['zdt1', 'hwnas random', 1, 20, 20],
        ['zdt1', 'hwnas random', 2, 20, 20],
        ['zdt1', 'hwnas tpe', 1, 20, 20],
        ['zdt1', 'hwnas tpe', 2, 20, 20],
      ],
    );
    const problem = syntheticProblem('zdt1', 6);
    for (const r of runs) {
      const row = res.rows.find((x) => x.method === r.method);
      assert.equal(r.share, row?.ratios[r.seed - 1], `${r.method} seed ${r.seed}: the share of the table row`);
      assert.ok(Math.abs(problem.ratio(r.values) - r.share) < 1e-12, 'the values give the share');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--trials-out on a table problem: first its true front (non-dominated, no run beats it), then the runs; a sameCost label gets the free costs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-cmp-front-'));
  try {
    const out = join(dir, 'trials.jsonl');
    await benchCompareOptuna({
      budget: 20,
      seeds: [1],
      problems: ['nb201-fmnist'],
      strategies: ['tpe~sameCostEvery=2~sameCostFrom=12'],
      optuna: false,
      trialsOut: out,
    });
    const [head, ...rest] = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { problem: string; trueFront?: number[][]; values?: number[][] });
    const front = head?.trueFront ?? [];
    assert.equal(head?.problem, 'nb201-fmnist');
    assert.ok(front.length >= 2, `${front.length} true-front vectors`);
    // accuracy max, latency min: a dominates b
    const dominates = (a: number[], b: number[]): boolean =>
      (a[0] as number) >= (b[0] as number) &&
      (a[1] as number) <= (b[1] as number) &&
      ((a[0] as number) > (b[0] as number) || (a[1] as number) < (b[1] as number));
    for (const f of front) assert.ok(!front.some((g) => dominates(g, f)), `true-front vector ${f} is dominated within the front`);
    assert.equal(rest.length, 1);
    assert.equal(rest[0]?.values?.length, 20);
    for (const v of rest[0]?.values ?? []) assert.ok(!front.some((f) => dominates(v, f)), `run vector ${v} dominates a true-front vector`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every NB201 problem has a -classmean diagnostic: same objectives, class-mean accuracies, a share of its own', async () => {
  const problems = ['nb201-c100-eyeriss-energy', 'nb201-c100-eyeriss-energy-classmean'];
  const res = await benchCompareOptuna({ budget: 20, seeds: [3], problems, strategies: ['random'], optuna: false });
  const [plain, cm] = problems.map((p) => res.rows.find((r) => r.problem === p));
  assert.ok(plain && cm, 'a row per problem');
  assert.match(res.problems['nb201-c100-eyeriss-energy-classmean'] as string, /^diagnostic: nb201-c100-eyeriss-energy with each repeat class mean accuracy/);
  // the same 20 cells (same seed, same space), scored against another table: the shares differ
  assert.notEqual(cm.ratios[0], plain.ratios[0]);
  await assert.rejects(benchCompareOptuna({ problems: ['nb201-c100-unknown-classmean'], optuna: false }), /nb201-c100-unknown-classmean/);
});

test('the command line: --help prints the usage (no run), an unknown argument or a flag without its value exits 2 naming it', () => {
  const cli = ['dist/bench/compare-optuna.js'];
  const help = spawnSync(process.execPath, [...cli, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.equal(help.stdout.trim(), COMPARE_USAGE);
  assert.equal(help.stderr, '');
  for (const [args, want] of [
    [['--problem', 'zdt1'], /argument '--problem': expected one of --problems, .*--json, --no-optuna/],
    [['--problems', 'zdt1', 'extra'], /argument 'extra': expected one of/],
    [['--no-optuna', '--seeds'], /--seeds: expected a value after it/],
    [['--budget', '--json'], /--budget: expected a value after it/],
  ] as const) {
    const r = spawnSync(process.execPath, [...cli, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    assert.equal(r.stdout, '');
  }
  assert.equal(compareArgsError(['--problems', 'zdt1', '--strategies', 'tpe', '--json', '--no-optuna', '--budget', '10']), undefined);
});
