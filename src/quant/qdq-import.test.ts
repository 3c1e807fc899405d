import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { buildModel } from '../engine/model.js';
import { policyFromVectors } from '../hardware/precision.js';
import { quantizableLayers } from '../ir/workload.js';
import { importOnnxWithPrecision } from '../onnx/import.js';
import { Rng } from '../util/rng.js';
import { calibrateActivations } from './apply.js';
import { exportQdqOnnx, quantizeWeightInt8 } from './qdq-export.js';
import { inputBitsKey, quantConfig } from './quant-config.js';
import { qdqTestModel } from './testing/tiny-model.js';

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
