/** Property tests: resource budgets (`hwnas quantize --budget`, `hwnas transform --budget`; see src/util/testing/user-input.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseLatencyBudget } from '../cli/commands/transform.js';
import { nearValid, userErrorOrResult } from '../util/testing/user-input.js';
import { budgetEcho, parseBudget } from './cost.js';

test('budgets: a positive finite budget, or a UserError', () => {
  const ref = { latency: 2, energy: 3, size: 1000, bops: 1e6 };
  fc.assert(
    fc.property(nearValid(['latency=0.6x', 'energy=0.5x', 'size=120000', 'bops=1e6', 'latency=1.5']), (spec) => {
      const b = userErrorOrResult(spec, () => parseBudget(spec, ref));
      if (!b) return;
      assert.ok(Number.isFinite(b.value) && b.value > 0, `${spec}: ${JSON.stringify(b)}`);
    }),
    { numRuns: 300, seed: 4 },
  );
  fc.assert(
    fc.property(nearValid(['latency=0.5x', 'latency=1.2ms']), (spec) => {
      const b = userErrorOrResult(spec, () => parseLatencyBudget(spec));
      if (!b) return;
      const v = 'ratio' in b ? b.ratio : b.ms;
      assert.ok(Number.isFinite(v) && v > 0, `${spec}: ${JSON.stringify(b)}`);
    }),
    { numRuns: 300, seed: 4 },
  );
});

test('budgetEcho: a bare number is read as absolute and echoed with its unit and ratio to W8A8 (review56 #3); a ratio with its absolute value', () => {
  const ref = { latency: 0.01014, energy: 2, size: 6240, bops: Number.NaN };
  assert.equal(budgetEcho('latency=0.6', ref), "latency <= 0.6 ms (59.2x of W8A8; absolute: no 'x')");
  assert.equal(budgetEcho('latency=0.6x', ref), 'latency=0.6x (<= 0.006084 ms)');
  assert.equal(budgetEcho('size=4000', ref), "size <= 4000 bytes (0.641x of W8A8; absolute: no 'x')");
  assert.equal(budgetEcho('bops=1e6', ref), 'bops <= 1000000 bit-ops');
});
