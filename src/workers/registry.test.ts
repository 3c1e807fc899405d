import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluatorFor, KEPT_EVALUATORS, registerEvaluation } from './registry.js';

let builds = 0;
registerEvaluation({
  name: 'registry-test-counting',
  description: 'counts how often it is built (test only)',
  objectives: () => [{ name: 'f', direction: 'minimize' }],
  create() {
    builds++;
    const held = new Float32Array(16); // stands for the data set / model a real evaluation loads
    return async () => ({ values: [held.length] });
  },
});

test('a long-lived process keeps only the most recently used built evaluations (a worker serving many studies)', () => {
  const spec = (k: number) => ({ name: 'registry-test-counting', options: { k } });
  const first = evaluatorFor(spec(0));
  assert.equal(evaluatorFor(spec(0)), first, 'the same spec is built once');
  assert.equal(builds, 1);
  for (let k = 1; k < KEPT_EVALUATORS; k++) evaluatorFor(spec(k));
  assert.equal(evaluatorFor(spec(0)), first, `${KEPT_EVALUATORS} specs are all kept`);
  assert.equal(builds, KEPT_EVALUATORS);
  // one more spec drops the least recently used (spec 1: spec 0 was just used), not spec 0
  evaluatorFor(spec(KEPT_EVALUATORS));
  assert.equal(evaluatorFor(spec(0)), first);
  assert.equal(builds, KEPT_EVALUATORS + 1);
  evaluatorFor(spec(1));
  assert.equal(builds, KEPT_EVALUATORS + 2, 'spec 1 was dropped and is built again');
  // 100 studies' specs later, the process holds KEPT_EVALUATORS of them: spec 0 is built again
  for (let k = 100; k < 200; k++) evaluatorFor(spec(k));
  const before = builds;
  assert.notEqual(evaluatorFor(spec(0)), first);
  assert.equal(builds, before + 1);
});
