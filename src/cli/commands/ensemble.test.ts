/** `hwnas ensemble` end to end with the real CLI: bad input exits 2; a small run prints the JSON of the issue and an ONNX file that onnxruntime scores like the engine. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runHwnas, spawnHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-ensemble-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('hwnas ensemble: bad values exit 2 with the value named, no stack trace', async () => {
  const base = ['ensemble', 'zoo:mnist-cnn', '--dataset', 'mnist;limit=100'];
  const cases: [string[], RegExp][] = [
    [['--members', '0'], /--members/],
    [['--members', '65'], /--members 65: expected 1\.\.64/],
    [['--sampling', 'bagging'], /--sampling must be stochastic or independent, got 'bagging'/],
    [['--weight-bits', '9'], /member weight bits 9: expected an integer 1\.\.8/],
    [['--act-bits', '12'], /member activation bits 12/],
    [['--rounding', 'up'], /--rounding must be nearest or lfsr, got 'up'/],
    [['--target', 'tpu9000'], /unknown hardware target 'tpu9000'/],
    [['--temperature', '0'], /--temperature 0/],
    [['--weight-format', 'int4'], /--weight-format must be float or qdq, got 'int4'/],
    [['--distill', '1.5'], /--distill 1.5: expected a number in \[0, 1\]/],
  ];
  for (const [args, re] of cases) {
    const r = await runHwnas(dir, ...base, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('hwnas ensemble --json --out: member and ensemble accuracies, costs per target, ONNX accuracy equal to the engine within 0.1 pp', async () => {
  const out = join(dir, 'ens.onnx');
  const args = [
    'ensemble',
    'zoo:mnist-cnn',
    '--dataset',
    'mnist;limit=train:1500,val:200,test:2000',
    '--epochs',
    '1',
    '--bitwise-epochs',
    '1',
    '--members',
    '3',
    '--workers',
    '1',
    '--target',
    'bismo-cloud,bitfusion-edge',
    '--out',
    out,
    '--weight-format',
    'qdq',
    '--distill',
    '0.5',
    '--json',
    '--seed',
    '2',
  ];
  const r = await spawnHwnas(dir, args, { timeoutMs: 900_000 }).done;
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    members: number;
    memberAccuracies: number[];
    majorityVsMembers: number[];
    ensembleAccuracy: number;
    floatAccuracy: number;
    vote: string;
    latencyMs: number;
    floatLatencyMs: number;
    energyMj: number;
    costs: { target: string; member: { latencyMs: number; energyMj: number }; sequential: { latencyMs: number }; parallel: { latencyMs: number } }[];
    onnxAccuracy: number;
    onnxAccuracyUnoptimized: number;
    engineAccuracy: number;
    weightFormat: string;
    distill: number;
  };
  assert.equal(j.members, 3);
  assert.equal(j.memberAccuracies.length, 3);
  assert.equal(j.vote, 'majority');
  assert.equal(j.ensembleAccuracy, j.majorityVsMembers[2]);
  // trained for one epoch on 1,500 digits: far above chance (10%)
  assert.ok(j.floatAccuracy > 0.6 && j.ensembleAccuracy > 0.6, `float ${j.floatAccuracy}, ensemble ${j.ensembleAccuracy}`);
  assert.deepEqual(
    j.costs.map((c) => c.target),
    ['bismo-cloud', 'bitfusion-edge'],
  );
  for (const c of j.costs) {
    assert.ok(Math.abs(c.sequential.latencyMs - 3 * c.member.latencyMs) < 1e-12);
    assert.equal(c.parallel.latencyMs, c.member.latencyMs);
  }
  assert.equal(j.latencyMs, j.costs[0]?.sequential.latencyMs);
  assert.ok(Math.abs(j.energyMj - 3 * (j.costs[0]?.member.energyMj as number)) < 1e-12);
  assert.ok(existsSync(out));
  assert.equal(j.weightFormat, 'qdq');
  assert.equal(j.distill, 0.5);
  // the file as written (no graph optimisation) scores like the engine within 0.1 pp; onnxruntime's default session
  // fuses QDQ into integer kernels whose requantisation moves vote scores by ~1e-3 and can flip near-ties
  assert.ok(
    Math.abs(j.onnxAccuracyUnoptimized - j.engineAccuracy) <= 0.001,
    `onnxruntime (unoptimised) ${j.onnxAccuracyUnoptimized} vs engine ${j.engineAccuracy}`,
  );
  assert.ok(Math.abs(j.onnxAccuracy - j.engineAccuracy) <= 0.005, `onnxruntime (default) ${j.onnxAccuracy} vs engine ${j.engineAccuracy}`);
});

test('hwnas ensemble: Ctrl-C during the float training says where it stood and that nothing was written, exit 130', async () => {
  const out = join(dir, 'interrupted.onnx');
  const args = ['ensemble', 'zoo:mnist-cnn', '--dataset', 'mnist;limit=train:5000,val:100,test:100', '--epochs', '3', '--workers', '1', '--out', out];
  const proc = spawnHwnas(dir, args, { env: { HWNAS_PROGRESS: 'lines' } });
  await proc.signalWhen('SIGINT', 'a float-training progress line', () => /train float \d+\/\d+/.test(proc.stderr()));
  const r = await proc.done;
  assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal})\n${r.stderr}`);
  assert.match(
    r.stderr,
    /interrupted while training the float model; nothing written \(.*interrupted\.onnx is written at the end.*\): the same command starts again/,
  );
  assert.equal(r.stdout, '', 'no result printed for an interrupted run');
  assert.ok(!existsSync(out), 'no ensemble file');
});
