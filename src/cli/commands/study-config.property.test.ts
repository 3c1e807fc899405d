/** Property tests: study config files (see src/util/testing/user-input.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { MemoryStore } from '../../store/memory-store.js';
import { nearValid, userErrorOrResult } from '../../util/testing/user-input.js';
import { createStudyFromConfig } from './study.js';
import { readStudyConfig } from './study-config.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-config-prop-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('study configs (mutated JSON): a study created from it, or a UserError and no study', () => {
  const seeds = [
    JSON.stringify({ name: 'a', evaluator: { name: 'zdt1', options: { n: 4 } }, strategy: 'random', nTrials: 20, seed: 1 }),
    JSON.stringify({ name: 'b', evaluator: { name: 'zdt2' }, strategy: { name: 'nsga2', options: { populationSize: 8 } }, nTrials: 50, maxRetries: 2 }),
    JSON.stringify({ name: 'c', evaluator: { name: 'policy-cost', options: { model: 'mnist-cnn', target: 'bitfusion-edge' } }, nTrials: 5, concurrency: 2 }),
  ];
  const path = join(dir, 'study.json');
  fc.assert(
    fc.property(nearValid(seeds), (text) => {
      writeFileSync(path, text);
      const store = new MemoryStore();
      const made = userErrorOrResult(text, () => {
        const config = readStudyConfig(path);
        createStudyFromConfig(store, config);
        return config;
      });
      assert.equal(store.listStudies().length, made ? 1 : 0, `${text}: a study without a valid config`);
      if (made) assert.ok(Number.isInteger(made.nTrials) && made.nTrials >= 1);
    }),
    { numRuns: 300, seed: 17 },
  );
});
