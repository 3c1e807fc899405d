import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShapeError, UserError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { augmentBatch } from './augment.js';
import { batches, numBatches, subsetSplit } from './batch.js';
import type { SampleShape, Split } from './types.js';

/** A split whose sample i is filled with the value i (so contents identify the sample) and label i % 7. */
function numbered(n: number, per: number): Split {
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) x.fill(i, i * per, (i + 1) * per);
  return { x, y: Int32Array.from({ length: n }, (_, i) => i % 7), n };
}

test('sequential batches cover the split in order; dropLast drops the short tail', () => {
  const s = numbered(10, 3);
  const all = [...batches(s, 4)];
  assert.deepEqual(
    all.map((b) => b.n),
    [4, 4, 2],
  );
  assert.deepEqual([...all[2]!.x], [8, 8, 8, 9, 9, 9]);
  assert.deepEqual(
    [...batches(s, 4, undefined, { dropLast: true })].map((b) => b.n),
    [4, 4],
  );
  assert.equal(numBatches(10, 4), 3);
  assert.equal(numBatches(10, 4, true), 2);
  assert.deepEqual([...batches({ x: new Float32Array(0), y: new Uint8Array(0), n: 0 }, 4)], []);
  assert.throws(() => [...batches(s, 0)], UserError);
  assert.throws(() => [...batches({ x: new Float32Array(7), y: new Uint8Array(2), n: 2 }, 1)], ShapeError);
});

test('shuffled batches: same seed same order, each sample once per epoch, labels stay with samples', () => {
  const s = numbered(50, 4);
  const epoch = (seed: number): number[] => [...batches(s, 8, new Rng(seed))].flatMap((b) => Array.from({ length: b.n }, (_, i) => b.x[i * 4] as number));
  const a = epoch(3);
  assert.deepEqual(a, epoch(3));
  assert.notDeepEqual(a, epoch(4));
  assert.notDeepEqual(
    a,
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.deepEqual(
    [...a].sort((p, q) => p - q),
    Array.from({ length: 50 }, (_, i) => i),
  );
  for (const b of batches(s, 8, new Rng(9))) {
    assert.ok(b.y instanceof Int32Array);
    for (let i = 0; i < b.n; i++) assert.equal(b.y[i], (b.x[i * 4] as number) % 7);
  }
});

test('augmentation preserves shape and labels, is seeded, and only flips or shifts pixels', () => {
  const shape: SampleShape = [2, 5, 6];
  const n = 16;
  const per = 60;
  const x = Float32Array.from({ length: n * per }, (_, i) => 1 + (i % per)); // distinct positive values per pixel
  const batch: Split = { x, y: Uint8Array.from({ length: n }, (_, i) => i), n };
  const a = augmentBatch(batch, shape, new Rng(1), { cropPadding: 2, flip: true, fill: -1 });
  assert.equal(a.x.length, x.length);
  assert.equal(a.y, batch.y);
  assert.deepEqual(a, augmentBatch(batch, shape, new Rng(1), { cropPadding: 2, flip: true, fill: -1 }));
  assert.notDeepEqual(a.x, x);
  assert.deepEqual(batch.x, x, 'input untouched');
  // every output pixel is the fill or a pixel of the same channel of the input
  for (let s = 0; s < n; s++)
    for (let c = 0; c < 2; c++)
      for (let k = 0; k < 30; k++) {
        const v = a.x[s * per + c * 30 + k] as number;
        assert.ok(v === -1 || (v >= 1 + c * 30 && v <= 30 + c * 30), `sample ${s} channel ${c}: ${v}`);
      }
});

test('flip alone mirrors rows exactly; crop alone is a whole-image shift filled at the border', () => {
  const shape: SampleShape = [1, 3, 4];
  const n = 40;
  const img = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const mirrored = [4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9];
  const x = Float32Array.from({ length: n * 12 }, (_, i) => img[i % 12] as number);
  const f = augmentBatch({ x, y: new Uint8Array(n), n }, shape, new Rng(5), { flip: true });
  let flips = 0;
  for (let s = 0; s < n; s++) {
    const got = [...f.x.subarray(s * 12, s * 12 + 12)];
    if (got.join() === mirrored.join()) flips++;
    else assert.deepEqual(got, img);
  }
  assert.ok(flips > 5 && flips < 35, `${flips} of ${n} flipped`);
  const c = augmentBatch({ x, y: new Uint8Array(n), n }, shape, new Rng(6), { cropPadding: 1 });
  for (let s = 0; s < n; s++) {
    const got = [...c.x.subarray(s * 12, s * 12 + 12)];
    const ok = [-1, 0, 1].some((dy) =>
      [-1, 0, 1].some((dx) =>
        got.every((v, k) => {
          const y = Math.floor(k / 4) + dy;
          const xx = (k % 4) + dx;
          return v === (y < 0 || y >= 3 || xx < 0 || xx >= 4 ? 0 : img[y * 4 + xx]);
        }),
      ),
    );
    assert.ok(ok, `sample ${s} is not a shift by at most 1: ${got}`);
  }
});

test('batches with augmentation: seeded, shape-checked, needs an rng', () => {
  const s = numbered(20, 12);
  const shape: SampleShape = [1, 3, 4];
  const run = (): Float32Array[] => [...batches(s, 6, new Rng(2), { augment: { shape, cropPadding: 1, flip: true } })].map((b) => b.x);
  assert.deepEqual(run(), run());
  assert.deepEqual(
    run().map((x) => x.length),
    [72, 72, 72, 24],
  );
  assert.throws(() => [...batches(s, 6, undefined, { augment: { shape, flip: true } })], /needs a seeded Rng/);
  assert.throws(() => [...batches(s, 6, new Rng(1), { augment: { shape: [1, 3, 3], flip: true } })], /has 9 values per sample, the split has 12/);
});

test('subsetSplit copies chosen samples', () => {
  const s = numbered(5, 2);
  const sub = subsetSplit(s, [4, 1]);
  assert.deepEqual([...sub.x], [4, 4, 1, 1]);
  assert.deepEqual([...sub.y], [4, 1]);
  assert.throws(() => subsetSplit(s, [5]), /outside \[0, 5\)/);
});
