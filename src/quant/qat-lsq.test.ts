import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { disposeLsqHooks, type LsqHooks, lsqLearnedConfig, quantHooks } from '../engine/fake-quant.js';
import { buildModel } from '../engine/model.js';
import { actGrid } from '../engine/quant-grid.js';
import { policyFromVectors } from '../hardware/precision.js';
import type { Model } from '../ir/types.js';
import { Rng } from '../util/rng.js';
import { calibrateActivations, qatFinetune } from './apply.js';
import { quantConfig } from './quant-config.js';
import { tinyQuantModel } from './testing/tiny-model.js';

function data(seed: number, n: number): { x: Float32Array; y: Uint8Array; n: number } {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * 72 }, () => rng.normal());
  // a learnable labelling: the sign pattern of two input sums
  const y = Uint8Array.from({ length: n }, (_, i) => {
    const a = x.subarray(i * 72, i * 72 + 36).reduce((s, v) => s + v, 0);
    const b = x.subarray(i * 72 + 36, (i + 1) * 72).reduce((s, v) => s + v, 0);
    return a > 0 ? (b > 0 ? 0 : 1) : 2;
  });
  return { x, y, n };
}

describe('QAT with learned step sizes (LSQ)', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  const policy = (m: Model) => policyFromVectors(m.graph, [3, 4, 5], [4, 3, 8]);

  it('starts from the min/max and calibrated grids: same outputs as the fixed-grid hooks before training', async () => {
    const model = tinyQuantModel(1);
    const d = data(2, 64);
    const m = buildModel(model);
    try {
      const cal = calibrateActivations(m, d.x, d.n, 'minmax');
      const fixed = quantConfig(model.graph, policy(model), cal);
      m.hooks = quantHooks(fixed);
      const want = m.predict(d.x, d.n);
      // zero epochs of training still installs the LSQ hooks
      await qatFinetune(m, policy(model), d, { epochs: 0, calibration: cal, lsq: true, seed: 1 });
      const h = m.hooks as LsqHooks;
      assert.equal(h.weightSteps.size, 3);
      assert.ok(h.actSteps.size >= 2);
      const got = m.predict(d.x, d.n);
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs((got[i] as number) - (want[i] as number)));
      assert.ok(maxDiff < 1e-4, `LSQ at init differs from fixed-grid fake quant by ${maxDiff}`);
      disposeLsqHooks(h);
    } finally {
      m.dispose();
    }
  });

  it('training moves the step sizes, lowers the loss, is reproducible, and the learned activation grids export as ranges', async () => {
    const model = tinyQuantModel(3);
    const d = data(4, 256);
    const run = async (): Promise<{ steps: number[]; before: number; after: number; hooks: LsqHooks; dispose: () => void }> => {
      const m = buildModel(model);
      const cal = calibrateActivations(m, d.x, d.n, 'minmax');
      m.hooks = quantHooks(quantConfig(model.graph, policy(model), cal));
      const before = m.evaluate(d.x, d.y, d.n).loss;
      await qatFinetune(m, policy(model), d, { epochs: 4, batchSize: 32, lr: 1e-2, calibration: cal, lsq: true, seed: 7 });
      const h = m.hooks as LsqHooks;
      const steps = [...h.weightSteps.values(), ...[...h.actSteps.values()].map((a) => a.step)].flatMap((v) => [...(v.dataSync() as Float32Array)]);
      return {
        steps,
        before,
        after: m.evaluate(d.x, d.y, d.n).loss,
        hooks: h,
        dispose: () => {
          disposeLsqHooks(h);
          m.dispose();
        },
      };
    };
    const a = await run();
    const b = await run();
    try {
      assert.ok(a.after < a.before, `loss ${a.before} -> ${a.after}`);
      assert.deepEqual(a.steps, b.steps);
      const m0 = buildModel(model);
      const cal0 = calibrateActivations(m0, d.x, d.n, 'minmax');
      m0.hooks = await (async () => {
        await qatFinetune(m0, policy(model), d, { epochs: 0, calibration: cal0, lsq: true });
        return m0.hooks;
      })();
      const init = [...(m0.hooks as LsqHooks).weightSteps.values()].flatMap((v) => [...(v.dataSync() as Float32Array)]);
      disposeLsqHooks(m0.hooks as LsqHooks);
      m0.dispose();
      const moved = init.filter((s, i) => Math.abs(s - (a.steps[i] as number)) > 1e-6 * s).length;
      assert.ok(moved > init.length / 2, `only ${moved} of ${init.length} weight steps moved`);
      const learned = lsqLearnedConfig(a.hooks);
      for (const [node, s] of a.hooks.actSteps) {
        const g = actGrid(learned.activations[node] as never);
        const step = (s.step.dataSync() as Float32Array)[0] as number;
        assert.ok(Math.abs(g.scale - step) <= 1e-6 * step, `${node}: exported step ${g.scale} vs learned ${step}`);
        assert.equal(g.zeroPoint, s.zeroPoint);
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
