/**
 * The session-44 (table21) problems of bench/compare-optuna.ts, pre-registered in bench/data/table21-prereg.md: NB201's
 * accuracies with HELP's latencies, drawn by the rule of bench/table21.ts. The draw gives the four registered problems
 * with their columns and fronts; the nested-front check finds table20's `ecnas-myriadx` inside `ecnas-edgetpu`; small or
 * nested fronts are redrawn and a slot whose pool runs out stays empty. No search runs here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchCompareOptuna, ECNAS_HW_PROBLEMS, TABLE20_ECNAS_HW_PROBLEMS, TABLE21_HW360_PROBLEMS } from './compare-optuna.js';
import { specKey } from './table20.js';
import {
  type FrontSummary,
  frontSummary,
  helpColumns,
  nestedIn,
  TABLE21_SEED,
  TABLE21_SLOTS,
  type Table21Family,
  table21Candidates,
  table21Draw,
  table21Universe,
  usedProblems,
} from './table21.js';

const PROBLEMS = Object.keys(TABLE21_HW360_PROBLEMS);
/** The fronts the pre-registration states (distinct vectors), in its order. */
const FRONTS = [35, 23, 15, 30];

test('the session-44 problems are registered: an unknown name is refused with a list that names all four', async () => {
  await assert.rejects(benchCompareOptuna({ problems: ['table21-unknown'], optuna: false }), (e: Error) => {
    assert.match(e.message, /unknown problem 'table21-unknown'; expected one of/);
    for (const p of PROBLEMS) assert.ok(e.message.includes(p), p);
    return true;
  });
});

test('the universe: 3 NB201 accuracies x 27 HELP latencies and table20s 2-objective EC-NAS / NAS-Bench-Graph ones', () => {
  assert.equal(helpColumns().length, 27);
  const all = table21Candidates();
  assert.equal(new Set(all.map((c) => c.name)).size, all.length);
  assert.equal(all.length, 81 + 8 + 9);
  assert.ok(all.every((c) => c.objectives === 2));
  const uni = table21Universe();
  assert.deepEqual(
    (['nb201', 'ecnas', 'nbg'] as const).map((f) => uni.filter((c) => c.family === f).length),
    [81, 5, 3],
  );
});

test('the draw gives the four registered problems with the fronts of the pre-registration; the failing-space slots stay empty, every candidate nested', () => {
  const draw = table21Draw();
  assert.equal(draw.length, TABLE21_SLOTS.length);
  const chosen = draw.flatMap((d) => (d.chosen ? [d.chosen] : []));
  assert.deepEqual(
    chosen.map((c) => c.name),
    PROBLEMS,
  );
  assert.deepEqual(
    draw.slice(0, 4).map((d) => d.tried.map((t) => t.vectors)),
    FRONTS.map((f) => [f]),
  );
  for (const c of chosen) {
    const reg = TABLE21_HW360_PROBLEMS[c.name];
    assert.ok(reg, c.name);
    assert.equal(specKey('nb201', reg), specKey('nb201', c.spec), c.name);
    assert.equal(reg.costFile, c.spec.costFile);
    assert.equal(reg.file, c.spec.file);
  }
  for (const d of draw.slice(4)) {
    assert.equal(d.chosen, undefined);
    assert.equal(d.tried.length, d.pool);
    assert.ok(d.tried.every((t) => t.rejected?.reason === 'nested'));
  }
});

test('the nested-front check: table20s ecnas-myriadx lies inside ecnas-edgetpu, not the other way round', () => {
  const m = frontSummary('ecnas', TABLE20_ECNAS_HW_PROBLEMS['ecnas-myriadx'], 'ecnas-myriadx');
  const e = frontSummary('ecnas', ECNAS_HW_PROBLEMS['ecnas-edgetpu'], 'ecnas-edgetpu');
  assert.equal(m.vectors, 9);
  assert.ok(nestedIn(m, e));
  assert.ok(!nestedIn(e, m));
});

test('small and nested fronts are redrawn; a slot whose pool runs out stays empty', () => {
  const used = new Set(usedProblems().map((p) => p.name));
  let id = 1;
  const fake = (_f: Table21Family, _s: unknown, name: string): FrontSummary => {
    if (used.has(name)) return { vectors: 9, accuracies: new Set([0]) };
    if (name.includes('-titanxp-')) return { vectors: 4, accuracies: new Set([id++]) };
    if (name.includes('-1080ti-')) return { vectors: 9, accuracies: new Set([0]) };
    return { vectors: 9, accuracies: new Set([id++]) };
  };
  const draw = table21Draw(TABLE21_SEED, 5, fake);
  for (const d of draw) {
    assert.ok(d.chosen, JSON.stringify(d.slot));
    assert.ok(!/-titanxp-|-1080ti-/.test(d.chosen.name), d.chosen.name);
    for (const t of d.tried.slice(0, -1)) {
      if (t.name.includes('-titanxp-')) assert.deepEqual(t.rejected, { reason: 'small', vectors: 4 });
      else assert.equal(t.rejected?.reason, 'nested', t.name);
    }
  }
  assert.ok(draw.some((d) => d.tried.length > 1));
  const none = table21Draw(TABLE21_SEED, 1000, fake);
  for (const d of none) {
    assert.equal(d.chosen, undefined);
    assert.equal(d.tried.length, d.pool);
  }
});
