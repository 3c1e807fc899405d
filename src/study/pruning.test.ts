import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Trial, TrialState } from '../search/types.js';
import { createPruner, INTERMEDIATE_ATTR, intermediateValues, medianPruner, type PruneQuery, successiveHalvingPruner } from './pruning.js';

const trial = (number: number, state: TrialState, curve: Record<number, number>): Trial => ({
  number,
  params: {},
  values: null,
  constraints: null,
  state,
  userAttrs: { [INTERMEDIATE_ATTR]: Object.fromEntries(Object.entries(curve).map(([k, v]) => [k, v])) },
  startedAt: '',
  finishedAt: null,
});

const q = (step: number, own: Record<number, number>, others: Trial[], direction: PruneQuery['direction'] = 'maximize'): PruneQuery => ({
  trialNumber: 99,
  step,
  values: new Map(Object.entries(own).map(([k, v]) => [Number(k), v])),
  others,
  direction,
});

test('intermediate values are read back from the trial attribute, junk ignored', () => {
  const t = trial(0, 'complete', { 0: 0.1, 3: 0.4 });
  assert.deepEqual(
    [...intermediateValues(t)],
    [
      [0, 0.1],
      [3, 0.4],
    ],
  );
  assert.equal(intermediateValues({ ...t, userAttrs: { [INTERMEDIATE_ATTR]: [1, 2] } }).size, 0);
});

test('median: compares the best value so far with the median of complete trials at the same step; startup and warm-up respected', () => {
  const done = [trial(0, 'complete', { 1: 0.5 }), trial(1, 'complete', { 1: 0.7 }), trial(2, 'complete', { 1: 0.9 }), trial(3, 'running', { 1: 0.99 })];
  const p = medianPruner({ startupTrials: 3 });
  assert.equal(p.shouldPrune(q(1, { 1: 0.6 }, done)), true, '0.6 < median 0.7');
  assert.equal(p.shouldPrune(q(1, { 1: 0.7 }, done)), false, 'equal to the median continues');
  assert.equal(p.shouldPrune(q(1, { 0: 0.8, 1: 0.6 }, done)), false, 'best so far 0.8 counts');
  assert.equal(p.shouldPrune(q(2, { 2: 0.1 }, done)), false, 'no complete trial reported step 2');
  assert.equal(medianPruner({ startupTrials: 4 }).shouldPrune(q(1, { 1: 0.1 }, done)), false, 'a running trial is not a complete one');
  assert.equal(medianPruner({ startupTrials: 3, warmupSteps: 2 }).shouldPrune(q(1, { 1: 0.1 }, done)), false);
  assert.equal(p.shouldPrune(q(1, { 1: 0.6 }, done, 'minimize')), false, 'minimising: 0.6 is better than 0.7');
  assert.equal(p.shouldPrune(q(1, { 1: 0.8 }, done, 'minimize')), true);
});

test('successive halving: a trial continues at a rung only within the best 1/eta of those that reached it', () => {
  const p = successiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
  const others = [trial(0, 'pruned', { 1: 0.5 }), trial(1, 'complete', { 1: 0.9, 2: 0.95 }), trial(2, 'failed', { 1: 0.99 })];
  // rung 0 at step 1: competing [own, 0.5, 0.9] (failed trials excluded), keep floor(3/2) = 1
  assert.equal(p.shouldPrune(q(1, { 1: 0.95 }, others)), false);
  assert.equal(p.shouldPrune(q(1, { 1: 0.7 }, others)), true);
  // alone at a rung: continues (the best of one)
  assert.equal(p.shouldPrune(q(1, { 1: 0.1 }, [])), false);
  // rung 1 at step 2: competing [own, 0.95], keep 1
  assert.equal(p.shouldPrune(q(2, { 1: 0.95, 2: 0.9 }, others)), true);
  // between rungs (step 3 < rung 2 at step 4) nothing new is decided
  assert.equal(p.shouldPrune(q(3, { 1: 0.95, 2: 0.99, 3: 0.1 }, others)), false);
  assert.throws(() => createPruner({ name: 'hyperband' }), /unknown pruner "hyperband"; expected one of median, successive-halving/);
  assert.throws(() => createPruner({ name: 'median', options: { startupTrials: -1 } }), /startupTrials = -1/);
});
