/**
 * `hwnas train 'space:<space>:<arch>'` for classification (issue 18, session 54): an architecture string as `hwnas
 * nas` prints it, built at the space's channels and the architecture's own input size for the data set's classes
 * (here 3, not the 10 a probe build takes), trained and written as ONNX; a joint architecture+precision (`+bits`)
 * string is refused (exit 2) naming the float32 architecture to train instead.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeNpy } from '../../data/npy.js';
import { inputNode, outputShape } from '../../ir/index.js';
import { loadModelSpec } from '../../onnx/model-source.js';
import { runHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-train-space-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ARCH = 'r20-w0.5:k3e1r|k3e1r|k3e1r|k3e1r';

test("train 'space:mbv2-micro:<arch>': built for the data set's 3 classes at the architecture's 20x20 input, trained, written", async () => {
  const n = 60;
  writeNpy(join(dir, 'x.npy'), { dtype: 'float32', shape: [n, 1, 28, 28], data: new Float32Array(n * 28 * 28).map((_, i) => ((i * 7) % 11) / 11) });
  writeNpy(join(dir, 'y.npy'), { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, (_, i) => i % 3) });
  const data = `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`;
  const out = join(dir, 'a.onnx');
  const r = await runHwnas(dir, 'train', `space:mbv2-micro:${ARCH}`, '--dataset', data, '--epochs', '1', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { out: string; testAccuracy: number };
  assert.equal(res.out, out);
  const m = loadModelSpec(out);
  assert.deepEqual(outputShape(m.graph), [3]);
  assert.deepEqual(inputNode(m.graph).shape, [1, 20, 20]);
});

test("train 'space:mbv2-micro+bits:<arch>@...': exit 2 naming the float32 architecture to train and quantize", async () => {
  const r = await runHwnas(dir, 'train', `space:mbv2-micro+bits:${ARCH}@w4a4,w8a8,w8a8,w2a2`, '--dataset', 'mnist');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /hwnas train trains float32 networks, and 'mbv2-micro\+bits' is a joint architecture\+precision space/);
  assert.ok(r.stderr.includes(`train the architecture in float32 with 'space:mbv2-micro:${ARCH}'`), r.stderr);
});
