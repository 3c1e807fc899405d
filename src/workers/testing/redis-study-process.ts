/**
 * Test helper: a study process (`node redis-study-process.js <redis url> <queue> <store path> <nTrials> <uid>`)
 * that runs the zdt1 study 'orphans' (random search, seed 3, 4 trials in flight) on an SQLite store
 * through a Redis evaluator, as `hwnas study run --redis` does; the test kills it with SIGKILL mid-run
 * and resumes the study in its own process.
 */
import type { SearchSpace } from '../../search/space.js';
import { RandomSearch } from '../../search/strategies/random.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { runStudy } from '../../study/run-study.js';
import '../builtin.js';
import { makeRedisEvaluator } from '../redis.js';
import { getEvaluation } from '../registry.js';

const [url = '', queue = '', path = '', n = '0', uid = ''] = process.argv.slice(2);
const zdt1 = getEvaluation('zdt1');
const store = new SqliteStore(path);
const remote = await makeRedisEvaluator({
  redisUrl: url,
  queueName: queue,
  evaluation: { name: 'zdt1', options: { delayMs: 300 } },
  studyUid: uid,
  concurrency: 4,
});
await runStudy({
  store,
  studyName: 'orphans',
  space: zdt1.defaultSpace?.({ n: 3 }) as SearchSpace,
  objectives: zdt1.objectives({}),
  strategy: new RandomSearch(),
  evaluate: remote.evaluate,
  concurrency: remote.concurrency,
  nTrials: Number(n),
  seed: 3,
});
await remote.close();
store.close();
