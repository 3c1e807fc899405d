/**
 * The session-45 (table22) problems of bench/compare-optuna.ts, pre-registered in bench/data/table22-prereg.md: new
 * pairings of committed tables (3 objectives allowed), drawn by the rule of bench/table22.ts. The draw gives the five
 * registered problems with their columns and fronts; the NB201 pair loader joins two single-latency loads; the nested
 * check reaches across objective counts and families. No search runs here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import {
  hw360File,
  loadHw360PairTable,
  loadHw360Table,
  TABLE22_ECNAS_HW_PROBLEMS,
  TABLE22_HW360_PAIR_PROBLEMS,
  TABLE22_NBG_PROBLEMS,
  TABLE22_TNB_PROBLEMS,
} from './compare-optuna.js';
import { assertDrawRegistered, assertRegistered, type RegisteredProblems } from './prereg-checks.js';
import type { FrontSummary } from './table21.js';
import { TABLE22_SEED, TABLE22_SLOTS, table22Candidates, table22Draw, table22Universe, table22UsedProblems } from './table22.js';

/** The five problems in the pre-registered (slot) order, with the family object each is registered in. */
const REGISTERED: RegisteredProblems = [
  ['ecnas-predict-bitfusion', TABLE22_ECNAS_HW_PROBLEMS],
  ['ecnas-a76-bitfusion-energy', TABLE22_ECNAS_HW_PROBLEMS],
  ['nbg-arxiv-latency-params', TABLE22_NBG_PROBLEMS],
  ['tnb-scene-bitfusion', TABLE22_TNB_PROBLEMS],
  ['nb201-c10-help-titanx-32-titanxp-1', TABLE22_HW360_PAIR_PROBLEMS],
];
/** The fronts the pre-registration states (distinct vectors), in its order. */
const FRONTS = [16, 23, 106, 21, 38];

test('the session-45 problems are registered: an unknown name is refused with a list that names all five', async () => {
  await assertRegistered(REGISTERED, 'table22-unknown');
});

test('the universe: 60 EC-NAS, 9 NAS-Bench-Graph, 224 TransNAS micro, 1053 NB201 x HELP pairs; used ones left out', () => {
  const all = table22Candidates();
  assert.equal(new Set(all.map((c) => c.name)).size, all.length);
  const uni = table22Universe();
  assert.deepEqual(
    (['ecnas', 'nbg', 'tnb', 'nb201'] as const).map((f) => [all.filter((c) => c.family === f).length, uni.filter((c) => c.family === f).length]),
    [
      [60, 57],
      [9, 3],
      [224, 212],
      [1053, 1053],
    ],
  );
  assert.ok(!uni.some((c) => c.name === 'ecnas-kwh-params'), 'ecnas-energy-params (session 38) has these columns');
});

test('the draw gives the five registered problems with the fronts of the pre-registration, each first draw', () => {
  const draw = table22Draw();
  assert.equal(draw.length, TABLE22_SLOTS.length);
  assertDrawRegistered(draw, REGISTERED);
  assert.deepEqual(
    draw.map((d) => d.tried.map((t) => t.vectors)),
    FRONTS.map((f) => [f]),
  );
});

test('the NB201 pair loader: the two single-latency loads joined by cell; an energy column refused', () => {
  const spec = TABLE22_HW360_PAIR_PROBLEMS['nb201-c10-help-titanx-32-titanxp-1'];
  assert.ok(spec);
  const t = loadHw360PairTable(spec);
  const a = loadHw360Table(hw360File(spec), spec);
  const b = loadHw360Table(hw360File(spec), { ...spec, latency: spec.latency2 });
  assert.equal(t.size, 15625);
  for (const arch of a.archs().filter((_, i) => i % 997 === 0))
    assert.deepEqual(t.values(arch, ['accuracy', 'latency_ms', 'latency2_ms']), [
      ...a.values(arch, ['accuracy', 'latency_ms']),
      ...b.values(arch, ['latency_ms']),
    ]);
  assert.throws(
    () => loadHw360PairTable({ ...spec, energy: 'help_fpga_ms' }),
    (e: Error) => e instanceof ConfigError && /energy 'help_fpga_ms'/.test(e.message),
  );
});

test('small and nested fronts are redrawn (a 3-objective candidate nested in a used 2-objective problem); a slot whose pool runs out stays empty', () => {
  const used = new Set(table22UsedProblems().map((p) => p.name));
  let id = 1;
  // every used problem's front holds accuracy 0; candidates whose name has '-bitfusion' too (nested), '-a76' ones are small
  const fake = (p: { readonly name: string }): FrontSummary => {
    if (used.has(p.name)) return { vectors: 9, accuracies: new Set([0]) };
    if (p.name.includes('-a76')) return { vectors: 4, accuracies: new Set([id++]) };
    if (p.name.includes('-bitfusion')) return { vectors: 9, accuracies: new Set([0]) };
    return { vectors: 9, accuracies: new Set([id++]) };
  };
  const draw = table22Draw(TABLE22_SEED, 5, fake);
  for (const d of draw) {
    assert.ok(d.chosen, JSON.stringify(d.slot));
    assert.ok(!d.chosen.name.includes('-a76'), d.chosen.name);
    for (const t of d.tried.slice(0, -1)) assert.ok(t.rejected, t.name);
    for (const t of d.tried) if (t.name.includes('-a76')) assert.deepEqual(t.rejected, { reason: 'small', vectors: 4 });
  }
  // slot 1 (EC-NAS, 3 objectives) first drew ecnas-predict-bitfusion: nested in a used EC-NAS problem (the first, 2 objectives)
  assert.deepEqual(draw[0]?.tried[0], { name: 'ecnas-predict-bitfusion', vectors: 9, rejected: { reason: 'nested', in: 'ecnas-energy' } });
  for (const d of table22Draw(TABLE22_SEED, 1000, fake)) {
    assert.equal(d.chosen, undefined);
    assert.equal(d.tried.length, d.pool);
  }
});
