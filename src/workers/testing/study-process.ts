/**
 * Test helper: a process (`node study-process.js <redis url> <queue>`) that starts a worker and a
 * Redis evaluator, runs a 4-trial zdt1 study through them, closes both and prints the trial states.
 * It must then exit by itself: any connection left open would keep it alive.
 */
import type { SearchSpace } from '../../search/space.js';
import { RandomSearch } from '../../search/strategies/random.js';
import { MemoryStore } from '../../store/memory-store.js';
import { runStudy } from '../../study/run-study.js';
import '../builtin.js';
import { makeRedisEvaluator, runWorker } from '../redis.js';
import { getEvaluation } from '../registry.js';

const [url = '', queue = ''] = process.argv.slice(2);
const zdt1 = getEvaluation('zdt1');
const worker = await runWorker({ redisUrl: url, queueName: queue, concurrency: 2 });
const remote = await makeRedisEvaluator({ redisUrl: url, queueName: queue, evaluation: { name: 'zdt1' } });
const r = await runStudy({
  store: new MemoryStore(),
  studyName: 'exit',
  space: zdt1.defaultSpace?.({ n: 3 }) as SearchSpace,
  objectives: zdt1.objectives({}),
  strategy: new RandomSearch(),
  evaluate: remote.evaluate,
  concurrency: remote.concurrency,
  nTrials: 4,
  seed: 1,
});
await remote.close();
await worker.close();
process.stdout.write(`${JSON.stringify(r.trials.map((t) => t.state))}\n`);
