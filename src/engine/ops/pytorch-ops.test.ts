/**
 * PyTorch export patterns the importer maps onto IR ops (review 56, finding 6): ReduceMean over H,W (x.mean((2, 3)),
 * keepdims 1 and 0) as a global average pool, Unsqueeze / Squeeze of size-1 axes (`[:, :, None, None]`,
 * `.squeeze(-1)`) as reshapes, LeakyRelu as its own op. The files are tiny torch.onnx exports committed under
 * src/onnx/testing/pytorch (made by scripts/pytorch-op-fixtures.py, opsets 11 and 17); onnxruntime running the
 * original file is the reference for the engine and for hwnas's own export of the imported graph.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { UnsupportedOpError } from '../../errors.js';
import { defaultPolicy } from '../../hardware/precision.js';
import { getTarget } from '../../hardware/registry.js';
import { numel } from '../../ir/geometry.js';
import { inferShapes } from '../../ir/shapes.js';
import type { Model, Shape } from '../../ir/types.js';
import { exportOnnx } from '../../onnx/export.js';
import { importOnnx, SUPPORTED_ONNX_OPS } from '../../onnx/import.js';
import { createSession } from '../../onnx/ort.js';
import { Rng } from '../../util/rng.js';
import { initEngine, withBackend } from '../backend.js';
import { buildModel } from '../model.js';
import { flat, relErr } from '../testing/oracle.js';
import { tf } from '../tf.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'src', 'onnx', 'testing', 'pytorch');
const BATCH = 3;
const INPUT: Shape = [3, 8, 8];
const fixture = (name: string): Uint8Array => readFileSync(join(DIR, `${name}.onnx`));

async function ortRun(bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const s = await createSession(bytes);
  try {
    const out = (await s.session.run({ [s.inputName]: new ort.Tensor('float32', x, [BATCH, ...INPUT]) }))[s.outputName];
    assert.ok(out && out.data instanceof Float32Array);
    return out.data;
  } finally {
    await s.session.release();
  }
}

function engineRun(model: Model, x: Float32Array): Float32Array {
  const m = buildModel(model);
  try {
    const xt = m.inputTensor(x, BATCH);
    const y = m.forward(xt, { training: false });
    const out = y.dataSync() as Float32Array;
    tf.dispose([xt, y]);
    return out;
  } finally {
    m.dispose();
  }
}

const CASES = [
  { file: 'se-keep', ops: ['leakyrelu', 'globalavgpool', 'mul'], alpha: 0.1 },
  { file: 'se-flat', ops: ['leakyrelu', 'globalavgpool', 'flatten', 'reshape', 'mul'], alpha: 0.01 },
  { file: 'squeeze', ops: ['leakyrelu', 'globalavgpool', 'reshape'], alpha: 0.2 },
] as const;

describe('PyTorch export patterns: ReduceMean, Unsqueeze/Squeeze, LeakyRelu', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  for (const c of CASES) {
    for (const opset of [11, 17]) {
      const file = `${c.file}-op${opset}`;
      it(`${file}: imports onto ${c.ops.join(', ')}; engine and hwnas's re-export match onnxruntime on the original`, async () => {
        const bytes = fixture(file);
        const model = importOnnx(bytes, file);
        const ops = new Set(model.graph.nodes.map((n) => n.op));
        for (const op of c.ops) assert.ok(ops.has(op), `${file}: no '${op}' node (ops: ${[...ops].join(', ')})`);
        const lr = model.graph.nodes.find((n) => n.op === 'leakyrelu');
        assert.equal(lr?.op === 'leakyrelu' ? lr.alpha : undefined, c.alpha, 'LeakyRelu alpha');
        assert.deepEqual(inferShapes(model.graph).get(model.graph.outputs[0] as string), [3]);

        const rng = new Rng(opset);
        const x = Float32Array.from({ length: BATCH * numel(INPUT) }, () => rng.normal(0, 2));
        const want = await ortRun(bytes, x);
        assert.ok(relErr(engineRun(model, x), want) <= 1e-4, `${file}: engine vs onnxruntime: rel err ${relErr(engineRun(model, x), want)}`);
        const again = await ortRun(exportOnnx(model), x);
        assert.ok(relErr(again, want) <= 1e-5, `${file}: hwnas export vs original in onnxruntime: rel err ${relErr(again, want)}`);
      });
    }
  }

  it('every node of an imported SE net has a cost row on bitfusion-edge and cortex-a76; the pool and LeakyRelu cost something', () => {
    const model = importOnnx(fixture('se-flat-op17'), 'se-flat');
    for (const name of ['bitfusion-edge', 'cortex-a76']) {
      const target = getTarget(name);
      const cost = target.networkCost(model.graph, defaultPolicy(target));
      const rows = new Map(cost.layers.map((l) => [l.node, l]));
      for (const n of model.graph.nodes) {
        if (n.op === 'input') continue;
        assert.ok(rows.has(n.name), `${name}: no cost row for '${n.name}' (${n.op})`);
      }
      for (const op of ['globalavgpool', 'leakyrelu'] as const) {
        const n = model.graph.nodes.find((m) => m.op === op);
        const row = n && rows.get(n.name);
        assert.ok(row && (row.latencyMs > 0 || row.fusedInto !== undefined), `${name}: '${op}' row ${JSON.stringify(row)}`);
      }
    }
  });

  it('LeakyRelu gradients (input and conv weights through it) on wasm equal the cpu backend', async () => {
    const model = importOnnx(fixture('squeeze-op17'), 'squeeze');
    const rng = new Rng(5);
    const x = Float32Array.from({ length: BATCH * numel(INPUT) }, () => rng.normal(0, 2));
    const r = Float32Array.from({ length: BATCH * 3 }, () => rng.normal(0, 1));
    const run = (): Float32Array => {
      const m = buildModel(model);
      try {
        return tf.tidy(() => {
          const xt = m.inputTensor(x, BATCH);
          const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(m.forward(t, { training: true }), tf.tensor(r, [BATCH, 3]))))(xt);
          return flat([g]);
        });
      } finally {
        m.dispose();
      }
    };
    const wasm = await withBackend('wasm', run);
    const cpu = await withBackend('cpu', run);
    assert.ok(
      wasm.some((v) => v !== 0),
      'a non-zero gradient',
    );
    assert.ok(relErr(wasm, cpu) <= 1e-4, `wasm vs cpu: rel err ${relErr(wasm, cpu)}`);
    // the negative slope is in the gradient: alpha 0 (a relu) gives a different one
    const relu = { ...model, graph: { ...model.graph, nodes: model.graph.nodes.map((n) => (n.op === 'leakyrelu' ? { ...n, alpha: 0 } : n)) } };
    const m0 = buildModel(relu);
    const g0 = tf.tidy(() =>
      flat([tf.grad((t: tf.Tensor) => tf.sum(tf.mul(m0.forward(t, { training: true }), tf.tensor(r, [BATCH, 3]))))(m0.inputTensor(x, BATCH))]),
    );
    m0.dispose();
    assert.ok(relErr(g0, cpu) > 1e-2, 'alpha changes the gradient');
  });

  it("docs/architecture.md lists the importer's ONNX node types", () => {
    const doc = readFileSync(join(DIR, '..', '..', '..', '..', 'docs', 'architecture.md'), 'utf8').replace(/\s+/g, ' ');
    assert.ok(doc.includes(`reads (\`SUPPORTED_ONNX_OPS\`, the list an unsupported-operator error prints): ${SUPPORTED_ONNX_OPS.join(', ')}.`));
  });

  for (const opset of [11, 17]) {
    it(`a mean over the channel axis (opset ${opset}) is refused naming the node, its axes and keepdims, and what is supported`, () => {
      assert.throws(
        () => importOnnx(fixture(`channel-mean-op${opset}`), 'channel-mean'),
        (e: unknown) =>
          e instanceof UnsupportedOpError &&
          /ReduceMean/.test(e.message) &&
          /\/ReduceMean/.test(e.message) &&
          /axes \[1\] with keepdims 1/.test(e.message) &&
          /axes \[2,3\]/.test(e.message) &&
          /adaptive_avg_pool2d/.test(e.message),
      );
    });
  }
});
