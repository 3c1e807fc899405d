import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { quantHooks } from '../engine/fake-quant.js';
import { buildModel } from '../engine/model.js';
import { policyFromVectors } from '../hardware/precision.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import type { Model } from '../ir/types.js';
import { createSession, runOnnx } from '../onnx/ort.js';
import { Rng } from '../util/rng.js';
import { calibrateActivations, quantConfig } from './apply.js';
import { exportQdqOnnx } from './qdq-export.js';

function smallNet(seed: number): Model {
  const b = new GraphBuilder('qdq-net', [1, 12, 12]);
  let x = b.relu(b.bn(b.conv(b.input, { out: 8, kernel: 3, name: 'c1' })));
  x = b.maxPool(x, { kernel: 2 });
  x = b.relu(b.conv(x, { out: 8, kernel: 3, groups: 8, name: 'dw' }));
  x = b.relu(b.conv(x, { out: 12, kernel: 1, name: 'pw' }));
  b.output(b.dense(b.flatten(b.globalAvgPool(x)), 10, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}

function argmax(v: Float32Array, i: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if ((v[i * k + j] as number) > (v[i * k + best] as number)) best = j;
  return best;
}

describe('QDQ ONNX export', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('onnxruntime runs it and agrees with the engine fake-quant (mixed 2..8 bits, binary layer)', async () => {
    const model = smallNet(1);
    const rng = new Rng(2);
    const n = 500;
    const x = Float32Array.from({ length: n * 144 }, () => rng.uniform(0, 1));
    const m = buildModel(model);
    try {
      const cal = calibrateActivations(m, x.subarray(0, 100 * 144), 100, 'mse');
      for (const [wb, ab] of [
        [
          [8, 4, 3, 6],
          [8, 5, 4, 8],
        ],
        [
          [1, 2, 8, 4],
          [8, 2, 3, 2],
        ],
      ] as const) {
        const policy = policyFromVectors(model.graph, wb, ab);
        const cfg = quantConfig(model.graph, policy, cal);
        m.hooks = quantHooks(cfg);
        const engine = m.predict(x, n);
        const s = await createSession(exportQdqOnnx(model, cfg));
        const ort = await runOnnx(s, x, n);
        let agree = 0;
        let maxErr = 0;
        for (let i = 0; i < n; i++) if (argmax(engine, i, 10) === argmax(ort, i, 10)) agree++;
        for (let i = 0; i < ort.length; i++) maxErr = Math.max(maxErr, Math.abs((ort[i] as number) - (engine[i] as number)));
        console.log(`# w${wb.join('/')} a${ab.join('/')}: top-1 agreement ${agree}/${n}, max |logit diff| ${maxErr.toExponential(2)}`);
        assert.ok(agree / n >= 0.998, `agreement ${agree}/${n}`);
        const float = buildModel(model);
        const fl = float.predict(x, n);
        float.dispose();
        assert.ok(
          fl.some((v, i) => Math.abs(v - (ort[i] as number)) > 1e-3),
          'the export must be quantized',
        );
      }
    } finally {
      m.dispose();
    }
  });
});
