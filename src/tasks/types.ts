/**
 * A task names what a model learns and how it is scored: the head put on a backbone graph, the losses
 * training may use, the metrics evaluation reports, and how data are paired into training targets and
 * evaluation queries. One file per task (classification.ts, retrieval.ts), looked up in registry.ts.
 */
import type { Graph } from '../ir/types.js';

/** Task names. */
export type TaskName = 'classification' | 'retrieval';

/** Options of {@link Task.head}. */
export interface HeadOptions {
  /** Classes of the data set (the classifier's outputs, or the number of class proxies). */
  readonly classes: number;
  /** Embedding dimension (retrieval). */
  readonly embeddingDim?: number;
}

/** A learning task. */
export interface Task {
  readonly name: TaskName;
  /** One line for `--help` and docs. */
  readonly description: string;
  /**
   * The task's graph from a backbone graph that ends in a classifier (a dense layer as its only output):
   * classification keeps it; retrieval replaces the classifier by an embedding layer plus class proxies.
   */
  head(backbone: Graph, o: HeadOptions): Graph;
  /** Loss names training accepts; the first is the default. */
  readonly losses: readonly string[];
  /** Metric names evaluation reports (JSON keys), the first is the headline. */
  readonly metrics: readonly string[];
  /** How data are paired: what a training sample's target is and what an evaluation query is scored against. */
  readonly pairing: string;
  /** True when `graph` is this task's graph (e.g. retrieval: outputs `embedding` and `proxies`). */
  matches(graph: Graph): boolean;
}
