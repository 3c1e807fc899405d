/**
 * `hwnas quantize --strategy nsga2 --objectives accuracy:max,latency_ms:min,fault_drop:min` and `--max-fault-drop`
 * (issue 14): a measured weight-fault drop as an objective and a constraint of the precision-policy search, through
 * the one study loop (the `quant-policy` evaluation's `faultDrop` option, the generic NSGA-II). Real CLI, a real
 * trained mnist-cnn, real SQLite; the stored drop is re-measured here with the fault campaign itself.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../data/load.js';
import type { PrecisionPolicy } from '../ir/precision.js';
import { loadModel } from '../ir/serialize.js';
import { runFaultCampaign } from '../resilience/campaign.js';
import { paretoTrials } from '../search/pareto.js';
import type { Objective, Trial } from '../search/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { assertUserErrors, flagList, keptModelFile, type QuantizeOut, testDir } from './testing/fixtures.js';
import { spawnHwnas } from './testing/run-cli.js';

const dir = testDir('hwnas-qdrop-');

const BER = 1e-2;
const DATASET = 'mnist;limit=train:600,val:300,test:200';
const run = (...args: string[]) => spawnHwnas(dir, args, { timeoutMs: 600_000 }).done;
// the current bitfusion-edge preset under latency=1x, the strategy per test (not quantizeFlags' 2026-12-03 model at 0.6x)
const common = [
  ...flagList({
    dataset: DATASET,
    target: 'bitfusion-edge',
    budget: 'latency=1x',
    bits: '2,4,8',
    'finetune-epochs': '0',
    'search-images': '200',
    'train-epochs': '1',
    seed: '3',
    store: join(dir, 'q.sqlite'),
  }),
  '--json',
];
const THREE: Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
  { name: 'fault_drop', direction: 'minimize' },
];

interface Out extends QuantizeOut {
  readonly objectives: string[];
  readonly front: { trial: number; valAccuracy: number; latency_ms: number; fault_drop: number; policy: PrecisionPolicy }[];
}

function trialsOf(study: string): Trial[] {
  const store = new SqliteStore(join(dir, 'q.sqlite'), { readonly: true });
  try {
    return store.getTrials(study);
  } finally {
    store.close();
  }
}

test('quantize --objectives / --max-fault-drop: bad flags are user errors (exit 2, no stack trace) before any training', async () => {
  const cases: [string[], RegExp][] = [
    [['--strategy', 'ilp', '--objectives', 'accuracy:max,fault_drop:min'], /needs --strategy nsga2 or random, not ilp/],
    [['--strategy', 'nsga2', '--objectives', 'latency_ms:min,accuracy:max'], /expected accuracy:max first/],
    [['--strategy', 'nsga2', '--objectives', 'accuracy:max,fault_drop:max'], /'fault_drop' can only be minimised/],
    [['--strategy', 'nsga2', '--objectives', 'accuracy:max,flops:min'], /'flops' is not a quantize metric/],
    [['--strategy', 'nsga2', '--max-fault-drop', '2xx'], /--max-fault-drop '2xx': expected <points>pp/],
    [['--strategy', 'nsga2', '--max-fault-drop', '1pp@1e-3', '--fault-ber', '1e-4'], /name different bit error rates/],
    [['--strategy', 'nsga2', '--fault-runs', '3'], /--fault-runs and --fault-images apply to the fault_drop objective/],
    [['--strategy', 'nsga2', '--objectives', 'accuracy:max,fault_drop:min', '--fault-runs', '0'], /--fault-runs/],
  ];
  await assertUserErrors(cases, (extra) => run('quantize', 'zoo:mnist-cnn', ...common, ...extra));
});

test('quantize --strategy nsga2 with a measured fault_drop objective: the front, the stored drop re-measured, common faults, and --max-fault-drop changes the pick', {
  timeout: 1_200_000,
}, async () => {
  const drop3 = ['--strategy', 'nsga2', '--episodes', '10', '--fault-ber', String(BER), '--fault-runs', '2', '--fault-images', '150'];
  const a = await run('quantize', 'zoo:mnist-cnn', ...common, ...drop3, '--objectives', 'accuracy:max,latency_ms:min,fault_drop:min');
  assert.equal(a.code, 0, a.stderr);
  const outA = JSON.parse(a.stdout) as Out;
  assert.deepEqual(outA.objectives, ['accuracy', 'latency_ms', 'fault_drop']);
  const trialsA = trialsOf(outA.study);
  assert.equal(trialsA.filter((t) => t.state === 'complete').length, 10);
  // the reported front is the stored trials' 3-objective front, with the stored values
  const front = paretoTrials(trialsA, THREE);
  assert.deepEqual(outA.front.map((p) => p.trial).sort(), front.map((t) => t.number).sort());
  for (const p of outA.front) {
    const t = trialsA.find((x) => x.number === p.trial) as Trial;
    assert.deepEqual([p.valAccuracy, p.latency_ms, p.fault_drop], t.values);
    assert.equal(t.userAttrs.fault_drop, p.fault_drop);
  }
  const drops = trialsA.map((t) => t.userAttrs.fault_drop as number);
  assert.ok(
    drops.every((d) => Number.isFinite(d)),
    'every trial has a measured drop',
  );
  assert.ok(Math.max(...drops) > 0.02, `BER ${BER} costs some policy more than 2 pp (drops ${drops.join(', ')})`);

  // the stored drop is the fault campaign's on the first 150 validation images, the policy deployed as QDQ
  const modelFile = keptModelFile(join(dir, 'q.sqlite'), outA.study);
  const model = loadModel(modelFile);
  const ds = await loadDataset(DATASET, { size: 28, channels: 1 });
  const per = ds.val.x.length / ds.val.n;
  const t0 = trialsA[0] as Trial;
  const c = await runFaultCampaign({
    model,
    policy: t0.userAttrs.policy as unknown as PrecisionPolicy,
    data: { x: ds.val.x.subarray(0, 150 * per), y: ds.val.y.subarray(0, 150), n: 150 },
    calibration: { x: ds.train.x, n: Math.min(512, ds.train.n) },
    bers: [BER],
    sites: ['weights'],
    trials: 2,
    seed: 3,
    layerTrials: 0,
    sampling: 'stratified',
  });
  const again = c.baselineAccuracy - (c.results[0]?.meanAccuracy as number);
  assert.ok(Math.abs(again - (t0.userAttrs.fault_drop as number)) <= 1e-12, `re-measured ${again} vs stored ${t0.userAttrs.fault_drop}`);

  // the constraint: a line below the unconstrained pick's drop; the same first generation is drawn, and its
  // policies are measured on the same fault positions (equal drops), the over-the-line ones are infeasible
  const chosenDrop = trialsA.find((t) => t.number === outA.trial)?.userAttrs.fault_drop as number;
  const feasibleDrops = drops.filter((d) => d < chosenDrop);
  assert.ok(feasibleDrops.length > 0, `some trial drops less than the most accurate one (${chosenDrop})`);
  const line = (chosenDrop + Math.max(...feasibleDrops)) / 2;
  const b = await run(
    'quantize',
    modelFile,
    ...common,
    ...drop3,
    '--objectives',
    'accuracy:max,latency_ms:min,fault_drop:min',
    '--max-fault-drop',
    `${line * 100}pp`,
  );
  assert.equal(b.code, 0, b.stderr);
  const outB = JSON.parse(b.stdout) as Out;
  assert.notEqual(outB.study, outA.study);
  const trialsB = trialsOf(outB.study);
  const chosenB = trialsB.find((t) => t.number === outB.trial) as Trial;
  assert.ok((chosenB.userAttrs.fault_drop as number) <= line, 'the pick meets the drop line');
  assert.notDeepEqual(outB.policy.layers, outA.policy.layers, 'the line changes the pick');
  let same = 0;
  for (const t of trialsB) {
    const d = t.userAttrs.fault_drop as number;
    const cons = t.constraints ?? [];
    assert.equal(cons.length, 2, 'budget and drop constraints');
    assert.ok(Math.abs((cons[1] as number) - (d - line)) <= 1e-12);
    const twin = trialsA.find((x) => JSON.stringify(x.params) === JSON.stringify(t.params));
    if (twin) {
      same++;
      assert.equal(d, twin.userAttrs.fault_drop, 'the same policy loses the same on the same faults');
    }
  }
  assert.ok(same > 0, 'the first generation is shared');
  for (const p of outB.front) assert.ok(p.fault_drop <= line, 'the front is feasible');
});
