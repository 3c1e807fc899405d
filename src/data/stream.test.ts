import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { Rng } from '../util/rng.js';
import { openImageFolderStream } from './image-folder.js';
import { loadDataset, openDatasetStream } from './load.js';
import type { SampleSource, Split } from './types.js';

/** `perClass` noise PNGs (w x h, RGB or grey) per class folder, seeded: every image differs. */
async function noiseTree(root: string, classes: number, perClass: number, size = 6, channels: 1 | 3 = 3, seed = 5): Promise<void> {
  const rng = new Rng(seed);
  for (let c = 0; c < classes; c++) {
    const d = join(root, `c${c}`);
    mkdirSync(d, { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(size * size * channels);
      for (let j = 0; j < px.length; j++) px[j] = rng.nextU32() & 0xff;
      writeFileSync(
        join(d, `${i}.png`),
        await sharp(px, { raw: { width: size, height: size, channels } })
          .png()
          .toBuffer(),
      );
    }
  }
}

/** Every sample of a source, read in stored order, as a split. */
function readAll(src: SampleSource): Split {
  const per = src.shape[0] * src.shape[1] * src.shape[2];
  const x = new Float32Array(src.n * per);
  src.read(
    Array.from({ length: src.n }, (_, i) => i),
    x,
  );
  return { x, y: src.y, n: src.n };
}

test('imagefolder stream: the same samples, labels and order as the in-memory loader (limit, standardize, grey to RGB)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hwnas-stream-'));
  const cache = mkdtempSync(join(tmpdir(), 'hwnas-stream-cache-'));
  await noiseTree(root, 3, 23);
  for (const opts of ['', ';standardize', ';limit=train:17,val:3', ';size=4;channels=1', ';channels=1;standardize']) {
    const mem = await loadDataset(`imagefolder:${root}${opts}`, { cacheDir: cache });
    const st = await openDatasetStream(`imagefolder:${root}${opts};stream`, { cacheDir: cache, chunk: 5, window: 2 });
    try {
      assert.deepEqual(st.shape, mem.shape, opts);
      assert.equal(st.numClasses, mem.numClasses);
      for (const s of ['train', 'val', 'test'] as const) {
        const a = readAll(st[s]);
        assert.equal(a.n, mem[s].n, `${opts} ${s}`);
        assert.deepEqual(Array.from(a.y), Array.from(mem[s].y), `${opts} ${s} labels`);
        // standardisation statistics are summed in a different order: equal to float32 rounding
        let worst = 0;
        for (let i = 0; i < a.x.length; i++) worst = Math.max(worst, Math.abs((a.x[i] as number) - (mem[s].x[i] as number)));
        assert.ok(worst < 1e-5, `${opts} ${s}: pixels differ by ${worst}`);
      }
      assert.equal(st.preprocessing.mean.toFixed(5), mem.preprocessing.mean.toFixed(5), opts);
      assert.equal(st.preprocessing.std.toFixed(5), mem.preprocessing.std.toFixed(5), opts);
      // loadDataset with ';stream' (hwnas nas, quantize, ...): the splits read into memory from the stream file
      const viaStream = await loadDataset(`imagefolder:${root}${opts};stream`, { cacheDir: cache });
      assert.deepEqual(viaStream.shape, mem.shape);
      assert.equal(viaStream.cache, 'hit', `${opts}: the stream file opened above is reused`);
      for (const s of ['train', 'val', 'test'] as const) {
        assert.equal(viaStream[s].n, mem[s].n, `${opts} ${s}`);
        assert.deepEqual(Array.from(viaStream[s].y), Array.from(mem[s].y), `${opts} ${s} labels`);
        let worst = 0;
        for (let i = 0; i < mem[s].x.length; i++) worst = Math.max(worst, Math.abs((viaStream[s].x[i] as number) - (mem[s].x[i] as number)));
        assert.ok(worst < 1e-5 && viaStream[s].x.length === mem[s].x.length, `${opts} ${s}: pixels differ by ${worst}`);
      }
    } finally {
      st.close();
    }
  }
});

test('imagefolder stream: seeded chunk-local epoch order, every chunk read once per epoch, at most `window` chunks held', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hwnas-stream-order-'));
  const cache = mkdtempSync(join(tmpdir(), 'hwnas-stream-order-cache-'));
  await noiseTree(root, 2, 40, 4);
  const st = await openImageFolderStream(root, { cacheDir: cache, chunk: 7, window: 3 });
  try {
    const src = st.train;
    const a = src.epochOrder(new Rng(9));
    assert.deepEqual(
      Array.from(a).sort((x, y) => x - y),
      Array.from({ length: src.n }, (_, i) => i),
      'a permutation',
    );
    assert.deepEqual(src.epochOrder(new Rng(9)), a, 'same seed, same order');
    assert.notDeepEqual(src.epochOrder(new Rng(10)), a, 'another seed, another order');
    // consecutive windows of the order touch at most 3 chunks each
    let at = 0;
    while (at < a.length) {
      const chunks = new Set<number>();
      let end = at;
      while (end < a.length && (chunks.size < 3 || chunks.has(Math.floor((a[end] as number) / 7)))) chunks.add(Math.floor((a[end++] as number) / 7));
      assert.ok(chunks.size <= 3);
      at = end;
    }
    assert.ok(new Set(Array.from(a.subarray(0, 21), (k) => Math.floor(k / 7))).size >= 2, 'a window mixes chunks');
    // one epoch in batches of 8 reads each stored byte exactly once
    const per = 3 * 4 * 4;
    const out = new Float32Array(8 * per);
    for (let s = 0; s < a.length; s += 8) src.read(a.subarray(s, Math.min(a.length, s + 8)), out);
    assert.equal(src.bytesRead, src.n * per);
  } finally {
    st.close();
  }
});

test('imagefolder stream: the stream file is reused, rebuilt when damaged or when an image changes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hwnas-stream-cache-'));
  const cache = mkdtempSync(join(tmpdir(), 'hwnas-stream-cache-dir-'));
  await noiseTree(root, 2, 6, 4);
  const a = await openImageFolderStream(root, { cacheDir: cache, decodeBatch: 5 });
  a.close();
  assert.equal(a.cache, 'built');
  const b = await openImageFolderStream(root, { cacheDir: cache });
  b.close();
  assert.equal(b.cache, 'hit');
  const bytes = readFileSync(a.file);
  bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
  writeFileSync(a.file, bytes);
  const c = await openImageFolderStream(root, { cacheDir: cache });
  assert.equal(c.cache, 'built', 'a damaged file fails its SHA-256 and is rebuilt');
  assert.deepEqual(readAll(c.train).x, readAll(a.train).x);
  c.close();
  a.close();
  await noiseTree(root, 1, 1, 4, 3, 99); // c0/0.png gets other pixels
  const d = await openImageFolderStream(root, { cacheDir: cache });
  d.close();
  assert.equal(d.cache, 'built');
});

test('stream option: refused by kinds that cannot stream; needs the cache', async () => {
  await assert.rejects(loadDataset('imagefolder:/nowhere;stream'), /\/nowhere/);
  await assert.rejects(loadDataset('imagefolder:/nowhere;stream', { noCache: true }), /cannot run with the cache disabled/);
  await assert.rejects(openDatasetStream('mnist;limit=10'), /cannot stream: expected an 'imagefolder:<dir>'/);
  await assert.rejects(loadDataset('mnist;stream'), /option 'stream' applies to imagefolder data sets only/);
  await assert.rejects(openDatasetStream('imagefolder:/nowhere;stream', { noCache: true }), /cannot run with the cache disabled/);
});
