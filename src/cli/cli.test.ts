/**
 * The `hwnas` command as a user meets it: the real CLI (`bin/hwnas.js`) spawned in a temp folder.
 * Bad input must end with exit 2, one `hwnas: error:` line naming the bad value, and no stack trace;
 * a few fast happy paths check the output against hand-computed figures; a failing command must
 * leave the study store readable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { initWeights, zooGraph } from '../ir/index.js';
import { OnnxGraphWriter, saveOnnx } from '../onnx/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { Rng } from '../util/rng.js';
import { type CliRun, runHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Run = CliRun;

/** Runs `hwnas <args>` in the temp folder. */
const hwnas = (...args: string[]): Promise<Run> => runHwnas(dir, ...args);

/** Asserts a clean user error: exit 2, exactly one `hwnas: error:` line matching `pattern`, no stack trace. */
function assertUserError(r: Run, pattern: RegExp, what: string): void {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('hwnas: error: '));
  assert.equal(r.code, 2, `${what}: exit code ${r.code}, stderr:\n${r.stderr}`);
  assert.equal(lines.length, 1, `${what}: expected one 'hwnas: error:' line, stderr:\n${r.stderr}`);
  assert.match(lines[0] as string, pattern, what);
  assert.ok(!r.stderr.includes('    at '), `${what}: stack trace printed:\n${r.stderr}`);
  assert.ok(!r.stderr.includes('internal error'), `${what}: reported as internal:\n${r.stderr}`);
}

/** Runs jobs with at most `n` at once (the machine has 2 cores). */
async function pool<T>(jobs: readonly (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return out;
}

const f = (name: string): string => join(dir, name);
const A = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';
const STUDY = {
  name: 'bits',
  evaluator: { name: 'policy-cost', options: { target: 'bitfusion-edge' } },
  strategy: { name: 'nsga2', options: { populationSize: 6 } },
  nTrials: 10,
  seed: 1,
};

before(() => {
  const g = zooGraph('zoo:mnist-cnn');
  saveOnnx({ graph: g, weights: initWeights(g, new Rng(0)) }, f('good.onnx'));
  const bytes = readFileSync(f('good.onnx'));
  writeFileSync(f('truncated.onnx'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  writeFileSync(f('notes.onnx'), 'these are my notes, not a model\n');
  const w = new OnnxGraphWriter('odd', 13);
  w.addInput('x', ['N', 1, 28, 28]);
  w.addNode('LRN', ['x'], ['y'], { size: { i: 3 } }, 'lrn0');
  w.addOutput('y', ['N', 1, 28, 28]);
  writeFileSync(f('unsupported.onnx'), w.encode());
  writeFileSync(f('not-json.json'), 'not json {\n');
  writeFileSync(f('policy-unknown-layer.json'), JSON.stringify({ default: { weightBits: 8, actBits: 8 }, layers: { nope: { weightBits: 4, actBits: 4 } } }));
  writeFileSync(f('study-negative.json'), JSON.stringify({ ...STUDY, name: 'neg', nTrials: -3 }));
  writeFileSync(f('study-strategy.json'), JSON.stringify({ ...STUDY, name: 'strat', strategy: 'simulated-magic' }));
  writeFileSync(f('study.json'), JSON.stringify(STUDY));
  writeFileSync(f('table.csv'), `arch,accuracy,latency_ms\n${A},notanumber,1.5\n`);
});

test('bad input: exit 2, one clear error line naming the value, no stack trace', async () => {
  const cases: ReadonlyArray<readonly [readonly string[], RegExp]> = [
    // models
    [['inspect', 'missing.onnx'], /model 'missing\.onnx' not found: expected zoo:<name>/],
    [['inspect', 'truncated.onnx'], /truncated\.onnx: not a valid ONNX protobuf .*truncated or corrupt/],
    [['inspect', 'notes.onnx'], /notes\.onnx: not a valid ONNX protobuf/],
    [['inspect', 'unsupported.onnx'], /unsupported operator 'LRN' at node 'lrn0'.*supported: Conv/],
    [['inspect', 'zoo:nonexistent'], /unknown zoo model 'nonexistent': expected one of mnist-cnn/],
    [['train', 'zoo:mnist-cnn?classes=5', '--dataset', 'mnist'], /outputs \[5\] but data set 'mnist' has 10 classes/],
    [
      ['eval', 'good.onnx', '--dataset', 'mnist;size=32'],
      /'good\.onnx' expects input \[1,28,28\] \(784 values per sample\) but the data set gives \[1,32,32\] \(1024 values\) per sample: --dataset sets size=/,
    ],
    // data sets and numbers
    [['train', 'zoo:mnist-cnn', '--dataset', 'idx:nofile,nofile'], /cannot read IDX images file 'nofile'/],
    [['train', 'zoo:mnist-cnn', '--dataset', 'cifar10'], /dataset spec 'cifar10': 'cifar10' needs a path: 'cifar10:<dir>'; expected 'mnist'/],
    [['train', 'zoo:mnist-cnn', '--dataset', 'svhn'], /dataset spec 'svhn': unknown kind 'svhn'; expected 'mnist'/],
    [['train', 'zoo:mnist-cnn', '--dataset', 'mnist', '--epochs', '-1'], /--epochs must be an integer >= 1, got '-1'/],
    [['train', 'zoo:mnist-cnn', '--dataset', 'mnist', '--epochs', 'abc'], /--epochs must be an integer >= 1, got 'abc'/],
    [
      ['train', 'zoo:mnist-cnn', '--dataset', 'mnist', '--out', join('no-such-dir', 'm.onnx')],
      /--out 'no-such-dir\/m\.onnx': folder 'no-such-dir' does not exist/,
    ],
    // hardware, policies, budgets
    [['cost', 'zoo:mnist-cnn', '--target', 'warp-drive'], /unknown hardware target 'warp-drive': expected one of bitfusion-edge/],
    [['cost', 'zoo:mnist-cnn', '--target', 'bitfusion-edge', '--policy', '{"default":'], /--policy '\{"default":' is not valid JSON/],
    [['cost', 'zoo:mnist-cnn', '--target', 'bitfusion-edge', '--policy', 'not-json.json'], /policy file 'not-json\.json' is not valid JSON/],
    [
      ['cost', 'zoo:mnist-cnn', '--target', 'bitfusion-edge', '--policy', 'policy-unknown-layer.json'],
      /unknown layer 'nope' in graph 'mnist-cnn': expected a conv\/dense layer name \(conv1, conv2, fc\)/,
    ],
    [
      ['quantize', 'zoo:mnist-cnn', '--dataset', 'mnist', '--target', 'bitfusion-edge', '--budget', 'latency=abc'],
      /budget 'latency=abc' is not understood: expected latency=0\.6x/,
    ],
    [['quantize', 'zoo:mnist-cnn', '--dataset', 'mnist', '--target', 'bitfusion-edge', '--budget', 'speed=0.5x'], /budget 'speed=0\.5x' is not understood/],
    [
      ['quantize', 'zoo:mnist-cnn', '--dataset', 'mnist', '--target', 'bitfusion-edge', '--budget', 'latency=0.6x', '--ptq', 'bias,bais'],
      /--ptq step 'bais' is unknown: expected a comma-separated list of fold, cle, clip/,
    ],
    [['eval', 'good.onnx', '--dataset', 'mnist', '--ptq', 'bias'], /--ptq needs --policy/],
    [
      ['quantize', 'zoo:mnist-cnn', '--dataset', 'mnist', '--target', 'bitfusion-edge', '--budget', 'latency=0.01x'],
      /'latency=0\.01x' cannot be met on 'bitfusion-edge'.*the cheapest achievable is [0-9.e-]+ ms/,
    ],
    // studies, tables, server
    [['study', 'create', '--config', 'study-negative.json'], /study-negative\.json\.nTrials = -3/],
    [['study', 'create', '--config', 'not-json.json'], /study config "not-json\.json" is not valid JSON/],
    [['study', 'create', '--config', 'study-strategy.json'], /unknown search strategy 'simulated-magic'; expected one of/],
    [['study', 'list', '--store', 'notes.onnx'], /store "notes\.onnx" is not an hwnas store/],
    [
      ['nas', '--space', 'nb201', '--table', 'table.csv', '--strategy', 'nsga2', '--budget', '5'],
      /NAS table '.*table\.csv' line 2: metric 'accuracy' is 'notanumber', expected a finite number/,
    ],
    [
      ['nas', '--space', 'nb201', '--table', 'table.csv', '--strategy', 'annealing', '--budget', '5'],
      /--strategy 'annealing': expected one of .*nsga2, portfolio, random, regularized-evolution, tpe, two-stage/,
    ],
    [
      ['nas', '--space', 'nb201', '--dataset', 'mnist', '--strategy', 'capacity', '--max-latency', '0.02', '--budget', '2'],
      /--strategy capacity repairs MobileNetV2-style architectures: space 'nb201' is not one/,
    ],
    [['nas', '--space', 'mbv2-mbnet', '--dataset', 'mnist', '--strategy', 'capacity', '--budget', '2'], /--strategy capacity needs --max-latency <ms>/],
    [['serve', '--port', 'abc'], /--port must be an integer >= 0, got 'abc'/],
    // commander's own errors
    [['tarin'], /unknown command 'tarin' \(Did you mean train\?\)/],
    [['inspect', 'zoo:mnist-cnn', '--bogus'], /unknown option '--bogus'/],
    [['cost', 'zoo:mnist-cnn'], /required option '--target <t>' not specified/],
    [['study'], /a command is required/],
  ];
  const runs = await pool(
    cases.map(
      ([args]) =>
        () =>
          hwnas(...args),
    ),
    3,
  );
  cases.forEach(([args, pattern], i) => assertUserError(runs[i] as Run, pattern, `hwnas ${args.join(' ')}`));
  // nothing was created by the failing commands
  assert.throws(() => readFileSync(f('no-such-dir/m.onnx')));
});

test('inspect --json: per-layer MACs and params match the hand count of conv16-pool-conv32-pool-fc10', async () => {
  const r = await hwnas('inspect', 'zoo:mnist-cnn', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { totals: { macs: number; params: number; layers: number }; layers: { name: string; macs: number; params: number }[] };
  const by = new Map(j.layers.map((l) => [l.name, l]));
  // 3x3 'same' conv: out pixels x out channels x 9 x in channels; fc: 7*7*32 inputs x 10
  assert.deepEqual([by.get('conv1')?.macs, by.get('conv1')?.params], [28 * 28 * 16 * 9, 16 * 9 + 16]);
  assert.deepEqual([by.get('conv2')?.macs, by.get('conv2')?.params], [14 * 14 * 32 * 16 * 9, 32 * 16 * 9 + 32]);
  assert.deepEqual([by.get('fc')?.macs, by.get('fc')?.params], [7 * 7 * 32 * 10, 7 * 7 * 32 * 10 + 10]);
  assert.deepEqual(j.totals, { macs: 112896 + 903168 + 15680, params: 160 + 4640 + 15690, layers: 3 });
});

test('zoo --json and targets --json list what the README promises', async () => {
  const [zoo, targets] = await Promise.all([hwnas('zoo', '--json'), hwnas('targets', '--json')]);
  assert.equal(zoo.code, 0, zoo.stderr);
  assert.equal(targets.code, 0, targets.stderr);
  const models = (JSON.parse(zoo.stdout) as { name: string; macs: number }[]).map((m) => m.name);
  for (const m of ['mnist-cnn', 'mbnet32', 'mobilenet-v2', 'resnet18', 'resnet50', 'vgg16', 'efficientnet-b0']) assert.ok(models.includes(m), `zoo lists ${m}`);
  const names = (JSON.parse(targets.stdout) as { name: string }[]).map((t) => t.name);
  for (const t of ['bitfusion-edge', 'bismo-cloud', 'systolic', 'myriad-x', 'cortex-a76', 'jetson-nano', 'edge-tpu', 'a100', 'host-cpu'])
    assert.ok(names.includes(t), `targets lists ${t}`);
});

test('cost --json: W4A4 on bitfusion-edge has a quarter of the bit-ops of W8A8 and a lower latency', async () => {
  const [w4, w8] = await Promise.all([
    hwnas('cost', 'zoo:mobilenet-v2', '--target', 'bitfusion-edge', '--policy', 'w4a4', '--json'),
    hwnas('cost', 'zoo:mobilenet-v2', '--target', 'bitfusion-edge', '--json'),
  ]);
  assert.equal(w4.code, 0, w4.stderr);
  assert.equal(w8.code, 0, w8.stderr);
  type Total = { macs: number; bitOps: number; latencyMs: number; weightBytes: number };
  const a = (JSON.parse(w4.stdout) as { total: Total }).total;
  const b = (JSON.parse(w8.stdout) as { total: Total }).total;
  assert.equal(a.macs, b.macs);
  assert.equal(a.bitOps, a.macs * 16);
  assert.equal(b.bitOps, b.macs * 64);
  assert.ok(a.latencyMs > 0 && a.latencyMs < b.latencyMs, `W4A4 ${a.latencyMs} ms vs W8A8 ${b.latencyMs} ms`);
  assert.ok(a.weightBytes < b.weightBytes);
});

test('train --out then eval: onnxruntime accuracy agrees with the engine within 0.5 pp', async () => {
  const ds = 'mnist;limit=test:2000';
  const tr = await hwnas(
    'train',
    'zoo:mnist-cnn',
    '--dataset',
    ds,
    '--limit',
    '512',
    '--epochs',
    '1',
    '--batch-size',
    '32',
    '--lr',
    '0.005',
    '--json',
    '--out',
    'x.onnx',
  );
  assert.equal(tr.code, 0, tr.stderr);
  const t = JSON.parse(tr.stdout) as { testAccuracy: number; epochs: number; out: string };
  assert.equal(t.epochs, 1);
  assert.ok(t.testAccuracy > 0.3, `16 Adam steps lift MNIST well above chance (got ${t.testAccuracy})`);
  const ev = await hwnas('eval', 'x.onnx', '--dataset', ds, '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const e = JSON.parse(ev.stdout) as { accuracy: number; n: number };
  assert.equal(e.n, 2000);
  assert.ok(Math.abs(e.accuracy - t.testAccuracy) <= 0.005, `eval ${e.accuracy} vs train ${t.testAccuracy}`);
});

test('study create/run/list/export, and a failing command leaves the store intact', async () => {
  const create = await hwnas('study', 'create', '--config', 'study.json');
  assert.equal(create.code, 0, create.stderr);
  const run = await hwnas('study', 'run', 'bits', '--threads', '0', '--json');
  assert.equal(run.code, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { counts: { complete: number } }).counts.complete, 10);
  const list = await hwnas('study', 'list', '--json');
  assert.deepEqual(
    (JSON.parse(list.stdout) as { name: string; complete: number }[]).map((s) => [s.name, s.complete]),
    [['bits', 10]],
  );
  const csv = await hwnas('study', 'export', 'bits', '--format', 'csv');
  assert.equal(csv.code, 0, csv.stderr);
  assert.equal(csv.stdout.trim().split('\n').length, 11, 'header + 10 trials');
  const before = await hwnas('study', 'export', 'bits', '--format', 'json');

  // failing commands on the same store
  const bad = await pool(
    [
      () => hwnas('study', 'run', 'nope'),
      () => hwnas('study', 'create', '--config', 'study.json'),
      () => hwnas('study', 'export', 'bits', '--format', 'xml'),
      () => hwnas('study', 'run', 'bits', '--threads', 'many'),
    ],
    2,
  );
  assertUserError(bad[0] as Run, /no study named "nope".*known: bits/, 'study run nope');
  assertUserError(bad[1] as Run, /study 'bits' already exists/, 'study create twice');
  assertUserError(bad[2] as Run, /--format 'xml': expected csv, json or optuna/, 'export xml');
  assertUserError(bad[3] as Run, /--threads must be an integer >= 0, got 'many'/, 'run --threads many');

  const afterExport = await hwnas('study', 'export', 'bits', '--format', 'json');
  assert.equal(afterExport.stdout, before.stdout, 'the trials are unchanged');
  const store = new SqliteStore(f('.hwnas/hwnas.sqlite'), { readonly: true });
  try {
    const trials = store.getTrials('bits');
    assert.equal(trials.length, 10);
    assert.ok(trials.every((t) => t.state === 'complete' && t.values?.length === 2));
  } finally {
    store.close();
  }

  // another program's SQLite file given as --store is refused before anything is written to it
  const other = new Database(f('app.sqlite'));
  other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
  other.close();
  const foreign = await hwnas('study', 'create', '--config', 'study.json', '--store', 'app.sqlite');
  assertUserError(foreign, /store "app\.sqlite" is an SQLite database of something else \(tables notes\)/, 'foreign store');
  const check = new Database(f('app.sqlite'), { readonly: true });
  try {
    assert.deepEqual(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all(), [{ name: 'notes' }]);
    assert.deepEqual(check.prepare('SELECT body FROM notes').all(), [{ body: 'keep me' }]);
  } finally {
    check.close();
  }
});
