/**
 * `hant-ilp` against an exhaustive oracle on small synthetic alternative tables (no training): trial 0
 * is the ILP optimum, further trials are the feasible choices in order of summed loss; plus the
 * conformance suite of every strategy and its registration by name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStrategy } from '../../search/registry.js';
import { runTrials } from '../../search/testing/run-trials.js';
import { strategyConformance } from '../../search/testing/strategy-conformance.js';
import type { Objective, Params } from '../../search/types.js';
import { Rng } from '../../util/rng.js';
import { HantIlp, type HantIlpOptions, hantSpace, parseHantIlpOptions } from './hant-ilp.js';
import './index.js';

/** A synthetic table: `units` units of `alts` alternatives; alternative 0 is the teacher (loss 0, slowest). */
function table(seed: number, units: number, alts: number, budgetRatio: number): HantIlpOptions {
  const rng = new Rng(seed);
  const us = Array.from({ length: units }, (_, i) => {
    const teacherMs = 1 + rng.next() * 4;
    return {
      name: `u${i}`,
      alternatives: Array.from({ length: alts }, (_, j) =>
        j === 0
          ? { name: 'teacher', latencyMs: teacherMs, loss: 0 }
          : { name: `alt${j}`, latencyMs: teacherMs * (0.2 + 0.8 * rng.next()), loss: 0.05 + rng.next() },
      ),
    };
  });
  const fixedMs = 0.5;
  const full = fixedMs + us.reduce((s, u) => s + (u.alternatives[0]?.latencyMs ?? 0), 0);
  return { budgetMs: budgetRatio * full, fixedMs, units: us };
}

const objectives: readonly Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
];

/** Summed loss and latency of a point of the table's space. */
function measure(o: HantIlpOptions, p: Params): { loss: number; latencyMs: number } {
  let loss = 0;
  let latencyMs = o.fixedMs;
  for (const u of o.units) {
    const a = u.alternatives.find((x) => x.name === p[u.name]);
    assert.ok(a, `unit ${u.name}: ${JSON.stringify(p[u.name])}`);
    loss += a.loss;
    latencyMs += a.latencyMs;
  }
  return { loss, latencyMs };
}

/** Every feasible choice, by summed loss (the oracle). */
function exhaustive(o: HantIlpOptions): { key: string; loss: number }[] {
  const out: { key: string; loss: number }[] = [];
  const rec = (i: number, names: string[], loss: number, ms: number): void => {
    if (i === o.units.length) {
      if (ms <= o.budgetMs * (1 + 1e-9)) out.push({ key: JSON.stringify(names), loss });
      return;
    }
    for (const a of o.units[i]?.alternatives ?? []) rec(i + 1, [...names, a.name], loss + a.loss, ms + a.latencyMs);
  };
  rec(0, [], 0, o.fixedMs);
  return out.sort((a, b) => a.loss - b.loss);
}

const conformanceTable = table(7, 4, 6, 0.7);
strategyConformance('hant-ilp', () => new HantIlp(conformanceTable), {
  nTrials: 24,
  seedIndependent: true,
  problem: {
    space: hantSpace(conformanceTable),
    objectives,
    evaluate: (p) => {
      const m = measure(conformanceTable, p);
      return { values: [1 - m.loss / 4, m.latencyMs], constraints: [m.latencyMs - conformanceTable.budgetMs] };
    },
  },
});

test('hant-ilp: trials are the feasible choices in order of summed loss (exhaustive oracle), then the optimum again', async () => {
  for (const [seed, ratio] of [
    [1, 0.6],
    [2, 0.75],
    [3, 0.7],
  ] as const) {
    const o = table(seed, 3, 5, ratio);
    const oracle = exhaustive(o);
    assert.ok(oracle.length >= 3 && oracle.length < 125, `seed ${seed}: ${oracle.length} feasible choices`);
    const n = oracle.length + 2;
    const trials = await runTrials({ strategy: new HantIlp(o), space: hantSpace(o), objectives, evaluate: () => ({ values: [0, 0] }), nTrials: n, seed: 0 });
    const got = trials.map((t) => measure(o, t.params));
    for (const g of got) assert.ok(g.latencyMs <= o.budgetMs * (1 + 1e-9), `feasible: ${g.latencyMs} <= ${o.budgetMs}`);
    const keys = trials.map((t) => JSON.stringify(o.units.map((u) => t.params[u.name])));
    assert.equal(new Set(keys.slice(0, oracle.length)).size, oracle.length, 'no choice twice before all are tried');
    assert.deepEqual(new Set(keys.slice(0, oracle.length)), new Set(oracle.map((x) => x.key)), 'every feasible choice is proposed');
    for (const [k, g] of got.slice(0, oracle.length).entries())
      assert.ok(Math.abs(g.loss - (oracle[k]?.loss as number)) < 1e-9, `seed ${seed} trial ${k}: loss ${g.loss} vs the ${k}-th best ${oracle[k]?.loss}`);
    assert.equal(keys[oracle.length], keys[0], 'after the last feasible choice, the optimum again');
  }
});

test('hant-ilp: registered by name with JSON options; bad options are named', async () => {
  const o = table(4, 3, 4, 0.8);
  const s = createStrategy('hant-ilp', o as unknown as Record<string, unknown>);
  assert.equal(s.name, 'hant-ilp');
  const p = await s.ask({ space: hantSpace(o), objectives, history: [], trialNumber: 0, rng: new Rng(0) });
  assert.equal(JSON.stringify(o.units.map((u) => p[u.name])), exhaustive(o)[0]?.key);
  assert.throws(() => parseHantIlpOptions({ ...o, budgetMs: -1 }), /budgetMs = -1: expected a latency budget in ms > 0/);
  assert.throws(
    () => parseHantIlpOptions({ ...o, units: [{ name: 'u0', alternatives: [{ name: 'a', latencyMs: 1, loss: 'x' }] }] }),
    /units\[0\]\.alternatives\[0\]\.loss = "x": expected a finite distillation loss/,
  );
  assert.throws(() => parseHantIlpOptions({ ...o, budget: 1 }), /unknown field 'budget'/);
  const tight = createStrategy('hant-ilp', { ...o, budgetMs: 0.01 } as unknown as Record<string, unknown>);
  await assert.rejects(
    async () => tight.ask({ space: hantSpace(o), objectives, history: [], trialNumber: 0, rng: new Rng(0) }),
    /latency budget 0\.01000 ms is infeasible: the cheapest choice of alternatives takes/,
  );
});
