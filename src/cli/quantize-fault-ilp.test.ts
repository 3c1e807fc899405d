/**
 * `hwnas quantize --strategy ilp --max-fault-score x` (issue 14): the topology predictor's per-layer fault damage is a
 * row of the integer program, so the ILP's own solution respects the line (before, only the trial evaluation checked
 * it and the one-shot ILP proposed an infeasible policy). Real CLI, real trained mnist-cnn, real HiGHS.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PrecisionPolicy } from '../ir/precision.js';
import { loadModel } from '../ir/serialize.js';
import { quantizableLayers } from '../ir/workload.js';
import { layerDamageFn, predictResilience } from '../resilience/predictor.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { keptModelFile, type QuantizeOut, quantizeFlags, testDir } from './testing/fixtures.js';
import { spawnHwnas } from './testing/run-cli.js';

const dir = testDir('hwnas-qfault-');

const BER = 1e-5;
const run = (...args: string[]) => spawnHwnas(dir, ['quantize', ...args], { timeoutMs: 600_000 }).done;
const common = [...quantizeFlags('ilp', 4, join(dir, 'q.sqlite')), '--json'];

test('quantize --strategy ilp --max-fault-score: the ILP solution meets the fault line; an impossible line is a user error naming it', {
  timeout: 900_000,
}, async () => {
  const a = await run('zoo:mnist-cnn', ...common);
  assert.equal(a.code, 0, a.stderr);
  const outA = JSON.parse(a.stdout) as QuantizeOut;
  // the trained model run A kept; runs B and C quantize that file (no second training)
  const modelFile = keptModelFile(join(dir, 'q.sqlite'), outA.study);
  const model = loadModel(modelFile);
  const score = (p: PrecisionPolicy): number => predictResilience(model.graph, p, BER, model.weights).score;
  const sA = score(outA.policy);
  // the least damage any allocation reaches: every layer at its least-damage option (the row is additive)
  const dmg = layerDamageFn(model.graph, BER, model.weights);
  const options = [2, 4, 8].flatMap((w) => [2, 4, 8].map((x) => ({ weightBits: w, actBits: x })));
  const sMin = quantizableLayers(model.graph).reduce((s, _, i) => s + Math.min(...options.map((p) => dmg(i, p))), 0);
  assert.ok(sA > sMin * (1 + 1e-6), `the unconstrained ILP policy (score ${sA}) should not already be the least-damage one (${sMin})`);
  const line = (sA + sMin) / 2;

  const b = await run(modelFile, ...common, '--max-fault-score', String(line));
  assert.equal(b.code, 0, b.stderr);
  const outB = JSON.parse(b.stdout) as QuantizeOut;
  const sB = score(outB.policy);
  assert.ok(sB <= line * (1 + 1e-9), `constrained ILP policy score ${sB} is over the line ${line}`);
  assert.notDeepEqual(outB.policy.layers, outA.policy.layers);
  assert.ok(outB.latencyMs <= 0.6 * outB.baselineLatencyMs * (1 + 1e-9), 'the latency budget still holds');
  // the trial the ILP proposed is feasible for the evaluation's own fault constraint too
  const store = new SqliteStore(join(dir, 'q.sqlite'), { readonly: true });
  try {
    const t0 = store.getTrials(outB.study)[0];
    assert.ok(t0 && t0.state === 'complete');
    assert.ok(Math.abs((t0.userAttrs.fault_score as number) - sB) <= 1e-12 * sB);
    assert.ok(
      (t0.constraints ?? []).every((c) => c <= 1e-12),
      `trial 0 constraints ${JSON.stringify(t0.constraints)}`,
    );
  } finally {
    store.close();
  }

  const c = await run(modelFile, ...common, '--max-fault-score', String(sMin / 2));
  assert.equal(c.code, 2, c.stderr);
  assert.match(c.stderr, /fault budget [0-9.e-]+ \(cheapest achievable [0-9.e-]+\)/);
  assert.doesNotMatch(c.stderr, /\n\s+at /, 'no stack trace');
});
