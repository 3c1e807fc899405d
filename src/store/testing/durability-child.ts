/**
 * Child process of the durability test (store durability.test.ts): runs a study on a SQLite store
 * and prints `started N` when trial N's evaluation begins and `done N` after trial N is committed.
 * Usage: node durability-child.js <store-path> <hang-at-trial|-1> <n-trials>
 */
import { SearchSpace } from '../../search/space.js';
import { Nsga2 } from '../../search/strategies/nsga2.js';
import { runStudy } from '../../study/run-study.js';
import { SqliteStore } from '../sqlite-store.js';

/** The space the durability test uses. */
export const durabilitySpace = new SearchSpace({
  x: { kind: 'float', low: 0, high: 1 },
  n: { kind: 'int', low: 1, high: 8 },
  act: { kind: 'categorical', choices: ['relu', 'gelu'] },
});

/** The objectives the durability test uses. */
export const durabilityObjectives = [
  { name: 'loss', direction: 'minimize' },
  { name: 'size', direction: 'minimize' },
] as const;

async function main(): Promise<void> {
  const [path, hangText, nText] = process.argv.slice(2);
  const hangAt = Number(hangText);
  const store = new SqliteStore(String(path));
  await runStudy({
    store,
    studyName: 'crash',
    space: durabilitySpace,
    objectives: durabilityObjectives,
    strategy: new Nsga2({ populationSize: 8 }),
    nTrials: Number(nText),
    seed: 1,
    evaluate: async (p, ctx) => {
      process.stdout.write(`started ${ctx.trialNumber}\n`);
      if (ctx.trialNumber === hangAt) await new Promise(() => setInterval(() => {}, 1000));
      return { values: [((p.x as number) - 0.3) ** 2, p.n as number], userAttrs: { act: p.act as string } };
    },
    onProgress: (pr) => process.stdout.write(`done ${pr.trial.number}\n`),
  });
  store.close();
}

if (process.argv[1]?.endsWith('durability-child.js')) {
  main().catch((e: unknown) => {
    process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
    process.exit(1);
  });
}
