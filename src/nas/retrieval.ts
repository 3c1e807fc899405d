/**
 * Compatible retrieval models (S7): training a query model against a frozen gallery model, cross-model
 * scoring, and the CMP-NAS trial evaluation (short compatible training of each architecture, cross-model
 * mAP on the validation queries against the training-split gallery embedded by the gallery model, and the
 * query model's cost on a hardware target).
 *
 * Compatibility (backward-compatible training, BCT-style): the query model's class proxies are the gallery
 * model's, copied in and frozen, so the query embedding is trained to be classified by the gallery's
 * classifier; an alignment term `λ · mean(1 - cos(q(x), g(x)))` pulls each training image's query
 * embedding towards the gallery model's embedding of the same image.
 */
import type { Dataset, Split } from '../data/types.js';
import { buildModel, type EmbeddingTrainOptions, type EngineModel, engineScores, initEngine, type MetricLossName, trainEmbedding } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { defaultPolicy, type PrecisionPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import { initWeights } from '../ir/init.js';
import type { Graph, Model } from '../ir/types.js';
import { graphTotals } from '../ir/workload.js';
import type { ArchSpace } from '../search/spaces/types.js';
import type { Objective } from '../search/types.js';
import type { EvaluationResult, Evaluator } from '../study/run-study.js';
import { COMPAT_MODES, type CompatMode, PROXIES_OUTPUT, retrieval, retrievalGraph } from '../tasks/retrieval.js';
import { type RetrievalMetrics, retrievalMetrics } from '../tasks/retrieval-metrics.js';
import { Rng } from '../util/rng.js';
import { type ArchLatencyOptions, archLatencyMs, archPolicy } from './cost.js';
import { metricsResult } from './objectives.js';
import { archInputSize, splitAtSizes } from './train-eval.js';

/** A gallery (paragon) retrieval model: its IR model, embedding dimension, classes and proxies (`[classes, dim]`, ONNX layout). */
export interface GalleryModel {
  readonly model: Model;
  readonly dim: number;
  readonly classes: number;
  readonly proxies: Float32Array;
  /** Per-sample input shape `[C, H, W]`. */
  readonly inputShape: readonly number[];
}

/** Checks that `model` is a retrieval model (outputs embedding and proxies) and reads its proxies. */
export function galleryModel(model: Model, label: string): GalleryModel {
  if (!retrieval.matches(model.graph))
    throw new ConfigError(
      `gallery model '${label}' is not a retrieval model: its outputs are ${model.graph.outputs.join(', ')}, expected embedding, proxies (train it with hwnas train --task retrieval)`,
    );
  const node = model.graph.nodes.find((n) => n.name === PROXIES_OUTPUT);
  const w = model.weights.get(`${PROXIES_OUTPUT}.weight`);
  if (node?.op !== 'dense' || !w) throw new ConfigError(`gallery model '${label}' has no dense '${PROXIES_OUTPUT}' layer with weights`);
  const input = model.graph.nodes.find((n) => n.op === 'input');
  return { model, dim: node.inFeatures, classes: node.outFeatures, proxies: w.data, inputShape: input && input.op === 'input' ? input.shape : [] };
}

/** Embeddings of `n` samples by an engine model (first output), in batches. */
export function embed(em: EngineModel, split: Split): Float32Array {
  return em.predict(split.x, split.n, { batchSize: 256 });
}

/** Metrics of query embeddings against gallery embeddings, matrix products on the engine. */
export async function scoreEmbeddings(
  q: Float32Array,
  qLabels: ArrayLike<number>,
  g: Float32Array,
  gLabels: ArrayLike<number>,
  dim: number,
  onProgress?: (done: number, total: number) => void,
): Promise<RetrievalMetrics> {
  await initEngine();
  const s = engineScores();
  try {
    return await retrievalMetrics(
      { data: q, n: q.length / dim, dim, labels: qLabels },
      { data: g, n: g.length / dim, dim, labels: gLabels },
      { scores: s.scores, ...(onProgress ? { onProgress } : {}) },
    );
  } finally {
    s.dispose();
  }
}

/** Options of {@link buildRetrievalModel}. */
export interface RetrievalModelOptions {
  readonly dim: number;
  readonly classes: number;
  readonly seed: number;
  /** Copy these proxies (`[classes, dim]`) into the new model (compatible training). */
  readonly proxies?: Float32Array;
}

/** A retrieval model (retrieval head on `backbone`) with seeded weights; `weights` of the backbone are kept where they fit. */
export function buildRetrievalModel(backbone: Model, o: RetrievalModelOptions): Model {
  const graph: Graph = retrievalGraph(backbone.graph, o.dim, o.classes);
  const weights = initWeights(graph, new Rng(o.seed));
  for (const [k, v] of backbone.weights) {
    const w = weights.get(k);
    if (w && w.data.length === v.data.length) weights.set(k, v);
  }
  if (o.proxies) {
    if (o.proxies.length !== o.classes * o.dim)
      throw new ConfigError(`gallery proxies have ${o.proxies.length} values, expected classes x dim = ${o.classes} x ${o.dim}`);
    weights.set(`${PROXIES_OUTPUT}.weight`, { shape: [o.classes, o.dim], data: o.proxies.slice() });
  }
  return { graph, weights };
}

/** Options of {@link compatibleTrainOptions}. */
export interface CompatibleOptions {
  /** Gallery embeddings of the training images (n x dim, split order). */
  readonly targets: Float32Array;
  /** λ of the alignment term (default 1). */
  readonly alignWeight?: number;
  /** Default 'both'. */
  readonly mode?: CompatMode;
}

/**
 * Training options of a query model compatible with a gallery model: frozen (copied) proxies plus alignment
 * (`mode` 'both'), or one of the two. The model must have been built with the gallery's proxies unless the
 * mode is 'align' ({@link buildRetrievalModel}'s `proxies`).
 */
export function compatibleTrainOptions(base: EmbeddingTrainOptions, c: CompatibleOptions): EmbeddingTrainOptions {
  const mode = c.mode ?? 'both';
  if (!(COMPAT_MODES as readonly string[]).includes(mode))
    throw new ConfigError(`compatibility mode '${String(mode)}': expected one of ${COMPAT_MODES.join(', ')}`);
  return {
    ...base,
    freezeProxies: mode !== 'align',
    ...(mode !== 'head' ? { align: { targets: c.targets, weight: c.alignWeight ?? 1 } } : {}),
  };
}

/** Metrics a retrieval trial can report (objective names). */
export const RETRIEVAL_METRICS = ['map', 'recall_at_1', 'recall_at_5', 'latency_ms', 'energy_mj', 'macs', 'params'] as const;

/** Options of {@link retrievalEvaluator}. */
export interface RetrievalEvaluatorOptions {
  readonly space: ArchSpace;
  readonly dataset: Dataset;
  readonly gallery: GalleryModel;
  readonly target: HardwareTarget;
  readonly objectives: readonly Objective[];
  /** Training epochs per trial (default 1). */
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  /** Loss of the query model against the gallery proxies (default 'norm-softmax'). */
  readonly loss?: MetricLossName;
  /** λ of the alignment term (default 1). */
  readonly alignWeight?: number;
  /** Gallery images (from the training split) used for scoring (default all). */
  readonly galleryLimit?: number;
  readonly policy?: PrecisionPolicy;
  readonly latency?: ArchLatencyOptions;
  readonly maxLatencyMs?: number;
}

/**
 * The CMP-NAS trial: builds the architecture with the retrieval head, copies in the gallery's proxies, trains
 * it compatibly (short), embeds the validation split (queries) and scores it against the training split
 * embedded once by the gallery model (cross-model mAP / recall), plus the query model's cost on the target.
 */
export function retrievalEvaluator(o: RetrievalEvaluatorOptions): Evaluator {
  for (const ob of o.objectives) {
    if (!(RETRIEVAL_METRICS as readonly string[]).includes(ob.name))
      throw new ConfigError(`objective '${ob.name}' is not measured by the retrieval evaluation: expected one of ${RETRIEVAL_METRICS.join(', ')}`);
  }
  if (o.dataset.numClasses !== o.gallery.classes)
    throw new ConfigError(`gallery model has ${o.gallery.classes} class proxies but data set '${o.dataset.name}' has ${o.dataset.numClasses} classes`);
  const [c, h] = o.dataset.shape;
  if (o.gallery.inputShape[1] !== h || o.gallery.inputShape[0] !== c)
    throw new ConfigError(`gallery model input [${o.gallery.inputShape.join(',')}] does not match the data set's [${o.dataset.shape.join(',')}]`);
  const trainAt = splitAtSizes(o.dataset.train, o.dataset.shape);
  const valAt = splitAtSizes(o.dataset.val, o.dataset.shape);
  let prepared: Promise<{ gallery: Float32Array; labels: ArrayLike<number>; targets: Float32Array }> | undefined;
  const prepare = async () => {
    await initEngine();
    const gm = buildModel(o.gallery.model);
    try {
      const targets = embed(gm, o.dataset.train);
      const gn = Math.min(o.galleryLimit ?? o.dataset.train.n, o.dataset.train.n);
      return { gallery: targets.subarray(0, gn * o.gallery.dim), labels: o.dataset.train.y.subarray(0, gn), targets };
    } finally {
      gm.dispose();
    }
  };
  return async (params, ctx): Promise<EvaluationResult> => {
    prepared ??= prepare();
    const g = await prepared;
    const a = o.space.fromParams(params);
    const arch = o.space.format(a);
    const size = archInputSize(a) ?? h;
    const backbone = o.space.graph(a, { inputSize: size, inChannels: c, classes: o.dataset.numClasses });
    const model = buildRetrievalModel(
      { graph: backbone, weights: new Map() },
      { dim: o.gallery.dim, classes: o.gallery.classes, seed: ctx.seed, proxies: o.gallery.proxies },
    );
    const policy = archPolicy(o.space, a, backbone, o.policy ?? defaultPolicy(o.target));
    const lat = await archLatencyMs(o.target, backbone, policy, o.latency ?? {});
    const totals = graphTotals(model.graph);
    const overBudget = o.maxLatencyMs !== undefined && lat.latencyMs > o.maxLatencyMs;
    let m: RetrievalMetrics | undefined;
    if (!overBudget) {
      const em = buildModel(model);
      try {
        const base: EmbeddingTrainOptions = {
          epochs: o.epochs ?? 1,
          batchSize: o.batchSize ?? 64,
          seed: ctx.seed,
          ...(o.lr !== undefined ? { lr: o.lr } : {}),
          ...(o.loss !== undefined ? { loss: o.loss } : {}),
        };
        await trainEmbedding(em, trainAt(size), compatibleTrainOptions(base, { targets: g.targets, alignWeight: o.alignWeight ?? 1 }));
        const val = valAt(size);
        if (val.n === 0) throw new ConfigError(`data set '${o.dataset.name}' has an empty validation split: cannot score queries`);
        m = await scoreEmbeddings(embed(em, val), val.y, g.gallery, g.labels, o.gallery.dim);
      } finally {
        em.dispose();
      }
    }
    const values: Record<string, number> = {
      map: m?.map ?? 0,
      recall_at_1: m?.recallAt1 ?? 0,
      recall_at_5: m?.recallAt5 ?? 0,
      latency_ms: lat.latencyMs,
      energy_mj: lat.energyMj,
      macs: totals.macs,
      params: totals.params,
    };
    return metricsResult(o, values, { arch, task: 'retrieval' }, overBudget ? { trained: false } : {});
  };
}
