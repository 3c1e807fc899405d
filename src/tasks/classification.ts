/** The classification task: a classifier's logits, softmax cross-entropy, top-1 accuracy (hwnas' original behaviour). */
import { ConfigError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { HeadOptions, Task } from './types.js';

/** The classifier output node of a graph: its only output, a dense layer (ConfigError otherwise). */
export function classifierNode(g: Graph): Extract<Graph['nodes'][number], { op: 'dense' }> {
  const name = g.outputs.length === 1 ? g.outputs[0] : undefined;
  const node = g.nodes.find((n) => n.name === name);
  if (node?.op !== 'dense')
    throw new ConfigError(
      `model '${g.name}' does not end in one dense classifier (outputs: ${g.outputs.join(', ')}): expected a backbone with a dense layer as its only output`,
    );
  return node;
}

/** Classification: the graph as it is; its output count must equal the data set's classes. */
export const classification: Task = {
  name: 'classification',
  description: 'image classification: logits of the classes, softmax cross-entropy, top-1 accuracy',
  head(backbone: Graph, o: HeadOptions): Graph {
    const fc = classifierNode(backbone);
    if (fc.outFeatures !== o.classes) throw new ConfigError(`model '${backbone.name}' has ${fc.outFeatures} outputs but the data set has ${o.classes} classes`);
    return backbone;
  },
  losses: ['cross-entropy'],
  metrics: ['accuracy', 'loss'],
  pairing: 'each image is paired with its class label; accuracy is measured on the test (or validation) split',
  matches: (g) => g.outputs.length === 1,
};
