/**
 * `hwnas train <user>.onnx` as a PyTorch user runs it: the trained file keeps the user's input and output names, and a
 * model with a second output is refused (exit 2, the outputs named) rather than trained on its first output only;
 * `hwnas eval` of such a file says which output it scores.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { onnx } from '../onnx/proto.js';
import { OnnxGraphWriter } from '../onnx/writer.js';
import { Rng } from '../util/rng.js';
import { runHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-train-user-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DATA = 'mnist;limit=train:64,val:16,test:16';

/** x [N,1,28,28] -> Flatten -> Gemm '/fc/Gemm' -> 'y' [N,10], as torch.onnx.export(..., output_names=['y']) writes it; `aux` adds a 3-way head 'z'. */
function torchFile(path: string, aux: boolean): void {
  const rng = new Rng(3);
  const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal(0, 0.05));
  const w = new OnnxGraphWriter('torch_jit', 13);
  w.addInput('x', ['N', 1, 28, 28]);
  w.addNode('Flatten', ['x'], ['/Flatten_output_0'], { axis: { i: 1 } }, '/Flatten');
  w.addFloat('fc.weight', [10, 784], rand(7840));
  w.addFloat('fc.bias', [10], rand(10));
  w.addNode('Gemm', ['/Flatten_output_0', 'fc.weight', 'fc.bias'], ['y'], { transB: { i: 1 } }, '/fc/Gemm');
  w.addOutput('y', ['N', 10]);
  if (aux) {
    w.addFloat('aux.weight', [3, 784], rand(2352));
    w.addNode('Gemm', ['/Flatten_output_0', 'aux.weight'], ['z'], { transB: { i: 1 } }, '/aux/Gemm');
    w.addOutput('z', ['N', 3]);
  }
  writeFileSync(path, w.encode());
}

const names = (path: string): { inputs: string[]; outputs: string[] } => {
  const g = onnx.ModelProto.decode(readFileSync(path)).graph;
  return { inputs: (g?.input ?? []).map((v) => v.name ?? ''), outputs: (g?.output ?? []).map((v) => v.name ?? '') };
};

test("hwnas train of a user's ONNX writes a model with the user's input and output names", async () => {
  const src = join(dir, 'net.onnx');
  torchFile(src, false);
  const out = join(dir, 'net-trained.onnx');
  const r = await runHwnas(dir, 'train', src, '--dataset', DATA, '--epochs', '1', '--workers', '1', '--json', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(out), { inputs: ['x'], outputs: ['y'] });
});

test('hwnas train refuses a model with two outputs, naming them and what it expects; eval names the output it scores', async () => {
  const src = join(dir, 'two.onnx');
  torchFile(src, true);
  const r = await runHwnas(dir, 'train', src, '--dataset', DATA, '--epochs', '1', '--out', join(dir, 'two-trained.onnx'));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /model '.*two\.onnx' has 2 outputs \('y' \[10\], 'z' \[3\]\); a classifier is trained and scored on one output, its class logits/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const e = await runHwnas(dir, 'eval', src, '--dataset', DATA);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stderr, /note: '.*two\.onnx' has 2 outputs \('y', 'z'\): scoring the first, 'y', as the class logits/);
});
