import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { quantHooks } from '../engine/fake-quant.js';
import { buildModel } from '../engine/model.js';
import { actChannelGrids } from '../engine/quant-grid.js';
import { policyFromVectors } from '../hardware/precision.js';
import { createSession, runOnnx } from '../onnx/ort.js';
import { Rng } from '../util/rng.js';
import { calibrateActivations, evaluatePolicy } from './apply.js';
import { exportQdqOnnx } from './qdq-export.js';
import { inputBitsKey, quantConfig } from './quant-config.js';
import { biasedFoldedModel, qdqTestModel } from './testing/tiny-model.js';

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
    const model = qdqTestModel(1, true);
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

  it('int32 biases: the engine, the literal file and onnxruntime at every optimisation level agree (BN folded, w4a4, w8a8)', async () => {
    const model = biasedFoldedModel(7);
    const rng = new Rng(8);
    const n = 300;
    const x = Float32Array.from({ length: n * 144 }, () => rng.uniform(0, 1));
    const m = buildModel(model);
    try {
      const cal = calibrateActivations(m, x.subarray(0, 100 * 144), 100, 'mse');
      for (const bits of [4, 8]) {
        const cfg = quantConfig(model.graph, policyFromVectors(model.graph, [bits, bits, bits, bits], [bits, bits, bits, bits]), cal);
        const hooks = quantHooks(cfg);
        m.hooks = hooks;
        const engine = m.predict(x, n);
        // the int32 rounding of the biases moves the logits: without it (float biases) the engine differs
        m.hooks = {
          ...(hooks.weightTransform ? { weightTransform: hooks.weightTransform } : {}),
          ...(hooks.activationTransform ? { activationTransform: hooks.activationTransform } : {}),
        };
        const floatBias = m.predict(x, n);
        const maxLogit = engine.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        const moved = engine.reduce((a, v, i) => Math.max(a, Math.abs(v - (floatBias[i] as number))), 0);
        const bytes = exportQdqOnnx(model, cfg);
        for (const optimization of ['disabled', 'basic', 'all'] as const) {
          const ort = await runOnnx(await createSession(bytes, { optimization }), x, n);
          const maxErr = ort.reduce((a, v, i) => Math.max(a, Math.abs(v - (engine[i] as number))), 0);
          console.log(
            `# w${bits}a${bits} ${optimization}: max |logit diff| ${maxErr.toExponential(2)} (max |logit| ${maxLogit.toFixed(2)}; float biases move them by ${moved.toExponential(2)})`,
          );
          assert.ok(maxErr <= 1e-5 * Math.max(1, maxLogit), `w${bits}a${bits} ${optimization}: max |logit diff| ${maxErr}`);
        }
        assert.ok(moved > 1e-4 * Math.max(1, maxLogit), `w${bits}a${bits}: int32 biases must change the logits (moved ${moved})`);
      }
    } finally {
      m.dispose();
    }
  });

  it('channel-wise activation bits: onnxruntime agrees with the engine, and the bits change the outputs', async () => {
    const model = qdqTestModel(3, true);
    const rng = new Rng(4);
    const n = 400;
    const x = Float32Array.from({ length: n * 144 }, () => rng.uniform(0, 1));
    const m = buildModel(model);
    try {
      const cal = calibrateActivations(m, x.subarray(0, 100 * 144), 100, 'mse');
      const policy = policyFromVectors(model.graph, [8, 8, 8, 8], [8, 8, 8, 8]);
      // dw reads the max-pool output (8 channels), pw the dw output (8 channels): mixed 2/3/4/8-bit channels
      const channelBits = { [inputBitsKey('dw')]: [2, 8, 4, 2, 8, 3, 2, 4], [inputBitsKey('pw')]: [8, 2, 2, 4, 8, 2, 3, 8] };
      const cfg = quantConfig(model.graph, policy, cal, channelBits);
      assert.ok(cfg.activations[model.graph.nodes.find((nd) => nd.name === 'dw')?.inputs[0] as string]?.channels, 'dw input is channel-wise');
      m.hooks = quantHooks(cfg);
      const engine = m.predict(x, n);
      m.hooks = quantHooks(quantConfig(model.graph, policy, cal));
      const perTensor = m.predict(x, n);
      m.hooks = {};
      const s = await createSession(exportQdqOnnx(model, cfg));
      const ort = await runOnnx(s, x, n);
      let agree = 0;
      let maxErr = 0;
      let maxScale = 0;
      for (let i = 0; i < n; i++) if (argmax(engine, i, 10) === argmax(ort, i, 10)) agree++;
      for (let i = 0; i < ort.length; i++) {
        maxErr = Math.max(maxErr, Math.abs((ort[i] as number) - (engine[i] as number)));
        maxScale = Math.max(maxScale, Math.abs(engine[i] as number));
      }
      console.log(
        `# channel-wise activations: top-1 agreement ${agree}/${n}, max |logit diff| ${maxErr.toExponential(2)} (max |logit| ${maxScale.toFixed(3)})`,
      );
      assert.ok(agree / n >= 0.998, `agreement ${agree}/${n}`);
      assert.ok(maxErr <= 1e-3 * Math.max(1, maxScale), `max |logit diff| ${maxErr}`);
      // the per-channel bits matter: outputs differ from the per-tensor 8-bit activations
      assert.ok(
        engine.some((v, i) => Math.abs(v - (perTensor[i] as number)) > 1e-3),
        'channel-wise bits must change the outputs',
      );
      // and the evaluation goes through the same config: the evaluated loss moves with the per-channel bits
      const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
      const data = { x, y: labels, n };
      const e8 = evaluatePolicy(m, policy, data, cal);
      const eMixed = evaluatePolicy(m, policy, data, cal, channelBits);
      const all2 = { [inputBitsKey('dw')]: new Array<number>(8).fill(2), [inputBitsKey('pw')]: new Array<number>(8).fill(2) };
      const e2 = evaluatePolicy(m, policy, data, cal, all2);
      console.log(`# evaluated loss: a8 ${e8.loss}, mixed ${eMixed.loss}, all 2-bit ${e2.loss}`);
      assert.notEqual(eMixed.loss, e8.loss);
      assert.notEqual(e2.loss, eMixed.loss);
    } finally {
      m.dispose();
    }
  });

  it('channel-wise activation bits are refused with the bad value named', () => {
    const model = qdqTestModel(5, true);
    const m = buildModel(model);
    try {
      const x = new Float32Array(20 * 144).fill(0.5);
      const cal = calibrateActivations(m, x, 20, 'minmax');
      const policy = policyFromVectors(model.graph, [8, 8, 8, 8], [8, 8, 8, 8]);
      assert.throws(() => quantConfig(model.graph, policy, cal, { [inputBitsKey('dw')]: [8, 8] }), /2 entries, expected its 8 input channels/);
      assert.throws(() => quantConfig(model.graph, policy, cal, { [inputBitsKey('fc')]: new Array<number>(12).fill(8) }), /\(dense\): expected a conv2d layer/);
      assert.throws(() => actChannelGrids({ bits: 8, min: 0, max: 1, channels: { bits: [8, 9], min: [0, 0], max: [1, 1] } }), /channel 1 has 9 bits/);
    } finally {
      m.dispose();
    }
  });
});
