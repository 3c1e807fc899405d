/**
 * Compatible retrieval on Fashion-MNIST (issue 16, S7 CMP-NAS): a paragon gallery model (trained beforehand
 * with `hwnas train ... --task retrieval --out paragon.onnx`), then
 * 1. the paragon's own (gallery-gallery) mAP: test queries and training-split gallery both embedded by it;
 * 2. CMP-NAS through the study loop (`hwnas nas --task retrieval --gallery-model paragon.onnx`, one study per
 *    seed): query architectures of the mbv2 space trained briefly and compatibly, scored by cross-model mAP
 *    on validation queries (objectives map:max, macs:min by default; --objectives map:max,latency_ms:min for the
 *    bitfusion-edge latency of the issue's CLI example);
 * 3. the front's most accurate point of each seed retrained with the same recipe and scored on the test
 *    queries against the paragon's gallery (cross-model), with its cost reduction (MACs, bitfusion-edge latency);
 * 4. baselines on the space's smallest architecture: (a) trained independently (own proxies, no alignment),
 *    (b) trained compatibly without search; cross-model mAP against the paragon's gallery.
 *
 * Search options: `--space mbv2|mbv2-micro`, `--nas-limit N --nas-epochs E` (each trial's training; default
 * --limit/--epochs, which then apply to the retraining of the pick), `--objectives`, `--min-reduction X` (the pick
 * is the most accurate front point with >= X times fewer MACs than the paragon, else the cheapest; MACs of whole
 * retrieval models on both sides, embedding head and proxies included), `--min-latency-reduction X` (and >= X times
 * lower bitfusion-edge latency; with it, the fallback is the lowest-latency point), `--nas-align W` (alignment weight
 * of each trial's compatible training: `hwnas nas --align-weight W`; default the CLI's, 1), `--nas-strategy S`
 * (default nsga2), `--nas-max-latency MS` (`hwnas nas --max-latency`: the latency line; `--nas-strategy capacity`
 * repairs architectures under it),
 * `--no-baselines`, `--retrain-epochs 12,4` (each seed's pick retrained once per epoch count, after all searches;
 * default --epochs), `--retrain-each` (each pick retrained, first recipe, right after its own search: partial
 * results per seed), `--picks '1=<arch>;2=<arch>'` (seeds whose search ran before: their pick is retrained, no search).
 * `--recipes 'E:N[:W],...'` (instead of --retrain-epochs): each pick retrained once per recipe, E epochs on the
 * first N training images (the paragon's embeddings of them as alignment targets; N may exceed the gallery's
 * --gallery images, the gallery stays the first --gallery ones), alignment weight W (default 1; 0 = frozen paragon
 * proxies only; `indep` = trained independently: own proxies, no alignment, the incompatible baseline).
 * `--score test|val|both` (default test): the queries the retrained picks are scored on: the test images, or the
 * validation images [--val-from, --val-from + --val-queries) (default [--nas-limit, 5000): the search's trials
 * score the first --nas-limit validation images), to choose a recipe without the test images.
 * `--gallery-also 'N,...'`: the paragon and every retrained pick (cross-model) are also scored against the first N
 * training images as the gallery (e.g. all the images a paragon trained on when it trained on more than
 * --gallery); `--paragon-only`: only the paragon's figures (stage 1), no search.
 *
 * `--ablation [--space mbv2-micro] [--arch r28-w0.35:k3e1r|k3e1r|k3e1r|k3e1r] [--seeds 1,2,3] [--limit 5000] [--epochs 4]`:
 * only the compatibility ablation on one query architecture, each seed: (i) independent (own proxies, no
 * alignment), (ii) BCT-style head only (the paragon's proxies frozen, no alignment), (iii) alignment only (own
 * proxies trained, plus the alignment term), (iv) both; cross-model and own mAP on the test queries.
 *
 * `--metrics-speed [--dim 64]`: only the speed of the exact metrics on 10,000 random queries x 60,000 random gallery
 * embeddings (10 classes): engine matrix products with the default ranking (relevant items only) and with the
 * full radix sort (results checked identical), the products alone, plain JS on the first 500 queries; wall and CPU time.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/retrieval.js --paragon paragon.onnx [--seeds 1,2,3] [--budget 8]
 * [--limit 2000] [--epochs 1] [--gallery 5000] [--queries 5000] [--out result.json]`
 * (the result is written after every stage).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { Split } from '../src/data/types.js';
import { buildModel, initEngine, trainEmbedding } from '../src/engine/index.js';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import type { Graph } from '../src/ir/types.js';
import { graphTotals } from '../src/ir/workload.js';
import { archLatencyMs } from '../src/nas/cost.js';
import { buildRetrievalModel, compatibleTrainOptions, embed, galleryModel, scoreEmbeddings } from '../src/nas/retrieval.js';
import { archInputSize, splitAtSizes } from '../src/nas/train-eval.js';
import { loadOnnx } from '../src/onnx/import.js';
import { getArchSpace } from '../src/search/spaces/registry.js';
import type { RetrievalMetrics } from '../src/tasks/retrieval-metrics.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : dflt;
}

const fig = (m: RetrievalMetrics) => ({ map: m.map, recallAt1: m.recallAt1, recallAt5: m.recallAt5 });

/** A retraining recipe of a pick: epochs, training images (the first `images` of the training split), alignment weight or 'indep'. */
export interface Recipe {
  readonly epochs: number;
  readonly images: number;
  readonly align: number | 'indep';
}

/** Parses `--recipes 'E:N[:W],...'` (W: alignment weight >= 0, default 1, or `indep`); N at most `maxImages`. */
export function parseRecipes(spec: string, maxImages: number): Recipe[] {
  const items = spec.split(',').filter((x) => x.trim() !== '');
  if (items.length === 0) throw new Error(`--recipes '${spec}': expected one or more E:N[:W] (epochs:images[:align weight or indep])`);
  return items.map((item) => {
    const parts = item.trim().split(':');
    const [e, n, w = '1'] = parts;
    const epochs = Number(e);
    const images = Number(n);
    if (parts.length < 2 || parts.length > 3 || !Number.isInteger(epochs) || epochs < 1 || !Number.isInteger(images) || images < 1)
      throw new Error(`--recipes: '${item}' is not E:N[:W] with E epochs and N images positive integers`);
    if (images > maxImages) throw new Error(`--recipes: '${item}' asks for ${images} training images, expected at most ${maxImages}`);
    if (w === 'indep') return { epochs, images, align: 'indep' as const };
    const align = Number(w);
    if (w.trim() === '' || !Number.isFinite(align) || align < 0)
      throw new Error(`--recipes: '${item}' has alignment weight '${w}', expected a number >= 0 or 'indep'`);
    return { epochs, images, align };
  });
}

/**
 * Parses `--gallery-also 'N,...'`: extra gallery sizes (the first N training images, embedded by the paragon) the
 * paragon and the retrained picks are also scored against; each a positive integer at most `maxImages`.
 */
export function parseGallerySizes(spec: string, maxImages: number): number[] {
  const items = spec.split(',').filter((x) => x.trim() !== '');
  return items.map((item) => {
    const n = Number(item.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`--gallery-also: '${item.trim()}' is not a positive whole number of gallery images`);
    if (n > maxImages) throw new Error(`--gallery-also: ${n} gallery images asked for, expected at most ${maxImages} (the training split)`);
    return n;
  });
}

/** A Pareto-front point of a search with its cost reductions against the paragon (MACs, bitfusion-edge latency). */
export interface FrontPoint {
  readonly arch: string;
  readonly values: { readonly map: number };
  readonly macsReduction: number;
  readonly latencyReduction: number;
}

/**
 * The pick of a search: the most accurate front point with at least `minMacs` times fewer MACs and at least
 * `minLatency` times lower latency than the paragon (0: no rule); if none qualifies, the cheapest point by the
 * measure of the rule given (latency when `minLatency` > 0, else MACs). Ties in mAP: the cheaper in that measure.
 */
export function pickPoint<P extends FrontPoint>(front: readonly P[], minMacs: number, minLatency: number): { point: P; qualified: boolean } {
  if (front.length === 0) throw new Error('empty Pareto front');
  const cost = (p: P): number => (minLatency > 0 ? p.latencyReduction : p.macsReduction);
  const ok = front.filter((p) => p.macsReduction >= minMacs && p.latencyReduction >= minLatency);
  const best = [...ok].sort((x, y) => y.values.map - x.values.map || cost(y) - cost(x))[0];
  if (best) return { point: best, qualified: true };
  return { point: [...front].sort((x, y) => cost(y) - cost(x))[0] as P, qualified: false };
}

/** Parses a `--min-reduction` / `--min-latency-reduction` factor: a number >= 0 (0 = no rule). */
export function parseReduction(name: string, spec: string): number {
  const x = Number(spec);
  if (spec.trim() === '' || !Number.isFinite(x) || x < 0) throw new Error(`${name} '${spec}': expected a reduction factor >= 0 (e.g. 20 for 20x; 0 = no rule)`);
  return x;
}

/** Parses `--nas-align W`: the alignment weight of the search's trials (a number >= 0), or undefined (the CLI's default). */
export function parseNasAlign(spec: string | undefined): number | undefined {
  if (spec === undefined) return undefined;
  const x = Number(spec);
  if (spec.trim() === '' || !Number.isFinite(x) || x < 0) throw new Error(`--nas-align '${spec}': expected an alignment weight >= 0`);
  return x;
}

/** Parses `--nas-max-latency MS`: the search's latency line in milliseconds (a number > 0). */
export function parseNasMaxLatency(spec: string): number {
  const x = Number(spec);
  if (spec.trim() === '' || !Number.isFinite(x) || x <= 0) throw new Error(`--nas-max-latency '${spec}': expected a latency in ms > 0`);
  return x;
}

/** A recipe as a short label: `24 ep x 20000 img, align 1` (or `independent`). */
export const recipeLabel = (r: Recipe): string => `${r.epochs} ep x ${r.images} img, ${r.align === 'indep' ? 'independent' : `align ${r.align}`}`;

/** Wall and CPU seconds of the exact metrics on random embeddings (`nq` x `ng`, dimension `dim`). */
async function metricsSpeed(nq: number, ng: number, dim: number): Promise<Record<string, unknown>> {
  const { Rng } = await import('../src/util/rng.js');
  const { engineScores } = await import('../src/engine/index.js');
  const { l2Normalize, retrievalMetrics } = await import('../src/tasks/retrieval-metrics.js');
  const rng = new Rng(1);
  const emb = (n: number) => ({
    data: Float32Array.from({ length: n * dim }, () => rng.normal()),
    n,
    dim,
    labels: Int32Array.from({ length: n }, () => rng.int(0, 9)),
  });
  const q = emb(nq);
  const g = emb(ng);
  await initEngine();
  const time = async (what: string, f: () => Promise<unknown>) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    const c = process.cpuUsage(c0);
    const r = { what, wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6, load: loadavg()[0] };
    process.stderr.write(`${JSON.stringify(r)}\n`);
    return r;
  };
  const s = engineScores();
  let relevantRes: unknown;
  let fullRes: unknown;
  const engine = await time(`engine, ranking relevant items only, ${nq} x ${ng}`, async () => {
    relevantRes = await retrievalMetrics(q, g, { scores: s.scores });
  });
  const engineFullSort = await time(`engine, full radix sort per query, ${nq} x ${ng}`, async () => {
    fullRes = await retrievalMetrics(q, g, { scores: s.scores, ranking: 'full-sort' });
  });
  // the similarity products alone (same blocks of 128 queries), to split the time
  const buf = new Float32Array(128 * ng);
  const qn = l2Normalize(q.data, nq, dim);
  const gn = l2Normalize(g.data, ng, dim);
  const products = await time(`engine similarity products only, ${nq} x ${ng}`, async () => {
    for (let i = 0; i < nq; i += 128) {
      const nb = Math.min(128, nq - i);
      await s.scores(qn.subarray(i * dim, (i + nb) * dim), nb, gn, ng, dim, buf);
    }
  });
  s.dispose();
  const identical = JSON.stringify(relevantRes) === JSON.stringify(fullRes);
  if (!identical) throw new Error(`ranking 'relevant' and 'full-sort' differ: ${JSON.stringify(relevantRes)} vs ${JSON.stringify(fullRes)}`);
  const small = { ...q, n: 500, data: q.data.subarray(0, 500 * dim), labels: q.labels.subarray(0, 500) };
  const js = await time(`plain JS, 500 x ${ng}`, () => retrievalMetrics(small, g));
  return { nq, ng, dim, metrics: relevantRes, identical, engine, engineFullSort, products, js };
}

/** The four compatibility variants of the ablation: gallery proxies copied and frozen? alignment term? */
const VARIANTS = [
  { name: 'independent', proxies: false, align: false },
  { name: 'head only (frozen paragon proxies)', proxies: true, align: false },
  { name: 'alignment only (own proxies)', proxies: false, align: true },
  { name: 'head + alignment', proxies: true, align: true },
] as const;

/** `--ablation`: the compatibility variants on one query architecture, 3 seeds. */
async function ablation(): Promise<void> {
  const paragonPath = resolve(flag('--paragon', 'paragon.onnx'));
  const seeds = flag('--seeds', '1,2,3').split(',').map(Number);
  const limit = Number(flag('--limit', '5000'));
  const epochs = Number(flag('--epochs', '4'));
  const lr = Number(flag('--lr', '3e-3'));
  const galleryN = Number(flag('--gallery', '5000'));
  const queriesN = Number(flag('--queries', '5000'));
  const spaceName = flag('--space', 'mbv2-micro');
  const archStr = flag('--arch', 'r28-w0.35:k3e1r|k3e1r|k3e1r|k3e1r');
  const only = flag('--variants', '0,1,2,3').split(',').map(Number);
  const out = flag('--out', 'retrieval-ablation.json');
  const log = (m: string): void => {
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  };
  await initEngine();
  const target = getTarget('bitfusion-edge');
  const space = getArchSpace(spaceName);
  const arch = space.parse(archStr);
  const size = archInputSize(arch) ?? 28;
  const backbone = space.graph(arch, { inputSize: size, inChannels: 1, classes: 10 });
  const paragon = galleryModel(loadOnnx(paragonPath), paragonPath);
  const ds = await loadDataset(`fashion-mnist;limit=${Math.max(galleryN, limit)}`, { size: 28, channels: 1 });
  const testDs = await loadDataset(`fashion-mnist;limit=${queriesN}`, { size: 28, channels: 1 });
  const sub = (sp: Split, n: number): Split => ({ x: sp.x.subarray(0, n * 784), y: sp.y.subarray(0, n), n: Math.min(n, sp.n) });
  const gallerySplit = sub(ds.train, galleryN);
  const trainSplit = sub(ds.train, limit);
  const test = testDs.test;
  const shape = [1, 28, 28] as const;
  const trainAt = splitAtSizes(trainSplit, shape)(size);
  const galleryAt = splitAtSizes(gallerySplit, shape)(size);
  const testAt = splitAtSizes(test, shape)(size);
  log(`paragon: embedding ${gallerySplit.n} gallery, ${trainSplit.n} training and ${test.n} query images`);
  const pm = buildModel(paragon.model);
  const galleryEmb = embed(pm, gallerySplit);
  const targets = limit === galleryN ? galleryEmb : embed(pm, trainSplit);
  const paragonTest = embed(pm, test);
  pm.dispose();
  const paragonFig = fig(await scoreEmbeddings(paragonTest, test.y, galleryEmb, gallerySplit.y, paragon.dim));
  const pLat = await archLatencyMs(target, paragon.model.graph, defaultPolicy(target));
  const qLat = await archLatencyMs(target, backbone, defaultPolicy(target));
  const pMacs = graphTotals(paragon.model.graph).macs;
  const qMacs = graphTotals(backbone).macs;
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
    settings: { paragon: paragonPath, space: spaceName, arch: archStr, inputSize: size, seeds, limit, epochs, lr, galleryN, queriesN },
    paragon: { ...paragonFig, macs: pMacs, latencyMs: pLat.latencyMs },
    query: { macs: qMacs, latencyMs: qLat.latencyMs, macsReduction: pMacs / qMacs, latencyReduction: pLat.latencyMs / qLat.latencyMs },
    runs: [] as unknown[],
    load: [loadavg()[0]],
  };
  const save = (): void => writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  log(`paragon mAP ${paragonFig.map.toFixed(4)}; query ${archStr}: ${(pMacs / qMacs).toFixed(1)}x fewer MACs`);
  save();
  for (const seed of seeds) {
    for (const vi of only) {
      const v = VARIANTS[vi];
      if (!v) throw new Error(`--variants: ${vi} is not 0..3`);
      const model = buildRetrievalModel(
        { graph: backbone, weights: new Map() },
        { dim: paragon.dim, classes: 10, seed, ...(v.proxies ? { proxies: paragon.proxies } : {}) },
      );
      const em = buildModel(model);
      try {
        const t0 = performance.now();
        const r = await trainEmbedding(em, trainAt, {
          epochs,
          batchSize: 64,
          lr,
          seed,
          schedule: 'cosine',
          freezeProxies: v.proxies,
          ...(v.align ? { align: { targets, weight: 1 } } : {}),
        });
        const q = embed(em, testAt);
        const cross = fig(await scoreEmbeddings(q, test.y, galleryEmb, gallerySplit.y, paragon.dim));
        const own = fig(await scoreEmbeddings(q, test.y, embed(em, galleryAt), gallerySplit.y, paragon.dim));
        const run = {
          seed,
          variant: v.name,
          cross,
          own,
          trainLoss: r.loss,
          seconds: (performance.now() - t0) / 1000,
          gapPoints: (paragonFig.map - cross.map) * 100,
        };
        (result.runs as unknown[]).push(run);
        log(`seed ${seed} ${v.name}: cross mAP ${cross.map.toFixed(4)}, own ${own.map.toFixed(4)} (${run.seconds.toFixed(0)} s)`);
      } finally {
        em.dispose();
      }
      result.load = [...(result.load as number[]), loadavg()[0]];
      save();
    }
  }
  log(`done: ${out}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--ablation')) return ablation();
  if (process.argv.includes('--metrics-speed')) {
    const r = await metricsSpeed(10_000, 60_000, Number(flag('--dim', '64')));
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const paragonPath = resolve(flag('--paragon', 'paragon.onnx'));
  const seeds = flag('--seeds', '1,2,3').split(',').map(Number);
  const budget = Number(flag('--budget', '8'));
  const limit = Number(flag('--limit', '2000'));
  const epochs = Number(flag('--epochs', '1'));
  const galleryN = Number(flag('--gallery', '5000'));
  const queriesN = Number(flag('--queries', '5000'));
  const out = flag('--out', 'retrieval-bench.json');
  const smallest = flag('--small', 'r28-w0.5:k3e1r|k3e1r|k3e1r|k3e1r');
  const spaceName = flag('--space', 'mbv2');
  const nasLimit = Number(flag('--nas-limit', String(limit)));
  const nasEpochs = Number(flag('--nas-epochs', String(epochs)));
  // default: the goal's cost measure (MACs), so the search's front and the pick rule below use the same cost
  const objectives = flag('--objectives', 'map:max,macs:min');
  const minReduction = parseReduction('--min-reduction', flag('--min-reduction', '0'));
  // `--min-latency-reduction X`: the pick also needs >= X times lower bitfusion-edge latency than the paragon
  const minLatencyReduction = parseReduction('--min-latency-reduction', flag('--min-latency-reduction', '0'));
  // `--nas-align W`: the alignment weight of each search trial's compatible training (`hwnas nas --align-weight`)
  const nasAlign = parseNasAlign(process.argv.includes('--nas-align') ? flag('--nas-align', '') : undefined);
  // `--nas-strategy S` (default nsga2) and `--nas-max-latency MS` (hwnas nas --max-latency: trials above it are
  // infeasible; --nas-strategy capacity repairs architectures under it)
  const nasStrategy = flag('--nas-strategy', 'nsga2');
  const nasMaxLatency = process.argv.includes('--nas-max-latency') ? parseNasMaxLatency(flag('--nas-max-latency', '')) : undefined;
  const baselinesOn = !process.argv.includes('--no-baselines');
  // `--retrain-each`: each seed's pick retrained (first --retrain-epochs count) right after its search, not after all searches
  const retrainEach = process.argv.includes('--retrain-each');
  // the picks' retraining: one run per epoch count, all searches first (default: --epochs only)
  const retrainEpochs = flag('--retrain-epochs', String(epochs)).split(',').map(Number);
  for (const e of retrainEpochs) if (!(Number.isInteger(e) && e > 0)) throw new Error(`--retrain-epochs: ${e} is not a positive integer`);
  // `--recipes E:N[:W],...`: the picks' retraining recipes (default: --retrain-epochs on --limit images, weight 1)
  const TRAIN_IMAGES = 55_000; // Fashion-MNIST's training split in hwnas
  const recipes = parseRecipes(flag('--recipes', retrainEpochs.map((e) => `${e}:${limit}:1`).join(',')), TRAIN_IMAGES);
  // `--gallery-also N,...`: also score the paragon and the picks against the first N training images as the gallery
  const extraGalleries = parseGallerySizes(flag('--gallery-also', ''), TRAIN_IMAGES);
  // `--paragon-only`: stop after the paragon's own figures
  const paragonOnly = process.argv.includes('--paragon-only');
  const scoreOn = flag('--score', 'test');
  if (!['test', 'val', 'both'].includes(scoreOn)) throw new Error(`--score '${scoreOn}': expected test, val or both`);
  const valFrom = Number(flag('--val-from', String(nasLimit)));
  const valN = Number(flag('--val-queries', String(5000 - valFrom)));
  if (scoreOn !== 'test' && !(Number.isInteger(valFrom) && valFrom >= 0 && Number.isInteger(valN) && valN > 0 && valFrom + valN <= 5000))
    throw new Error(`--val-from ${valFrom} --val-queries ${valN}: expected a range of whole images inside the 5,000 validation images`);
  // `--picks 1=arch;2=arch`: seeds whose search already ran elsewhere; their recorded pick is retrained, no search
  const givenPicks = new Map<number, string>(
    flag('--picks', '')
      .split(';')
      .filter((x) => x.includes('='))
      .map((x) => [Number(x.slice(0, x.indexOf('='))), x.slice(x.indexOf('=') + 1)] as const),
  );
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
    settings: {
      paragon: paragonPath,
      seeds,
      budget,
      limit,
      epochs,
      retrainEpochs,
      recipes,
      score: scoreOn,
      ...(scoreOn !== 'test' ? { valQueries: [valFrom, valFrom + valN] } : {}),
      picks: Object.fromEntries(givenPicks),
      galleryN,
      extraGalleries,
      queriesN,
      smallest,
      spaceName,
      nasLimit,
      nasEpochs,
      objectives,
      minReduction,
      minLatencyReduction,
      ...(nasAlign !== undefined ? { nasAlign } : {}),
      nasStrategy,
      ...(nasMaxLatency !== undefined ? { nasMaxLatency } : {}),
    },
    load: [loadavg()[0]],
  };
  const save = (): void => writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const log = (s: string): void => {
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  };
  await initEngine();
  const space = getArchSpace(spaceName);
  const target = getTarget('bitfusion-edge');
  const paragon = galleryModel(loadOnnx(paragonPath), paragonPath);
  const maxImages = Math.max(limit, ...recipes.map((r) => r.images), ...extraGalleries);
  // `limit=` cuts every split to its first images: the training prefix is the same for every limit
  const ds = await loadDataset(`fashion-mnist;limit=${Math.max(galleryN, maxImages, 5000)}`, { size: 28, channels: 1 });
  const sub = (sp: Split, from: number, n: number): Split => {
    const m = Math.max(0, Math.min(n, sp.n - from));
    return { x: sp.x.subarray(from * 784, (from + m) * 784), y: sp.y.subarray(from, from + m), n: m };
  };
  const gallerySplit = sub(ds.train, 0, galleryN);
  const testDs = await loadDataset(`fashion-mnist;limit=${queriesN}`, { size: 28, channels: 1 });
  const test = testDs.test;
  const val = sub(ds.val, valFrom, valN);
  // the query sets the retrained picks are scored on
  const querySets: { name: 'test' | 'val'; split: Split }[] = [
    ...(scoreOn !== 'test' ? [{ name: 'val' as const, split: val }] : []),
    ...(scoreOn !== 'val' ? [{ name: 'test' as const, split: test }] : []),
  ];
  // MACs of whole retrieval models on both sides (embedding head and proxies included: the paragon's file has
  // them, and the search's `macs` objective counts them for the query model); latency as the search measures it
  const costOf = async (g: Graph, macsGraph: Graph = g) => {
    const lat = await archLatencyMs(target, g, defaultPolicy(target));
    return { macs: graphTotals(macsGraph).macs, latencyMs: lat.latencyMs };
  };
  const retrievalGraph = (backbone: Graph): Graph =>
    buildRetrievalModel({ graph: backbone, weights: new Map() }, { dim: paragon.dim, classes: 10, seed: 0 }).graph;
  // 1. the paragon
  log(`paragon: embedding ${gallerySplit.n} gallery and ${test.n} query images`);
  const pm = buildModel(paragon.model);
  const galleryEmb = embed(pm, gallerySplit);
  const paragonTest = embed(pm, test);
  // alignment targets: the paragon's embeddings of the first maxImages training images (a recipe takes a prefix;
  // so does each --gallery-also gallery)
  const trainTargets = embed(pm, sub(ds.train, 0, maxImages));
  const extra = extraGalleries.map((n) => ({ n, emb: trainTargets.subarray(0, n * paragon.dim), y: sub(ds.train, 0, n).y }));
  const paragonVal = scoreOn !== 'test' ? embed(pm, val) : undefined;
  pm.dispose();
  const paragonBackbone = paragon.model.graph;
  const paragonCost = await costOf(paragonBackbone);
  const paragonFig = fig(await scoreEmbeddings(paragonTest, test.y, galleryEmb, gallerySplit.y, paragon.dim));
  const paragonValFig = paragonVal && fig(await scoreEmbeddings(paragonVal, val.y, galleryEmb, gallerySplit.y, paragon.dim));
  // the paragon against each extra gallery (test queries, and validation queries when scored)
  const paragonExtra: Record<number, { test: ReturnType<typeof fig>; val?: ReturnType<typeof fig> }> = {};
  for (const g of extra) {
    const t = fig(await scoreEmbeddings(paragonTest, test.y, g.emb, g.y, paragon.dim));
    const v = paragonVal && fig(await scoreEmbeddings(paragonVal, val.y, g.emb, g.y, paragon.dim));
    paragonExtra[g.n] = { test: t, ...(v ? { val: v } : {}) };
    log(`paragon mAP with a ${g.n}-image gallery ${t.map.toFixed(4)}${v ? ` (validation queries ${v.map.toFixed(4)})` : ''}`);
  }
  result.paragon = {
    ...paragonFig,
    ...paragonCost,
    dim: paragon.dim,
    ...(paragonValFig ? { val: paragonValFig } : {}),
    ...(extra.length > 0 ? { galleries: paragonExtra } : {}),
  };
  log(
    `paragon mAP ${paragonFig.map.toFixed(4)}${paragonValFig ? ` (validation queries ${paragonValFig.map.toFixed(4)})` : ''}, ${paragonCost.macs} MACs, ${paragonCost.latencyMs.toFixed(4)} ms`,
  );
  save();
  if (paragonOnly) {
    log(`done (--paragon-only): ${out}`);
    return;
  }

  /**
   * Trains arch `a` with a recipe (compatibly, or independently for align 'indep') and scores it cross-model (and
   * its own gallery) on the query sets of --score; `cross` / `own` / `mapGapPoints` are the last set's (test if scored).
   */
  const trainAndScore = async (arch: string, seed: number, recipe: Recipe, sets: typeof querySets = [{ name: 'test', split: test }]) => {
    const compatible = recipe.align !== 'indep';
    const a = space.parse(arch);
    const size = archInputSize(a) ?? 28;
    const backbone = space.graph(a, { inputSize: size, inChannels: 1, classes: 10 });
    const model = buildRetrievalModel(
      { graph: backbone, weights: new Map() },
      { dim: paragon.dim, classes: 10, seed, ...(compatible ? { proxies: paragon.proxies } : {}) },
    );
    const em = buildModel(model);
    try {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const base = { epochs: recipe.epochs, batchSize: 64, seed } as const;
      const at = (sp: Split) => splitAtSizes(sp, [1, 28, 28])(size);
      const targets = trainTargets.subarray(0, recipe.images * paragon.dim);
      const opts =
        recipe.align === 'indep' ? base : compatibleTrainOptions(base, recipe.align === 0 ? { targets, mode: 'head' } : { targets, alignWeight: recipe.align });
      const tr = await trainEmbedding(em, at(sub(ds.train, 0, recipe.images)), opts);
      const ownGallery = embed(em, at(gallerySplit));
      type Score = { cross: ReturnType<typeof fig>; own: ReturnType<typeof fig>; mapGapPoints: number };
      type ExtraScore = { cross: ReturnType<typeof fig>; mapGapPoints: number };
      const scores: Record<string, Score & { galleries?: Record<number, ExtraScore> }> = {};
      for (const { name, split } of sets) {
        const q = embed(em, at(split));
        const cross = fig(await scoreEmbeddings(q, split.y, galleryEmb, gallerySplit.y, paragon.dim));
        const own = fig(await scoreEmbeddings(q, split.y, ownGallery, gallerySplit.y, paragon.dim));
        const ref = name === 'val' ? (paragonValFig as ReturnType<typeof fig>) : paragonFig;
        // cross-model only against the extra galleries (the query model's own gallery stays the --gallery one)
        const galleries: Record<number, ExtraScore> = {};
        for (const g of extra) {
          const c = fig(await scoreEmbeddings(q, split.y, g.emb, g.y, paragon.dim));
          const pRef = paragonExtra[g.n] as (typeof paragonExtra)[number];
          const pMap = (name === 'val' ? (pRef.val as ReturnType<typeof fig>) : pRef.test).map;
          galleries[g.n] = { cross: c, mapGapPoints: (pMap - c.map) * 100 };
        }
        scores[name] = { cross, own, mapGapPoints: (ref.map - cross.map) * 100, ...(extra.length > 0 ? { galleries } : {}) };
      }
      const last = scores[(sets[sets.length - 1] as (typeof sets)[number]).name] as (typeof scores)[string];
      const cost = await costOf(backbone, model.graph);
      const cpu = process.cpuUsage(c0);
      return {
        arch,
        seed,
        compatible,
        epochs: recipe.epochs,
        recipe,
        scores,
        cross: last.cross,
        own: last.own,
        trainLoss: tr.loss,
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        ...cost,
        macsReduction: paragonCost.macs / cost.macs,
        latencyReduction: paragonCost.latencyMs / cost.latencyMs,
        mapGapPoints: last.mapGapPoints,
      };
    } finally {
      em.dispose();
    }
  };

  /** Retrains a seed's pick with a recipe and records it (`final` = its first retraining). */
  const retrain = async (s: { seed: number; pick: string; final?: unknown; finals: unknown[] }, r: Recipe): Promise<void> => {
    log(`seed ${s.seed}: retraining ${s.pick}, ${recipeLabel(r)}`);
    const run = await trainAndScore(s.pick, s.seed, r, querySets);
    s.finals.push(run);
    s.final ??= run;
    const figs = Object.entries(run.scores).map(
      ([k, v]) =>
        `${k} cross mAP ${v.cross.map.toFixed(4)} (gap ${v.mapGapPoints.toFixed(2)} points)` +
        Object.entries(v.galleries ?? {})
          .map(([n, g]) => `; ${n}-image gallery ${g.cross.map.toFixed(4)} (gap ${g.mapGapPoints.toFixed(2)})`)
          .join(''),
    );
    log(`seed ${s.seed}, ${recipeLabel(r)}: ${figs.join(', ')} (${run.seconds.toFixed(0)} s, ${run.cpuSeconds.toFixed(0)} CPU-s)`);
    result.load = [...(result.load as number[]), loadavg()[0]];
    save();
  };

  // 4. baselines first (cheap)
  const baselines: unknown[] = [];
  result.baselines = baselines;
  for (const seed of baselinesOn ? seeds : []) {
    for (const compatible of [false, true]) {
      log(`baseline ${compatible ? '(b) compatible' : '(a) independent'} seed ${seed}`);
      baselines.push(await trainAndScore(smallest, seed, { epochs, images: limit, align: compatible ? 1 : 'indep' }));
      save();
    }
  }
  // 2. CMP-NAS per seed through the CLI (the study loop), unless the seed's pick is given with --picks
  const searches: { seed: number; pick: string; final?: unknown; finals: unknown[]; [k: string]: unknown }[] = [];
  result.searches = searches;
  for (const seed of seeds) {
    const given = givenPicks.get(seed);
    if (given !== undefined) {
      log(`seed ${seed}: pick given (--picks), no search: ${given}`);
      searches.push({ seed, pick: given, given: true, finals: [] });
      save();
      continue;
    }
    log(`CMP-NAS seed ${seed}: budget ${budget}`);
    const t0 = performance.now();
    const store = join(dirname(resolve(out)), `retrieval-bench-${process.pid}.db`);
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'hwnas.js'),
        'nas',
        '--task',
        'retrieval',
        '--gallery-model',
        paragonPath,
        '--space',
        spaceName,
        '--dataset',
        'fashion-mnist',
        '--limit',
        String(nasLimit),
        '--epochs',
        String(nasEpochs),
        '--target',
        'bitfusion-edge',
        '--objectives',
        objectives,
        '--strategy',
        nasStrategy,
        ...(nasMaxLatency !== undefined ? ['--max-latency', String(nasMaxLatency)] : []),
        '--budget',
        String(budget),
        '--seed',
        String(seed),
        ...(nasAlign !== undefined ? ['--align-weight', String(nasAlign)] : []),
        '--store',
        store,
        '--json',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    if (r.status !== 0) throw new Error(`hwnas nas failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const nas = JSON.parse(r.stdout) as { pareto: { arch: string; values: { map: number } }[]; study: string };
    const seconds = (performance.now() - t0) / 1000;
    // the most accurate front point at least --min-reduction x cheaper in MACs and --min-latency-reduction x in
    // bitfusion-edge latency than the paragon (else the cheapest by the rule's measure); costs as the retraining reports them
    const front: (FrontPoint & { values: { map: number }; macs: number; latencyMs: number })[] = [];
    for (const p of nas.pareto) {
      const a = space.parse(p.arch);
      const backbone = space.graph(a, { inputSize: archInputSize(a) ?? 28, inChannels: 1, classes: 10 });
      const c = await costOf(backbone, retrievalGraph(backbone));
      front.push({ ...p, ...c, macsReduction: paragonCost.macs / c.macs, latencyReduction: paragonCost.latencyMs / c.latencyMs });
    }
    const { point: best, qualified } = pickPoint(front, minReduction, minLatencyReduction);
    if (!qualified) log(`seed ${seed}: no front point meets the reduction rule; the cheapest taken`);
    log(`seed ${seed}: front ${nas.pareto.length} points in ${seconds.toFixed(0)} s; pick ${best.arch}`);
    searches.push({ seed, seconds, study: nas.study, store, pareto: front, pick: best.arch, pickQualified: qualified, finals: [] });
    result.load = [...(result.load as number[]), loadavg()[0]];
    save();
    if (retrainEach) await retrain(searches[searches.length - 1] as (typeof searches)[number], recipes[0] as Recipe);
  }
  // 3. every seed's pick retrained, per recipe (final = the first recipe's run)
  for (const [i, r] of recipes.entries()) {
    for (const s of searches) {
      if (retrainEach && i === 0 && s.final !== undefined) continue;
      await retrain(s, r);
    }
  }
  log(`done: ${out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
