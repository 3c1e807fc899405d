/**
 * `hwnas quantize --evaluator command` end to end with the real CLI: a user's Node script opens each trial's
 * float `model.onnx` in onnxruntime, reads its `policy.json` and prints a metrics line; hwnas costs the policy
 * on the target, keeps the budget and picks the best feasible trial.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore } from '../store/sqlite-store.js';
import { HWNAS_BIN, runHwnas, spawnHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-quant-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// the "accuracy" is the policy's mean weight bits / 8 (a value the test can recompute from the stored policy);
// the model runs in onnxruntime so a broken model.onnx fails the trial
const SCRIPT = join(dir, 'score.mjs');
writeFileSync(
  SCRIPT,
  `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const ort = createRequire(${JSON.stringify(join(dirname(dirname(HWNAS_BIN)), 'package.json'))})('onnxruntime-node');
const dir = process.argv[2];
const policy = JSON.parse(readFileSync(dir + '/policy.json', 'utf8'));
const s = await ort.InferenceSession.create(dir + '/model.onnx');
const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(784).fill(0.2), [1, 1, 28, 28]) });
const logits = out[s.outputNames[0]].data;
if (logits.length !== 10 || !Array.from(logits).every(Number.isFinite)) throw new Error('bad logits ' + logits.length);
const bits = Object.values(policy.layers).map((l) => l.weightBits ?? policy.default.weightBits);
console.log(JSON.stringify({ metrics: { accuracy: bits.reduce((a, b) => a + b, 0) / bits.length / 8 }, attrs: { logits: logits.length } }));
`,
);

/** Mean weight bits / 8 of a stored policy, as the script computes it. */
function score(policy: { default: { weightBits: number }; layers: Record<string, { weightBits?: number }> }): number {
  const bits = Object.values(policy.layers).map((l) => l.weightBits ?? policy.default.weightBits);
  return bits.reduce((a, b) => a + b, 0) / bits.length / 8;
}

test('hwnas quantize --evaluator command: the command scores every policy from model.onnx + policy.json, hwnas keeps the budget', async () => {
  const store = join(dir, 'q.db');
  const r = await runHwnas(
    dir,
    ...['quantize', 'zoo:mnist-cnn', '--dataset', 'mnist;limit=train:600,val:200,test:200', '--target', 'bitfusion-edge', '--budget', 'latency=0.8x'],
    ...['--strategy', 'random', '--episodes', '4', '--train-epochs', '1', '--finetune-epochs', '0', '--search-images', '100'],
    ...['--evaluator', 'command', '--cmd', `"${process.execPath}" "${SCRIPT}" {dir}`, '--store', store, '--json'],
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    study: string;
    trial: number;
    latencyMs: number;
    baselineLatencyMs: number;
    policy: unknown;
    ptqAccuracy: number;
    commandScore: number;
    commandScoreGap: number;
  };
  assert.ok(out.latencyMs <= 0.8 * out.baselineLatencyMs * (1 + 1e-9), `latency ${out.latencyMs} over the budget 0.8 x ${out.baselineLatencyMs}`);
  const s = new SqliteStore(store, { readonly: true });
  try {
    const trials = s.getTrials(out.study);
    assert.equal(trials.length, 4);
    const done = trials.filter((t) => t.state === 'complete');
    assert.ok(done.length >= 1, JSON.stringify(trials.map((t) => [t.state, t.userAttrs['hwnas:error']])));
    for (const t of done) {
      assert.equal(t.userAttrs.logits, 10, 'the command ran the ONNX model');
      const policy = t.userAttrs.policy as Parameters<typeof score>[0];
      assert.ok(Math.abs((t.values?.[0] as number) - score(policy)) < 1e-12, `trial ${t.number}: stored accuracy vs the policy's mean bits / 8`);
    }
    const chosen = done.find((t) => t.number === out.trial);
    assert.ok(chosen, `the chosen trial ${out.trial} is a completed trial`);
    assert.deepEqual((chosen.userAttrs.policy as { layers: unknown }).layers, (out.policy as { layers: unknown }).layers);
    // review56 #5: the command's score of the chosen policy beside hwnas's post-training accuracy, warned when far apart
    assert.equal(out.commandScore, chosen.values?.[0]);
    assert.equal(out.commandScoreGap, out.commandScore - out.ptqAccuracy);
    assert.equal(/warning: your command scored the chosen policy/.test(r.stderr), Math.abs(out.commandScoreGap) > 0.05, r.stderr);
  } finally {
    s.close();
  }
});

// review54 #4: a failing trial is reported once, with its reason, and counted; when every trial fails the error says so
const FLAKY = join(dir, 'flaky.mjs');
writeFileSync(
  FLAKY,
  `import { readFileSync } from 'node:fs';
const t = JSON.parse(readFileSync(process.argv[2] + '/trial.json', 'utf8')).trial;
if (process.env.ALL_FAIL || t === 1) { console.error('CUDA out of memory'); process.exit(3); }
console.log(JSON.stringify({ metrics: { accuracy: 0.5 } }));
`,
);

test('hwnas quantize --evaluator command: failed trials are printed with their reason and counted; all failed names the failure, not the budget', async () => {
  const run = (study: string, env: Record<string, string>) =>
    spawnHwnas(
      dir,
      [
        ...['quantize', 'zoo:mnist-cnn', '--dataset', 'mnist;limit=train:600,val:200,test:200', '--target', 'bitfusion-edge', '--budget', 'latency=0.8x'],
        ...['--strategy', 'random', '--episodes', '3', '--train-epochs', '1', '--finetune-epochs', '0', '--study', study],
        ...['--evaluator', 'command', '--cmd', `"${process.execPath}" "${FLAKY}" {dir}`, '--store', join(dir, 'flaky.db')],
      ],
      { env },
    ).done;
  const one = await run('one-fails', {});
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stderr, /one-fails: trial 1 failed: command .* exited with code 3; stderr ends with: CUDA out of memory\n/);
  assert.equal(one.stderr.match(/failed: command/g)?.length, 1, one.stderr);
  assert.match(one.stderr, /one-fails: 1 of 3 trials run here failed/);
  assert.match(one.stderr, /reward = the accuracy your command reports/);
  assert.match(one.stdout, /search scored by your command/);
  assert.doesNotMatch(one.stdout, /search scored on \d+ validation images/);
  const all = await run('all-fail', { ALL_FAIL: '1' });
  assert.equal(all.code, 2, all.stderr);
  assert.match(
    all.stderr,
    /all 3 trial\(s\) of the study failed, none was scored; first failure \(trial 0\): command .* exited with code 3; stderr ends with: CUDA out of memory/,
  );
  assert.doesNotMatch(all.stderr, /budget/);
});
