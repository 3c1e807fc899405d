import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { buildModel } from '../engine/model.js';
import { getTarget } from '../hardware/registry.js';
import { initWeights } from '../ir/init.js';
import { mbv2Space } from '../search/spaces/mbv2.js';
import { Rng } from '../util/rng.js';
import { blockwiseSearch } from './blockwise.js';
import { MBV2_TINY } from '../search/spaces/testing/tiny.js';


before(async () => {
  await initEngine();
});

test('block-wise search distils each stage separately, meets the budget and yields a valid architecture', async () => {
  const space = mbv2Space(MBV2_TINY);
  const teacherArch = 'r8-w1:k5e3r,k5e3r|k5e3r,k5e3r';
  const graph = space.graph(space.parse(teacherArch));
  const teacher = { graph, weights: initWeights(graph, new Rng(1)) };
  const r0 = new Rng(2);
  const n = 48;
  const split = { x: Float32Array.from({ length: n * 3 * 64 }, () => r0.normal()), y: Uint8Array.from({ length: n }, (_, i) => i % 10), n };
  const r = await blockwiseSearch(teacher, teacherArch, { train: split, val: split, test: split }, {
    space: MBV2_TINY,
    target: getTarget('cortex-a76'),
    budgetRatio: 0.8,
    candidatesPerStage: 4,
    steps: 3,
    batchSize: 16,
    distillSamples: 32,
    heldOutSamples: 16,
    finetune: false,
    seed: 3,
  });
  assert.equal(r.stages.length, 2);
  assert.equal(r.distillations, 6); // 3 candidates per stage besides the teacher's own configuration
  assert.ok(r.jointCombinations > r.distillations);
  assert.equal(space.format(space.parse(r.arch)), r.arch);
  assert.ok(r.student.latencyMs <= 0.8 * r.teacher.latencyMs * 1.001, `${r.student.latencyMs} vs ${r.teacher.latencyMs}`);
  const em = buildModel(r.model);
  assert.equal(em.predict(split.x, 2).length, 20);
  em.dispose();
});
