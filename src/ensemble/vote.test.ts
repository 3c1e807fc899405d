import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracyOf, accuracyVsMembers, argmaxRows, meanProbs, pairwiseDisagreement, softmaxRows, voteScores } from './vote.js';

const rows = (...r: number[][]): Float32Array => Float32Array.from(r.flat());

test('softmaxRows: rows sum to 1 and keep the order of the logits; large logits do not overflow', () => {
  const p = softmaxRows(rows([1, 2, 3], [1000, 0, -1000]), 3);
  assert.ok(Math.abs((p[0] as number) + (p[1] as number) + (p[2] as number) - 1) < 1e-6);
  assert.ok((p[2] as number) > (p[1] as number) && (p[1] as number) > (p[0] as number));
  assert.ok(Math.abs((p[3] as number) - 1) < 1e-6);
  assert.ok(Math.abs((p[0] as number) - Math.exp(1) / (Math.exp(1) + Math.exp(2) + Math.exp(3))) < 1e-6);
  assert.throws(() => softmaxRows(new Float32Array(5), 3), /not rows of 3 classes/);
});

test('voteScores: the majority class wins even against a confident minority; ties go to the larger mean softmax', () => {
  // sample 0: members 1 and 2 pick class 1 weakly, member 0 picks class 0 with certainty
  // sample 1: members pick 0, 1, 2 (a three-way tie); mean softmax favours class 2
  const m0 = rows([0.99, 0.005, 0.005], [0.4, 0.3, 0.3]);
  const m1 = rows([0.3, 0.4, 0.3], [0.2, 0.45, 0.35]);
  const m2 = rows([0.3, 0.4, 0.3], [0.1, 0.1, 0.8]);
  const v = voteScores([m0, m1, m2], 3);
  assert.deepEqual([...argmaxRows(v, 3)], [1, 2]);
  // the mean softmax alone prefers class 0 on sample 0
  assert.deepEqual([...argmaxRows(meanProbs([m0, m1, m2]), 3)], [0, 2]);
  assert.ok(Math.abs((v[1] as number) - (2 + 0.5 * ((0.005 + 0.4 + 0.4) / 3))) < 1e-6);
});

test('accuracy, accuracy vs K and pairwise disagreement on a hand-made case', () => {
  const labels = [0, 1, 2, 0];
  const a = rows([0.9, 0.1, 0], [0.1, 0.9, 0], [0.9, 0.1, 0], [0.9, 0.1, 0]); // 3/4 right
  const b = rows([0.2, 0.8, 0], [0.1, 0.9, 0], [0, 0.1, 0.9], [0.9, 0.1, 0]); // 3/4 right
  const c = rows([0.9, 0.1, 0], [0.8, 0.2, 0], [0, 0.2, 0.8], [0.9, 0.1, 0]); // 3/4 right
  assert.equal(accuracyOf(a, labels, 3), 0.75);
  // majority of a, b, c: sample 0 -> 0 (a, c), 1 -> 1 (a, b), 2 -> 2 (b, c), 3 -> 0: all right
  assert.deepEqual(accuracyVsMembers([a, b, c], labels, 3, 'majority'), [0.75, 0.75, 1]);
  // a vs b differ on samples 0 and 2; a vs c on 1 and 2; b vs c on 0 and 1: 2/4 each
  assert.equal(pairwiseDisagreement([a, b, c], 3), 0.5);
  assert.equal(pairwiseDisagreement([a], 3), 0);
  assert.throws(() => accuracyVsMembers([], labels, 3, 'mean'), /at least one member/);
  assert.throws(() => meanProbs([a, new Float32Array(3)]), /disagree in size/);
  assert.throws(() => accuracyOf(a, [0], 3), /4 predictions for 1 labels/);
});
