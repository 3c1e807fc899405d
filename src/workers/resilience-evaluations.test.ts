import assert from 'node:assert/strict';
import { test } from 'node:test';
import './builtin.js';
import { evaluatorFor, getEvaluation } from './registry.js';

test('policy-resilience: 2-bit weights score worse than 8-bit and cost less latency; bad options named', async () => {
  const e = getEvaluation('policy-resilience');
  assert.deepEqual(
    e.objectives({}).map((o) => o.name),
    ['latency_ms', 'fault_score'],
  );
  const space = e.defaultSpace?.({});
  assert.deepEqual(space?.names.length, 6);
  const f = evaluatorFor({ name: 'policy-resilience', options: { maxFaultScore: 1e-9 } });
  const at = (w: number, a: number) =>
    Object.fromEntries(
      ['conv1', 'conv2', 'fc'].flatMap((l) => [
        [`${l}.w`, w],
        [`${l}.a`, a],
      ]),
    );
  const ctx = { trialNumber: 0, seed: 0 } as never;
  const i8 = await f(at(8, 8), ctx);
  const i2 = await f(at(2, 8), ctx);
  // per weight: 2 bits x 2.5 vs 8 bits x 0.169 of relative damage before the caps (docs/resilience.md)
  assert.ok((i2.values[1] as number) > (i8.values[1] as number));
  assert.ok((i2.values[0] as number) < (i8.values[0] as number));
  assert.ok((i8.constraints?.[0] as number) > 0);
  await assert.rejects(async () => f({ ...at(8, 8), 'fc.w': 3 }, ctx), /parameter 'fc.w' = 3/);
  assert.throws(() => evaluatorFor({ name: 'policy-resilience', options: { ber: 2 } }), /ber/);
});
