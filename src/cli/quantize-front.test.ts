/**
 * `hwnas quantize --strategy nsga2 --objectives accuracy:max,latency_ms:min,size_kb:min` (review 52 #11, #9c): the front
 * is printed in the text output too, the JSON names the split of the front's accuracy (`valAccuracy`: validation, the
 * top-level accuracies are test), and the size is one unit (KiB) and one quantity (the packed model size) in
 * `quantize`'s text and JSON and in `hwnas cost`'s "model size". Real CLI, a real trained mnist-cnn, real SQLite.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PrecisionPolicy } from '../ir/precision.js';
import type { Trial } from '../search/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { flagList, keptModelFile, type QuantizeOut, testDir } from './testing/fixtures.js';
import { spawnHwnas } from './testing/run-cli.js';

const dir = testDir('hwnas-qfront-');
const store = join(dir, 'q.sqlite');
const run = (...args: string[]) => spawnHwnas(dir, args, { timeoutMs: 600_000 }).done;
const args = [
  'quantize',
  'zoo:mnist-cnn',
  ...flagList({
    dataset: 'mnist;limit=train:300,val:100,test:100',
    target: 'bitfusion-edge',
    budget: 'latency=1x',
    strategy: 'nsga2',
    objectives: 'accuracy:max,latency_ms:min,size_kb:min',
    episodes: '10',
    bits: '2,4,8',
    'train-epochs': '1',
    'finetune-epochs': '0',
    seed: '2',
    store,
    'policy-out': join(dir, 'p.json'),
  }),
];

interface Out extends QuantizeOut {
  readonly accuracy: number;
  readonly sizeBytes: number;
  readonly baselineSizeBytes: number;
  readonly objectives: string[];
  readonly front: Record<string, number | PrecisionPolicy>[];
}

/** `x` bytes as the text prints KiB: 4 significant digits. */
const kib = (bytes: number): string => String(Number((bytes / 1024).toPrecision(4)));

test('quantize with several objectives: the front in text and JSON (valAccuracy), one size unit (KiB), the size hwnas cost reports', {
  timeout: 600_000,
}, async () => {
  const a = await run(...args, '--json');
  assert.equal(a.code, 0, a.stderr);
  const out = JSON.parse(a.stdout) as Out;
  const db = new SqliteStore(store, { readonly: true });
  let trials: Trial[];
  try {
    trials = db.getTrials(out.study);
  } finally {
    db.close();
  }
  // the front's accuracy is the stored (validation) score, named as such; the top-level accuracy is the test split's
  assert.ok(out.front.length >= 2, `a front of ${out.front.length} points`);
  for (const p of out.front) {
    assert.deepEqual(Object.keys(p).sort(), ['latency_ms', 'policy', 'size_kb', 'trial', 'valAccuracy']);
    const t = trials.find((x) => x.number === p.trial) as Trial;
    assert.deepEqual([p.valAccuracy, p.latency_ms, p.size_kb], t.values);
  }
  const accs = out.front.map((p) => p.valAccuracy as number);
  assert.deepEqual(
    accs,
    [...accs].sort((x, y) => y - x),
    'most accurate first',
  );
  // size_kb is KiB of the same packed size as sizeBytes: the chosen trial's stored size_kb x 1024 = sizeBytes
  const chosen = trials.find((t) => t.number === out.trial) as Trial;
  assert.ok(Math.abs((chosen.values?.[2] as number) * 1024 - out.sizeBytes) < 1e-9, `size_kb ${chosen.values?.[2]} vs ${out.sizeBytes} bytes`);

  // the same command continues the finished study without a search and prints the front as a table
  const b = await run(...args);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, new RegExp(`size ${kib(out.sizeBytes).replace('.', '\\.')} KiB vs ${kib(out.baselineSizeBytes).replace('.', '\\.')} KiB`));
  assert.doesNotMatch(b.stdout, /\dKB\b|\d kB\b/, 'no decimal kB anywhere');
  const lines = b.stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('feasible Pareto front of the study (accuracy:max, latency_ms:min, size_kb:min)'));
  assert.ok(at >= 0, b.stdout);
  assert.match(lines[at] as string, /val accuracy = the search's score of the trial on 100 validation images \(not the test split\)/);
  assert.match(lines[at + 1] as string, /^trial +val accuracy +latency ms +size KiB +W bits \(conv1,conv2,fc\) +A bits$/);
  const rows = lines.slice(at + 3, at + 3 + out.front.length).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(
    rows.map((r) => r[0]),
    out.front.map((p) => `${p.trial === out.trial ? '*' : ''}${p.trial}`),
  );
  for (const [i, r] of rows.entries()) {
    const p = out.front[i] as Record<string, number | PrecisionPolicy>;
    assert.equal(r[1], `${((p.valAccuracy as number) * 100).toFixed(2)}%`);
    assert.equal(r[3], String(Number((p.size_kb as number).toPrecision(4))));
    const pol = p.policy as PrecisionPolicy;
    assert.equal(r[4], ['conv1', 'conv2', 'fc'].map((l) => pol.layers[l]?.weightBits ?? pol.default.weightBits).join(','));
  }

  // hwnas cost of the written policy: its model size is quantize's size; its weights total (no scales) is smaller
  const model = keptModelFile(store, out.study);
  const c = await run('cost', model, '--target', 'bitfusion-edge', '--policy', join(dir, 'p.json'), '--totals');
  assert.equal(c.code, 0, c.stderr);
  assert.match(
    c.stdout,
    new RegExp(`model size ${kib(out.sizeBytes).replace('.', '\\.')} KiB \\(${out.sizeBytes} bytes, 1 KiB = 1024 bytes; the size hwnas quantize reports\\)`),
  );
  const j = await run('cost', model, '--target', 'bitfusion-edge', '--policy', join(dir, 'p.json'), '--json');
  const cost = JSON.parse(j.stdout) as { modelSizeBytes: number; total: { weightBytes: number } };
  assert.equal(cost.modelSizeBytes, out.sizeBytes);
  // mnist-cnn: conv1 16, conv2 32, fc 10 output channels, one float32 scale each, no other parameters
  assert.equal(cost.modelSizeBytes - cost.total.weightBytes, (16 + 32 + 10) * 4);
});
