/**
 * `hwnas quantize --strategy greedy` (issue 20): the greedy whole-policy allocation through the one study loop.
 * Real CLI, a real trained mnist-cnn, a real SQLite store: the policy meets the budget and costs the same in
 * `hwnas cost`, every trial stores its validation loss, the study ends before its trial cap, and the same command
 * continues the finished study without new trials.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../store/sqlite-store.js';
import { BITFUSION_EDGE_2026_12_03 as BF, type QuantizeOut, quantizeFlags, testDir } from './testing/fixtures.js';
import { spawnHwnas } from './testing/run-cli.js';

const dir = testDir('hwnas-qgreedy-');

const run = (cmd: string, ...args: string[]) => spawnHwnas(dir, [cmd, ...args], { timeoutMs: 600_000 }).done;
const store = join(dir, 'q.sqlite');
const args = ['zoo:mnist-cnn', ...quantizeFlags('greedy', 3, store), '--policy-out', join(dir, 'p.json'), '--json'];

interface Out extends QuantizeOut {
  readonly strategy: string;
  readonly greedySteps: readonly string[];
}

test('quantize --strategy greedy: meets the budget, costs the same in hwnas cost, stops before its cap, continues a finished study', {
  timeout: 1_200_000,
}, async () => {
  const a = await run('quantize', ...args);
  assert.equal(a.code, 0, a.stderr);
  const out = JSON.parse(a.stdout) as Out;
  assert.equal(out.strategy, 'greedy');
  assert.ok(out.latencyMs <= 0.6 * out.baselineLatencyMs * (1 + 1e-9), `latency ${out.latencyMs} over 0.6 x ${out.baselineLatencyMs}`);
  assert.ok(out.greedySteps.length >= 1, 'at least one move');
  for (const s of out.greedySteps) assert.match(s, /^.+\.[wa][24]$/);

  const c = await run('cost', 'zoo:mnist-cnn', '--target', BF, '--policy', join(dir, 'p.json'), '--json');
  assert.equal(c.code, 0, c.stderr);
  const cost = (JSON.parse(c.stdout) as { total: { latencyMs: number } }).total.latencyMs;
  assert.ok(Math.abs(cost - out.latencyMs) <= 1e-12 * out.latencyMs, `hwnas cost ${cost} ms vs quantize ${out.latencyMs} ms`);

  const db = new SqliteStore(store, { readonly: true });
  let stored: number;
  try {
    const trials = db.getTrials(out.study);
    stored = trials.length;
    const cap = (db.getStudy(out.study)?.userAttrs.config as { nTrials: number } | undefined)?.nTrials ?? 0;
    assert.ok(stored < cap, `${stored} trials, cap ${cap}: the study ended when the budget was met`);
    // 3 layers at 2/4/8 bits, weights and activations: the first step alone has several candidates
    assert.ok(stored > 1 + out.greedySteps.length);
    for (const t of trials) {
      assert.equal(t.state, 'complete');
      assert.ok(typeof t.userAttrs.loss === 'number' && Number.isFinite(t.userAttrs.loss), `trial ${t.number} has no validation loss`);
    }
    // the start (W8A8) does not fit; the chosen trial does
    assert.ok(((trials[0]?.constraints ?? [])[0] as number) > 0);
    assert.ok(((trials[out.trial]?.constraints ?? [])[0] as number) <= 0);
  } finally {
    db.close();
  }

  // the same command continues the finished study: no new trial, the same policy
  const b = await run('quantize', ...args);
  assert.equal(b.code, 0, b.stderr);
  const out2 = JSON.parse(b.stdout) as Out;
  assert.equal(out2.study, out.study);
  assert.deepEqual(out2.policy, out.policy);
  assert.deepEqual(out2.greedySteps, out.greedySteps);
  const db2 = new SqliteStore(store, { readonly: true });
  try {
    assert.equal(db2.getTrials(out.study).length, stored);
  } finally {
    db2.close();
  }
});

test('quantize --recheck: a bad count or another strategy exits 2 naming it, before any training', { timeout: 300_000 }, async () => {
  const bad = await run('quantize', ...args, '--recheck', '-1');
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--recheck must be an integer >= 0, got '-1'/);
  const other = await run('quantize', ...args.map((a) => (a === 'greedy' ? 'ilp' : a)), '--recheck', '2');
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /--recheck applies to --strategy greedy, not ilp/);
  assert.doesNotMatch(other.stderr, /\n\s+at /, 'no stack trace');
});
