/**
 * The retrieval code paths of `hwnas train --task retrieval` and `hwnas eval --task retrieval` (train.ts and
 * eval.ts dispatch here). Protocol: gallery = the data set's training split, queries = its test split,
 * relevant = same class (docs/retrieval.md).
 */
import type { Dataset, Split } from '../../data/index.js';
import type { MetricLossName } from '../../engine/index.js';
import { UserError } from '../../errors.js';
import { initWeights, type Model } from '../../ir/index.js';
import { loadOnnx, saveOnnx } from '../../onnx/index.js';
import { loadModelSpec } from '../../onnx/model-source.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import { COMPAT_MODES, type CompatMode, RETRIEVAL_LOSSES, type RetrievalMetrics } from '../../tasks/index.js';
import { Rng } from '../../util/rng.js';
import { checkOutPath, floatOption, intOption, printJson } from '../io.js';
import { createProgress } from '../progress.js';
import { datasetForShapes, type TrainFlags, trainOptionsFromFlags } from './train.js';

/** Flags of `hwnas train --task retrieval`. */
export interface RetrievalTrainFlags extends TrainFlags {
  readonly dataset: string;
  readonly out?: string;
  readonly embeddingDim?: string;
  readonly loss?: string;
  readonly compatibleWith?: string;
  readonly alignWeight?: string;
  readonly compat?: string;
  readonly valEvery?: string;
}

/** One epoch of `hwnas train --task retrieval`: its training loss and, every --val-every epochs, validation figures. */
export interface RetrievalEpoch {
  readonly epoch: number;
  readonly loss: number;
  readonly seconds: number;
  /** Validation queries against the training split: cross-model (gallery model's embeddings) when compatible, else the model's own. */
  readonly val?: { map: number; recallAt1: number; recallAt5: number };
  readonly valSeconds?: number;
}

/**
 * Default λ of the alignment term of `hwnas train --task retrieval --compatible-with` (`--align-weight`). 100, not 1:
 * on the reduced Fashion-MNIST protocol (24 epochs x 20,000 images, frozen paragon proxies) λ 100 raised test
 * cross-model mAP over λ 1 on all 6 runs measured (3 CMP-NAS picks, seeds 1-3, +4.8 points mean; the hand-picked
 * baseline, seeds 1-3, +5.1) and the picks' recall@1 by 0.8 points; it lowered their recall@5 by 2.7 points. λ 300
 * was indistinguishable on validation (+0.12 mean; BENCHMARKS.md, seventh and eighth retrieval passes).
 */
export const DEFAULT_ALIGN_WEIGHT = 100;

/** The three figures of one (query, gallery) pair of embedders. */
function figures(m: RetrievalMetrics): { map: number; recallAt1: number; recallAt5: number } {
  return { map: m.map, recallAt1: m.recallAt1, recallAt5: m.recallAt5 };
}

/**
 * A backbone from a model spec: `zoo:<name>[?..]`, a .onnx / .json file, or `space:<space>:<arch>` (an
 * architecture of an architecture space, e.g. `space:mbv2:r28-w1:k3e6r|...`; its width may lie outside the
 * space's list, e.g. w1.4 for a paragon), built for `channels` input channels and `classes` outputs.
 */
export function backboneFromSpec(spec: string, seed: number, channels = 1, classes = 10): Model {
  if (!spec.startsWith('space:')) return loadModelSpec(spec, seed);
  const rest = spec.slice('space:'.length);
  const at = rest.indexOf(':');
  if (at < 1) throw new UserError(`model '${spec}': expected space:<space>:<arch>, e.g. space:mbv2:r28-w1:k3e1r|k3e6r|k3e6r|k3e6r`);
  const space = getArchSpace(rest.slice(0, at));
  const archStr = rest.slice(at + 1);
  const m = /-w([0-9.]+):/.exec(archStr);
  const width = m ? Number(m[1]) : Number.NaN;
  const listed = space.options?.widths ?? [];
  // a width outside the space's list (a paragon): parse at a listed width, then build at the asked one
  const parseStr = m && !listed.includes(width) && listed.length > 0 ? archStr.replace(`-w${m[1]}:`, `-w${listed[0]}:`) : archStr;
  if (m && !(width > 0 && width <= 4)) throw new UserError(`model '${spec}': width ${m[1]} is out of range, expected 0 < width <= 4`);
  const parsed = space.parse(parseStr) as { width?: number };
  const arch = m && parsed.width !== undefined ? { ...parsed, width } : parsed;
  const graph = space.graph(arch, { inChannels: channels, classes });
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}

function checkLoss(v: string | undefined): MetricLossName {
  const l = v ?? 'norm-softmax';
  if (!(RETRIEVAL_LOSSES as readonly string[]).includes(l)) throw new UserError(`--loss '${l}': expected one of ${RETRIEVAL_LOSSES.join(', ')}`);
  return l as MetricLossName;
}

/** Rejects classification-only flags given with --task retrieval. */
function rejectFlags(f: Record<string, unknown>, names: readonly [string, string][]): void {
  for (const [k, flag] of names) if (f[k] !== undefined && f[k] !== false) throw new UserError(`${flag} does not apply to --task retrieval`);
}

/** `hwnas train <model> --task retrieval`. */
export async function trainRetrieval(spec: string, f: RetrievalTrainFlags): Promise<void> {
  rejectFlags(f as unknown as Record<string, unknown>, [
    ['labelSmoothing', '--label-smoothing'],
    ['augment', '--augment'],
  ]);
  const opts = trainOptionsFromFlags({ ...f, workers: '1' }, { epochs: 1 });
  const limit = f.limit !== undefined ? intOption('--limit', f.limit, 0, 1) : undefined;
  if (f.out !== undefined)
    checkOutPath('--out', f.out, [
      ['model', spec],
      ['--compatible-with', f.compatibleWith],
    ]);
  if (f.out !== undefined && !f.out.endsWith('.onnx')) throw new UserError(`--out '${f.out}': expected a .onnx file`);
  const loss = checkLoss(f.loss);
  const alignWeight = floatOption(
    '--align-weight',
    f.alignWeight,
    DEFAULT_ALIGN_WEIGHT,
    0,
    `the weight λ of the alignment term; default ${DEFAULT_ALIGN_WEIGHT}`,
  );
  if (f.alignWeight !== undefined && f.compatibleWith === undefined) throw new UserError('--align-weight applies with --compatible-with <gallery.onnx> only');
  if (f.compat !== undefined && f.compatibleWith === undefined) throw new UserError('--compat applies with --compatible-with <gallery.onnx> only');
  const compat = (f.compat ?? 'both') as CompatMode;
  if (!(COMPAT_MODES as readonly string[]).includes(compat)) throw new UserError(`--compat '${f.compat}': expected one of ${COMPAT_MODES.join(', ')}`);
  if (compat === 'head' && f.alignWeight !== undefined) throw new UserError('--align-weight does not apply with --compat head (no alignment term)');
  const valEvery = intOption('--val-every', f.valEvery, 0, 0);
  const seed = opts.seed ?? 0;
  const { buildModel, initEngine, trainEmbedding } = await import('../../engine/index.js');
  const { buildRetrievalModel, compatibleTrainOptions, embed, galleryModel, scoreEmbeddings } = await import('../../nas/retrieval.js');
  const gallery = f.compatibleWith !== undefined ? galleryModel(loadOnnx(checkExists(f.compatibleWith, '--compatible-with')), f.compatibleWith) : undefined;
  const dimDefault = gallery?.dim ?? 64;
  const dim = intOption('--embedding-dim', f.embeddingDim, dimDefault, 2);
  if (gallery && dim !== gallery.dim)
    throw new UserError(
      `--embedding-dim ${dim} differs from the gallery model's embedding dimension ${gallery.dim}: compatible embeddings must have the same dimension`,
    );
  const backbone = backboneFromSpec(spec, seed);
  const inShape = (backbone.graph.nodes[0] as { shape: readonly number[] }).shape;
  const classesOut = (backbone.graph.nodes.find((n) => n.name === backbone.graph.outputs[0]) as { outFeatures?: number } | undefined)?.outFeatures;
  const ds = await datasetForShapes(f.dataset, inShape, [classesOut ?? -1], limit, spec);
  const gds = gallery ? await galleryDataset(f.dataset, gallery.inputShape, ds.numClasses, limit, f.compatibleWith as string) : undefined;
  if (gallery && gallery.classes !== ds.numClasses)
    throw new UserError(`gallery model has ${gallery.classes} class proxies, data set '${ds.name}' ${ds.numClasses} classes`);
  if (valEvery > 0 && ds.val.n === 0) throw new UserError(`--val-every ${valEvery}: data set '${f.dataset}' has no validation split`);
  const backend = await initEngine();
  const model = buildRetrievalModel(backbone, { dim, classes: ds.numClasses, seed, ...(gallery && compat !== 'align' ? { proxies: gallery.proxies } : {}) });
  const em = buildModel(model);
  const quiet = !!f.json;
  try {
    let targets: Float32Array | undefined;
    let galleryTrain: Float32Array | undefined;
    let galleryTest: Float32Array | undefined;
    if (gallery && gds) {
      const gm = buildModel(gallery.model);
      try {
        targets = embed(gm, gds.train);
        galleryTrain = targets;
        galleryTest = embed(gm, gds.test);
      } finally {
        gm.dispose();
      }
    }
    const batches = Math.ceil(ds.train.n / (opts.batchSize ?? 64));
    const bar = createProgress({
      total: batches * opts.epochs,
      label: gallery ? 'train (compatible)' : 'train (retrieval)',
      fields: ['epoch', 'loss', 'img/s'],
      quiet,
    });
    const base = {
      epochs: opts.epochs,
      batchSize: opts.batchSize ?? 64,
      lr: opts.lr ?? 3e-3,
      seed,
      loss,
      optimizer: opts.optimizer ?? 'adam',
      schedule: opts.schedule ?? 'cosine',
      weightDecay: opts.weightDecay ?? 0,
    } as const;
    // --val-every: the validation split as queries against the training split, the gallery embedded by the
    // gallery model (compatible training: cross-model, fixed embeddings) or by the model as trained so far
    const valKind = galleryTrain ? 'cross-model' : 'query-model';
    const perEpoch: RetrievalEpoch[] = [];
    const onEpochEnd = async (e: { epoch: number; loss: number; seconds: number }): Promise<void> => {
      const n = e.epoch + 1;
      if (!(valEvery > 0 && (n % valEvery === 0 || n === opts.epochs))) {
        perEpoch.push({ epoch: n, loss: e.loss, seconds: e.seconds });
        return;
      }
      const t0 = performance.now();
      const q = embed(em, ds.val);
      const m = figures(await scoreEmbeddings(q, ds.val.y, galleryTrain ?? embed(em, ds.train), ds.train.y, dim));
      const valSeconds = (performance.now() - t0) / 1000;
      perEpoch.push({ epoch: n, loss: e.loss, seconds: e.seconds, val: m, valSeconds });
      if (!quiet)
        process.stderr.write(
          `${process.stderr.isTTY ? '\r\x1b[K' : ''}epoch ${n}/${opts.epochs}: loss ${e.loss.toFixed(4)}, validation ${valKind} mAP ${(m.map * 100).toFixed(2)}%, ` +
            `recall@1 ${(m.recallAt1 * 100).toFixed(2)}% (${ds.val.n} queries, ${valSeconds.toFixed(1)} s)\n`,
        );
    };
    const r = await trainEmbedding(em, ds.train, {
      ...(targets ? compatibleTrainOptions(base, { targets, alignWeight, mode: compat }) : base),
      onProgress: (p) => bar.update(p.step + 1, { epoch: `${p.epoch + 1}/${p.epochs}`, loss: p.loss.toFixed(4), 'img/s': Math.round(p.imagesPerSec) }),
      onEpochEnd,
    });
    bar.stop();
    const evalBar = createProgress({ total: ds.test.n, label: 'retrieval metrics', quiet });
    const qTest = embed(em, ds.test);
    const own = await scoreEmbeddings(qTest, ds.test.y, embed(em, ds.train), ds.train.y, dim, (d) => evalBar.update(d));
    let cross: RetrievalMetrics | undefined;
    let galleryTestFigures: RetrievalMetrics | undefined;
    if (galleryTrain && galleryTest) {
      cross = await scoreEmbeddings(qTest, ds.test.y, galleryTrain, ds.train.y, dim);
      galleryTestFigures = await scoreEmbeddings(galleryTest, ds.test.y, galleryTrain, ds.train.y, dim);
    }
    evalBar.stop();
    if (f.out) saveOnnx(em.toModel(), f.out);
    const result = {
      model: spec,
      task: 'retrieval',
      dataset: ds.name,
      protocol: { gallery: `train split (${ds.train.n})`, queries: `test split (${ds.test.n})`, relevant: 'same class' },
      embeddingDim: dim,
      loss,
      epochs: opts.epochs,
      ...(gallery ? { compatibleWith: f.compatibleWith, compat, ...(compat !== 'head' ? { alignWeight } : {}) } : {}),
      queryModel: figures(own),
      ...(cross ? { crossModel: figures(cross) } : {}),
      ...(galleryTestFigures ? { galleryModel: figures(galleryTestFigures) } : {}),
      trainLoss: r.loss,
      ...(valEvery > 0 ? { valEvery, valQueries: `val split (${ds.val.n})`, valFigures: valKind } : {}),
      perEpoch,
      trainImagesPerSec: r.imagesPerSec,
      trainSeconds: r.seconds,
      backend,
      seed,
      ...(f.out ? { out: f.out } : {}),
    };
    if (f.json) printJson(result);
    else
      process.stdout.write(
        `${spec} on ${ds.name} (retrieval, d=${dim}, ${loss}): mAP ${(own.map * 100).toFixed(2)}%, recall@1 ${(own.recallAt1 * 100).toFixed(2)}%` +
          `${cross ? `; cross-model with ${f.compatibleWith}: mAP ${(cross.map * 100).toFixed(2)}%, recall@1 ${(cross.recallAt1 * 100).toFixed(2)}%` : ''}` +
          `${f.out ? `; wrote ${f.out}` : ''}\n`,
      );
  } finally {
    em.dispose();
  }
}

function checkExists(path: string, flag: string): string {
  if (!path.endsWith('.onnx')) throw new UserError(`${flag} '${path}': expected a .onnx retrieval model`);
  return path;
}

async function galleryDataset(spec: string, inShape: readonly number[], classes: number, limit: number | undefined, label: string): Promise<Dataset> {
  return datasetForShapes(spec, inShape, [classes], limit, label);
}

/** An ONNX retrieval model's embeddings of a split, run in onnxruntime-node (first output). */
export async function onnxEmbeddings(path: string, split: Split, batch = 256): Promise<{ data: Float32Array; dim: number; imagesPerSec: number }> {
  const { createSession, runOnnx } = await import('../../onnx/ort.js');
  const s = await createSession(path);
  try {
    const per = s.inputShape.reduce((a, b) => a * b, 1);
    if (per * split.n !== split.x.length)
      throw new UserError(`'${path}' expects input [${s.inputShape.join(',')}] but the data set gives ${split.x.length / split.n} values per sample`);
    const dim = s.outputShape?.[0] ?? -1;
    if (!(dim > 0)) throw new UserError(`'${path}': first output has no fixed embedding dimension`);
    const out = new Float32Array(split.n * dim);
    const t0 = performance.now();
    for (let i = 0; i < split.n; i += batch) {
      const b = Math.min(batch, split.n - i);
      out.set(await runOnnx(s, split.x.subarray(i * per, (i + b) * per), b), i * dim);
    }
    return { data: out, dim, imagesPerSec: split.n / ((performance.now() - t0) / 1000) };
  } finally {
    await s.session.release();
  }
}

/** Input shape and class count of an ONNX retrieval model (outputs embedding, proxies), read from a session. */
async function retrievalShapes(path: string): Promise<{ input: number[]; dim: number; classes: number }> {
  if (!path.endsWith('.onnx')) throw new UserError(`eval --task retrieval takes .onnx files, got '${path}'`);
  const { createSession } = await import('../../onnx/ort.js');
  const s = await createSession(path);
  try {
    const names = s.session.outputNames;
    const meta = s.session.outputMetadata[1];
    if (names[0] !== 'embedding' || names[1] !== 'proxies' || !meta?.isTensor)
      throw new UserError(`'${path}' is not a retrieval model: outputs [${names.join(', ')}], expected [embedding, proxies] (hwnas train --task retrieval)`);
    const classes = meta.shape[1];
    const dim = s.outputShape?.[0];
    if (typeof classes !== 'number' || typeof dim !== 'number') throw new UserError(`'${path}': embedding or proxies output has no fixed size`);
    return { input: [...s.inputShape], dim, classes };
  } finally {
    await s.session.release();
  }
}

/** Flags of `hwnas eval --task retrieval`. */
export interface RetrievalEvalFlags {
  readonly dataset: string;
  readonly galleryModel?: string;
  readonly batchSize?: string;
  readonly split?: string;
  readonly json?: boolean;
}

/** `hwnas eval <q.onnx> --task retrieval [--gallery-model g.onnx]`: query / gallery / cross-model figures in onnxruntime. */
export async function evalRetrieval(path: string, f: RetrievalEvalFlags): Promise<void> {
  if (f.split !== undefined && f.split !== 'test')
    throw new UserError(`--split ${f.split}: retrieval queries are the test split (gallery: the training split)`);
  const batch = intOption('--batch-size', f.batchSize, 256, 1);
  const q = await retrievalShapes(path);
  const g = f.galleryModel !== undefined ? await retrievalShapes(f.galleryModel) : undefined;
  if (g && g.dim !== q.dim) throw new UserError(`query model embeds in ${q.dim} dimensions, gallery model '${f.galleryModel}' in ${g.dim}: not comparable`);
  const ds = await datasetForShapes(f.dataset, q.input, [q.classes], undefined, path);
  if (ds.test.n === 0 || ds.train.n === 0)
    throw new UserError(`--dataset '${f.dataset}' needs a training split (gallery) and a test split (queries); one is empty`);
  const gds = g
    ? g.input.join() === q.input.join()
      ? ds
      : await datasetForShapes(f.dataset, g.input, [g.classes], undefined, f.galleryModel as string)
    : undefined;
  const quiet = !!f.json;
  const bar = createProgress({ total: 2, label: 'embed (onnxruntime)', quiet });
  const t0 = performance.now();
  const qq = await onnxEmbeddings(path, ds.test, batch);
  const qg = await onnxEmbeddings(path, ds.train, batch);
  bar.update(1);
  const gq = g && gds ? await onnxEmbeddings(f.galleryModel as string, gds.test, batch) : undefined;
  const gg = g && gds ? await onnxEmbeddings(f.galleryModel as string, gds.train, batch) : undefined;
  bar.update(2);
  bar.stop();
  const embedSeconds = (performance.now() - t0) / 1000;
  const { scoreEmbeddings } = await import('../../nas/retrieval.js');
  const t1 = performance.now();
  const own = await scoreEmbeddings(qq.data, ds.test.y, qg.data, ds.train.y, q.dim);
  const gal = gq && gg ? await scoreEmbeddings(gq.data, ds.test.y, gg.data, ds.train.y, q.dim) : undefined;
  const cross = gg ? await scoreEmbeddings(qq.data, ds.test.y, gg.data, ds.train.y, q.dim) : undefined;
  const metricSeconds = (performance.now() - t1) / 1000;
  const result = {
    model: path,
    task: 'retrieval',
    dataset: ds.name,
    protocol: { gallery: `train split (${ds.train.n})`, queries: `test split (${ds.test.n})`, relevant: 'same class' },
    embeddingDim: q.dim,
    queryModel: figures(own),
    ...(gal ? { galleryModel: { model: f.galleryModel, ...figures(gal) } } : {}),
    ...(cross ? { crossModel: figures(cross) } : {}),
    queryImagesPerSec: qq.imagesPerSec,
    embedSeconds,
    metricSeconds,
  };
  if (f.json) printJson(result);
  else {
    const line = (name: string, m: { map: number; recallAt1: number; recallAt5: number }): string =>
      `${name}: mAP ${(m.map * 100).toFixed(2)}%, recall@1 ${(m.recallAt1 * 100).toFixed(2)}%, recall@5 ${(m.recallAt5 * 100).toFixed(2)}%\n`;
    process.stdout.write(
      `${ds.test.n} ${ds.name} test queries against a gallery of ${ds.train.n} training images (onnxruntime)\n${line('query model', own)}${gal ? line('gallery model', gal) : ''}${cross ? line('cross-model (query by the query model, gallery by the gallery model)', cross) : ''}`,
    );
  }
}
