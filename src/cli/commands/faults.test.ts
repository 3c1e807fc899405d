/**
 * `hwnas faults` as a user runs it (the real CLI spawned): bad input exits 2 with one line naming the value,
 * a small run prints the documented JSON shape, and Ctrl-C keeps the finished runs (exit 130).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initWeights, zooGraph } from '../../ir/index.js';
import { saveOnnx } from '../../onnx/index.js';
import { Rng } from '../../util/rng.js';
import { type CliRun, cpuSeconds, runHwnas, spawnHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-faults-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const onnx = join(dir, 'm.onnx');
before(() => {
  const graph = zooGraph('mnist-cnn');
  saveOnnx({ graph, weights: initWeights(graph, new Rng(1)) }, onnx);
});

function assertUserError(r: CliRun, pattern: RegExp, what: string): void {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('hwnas: error: '));
  assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr:\n${r.stderr}`);
  assert.equal(lines.length, 1, `${what}: stderr:\n${r.stderr}`);
  assert.match(lines[0] as string, pattern, what);
  assert.ok(!r.stderr.includes('    at '), `${what}: stack trace:\n${r.stderr}`);
}

const data = 'mnist;limit=train:600,val:100,test:200';

test('faults: bad input exits 2 naming the value', async () => {
  const cases: [string[], RegExp][] = [
    [['--ber', '2'], /--ber: '2' is not a bit error rate in \(0, 1\]/],
    [['--ber', '1e-5,,1e-4'], /--ber '1e-5,,1e-4' has an empty item/],
    [['--sites', 'bias'], /--sites must be weights, activations or both, got 'bias'/],
    [['--kind', 'zap'], /--kind must be one of flip, stuck-0, stuck-1, got 'zap'/],
    [['--flips', '3', '--sites', 'activations'], /--flips applies to weights only/],
    [['--flips', '3', '--ber', '1e-5'], /give --ber or --flips, not both/],
    [['--trials', '0'], /--trials must be an integer >= 1, got '0'/],
    [['--threshold', '1.5'], /--threshold must be an accuracy in \[0, 1\], got '1.5'/],
    [['--policy', 'w9a9'], /w9a9/],
    [['--weight-scale', 'per-row'], /--weight-scale 'per-row': expected per-channel, per-tensor or asymmetric/],
    [['--sampling', 'lucky'], /--sampling 'lucky': expected independent or stratified/],
    [['--sampling', 'stratified', '--flips', '3'], /stratified sampling draws faults at a BER/],
    [['--seed', '4294967296'], /--seed must be an integer in \[0, 4294967295\], got '4294967296'/],
    [['--seed', '-1'], /--seed must be an integer >= 0, got '-1'/],
  ];
  for (const [extra, pattern] of cases) {
    assertUserError(await runHwnas(dir, 'faults', onnx, '--dataset', data, ...extra), pattern, extra.join(' '));
  }
  assertUserError(await runHwnas(dir, 'faults', join(dir, 'nope.onnx'), '--dataset', data), /nope\.onnx/, 'missing model');
});

test('faults: flip counts beyond the stored bits, a bad --layer-rate and unknown --harden layers are refused before any training', async () => {
  // mnist-cnn stores 653824 float32 weight bits, 163456 at w8a8; with ECC on every layer 653824 * 72/64 = 735552
  const cases: [string[], RegExp][] = [
    [['--flips', '3,100000000'], /--flips 100000000: the model's weights hold 653824 bits \(float32\); expected a count <= 653824/],
    [['--flips', '163457', '--policy', 'w8a8'], /--flips 163457: the model's weights hold 163456 bits under the policy; expected a count <= 163456/],
    [['--flips', '735553', '--harden', 'conv1,conv2,fc'], /--flips 735553: the model's weights hold 735552 bits \(float32\), ECC check bits included/],
    [['--layer-rate', '5'], /--layer-rate '5': expected a bit error rate in \(0, 1\]/],
    [['--layer-rate', '0'], /--layer-rate '0': expected a bit error rate in \(0, 1\]/],
    [['--flips', '3', '--layer-rate', '0.5'], /--layer-rate '0.5': with --flips it is a number of bits .* expected an integer >= 1/],
    [['--flips', '3', '--layer-rate', '600000'], /--layer-rate 600000: .* the largest, 'fc', holds 501760 bits; expected a count <= 501760/],
    [
      ['--harden', 'conv9'],
      /--harden 'conv9': unknown layer 'conv9' in graph 'mnist-cnn': expected a number of layers or conv\/dense layer names \(conv1, conv2, fc\)/,
    ],
    [['--harden', '4'], /--harden 4: the model has 3 conv\/dense layers/],
  ];
  for (const [extra, pattern] of cases) {
    // a zoo spec is trained before the campaign: the refusal must come first
    const r = await runHwnas(dir, 'faults', 'zoo:mnist-cnn', '--dataset', data, ...extra);
    assertUserError(r, pattern, extra.join(' '));
    assert.ok(!/training it|epoch 1/.test(r.stderr), `${extra.join(' ')}: trained before refusing:\n${r.stderr}`);
  }
  // the bound itself is accepted
  const ok = await runHwnas(dir, 'faults', onnx, '--dataset', data, '--flips', '163456', '--policy', 'w8a8', '--trials', '1', '--layer-trials', '0', '--json');
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(
    (JSON.parse(ok.stdout) as { results: { flips: number; meanBitsHit: number }[] }).results.map((x) => [x.flips, x.meanBitsHit]),
    [[163456, 163456]],
  );
});

test('faults on a zoo spec trains it first on an engine it sets up itself (was an internal error)', async () => {
  const r = await runHwnas(dir, 'faults', 'zoo:mnist-cnn', '--dataset', data, '--ber', '1e-3', '--trials', '1', '--layer-trials', '0', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes('internal error'), r.stderr);
  const j = JSON.parse(r.stdout) as { baselineAccuracy: number; results: { ber: number; trials: number }[] };
  // one epoch on 600 images lifts a 10-class net above chance
  assert.ok(j.baselineAccuracy > 0.2, `baseline accuracy ${j.baselineAccuracy}`);
  assert.deepEqual(
    j.results.map((x) => [x.ber, x.trials]),
    [[1e-3, 1]],
  );
});

test('faults --json: the documented shape, float32 weights and int8 activations', async () => {
  const r = await runHwnas(
    dir,
    'faults',
    onnx,
    '--dataset',
    data,
    '--ber',
    '1e-4,1e-2',
    '--trials',
    '2',
    '--layer-trials',
    '1',
    '--sites',
    'both',
    '--policy',
    'w8a8',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    baselineAccuracy: number;
    results: { ber: number; site: string; meanAccuracy: number; p5Accuracy: number; criticalShare: number; trials: number }[];
    layers: { layer: string; site: string; drop: number }[];
    interrupted: boolean;
  };
  assert.ok(j.baselineAccuracy >= 0 && j.baselineAccuracy <= 1);
  assert.deepEqual(
    j.results.map((x) => [x.site, x.ber, x.trials]),
    [
      ['weights', 1e-4, 2],
      ['weights', 1e-2, 2],
      ['activations', 1e-4, 2],
      ['activations', 1e-2, 2],
    ],
  );
  for (const x of j.results) {
    assert.ok(x.p5Accuracy <= x.meanAccuracy + 1e-12);
    assert.ok(x.criticalShare >= 0 && x.criticalShare <= 1);
  }
  assert.deepEqual(
    j.layers.map((l) => `${l.site}:${l.layer}`),
    ['weights:conv1', 'weights:conv2', 'weights:fc', 'activations:conv1', 'activations:conv2', 'activations:fc'],
  );
  assert.equal(j.interrupted, false);
});

test('faults: Ctrl-C keeps the finished runs, reports them and exits 130', async () => {
  const p = spawnHwnas(dir, ['faults', onnx, '--dataset', data, '--ber', '1e-4', '--trials', '100000', '--layer-trials', '0', '--json'], {
    env: { HWNAS_PROGRESS: 'lines' },
  });
  // the JSON run prints no progress: let the campaign run a little (10 s of the process's own CPU time,
  // whatever the load), then interrupt
  await p.signalWhen('SIGINT', '10 CPU-seconds of the faults process', () => (cpuSeconds(p.child.pid) ?? 0) >= 10);
  const r = await p.done;
  assert.equal(r.code, 130, r.stderr);
  const j = JSON.parse(r.stdout) as { interrupted: boolean; runs: number; results: { trials: number }[] };
  assert.equal(j.interrupted, true);
  // under load the signal may land before the first run finished: then nothing is reported, and nothing lost
  assert.ok(j.runs < 100000);
  assert.equal(
    j.results.reduce((a, x) => a + x.trials, 0),
    j.runs,
  );
});
