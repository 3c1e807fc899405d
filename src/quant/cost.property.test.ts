/** Property tests: resource budgets (`hwnas quantize --budget`, `hwnas transform --budget`; see src/util/testing/user-input.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseLatencyBudget } from '../cli/commands/transform.js';
import { nearValid, userErrorOrResult } from '../util/testing/user-input.js';
import { parseBudget } from './cost.js';

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
