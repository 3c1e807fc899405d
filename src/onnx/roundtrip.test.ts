import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Model } from '../ir/types.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { exportOnnx } from './export.js';
import { importOnnx } from './import.js';
import { allOpsGraph, normalizeGraph, randomModel } from './testing/fixtures.js';

/** Every zoo model (the largest at reduced size or width so the test stays fast). */
export const ZOO_SPECS = ['mnist-cnn', 'mbnet32', 'mobilenet-v2', 'efficientnet-b0', 'resnet18?size=64', 'resnet50?size=64', 'vgg16?size=32&width=0.5'];

function assertSameModel(a: Model, b: Model): void {
  assert.deepEqual(normalizeGraph(b.graph), normalizeGraph(a.graph));
  assert.deepEqual([...b.weights.keys()].sort(), [...a.weights.keys()].sort());
  for (const [k, t] of a.weights) {
    const u = b.weights.get(k);
    assert.ok(u, k);
    assert.deepEqual([...u.shape], [...t.shape], k);
    const x = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    const y = new Uint32Array(u.data.buffer, u.data.byteOffset, u.data.length);
    assert.ok(x.length === y.length && x.every((v, i) => v === y[i]), `weight ${k} differs bit-wise`);
  }
}

for (const spec of ZOO_SPECS) {
  test(`round trip IR -> ONNX -> IR is lossless: ${spec}`, () => {
    const model = randomModel(zooGraph(spec), 7);
    const back = importOnnx(exportOnnx(model), spec);
    assertSameModel(model, back);
  });
}

for (const opset of [11, 13, 14, 18]) {
  test(`round trip of a graph with every IR op, opset ${opset}`, () => {
    const model = randomModel(allOpsGraph(), 3);
    const back = importOnnx(exportOnnx(model, { opset }), 'all-ops');
    const ops = new Set(model.graph.nodes.map((n) => n.op));
    assert.equal(ops.size, 22, 'fixture covers every op');
    assertSameModel(model, back);
  });
}

test('fixed batch export round-trips too, and a bad opset is refused', () => {
  const model = randomModel(zooGraph('mnist-cnn'), 1);
  assertSameModel(model, importOnnx(exportOnnx(model, { batch: 4 })));
  assert.throws(() => exportOnnx(model, { opset: 9 }), /opset 9 .*expected an integer from 11 to 21/);
  assert.throws(() => exportOnnx(model, { batch: 0 }), /batch 0 is invalid/);
});

test('export refuses weights that do not fit the graph', () => {
  const model = randomModel(zooGraph('mnist-cnn'), 1);
  const weights = new Map(model.weights);
  weights.delete('fc.bias');
  assert.throws(() => exportOnnx({ graph: model.graph, weights }), /missing weight 'fc.bias'/);
});
