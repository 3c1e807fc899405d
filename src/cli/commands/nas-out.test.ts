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
import { loadDataset } from '../../data/load.js';
import { nasDatasetOptions } from '../../nas/run.js';
import { archInputSize, resizeSplit } from '../../nas/train-eval.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import { spaceInputShape } from '../../search/spaces/types.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { HWNAS_BIN, runHwnas } from '../testing/run-cli.js';
import { onnxAccuracy } from './eval.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-out-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DATA = 'fashion-mnist;limit=train:120,val:100,test:20';
const TABLE = resolve(HWNAS_BIN, '../../bench/nb201-fmnist.csv');

test('hwnas nas --out x.onnx: the front network of the best accuracy, retrained as its trial; onnxruntime gives the accuracy the search recorded', async () => {
  const store = join(dir, 'o.sqlite');
  const out = join(dir, 'best.onnx');
  const args = ['nas', '--space', 'mbv2-micro', '--dataset', DATA, '--strategy', 'random', '--budget', '2', '--epochs', '1', '--store', store];
  const r = await runHwnas(dir, ...args, '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const m = /wrote (.*): trial #(\d+), input 1x(\d+)x\3, validation accuracy ([\d.]+)% in onnxruntime \(the search recorded ([\d.]+)%\)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [, file, trial, size, onnxPct, recordedPct] = m as unknown as [string, string, string, string, string, string];
  assert.equal(file, out);
  assert.equal(onnxPct, recordedPct);
  // the best accuracy of the study's front (2 trials of 2 objectives), read from the store
  const s = new SqliteStore(store, { readonly: true });
  let recorded: number;
  let arch: string;
  try {
    const study = s.listStudies()[0]?.name as string;
    const trials = s.getTrials(study);
    const t = trials[Number(trial)];
    recorded = t?.values?.[0] as number;
    arch = t?.userAttrs.arch as string;
    assert.equal(recorded, Math.max(...trials.map((x) => x.values?.[0] as number)));
  } finally {
    s.close();
  }
  assert.equal(recordedPct, (recorded * 100).toFixed(2));
  // independently of the command: the file run in onnxruntime on the validation split the search measured
  const space = getArchSpace('mbv2-micro');
  assert.equal(archInputSize(space.parse(arch)), Number(size));
  const d = nasDatasetOptions(DATA, undefined, spaceInputShape(space));
  const ds = await loadDataset(d.spec, d.options);
  const val = resizeSplit(ds.val, ds.shape, Number(size));
  assert.equal((await onnxAccuracy(out, val.x, val.y, val.n)).accuracy, recorded);
});

test('hwnas nas: --latency network off host-cpu, --fault-images above the split, --out with --table or a +bits space: exit 2 before the study', async () => {
  const store = join(dir, 'bad.sqlite');
  const base = ['nas', '--space', 'mbv2-micro', '--dataset', DATA, '--budget', '2', '--store', store];
  for (const [extra, re] of [
    [['--latency', 'network'], /--latency network times each whole network .*: it needs --target host-cpu \(got the default 'bitfusion-edge'\)/],
    [['--latency', 'network', '--target', 'systolic'], /it needs --target host-cpu \(got 'systolic'\)/],
    [
      ['--objectives', 'accuracy:max,fault_drop:min', '--fault-images', '101'],
      /--fault-images 101: --dataset '.*' has 100 validation images; expected at most 100/,
    ],
    [['--space', 'mbv2-micro+bits', '--out', join(dir, 'q.onnx')], /--out .*q\.onnx: --space mbv2-micro\+bits scores each network fake-quantized/],
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
