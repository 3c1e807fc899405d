/**
 * `hwnas nas --out` (the front networks as ONNX, review 52 #9e) and the checks `hwnas nas` makes before its study is
 * created (review 52 #7, #3 of session 53): a bad --latency target and --fault-images above the validation split exit 2
 * with nothing stored.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { checkNasOutRun } from '../testing/nas-out.js';
import { HWNAS_BIN, runHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-out-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DATA = 'fashion-mnist;limit=train:120,val:100,test:20';
const TABLE = resolve(HWNAS_BIN, '../../bench/nb201-fmnist.csv');

test('hwnas nas --out x.onnx: the front network of the best accuracy, retrained as its trial; onnxruntime gives the accuracy the search recorded', async () => {
  const args = ['nas', '--space', 'mbv2-micro', '--dataset', DATA, '--strategy', 'random', '--budget', '2', '--epochs', '1'];
  await checkNasOutRun(dir, args, { store: join(dir, 'o.sqlite'), out: join(dir, 'best.onnx'), data: DATA, space: 'mbv2-micro' });
});

test('hwnas nas: --latency network off host-cpu, --fault-images above the split, --out with --table or the supernet: exit 2 before the study', async () => {
  const store = join(dir, 'bad.sqlite');
  const base = ['nas', '--space', 'mbv2-micro', '--dataset', DATA, '--budget', '2', '--store', store];
  for (const [extra, re] of [
    [['--latency', 'network'], /--latency network times each whole network .*: it needs --target host-cpu \(got the default 'bitfusion-edge'\)/],
    [['--latency', 'network', '--target', 'systolic'], /it needs --target host-cpu \(got 'systolic'\)/],
    [
      ['--objectives', 'accuracy:max,fault_drop:min', '--fault-images', '101'],
      /--fault-images 101: --dataset '.*' has 100 validation images; expected at most 100/,
    ],
    [['--evaluator', 'supernet', '--out', join(dir, 's.onnx')], /--out .*: writes the front networks of a training search .* got --evaluator supernet/],
  ] as const) {
    const r = await runHwnas(dir, ...base, ...extra);
    assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(existsSync(store), false, `${extra.join(' ')}: nothing stored`);
  }
  const t = await runHwnas(dir, 'nas', '--space', 'nb201', '--table', TABLE, '--budget', '5', '--store', store, '--out', join(dir, 't.onnx'));
  assert.equal(t.code, 2, t.stderr);
  assert.match(t.stderr, /--out .*t\.onnx: a --table search trains nothing .* so there are no weights to write/);
  assert.equal(existsSync(store), false);
});
