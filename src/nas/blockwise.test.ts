import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Dataset, Split } from '../data/types.js';
import { initEngine } from '../engine/backend.js';
import { buildModel } from '../engine/model.js';
import { ConfigError } from '../errors.js';
import { defaultPolicy, policyPreset } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { initWeights } from '../ir/init.js';
import type { Model } from '../ir/types.js';
import { PolicyCoster } from '../quant/cost.js';
import { jointSpace } from '../search/spaces/joint.js';
import { mbv2Space } from '../search/spaces/mbv2.js';
import { MBV2_TINY } from '../search/spaces/testing/tiny.js';
import type { ArchSpace } from '../search/spaces/types.js';
import { networkLatency } from '../transform/hant.js';
import { Rng } from '../util/rng.js';
import { assembleBlockwiseStudent, blockwiseCandidates, blockwiseSearch, type QuantStageCandidate } from './blockwise.js';
import { type BlockwiseEvaluatorOptions, blockwiseEvaluator, loadBlockwiseArtifact, prepareBlockwise } from './blockwise-study.js';
import { BlockwiseStrategy, type BlockwiseStrategyOptions } from './strategies/blockwise.js';

/** `n` random 3x8x8 images labelled i mod 10 (noise: these tests check the mechanics, not what is learnt). */
function noiseSplit(seed: number, n: number): Split {
  const r = new Rng(seed);
  return { x: Float32Array.from({ length: n * 3 * 64 }, () => r.normal()), y: Uint8Array.from({ length: n }, (_, i) => i % 10), n };
}

/** A data set whose training, validation and test splits are all `split`. */
function noiseDataset(split: Split): Dataset {
  return { name: 'noise', shape: [3, 8, 8] as const, numClasses: 10, train: split, val: split, test: split } as unknown as Dataset;
}

/** The teacher of the tests on the tiny space: two stages of two k5e3r blocks, random weights (seed 1). */
const TEACHER_ARCH = 'r8-w1:k5e3r,k5e3r|k5e3r,k5e3r';
function tinyTeacher(): Model {
  const space = mbv2Space(MBV2_TINY);
  const graph = space.graph(space.parse(TEACHER_ARCH));
  return { graph, weights: initWeights(graph, new Rng(1)) };
}

before(async () => {
  await initEngine();
});

test('block-wise search distils each stage separately, meets the budget and yields a valid architecture', async () => {
  const space = mbv2Space(MBV2_TINY);
  const teacher = tinyTeacher();
  const split = noiseSplit(2, 48);
  const r = await blockwiseSearch(
    teacher,
    TEACHER_ARCH,
    { train: split, val: split, test: split },
    {
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
    },
  );
  assert.equal(r.stages.length, 2);
  assert.equal(r.distillations, 6); // 3 candidates per stage besides the teacher's own configuration
  assert.ok(r.jointCombinations > r.distillations);
  assert.equal(space.format(space.parse(r.arch)), r.arch);
  assert.ok(r.student.latencyMs <= 0.8 * r.teacher.latencyMs * 1.001, `${r.student.latencyMs} vs ${r.teacher.latencyMs}`);
  const em = buildModel(r.model);
  assert.equal(em.predict(split.x, 2).length, 20);
  em.dispose();
});

test('block-wise study parts: prepare saves the teacher and distilled stages; the artifact assembles students the evaluator scores', async () => {
  const space = mbv2Space(MBV2_TINY);
  const split = noiseSplit(5, 64);
  const dataset = noiseDataset(split);
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-bw-'));
  try {
    const target = getTarget('cortex-a76');
    const p = await prepareBlockwise({
      space,
      dataset,
      target,
      artifact: dir,
      teacher: 'r8-w1:k5e3r,k5e3r|k5e3r,k5e3r',
      teacherEpochs: 1,
      candidatesPerStage: 3,
      steps: 3,
      distillSamples: 32,
      heldOutSamples: 16,
      seed: 2,
    });
    assert.equal(p.teacher.arch, 'r8-w1:k5e3r,k5e3r|k5e3r,k5e3r');
    assert.equal(p.distillations, 4);
    const stages = p.strategyOptions.stages as { blocks: string; loss: number; latencyMs: number }[][];
    assert.equal(stages.length, 2);
    assert.deepEqual(
      stages.map((s) => s[0]?.blocks),
      ['k5e3r,k5e3r', 'k5e3r,k5e3r'],
      "candidate 0 is the teacher's own stage",
    );
    assert.ok(stages.every((s) => s[0]?.loss === 0 && s.slice(1).every((c) => c.loss > 0)));
    assert.equal(p.strategyOptions.prefix, 'r8-w1');
    const art = loadBlockwiseArtifact(dir);
    assert.equal(art.teacherArch, p.teacher.arch);
    // the teacher's own tokens give back the teacher's weights exactly
    const same = assembleBlockwiseStudent(art.teacher, MBV2_TINY, p.teacher.arch, [art.stageWeights(0, 'k5e3r,k5e3r'), art.stageWeights(1, 'k5e3r,k5e3r')]);
    for (const [k, v] of art.teacher.weights) assert.deepEqual(same.weights.get(k)?.data, v.data, k);
    assert.throws(
      () => art.stageWeights(0, 'k9e9r'),
      (e: unknown) => e instanceof ConfigError && /k9e9r/.test(e.message),
    );
    const other = `r8-w1:${stages[0]?.[1]?.blocks}|${stages[1]?.[2]?.blocks}`;
    const evOptions: BlockwiseEvaluatorOptions = {
      space,
      dataset,
      target,
      objectives: [
        { name: 'accuracy', direction: 'maximize' },
        { name: 'latency_ms', direction: 'minimize' },
      ],
      artifact: art,
      finetuneEpochs: 0,
    };
    const ev = blockwiseEvaluator(evOptions);
    const ctx = { studyName: 't', trialNumber: 0, seed: 1, signal: new AbortController().signal, setUserAttr: () => {} };
    const r = await ev(space.toParams(space.parse(other)), ctx);
    const [acc, lat] = r.values as number[];
    assert.ok((acc as number) >= 0 && (acc as number) <= 1);
    assert.ok(Math.abs((lat as number) - networkLatency(target, space.graph(space.parse(other)), defaultPolicy(target))) < 1e-12);
    assert.equal(r.userAttrs?.arch, space.format(space.parse(other)));
    assert.equal(r.userAttrs?.heldOutAccuracy, undefined, 'no held-out split, no held-out score');
    // a held-out split: the same student scored on it too, the search's objectives unchanged
    const evHeld = blockwiseEvaluator({ ...evOptions, heldOut: split });
    const rh = await evHeld(space.toParams(space.parse(other)), ctx);
    assert.deepEqual(rh.values, r.values);
    assert.equal(rh.userAttrs?.heldOutAccuracy, acc, 'held out = validation split: the same accuracy');
    assert.throws(
      () => loadBlockwiseArtifact(join(dir, 'nope')),
      (e: unknown) => e instanceof ConfigError && /blockwise\.json/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('quantized stage candidates: scored with weights and activations fake-quantized, fewer bits cost more loss and less latency and bytes', async () => {
  const teacher = tinyTeacher();
  const split = noiseSplit(2, 48);
  const target = getTarget('bitfusion-edge');
  const c = blockwiseCandidates(
    teacher,
    TEACHER_ARCH,
    { train: split, val: split },
    {
      space: MBV2_TINY,
      target,
      candidatesPerStage: 2,
      steps: 3,
      batchSize: 16,
      distillSamples: 32,
      heldOutSamples: 16,
      seed: 3,
      precisions: ['w8a8', 'w2a2'],
      qaSteps: 0,
    },
  );
  const q = c.quantized as NonNullable<typeof c.quantized>;
  assert.equal(q.length, 2);
  for (const [i, qs] of q.entries()) {
    assert.equal(qs.length, 4, 'configurations x precisions');
    assert.deepEqual(
      qs.map((x) => x.bits),
      ['w8a8', 'w2a2', 'w8a8', 'w2a2'],
    );
    // candidate 0: the teacher's own stage at w8a8 (its float loss is 0; quantized, it is not)
    assert.equal(qs[0]?.floatLoss, 0);
    assert.ok((qs[0]?.loss as number) > 0 && (qs[0]?.loss as number) < 0.1, `stage ${i} teacher at w8a8: ${qs[0]?.loss}`);
    for (const k of [0, 2]) {
      const [a, b] = [qs[k], qs[k + 1]] as [QuantStageCandidate, QuantStageCandidate];
      assert.equal(a.blocks, b.blocks);
      // the teacher's own stage (float loss 0): fewer bits, more loss (3-step students are too noisy to rank)
      if (k === 0) assert.ok(b.loss > a.loss, `w2a2 loses more than w8a8 (${b.loss} vs ${a.loss})`);
      assert.ok(b.latencyMs < a.latencyMs, 'w2a2 is faster on bitfusion-edge');
      assert.ok(b.bytes < a.bytes, 'w2a2 is smaller');
    }
  }
  // the latencies are at w8a8 outside the stages: fixed + the teacher's stages = the teacher's network latency at w8a8
  const teacherW8 = networkLatency(target, teacher.graph, policyPreset('w8a8'));
  assert.ok(Math.abs(c.teacherLatencyMs - teacherW8) < 1e-12);
  assert.ok(Math.abs((c.fixedMs + (q[0]?.[0]?.latencyMs as number) + (q[1]?.[0]?.latencyMs as number)) / teacherW8 - 1) < 0.05);
});

test('quantization-aware block-wise study: prepared over a +bits space, the evaluator scores the student under its own precision policy', async () => {
  const space = jointSpace(mbv2Space(MBV2_TINY));
  const split = noiseSplit(5, 64);
  const dataset = noiseDataset(split);
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-bwq-'));
  try {
    const target = getTarget('bitfusion-edge');
    const p = await prepareBlockwise({
      space: space as ArchSpace,
      dataset,
      target,
      artifact: dir,
      teacher: 'r8-w1:k5e3r,k5e3r|k5e3r,k5e3r',
      teacherEpochs: 1,
      candidatesPerStage: 2,
      steps: 3,
      distillSamples: 32,
      heldOutSamples: 16,
      precisions: ['w8a8', 'w4a4'],
      qaSteps: 2,
      seed: 2,
    });
    assert.equal(p.quantizedCandidates, 8);
    assert.equal(p.strategyOptions.reference, true);
    assert.equal(p.strategyOptions.fitTrials, 8);
    const stages = p.strategyOptions.stages as { blocks: string; bits: string }[][];
    assert.deepEqual(
      stages.map((s) => `${s[0]?.blocks}@${s[0]?.bits}`),
      ['k5e3r,k5e3r@w8a8', 'k5e3r,k5e3r@w8a8'],
    );
    const art = loadBlockwiseArtifact(dir);
    const strategy = new BlockwiseStrategy(space as ArchSpace, p.strategyOptions as unknown as BlockwiseStrategyOptions);
    const arch = strategy.arch({ choice: [1, 3] }); // stage 1 teacher blocks at w4a4, stage 2 the other configuration at w4a4
    const objectives = [
      { name: 'accuracy', direction: 'maximize' },
      { name: 'latency_ms', direction: 'minimize' },
      { name: 'size_kb', direction: 'minimize' },
    ] as const;
    const ev = blockwiseEvaluator({ space: space as ArchSpace, dataset, target, objectives, artifact: art, finetuneEpochs: 0 });
    const ctx = { studyName: 't', trialNumber: 0, seed: 1, signal: new AbortController().signal, setUserAttr: () => {} };
    const point = space.parse(arch);
    const r = await ev(space.toParams(point), ctx);
    const [acc, lat, kb] = r.values as number[];
    assert.ok((acc as number) >= 0 && (acc as number) <= 1);
    const g = space.graph(point);
    const policy = space.policy(point, g);
    assert.ok(Object.values(policy.layers).some((l) => l.weightBits === 4));
    assert.ok(Math.abs((lat as number) - networkLatency(target, g, policy)) < 1e-12, 'latency at the student policy');
    assert.ok(Math.abs((kb as number) - new PolicyCoster(g, target).policyCost(policy).size / 1024) < 1e-9, 'packed size at the student policy');
    assert.ok((r.userAttrs?.actQuantizers as number) > 0, 'activations are quantized');
    assert.equal(r.userAttrs?.arch, arch);
    // held out: the same quantized student is scored on the held-out split too. On the validation split itself it
    // gives the validation accuracy; over the 10 splits whose labels are moved on by 0..9 classes each image's
    // prediction matches exactly one label, so the held-out accuracies sum to 1 (the same model every time).
    const withHeld = (heldOut: typeof split, finetuneEpochs: number) =>
      blockwiseEvaluator({ space: space as ArchSpace, dataset, target, objectives, artifact: art, finetuneEpochs, heldOut })(space.toParams(point), ctx);
    const same = await withHeld(split, 1);
    assert.equal(same.userAttrs?.heldOutAccuracy, same.values?.[0], 'held out = validation: the same accuracy after fine-tuning');
    let total = 0;
    for (let k = 0; k < 10; k++) {
      const moved = await withHeld({ ...split, y: Uint8Array.from(split.y, (c) => (c + k) % 10) }, 0);
      assert.deepEqual(moved.values, r.values, 'the held-out split does not change the score');
      total += moved.userAttrs?.heldOutAccuracy as number;
    }
    assert.ok(Math.abs(total - 1) < 1e-9, `held-out accuracies over the 10 label shifts sum to ${total}`);
    assert.throws(
      () =>
        blockwiseEvaluator({
          space: space as ArchSpace,
          dataset,
          target,
          objectives,
          artifact: art,
          heldOut: { x: new Float32Array(0), y: new Uint8Array(0), n: 0 },
        }),
      (e: unknown) => e instanceof ConfigError && /held-out split is empty/.test(e.message),
    );
    assert.throws(
      () => art.stageWeights(0, 'k5e3r,k5e3r@w2a2'),
      (e: unknown) => e instanceof ConfigError && /w2a2/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
