import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { createStrategy } from './registry.js';

test('createStrategy: a misspelt option of a generic strategy is a ConfigError naming it and the known ones, never ignored', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['tpe', { multivarate: false }, /tpe: unknown option 'multivarate'; expected one of .*multivariate/],
    ['nsga2', { popSize: 20 }, /'nsga2': unknown option 'popSize'; expected one of populationSize/],
    ['bo', { candidate: 10 }, /'bo': unknown option 'candidate'; expected one of startupTrials, candidates/],
    ['evolution', { sample: 3 }, /'regularized-evolution': unknown option 'sample'; expected one of populationSize, sampleSize/],
    ['random', { seed: 1 }, /'random': unknown option 'seed'; expected none/],
  ];
  for (const [name, options, message] of cases) {
    assert.throws(
      () => createStrategy(name, options),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      name,
    );
  }
  // the known options still build
  assert.equal(createStrategy('tpe', { multivariate: false, endEvery: 3 }).name, 'tpe');
  assert.equal(createStrategy('nsga2', { populationSize: 20, mutationProb: 0.1 }).name, 'nsga2');
  assert.equal(createStrategy('evolution', { populationSize: 20, sampleSize: 5 }).name, 'regularized-evolution');
  assert.equal(createStrategy('bo', { candidates: 10, refitEvery: 2 }).name, 'bo');
  assert.equal(createStrategy('random', {}).name, 'random');
});
