import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { Rng } from '../../util/rng.js';
import { runHwnas, spawnHwnas } from '../testing/run-cli.js';

/** Three classes of 16x16 PNGs: a class colour plus seeded noise (learnable, every image differs). */
async function colourFolder(root: string, perClass: number): Promise<void> {
  const rng = new Rng(3);
  const colours = [
    [220, 40, 40],
    [40, 200, 60],
    [50, 60, 230],
  ];
  for (const [c, rgb] of colours.entries()) {
    mkdirSync(join(root, `class${c}`), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(16 * 16 * 3);
      for (let j = 0; j < px.length; j++) px[j] = Math.max(0, Math.min(255, (rgb[j % 3] as number) + Math.round(rng.normal(0, 50))));
      writeFileSync(
        join(root, `class${c}`, `${i}.png`),
        await sharp(px, { raw: { width: 16, height: 16, channels: 3 } })
          .png()
          .toBuffer(),
      );
    }
  }
}

test('hwnas train --dataset imagefolder:<dir>;stream: decodes once into a stream file, trains from it in chunks, scores val/test from it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hwnas-train-stream-'));
  const cache = mkdtempSync(join(tmpdir(), 'hwnas-train-stream-cache-'));
  await colourFolder(join(root, 'data'), 40);
  const args = [
    'train',
    'zoo:mbnet32?size=16&width=0.25&classes=3',
    '--dataset',
    `imagefolder:${join(root, 'data')};stream`,
    '--epochs',
    '3',
    '--batch-size',
    '8',
    '--workers',
    '1',
    '--seed',
    '2',
    '--json',
  ];
  const first = await spawnHwnas(root, args, { env: { HWNAS_CACHE_DIR: cache }, timeoutMs: 300_000 }).done;
  assert.equal(first.code, 0, first.stderr);
  const r = JSON.parse(first.stdout) as { testAccuracy: number; streamedFrom: string; dataset: string; epochs: number };
  assert.match(r.streamedFrom, /imagefolder-[0-9a-f]{16}\.stream\.bin$/);
  assert.ok(r.streamedFrom.startsWith(cache), r.streamedFrom);
  assert.equal(r.dataset, 'data');
  assert.ok(r.testAccuracy > 0.6, `test accuracy ${r.testAccuracy} on 3 colour classes (chance 0.33)`);
  // the second run reads the same file: the same seed gives the same result
  const again = await spawnHwnas(root, args, { env: { HWNAS_CACHE_DIR: cache }, timeoutMs: 300_000 }).done;
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { testAccuracy: number }).testAccuracy, r.testAccuracy);
  // a model whose classes do not match, and a kind that cannot stream: exit 2, the value named
  const bad = await spawnHwnas(root, ['train', 'zoo:mbnet32?size=16&width=0.25', '--dataset', `imagefolder:${join(root, 'data')};stream`], {
    env: { HWNAS_CACHE_DIR: cache },
  }).done;
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /outputs \[10\] but data set 'data' has 3 classes/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
  const notFolder = await runHwnas(root, 'train', 'zoo:mnist-cnn', '--dataset', 'mnist;stream');
  assert.equal(notFolder.code, 2);
  assert.match(notFolder.stderr, /option 'stream' applies to imagefolder data sets only/);
});

test("hwnas nas and hwnas quantize with ';stream': the splits they use are read from the stream file; same results as in memory", async () => {
  const root = mkdtempSync(join(tmpdir(), 'hwnas-nas-stream-'));
  await colourFolder(join(root, 'data'), 40);
  const run = async (args: string[], cache: string) => {
    const r = await spawnHwnas(root, args, { env: { HWNAS_CACHE_DIR: cache }, timeoutMs: 300_000 }).done;
    assert.equal(r.code, 0, r.stderr);
    return { out: JSON.parse(r.stdout) as Record<string, unknown>, files: readdirSync(cache) };
  };
  const nas = (spec: string, name: string) => [
    'nas',
    '--space',
    'mbv2-micro',
    '--strategy',
    'random',
    '--budget',
    '2',
    '--epochs',
    '1',
    '--limit',
    '60',
    '--seed',
    '1',
    '--dataset',
    spec,
    '--store',
    join(root, `${name}.sqlite`),
    '--json',
  ];
  const quantize = (spec: string, name: string) => [
    'quantize',
    'zoo:mbnet32?size=16&width=0.25&classes=3',
    '--dataset',
    spec,
    '--target',
    'bitfusion-edge',
    '--strategy',
    'uniform',
    '--budget',
    'latency=0.9x',
    '--finetune-epochs',
    '0',
    '--train-epochs',
    '1',
    '--search-images',
    '12', // all 12 validation images (more than the data set has is refused)
    '--store',
    join(root, `${name}.sqlite`),
    '--json',
  ];
  const folder = `imagefolder:${join(root, 'data')}`;
  for (const [cmd, make] of [
    ['nas', nas],
    ['quantize', quantize],
  ] as const) {
    const streamCache = mkdtempSync(join(tmpdir(), `hwnas-${cmd}-stream-cache-`));
    const memCache = mkdtempSync(join(tmpdir(), `hwnas-${cmd}-mem-cache-`));
    const st = await run(make(`${folder};stream`, `${cmd}-stream`), streamCache);
    const mem = await run(make(folder, `${cmd}-mem`), memCache);
    assert.equal(st.files.length, 1, `${cmd}: ${st.files}`);
    assert.match(st.files[0] as string, /^imagefolder-[0-9a-f]{16}\.stream\.bin$/, `${cmd}: only the stream file is written, no decoded in-memory cache`);
    assert.ok(
      mem.files.every((f) => !f.endsWith('.stream.bin')),
      `${cmd} without ;stream: ${mem.files}`,
    );
    if (cmd === 'nas') {
      const trials = (o: Record<string, unknown>) => JSON.stringify((o.trials as { arch: string; values: unknown }[]).map((t) => [t.arch, t.values]));
      assert.equal((st.out.trials as unknown[]).length, 2);
      assert.equal(trials(st.out), trials(mem.out), 'the same trials, trained on the same images');
    } else {
      for (const k of ['images', 'floatAccuracy', 'accuracy', 'policy'])
        assert.deepEqual(st.out[k], mem.out[k], `quantize ${k}: streamed ${JSON.stringify(st.out[k])} vs in memory ${JSON.stringify(mem.out[k])}`);
    }
  }
});
