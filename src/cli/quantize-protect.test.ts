/**
 * `hwnas quantize --strategy ilp --max-fault-score x --protect ecc` (issue 14): protection as a choice of the CLI's
 * bit allocation, through the one study loop (quantSpace with `<layer>.ecc`, the `ilp` strategy's hardened options,
 * the `quant-policy` evaluation's cost and fault constraint, the final report). Real CLI, real trained mnist-cnn,
 * real HiGHS.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { getTarget } from '../hardware/registry.js';
import { loadModel } from '../ir/serialize.js';
import { quantizableLayers } from '../ir/workload.js';
import { eccSurvivalFactor, layerDamageFn, predictResilience } from '../resilience/predictor.js';
import { protectionCost } from '../resilience/protection.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { assertUserErrors, BITFUSION_EDGE_2026_12_03 as BF, keptModelFile, type QuantizeOut, quantizeFlags, testDir } from './testing/fixtures.js';
import { spawnHwnas } from './testing/run-cli.js';

const dir = testDir('hwnas-qprotect-');

const BER = 1e-5;
const run = (...args: string[]) => spawnHwnas(dir, args, { timeoutMs: 600_000 }).done;
const common = [...quantizeFlags('ilp', 4, join(dir, 'q.sqlite')), '--json'];

interface Out extends QuantizeOut {
  readonly sizeBytes: number;
  readonly protection?: {
    readonly range: boolean;
    readonly hardened: string[];
    readonly baseLatencyMs: number;
    readonly extraLatencyMs: number;
    readonly extraWeightBytes: number;
    readonly faultScore: number;
  };
}

test('quantize --protect: bad flags are user errors (exit 2, no stack trace) before any training', async () => {
  const cases: [string[], RegExp][] = [
    [['--protect', 'tmr', '--max-fault-score', '1e-4'], /--protect 'tmr': expected ecc, range or ecc,range/],
    [['--protect', 'ecc'], /--protect needs --max-fault-score/],
    [['--protect', 'ecc', '--max-fault-score', '1e-4', '--strategy', 'haq'], /--protect applies to --strategy ilp, not haq/],
  ];
  await assertUserErrors(cases, (extra) => run('quantize', 'zoo:mnist-cnn', ...common, ...extra));
});

test('quantize --strategy ilp --protect ecc: a fault line no precision meets is met by hardening layers; costs match the target and hwnas cost', {
  timeout: 900_000,
}, async () => {
  const a = await run('quantize', 'zoo:mnist-cnn', ...common);
  assert.equal(a.code, 0, a.stderr);
  const outA = JSON.parse(a.stdout) as Out;
  assert.equal(outA.protection, undefined, 'no protection without --protect');
  const modelFile = keptModelFile(join(dir, 'q.sqlite'), outA.study);
  const model = loadModel(modelFile);
  const dmg = layerDamageFn(model.graph, BER, model.weights);
  const options = [2, 4, 8].flatMap((w) => [2, 4, 8].map((x) => ({ weightBits: w, actBits: x })));
  const sMin = quantizableLayers(model.graph).reduce((s, _, i) => s + Math.min(...options.map((p) => dmg(i, p))), 0);
  const line = sMin / 3; // below the least damage any precision reaches

  // without protection the line is infeasible (exit 2), with it the ILP hardens layers to meet it
  const plain = await run('quantize', modelFile, ...common, '--max-fault-score', String(line));
  assert.equal(plain.code, 2, plain.stderr);
  const b = await run('quantize', modelFile, ...common, '--max-fault-score', String(line), '--protect', 'ecc');
  assert.equal(b.code, 0, b.stderr);
  const outB = JSON.parse(b.stdout) as Out;
  const prot = outB.protection;
  assert.ok(prot, 'the report names the protection');
  assert.equal(prot.range, false);
  assert.ok(prot.hardened.length > 0, 'some layer is hardened');
  const hardened = new Set(prot.hardened);
  const score = predictResilience(model.graph, outB.policy, BER, model.weights, { hardened }).score;
  assert.ok(score <= line * (1 + 1e-9), `protected policy score ${score} is over the line ${line}`);
  assert.ok(Math.abs(prot.faultScore - score) <= 1e-12 * score);
  // hardening only where needed: un-hardening any one chosen layer breaks the line
  for (const l of prot.hardened) {
    const without = new Set([...hardened].filter((x) => x !== l));
    assert.ok(predictResilience(model.graph, outB.policy, BER, model.weights, { hardened: without }).score > line, `hardening ${l} is needed`);
  }
  assert.ok(eccSurvivalFactor(BER) < 1e-3);
  // cost: the target's own (protectionCost), the plain part equal to `hwnas cost` of the policy; budget met with ECC
  const target = getTarget(BF);
  const c = protectionCost(target, model.graph, outB.policy, { hardened });
  assert.ok(c.eccLatencyMs > 0, 'ECC costs latency on bitfusion-edge');
  assert.ok(Math.abs(prot.extraLatencyMs - c.eccLatencyMs) <= 1e-12);
  assert.ok(Math.abs(outB.latencyMs - c.latencyMs) <= 1e-12 * c.latencyMs);
  assert.ok(outB.latencyMs <= 0.6 * outB.baselineLatencyMs * (1 + 1e-9), 'the latency budget holds with the protection cost');
  assert.equal(prot.extraWeightBytes, c.extraWeightBytes);
  const cost = await run('cost', modelFile, '--target', BF, '--policy', JSON.stringify(outB.policy), '--totals', '--json');
  assert.equal(cost.code, 0, cost.stderr);
  const costed = JSON.parse(cost.stdout) as { total: { latencyMs: number }; modelSizeBytes: number };
  const total = costed.total.latencyMs;
  assert.ok(Math.abs(total - prot.baseLatencyMs) <= 1e-12 * total, `hwnas cost ${total} ms vs the report's unprotected ${prot.baseLatencyMs} ms`);
  // the size: quantize's counts the ECC check bits, cost's (no protection) does not, and both say so
  assert.ok(prot.extraWeightBytes > 0);
  assert.equal(costed.modelSizeBytes + prot.extraWeightBytes, outB.sizeBytes);
  // the study's trial carries the same choice, cost and score (the one loop: space, strategy, evaluation)
  const store = new SqliteStore(join(dir, 'q.sqlite'), { readonly: true });
  try {
    const t = store.getTrials(outB.study).find((x) => x.number === outB.trial);
    assert.ok(t && t.state === 'complete');
    const chosen = quantizableLayers(model.graph)
      .map((l) => l.name)
      .filter((l) => t.params[`${l}.ecc`] === 1);
    assert.deepEqual(chosen.sort(), [...prot.hardened].sort());
    assert.ok(Math.abs((t.userAttrs.latency_ms as number) - outB.latencyMs) <= 1e-12 * outB.latencyMs);
    assert.ok(Math.abs((t.userAttrs.fault_score as number) - score) <= 1e-12 * score);
    assert.ok(
      (t.constraints ?? []).every((x) => x <= 1e-12),
      `constraints ${JSON.stringify(t.constraints)}`,
    );
  } finally {
    store.close();
  }
});
