/** The classification task: a classifier's logits, softmax cross-entropy, top-1 accuracy (hwnas' original behaviour). */
import { ConfigError } from '../errors.js';
import { inferShapes } from '../ir/shapes.js';
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

/**
 * Refuse a model with more than one output where it is trained or scored as a classifier: the loss and the accuracy
 * read one output, so a second head would be left untrained (and its trunk changed under it) or ignored. The error
 * names each output (its file's tensor name) with its per-sample shape. `label` names the model (its spec or path).
 */
export function requireOneOutput(g: Graph, label: string): void {
  if (g.outputs.length <= 1) return;
  const shapes = inferShapes(g);
  const list = g.outputs.map((o) => `'${g.outputNames?.[o] ?? o}' [${(shapes.get(o) ?? []).join(',')}]`);
  throw new ConfigError(
    `model '${label}' has ${g.outputs.length} outputs (${list.join(', ')}); a classifier is trained and scored on one output, its class logits [classes]: ` +
      'export the model with the logits as its only output (in PyTorch: return only the logits from forward(), one name in output_names)',
  );
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
