import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import type { EvaluationContext } from '../study/run-study.js';
import { Rng } from '../util/rng.js';
import './builtin.js';
import { evaluationNames, evaluatorFor, getEvaluation } from './registry.js';

const ctx = (n = 0): EvaluationContext => ({ studyName: 's', trialNumber: n, seed: 1, signal: new AbortController().signal, setUserAttr: () => undefined });

test('zdt1/zdt2 match their analytic fronts when x1.. are 0 (g = 1)', async () => {
  for (const x0 of [0, 0.25, 0.81, 1]) {
    const p = { x0, x1: 0, x2: 0 };
    assert.deepEqual((await evaluatorFor({ name: 'zdt1' })(p, ctx())).values, [x0, 1 - Math.sqrt(x0)]);
    assert.deepEqual((await evaluatorFor({ name: 'zdt2' })(p, ctx())).values, [x0, 1 - x0 * x0]);
  }
  // g = 1 + 9 * mean(x1..): x1 = x2 = 1 gives g = 10, f2 = 10 * (1 - sqrt(0.25 / 10))
  const v = (await evaluatorFor({ name: 'zdt1' })({ x0: 0.25, x1: 1, x2: 1 }, ctx())).values;
  assert.ok(Math.abs((v[1] as number) - 10 * (1 - Math.sqrt(0.025))) < 1e-12);
  assert.deepEqual(getEvaluation('zdt1').defaultSpace?.({ n: 4 }).names, ['x0', 'x1', 'x2', 'x3']);
});

test('policy-cost: w8a8 has quant_error 1, fewer bits are cheaper and noisier, attributes follow the report conventions', async () => {
  const e = getEvaluation('policy-cost');
  const space = e.defaultSpace?.({});
  assert.ok(space);
  const all = (b: number): Record<string, number> => Object.fromEntries(space.names.map((n) => [n, b]));
  const f = evaluatorFor({ name: 'policy-cost' });
  const r8 = await f(all(8), ctx());
  const r4 = await f(all(4), ctx());
  assert.ok(Math.abs((r8.values[1] as number) - 1) < 1e-12);
  assert.ok((r4.values[0] as number) < (r8.values[0] as number), 'w4a4 faster than w8a8 on bitfusion-edge');
  assert.ok((r4.values[1] as number) > (r8.values[1] as number) * 200, 'noise power grows 4x per bit removed');
  const policy = r4.userAttrs?.policy as { layers: Record<string, { weightBits: number }> };
  assert.deepEqual(Object.keys(policy.layers).sort(), [...new Set(space.names.map((n) => n.replace(/\.[wa]$/, '')))].sort());
  const lc = r4.userAttrs?.layerCosts as { layer: string; latencyMs: number }[];
  assert.ok(lc.length >= 3 && lc.every((l) => l.latencyMs > 0));
  assert.deepEqual(
    e.objectives({ objectives: ['size_kb', 'quant_error'] }).map((o) => o.name),
    ['size_kb', 'quant_error'],
  );
  // random policies: valid and deterministic
  const p = space.sample(new Rng(3));
  assert.deepEqual((await f(p, ctx())).values, (await f(p, ctx())).values);
});

test('bad evaluator names and options are ConfigErrors naming the field and value', () => {
  assert.throws(
    () => getEvaluation('nope'),
    (err: Error) => err instanceof ConfigError && /unknown evaluator 'nope'/.test(err.message) && /zdt1/.test(err.message),
  );
  assert.throws(() => evaluatorFor({ name: 'zdt1', options: { n: 1 } }), /options\.n = 1/);
  assert.throws(() => evaluatorFor({ name: 'policy-cost', options: { bitz: [4] } }), /unknown field\(s\) 'bitz'/);
  assert.throws(() => evaluatorFor({ name: 'policy-cost', options: { target: 'nowhere' } }), ConfigError);
  assert.ok(evaluationNames().includes('policy-cost'));
});
