/**
 * `hwnas nas --evaluator command` end to end with the real CLI: a user's script (Node here, any language
 * in practice) reads each trial folder and prints the metrics line; hwnas adds the target's latency.
 * Also through `hwnas worker --redis` processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeNpy } from '../../data/npy.js';
import { getTarget } from '../../hardware/registry.js';
import { archCost } from '../../nas/cost.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { redisSkipReason, startRedis } from '../../workers/testing/redis-server.js';
import { runHwnas, spawnHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// "accuracy" = the architecture's width (a stand-in a test can check); a real script trains here
const SCRIPT = join(dir, 'score.mjs');
writeFileSync(
  SCRIPT,
  `import { readFileSync } from 'node:fs';
const a = JSON.parse(readFileSync(process.argv[2] + '/architecture.json', 'utf8'));
readFileSync(process.argv[2] + '/model.onnx');
console.log(JSON.stringify({ metrics: { accuracy: a.blocks.width }, attrs: { pid: process.pid } }));
`,
);
const CMD = `"${process.execPath}" "${SCRIPT}" {dir}`;

test('hwnas nas --evaluator command: every trial scored by the command, latency from the target, stored in the study', async () => {
  const store = join(dir, 'a.db');
  const r = await runHwnas(
    dir,
    ...['nas', '--space', 'mbv2', '--evaluator', 'command', '--cmd', CMD, '--strategy', 'random', '--budget', '3', '--store', store, '--json'],
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { study: string; trials: { arch: string; values: Record<string, number> }[] };
  assert.equal(out.trials.length, 3);
  const space = getArchSpace('mbv2');
  const target = getTarget('bitfusion-edge');
  for (const t of out.trials) {
    const a = space.parse(t.arch) as { width: number };
    assert.equal(t.values.accuracy, a.width);
    const lat = archCost(space, t.arch, target).latencyMs;
    assert.ok(Math.abs((t.values.latency_ms as number) - lat) <= 1e-9 * lat);
  }
  const s = new SqliteStore(store, { readonly: true });
  try {
    const trials = s.getTrials(out.study);
    assert.ok(trials.every((t) => typeof t.userAttrs.pid === 'number' && typeof t.userAttrs['command:trial_dir'] === 'string'));
  } finally {
    s.close();
  }
});

test('hwnas nas --evaluator command: a failing command fails its trials with the stderr tail; bad flags exit 2', async () => {
  const store = join(dir, 'b.db');
  const r = await runHwnas(
    dir,
    ...['nas', '--space', 'mbv2', '--evaluator', 'command', '--cmd', 'echo cuda-out-of-memory >&2; exit 1', '--strategy', 'random', '--budget', '2'],
    ...['--store', store, '--json'],
  );
  const s = new SqliteStore(store, { readonly: true });
  try {
    const study = s.listStudies()[0]?.name as string;
    const trials = s.getTrials(study);
    assert.ok(trials.length >= 1);
    for (const t of trials) {
      assert.equal(t.state, 'failed');
      assert.match(String(t.userAttrs['command:stderr']), /cuda-out-of-memory/);
      assert.match(String(t.userAttrs['hwnas:error']), /exited with code 1; stderr ends with:\ncuda-out-of-memory/);
    }
  } finally {
    s.close();
  }
  assert.equal(r.code, 2);
  assert.match(r.stderr, /all \d trials failed/);
  const bad = await runHwnas(dir, 'nas', '--space', 'mbv2', '--evaluator', 'command', '--strategy', 'random', '--budget', '2');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--evaluator command needs --cmd <line>/);
});

test("hwnas nas --evaluator command --dataset: each trial network takes the data set's images and classes, costed as that network; the spec reaches the command", async () => {
  // 3x16x16 images of 4 classes: not the space's own 1x28x28 -> 10
  const n = 12;
  writeNpy(join(dir, 'x.npy'), { dtype: 'float32', shape: [n, 3, 16, 16], data: new Float32Array(n * 3 * 16 * 16).fill(0.5) });
  writeNpy(join(dir, 'y.npy'), { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, (_, i) => i % 4) });
  const spec = `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`;
  const script = join(dir, 'shape.mjs');
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
const a = JSON.parse(readFileSync(process.argv[2] + '/architecture.json', 'utf8'));
console.log(JSON.stringify({ metrics: { accuracy: 0.5 }, attrs: { shape: a.inputShape.join('x'), classes: a.classes, dataset: a.dataset } }));
`,
  );
  const store = join(dir, 'd.db');
  const r = await runHwnas(
    dir,
    ...['nas', '--space', 'mbv2-micro', '--evaluator', 'command', '--cmd', `"${process.execPath}" "${script}" {dir}`, '--dataset', spec],
    ...['--strategy', 'random', '--budget', '2', '--store', store, '--json'],
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { study: string; trials: { arch: string; values: Record<string, number> }[] };
  const space = getArchSpace('mbv2-micro');
  const target = getTarget('bitfusion-edge');
  for (const t of out.trials) {
    const lat = archCost(space, t.arch, target, { graph: { inChannels: 3, inputSize: 16, classes: 4 } }).latencyMs;
    assert.ok(Math.abs((t.values.latency_ms as number) - lat) <= 1e-9 * lat, `${t.values.latency_ms} vs ${lat}`);
    assert.notEqual(lat, archCost(space, t.arch, target).latencyMs, 'the 3x16x16 network costs other than the default 1x28x28 one');
  }
  const s = new SqliteStore(store, { readonly: true });
  try {
    for (const t of s.getTrials(out.study)) {
      assert.equal(t.userAttrs.shape, '3x16x16');
      assert.equal(t.userAttrs.classes, 4);
      assert.equal(t.userAttrs.dataset, spec);
    }
  } finally {
    s.close();
  }
});

const skip = redisSkipReason();
test('hwnas nas --evaluator command --redis: trials run by hwnas worker processes, which run the command', { skip }, async () => {
  const redis = await startRedis();
  const worker = spawnHwnas(dir, ['worker', '--redis', redis.url, '--queue', 'cmdq']);
  try {
    const store = join(dir, 'c.db');
    const r = await runHwnas(
      dir,
      ...['nas', '--space', 'mbv2', '--evaluator', 'command', '--cmd', CMD, '--strategy', 'random', '--budget', '3', '--seed', '1'],
      ...['--store', store, '--redis', redis.url, '--queue', 'cmdq', '--json'],
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { study: string; trials: { arch: string; values: Record<string, number> }[] };
    assert.equal(out.trials.length, 3);
    const s = new SqliteStore(store, { readonly: true });
    try {
      for (const t of s.getTrials(out.study)) {
        assert.equal(t.state, 'complete');
        assert.equal(String(t.userAttrs['hwnas:worker']).split(':')[1], String(worker.child.pid), 'run by the worker process');
      }
    } finally {
      s.close();
    }
  } finally {
    worker.child.kill('SIGTERM');
    await worker.done;
    await redis.stop();
  }
});
