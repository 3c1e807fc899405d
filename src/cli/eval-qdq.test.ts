import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadDataset } from '../data/load.js';
import { initEngine } from '../engine/backend.js';
import { buildModel } from '../engine/model.js';
import { uniformPolicy } from '../hardware/precision.js';
import { initWeights, zooGraph } from '../ir/index.js';
import { calibrateActivations } from '../quant/apply.js';
import { exportQdqOnnx } from '../quant/qdq-export.js';
import { quantConfig } from '../quant/quant-config.js';
import { Rng } from '../util/rng.js';
import { onnxAccuracy } from './commands/eval.js';
import { runHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-eval-qdq-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('hwnas eval runs a QDQ ONNX file (QuantizeLinear/DequantizeLinear) as it is, with the accuracy onnxruntime gives', async () => {
  await initEngine({ backend: 'wasm' });
  const graph = zooGraph('mnist-cnn');
  const model = { graph, weights: initWeights(graph, new Rng(3)) };
  const ds = await loadDataset('mnist;limit=300');
  const m = buildModel(model);
  let bytes: Uint8Array;
  try {
    const cal = calibrateActivations(m, ds.train.x, 100, 'mse');
    bytes = exportQdqOnnx(model, quantConfig(graph, uniformPolicy(8, 8), cal));
  } finally {
    m.dispose();
  }
  const path = join(dir, 'q.onnx');
  writeFileSync(path, bytes);
  const r = await runHwnas(dir, 'eval', path, '--dataset', 'mnist;limit=300', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { accuracy: number; n: number };
  const direct = await onnxAccuracy(path, ds.test.x, ds.test.y, ds.test.n);
  assert.equal(out.n, ds.test.n);
  assert.equal(out.accuracy, direct.accuracy);
  const empty = await runHwnas(dir, 'eval', path, '--dataset', 'mnist;limit=0');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /limit '0' leaves no images/);
});
