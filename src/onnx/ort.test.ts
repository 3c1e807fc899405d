import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceForward, referenceForwardAll } from '../ir/reference.js';
import { inferShapes, numel } from '../ir/shapes.js';
import type { Model } from '../ir/types.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { Rng } from '../util/rng.js';
import { exportNodeOnnx, exportOnnx } from './export.js';
import { createSession, runOnnx, timeOnnx } from './ort.js';
import { allOpsGraph, randomModel } from './testing/fixtures.js';

function randomInput(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** max |a - b| / max(1, max |b|): absolute for O(1) outputs, relative for large ones. */
function maxErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let m = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
    m = Math.max(m, Math.abs(b[i] as number));
  }
  return d / m;
}

async function checkAgainstReference(model: Model, opset: number, batch: number): Promise<number> {
  const s = await createSession(exportOnnx(model, { opset }));
  const per = numel(s.inputShape);
  const x = randomInput(batch * per, 11);
  const got = await runOnnx(s, x, batch);
  const want = Float32Array.from(referenceForward(model, x, batch));
  await s.session.release();
  return maxErr(got, want);
}

// Small inputs keep the plain-TS reference forward pass fast.
const SPECS = ['mnist-cnn', 'mbnet32', 'mobilenet-v2?size=32', 'efficientnet-b0?size=32', 'resnet18?size=32', 'resnet50?size=32', 'vgg16?size=32&width=0.25'];

for (const spec of SPECS) {
  test(`onnxruntime runs exported ${spec} and matches the reference forward pass (<= 1e-4)`, async () => {
    const err = await checkAgainstReference(randomModel(zooGraph(spec), 5), 13, 2);
    assert.ok(err <= 1e-4, `${spec}: max error ${err}`);
  });
}

for (const opset of [11, 13, 14, 18]) {
  test(`onnxruntime runs the every-op graph at opset ${opset} and matches the reference`, async () => {
    const err = await checkAgainstReference(randomModel(allOpsGraph(), 9), opset, 3);
    assert.ok(err <= 1e-4, `opset ${opset}: max error ${err}`);
  });
}

test('single-node export of every node of the every-op graph runs and matches the reference', async () => {
  const model = randomModel(allOpsGraph(), 4);
  const batch = 2;
  const shapes = inferShapes(model.graph);
  const input = randomInput(batch * numel(shapes.get('image') ?? []), 1);
  const all = referenceForwardAll(model, input, batch);
  for (const node of model.graph.nodes) {
    if (node.op === 'input') continue;
    const s = await createSession(exportNodeOnnx(model.graph, node.name, model.weights));
    const feeds: Record<string, unknown> = {};
    const ort = await import('onnxruntime-node');
    for (const i of new Set(node.inputs)) {
      feeds[i] = new ort.default.Tensor('float32', Float32Array.from(all.get(i) ?? []), [batch, ...(shapes.get(i) ?? [])]);
    }
    const out = await s.session.run(feeds as Record<string, InstanceType<typeof ort.default.Tensor>>);
    const got = out[node.name]?.data as Float32Array;
    const err = maxErr(got, Float32Array.from(all.get(node.name) ?? []));
    assert.ok(err <= 1e-5, `node ${node.name} (${node.op}): error ${err}`);
    await s.session.release();
  }
});

test('runOnnx checks the input size; timeOnnx returns consistent statistics', async () => {
  const s = await createSession(exportOnnx(randomModel(zooGraph('mnist-cnn'), 2)), { threads: 1 });
  assert.deepEqual([...s.inputShape], [1, 28, 28]);
  await assert.rejects(runOnnx(s, new Float32Array(10), 1), /input has 10 values, expected batch 1 x 784/);
  const t = await timeOnnx(s, 4, { warmup: 1, repeats: 5 });
  assert.equal(t.samplesMs.length, 5);
  assert.ok(t.minMs <= t.medianMs && t.medianMs <= t.maxMs && t.iqrMs >= 0);
  await assert.rejects(createSession(new Uint8Array([1, 2, 3])), /onnxruntime cannot load ONNX bytes/);
  await s.session.release();
});

test('export hooks (the QDQ extension point) can rewrite weight and activation reads', async () => {
  const model = randomModel(zooGraph('mbnet32'), 6);
  const seen: string[] = [];
  const hooked = exportOnnx(model, {
    hooks: {
      weight: (ctx, key, t) => {
        seen.push(key);
        const init = ctx.writer.addFloat(`${key}/float`, t.shape, t.data);
        const out = ctx.writer.uniqueName(`${key}/dq`);
        ctx.writer.addNode('Identity', [init], [out]);
        return out;
      },
      activation: (ctx, tensor, consumer) => {
        const out = ctx.writer.uniqueName(`${tensor}/to_${consumer.name}`);
        ctx.writer.addNode('Identity', [tensor], [out]);
        return out;
      },
    },
  });
  assert.deepEqual(seen.sort(), [...model.weights.keys()].sort());
  const x = randomInput(2 * 3 * 32 * 32, 2);
  const a = await createSession(hooked);
  const b = await createSession(exportOnnx(model));
  assert.deepEqual(await runOnnx(a, x, 2), await runOnnx(b, x, 2));
  await a.session.release();
  await b.session.release();
});

test('runOnnx runs a fixed-batch file (torch.onnx.export default) at any batch: chunks of its batch, the last padded and trimmed', async () => {
  const model = randomModel(zooGraph('mnist-cnn'), 3);
  const x = randomInput(5 * 784, 4);
  const dynamic = await createSession(exportOnnx(model));
  assert.equal(dynamic.fixedBatch, undefined);
  const want = await runOnnx(dynamic, x, 5);
  await dynamic.session.release();
  for (const fixed of [1, 2, 8]) {
    const s = await createSession(exportOnnx(model, { batch: fixed }));
    assert.equal(s.fixedBatch, fixed);
    const got = await runOnnx(s, x, 5);
    assert.equal(got.length, 5 * 10);
    assert.ok(maxErr(got, want) <= 1e-5, `fixed batch ${fixed}: error ${maxErr(got, want)}`);
    await s.session.release();
  }
});
