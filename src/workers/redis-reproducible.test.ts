/**
 * A study run through Redis with several trials in flight proposes the same point per trial number in two runs with
 * the same seed, when the workers' evaluations take random times that differ between the runs (the same rule as
 * `--threads n`: ../study/proposal-view.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createStrategy, defaultStrategyOptions } from '../search/registry.js';
import { SearchSpace } from '../search/space.js';
import { trialSeed } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { runStudy } from '../study/run-study.js';
import { Rng } from '../util/rng.js';
import { makeRedisEvaluator, runWorker } from './redis.js';
import { registerEvaluation } from './registry.js';
import { redisSkipReason, startRedis, type TestRedis } from './testing/redis-server.js';

const skip = redisSkipReason();
let redis: TestRedis | undefined;
before(async () => {
  if (!skip) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const objectives = [
  { name: 'f1', direction: 'minimize' },
  { name: 'f2', direction: 'minimize' },
] as const;
const space = new SearchSpace({ x: { kind: 'float', low: 0, high: 1 }, y: { kind: 'float', low: 0, high: 1 } });
// runs in the worker (in this process): answers after 0-15 ms drawn from the option timingSeed and the trial number
registerEvaluation({
  name: 'test-jitter',
  description: 'a two-objective test problem that takes a random time (tests only)',
  objectives: () => [...objectives],
  create: (options) => async (p, ctx) => {
    await new Promise((r) => setTimeout(r, new Rng(trialSeed(Number(options.timingSeed), ctx.trialNumber)).int(0, 15)));
    const x = p.x as number;
    const g = 1 + 9 * (p.y as number);
    return { values: [x, g * (1 - Math.sqrt(x / g))] };
  },
});

test('--redis with 3 trials in flight: the same seed proposes the same point per trial number whatever the durations', { skip }, async () => {
  const url = (redis as TestRedis).url;
  const worker = await runWorker({ redisUrl: url, queueName: 'q-repro', concurrency: 3 });
  try {
    const runs = [];
    for (const timingSeed of [1, 2]) {
      const remote = await makeRedisEvaluator({
        redisUrl: url,
        queueName: 'q-repro',
        evaluation: { name: 'test-jitter', options: { timingSeed } },
        studyUid: `repro-${timingSeed}`,
        concurrency: 3,
      });
      try {
        const r = await runStudy({
          store: new MemoryStore(),
          studyName: 'repro',
          space,
          objectives,
          strategy: createStrategy('tpe', defaultStrategyOptions('tpe', 20, space.encodedDimension)),
          evaluate: remote.evaluate,
          concurrency: remote.concurrency,
          nTrials: 20,
          seed: 7,
        });
        runs.push(r.trials.map((t) => t.params));
      } finally {
        await remote.close();
      }
    }
    assert.equal(runs[0]?.length, 20);
    assert.deepEqual(runs[1], runs[0]);
  } finally {
    await worker.close();
  }
});
