import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { quantHooks } from '../engine/fake-quant.js';
import { buildModel } from '../engine/model.js';
import { actGrid } from '../engine/quant-grid.js';
import { policyFromVectors } from '../hardware/precision.js';
import { quantizableLayers } from '../ir/workload.js';
import { importOnnxWithPrecision } from '../onnx/import.js';
import { Rng } from '../util/rng.js';
import { calibrateActivations } from './apply.js';
import { packedModelBytes } from './cost.js';
import { exportQdqOnnx, quantizeBiasInt32, quantizeWeightInt8 } from './qdq-export.js';
import { inputBitsKey, quantConfig } from './quant-config.js';
import { biasedFoldedModel, qdqTestModel } from './testing/tiny-model.js';

describe('QDQ ONNX import (the file quantize --out writes, read back as float graph + precision)', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('recovers every layer’s weight and activation bits, and the dequantized weights', () => {
    const model = qdqTestModel(1, false);
    const rng = new Rng(2);
    const x = Float32Array.from({ length: 100 * 144 }, () => rng.uniform(0, 1));
    const m = buildModel(model);
    try {
      const cal = calibrateActivations(m, x, 100, 'mse');
      for (const [wb, ab] of [
        [
          [8, 4, 3, 6],
          [8, 5, 4, 8],
        ],
        [
          [1, 2, 8, 4],
          [8, 2, 3, 2],
        ],
        [
          [8, 32, 4, 8],
          [8, 32, 4, 32],
        ],
      ] as const) {
        const policy = policyFromVectors(model.graph, wb, ab);
        const cfg = quantConfig(model.graph, policy, cal);
        const { model: back, precision } = importOnnxWithPrecision(exportQdqOnnx(model, cfg), 'q.onnx');
        assert.ok(precision, 'a QDQ file has a precision');
        assert.deepEqual(
          quantizableLayers(back.graph).map((l) => [l.name, precision.layers[l.name]?.weightBits, precision.layers[l.name]?.actBits]),
          quantizableLayers(model.graph).map((l, i) => [l.name, wb[i], ab[i]]),
        );
        for (const l of quantizableLayers(model.graph)) {
          const key = `${l.name}.weight`;
          const w = model.weights.get(key);
          const got = back.weights.get(key);
          assert.ok(w && got, key);
          const bits = policy.layers[l.name]?.weightBits as number;
          if (bits >= 16) {
            assert.deepEqual(got.data, w.data);
            continue;
          }
          const q = quantizeWeightInt8(w, new Array<number>(w.shape[0] as number).fill(bits));
          const per = w.data.length / (w.shape[0] as number);
          const want = Float32Array.from(q.codes, (c, i) => Math.fround(c * (q.scales[Math.floor(i / per)] as number)));
          assert.deepEqual(got.data, want, key);
        }
      }
    } finally {
      m.dispose();
    }
  });

  it('int32 bias DequantizeLinear nodes fold back: the biases on their grid, the same network, the same size', () => {
    const model = biasedFoldedModel(11);
    const rng = new Rng(12);
    const n = 100;
    const x = Float32Array.from({ length: n * 144 }, () => rng.uniform(0, 1));
    const m = buildModel(model);
    try {
      const cal = calibrateActivations(m, x, n, 'mse');
      const policy = policyFromVectors(model.graph, [4, 8, 3, 6], [32, 4, 5, 8]);
      const cfg = quantConfig(model.graph, policy, cal);
      m.hooks = quantHooks(cfg);
      const engine = m.predict(x, n);
      const { model: back, precision } = importOnnxWithPrecision(exportQdqOnnx(model, cfg), 'q.onnx');
      assert.ok(precision);
      for (const l of quantizableLayers(model.graph)) {
        const b = model.weights.get(`${l.name}.bias`);
        const got = back.weights.get(`${l.name}.bias`);
        const w = model.weights.get(`${l.name}.weight`);
        assert.ok(b && got && w, l.name);
        const input = cfg.activations[l.inputs[0] as string];
        if (!input) {
          // c1 reads the float input (activation bits 32): its bias stays float
          assert.equal(l.name, 'c1');
          assert.deepEqual(got.data, b.data);
          continue;
        }
        const q = quantizeWeightInt8(w, new Array<number>(w.shape[0] as number).fill(policy.layers[l.name]?.weightBits as number));
        const qb = quantizeBiasInt32(b.data, q.scales, actGrid(input).scale);
        assert.deepEqual(
          got.data,
          Float32Array.from(qb.codes, (c, i) => Math.fround(c * (qb.scales[i] as number))),
          l.name,
        );
        assert.ok(
          got.data.some((v, i) => v !== b.data[i]),
          `${l.name}: the bias is rounded`,
        );
      }
      // the file read back, under the policy it carries, is the engine's network (grids from the same calibration)
      const mb = buildModel(back);
      try {
        mb.hooks = quantHooks(quantConfig(back.graph, precision, cal));
        const again = mb.predict(x, n);
        const err = again.reduce((a, v, i) => Math.max(a, Math.abs(v - (engine[i] as number))), 0);
        assert.ok(err <= 1e-5, `max |logit diff| ${err}`);
      } finally {
        mb.dispose();
      }
      // the int32 biases count 4 bytes each, as the float32 ones did: the file costs what the policy costs
      assert.equal(packedModelBytes(back.graph, precision), packedModelBytes(model.graph, policy));
    } finally {
      m.dispose();
    }
  });

  it('channel-wise activation bits come back as input groups', () => {
    const model = qdqTestModel(3, false);
    const rng = new Rng(4);
    const x = Float32Array.from({ length: 50 * 144 }, () => rng.uniform(0, 1));
    const m = buildModel(model);
    try {
      const cal = calibrateActivations(m, x, 50, 'minmax');
      const policy = policyFromVectors(model.graph, [8, 8, 8, 8], [8, 8, 8, 8]);
      const cfg = quantConfig(model.graph, policy, cal, { [inputBitsKey('pw')]: [4, 4, 8, 8, 8, 2, 8, 8] });
      const { precision } = importOnnxWithPrecision(exportQdqOnnx(model, cfg), 'q.onnx');
      assert.deepEqual(precision?.layers.pw, {
        weightBits: 8,
        actBits: 8,
        inputGroups: [
          { channels: 5, actBits: 8 },
          { channels: 2, actBits: 4 },
          { channels: 1, actBits: 2 },
        ],
      });
    } finally {
      m.dispose();
    }
  });
});
