import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { nasStrategyConfig } from '../../nas/strategy-config.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import { SqliteStore } from '../../store/index.js';
import { registerStudy } from './study.js';
import { parseStudyConfig, withStrategyDefaults } from './study-config.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-study-defaults-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const table = join(process.cwd(), 'bench', 'nb201-fmnist.csv');

async function cli(...args: string[]): Promise<void> {
  const program = new Command('hwnas').exitOverride();
  registerStudy(program);
  const write = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
}

const nbConfig = (name: string, strategy: unknown, extra: Record<string, unknown> = {}) =>
  parseStudyConfig({
    name,
    evaluator: { name: 'nas-table', options: { table, objectives: 'accuracy:max,latency_ms:min' } },
    strategy,
    nTrials: 60,
    seed: 1,
    ...extra,
  });

test('study create: NSGA-II gets the same budget defaults and repeat filter as hwnas nas', async () => {
  const fromConfig = withStrategyDefaults(nbConfig('a', 'nsga2')).strategy;
  const fromNas = await nasStrategyConfig('nsga2', getArchSpace('nb201'), { budget: 60, seed: 1 });
  assert.deepEqual(fromConfig, { name: fromNas.name, options: fromNas.options });
  // a 60-trial study: a population of 10 (not 50), so NSGA-II breeds from trial 10 on
  const inner = (fromConfig as unknown as { options: { inner: { options: { populationSize: number } } } }).options.inner;
  assert.equal(inner.options.populationSize, 10);
  // options in the config win; distinct: false leaves the strategy unwrapped
  assert.deepEqual(withStrategyDefaults(nbConfig('b', { name: 'nsga2', options: { populationSize: 12 } }, { distinct: false })).strategy, {
    name: 'nsga2',
    options: { populationSize: 12 },
  });
  // non-generic strategies and explicit spaces are left as given
  const cfg = nbConfig('c', 'random', { distinct: false });
  assert.deepEqual(withStrategyDefaults(cfg).strategy, { name: 'random', options: {} });
});

test('study create + run on the NB201 table: NSGA-II departs from random after its first generation, no repeated cells', async () => {
  const storePath = join(dir, 's.sqlite');
  for (const [name, strategy] of [
    ['nb-nsga2', 'nsga2'],
    ['nb-random', 'random'],
  ] as const) {
    const cfg = join(dir, `${name}.json`);
    writeFileSync(cfg, JSON.stringify(nbConfig(name, strategy)));
    await cli('study', 'create', '--config', cfg, '--store', storePath);
    await cli('study', 'run', name, '--store', storePath, '--threads', '0');
  }
  const store = new SqliteStore(storePath);
  try {
    const arch = (n: string) => store.getTrials(n).map((t) => JSON.stringify(t.params));
    const nsga = arch('nb-nsga2');
    const rnd = arch('nb-random');
    assert.equal(nsga.length, 60);
    assert.equal(new Set(nsga).size, 60, 'the repeat filter: no architecture evaluated twice');
    // with the old fixed population of 50, NSGA-II's first 50 trials were random search's
    const same = nsga.filter((a, i) => a === rnd[i]).length;
    assert.ok(same < 50, `${same} of 60 trials equal random search's`);
  } finally {
    store.close();
  }
});
