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

test('policy-resilience with protect: range restriction and per-layer ECC are decisions that cost latency and lower the score', async () => {
  const e = getEvaluation('policy-resilience');
  const space = e.defaultSpace?.({ protect: true });
  assert.deepEqual(space?.names.length, 10);
  assert.ok(space?.names.includes('range') && space.names.includes('conv2.ecc'));
  const f = evaluatorFor({ name: 'policy-resilience', options: { protect: true, ber: 1e-4 } });
  const at = (w: number, a: number, ecc: number, range: number) => ({
    ...Object.fromEntries(
      ['conv1', 'conv2', 'fc'].flatMap((l) => [
        [`${l}.w`, w],
        [`${l}.a`, a],
        [`${l}.ecc`, ecc],
      ]),
    ),
    range,
  });
  const ctx = { trialNumber: 0, seed: 0 } as never;
  const plain = await f(at(8, 8, 0, 0), ctx);
  const ecc = await f(at(8, 8, 1, 0), ctx);
  // every layer hardened: each hit survives only with a second hit in its 72-bit word
  const factor = 1 - (1 - 1e-4) ** 71;
  assert.ok(Math.abs((ecc.values[1] as number) / (plain.values[1] as number) - factor) < 1e-9 * factor);
  assert.ok((ecc.values[0] as number) > (plain.values[0] as number), 'ECC must cost latency on bitfusion-edge (9/8 weight traffic)');
  assert.equal(plain.userAttrs?.protection, undefined);
  assert.deepEqual((ecc.userAttrs?.protection as { hardened?: string[] } | undefined)?.hardened, ['conv1', 'conv2', 'fc']);
  // float32 weights: unbounded exponent hits are catastrophic; range restriction bounds every layer
  const g = evaluatorFor({ name: 'policy-resilience', options: { protect: true, ber: 1e-4, target: 'cortex-a76', bits: [8, 32] } });
  const fp = await g(at(32, 32, 0, 0), ctx);
  const fpRange = await g(at(32, 32, 0, 1), ctx);
  assert.ok((fp.userAttrs?.catastrophicHits as number) > 0);
  assert.equal(fpRange.userAttrs?.catastrophicHits, 0);
  assert.ok((fpRange.values[1] as number) < (fp.values[1] as number) / 10);
  assert.ok((fpRange.values[0] as number) >= (fp.values[0] as number));
  await assert.rejects(async () => f({ ...at(8, 8, 0, 0), range: 2 }, ctx), /parameter 'range' = 2: expected 0 or 1/);
  await assert.rejects(async () => f({ ...at(8, 8, 0, 0), 'fc.ecc': undefined } as never, ctx), /parameter 'fc.ecc'/);
});
