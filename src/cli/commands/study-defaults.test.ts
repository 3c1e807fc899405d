import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { nasStrategyConfig } from '../../nas/strategy-config.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import type { JsonValue } from '../../search/types.js';
import { SqliteStore } from '../../store/index.js';
import { registerStudy } from '../register/study.js';
import { runHwnas } from '../testing/run-cli.js';
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

const commandConfig = (name: string, cmd: JsonValue, extra: Record<string, unknown> = {}) =>
  parseStudyConfig({
    name,
    evaluator: { name: 'command', options: { cmd, space: 'nb201', target: 'bitfusion-edge', objectives: 'accuracy:max,latency_ms:min', keep: 'none' } },
    strategy: 'nsga2',
    nTrials: 30,
    seed: 7,
    ...extra,
  });

test("study create with a command evaluator on an architecture space: the same repeat filter as hwnas nas --evaluator command; the user's trainer never runs an architecture twice", async () => {
  assert.deepEqual(withStrategyDefaults(commandConfig('u', 'true')).strategy, {
    name: 'distinct',
    options: { archSpace: 'nb201', inner: { name: 'nsga2', options: { populationSize: 10 } } },
  });
  assert.deepEqual(withStrategyDefaults(commandConfig('v', 'true', { distinct: false })).strategy, { name: 'nsga2', options: { populationSize: 10 } });
  // the reviewer's run (review50 item 6): a trainer whose accuracy is a hash of the architecture; unfiltered, 3 of 30 repeated
  const trainer = join(dir, 'hash-trainer.mjs');
  writeFileSync(
    trainer,
    `import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2] + '/trial.json', 'utf8')).params;
const s = '{' + Object.keys(p).sort().map((k) => JSON.stringify(k) + ': ' + JSON.stringify(p[k])).join(', ') + '}';
let h = 0;
for (let i = 0; i < s.length; i++) h += s.charCodeAt(i) * (i + 1);
console.log(JSON.stringify({ metrics: { accuracy: (h % 1000) / 1000 } }));`,
  );
  const storePath = join(dir, 'cmd.sqlite');
  const cfg = join(dir, 'cmd.json');
  writeFileSync(cfg, JSON.stringify(commandConfig('cmd1', [process.execPath, trainer, '{dir}'])));
  for (const args of [
    ['study', 'create', '--config', cfg, '--store', storePath],
    ['study', 'run', 'cmd1', '--store', storePath, '--threads', '0', '--json'],
  ]) {
    const r = await runHwnas(dir, ...args);
    assert.equal(r.code, 0, r.stderr);
  }
  const store = new SqliteStore(storePath);
  try {
    const trials = store.getTrials('cmd1');
    assert.equal(trials.filter((t) => t.state === 'complete').length, 30);
    assert.equal(new Set(trials.map((t) => JSON.stringify(t.params))).size, 30, 'no architecture evaluated twice');
  } finally {
    store.close();
  }
});

test('study config: a given NSGA-II / evolution population not below nTrials is refused naming both numbers; below it is kept', () => {
  for (const name of ['nsga2', 'regularized-evolution'])
    assert.throws(
      () => withStrategyDefaults(nbConfig('p', { name, options: { populationSize: 60 } })),
      new RegExp(`${name} populationSize 60 is not below the study's 60 trials`),
    );
  const c = withStrategyDefaults(nbConfig('p', { name: 'nsga2', options: { populationSize: 30 } }));
  assert.match(JSON.stringify(c.strategy), /"populationSize":30/);
});
