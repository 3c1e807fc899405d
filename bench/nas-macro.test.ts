import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { graphTotals } from '../src/ir/workload.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { runNas } from '../src/nas/run.js';
import { nasStrategyConfig } from '../src/nas/strategy-config.js';
import { computationKey, distinctComputations, tabularEvaluator } from '../src/nas/tabular.js';
import { createStrategy } from '../src/search/registry.js';
import type { ArchSpace } from '../src/search/spaces/types.js';
import { benchCompareOptuna, MACRO_PROBLEMS, macroFile } from './compare-optuna.js';
import { enumerateMacro, loadMacroTable, MACRO_CHOICES, macroGraph, macroRealArch, macroSpace } from './nas-macro.js';

const TEXT = readFileSync(macroFile(), 'utf8');
const rows = TEXT.split('\n').filter((l) => /^[012]{8},/.test(l));
const EDGE = MACRO_PROBLEMS['macro-c10-edgetpu'];
const EYERISS = MACRO_PROBLEMS['macro-c10-eyeriss-energy'];

test("NAS-Bench-Macro classes: the benchmark's identity-to-the-end rule, 3,969 classes, equal graphs within a class, different across", () => {
  assert.equal(macroRealArch('02012100'), '02012100');
  assert.equal(macroRealArch('00102010'), '00120010');
  assert.equal(macroRealArch('10020201'), '10020210');
  const all = enumerateMacro();
  assert.equal(all.length, 6561);
  assert.equal(all[5], '00000012');
  const classes = new Map<string, string>();
  for (const a of all) {
    const c = macroRealArch(a);
    const k = computationKey(macroGraph(a));
    const prev = classes.get(c);
    if (prev === undefined) classes.set(c, k);
    else assert.equal(k, prev, `${a} computes another network than its class ${c}`);
  }
  assert.equal(classes.size, 3969);
  assert.equal(new Set(classes.values()).size, 3969);
});

test("the IR graph is the benchmark's network: its MACs and parameters equal the published FLOPs and parameters", () => {
  assert.equal(rows.length, 6561);
  for (const line of rows) {
    const [arch, , , , , , params, flops] = line.split(',') as string[];
    const t = graphTotals(macroGraph(arch as string));
    assert.equal(t.macs, Number(flops), arch);
    assert.equal(t.params, Number(params), arch);
  }
  // a stage-first identity is a 1x1 stride-2 conv (the only layers of the all-identity net besides stem, head and fc)
  const g = macroGraph('00000000');
  assert.deepEqual(
    g.nodes.filter((n) => n.op === 'conv2d').map((n) => n.name),
    ['stem', 'l1_down', 'l3_down', 'l6_down', 'head'],
  );
});

test('the space: params round-trip, every parameter has the three choices, a bad string is refused naming it', () => {
  const s = macroSpace();
  for (const a of ['02012100', '22222222', '00000000']) assert.equal(s.fromParams(s.toParams(a)), a);
  assert.deepEqual(s.space.spec('l8'), { kind: 'categorical', choices: [...MACRO_CHOICES] });
  assert.equal(s.isomorphismKey?.('00102010'), '00120010');
  assert.throws(() => s.parse('0201210'), /'0201210': expected 8 digits 0-2/);
  assert.throws(() => s.parse('02012103'), /'02012103'/);
});

test('the table loader: known rows, the best architecture, 3 objectives with energy', () => {
  const t = loadMacroTable(macroFile(), EDGE);
  assert.equal(t.size, 6561);
  assert.deepEqual(t.values('00000000', ['accuracy']), [0.453633]);
  const best = t.archs().reduce((b, a) => ((t.values(a, ['accuracy'])[0] as number) > (t.values(b, ['accuracy'])[0] as number) ? a : b));
  assert.ok(Math.abs((t.values(best, ['accuracy'])[0] as number) - 0.931267) < 1e-9, best);
  // members of a class share the class's row
  assert.deepEqual(t.values('00000001', ['accuracy', 'latency_ms']), t.values('00000010', ['accuracy', 'latency_ms']));
  const e = loadMacroTable(macroFile(), EYERISS);
  assert.deepEqual(e.metrics, ['accuracy', 'latency_ms', 'energy_mj']);
  const [, lat, en] = e.values('22222222', e.metrics) as [number, number, number];
  assert.ok(lat > 1 && en > 0 && en !== lat);
});

test('the table loader names a bad architecture, a repeat, a wrong class, a bad accuracy or cost, a split class and a short table', () => {
  const head = TEXT.split('\n')
    .filter((l) => !/^[012]/.test(l) && l !== '')
    .join('\n');
  const body = rows.join('\n');
  const bad = (from: string, to: string, re: RegExp): void => {
    assert.ok(body.includes(from), from);
    assert.throws(() => loadMacroTable('t.csv', EDGE, `${head}\n${body.replace(from, to)}\n`), re);
  };
  bad('\n00000002,00000020,', '\n0000002,00000020,', /arch '0000002': expected 8 digits 0-2/);
  bad('\n00000002,00000020,', '\n00000001,00000010,', /arch 00000001 appears twice/);
  bad('\n00000002,00000020,', '\n00000002,00000002,', /class '00000002' of arch 00000002: expected 00000020/);
  bad(
    '\n00000011,00000011,67.86,67.45,67.76,67.6900,',
    '\n00000011,00000011,67.86,67.45,67.76,167.6900,',
    /acc_mean '167.6900' of arch 00000011: expected a percentage/,
  );
  const r10 = rows.find((l) => l.startsWith('00000010,')) as string;
  const f = r10.split(',');
  f[10] = 'x';
  bad(r10, f.join(','), /edgetpu_int8_ms 'x' of arch 00000010: expected a finite number >= 0/);
  f[10] = '0.5';
  bad(r10, f.join(','), /arch 00000010 has .* but other members of class 00000010 have/);
  assert.throws(() => loadMacroTable('t.csv', EDGE, `${head}\n${rows.slice(0, 100).join('\n')}\n`), /100 architectures; expected all 6561/);
});

test('a macro problem runs both sides on its table; hwnas (as `hwnas nas --table`) never asks for a second member of a class', async () => {
  const t = loadMacroTable(macroFile(), EDGE);
  const space = macroSpace() as ArchSpace;
  const objectives = parseObjectives('accuracy:max,latency_ms:min');
  // the registry's repeat filter looks spaces up by name; the bench applies it directly (as compare-optuna does)
  const config = await nasStrategyConfig('random', space, { budget: 200, seed: 0 });
  assert.equal(config.name, 'distinct');
  const inner = config.options.inner as { name: string; options: Record<string, unknown> };
  const strategy = distinctComputations(createStrategy(inner.name, inner.options), space);
  const r = await runNas({ space, objectives, strategy, evaluate: tabularEvaluator(t, objectives), budget: 200, seed: 0 });
  const classes = r.trials.map((x) => macroRealArch(x.arch));
  assert.equal(r.trials.length, 200);
  assert.equal(new Set(classes).size, 200);
  // the bench's problem: both sides give a share in (0, 1] (Optuna's part only where python3-optuna is installed)
  const res = await benchCompareOptuna({ budget: 20, seeds: [0], problems: ['macro-c10-edgetpu'], strategies: ['random'], samplers: ['random'] });
  for (const row of res.rows) assert.ok((row.ratios[0] as number) > 0 && (row.ratios[0] as number) <= 1 + 1e-9, `${row.method}`);
  assert.ok(res.rows.some((x) => x.method === 'hwnas random'));
});
