/**
 * The retrieval task (visual search): a model maps an image to a d-dimensional L2-normalised embedding;
 * images are compared by cosine similarity. The head replaces a backbone's classifier by a dense layer
 * `embedding_fc` (d outputs) normalised in the graph by an `l2norm` node `embedding` (so the exported ONNX
 * file outputs the unit-norm embedding; the losses and metrics normalise again, a no-op on it) and
 * adds a bias-free dense layer `proxies` on top of it whose weight rows are the class proxies (one per
 * class) that the metric losses train; both are graph outputs, the embedding first, so an exported ONNX
 * file's first output is the embedding and the proxies travel inside the file (initializer
 * `proxies.weight`), where compatible training of a query model reads them.
 *
 * Protocol (docs/retrieval.md): gallery = the data set's training split, queries = its test split (the
 * validation split inside a search), relevant = the same class. Metrics: mAP, recall@1, recall@5.
 */
import { ConfigError } from '../errors.js';
import type { Graph, Node } from '../ir/types.js';
import { classifierNode } from './classification.js';
import type { HeadOptions, Task } from './types.js';

/** Name of the embedding node (and the first graph output) of a retrieval graph. */
export const EMBEDDING_OUTPUT = 'embedding';
/** Name of the dense layer whose output `embedding` normalises (its weights: `embedding_fc.weight`, `.bias`). */
export const EMBEDDING_DENSE = 'embedding_fc';
/** Name of the class-proxy node (the second output) of a retrieval graph; its weight rows are the proxies. */
export const PROXIES_OUTPUT = 'proxies';

/** Metric-learning losses of the engine (src/engine/metric-loss.ts). */
export const RETRIEVAL_LOSSES = ['norm-softmax', 'proxy-anchor'] as const;
/** A retrieval loss name. */
export type RetrievalLoss = (typeof RETRIEVAL_LOSSES)[number];

/**
 * What compatible training uses of the gallery model (src/nas/retrieval.ts): `both` (default) its proxies,
 * copied in and frozen, plus the alignment term; `head` its proxies only (BCT's influence loss alone);
 * `align` the alignment term only (the query model keeps and trains its own proxies).
 */
export const COMPAT_MODES = ['both', 'head', 'align'] as const;
/** A compatibility mode. */
export type CompatMode = (typeof COMPAT_MODES)[number];

/**
 * A retrieval graph from a backbone ending in a dense classifier: the classifier becomes `embedding_fc`
 * (`dim` outputs, with bias), L2-normalised by `embedding` (op `l2norm`), followed by `proxies` (`classes`
 * outputs, no bias: the cosines scaled by each proxy's norm). Outputs: embedding, proxies. Files written
 * before the l2norm op existed (`embedding` a dense layer, un-normalised) still load and match the task:
 * the losses and the metrics normalise again.
 */
export function retrievalGraph(backbone: Graph, dim: number, classes: number): Graph {
  if (!Number.isInteger(dim) || dim < 2 || dim > 4096) throw new ConfigError(`embedding dimension ${dim} is invalid: expected an integer from 2 to 4096`);
  if (!Number.isInteger(classes) || classes < 2) throw new ConfigError(`retrieval needs at least 2 classes, got ${classes}`);
  if (retrieval.matches(backbone)) throw new ConfigError(`model '${backbone.name}' is already a retrieval model (outputs ${backbone.outputs.join(', ')})`);
  const fc = classifierNode(backbone);
  for (const n of backbone.nodes) {
    if (n.name === EMBEDDING_OUTPUT || n.name === EMBEDDING_DENSE || n.name === PROXIES_OUTPUT)
      throw new ConfigError(`model '${backbone.name}' already has a node named '${n.name}'`);
  }
  const nodes: Node[] = backbone.nodes
    .filter((n) => n.name !== fc.name)
    .map((n) => (n.inputs.includes(fc.name) ? { ...n, inputs: n.inputs.map((i) => (i === fc.name ? EMBEDDING_OUTPUT : i)) } : n));
  nodes.push({ op: 'dense', name: EMBEDDING_DENSE, inputs: fc.inputs, inFeatures: fc.inFeatures, outFeatures: dim, bias: true });
  nodes.push({ op: 'l2norm', name: EMBEDDING_OUTPUT, inputs: [EMBEDDING_DENSE], axis: -1 });
  nodes.push({ op: 'dense', name: PROXIES_OUTPUT, inputs: [EMBEDDING_OUTPUT], inFeatures: dim, outFeatures: classes, bias: false });
  return { name: backbone.name, nodes, outputs: [EMBEDDING_OUTPUT, PROXIES_OUTPUT] };
}

/** Retrieval: embedding head, metric-learning losses, mAP and recall@k over a gallery. */
export const retrieval: Task = {
  name: 'retrieval',
  description: 'visual search: L2-normalised embeddings compared by cosine similarity; metric-learning losses; mAP, recall@1, recall@5',
  head(backbone: Graph, o: HeadOptions): Graph {
    return retrievalGraph(backbone, o.embeddingDim ?? 64, o.classes);
  },
  losses: RETRIEVAL_LOSSES,
  metrics: ['map', 'recallAt1', 'recallAt5'],
  pairing:
    'training: each image with its class label (the class proxy is its target); evaluation: gallery = the training split, queries = the test split (validation inside a search), relevant = same class',
  matches: (g) => g.outputs[0] === EMBEDDING_OUTPUT && g.outputs[1] === PROXIES_OUTPUT,
};
