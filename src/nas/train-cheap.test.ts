/** Cost-aware search with the training evaluator: the cheap objectives equal what the evaluator reports (no training needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset, Split } from '../data/types.js';
import { getTarget } from '../hardware/registry.js';
import { jointSpace } from '../search/spaces/joint.js';
import { mbv2Space } from '../search/spaces/mbv2.js';
import { MBV2_TINY } from '../search/spaces/testing/tiny.js';
import type { Objective } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { trainCheapObjectives, trainingEvaluator } from './train-eval.js';

const empty = (): Split => ({ x: new Float32Array(0), y: new Uint8Array(0), n: 0 });
const DATA: Dataset = { name: 'shape-only', shape: [1, 8, 8], numClasses: 7, train: empty(), val: empty(), test: empty() };
const COST: Objective[] = ['latency_ms', 'energy_mj', 'macs', 'params', 'size_kb'].map((name) => ({ name, direction: 'minimize' }));

test('trainCheapObjectives: every cost metric equals the training evaluator’s value for the same point (joint space, analytical target)', async () => {
  const space = jointSpace(mbv2Space({ ...MBV2_TINY, inChannels: 1 }));
  const target = getTarget('bitfusion-edge');
  const objectives: Objective[] = [{ name: 'accuracy', direction: 'maximize' }, ...COST];
  const cheap = trainCheapObjectives({ space, target, objectives, shape: DATA.shape, classes: DATA.numClasses });
  assert.ok(cheap);
  assert.deepEqual(cheap.indices, [1, 2, 3, 4, 5]);
  // the evaluator with the cost objectives only trains nothing, so empty splits are enough
  const evaluate = trainingEvaluator({ space, dataset: DATA, target, objectives: COST });
  const rng = new Rng(5);
  const sizes = new Set<number>();
  for (let i = 0; i < 6; i++) {
    const params = space.space.sample(rng);
    const got: readonly number[] = cheap.values(params);
    const r = await evaluate(params, { studyName: 't', trialNumber: i, seed: i, signal: new AbortController().signal, setUserAttr: () => {} });
    const want = 'values' in r ? r.values : [];
    assert.equal(got.length, 5);
    got.forEach((v, j) =>
      assert.ok(Number.isFinite(v) && Math.abs(v - (want[j] as number)) <= 1e-12 * Math.max(1, Math.abs(v)), `${COST[j]?.name}: ${v} vs ${want[j]}`),
    );
    sizes.add(got[4] as number);
  }
  assert.ok(sizes.size > 1, 'different points, different packed sizes');
});

test('trainCheapObjectives: no cost objective -> undefined; latency from a measured target or network timing is not cheap', () => {
  const space = mbv2Space({ ...MBV2_TINY, inChannels: 1 });
  const acc: Objective[] = [{ name: 'accuracy', direction: 'maximize' }];
  assert.equal(trainCheapObjectives({ space, target: getTarget('bitfusion-edge'), objectives: acc, shape: [1, 8, 8], classes: 10 }), undefined);
  const accLat: Objective[] = [...acc, { name: 'latency_ms', direction: 'minimize' }];
  assert.equal(trainCheapObjectives({ space, target: getTarget('host-cpu'), objectives: accLat, shape: [1, 8, 8], classes: 10 }), undefined);
  assert.equal(
    trainCheapObjectives({ space, target: getTarget('bitfusion-edge'), objectives: accLat, shape: [1, 8, 8], classes: 10, latency: { mode: 'network' } }),
    undefined,
  );
  const accSize: Objective[] = [...accLat, { name: 'size_kb', direction: 'minimize' }];
  assert.deepEqual(trainCheapObjectives({ space, target: getTarget('host-cpu'), objectives: accSize, shape: [1, 8, 8], classes: 10 })?.indices, [2]);
});
