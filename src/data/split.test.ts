import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatasetError } from '../errors.js';
import { applyLimit, balancedSplit, classHistogram, holdoutSplit, limitSplits } from './split.js';

test('holdoutSplit: same seed same split, disjoint and complete, sizes as asked', () => {
  const a = holdoutSplit(1000, 7, 100, 50);
  const b = holdoutSplit(1000, 7, 100, 50);
  const c = holdoutSplit(1000, 8, 100, 50);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.val, c.val);
  assert.deepEqual([a.train.length, a.val.length, a.test.length], [850, 100, 50]);
  const all = [...a.train, ...a.val, ...a.test].sort((x, y) => x - y);
  assert.deepEqual(
    all,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.throws(() => holdoutSplit(10, 1, 8, 3), DatasetError);
});

test('balancedSplit: exact per-class counts, deterministic, classes interleaved', () => {
  const labels = Uint8Array.from({ length: 300 }, (_, i) => Math.floor(i / 100)); // 3 blocks of 100
  const s = balancedSplit(labels, 3, 5, 20, 10);
  assert.deepEqual(s, balancedSplit(labels, 3, 5, 20, 10));
  const hist = (idx: Int32Array): number[] =>
    classHistogram(
      Uint8Array.from(idx, (i) => labels[i] as number),
      3,
    );
  assert.deepEqual(hist(s.test), [20, 20, 20]);
  assert.deepEqual(hist(s.val), [10, 10, 10]);
  assert.deepEqual(hist(s.train), [70, 70, 70]);
  assert.equal(new Set([...s.train, ...s.val, ...s.test]).size, 300);
  const firstTen = Array.from(s.train.subarray(0, 10), (i) => labels[i]);
  assert.ok(new Set(firstTen).size > 1, 'training order mixes classes');
  assert.throws(() => balancedSplit(labels, 3, 5, 95, 10), /class 0 has 100 samples, expected at least 105/);
  assert.throws(() => balancedSplit(Uint8Array.from([0, 4]), 3, 5, 0, 0), /label 4 at sample 1 is outside \[0, 3\)/);
});

test('limits keep the first N of each split and validate N', () => {
  const s = holdoutSplit(100, 1, 10, 10);
  const l = limitSplits(s, { train: 5, test: 200 });
  assert.deepEqual([...l.train], [...s.train.subarray(0, 5)]);
  assert.equal(l.val.length, 10);
  assert.equal(l.test.length, 10);
  assert.equal(limitSplits(s, 3).val.length, 3);
  assert.throws(() => applyLimit(s.train, -1, 'train'), /limit for split 'train' is -1, expected a non-negative integer/);
});
