import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelFormatError, ShapeError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { GraphBuilder } from './builder.js';
import { checkWeights, initWeights } from './init.js';
import { loadModel, modelFromBuffers, modelToBuffers, saveModel } from './serialize.js';
import { inferShapes, samePads } from './shapes.js';
import type { Graph } from './types.js';
import { activationBytes, graphWorkloads, weightBytes } from './workload.js';
import { zooGraph } from './zoo/index.js';

test('shape inference: conv, pool, flatten, dense', () => {
  const s = inferShapes(zooGraph('mnist-cnn'));
  assert.deepEqual(s.get('conv1'), [16, 28, 28]);
  assert.deepEqual(s.get('pool1'), [16, 14, 14]);
  assert.deepEqual(s.get('pool2'), [32, 7, 7]);
  assert.deepEqual(s.get('fc'), [10]);
});

test('TF same pads are uneven for stride 2 on even input', () => {
  assert.deepEqual(samePads(32, 32, [3, 3], [2, 2]), [0, 0, 1, 1]);
  assert.deepEqual(samePads(7, 7, [3, 3], [1, 1]), [1, 1, 1, 1]);
});

test('inconsistent graphs are rejected with the node named', () => {
  const bad: Graph = {
    name: 'bad',
    outputs: ['fc'],
    nodes: [
      { op: 'input', name: 'x', inputs: [], shape: [1, 8, 8] },
      { op: 'flatten', name: 'f', inputs: ['x'] },
      { op: 'dense', name: 'fc', inputs: ['f'], inFeatures: 32, outFeatures: 10, bias: true },
    ],
  };
  assert.throws(
    () => inferShapes(bad),
    (e: unknown) => e instanceof ShapeError && /dense 'fc' expects a \[32\] input, got \[64\]/.test(e.message),
  );
  const dangling: Graph = {
    name: 'd',
    outputs: ['r'],
    nodes: [
      { op: 'input', name: 'x', inputs: [], shape: [4] },
      { op: 'relu', name: 'r', inputs: ['y'] },
    ],
  };
  assert.throws(() => inferShapes(dangling), /reads 'y', which is not defined before it/);
  const b = new GraphBuilder('g', [3, 8, 8]);
  assert.throws(() => b.conv(b.input, { out: 4, kernel: 3, groups: 2 }), /groups=2 must divide/);
  const b2 = new GraphBuilder('g2', [3, 8, 8]);
  const a = b2.conv(b2.input, { out: 4, kernel: 1 });
  const c = b2.conv(b2.input, { out: 5, kernel: 1 });
  assert.throws(() => b2.addOp(a, c), /cannot be broadcast/);
});

test('workloads: depthwise conv MACs and bytes at bits', () => {
  const b = new GraphBuilder('dw', [32, 16, 16]);
  b.output(b.conv(b.input, { out: 32, kernel: 3, groups: 32, bias: false, name: 'dw' }));
  const w = graphWorkloads(b.build()).find((x) => x.node === 'dw')!;
  assert.equal(w.macs, 32 * 16 * 16 * 9);
  assert.equal(w.weightElems, 32 * 9);
  assert.equal(w.conv?.depthwise, true);
  assert.equal(weightBytes(w, 4), 32 * 9 * 0.5);
  assert.equal(activationBytes(w, 8), 2 * 32 * 16 * 16);
});

test('weights: init is seeded and serialisation round-trips bit-exactly', () => {
  const g = zooGraph('mbnet32');
  const w1 = initWeights(g, new Rng(7));
  const w2 = initWeights(g, new Rng(7));
  assert.deepEqual([...w1.get('stem.weight')!.data.slice(0, 5)], [...w2.get('stem.weight')!.data.slice(0, 5)]);
  assert.deepEqual(checkWeights(g, w1), []);
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-ir-'));
  const path = join(dir, 'm.json');
  saveModel({ graph: g, weights: w1 }, path);
  const back = loadModel(path);
  assert.deepEqual(back.graph, JSON.parse(JSON.stringify(g)));
  for (const [k, t] of w1) assert.deepEqual(back.weights.get(k)!.data, t.data, k);
  // truncated weights file: a clear error, not a crash
  const bin = readFileSync(join(dir, 'm.bin'));
  writeFileSync(join(dir, 'm.bin'), bin.subarray(0, bin.length - 400));
  assert.throws(
    () => loadModel(path),
    (e: unknown) => e instanceof ModelFormatError && /past the end/.test(e.message),
  );
});

test('modelFromBuffers rejects wrong weight shapes', () => {
  const g = zooGraph('mnist-cnn');
  const w = initWeights(g, new Rng(1));
  const { json, bin } = modelToBuffers({ graph: g, weights: w });
  const bad = { ...json, weights: json.weights.map((e) => (e.name === 'fc.weight' ? { ...e, shape: [10, 1567] } : e)) };
  assert.throws(() => modelFromBuffers(bad, bin), /weight 'fc.weight' has shape \[10,1567\], expected \[10,1568\]/);
  assert.throws(() => modelFromBuffers({ format: 'other' }, bin), /not an hwnas IR file/);
});
