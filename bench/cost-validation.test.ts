import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bitFusionEdge } from '../src/hardware/bitfusion.js';
import {
  costLayers,
  fitGrid34,
  fitOld,
  fitSim,
  loadNewSimData,
  loadSimData,
  loadSimSplit,
  makeSimSplit,
  meanLogError,
  SPLIT_SEED,
  scrambleHeld,
  simLayerId,
  simShape,
  simSplitCsvRows,
} from './cost-validation.js';

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

test('the fit on the fit half picks channel-wise mapping (the preset), whatever the held-out rows say', () => {
  const split = loadSimSplit();
  const f = fitSim(data, split);
  assert.equal(f.candidates.length, 18);
  assert.deepEqual(f.chosen.choices, { mapping: 'channel', stalls: 'edges', psum: 'none' });
  const preset = bitFusionEdge().params;
  assert.equal(preset.mapping, f.chosen.choices.mapping);
  assert.equal(preset.psum, f.chosen.choices.psum);
  // the preset keeps stalls 'overlap': the fit's 'edges' does not improve the held-out half (targets/bitfusion-edge.json)
  assert.equal(preset.stalls, 'overlap');
  const held = new Set(split.held);
  const at = (c: object) => meanLogError(costLayers(data, c), held);
  const old = at({ mapping: 'im2col', stalls: 'overlap', psum: 'none' });
  const now = at({ mapping: 'channel', stalls: 'overlap', psum: 'none' });
  assert.ok(now < 0.6 * old, `held-out ${now} vs the 2026-12-03 model ${old}`);
  assert.ok(now <= at(f.chosen.choices), 'stalls: edges would have improved the held-out half');
  for (const seed of [1, 2, 3]) {
    const s = fitSim(scrambleHeld(data, split, seed), split);
    assert.deepEqual(s.chosen.choices, f.chosen.choices, `scramble ${seed}`);
    assert.ok(Math.abs(s.chosen.fit - f.chosen.fit) < 1e-12);
    assert.notEqual(s.chosen.held, f.chosen.held, 'the scramble moved the held-out rows');
  }
});

test('the new rows (session 34) load: 48 layers x the same 5 configurations, no layer or shape of the sweep', () => {
  const fresh = loadNewSimData();
  assert.equal(fresh.layers.length, 240);
  assert.equal(new Set(fresh.layers.map(simLayerId)).size, 48);
  assert.deepEqual(fresh.configs, data.configs);
  const oldIds = new Set(data.layers.map(simLayerId));
  const oldShapes = new Set(data.layers.map(simShape));
  for (const l of fresh.layers) {
    assert.ok(!oldIds.has(simLayerId(l)) && !oldShapes.has(simShape(l)), `${simLayerId(l)} (${simShape(l)}) is in the sweep`);
    assert.ok(l.simCycles > 0 && l.simDramReadBits > 0 && l.batch === 16, simLayerId(l));
  }
  assert.ok(fresh.sources.some((s) => s.includes('04ec1c87c91ef4a681858f84f5a7832d5b65e83b')));
});

test('the session-34 fit on the 305 old rows picks psum=dram, and is unchanged when the new rows are scrambled', () => {
  const f = fitOld(data);
  assert.equal(f.candidates.length, 12);
  assert.deepEqual(f.chosen.choices, { mapping: 'channel', stalls: 'overlap', psum: 'dram' });
  const fresh = loadNewSimData();
  // old and new rows in one data set, the new ones as the "held" half: the fit half's choice must be fitOld's,
  // whatever the new rows' simulator figures are
  const both = { ...data, layers: [...data.layers, ...fresh.layers] };
  const split = { seed: 0, fit: [...new Set(data.layers.map(simLayerId))], held: [...new Set(fresh.layers.map(simLayerId))] };
  for (const seed of [1, 2, 3]) {
    const s = fitSim(scrambleHeld(both, split, seed), split, fitGrid34());
    assert.deepEqual(s.chosen.choices, f.chosen.choices, `scramble ${seed}`);
    assert.ok(Math.abs(s.chosen.fit - f.chosen.fit) < 1e-12);
  }
});
