import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { createStrategy } from '../../search/registry.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import { runTrials } from '../../search/testing/run-trials.js';
import { strategyConformance } from '../../search/testing/strategy-conformance.js';
import type { Params } from '../../search/types.js';
import { Rng } from '../../util/rng.js';
import { type BlockwiseStrategy, blockwiseFront, fitBlockPredictor, predictAccuracy, predictorCheck, type StageCandidate } from './blockwise.js';
import './index.js';

const space = getArchSpace('mbv2-micro');
const so = space.options as NonNullable<typeof space.options>;

/** Synthetic distillation results: per stage 6 random configurations with a loss that falls and a latency that grows with kernel x expansion. */
function syntheticStages(seed: number): StageCandidate[][] {
  const rng = new Rng(seed);
  return so.stages.map((st) => {
    const seen = new Set<string>();
    const out: StageCandidate[] = [];
    while (out.length < 6) {
      const blocks = Array.from({ length: rng.int(st.minDepth, st.maxDepth) }, () => ({
        k: rng.choice(so.kernels),
        e: rng.choice(so.expansions),
        a: rng.choice(['r', 'h']),
      }));
      const tok = blocks.map((b) => `k${b.k}e${b.e}${b.a}`).join(',');
      if (seen.has(tok)) continue;
      seen.add(tok);
      const work = blocks.reduce((s, b) => s + b.k * b.e, 0);
      out.push({ blocks: tok, loss: 1 / (1 + work) + 0.01 * rng.next(), latencyMs: 0.001 * work * st.channels });
    }
    return out;
  });
}
const STAGES = syntheticStages(4);
const OPTIONS = {
  archSpace: 'mbv2-micro',
  prefix: 'r28-w1',
  stages: STAGES,
  fixedMs: 0.05,
  teacherLatencyMs: 0.05 + STAGES.reduce((s, c) => s + Math.max(...c.map((x) => x.latencyMs)), 0),
};

/** Every combination, for the exhaustive check of the front. */
function allCombinations(stages: readonly (readonly StageCandidate[])[], fixed: number): { loss: number; latencyMs: number }[] {
  let acc = [{ loss: 0, latencyMs: fixed }];
  for (const cs of stages) acc = acc.flatMap((a) => cs.map((c) => ({ loss: a.loss + c.loss, latencyMs: a.latencyMs + c.latencyMs })));
  return acc;
}

test('blockwiseFront equals the exhaustive Pareto front of all 6^4 combinations', () => {
  const front = blockwiseFront(STAGES, 0.05);
  const all = allCombinations(STAGES, 0.05);
  const exhaustive = all.filter((p) => !all.some((q) => q.loss <= p.loss && q.latencyMs <= p.latencyMs && (q.loss < p.loss || q.latencyMs < p.latencyMs)));
  const key = (p: { loss: number; latencyMs: number }): string => `${p.latencyMs.toFixed(9)}/${p.loss.toFixed(9)}`;
  assert.deepEqual(new Set(front.map(key)), new Set(exhaustive.map(key)));
  for (const p of front) {
    const again = p.choice.reduce((s, k, i) => s + (STAGES[i]?.[k]?.loss as number), 0);
    assert.ok(Math.abs(again - p.loss) < 1e-12, 'choice matches its loss');
  }
});

test('blockwise proposes the least-loss combination under each budget ratio, never one twice', async () => {
  const ratios = [1, 0.8, 0.6];
  const trials = await runTrials({
    strategy: createStrategy('blockwise', { ...OPTIONS, ratios }),
    space: space.space,
    objectives: [{ name: 'loss', direction: 'minimize' }],
    evaluate: () => ({ values: [0] }),
    nTrials: 6,
    seed: 0,
  });
  const archs = trials.map((t) => space.format(space.fromParams(t.params)));
  assert.equal(new Set(archs).size, 6);
  const front = blockwiseFront(STAGES, OPTIONS.fixedMs);
  const arch = (c: readonly number[]): string => space.format(space.parse(`r28-w1:${c.map((k, i) => STAGES[i]?.[k]?.blocks).join('|')}`));
  // trial 0: the least loss overall (budget = the teacher's latency covers every combination)
  const best = front.reduce((a, b) => (b.loss < a.loss ? b : a));
  assert.equal(archs[0], arch(best.choice));
  for (const [i, r] of ratios.entries()) {
    const lat = front.find((p) => arch(p.choice) === archs[i])?.latencyMs as number;
    assert.ok(lat <= r * OPTIONS.teacherLatencyMs * (1 + 1e-9), `trial ${i} within ${r}x`);
  }
});

test('blockwise options are checked: stage count, malformed candidates, non-mbv2 space', () => {
  const bad = (o: Record<string, unknown>, re: RegExp): void =>
    assert.throws(
      () => createStrategy('blockwise', o),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      JSON.stringify(o).slice(0, 80),
    );
  bad({ ...OPTIONS, stages: STAGES.slice(1) }, /3 stages given/);
  bad({ ...OPTIONS, stages: [[{ blocks: 'k3e1r', loss: 'x', latencyMs: 1 }], ...STAGES.slice(1)] }, /stages\[0\]/);
  bad({ ...OPTIONS, archSpace: 'nb201' }, /MobileNetV2-style/);
  bad({ ...OPTIONS, prefix: undefined }, /prefix/);
});

strategyConformance('blockwise (mbv2-micro, synthetic stage candidates)', () => createStrategy('blockwise', OPTIONS), {
  nTrials: 12,
  seedIndependent: true,
  problem: {
    space: space.space,
    objectives: [
      { name: 'accuracy', direction: 'maximize' },
      { name: 'latency_ms', direction: 'minimize' },
    ],
    evaluate: (p: Params) => {
      const a = space.format(space.fromParams(p));
      const work = [...a.matchAll(/k(\d)e(\d)/g)].reduce((s, m) => s + Number(m[1]) * Number(m[2]), 0);
      return { values: [1 - 1 / (1 + work), work] };
    },
  },
});

test('fitBlockPredictor recovers per-stage weights, keeps them non-negative, and beats the plain sum held out when stages matter unequally', () => {
  const rng = new Rng(11);
  const w = [0.5, 0, 2, 0.1];
  const x = Array.from({ length: 24 }, () => w.map(() => rng.next()));
  const y = x.map((r) => 0.9 - r.reduce((s, v, j) => s + v * (w[j] as number), 0) + 0.002 * rng.normal());
  const p = fitBlockPredictor(x, y);
  p.weights.forEach((v, j) => {
    assert.ok(v >= 0, `weight ${j} non-negative`);
    assert.ok(Math.abs(v - (w[j] as number)) < 0.02, `weight ${j}: ${v} vs ${w[j]}`);
  });
  assert.ok(Math.abs(predictAccuracy(p, [0, 0, 0, 0]) - 0.9) < 0.01);
  // a stage whose loss raises accuracy (noise) gets weight 0, not a negative one
  const y2 = x.map((r, i) => (y[i] as number) + 0.3 * (r[1] as number));
  assert.equal(fitBlockPredictor(x, y2).weights[1], 0);
  const c = predictorCheck(x, y);
  assert.ok(c.perStage.mae < c.plainSum.mae / 3, `held-out MAE per-stage ${c.perStage.mae} vs plain sum ${c.plainSum.mae}`);
  assert.ok(c.perStage.tau > 0.9 && c.perStage.tau > c.plainSum.tau);
  assert.throws(() => predictorCheck(x.slice(0, 3), y.slice(0, 3)), ConfigError);
});

/** Quantized candidates: each configuration of STAGES at w8a8 and w4a4 (w4a4 cheaper, lossier). */
const QSTAGES: StageCandidate[][] = STAGES.map((cs) =>
  cs.flatMap((c) => [
    { ...c, bits: 'w8a8', bytes: 1000 },
    { ...c, bits: 'w4a4', loss: c.loss * 1.5 + 0.01, latencyMs: c.latencyMs / 2, bytes: 500 },
  ]),
);
const jspace = getArchSpace('mbv2-micro+bits');

test('quantization-aware blockwise: trial 0 is the INT8 reference, then fitTrials random students, then the fitted predictor', async () => {
  const strategy = createStrategy('blockwise', {
    ...OPTIONS,
    archSpace: 'mbv2-micro+bits',
    stages: QSTAGES,
    reference: true,
    fitTrials: 5,
    ratios: [1, 0.7, 0.5],
  }) as BlockwiseStrategy;
  // accuracy falls with stage 3's loss only: the fitted predictor must weigh stage 3 and ignore the others
  const accuracy = (arch: string): number => {
    const ch = strategy.choiceOf(arch) as number[];
    return 0.9 - 3 * (QSTAGES[2]?.[ch[2] as number]?.loss as number);
  };
  const trials = await runTrials({
    strategy,
    space: jspace.space,
    objectives: [
      { name: 'accuracy', direction: 'maximize' },
      { name: 'latency_ms', direction: 'minimize' },
    ],
    evaluate: (p: Params) => ({ values: [accuracy(jspace.format(jspace.fromParams(p))), 0] }),
    nTrials: 9,
    seed: 3,
  });
  const archs = trials.map((t) => jspace.format(jspace.fromParams(t.params)));
  assert.equal(new Set(archs).size, 9);
  assert.match(archs[0] as string, /@(w8a8,){9}w8a8$/, 'trial 0: every slot at w8a8');
  assert.deepEqual(strategy.choiceOf(archs[0] as string), [0, 0, 0, 0]);
  for (const a of archs) {
    const ch = strategy.choiceOf(a) as number[];
    assert.equal(ch.length, 4, a);
    assert.equal(strategy.arch({ choice: ch }), a, 'choiceOf and arch round-trip');
    // the stem, head and classifier stay at the fixed bits
    const bits = a.slice(a.indexOf('@') + 1).split(',');
    assert.deepEqual([bits[0], bits.at(-2), bits.at(-1)], ['w8a8', 'w8a8', 'w8a8']);
  }
  const p = strategy.predictor() as NonNullable<ReturnType<BlockwiseStrategy['predictor']>>;
  assert.ok(p, 'fitted after the random students');
  assert.ok((p.weights[2] as number) > 2.5 && p.weights.every((v, j) => j === 2 || v < 0.3), `weights ${p.weights}`);
  // after fitting: under the teacher's latency, the best predicted student (least stage-3 loss) is proposed
  const bestS3 = Math.min(...(QSTAGES[2] as StageCandidate[]).map((c) => c.loss));
  const ch6 = strategy.choiceOf(archs[6] as string) as number[];
  assert.equal(QSTAGES[2]?.[ch6[2] as number]?.loss, bestS3);
});

test('quantization-aware blockwise options: bits need a joint space and a joint space needs bits', () => {
  assert.throws(
    () => createStrategy('blockwise', { ...OPTIONS, stages: QSTAGES }),
    (e: unknown) => e instanceof ConfigError && /joint space/.test(e.message),
  );
  assert.throws(
    () => createStrategy('blockwise', { ...OPTIONS, archSpace: 'mbv2-micro+bits' }),
    (e: unknown) => e instanceof ConfigError && /precisions/.test(e.message),
  );
  assert.throws(
    () => createStrategy('blockwise', { ...OPTIONS, archSpace: 'mbv2-micro+bits', stages: QSTAGES.map((cs) => cs.map((c) => ({ ...c, bits: 'w3a3' }))) }),
    (e: unknown) => e instanceof ConfigError && /w3a3/.test(e.message),
  );
  assert.throws(
    () => createStrategy('blockwise', { ...OPTIONS, fitTrials: -1 }),
    (e: unknown) => e instanceof ConfigError && /fitTrials/.test(e.message),
  );
});
