import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { createStrategy } from '../../search/registry.js';
import { nb201Space } from '../../search/spaces/nb201.js';
import { runTrials } from '../../search/testing/run-trials.js';
import { strategyConformance } from '../../search/testing/strategy-conformance.js';
import type { Objective, Params } from '../../search/types.js';
import { nasStrategyConfig } from '../strategy-config.js';
import { TwoStageSearch } from '../two-stage.js';
import './index.js';

const space = nb201Space();
const OBJ: readonly Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
];
const GAIN: Record<string, number> = { none: 0, skip_connect: 0.02, nor_conv_1x1: 0.04, nor_conv_3x3: 0.07, avg_pool_3x3: 0.01 };
const LAT: Record<string, number> = { none: 0, skip_connect: 0.01, nor_conv_1x1: 0.3, nor_conv_3x3: 1.6, avg_pool_3x3: 0.2 };
/** A synthetic cost table of NB201 cells: edge e10 weighs twice in latency, the last three edges 1.5x in accuracy. */
const cell = (p: Params): string[] => space.space.names.map((n) => p[n] as string);
const latency = (p: Params): number => 1 + cell(p).reduce((s, op, k) => s + (LAT[op] as number) * (k === 0 ? 2 : 1), 0);
const accuracy = (p: Params): number => 0.5 + cell(p).reduce((s, op, k) => s + (GAIN[op] as number) * (k >= 3 ? 1.5 : 1), 0);
const problem = { space: space.space, objectives: OBJ, evaluate: (p: Params) => ({ values: [accuracy(p), latency(p)] }) };

const config = await nasStrategyConfig('two-stage', space, { budget: 40, seed: 1, sensitivityCost: latency });

test('two-stage config: sensitive parameters from the cost, budget split, inner defaults, repeat filter; JSON only', () => {
  assert.equal(config.name, 'two-stage');
  assert.deepEqual(config.sensitive, config.options.sensitive);
  assert.equal((config.sensitive as string[])[0], 'e10'); // the edge whose op weighs twice in latency
  assert.equal(config.options.stage1Trials, 16);
  assert.deepEqual(config.options.stage1, { name: 'nsga2', options: { populationSize: 5 } });
  assert.deepEqual(config.options.stage2, { name: 'nsga2', options: { populationSize: 8 } });
  assert.equal(config.options.distinct, true);
  assert.equal(config.options.archSpace, 'nb201');
  assert.deepEqual(JSON.parse(JSON.stringify(config.options)), config.options);
});

test('two-stage from the registry proposes what the class with the same settings proposes', async () => {
  const a = await runTrials({ strategy: createStrategy('two-stage', { ...config.options, distinct: false }), ...problem, nTrials: 30, seed: 5 });
  const b = await runTrials({
    strategy: new TwoStageSearch({
      sensitive: config.sensitive as string[],
      stage1Trials: 16,
      referenceSeed: 1,
      inner: (s) => createStrategy('nsga2', { populationSize: s === 1 ? 5 : 8 }),
    }),
    ...problem,
    nTrials: 30,
    seed: 5,
  });
  assert.deepEqual(
    a.map((t) => t.params),
    b.map((t) => t.params),
  );
  // stage 1 moves only the sensitive parameters: the rest stay at the reference point
  const rest = space.space.names.filter((n) => !(config.sensitive as string[]).includes(n));
  const firstRest = JSON.stringify(rest.map((n) => a[0]?.params[n]));
  for (const t of a.slice(0, 16)) assert.equal(JSON.stringify(rest.map((n) => t.params[n])), firstRest);
});

test('two-stage options are checked: missing sensitive, unknown field, distinct without archSpace, wrong space', () => {
  const bad = (o: Record<string, unknown>, re: RegExp): void =>
    assert.throws(
      () => createStrategy('two-stage', o, undefined),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      JSON.stringify(o),
    );
  bad({ stage1Trials: 3 }, /sensitive/);
  bad({ sensitive: ['e10'], stage1Trials: 0 }, /stage1Trials = 0/);
  bad({ sensitive: ['e10'], stage1Trials: 3, stages: 2 }, /'stages'/);
  bad({ sensitive: ['e10'], stage1Trials: 3, distinct: true }, /archSpace/);
  assert.throws(
    () => createStrategy('two-stage', { sensitive: ['e10'], stage1Trials: 3, archSpace: 'mbv2' }, { space: space.space, objectives: OBJ, nTrials: 5, seed: 0 }),
    /study's space/,
  );
});

strategyConformance('two-stage (NB201, synthetic cost table)', () => createStrategy('two-stage', config.options), { problem, nTrials: 40 });
strategyConformance(
  'distinct(nsga2) (NB201, synthetic cost table)',
  () => createStrategy('distinct', { archSpace: 'nb201', inner: { name: 'nsga2', options: { populationSize: 10 } } }),
  { problem, nTrials: 40 },
);

test('nasStrategyConfig: generic strategies get NAS defaults inside the repeat filter; unknown names list the registry', async () => {
  assert.deepEqual(await nasStrategyConfig('evolution', space, { budget: 300 }), {
    name: 'distinct',
    options: { archSpace: 'nb201', inner: { name: 'regularized-evolution', options: { populationSize: 30, sampleSize: 8 } } },
  });
  assert.deepEqual(await nasStrategyConfig('random', space, { budget: 30, distinct: false }), { name: 'random', options: {} });
  await assert.rejects(
    nasStrategyConfig('annealing', space, { budget: 30 }),
    (e: unknown) => e instanceof ConfigError && /'annealing'.*two-stage/.test(e.message),
  );
  await assert.rejects(nasStrategyConfig('distinct', space, { budget: 30 }), (e: unknown) => e instanceof ConfigError && /--no-distinct/.test(e.message));
});
