import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatasetError } from '../errors.js';
import { ChannelMismatchError, gatherImages, outputShape, type PixelTransform, pixelStats, type RawImages } from './preprocess.js';

const id = (o: Partial<PixelTransform> & Pick<PixelTransform, 'outC' | 'outH' | 'outW'>): PixelTransform => ({
  resize: 'pad',
  scale: 1,
  mean: 0,
  std: 1,
  ...o,
});

test('gather picks samples by index, scales and standardises (uint8 and float paths agree)', () => {
  const u8: RawImages = { data: Uint8Array.from({ length: 3 * 4 }, (_, i) => i * 10), n: 3, c: 1, h: 2, w: 2, layout: 'nchw' };
  const f32: RawImages = { ...u8, data: Float32Array.from(u8.data) };
  const t = id({ outC: 1, outH: 2, outW: 2, scale: 1 / 10, mean: 2, std: 4 });
  const a = gatherImages(u8, [2, 0], t);
  const b = gatherImages(f32, [2, 0], t);
  const expect = [8, 9, 10, 11, 0, 1, 2, 3].map((v) => Math.fround((v - 2) / 4));
  assert.deepEqual([...a], expect);
  assert.deepEqual([...b], expect);
  assert.throws(() => gatherImages(u8, [3], t), /sample index 3 is outside \[0, 3\)/);
});

test('NHWC and NCHW storage give the same NCHW output', () => {
  const n = 2;
  const c = 3;
  const h = 2;
  const w = 3;
  const nchw = Float32Array.from({ length: n * c * h * w }, (_, i) => i);
  const nhwc = new Float32Array(nchw.length);
  for (let s = 0; s < n; s++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) nhwc[((s * h + y) * w + x) * c + ch] = nchw[((s * c + ch) * h + y) * w + x] as number;
  const t = id({ outC: 3, outH: 4, outW: 5 });
  const a = gatherImages({ data: nchw, n, c, h, w, layout: 'nchw' }, [1, 0], t);
  const b = gatherImages({ data: nhwc, n, c, h, w, layout: 'nhwc' }, [1, 0], t);
  assert.deepEqual(a, b);
  // padded 2x3 -> 4x5: stored pixel (0,0) of sample 1 channel 0 lands at (1,1)
  assert.equal(a[1 * 5 + 1], 18);
  assert.equal(a[0], 0);
});

test('centre crop when the output is smaller; replication 1 -> 3; invalid channel changes rejected', () => {
  const src: RawImages = { data: Uint8Array.from({ length: 16 }, (_, i) => i), n: 1, c: 1, h: 4, w: 4, layout: 'nchw' };
  const crop = gatherImages(src, [0], id({ outC: 3, outH: 2, outW: 2 }));
  assert.deepEqual([...crop], [5, 6, 9, 10, 5, 6, 9, 10, 5, 6, 9, 10]);
  assert.deepEqual(outputShape({ c: 1, h: 28, w: 28 }, { size: 32, channels: 3 }), [3, 32, 32]);
  assert.throws(
    () => outputShape({ c: 3, h: 8, w: 8 }, { channels: 1 }),
    (e: Error) =>
      e instanceof ChannelMismatchError &&
      e instanceof DatasetError &&
      /3-channel images into 1 channel: only 1-channel images can be replicated/.test(e.message) &&
      e.stored.join('x') === '3x8x8' &&
      e.channels === 1,
  );
  assert.throws(() => outputShape({ c: 1, h: 8, w: 8 }, { size: 0 }), /output size 0 is invalid/);
});

test('bilinear upsampling 2x2 -> 4x4 matches half-pixel-centre interpolation computed by hand', () => {
  const src: RawImages = { data: Float32Array.from([0, 4, 8, 12]), n: 1, c: 1, h: 2, w: 2, layout: 'nchw' };
  const out = gatherImages(src, [0], id({ outC: 1, outH: 4, outW: 4, resize: 'bilinear' }));
  // source coordinates of output columns: -0.25 -> 0 (clamped), 0.25, 0.75, 1.25 -> 1 (clamped)
  const row = (a: number, b: number): number[] => [a, a + 0.25 * (b - a), a + 0.75 * (b - a), b];
  const r0 = row(0, 4);
  const r1 = row(8, 12);
  const expect = [r0, r0.map((v, i) => v + 0.25 * ((r1[i] as number) - v)), r0.map((v, i) => v + 0.75 * ((r1[i] as number) - v)), r1].flat();
  out.forEach((v, i) => assert.ok(Math.abs(v - (expect[i] as number)) < 1e-6, `pixel ${i}: ${v} vs ${expect[i]}`));
});

test('pixelStats gives the mean and population std of scaled values', () => {
  const src: RawImages = { data: Uint8Array.from([0, 255, 0, 255, 51, 51, 51, 51]), n: 2, c: 1, h: 2, w: 2, layout: 'nchw' };
  const s = pixelStats(src, [0], 1 / 255);
  assert.ok(Math.abs(s.mean - 0.5) < 1e-12 && Math.abs(s.std - 0.5) < 1e-12);
  assert.deepEqual(pixelStats(src, [1], 1 / 255).std, 1); // constant images: std 1, never 0
});
