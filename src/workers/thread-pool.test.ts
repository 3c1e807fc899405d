import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SearchSpace } from '../search/space.js';
import { RandomSearch } from '../search/strategies/random.js';
import { MemoryStore } from '../store/memory-store.js';
import { runStudy } from '../study/run-study.js';
import './builtin.js';
import { evaluatorFor, getEvaluation } from './registry.js';
import { makeThreadPoolEvaluator } from './thread-pool.js';

const objectives = getEvaluation('zdt1').objectives({});
const space = getEvaluation('zdt1').defaultSpace?.({ n: 5 }) as SearchSpace;

test('a study on a 2-thread pool gives the same trials and values as in-process evaluation', async () => {
  const pool = makeThreadPoolEvaluator({ evaluation: { name: 'zdt1' }, threads: 2 });
  try {
    const base = { studyName: 's', space, objectives, strategy: new RandomSearch(), nTrials: 12, seed: 9 };
    const a = await runStudy({ ...base, store: new MemoryStore(), evaluate: pool.evaluate, concurrency: pool.concurrency });
    const b = await runStudy({ ...base, store: new MemoryStore(), evaluate: evaluatorFor({ name: 'zdt1' }) });
    assert.equal(a.trials.length, 12);
    assert.ok(a.trials.every((t) => t.state === 'complete'));
    const byNumber = (ts: typeof a.trials): string[] => ts.map((t) => JSON.stringify([t.params, t.values]));
    assert.deepEqual(new Set(byNumber(a.trials)), new Set(byNumber(b.trials)));
  } finally {
    await pool.close();
  }
});

test('a thread that dies fails only its trial; the pool replaces it', async () => {
  const crash = fileURLToPath(new URL('./testing/crash-evaluation.js', import.meta.url));
  await import('./testing/crash-evaluation.js');
  const pool = makeThreadPoolEvaluator({ evaluation: { name: 'test-crash' }, threads: 1, imports: [crash] });
  try {
    const store = new MemoryStore();
    const r = await runStudy({
      store,
      studyName: 'c',
      space: new SearchSpace({ x0: { kind: 'float', low: 0, high: 1 } }),
      objectives: [{ name: 'x0', direction: 'minimize' }],
      strategy: new RandomSearch(),
      evaluate: pool.evaluate,
      nTrials: 10,
      seed: 2,
      catchErrors: true,
    });
    const failed = r.trials.filter((t) => t.state === 'failed');
    const ok = r.trials.filter((t) => t.state === 'complete');
    assert.ok(failed.length > 0 && ok.length > 0, `some of each: ${failed.length} failed, ${ok.length} complete`);
    assert.ok(failed.every((t) => (t.params.x0 as number) > 0.5 && /exited with code 7/.test(String(t.userAttrs['hwnas:error']))));
    assert.ok(ok.every((t) => (t.params.x0 as number) <= 0.5 && t.values?.[0] === t.params.x0));
  } finally {
    await pool.close();
  }
});
