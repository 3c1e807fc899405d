/**
 * `hwnas demo`, the README's first command: the whole flow runs on built-in defaults (here on fewer training images
 * and trials) and each step's result is what the step says (ONNX agrees with the engine, the mixed-precision policy
 * meets its latency budget on bitfusion-edge, the study stored its trials and wrote its report).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-demo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('hwnas demo runs end to end: ONNX agrees, the mixed policy meets latency <= 0.8x of W8A8, the study is stored', { timeout: 900_000 }, async () => {
  const out = join(dir, 'out');
  const run = await runHwnas(dir, 'demo', '--limit', '1000', '--epochs', '1', '--trials', '4', '--seed', '1', '--out', out, '--json');
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout) as {
    testAccuracy: number;
    onnx: string;
    onnxAccuracy: number;
    onnxAgreement: number;
    mixedPrecision: { latencyMs: number; baselineLatencyMs: number; accuracy: number; onnx: string; onnxAccuracy: number };
    study: { trials: number; pareto: number; store: string; report: string };
  };
  // one epoch on 1,000 MNIST images is far above chance (10%)
  assert.ok(r.testAccuracy > 0.5, `test accuracy ${r.testAccuracy}`);
  assert.ok(r.onnxAgreement >= 0.999, `onnxruntime agrees with the engine on ${r.onnxAgreement} of the test images`);
  assert.ok(Math.abs(r.onnxAccuracy - r.testAccuracy) < 0.002);
  const mp = r.mixedPrecision;
  assert.ok(mp.latencyMs <= 0.8 * mp.baselineLatencyMs * (1 + 1e-9), `mixed policy ${mp.latencyMs} ms vs W8A8 ${mp.baselineLatencyMs} ms`);
  assert.ok(mp.latencyMs < mp.baselineLatencyMs);
  assert.ok(mp.onnxAccuracy > 0.5 && Math.abs(mp.onnxAccuracy - mp.accuracy) < 0.02, `QDQ ${mp.onnxAccuracy} vs engine ${mp.accuracy}`);
  assert.equal(r.study.trials, 4);
  assert.ok(r.study.pareto >= 1 && r.study.pareto <= 4);
  for (const f of [r.onnx, mp.onnx, r.study.store, r.study.report]) assert.ok(existsSync(f), `${f} written`);
});
