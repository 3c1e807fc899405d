/** Tasks: what is learned and how it is scored (re-exports of src/tasks). */
export { classification, classifierNode, requireOneOutput } from './classification.js';
export { getTask, taskNames, taskOfGraph } from './registry.js';
export {
  COMPAT_MODES,
  type CompatMode,
  EMBEDDING_DENSE,
  EMBEDDING_OUTPUT,
  PROXIES_OUTPUT,
  RETRIEVAL_LOSSES,
  type RetrievalLoss,
  retrieval,
  retrievalGraph,
} from './retrieval.js';
export {
  averagePrecisions,
  type Embeddings,
  jsScores,
  l2Normalize,
  type RetrievalMetrics,
  type RetrievalMetricsOptions,
  retrievalMetrics,
  retrievalMetricsReference,
  type ScoreFn,
} from './retrieval-metrics.js';
export type { HeadOptions, Task, TaskName } from './types.js';
