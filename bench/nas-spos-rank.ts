/**
 * SPOS fidelity: Kendall rank correlation between supernet accuracy (inherited weights, batch norm recalibrated)
 * and stand-alone accuracy (the same architectures trained from scratch) on `mbv2-micro` and Fashion-MNIST,
 * before (uniform path sampling, batch norm recalibrated on 512 images) and after (SPOS's MACs-binned path
 * sampling, batch norm on 2,048 images) and the two changes separately. Same seeds, images and steps for both
 * supernets; the stand-alone accuracies are shared. Scored on validation images.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/nas-spos-rank.js [--quick] [--seeds 1,2,3] [--archs 12]
 * [--steps 300] [--images 2048] [--val-images 500] [--epochs 1] [--out /tmp/spos-rank.json]` (`--epochs`: stand-alone
 * training epochs).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { initEngine } from '../src/engine/backend.js';
import { kendallTau } from '../src/hardware/predictor.js';
import { graphTotals } from '../src/ir/workload.js';
import { binnedSampler, retrainFromScratch, Supernet, type SupernetSpec, samplePath } from '../src/nas/supernet.js';
import { splitAtSizes } from '../src/nas/train-eval.js';
import { MBV2_MICRO } from '../src/search/spaces/mbv2.js';
import { Rng } from '../src/util/rng.js';

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
    out: opts.out ?? '/tmp/spos-rank.json',
  };
  await initEngine();
  const ds = await loadDataset('fashion-mnist', { standardize: true, size: 28, channels: 1, limit: { train: o.images, val: o.valImages, test: 1 } });
  const spec: SupernetSpec = { space: { ...MBV2_MICRO, inChannels: 1, classes: 10 } };
  const trainAt = splitAtSizes(ds.train, ds.shape);
  const valAt = splitAtSizes(ds.val, ds.shape);
  const result: Record<string, unknown> = { options: o, loadAvgStart: loadavg(), rows: [] as unknown[] };
  const rows = result.rows as Record<string, unknown>[];
  const save = (): void => writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  const say = (s: string): void => {
    process.stderr.write(`[spos-rank ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  };
  for (const seed of o.seeds) {
    const ar = new Rng(1000 + seed);
    const probe = new Supernet(spec, seed);
    const archs = Array.from({ length: o.archs }, () => probe.archSpace.format(samplePath(spec, ar)));
    const standalone: number[] = [];
    for (const [i, a] of archs.entries()) {
      say(`seed ${seed}: stand-alone ${i + 1}/${archs.length} ${a}`);
      const size = probe.archSpace.parse(a).inputSize;
      standalone.push((await retrainFromScratch(probe, a, { train: trainAt(size), test: valAt(size) }, { epochs: o.epochs, seed, workers: 1 })).accuracy);
    }
    const row: Record<string, unknown> = { seed, archs, standalone };
    for (const sampling of ['uniform', 'macs-bins'] as const) {
      say(`seed ${seed}: supernet (${sampling}), ${o.steps} steps`);
      const net = new Supernet(spec, seed);
      const sampler = sampling === 'macs-bins' ? binnedSampler(spec, (a) => graphTotals(net.graph(a)).macs, { seed }) : undefined;
      const t = net.train((s) => trainAt(s), { steps: o.steps, seed, ...(sampler ? { sampler } : {}) });
      for (const bn of [512, 2048]) {
        const acc = archs.map((a) => net.evaluate(a, trainAt, valAt, { calibSamples: bn }).accuracy);
        row[`${sampling}/bn${bn}`] = { tau: kendallTau(acc, standalone), supernetAccuracy: acc, trainSeconds: t.seconds };
      }
      save();
    }
    rows.push(row);
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
  const arg = (f: string): string | undefined => {
    const i = process.argv.indexOf(f);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const num = (f: string): number | undefined => {
    const v = arg(f);
    if (v === undefined) return undefined;
    if (!/^[1-9][0-9]*$/.test(v)) {
      process.stderr.write(`${f} '${v}': expected a positive integer\n`);
      process.exit(2);
    }
    return Number(v);
  };
  const seeds = arg('--seeds');
  const r = await benchSposRank({
    quick: process.argv.includes('--quick'),
    ...(seeds ? { seeds: seeds.split(',').map(Number) } : {}),
    ...(num('--archs') !== undefined ? { archs: num('--archs') as number } : {}),
    ...(num('--steps') !== undefined ? { steps: num('--steps') as number } : {}),
    ...(num('--images') !== undefined ? { images: num('--images') as number } : {}),
    ...(num('--val-images') !== undefined ? { valImages: num('--val-images') as number } : {}),
    ...(num('--epochs') !== undefined ? { epochs: num('--epochs') as number } : {}),
    ...(arg('--out') ? { out: arg('--out') as string } : {}),
  });
  console.log(JSON.stringify(r.summary, null, 2));
}
