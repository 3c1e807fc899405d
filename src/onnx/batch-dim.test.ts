/**
 * An imported file's input batch survives import -> IR -> export (review56 #7): a fixed batch (`torch.onnx.export`
 * without `dynamic_axes` writes `[1,3,H,W]`) stays fixed and a symbolic one keeps its name, in the plain export
 * (transform, train), the QDQ export (`quantize --out`), a rewritten model (`transform`) and the ensemble export.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportEnsembleOnnx } from '../ensemble/export.js';
import { graphFromJson, graphToJson } from '../ir/serialize.js';
import { exportQdqOnnx } from '../quant/qdq-export.js';
import { replaceUnits } from '../transform/rewrite.js';
import { Rng } from '../util/rng.js';
import { exportOnnx } from './export.js';
import { importOnnx } from './import.js';
import { createSession, runOnnx } from './ort.js';
import { onnx } from './proto.js';
import { type Dim, OnnxGraphWriter } from './writer.js';

const rng = new Rng(56);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal(0, 0.3));

/** img [b,3,6,6] -> Conv 3x3 (4) -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> logits [b,2]. */
function torchStyle(b: Dim): Uint8Array {
  const w = new OnnxGraphWriter('torch_jit', 13);
  w.addInput('img', [b, 3, 6, 6]);
  w.addFloat('c1.weight', [4, 3, 3, 3], rand(108));
  w.addFloat('c1.bias', [4], rand(4));
  w.addNode('Conv', ['img', 'c1.weight', 'c1.bias'], ['t1'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }, '/c1/Conv');
  w.addNode('Relu', ['t1'], ['t2'], {}, '/act/Relu');
  w.addNode('GlobalAveragePool', ['t2'], ['t3'], {}, '/pool/GlobalAveragePool');
  w.addNode('Flatten', ['t3'], ['t4'], {}, '/Flatten');
  w.addFloat('fc.weight', [2, 4], rand(8));
  w.addFloat('fc.bias', [2], rand(2));
  w.addNode('Gemm', ['t4', 'fc.weight', 'fc.bias'], ['logits'], { transB: { i: 1 } }, '/fc/Gemm');
  w.addOutput('logits', [b, 2]);
  return w.encode();
}

/** The batch dimension of the input and of every output of `bytes`: a number (fixed) or the symbolic name. */
function batches(bytes: Uint8Array): Array<number | string> {
  const g = onnx.ModelProto.decode(bytes).graph;
  return [...(g?.input ?? []), ...(g?.output ?? [])].map((v) => {
    const d = v.type?.tensorType?.shape?.dim?.[0];
    return d?.dimParam ? d.dimParam : Number(d?.dimValue ?? 0);
  });
}

test("a fixed-batch file's batch stays fixed through import and every export; onnxruntime runs the export", async () => {
  const file = torchStyle(1);
  const m = importOnnx(file, 'fixed.onnx');
  assert.equal(m.graph.batch, 1);
  const out = exportOnnx(m);
  assert.deepEqual(batches(out), [1, 1], 'the plain export');
  // QDQ (quantize --out): 8-bit weights on the conv
  const qdq = exportQdqOnnx(m, { weights: { '/c1/Conv': { bits: 8 } }, activations: {} });
  assert.deepEqual(batches(qdq), [1, 1], 'the QDQ export');
  // a rewritten model (transform) and a stored-and-loaded graph keep it
  assert.deepEqual(batches(exportOnnx(replaceUnits(m, []))), [1, 1], 'a rewritten model');
  assert.deepEqual(batches(exportOnnx({ graph: graphFromJson(graphToJson(m.graph)), weights: m.weights })), [1, 1], 'a stored graph');
  // the ensemble of the model (input and both outputs)
  assert.deepEqual(batches(exportEnsembleOnnx(m.graph, [m.weights, m.weights], {})), [1, 1, 1], 'the ensemble export');
  // an explicit batch still wins
  assert.deepEqual(batches(exportOnnx(m, { batch: 'dynamic' })), ['N', 'N']);
  // onnxruntime runs the fixed-batch exports (in chunks of 1) and they compute what the file computes
  const x = rand(3 * 3 * 36);
  const run = async (bytes: Uint8Array): Promise<number[]> => {
    const s = await createSession(bytes);
    try {
      assert.equal(s.fixedBatch, 1);
      return [...(await runOnnx(s, x, 3))];
    } finally {
      await s.session.release();
    }
  };
  const want = await run(file);
  const got = await run(out);
  got.forEach((v, i) => assert.ok(Math.abs(v - (want[i] as number)) < 1e-5, `output ${i}: ${v} vs ${want[i]}`));
  assert.equal((await run(qdq)).length, 6);
});

test('a symbolic batch keeps its name; a graph hwnas builds (no imported batch) exports a dynamic N', () => {
  const m = importOnnx(torchStyle('batch_size'), 'dyn.onnx');
  assert.equal(m.graph.batch, 'batch_size');
  assert.deepEqual(batches(exportOnnx(m)), ['batch_size', 'batch_size']);
  const { batch: _, ...own } = m.graph;
  assert.deepEqual(batches(exportOnnx({ graph: own, weights: m.weights })), ['N', 'N']);
  assert.throws(() => graphFromJson({ ...graphToJson(m.graph), batch: 0 }), /"batch" is 0, expected a positive integer/);
});
