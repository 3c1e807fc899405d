/** A tiny conv / depthwise / dense network (2x6x6 input, 3 classes) for fast quantization tests. */
import { GraphBuilder } from '../../ir/builder.js';
import { initWeights } from '../../ir/init.js';
import type { Model } from '../../ir/types.js';
import { Rng } from '../../util/rng.js';

/** conv c1 (4 ch) -> depthwise dw -> dense fc (3 classes), weights from `seed`. */
export function tinyQuantModel(seed: number): Model {
  const b = new GraphBuilder('tiny', [2, 6, 6]);
  let x = b.relu(b.conv(b.input, { out: 4, kernel: 3, name: 'c1' }), 'c1_relu');
  x = b.relu(b.conv(x, { out: 4, kernel: 3, groups: 4, name: 'dw' }));
  b.output(b.dense(b.flatten(x, 'flatten'), 3, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}
