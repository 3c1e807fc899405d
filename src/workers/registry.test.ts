import assert from 'node:assert/strict';
import { test } from 'node:test';
import { disposeEvaluators, evaluatorFor, KEPT_EVALUATORS, registerEvaluation } from './registry.js';

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

test('a dropped evaluation is disposed once its running calls end; disposeEvaluators disposes the rest', async () => {
  await disposeEvaluators();
  const disposed: number[] = [];
  const gates = new Map<number, () => void>();
  registerEvaluation({
    name: 'registry-test-disposing',
    description: 'records its disposal; a call of it waits to be let go (test only)',
    objectives: () => [{ name: 'f', direction: 'minimize' }],
    create(options) {
      const k = options.k as number;
      const f = async () => {
        await new Promise<void>((r) => gates.set(k, r));
        return { values: [k] };
      };
      return Object.assign(f, { dispose: () => void disposed.push(k) });
    },
  });
  const spec = (k: number) => ({ name: 'registry-test-disposing', options: { k } });
  const ctx = { studyName: 's', trialNumber: 0, seed: 0, signal: new AbortController().signal, setUserAttr: () => undefined };
  const running = evaluatorFor(spec(0))({}, ctx); // spec 0 is running while it is dropped
  for (let k = 1; k <= KEPT_EVALUATORS + 1; k++) evaluatorFor(spec(k));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(disposed, [1], 'spec 1 (idle) is disposed when dropped; spec 0 not while its call runs');
  gates.get(0)?.();
  assert.deepEqual((await running).values, [0]);
  assert.deepEqual(disposed, [1, 0], 'spec 0 is disposed when its call ends');
  await disposeEvaluators();
  assert.deepEqual(
    disposed.slice(2).sort((a, b) => a - b),
    [2, 3, 4, 5],
    'the kept ones are disposed at shutdown',
  );
});
