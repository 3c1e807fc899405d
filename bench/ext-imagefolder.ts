/**
 * Image-folder decode throughput and peak memory: N generated PNGs (seeded noise, 10 class folders,
 * `--size` x `--size` RGB) loaded with `imagefolder:<dir>` (sharp decode; then again from the binary
 * cache) against the same pixels as NPY files (`npy:x.npy,y.npy;layout=nhwc`). Each load runs in a fresh
 * process so its peak RSS (maxRSS) is its own. Files go to `--dir` (default /tmp/hwnas-imf-bench), never
 * into the repository. Run: `npx tsc -p tsconfig.json && node dist/bench/ext-imagefolder.js [--n 50000] [--size 32]`.
 *
 * `--train` instead: streamed training (`imagefolder:<dir>;stream`): the stream file built from the PNGs
 * (decode), then zoo:mbnet32 trained one epoch from it (chunked reads; 1 gradient thread, batch 64) with
 * validation and test read from the file, each in a fresh process with its peak RSS; and the same epoch
 * with the whole data set loaded into memory from the binary cache, and from the same pixels as NPY files
 * (`npy-train`), for the memory and throughput comparison (`--kinds a,b` runs some of them). The pixels
 * are seeded noise with labels i % 10: the accuracies are chance level; this measures reads and memory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadDataset } from '../src/data/load.js';
import { writeNpy } from '../src/data/npy.js';
import { Rng } from '../src/util/rng.js';

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] as string) : d;
};
const n = Number(arg('--n', '50000'));
const size = Number(arg('--size', '32'));
const dir = arg('--dir', '/tmp/hwnas-imf-bench');
const cache = join(dir, 'cache');
const imgDir = join(dir, `png-${n}-${size}`);
const npyX = join(dir, `x-${n}-${size}.npy`);
const npyY = join(dir, `y-${n}-${size}.npy`);

async function generate(): Promise<void> {
  if (existsSync(join(imgDir, 'done'))) return;
  rmSync(imgDir, { recursive: true, force: true });
  const rng = new Rng(17);
  const per = size * size * 3;
  const all = new Uint8Array(n * per);
  const labels = new Int32Array(n);
  for (let c = 0; c < 10; c++) mkdirSync(join(imgDir, `class${c}`), { recursive: true });
  const t0 = performance.now();
  for (let s = 0; s < n; s += 64) {
    const jobs: Promise<unknown>[] = [];
    for (let i = s; i < Math.min(n, s + 64); i++) {
      const px = all.subarray(i * per, (i + 1) * per);
      for (let j = 0; j < per; j++) px[j] = rng.nextU32() & 0xff;
      labels[i] = i % 10;
      // zero-padded names: the folder's sorted order is the NPY order
      jobs.push(
        sharp(Buffer.from(px), { raw: { width: size, height: size, channels: 3 } })
          .png()
          .toFile(join(imgDir, `class${i % 10}`, `${String(i).padStart(7, '0')}.png`)),
      );
    }
    await Promise.all(jobs);
    if (s % 5000 === 0) process.stderr.write(`generated ${s}/${n}\r`);
  }
  // NPY in the image folder's class-major order
  const order = [...Array(n).keys()].sort((a, b) => (a % 10) - (b % 10) || a - b);
  const x = new Uint8Array(n * per);
  const y = new Int32Array(n);
  order.forEach((src, k) => {
    x.set(all.subarray(src * per, (src + 1) * per), k * per);
    y[k] = labels[src] as number;
  });
  writeNpy(npyX, { dtype: 'uint8', shape: [n, size, size, 3], data: x });
  writeNpy(npyY, { dtype: 'int32', shape: [n], data: y });
  spawnSync('touch', [join(imgDir, 'done')]);
  process.stderr.write(`generated ${n} PNGs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

async function loadOnce(kind: string): Promise<void> {
  const spec = kind === 'npy' ? `npy:${npyX},${npyY};layout=nhwc` : `imagefolder:${imgDir}`;
  const t0 = performance.now();
  const ds = await loadDataset(spec, { cacheDir: cache, ...(kind === 'imagefolder-decode' ? { noCache: true } : {}) });
  const s = (performance.now() - t0) / 1000;
  const total = ds.train.n + ds.val.n + ds.test.n;
  process.stdout.write(
    `${JSON.stringify({ kind, images: total, seconds: s, imgPerS: total / s, peakRssMb: process.resourceUsage().maxRSS / 1024, cache: ds.cache ?? null })}\n`,
  );
}

async function trainOnce(kind: string): Promise<void> {
  const { initEngine, buildModel, train, evaluateSource } = await import('../src/engine/index.js');
  const { loadModelSpec } = await import('../src/onnx/model-source.js');
  const { openDatasetStream } = await import('../src/data/load.js');
  const { rmSync: rm } = await import('node:fs');
  await initEngine();
  const t0 = performance.now();
  const out: Record<string, unknown> = { kind, images: n };
  if (kind === 'stream-build' || kind === 'stream-train') {
    const ds = await openDatasetStream(`imagefolder:${imgDir};stream`, { cacheDir: cache });
    if (kind === 'stream-build') {
      rm(ds.file);
      ds.close();
      const t1 = performance.now();
      const again = await openDatasetStream(`imagefolder:${imgDir};stream`, { cacheDir: cache });
      const s = (performance.now() - t1) / 1000;
      Object.assign(out, { cache: again.cache, seconds: s, imgPerS: n / s });
      again.close();
    } else {
      const openS = (performance.now() - t0) / 1000;
      const em = buildModel(loadModelSpec('zoo:mbnet32', 1));
      const r = await train(em, { source: ds.train }, { epochs: 1, batchSize: 64, workers: 1, seed: 1, validation: { source: ds.val } });
      const test = evaluateSource(em, ds.test);
      Object.assign(out, {
        cache: ds.cache,
        openSeconds: openS,
        trainImages: ds.train.n,
        trainImgPerS: r.imagesPerSec,
        trainSeconds: r.seconds,
        valAccuracy: r.epochs[0]?.valAccuracy,
        testAccuracy: test.accuracy,
        chunk: ds.train.chunk,
        window: ds.train.window,
        bytesRead: ds.train.bytesRead,
      });
      ds.close();
    }
  } else {
    const spec = kind === 'npy-train' ? `npy:${npyX},${npyY};layout=nhwc` : `imagefolder:${imgDir}`;
    const ds = await loadDataset(spec, { cacheDir: cache });
    const openS = (performance.now() - t0) / 1000;
    const em = buildModel(loadModelSpec('zoo:mbnet32', 1));
    const r = await train(em, ds.train, { epochs: 1, batchSize: 64, workers: 1, seed: 1, validation: ds.val });
    const test = em.evaluate(ds.test.x, ds.test.y, ds.test.n);
    Object.assign(out, {
      cache: ds.cache,
      openSeconds: openS,
      trainImages: ds.train.n,
      trainImgPerS: r.imagesPerSec,
      trainSeconds: r.seconds,
      valAccuracy: r.epochs[0]?.valAccuracy,
      testAccuracy: test.accuracy,
    });
  }
  // CPU seconds of the whole process (load, training, validation, test): on a shared machine wall-clock
  // img/s measures the load; images per CPU-second compares the data paths
  const cpu = process.cpuUsage();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ ...out, cpuSeconds, imgPerCpuS: n / cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

const load = arg('--load', '');
const trainKind = arg('--train-kind', '');
if (load) await loadOnce(load);
else if (trainKind) await trainOnce(trainKind);
else if (process.argv.includes('--train')) {
  await generate();
  const self = fileURLToPath(import.meta.url);
  for (const kind of arg('--kinds', 'stream-build,stream-train,memory-train,npy-train').split(',')) {
    const r = spawnSync(process.execPath, [self, '--n', String(n), '--size', String(size), '--dir', dir, '--train-kind', kind], { encoding: 'utf8' });
    process.stdout.write(r.stdout || r.stderr);
  }
} else {
  await generate();
  rmSync(cache, { recursive: true, force: true });
  const self = fileURLToPath(import.meta.url);
  for (const kind of ['imagefolder-decode', 'imagefolder', 'imagefolder', 'npy']) {
    const r = spawnSync(process.execPath, [self, '--n', String(n), '--size', String(size), '--dir', dir, '--load', kind], { encoding: 'utf8' });
    process.stdout.write(r.stdout || r.stderr);
  }
}
