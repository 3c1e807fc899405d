/**
 * `l2norm` beyond the conformance suite: a zero slice maps to zero in the reference, the engine and
 * onnxruntime alike; the engine's gradient stays finite there; other rows come out at unit norm; an ONNX
 * LpNormalization with p = 1 is refused by name.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import ort from 'onnxruntime-node';
import { UnsupportedOpError } from '../../errors.js';
import { referenceForward } from '../../ir/reference.js';
import type { Graph } from '../../ir/types.js';
import { exportOnnx } from '../../onnx/export.js';
import { importOnnx } from '../../onnx/import.js';
import { createSession } from '../../onnx/ort.js';
import { onnx } from '../../onnx/proto.js';
import { initEngine } from '../backend.js';
import { buildModel } from '../model.js';
import { tf } from '../tf.js';

const graph: Graph = {
  name: 'l2',
  nodes: [
    { op: 'input', name: 'x', inputs: [], shape: [4] },
    { op: 'l2norm', name: 'y', inputs: ['x'], axis: -1 },
  ],
  outputs: ['y'],
};
// rows: zero, (3,4,0,0), a negative row
const X = Float32Array.from([0, 0, 0, 0, 3, 4, 0, 0, -1, 2, -2, 4]);
const WANT = [0, 0, 0, 0, 0.6, 0.8, 0, 0, -0.2, 0.4, -0.4, 0.8];

before(async () => {
  await initEngine({ backend: 'wasm' });
});

test('a zero row stays zero and other rows have unit norm: reference, engine, onnxruntime', async () => {
  const model = { graph, weights: new Map() };
  const ref = referenceForward(model, X, 3);
  ref.forEach((v, i) => assert.ok(Math.abs(v - (WANT[i] as number)) < 1e-12, `reference ${i}: ${v}`));
  const m = buildModel(model);
  try {
    const xt = m.inputTensor(X, 3);
    const y = m.forward(xt) as tf.Tensor;
    (y.dataSync() as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - (WANT[i] as number)) < 1e-6, `engine ${i}: ${v}`));
    // the gradient of sum(y * c) is finite at the zero row
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(m.forward(x) as tf.Tensor, tf.tensor2d([[1, 2, 3, 4]]))))(xt);
    assert.ok((g.dataSync() as Float32Array).every((v) => Number.isFinite(v)));
    tf.dispose([xt, y, g]);
  } finally {
    m.dispose();
  }
  const s = await createSession(exportOnnx(model, { opset: 13 }));
  try {
    const out = (await s.session.run({ [s.inputName]: new ort.Tensor('float32', X, [3, 4]) }))[s.outputName];
    assert.ok(out && out.data instanceof Float32Array);
    out.data.forEach((v, i) => assert.ok(Math.abs(v - (WANT[i] as number)) < 1e-6, `onnxruntime ${i}: ${v}`));
  } finally {
    await s.session.release();
  }
});

test('ONNX LpNormalization imports as l2norm; p = 1 is refused by name', () => {
  const bytes = exportOnnx({ graph, weights: new Map() }, { opset: 13 });
  const back = importOnnx(bytes);
  const n = back.graph.nodes.find((x) => x.op === 'l2norm');
  assert.ok(n?.op === 'l2norm' && n.axis === -1);
  const proto = onnx.ModelProto.decode(bytes);
  const node = proto.graph?.node?.find((x) => x.opType === 'LpNormalization');
  const p = node?.attribute?.find((a) => a.name === 'p');
  assert.ok(p);
  p.i = 1;
  const l1 = onnx.ModelProto.encode(proto).finish();
  assert.throws(
    () => importOnnx(l1),
    (e: unknown) => e instanceof UnsupportedOpError && /p=1/.test(e.message),
  );
});
