/**
 * `hwnas nas --out` on a joint architecture+precision space (issue 18, session 54): the front network is retrained as
 * its trial was (float training, calibration, quantization-aware fine-tuning under the trial's precisions) and written
 * as QDQ ONNX, as `quantize --out` writes it; onnxruntime gives the accuracy the search recorded, and the file's own
 * precision (read from its codes and grids) is the trial's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { layerPrecision } from '../../hardware/precision.js';
import { quantizableLayers } from '../../ir/workload.js';
import { loadOnnxWithPrecision } from '../../onnx/import.js';
import type { JointArch } from '../../search/spaces/joint.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import { checkNasOutRun } from '../testing/nas-out.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-out-bits-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DATA = 'fashion-mnist;limit=train:600,val:300,test:20';

test('hwnas nas --space mbv2-micro+bits --out x.onnx: QDQ ONNX at the trial precision; onnxruntime gives the accuracy the search recorded', async () => {
  const args = ['nas', '--space', 'mbv2-micro+bits', '--precisions', 'w8a8,w4a4', '--dataset', DATA, '--strategy', 'random', '--budget', '2'];
  const out = join(dir, 'best.onnx');
  const { arch, recorded } = await checkNasOutRun(dir, [...args, '--epochs', '2', '--seed', '3'], {
    store: join(dir, 'b.sqlite'),
    out,
    data: DATA,
    space: 'mbv2-micro+bits',
  });
  assert.ok(recorded > 0.15, `a network that learned something (recorded ${recorded}), so equal accuracies say something`);
  const space = getArchSpace('mbv2-micro+bits');
  const a = space.parse(arch) as JointArch<unknown>;
  // a QDQ file: its precision, read from its codes and grids, is the trial's policy layer by layer
  const { model, precision } = loadOnnxWithPrecision(out);
  assert.ok(precision, 'the file is QDQ (quantized), not float');
  const policy = (space as unknown as { policy: (j: unknown, g: unknown) => Parameters<typeof layerPrecision>[0] }).policy(a, space.graph(a));
  const layers = quantizableLayers(model.graph).map((l) => l.name);
  assert.ok(layers.length > 3);
  for (const l of layers) assert.deepEqual(layerPrecision(precision, l), layerPrecision(policy, l), `layer ${l}`);
});
