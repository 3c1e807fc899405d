import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { bitwiseHooks } from '../engine/bitwise.js';
import { buildModel } from '../engine/model.js';
import { createSession, runOnnx } from '../onnx/ort.js';
import { onnx } from '../onnx/proto.js';
import { calibrateActivations } from '../quant/apply.js';
import { quantConfig } from '../quant/quant-config.js';
import { Rng } from '../util/rng.js';
import { ensembleModel, exportEnsembleOnnx, weightCodes } from './export.js';
import { memberPolicy, memberWeights } from './members.js';
import { quantTinyModel } from './testing/tiny.js';
import { argmaxRows, softmaxRows, voteScores } from './vote.js';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

const N = 96;
const PER = 64;

function data(seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: N * PER }, () => r.next() * 2 - 0.5);
}

for (const actBits of [32, 8, 2]) {
  test(`ensemble ONNX (a${actBits}): onnxruntime's vote equals the engine's members voted in JS (counts and mean softmax)`, async () => {
    const m = quantTinyModel(4);
    const x = data(9);
    const pr = { weightBits: 1, actBits };
    const policy = memberPolicy(m.graph, pr);
    const em = buildModel(m);
    const cal = calibrateActivations(em, x, N);
    em.dispose();
    const cfg = quantConfig(m.graph, policy, actBits < 16 ? cal : undefined);
    if (actBits < 16) assert.ok(Object.keys(cfg.activations).length >= 3, 'activations are quantized');
    const rng = new Rng(2);
    const members = [0, 1, 2].map(() => memberWeights(m, policy, pr, { mode: 'stochastic', rng }));
    const probs = members.map((w) => {
      const mm = buildModel({ graph: m.graph, weights: w }, { hooks: bitwiseHooks({ base: { weights: {}, activations: cfg.activations } }) });
      try {
        return softmaxRows(mm.predict(x, N), 3);
      } finally {
        mm.dispose();
      }
    });
    const want = voteScores(probs, 3);
    // graph optimizations off: onnxruntime's QDQ fusions (level 'all') compute quantized layers in their own way, which
    // moves probabilities by ~1e-3 here (the CLI checks the optimized session's accuracy on real data)
    const s = await createSession(exportEnsembleOnnx(m.graph, members, cfg.activations), { optimization: 'disabled' });
    assert.equal(s.outputName, 'vote');
    const got = await runOnnx(s, x, N);
    assert.equal(got.length, want.length);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs((got[i] as number) - (want[i] as number)));
    assert.ok(maxDiff < 1e-4, `max |onnx - engine| = ${maxDiff}`);
    assert.deepEqual([...argmaxRows(got, 3)], [...argmaxRows(want, 3)]);
    // members really differ (else the vote would be trivial)
    assert.notDeepEqual([...(members[0]?.get('c2.weight')?.data ?? [])], [...(members[1]?.get('c2.weight')?.data ?? [])]);
  });
}

test('ensembleModel: K prefixed copies sharing the input; bad inputs rejected', () => {
  const m = quantTinyModel(1);
  const e = ensembleModel(m.graph, [m.weights, m.weights]);
  assert.deepEqual(e.graph.outputs, ['vote', 'mean']);
  assert.ok(e.weights.has('m0_c1.weight') && e.weights.has('m1_fc.bias'));
  assert.equal(e.graph.nodes.filter((n) => n.op === 'input').length, 1);
  assert.equal(e.graph.nodes.filter((n) => n.op === 'softmax').length, 2);
  assert.throws(() => ensembleModel(m.graph, []), /at least one member/);
});

test('ensemble ONNX with QDQ int8 weights: 1-bit layers hold codes {-1, +1}, and the file computes what the float-weight file does', async () => {
  const m = quantTinyModel(5);
  const x = data(11);
  const pr = { weightBits: 1, actBits: 8 };
  const policy = memberPolicy(m.graph, pr);
  const em = buildModel(m);
  const cal = calibrateActivations(em, x, N);
  em.dispose();
  const cfg = quantConfig(m.graph, policy, cal);
  const rng = new Rng(4);
  const members = [0, 1].map(() => memberWeights(m, policy, pr, { mode: 'stochastic', rng }));
  const qdq = exportEnsembleOnnx(m.graph, members, cfg.activations, { weightFormat: 'qdq', policy });
  const inits = new Map((onnx.ModelProto.decode(qdq).graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const codesOf = (name: string): Int8Array => {
    const t = inits.get(name);
    assert.ok(t, `initializer ${name}`);
    assert.equal(t.dataType, onnx.TensorProto.DataType.INT8);
    const raw = t.rawData as Uint8Array;
    return new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  };
  for (const k of [0, 1]) {
    const c2 = codesOf(`m${k}_c2.weight_quantized`);
    assert.ok(c2.length > 0 && c2.every((v) => v === 1 || v === -1), 'binary layer codes are +-1');
    const c1 = codesOf(`m${k}_c1.weight_quantized`); // the 8-bit first layer
    assert.ok(c1.some((v) => Math.abs(v) > 1) && c1.every((v) => Math.abs(v) <= 127));
  }
  assert.ok(!inits.has('m0_c2.weight'), 'no float copy of a quantized weight');
  const fl = exportEnsembleOnnx(m.graph, members, cfg.activations);
  const run = async (bytes: Uint8Array): Promise<Float32Array> => runOnnx(await createSession(bytes, { optimization: 'disabled' }), x, N);
  const [a, b] = [await run(qdq), await run(fl)];
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs((a[i] as number) - (b[i] as number)));
  assert.ok(maxDiff < 1e-4, `max |qdq - float| = ${maxDiff}`);
  assert.throws(() => exportEnsembleOnnx(m.graph, members, cfg.activations, { weightFormat: 'qdq' }), /policy/);
  // a weight off its grid is refused, not rounded silently
  const w = members[0]?.get('c2.weight');
  assert.ok(w);
  assert.throws(() => weightCodes('c2.weight', { shape: w.shape, data: w.data.map((v, i) => (i === 0 ? v * 0.5 : v)) }, 1), /not on its 1-bit grid/);
});
