import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Dataset } from '../data/types.js';
import { initEngine } from '../engine/backend.js';
import { getTarget } from '../hardware/registry.js';
import { createStrategy } from '../search/registry.js';
import { Rng } from '../util/rng.js';
import { openQuantSession, planQuantSearch } from './pipeline.js';
import './strategies/index.js';
import { tinyQuantModel } from './testing/tiny-model.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

test("cw-hawq plan with actDamage 'hessian': the wall's activation damage from activation Hessian traces, a valid cw-hawq option set", async () => {
  const rng = new Rng(2);
  const n = 160;
  const split = { x: Float32Array.from({ length: n * 72 }, () => rng.normal()), y: Uint8Array.from({ length: n }, (_, i) => i % 3), n };
  const dataset = { name: 'noise', shape: [2, 6, 6] as const, numClasses: 3, train: split, val: split, test: split } as unknown as Dataset;
  const s = openQuantSession({
    model: tinyQuantModel(3),
    dataset,
    target: getTarget('bitfusion-edge'),
    budget: 'latency=0.8x',
    bits: [2, 4, 8],
    searchImages: 64,
  });
  try {
    const plans = {
      measured: await planQuantSearch(s, { strategy: 'cw-hawq', episodes: 4, seed: 1, actDamage: 'measured' }),
      hessian: await planQuantSearch(s, { strategy: 'cw-hawq', episodes: 4, seed: 1, actDamage: 'hessian' }),
    };
    // the default is the Hessian damage (BENCHMARKS.md, 2026-12-03 session 27)
    const byDefault = await planQuantSearch(s, { strategy: 'cw-hawq', episodes: 4, seed: 1 });
    assert.deepEqual(byDefault.strategy.options.actDamage, plans.hessian.strategy.options.actDamage);
    const damage = (k: keyof typeof plans) => plans[k].strategy.options.actDamage as number[][];
    for (const k of ['measured', 'hessian'] as const) {
      assert.equal(damage(k).length, 3, `${k}: one row per layer`);
      for (const row of damage(k)) {
        assert.equal(row.length, 3, `${k}: one entry per activation width`);
        assert.ok((row[0] as number) >= (row[1] as number) && (row[1] as number) >= (row[2] as number) && (row[2] as number) >= 0, `${k}: ${row.join(', ')}`);
      }
      // the strategy accepts the options (shapes checked against the channel table)
      createStrategy(plans[k].strategy.name, plans[k].strategy.options);
    }
    assert.notDeepEqual(damage('hessian'), damage('measured'), 'another estimate of the same damage');
    assert.ok(
      damage('hessian').every((r) => (r[0] as number) > 0),
      'every layer input loses something at 2 bits',
    );
    // everything but the activation damage is the same plan
    const { actDamage: _a, ...restH } = plans.hessian.strategy.options;
    const { actDamage: _b, ...restM } = plans.measured.strategy.options;
    assert.deepEqual(restH, restM);
  } finally {
    s.dispose();
  }
});
