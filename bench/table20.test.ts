/**
 * The session-43 (table20) problems of bench/compare-optuna.ts, pre-registered in bench/data/table20-prereg.md: new
 * pairings of the committed tables, drawn by the rule of bench/table20.ts. The draw gives the six registered problems
 * with their columns, each loads through its family's loader, and its true front is the one the pre-registration
 * states. No search runs here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchCompareOptuna } from './compare-optuna.js';
import { allCandidates, candidateKey, registeredSpecKey, TABLE20_PROBLEMS, type Table20Candidate, table20Draw, table20Universe, usedKeys } from './table20.js';

/** The fronts the pre-registration states (distinct vectors), in its order. */
const FRONTS = [9, 12, 58, 19, 16, 81];

test('the session-43 problems are registered: an unknown name is refused with a list that names all six', async () => {
  await assert.rejects(benchCompareOptuna({ problems: ['table20-unknown'], optuna: false }), (e: Error) => {
    assert.match(e.message, /unknown problem 'table20-unknown'; expected one of/);
    for (const p of TABLE20_PROBLEMS) assert.ok(e.message.includes(p), p);
    return true;
  });
});

test('the universe: candidate names are unique; the used set is the problems before this session, none of them a candidate left', () => {
  const all = allCandidates();
  assert.equal(new Set(all.map((c) => c.name)).size, all.length);
  assert.equal(all.length, 32 + 18 + 224 + 96 + 32);
  const uni = table20Universe();
  const used = usedKeys();
  assert.ok(uni.every((c) => !used.has(candidateKey(c))));
  // every earlier problem of these families is one used key (ecnas-bitfusion-energy and ecnas-eyeriss-energy are
  // energy-only, outside the universe, but still used keys)
  assert.equal(all.length - uni.length, 3 + 11 + 11 + 5 + 6);
  for (const p of TABLE20_PROBLEMS)
    assert.ok(
      uni.some((c) => c.name === p),
      p,
    );
});

test('the draw gives the six registered problems, with their columns and the fronts of the pre-registration', () => {
  const draw = table20Draw();
  assert.deepEqual(
    draw.map((d) => d.chosen.name),
    [...TABLE20_PROBLEMS],
  );
  assert.deepEqual(
    draw.map((d) => d.tried.map((t) => t.front)),
    FRONTS.map((f) => [f]),
  );
  for (const d of draw) assert.equal(registeredSpecKey(d.chosen.family, d.chosen.name), candidateKey(d.chosen), d.chosen.name);
});

test('a drawn candidate with a small front is replaced by the next draw of its slot', () => {
  const seen: string[] = [];
  const draw = table20Draw(20261206, 5, (c: Table20Candidate) => {
    seen.push(c.name);
    return seen.length % 2 === 1 ? 4 : 5;
  });
  for (const d of draw) {
    assert.equal(d.tried.length, 2, d.chosen.name);
    assert.equal(d.tried[0]?.front, 4);
    assert.equal(d.chosen.name, d.tried[1]?.name);
  }
  assert.throws(() => table20Draw(1, 1000, () => 0), /no candidate with a front of >= 1000 vectors/);
});
