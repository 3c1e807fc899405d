/** Property tests: zoo model specs and their query strings (see src/util/testing/user-input.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nearValid, userErrorOrResult } from '../../util/testing/user-input.js';
import { zooGraph } from './registry.js';

test('zoo specs: a graph whose nodes all have positive shapes, or a UserError', () => {
  const seeds = [
    'zoo:mnist-cnn',
    'zoo:mnist-mlp',
    'zoo:resnet18?size=32&classes=10',
    'zoo:mbnet32?channels=1&size=28',
    'zoo:mnist-cnn?width=0.5',
    'zoo:lenet5?classes=4',
  ];
  fc.assert(
    fc.property(nearValid(seeds), (spec) => {
      const g = userErrorOrResult(spec, () => zooGraph(spec));
      if (!g) return;
      assert.ok(g.nodes.length > 0, spec);
    }),
    { numRuns: 200, seed: 5 },
  );
});
