import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSimData, loadSimSplit, makeSimSplit, SPLIT_SEED, simLayerId, simShape, simSplitCsvRows } from './cost-validation.js';

const data = loadSimData();

test('simulator data: 61 layers x 5 configurations, input layers marked', () => {
  assert.equal(data.layers.length, 305);
  assert.equal(Object.keys(data.configs).length, 5);
  assert.equal(new Set(data.layers.map(simLayerId)).size, 61);
  const inputs = [...new Set(data.layers.filter((l) => l.input === 1).map(simLayerId))].sort();
  assert.deepEqual(inputs, [
    'AlexNet/conv1_a',
    'AlexNet/conv1_b',
    'CIFAR10/conv0',
    'LSTM/matmul',
    'LeNet-5/conv0',
    'RESNET-18/conv1_a',
    'RNN/matmul',
    'SVHN/conv0',
    'VGG-7/conv1_a',
    'VGG-7/conv1_b',
  ]);
  // the sweep ran the WRPN (2x wide) AlexNet and ResNet-18 (sweep.py: get_bench_nn(b, WRPN=True))
  const r = data.layers.find((l) => l.network === 'RESNET-18' && l.layer === 'module2/conv2_1_b');
  assert.equal(r?.inC, 128);
  assert.equal(r?.outC, 128);
});

test('the committed split is the generator at its seed; no shape straddles; all five configurations in both sets', () => {
  const committed = loadSimSplit();
  assert.equal(committed.seed, SPLIT_SEED);
  const made = makeSimSplit(committed.seed, data);
  assert.deepEqual(committed.fit, made.fit);
  assert.deepEqual(committed.held, made.held);
  const rows = readFileSync(new URL('../../bench/data/bitfusion-sim-split.csv', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'));
  assert.deepEqual(rows, simSplitCsvRows(made, data));
  const setOf = new Map<string, string>();
  for (const l of data.layers) {
    const s = committed.held.includes(simLayerId(l)) ? 'held' : 'fit';
    const prev = setOf.get(simShape(l));
    assert.ok(prev === undefined || prev === s, `shape ${simShape(l)} is in both sets`);
    setOf.set(simShape(l), s);
  }
  for (const set of [committed.fit, committed.held]) {
    const configs = new Set(data.layers.filter((l) => set.includes(simLayerId(l))).map((l) => l.config));
    assert.equal(configs.size, 5);
  }
  assert.ok(Math.abs(committed.fit.length - committed.held.length) <= 3, `${committed.fit.length} vs ${committed.held.length}`);
  // another seed deals differently (the seed matters)
  assert.notDeepEqual(makeSimSplit(SPLIT_SEED + 1, data).held, made.held);
});

test('a split file with an unknown layer or set is refused, naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bf-split-'));
  const head = '# source: seed = 33\nnetwork,layer,set,stratum,shape\n';
  const p = join(dir, 's.csv');
  writeFileSync(p, `${head}AlexNet,conv9,fit,x,y\n`);
  assert.throws(() => loadSimSplit(p, data), /layer 'AlexNet\/conv9' is not in/);
  writeFileSync(p, `${head}AlexNet,conv1_a,train,x,y\n`);
  assert.throws(() => loadSimSplit(p, data), /set 'train' of AlexNet\/conv1_a: expected 'fit' or 'held'/);
  writeFileSync(p, `${head}AlexNet,conv1_a,fit,x,y\n`);
  assert.throws(() => loadSimSplit(p, data), /expected each of the 61 layers exactly once/);
});
