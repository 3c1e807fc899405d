/** A tiny conv / depthwise / dense network (2x6x6 input, 3 classes) for fast quantization tests. */
import { GraphBuilder } from '../../ir/builder.js';
import { initWeights } from '../../ir/init.js';
import type { Model } from '../../ir/types.js';
import { Rng } from '../../util/rng.js';
import { foldBatchNorm } from '../bn-fold.js';

/** conv c1 (4 ch) -> depthwise dw -> dense fc (3 classes), weights from `seed`. */
export function tinyQuantModel(seed: number): Model {
  const b = new GraphBuilder('tiny', [2, 6, 6]);
  let x = b.relu(b.conv(b.input, { out: 4, kernel: 3, name: 'c1' }), 'c1_relu');
  x = b.relu(b.conv(x, { out: 4, kernel: 3, groups: 4, name: 'dw' }));
  b.output(b.dense(b.flatten(x, 'flatten'), 3, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}

/**
 * conv c1 (8 ch, optional batch norm) -> max pool -> depthwise dw -> pointwise pw (12 ch) -> global pool -> dense fc
 * (10 classes) on a 1x12x12 input, weights from `seed`: the QDQ export and import tests' network.
 */
export function qdqTestModel(seed: number, bn: boolean): Model {
  const b = new GraphBuilder('qdq-net', [1, 12, 12]);
  const c1 = b.conv(b.input, { out: 8, kernel: 3, name: 'c1' });
  let x = b.relu(bn ? b.bn(c1) : c1);
  x = b.maxPool(x, { kernel: 2 });
  x = b.relu(b.conv(x, { out: 8, kernel: 3, groups: 8, name: 'dw' }));
  x = b.relu(b.conv(x, { out: 12, kernel: 1, name: 'pw' }));
  b.output(b.dense(b.flatten(b.globalAvgPool(x)), 10, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}

/**
 * {@link qdqTestModel} with batch norm, random biases and batch-norm statistics, then the batch norm folded: every
 * conv/dense has a non-zero bias (the int32 bias tests' network).
 */
export function biasedFoldedModel(seed: number): Model {
  const model = qdqTestModel(seed, true);
  const rng = new Rng(seed + 1000);
  const weights = new Map(model.weights);
  for (const [key, t] of weights) {
    const kind = key.slice(key.lastIndexOf('.') + 1);
    if (kind !== 'bias' && kind !== 'mean' && kind !== 'var' && kind !== 'scale') continue;
    const data = Float32Array.from(t.data, () => (kind === 'var' ? rng.uniform(0.2, 2) : kind === 'scale' ? rng.uniform(0.5, 1.5) : rng.normal() * 0.5));
    weights.set(key, { ...t, data });
  }
  return foldBatchNorm({ graph: model.graph, weights }).model;
}
