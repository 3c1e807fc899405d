import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { createStrategy } from '../../search/registry.js';
import { mbv2Space } from '../../search/spaces/mbv2.js';
import { nb201Space } from '../../search/spaces/nb201.js';
import { MBV2_TINY } from '../../search/spaces/testing/tiny.js';
import { runTrials } from '../../search/testing/run-trials.js';
import { strategyConformance } from '../../search/testing/strategy-conformance.js';
import type { Objective, Params } from '../../search/types.js';
import { Rng } from '../../util/rng.js';
import { nasStrategyConfig } from '../strategy-config.js';
import { positionSplit, preselectOps, TwoStageSearch } from '../two-stage.js';
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

// HURRICANE: split by layer position, per-hardware operator pre-selection
const tiny = mbv2Space(MBV2_TINY);
/** A synthetic cost: per active block k*e, but kernel 5 with expansion 1 is slow (10) for what it offers. */
const opLatency = (k: number, e: number): number => (k === 5 && e === 1 ? 10 : k * e);
const tinyLatency = (p: Params): number => {
  const a = tiny.fromParams(p);
  return a.stages.flat().reduce((s, b) => s + opLatency(b.kernel, b.expansion) * (b.se ? 1.01 : 1), 1);
};
const tinyCapacity = (p: Params) => {
  const bl = tiny.fromParams(p).stages.flat();
  return { macs: bl.reduce((s, b) => s + b.kernel * b.expansion, 0), params: bl.reduce((s, b) => s + b.kernel * b.expansion + (b.se ? 1 : 0), 0) };
};

test('positionSplit: the smallest early or late part with most of the stage effect, global parameters in stage 1', () => {
  const names = ['input', 'width', 's1_depth', 's1b0_k', 's2_depth', 's2b0_k', 's3b0_k', 'q_s3b0', 'q_fc'];
  const eff = (m: Record<string, number>) => names.map((name) => ({ name, effect: m[name] ?? 0, share: 0 }));
  const late = positionSplit(names, eff({ input: 50, s1b0_k: 1, s2b0_k: 2, s3b0_k: 4, q_s3b0: 1 }));
  assert.deepEqual(late.stages, [3]);
  assert.equal(late.end, 'late');
  assert.deepEqual(late.sensitive, ['input', 'width', 'q_fc', 's3b0_k', 'q_s3b0']);
  assert.ok(Math.abs(late.share - 5 / 8) < 1e-12);
  const early = positionSplit(names, eff({ s1_depth: 3, s1b0_k: 3, s2b0_k: 3, s3b0_k: 2 }));
  assert.deepEqual(early.stages, [1]);
  assert.equal(early.end, 'early');
  // no single end stage carries half: two stages
  assert.deepEqual(positionSplit(names, eff({ s1b0_k: 3, s2b0_k: 4, s3b0_k: 3 })).stages.length, 2);
  assert.throws(() => positionSplit(['e10', 'e20'], eff({})), /at least two stages/);
});

test('preselectOps: an operator beaten at every stage (faster, at least its MACs and parameters) is dropped, only there', () => {
  const r = preselectOps(tiny.space, { latency: tinyLatency, capacity: tinyCapacity, reference: tiny.space.sample(new Rng(0)) });
  assert.ok(r);
  assert.deepEqual(r.ops.fields, ['_k', '_e', '_se', '_act']);
  assert.equal(r.probes.length, 2 * 2 * 2 * 2);
  const dropped = r.probes.filter((p) => !p.kept).map((p) => p.op.slice(0, 2).join('e'));
  assert.deepEqual(dropped, ['5e1', '5e1', '5e1', '5e1']);
  for (const p of r.probes.filter((q) => !q.kept)) assert.ok(p.dominatedBy.some((o) => o[0] === 3 && o[1] === 3));
  assert.equal(r.ops.allowed.length, 12);
  assert.equal(preselectOps(space.space, { latency, capacity: () => ({ macs: 0, params: 0 }), reference: space.space.sample(new Rng(0)) }), undefined);
});

test('two-stage with the split by position and pre-selected operators: every proposal uses allowed operators; stage 1 moves only its part', async () => {
  const c = await nasStrategyConfig('two-stage', tiny, { budget: 30, seed: 2, sensitivityCost: tinyLatency, distinct: false });
  assert.equal(c.twoStage?.split?.end !== undefined, true);
  assert.deepEqual(c.options.opFields, ['_k', '_e', '_se', '_act']);
  assert.equal((c.options.ops as unknown[]).length, 12);
  const evaluate = (p: Params) => ({ values: [tinyCapacity(p).macs, tinyLatency(p)] });
  const trials = await runTrials({ strategy: createStrategy('two-stage', c.options), space: tiny.space, objectives: OBJ, evaluate, nTrials: 30, seed: 3 });
  for (const t of trials) for (const b of tiny.fromParams(t.params).stages.flat()) assert.ok(!(b.kernel === 5 && b.expansion === 1), JSON.stringify(t.params));
  const rest = tiny.space.names.filter((n) => !(c.sensitive as string[]).includes(n));
  const s1 = c.options.stage1Trials as number;
  const first = JSON.stringify(rest.map((n) => trials[0]?.params[n]));
  for (const t of trials.slice(0, s1)) assert.equal(JSON.stringify(rest.map((n) => t.params[n])), first);
  assert.ok(
    trials.slice(s1).some((t) => JSON.stringify(rest.map((n) => t.params[n])) !== first),
    'stage 2 moves the rest',
  );
  // without pre-selection the dropped operator appears
  const plain = await nasStrategyConfig('two-stage', tiny, { budget: 30, seed: 2, sensitivityCost: tinyLatency, distinct: false, preselectOps: false });
  assert.equal(plain.options.ops, undefined);
  const bad = (o: Record<string, unknown>, re: RegExp): void => assert.throws(() => createStrategy('two-stage', { ...c.options, ...o }), re);
  bad({ ops: undefined }, /opFields and ops go together/);
  bad({ ops: [[3, 1, false]] }, /ops\[0\]/);
});
