import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { csvPathLabel, listImageFolder, numericClassNote } from './image-folder.js';
import { loadDataset } from './load.js';

/** A solid-colour PNG/JPEG/WebP of w x h. */
async function image(path: string, rgb: [number, number, number], w = 8, h = 8, format: 'png' | 'webp' = 'png'): Promise<void> {
  const img = sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  writeFileSync(path, await (format === 'png' ? img.png() : img.webp({ lossless: true })).toBuffer());
}

const COLOURS: Record<string, [number, number, number]> = { cat: [200, 10, 30], dog: [5, 100, 250] };

async function tree(root: string, split: string | null, perClass: number): Promise<void> {
  for (const [c, rgb] of Object.entries(COLOURS)) {
    const d = split ? join(root, split, c) : join(root, c);
    mkdirSync(d, { recursive: true });
    for (let i = 0; i < perClass; i++) await image(join(d, `${i}.${i % 2 ? 'webp' : 'png'}`), rgb, 8, 8, i % 2 ? 'webp' : 'png');
  }
}

test('imagefolder:<dir>: class folders, PNG and WebP decoded to NCHW floats, cached after the first pass', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hwnas-imf-'));
  const cache = mkdtempSync(join(tmpdir(), 'hwnas-imf-cache-'));
  await tree(root, null, 10);
  const a = await loadDataset(`imagefolder:${root}`, { cacheDir: cache });
  assert.equal(a.cache, 'built');
  assert.deepEqual(a.shape, [3, 8, 8]);
  assert.deepEqual(a.classNames, ['cat', 'dog']);
  assert.equal(a.train.n + a.val.n + a.test.n, 20);
  for (const split of [a.train, a.val, a.test])
    for (let k = 0; k < split.n; k++) {
      const rgb = COLOURS[(a.classNames as string[])[split.y[k] as number] as string] as number[];
      for (let c = 0; c < 3; c++) assert.ok(Math.abs((split.x[k * 192 + c * 64 + 9] as number) - (rgb[c] as number) / 255) < 1e-6);
    }
  const b = await loadDataset(`imagefolder:${root};size=4;channels=1`, { cacheDir: cache });
  assert.deepEqual(b.shape, [1, 4, 4]);
  const again = await loadDataset(`imagefolder:${root}`, { cacheDir: cache });
  assert.equal(again.cache, 'hit');
  assert.deepEqual(again.train.x, a.train.x);
});

test('imagefolder: train/val/test splits and a CSV of path,label', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hwnas-imf-split-'));
  await tree(root, 'train', 4);
  await tree(root, 'val', 2);
  await tree(root, 'test', 3);
  const ds = await loadDataset(`imagefolder:${root}`, { noCache: true });
  assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [8, 4, 6]);
  const csv = join(root, 'list.csv');
  writeFileSync(csv, 'path,label\ntrain/cat/0.png,cat\ntrain/dog/0.png,dog\ntrain/dog/1.webp,dog\n');
  const c = await loadDataset(`imagefolder:${csv}`, { noCache: true, valFraction: 0, testFraction: 0 });
  assert.deepEqual(c.classNames, ['cat', 'dog']);
  assert.deepEqual([...c.train.y].sort(), [0, 1, 1]);
  // quoted fields, as pandas (quoting=QUOTE_ALL) and spreadsheets write them: the header is skipped, a path may hold commas and quotes
  mkdirSync(join(root, 'odd, "name"'));
  await image(join(root, 'odd, "name"', 'x.png'), COLOURS.dog as [number, number, number]);
  const quoted = join(root, 'quoted.csv');
  writeFileSync(quoted, '"path","label"\r\n"train/cat/0.png","cat"\r\n"odd, ""name""/x.png" , "dog"\r\ntrain/dog/1.webp,dog\r\n');
  const q = await loadDataset(`imagefolder:${quoted}`, { noCache: true, valFraction: 0, testFraction: 0 });
  assert.deepEqual(q.classNames, ['cat', 'dog']);
  assert.deepEqual([...q.train.y].sort(), [0, 1, 1]);
});

test('imagefolder: a CSV train list with its own test= and val= lists (CSV or class folder); unknown classes and clashes refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hwnas-imf-lists-'));
  await tree(root, 'train', 4);
  await tree(root, 'test', 3);
  const rows = (split: string, n: number): string =>
    Object.keys(COLOURS)
      .flatMap((c) => Array.from({ length: n }, (_, i) => `${split}/${c}/${i}.${i % 2 ? 'webp' : 'png'},${c}`))
      .join('\n');
  writeFileSync(join(root, 'train.csv'), `path,label\n${rows('train', 4)}\n`);
  writeFileSync(join(root, 'test.csv'), `${rows('test', 3)}\n`);
  const ds = await loadDataset(`imagefolder:${join(root, 'train.csv')};test=${join(root, 'test.csv')}`, { noCache: true, valFraction: 0.25 });
  // the 6 test images are the list's, none held out of the 8 training ones (of which 2 go to validation)
  assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [6, 2, 6]);
  assert.deepEqual([...ds.test.y].sort(), [0, 0, 0, 1, 1, 1]);
  for (let k = 0; k < ds.test.n; k++) {
    const rgb = COLOURS[(ds.classNames as string[])[ds.test.y[k] as number] as string] as number[];
    assert.ok(Math.abs((ds.test.x[k * 192] as number) - (rgb[0] as number) / 255) < 1e-6);
  }
  // streamed (;stream reads the splits from the stream file): the same splits
  const cache = mkdtempSync(join(tmpdir(), 'hwnas-imf-lists-cache-'));
  const st = await loadDataset(`imagefolder:${join(root, 'train.csv')};test=${join(root, 'test.csv')};stream`, { cacheDir: cache, valFraction: 0.25 });
  assert.deepEqual([st.train.n, st.val.n, st.test.n], [6, 2, 6]);
  assert.deepEqual(st.test.x, ds.test.x);
  // val= a class folder, test= the CSV: nothing is held out
  const both = listImageFolder(join(root, 'train.csv'), { val: join(root, 'test'), test: join(root, 'test.csv') });
  assert.deepEqual([both.splits.train?.length, both.splits.val?.length, both.splits.test?.length], [8, 6, 6]);
  // a test label the training list lacks, a missing list, a test= beside a test/ folder
  writeFileSync(join(root, 'bad.csv'), 'test/cat/0.png,cow\n');
  assert.throws(
    () => listImageFolder(join(root, 'train.csv'), { test: join(root, 'bad.csv') }),
    /class 'cow' of '.*bad\.csv' is not a class of '.*train\.csv' \(cat, dog\)/,
  );
  assert.throws(() => listImageFolder(join(root, 'train.csv'), { test: join(root, 'none.csv') }), /test= '.*none\.csv' does not exist/);
  assert.throws(() => listImageFolder(root, { test: join(root, 'test.csv') }), /has a test\/ folder and the spec names test=/);
});

test('csvPathLabel: plain and quoted path,label lines; anything else is not a row', () => {
  assert.deepEqual(csvPathLabel('a/b,c.png,cat'), { path: 'a/b,c.png', label: 'cat' });
  assert.deepEqual(csvPathLabel('"a/b,c.png","cat"'), { path: 'a/b,c.png', label: 'cat' });
  assert.deepEqual(csvPathLabel('"say ""hi"".png",7'), { path: 'say "hi".png', label: '7' });
  assert.deepEqual(csvPathLabel('a"b.png,cat'), { path: 'a"b.png', label: 'cat' }); // a quote inside an unquoted field is kept
  for (const bad of ['a.png', 'a.png,', ',cat', '"a.png,cat', '"a.png"x,cat', '"a.png","cat","extra"', '"a.png",""'])
    assert.equal(csvPathLabel(bad), undefined, bad);
});

test('imagefolder errors: unreadable image, mixed sizes without size=, empty class, unknown val class, bad CSV line', async () => {
  const mk = (): string => mkdtempSync(join(tmpdir(), 'hwnas-imf-bad-'));
  let root = mk();
  await tree(root, null, 2);
  writeFileSync(join(root, 'cat', 'broken.png'), 'not a png');
  await assert.rejects(loadDataset(`imagefolder:${root}`, { noCache: true }), /image '.*broken.png' cannot be decoded .*expected a PNG, JPEG or WebP file/);
  root = mk();
  await tree(root, null, 2);
  await image(join(root, 'dog', 'big.png'), [1, 2, 3], 16, 12);
  await assert.rejects(loadDataset(`imagefolder:${root}`, { noCache: true }), /images have different sizes: .* is 8x8, '.*big.png' is 16x12; give size=<n>/);
  const ok = await loadDataset(`imagefolder:${root};size=8`, { noCache: true });
  assert.equal(ok.train.n + ok.val.n + ok.test.n, 5);
  mkdirSync(join(root, 'bird'));
  await assert.rejects(loadDataset(`imagefolder:${root};size=8`, { noCache: true }), /class folder '.*bird' holds no PNG, JPEG or WebP image/);
  root = mk();
  await tree(root, 'train', 2);
  mkdirSync(join(root, 'val', 'fox'), { recursive: true });
  await image(join(root, 'val', 'fox', 'a.png'), [0, 0, 0]);
  await assert.rejects(loadDataset(`imagefolder:${root}`, { noCache: true }), /class 'fox' of '.*val' is not a class of '.*train' \(cat, dog\)/);
  writeFileSync(join(root, 'l.csv'), 'train/cat/0.png cat\n');
  await assert.rejects(loadDataset(`imagefolder:${join(root, 'l.csv')}`, { noCache: true }), /line 1 "train\/cat\/0.png cat": expected 'path,label'/);
  await assert.rejects(loadDataset('imagefolder:/no/such/dir'), /image folder '\/no\/such\/dir' does not exist/);
});

test('all-digit class folders sort as numbers, as the docs say (0..10: folder 10 is class 10, not 2), in train/ and val/ alike', () => {
  const root = mkdtempSync(join(tmpdir(), 'hwnas-imf-num-'));
  for (const split of ['train', 'val'])
    for (let c = 0; c <= 10; c++) {
      mkdirSync(join(root, split, String(c)), { recursive: true });
      writeFileSync(join(root, split, String(c), 'a.png'), ''); // listing only: not decoded
    }
  const { classes, splits } = listImageFolder(root);
  assert.deepEqual(classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  for (const split of [splits.train, splits.val]) {
    assert.equal(split?.length, 11);
    for (const e of split ?? []) assert.equal(String(e.label), e.path.split(/[\\/]/).at(-2), e.path);
  }
  // a folder tree without splits, and non-numeric names, keep string order
  const flat = mkdtempSync(join(tmpdir(), 'hwnas-imf-num-'));
  for (const c of ['10', '9', 'b', 'a']) {
    mkdirSync(join(flat, c));
    writeFileSync(join(flat, c, 'a.png'), '');
  }
  assert.deepEqual(listImageFolder(flat).classes, ['10', '9', 'a', 'b']);
  rmSync(join(flat, 'a'), { recursive: true });
  rmSync(join(flat, 'b'), { recursive: true });
  const f = listImageFolder(flat);
  assert.deepEqual(f.classes, ['9', '10']);
  assert.deepEqual(
    f.splits.train?.map((e) => e.label),
    [0, 1],
  );
});

test('numericClassNote: numeric labels that are not 0..k-1 are named with the class each becomes; none otherwise', () => {
  assert.equal(
    numericClassNote('list.csv', ['0', '1', '7']),
    "the 3 labels of 'list.csv' are numbers, read as class names, not class indices: sorted as numbers, 7 is class 2; a model's output i scores the i-th smallest label",
  );
  assert.match(
    numericClassNote('d', ['1', '2', '3', '4', '5', '6']) ?? '',
    /1 is class 0, 2 is class 1, 3 is class 2, 4 is class 3, \.\.\. \(6 labels in all\)/,
  );
  assert.equal(numericClassNote('d', ['0', '1', '2']), undefined);
  assert.equal(numericClassNote('d', ['cat', '7']), undefined);
  assert.equal(numericClassNote('d', undefined), undefined);
});
