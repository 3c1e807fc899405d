import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../errors.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import type { Model, WeightTensor } from '../ir/types.js';
import { Rng } from '../util/rng.js';
import { exportOnnx } from './export.js';
import { createSession, runOnnx } from './ort.js';
import { onnx } from './proto.js';
import { exportQdqPlan, type QdqActivation, type QdqPlan } from './qdq.js';

function net(): Model {
  const b = new GraphBuilder('qdq-plan', [2, 4, 4]);
  const x = b.relu(b.conv(b.input, { out: 3, kernel: 3, name: 'c1' }));
  b.output(b.dense(b.flatten(x), 5, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(3)) };
}

const FLOAT: QdqPlan = { weight: () => undefined, activation: () => undefined };

/** Symmetric per-output-channel int8 codes at 8 bits, computed here independently of src/quant. */
function int8PerChannel(t: WeightTensor): { codes: Int8Array; scales: Float32Array; dequantized: Float32Array } {
  const outC = t.shape[0] as number;
  const per = t.data.length / outC;
  const codes = new Int8Array(t.data.length);
  const scales = new Float32Array(outC);
  const dequantized = new Float32Array(t.data.length);
  for (let c = 0; c < outC; c++) {
    let m = 0;
    for (let i = 0; i < per; i++) m = Math.max(m, Math.abs(t.data[c * per + i] as number));
    scales[c] = m / 127;
    for (let i = 0; i < per; i++) {
      const q = Math.round((t.data[c * per + i] as number) / (scales[c] as number));
      codes[c * per + i] = q;
      dequantized[c * per + i] = q * (scales[c] as number);
    }
  }
  return { codes, scales, dequantized };
}

describe('QDQ export from a plan (src/onnx knows only the IR)', () => {
  it('an empty plan writes the float model', () => {
    const m = net();
    assert.deepEqual(exportQdqPlan(m, FLOAT), exportOnnx(m, { opset: 13 }));
  });

  it('writes DequantizeLinear for planned weights and Q/DQ (with Clip when the grid is narrow) for planned activations', () => {
    const m = net();
    const grid: QdqActivation = { scale: 0.05, zeroPoint: 3, qmin: 0, qmax: 15 };
    const plan: QdqPlan = { weight: (node, t) => (node.name === 'c1' ? int8PerChannel(t) : undefined), activation: (t) => (t === 'c1' ? grid : undefined) };
    const ops = onnx.ModelProto.decode(exportQdqPlan(m, plan)).graph?.node?.map((n) => n.opType) ?? [];
    const count = (op: string): number => ops.filter((o) => o === op).length;
    assert.equal(count('QuantizeLinear'), 1);
    assert.equal(count('DequantizeLinear'), 2); // the c1 weight, the c1 activation
    assert.equal(count('Clip'), 1);
  });

  it('onnxruntime runs the planned model as the float model with dequantized weights', async () => {
    const m = net();
    const c1 = m.weights.get('c1.weight') as WeightTensor;
    const q = int8PerChannel(c1);
    const plan: QdqPlan = { weight: (node, t) => (node.name === 'c1' ? int8PerChannel(t) : undefined), activation: () => undefined };
    const reference: Model = { graph: m.graph, weights: new Map([...m.weights, ['c1.weight', { shape: c1.shape, data: q.dequantized }]]) };
    const x = Float32Array.from({ length: 3 * 32 }, (_, i) => Math.sin(i));
    const got = await runOnnx(await createSession(exportQdqPlan(m, plan)), x, 3);
    const want = await runOnnx(await createSession(exportOnnx(reference)), x, 3);
    assert.equal(got.length, want.length);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs((got[i] as number) - (want[i] as number)) < 1e-5, `output ${i}: ${got[i]} vs ${want[i]}`);
  });

  it('rejects opsets below 13 and codes of the wrong size', () => {
    const m = net();
    assert.throws(
      () => exportQdqPlan(m, FLOAT, { opset: 12 }),
      (e: unknown) => e instanceof UserError && /opset >= 13.*got 12/.test(e.message),
    );
    const short: QdqPlan = { weight: () => ({ codes: new Int8Array(2), scales: new Float32Array(3) }), activation: () => undefined };
    assert.throws(() => exportQdqPlan(m, short), /weight 'c1\.weight' has 2 codes and 3 scales, expected 54 and 3/);
  });
});
