/**
 * SPOS fidelity: Kendall rank correlation between supernet accuracy (inherited weights, batch norm recalibrated)
 * and stand-alone accuracy (the same architectures trained from scratch) on `mbv2-micro` and Fashion-MNIST,
 * before (uniform path sampling, batch norm recalibrated on 512 images) and after (SPOS's MACs-binned path
 * sampling, batch norm on 2,048 images) and the two changes separately. Same seeds, images and steps for both
 * supernets; the stand-alone accuracies are shared. Scored on validation images.
 *
 * Binned sampling counts MACs from per-block tables ({@link pathMacsTable}), not one graph per drawn path.
 * Stand-alone noise: `--repeat K` trains the first K architectures of every seed a second time with another
 * training seed, so the spread of stand-alone accuracies across architectures can be set against their seed
 * noise (if the noise is as large as the spread, tau against them says nothing).
 * Resumable: a run with the same options and `--out` keeps the seeds already finished there.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/nas-spos-rank.js [--quick] [--seeds 1,2,3] [--archs 12]
 * [--steps 300] [--images 2048] [--val-images 500] [--epochs 1] [--standalone-batch 128] [--repeat 0]
 * [--out /tmp/spos-rank.json]` (`--epochs`, `--standalone-batch`: stand-alone training epochs and batch size).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { initEngine } from '../src/engine/backend.js';
import { kendallTau } from '../src/hardware/predictor.js';
import { binnedSampler, pathMacsTable, retrainFromScratch, Supernet, type SupernetSpec, samplePath } from '../src/nas/supernet.js';
import { splitAtSizes } from '../src/nas/train-eval.js';
import { MBV2_MICRO } from '../src/search/spaces/mbv2.js';
import { Rng } from '../src/util/rng.js';
import { benchFlags } from './flags.js';

/** Options of {@link benchSposRank}. */
export interface SposRankOptions {
  readonly quick?: boolean;
  readonly seeds?: readonly number[];
  /** Architectures ranked per seed (default 12, quick 4). */
  readonly archs?: number;
  /** Supernet steps (default 300, quick 10). */
  readonly steps?: number;
  /** Training images (default 2048, quick 200), validation images (default 500, quick 200). */
  readonly images?: number;
  readonly valImages?: number;
  /** Stand-alone training epochs (default 1). */
  readonly epochs?: number;
  /** Stand-alone training batch size (default 128). */
  readonly standaloneBatch?: number;
  /** Architectures per seed trained a second time with another training seed (stand-alone noise; default 0). */
  readonly repeat?: number;
  readonly out?: string;
}

/** The bench (see the module doc). */
export async function benchSposRank(opts: SposRankOptions = {}): Promise<Record<string, unknown>> {
  const q = opts.quick === true;
  const o = {
    seeds: opts.seeds ?? (q ? [1] : [1, 2, 3]),
    archs: opts.archs ?? (q ? 4 : 12),
    steps: opts.steps ?? (q ? 10 : 300),
    images: opts.images ?? (q ? 200 : 2048),
    valImages: opts.valImages ?? (q ? 200 : 500),
    epochs: opts.epochs ?? 1,
    repeat: opts.repeat ?? 0,
    standaloneBatch: opts.standaloneBatch ?? 128,
    out: opts.out ?? '/tmp/spos-rank.json',
  };
  await initEngine();
  const ds = await loadDataset('fashion-mnist', { standardize: true, size: 28, channels: 1, limit: { train: o.images, val: o.valImages, test: 1 } });
  const spec: SupernetSpec = { space: { ...MBV2_MICRO, inChannels: 1, classes: 10 } };
  const trainAt = splitAtSizes(ds.train, ds.shape);
  const valAt = splitAtSizes(ds.val, ds.shape);
  const result: Record<string, unknown> = { options: o, loadAvgStart: loadavg(), rows: [] as unknown[] };
  if (existsSync(o.out)) {
    const old = JSON.parse(readFileSync(o.out, 'utf8')) as { options?: unknown; rows?: unknown[]; partial?: unknown };
    if (JSON.stringify(old.options) === JSON.stringify(o) && Array.isArray(old.rows)) {
      result.rows = old.rows;
      if (old.partial) result.partial = old.partial;
    }
  }
  const rows = result.rows as Record<string, unknown>[];
  const save = (): void => writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  const say = (s: string): void => {
    process.stderr.write(`[spos-rank ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  };
  const shape = new Supernet(spec, 0); // architecture parsing and graphs only
  const standaloneOf = async (a: string, trainSeed: number): Promise<number> => {
    const size = shape.archSpace.parse(a).inputSize;
    return (
      await retrainFromScratch(
        shape,
        a,
        { train: trainAt(size), test: valAt(size) },
        { epochs: o.epochs, seed: trainSeed, batchSize: o.standaloneBatch, workers: 1 },
      )
    ).accuracy;
  };
  const standalonePart = async (seed: number, archs: string[]): Promise<Record<string, unknown>> => {
    const t0 = performance.now();
    const standalone: number[] = [];
    for (const [i, a] of archs.entries()) {
      say(`seed ${seed}: stand-alone ${i + 1}/${archs.length} ${a}`);
      standalone.push(await standaloneOf(a, seed));
    }
    const repeated: number[] = [];
    for (const [i, a] of archs.slice(0, o.repeat).entries()) {
      say(`seed ${seed}: stand-alone again (training seed ${seed + 100}) ${i + 1}/${o.repeat} ${a}`);
      repeated.push(await standaloneOf(a, seed + 100));
    }
    const row: Record<string, unknown> = { seed, archs, standalone, standaloneSeconds: (performance.now() - t0) / 1000 };
    if (repeated.length > 0) {
      const diffs = repeated.map((r, i) => Math.abs(r - (standalone[i] as number)));
      const mean = standalone.reduce((x, y) => x + y, 0) / standalone.length;
      row.standaloneNoise = {
        trainSeed: seed + 100,
        accuracy: repeated,
        meanAbsDiff: diffs.reduce((x, y) => x + y, 0) / diffs.length,
        maxAbsDiff: Math.max(...diffs),
        // the spread the ranking has to resolve, for comparison with the seed-to-seed differences
        spreadStd: Math.sqrt(standalone.reduce((x, y) => x + (y - mean) ** 2, 0) / standalone.length),
        ...(repeated.length >= 3 ? { tauBetweenSeeds: kendallTau(repeated, standalone.slice(0, repeated.length)) } : {}),
      };
    }
    return row;
  };
  for (const seed of o.seeds) {
    if (rows.some((r) => r.seed === seed)) {
      say(`seed ${seed}: kept from ${o.out}`);
      continue;
    }
    const ar = new Rng(1000 + seed);
    const archs = Array.from({ length: o.archs }, () => shape.archSpace.format(samplePath(spec, ar)));
    // a seed stopped after its stand-alone trainings resumes from them
    const part = result.partial as Record<string, unknown> | undefined;
    const row: Record<string, unknown> =
      part && part.seed === seed && JSON.stringify(part.archs) === JSON.stringify(archs) ? part : await standalonePart(seed, archs);
    const standalone = row.standalone as number[];
    result.partial = row;
    save();
    for (const sampling of ['uniform', 'macs-bins'] as const) {
      if (row[`${sampling}/bn2048`]) continue;
      say(`seed ${seed}: supernet (${sampling}), ${o.steps} steps`);
      const net = new Supernet(spec, seed);
      const table = pathMacsTable(net);
      const sampler = sampling === 'macs-bins' ? binnedSampler(spec, table.macs, { seed }) : undefined;
      let macsSum = 0;
      const t = net.train((s) => trainAt(s), {
        steps: o.steps,
        seed,
        ...(sampler ? { sampler } : {}),
        onStep: (p) => {
          macsSum += table.macs(net.archSpace.parse(p.arch));
          if ((p.step + 1) % 50 === 0) say(`seed ${seed}: ${sampling} step ${p.step + 1}/${p.steps}, loss ${p.loss.toFixed(3)}`);
        },
      });
      for (const bn of [512, 2048]) {
        const acc = archs.map((a) => net.evaluate(a, trainAt, valAt, { calibSamples: bn }).accuracy);
        row[`${sampling}/bn${bn}`] = { tau: kendallTau(acc, standalone), supernetAccuracy: acc, trainSeconds: t.seconds, meanPathMacs: macsSum / o.steps };
      }
      save();
    }
    rows.push(row);
    delete result.partial;
    save();
    say(
      `seed ${seed}: ${JSON.stringify(
        Object.fromEntries(
          Object.entries(row)
            .filter(([k]) => k.includes('/'))
            .map(([k, v]) => [k, (v as { tau: number }).tau]),
        ),
      )}`,
    );
  }
  const keys = ['uniform/bn512', 'uniform/bn2048', 'macs-bins/bn512', 'macs-bins/bn2048'];
  result.summary = Object.fromEntries(
    keys.map((k) => {
      const taus = rows.map((r) => (r[k] as { tau: number }).tau);
      return [k, { meanTau: taus.reduce((a, b) => a + b, 0) / taus.length, worstTau: Math.min(...taus), taus }];
    }),
  );
  result.loadAvgEnd = loadavg();
  save();
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { arg, count: num, has, nums } = benchFlags();
  const seeds = nums('--seeds');
  const r = await benchSposRank({
    quick: has('--quick'),
    ...(seeds ? { seeds } : {}),
    ...(num('--archs') !== undefined ? { archs: num('--archs') as number } : {}),
    ...(num('--steps') !== undefined ? { steps: num('--steps') as number } : {}),
    ...(num('--images') !== undefined ? { images: num('--images') as number } : {}),
    ...(num('--val-images') !== undefined ? { valImages: num('--val-images') as number } : {}),
    ...(num('--epochs') !== undefined ? { epochs: num('--epochs') as number } : {}),
    ...(num('--repeat') !== undefined ? { repeat: num('--repeat') as number } : {}),
    ...(num('--standalone-batch') !== undefined ? { standaloneBatch: num('--standalone-batch') as number } : {}),
    ...(arg('--out') ? { out: arg('--out') as string } : {}),
  });
  console.log(JSON.stringify(r.summary, null, 2));
}
