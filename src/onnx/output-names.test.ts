/**
 * An imported file's own output names survive import and export (PyTorch writes node `/fc/Gemm` producing tensor `y`
 * for `output_names=['y']`; deployment code runs `sess.run(['y'], ...)`), while IR node names, weights and layer names
 * stay the node's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { graphFromJson, graphToJson } from '../ir/serialize.js';
import { Rng } from '../util/rng.js';
import { exportOnnx } from './export.js';
import { importOnnx } from './import.js';
import { createSession, runOnnx } from './ort.js';
import { onnx } from './proto.js';
import { OnnxGraphWriter } from './writer.js';

const rng = new Rng(5);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal(0, 0.3));

/** x [N,6] -> Gemm '/fc/Gemm' -> 'y' [N,4]; with `twoOutputs`, also 'emb' (Relu output, read by the Gemm) as an output. */
function torchStyle(twoOutputs = false): Uint8Array {
  const w = new OnnxGraphWriter('torch_jit', 13);
  w.addInput('x', ['N', 6]);
  w.addNode('Relu', ['x'], [twoOutputs ? 'emb' : '/act/Relu_output_0'], {}, '/act/Relu');
  w.addFloat('fc.weight', [4, 6], rand(24));
  w.addFloat('fc.bias', [4], rand(4));
  w.addNode('Gemm', [twoOutputs ? 'emb' : '/act/Relu_output_0', 'fc.weight', 'fc.bias'], ['y'], { transB: { i: 1 } }, '/fc/Gemm');
  w.addOutput('y', ['N', 4]);
  if (twoOutputs) w.addOutput('emb', ['N', 6]);
  return w.encode();
}

/** The first output of `bytes` run in onnxruntime on `x` (batch `n`). */
async function run(bytes: Uint8Array, x: Float32Array, n: number): Promise<number[]> {
  const s = await createSession(bytes);
  try {
    return [...(await runOnnx(s, x, n))];
  } finally {
    await s.session.release();
  }
}

const io = (bytes: Uint8Array): { inputs: string[]; outputs: string[]; nodes: string[] } => {
  const g = onnx.ModelProto.decode(bytes).graph;
  return {
    inputs: (g?.input ?? []).map((v) => v.name ?? ''),
    outputs: (g?.output ?? []).map((v) => v.name ?? ''),
    nodes: (g?.node ?? []).map((n) => n.name ?? ''),
  };
};

test("an imported file's output name is kept by the export; its node keeps its name, and so do weights", async () => {
  const file = torchStyle();
  const m = importOnnx(file, 'res.onnx');
  assert.deepEqual(m.graph.outputs, ['/fc/Gemm'], 'the IR node is the ONNX node');
  assert.deepEqual(m.graph.outputNames, { '/fc/Gemm': 'y' });
  const out = exportOnnx(m);
  assert.deepEqual(io(out), { inputs: ['x'], outputs: ['y'], nodes: ['/act/Relu', '/fc/Gemm'] });
  // onnxruntime runs the written file by the user's names, and it computes what the original file computes
  const s = await createSession(out);
  assert.equal(s.outputName, 'y');
  await s.session.release();
  const x = rand(3 * 6);
  assert.deepEqual(await run(out, x, 3), await run(file, x, 3));
  // and a second import/export is stable
  const again = importOnnx(out, 'res-trained.onnx');
  assert.deepEqual(again.graph.outputs, ['/fc/Gemm']);
  assert.deepEqual(io(exportOnnx(again)).outputs, ['y']);
});

test('an output that another node also reads is renamed for that reader too (the file stays valid)', async () => {
  const m = importOnnx(torchStyle(true), 'two.onnx');
  assert.deepEqual(m.graph.outputNames, { '/fc/Gemm': 'y', '/act/Relu': 'emb' });
  const out = exportOnnx(m);
  assert.deepEqual(io(out).outputs, ['y', 'emb']);
  const s = await createSession(out);
  assert.deepEqual([...s.session.outputNames].sort(), ['emb', 'y']);
  await s.session.release();
});

test('an output name that another node carries is not taken (the export keeps the node name there)', () => {
  const w = new OnnxGraphWriter('clash', 13);
  w.addInput('x', ['N', 4]);
  w.addNode('Relu', ['x'], ['a'], {}, 'out');
  w.addNode('Sigmoid', ['a'], ['out'], {}, 'sig');
  w.addOutput('out', ['N', 4]);
  const m = importOnnx(w.encode());
  assert.deepEqual(m.graph.outputs, ['sig']);
  assert.equal(m.graph.outputNames, undefined);
  assert.deepEqual(io(exportOnnx(m)).outputs, ['sig']);
  // a hand-made graph whose outputNames clash with a node name is written with the node's name, not twice
  assert.deepEqual(io(exportOnnx({ ...m, graph: { ...m.graph, outputNames: { sig: 'out' } } })).outputs, ['sig']);
});

test('the IR JSON keeps outputNames and refuses a malformed one', () => {
  const g = importOnnx(torchStyle(), 'res.onnx').graph;
  assert.deepEqual(graphFromJson(graphToJson(g)).outputNames, { '/fc/Gemm': 'y' });
  assert.throws(() => graphFromJson({ ...graphToJson(g), outputNames: { '/fc/Gemm': 3 } }), /"outputNames" must be an object of strings/);
});
