/** A tiny conv / conv / depthwise / dense network (1x8x8 input, 3 classes) with batch norm, for fast ensemble tests. */
import { GraphBuilder } from '../../ir/builder.js';
import { initWeights } from '../../ir/init.js';
import type { Model } from '../../ir/types.js';
import { Rng } from '../../util/rng.js';

/** c1 (edge) -> c2 -> bn -> relu -> dw (depthwise) -> relu -> fc (edge), weights from `seed`. */
export function quantTinyModel(seed: number): Model {
  const b = new GraphBuilder('ens-tiny', [1, 8, 8]);
  let x = b.relu(b.conv(b.input, { out: 4, kernel: 3, name: 'c1' }), 'c1_relu');
  x = b.relu(b.bn(b.conv(x, { out: 6, kernel: 3, stride: 2, name: 'c2' }), { name: 'c2_bn' }), 'c2_relu');
  x = b.relu(b.conv(x, { out: 6, kernel: 3, groups: 6, name: 'dw' }), 'dw_relu');
  b.output(b.dense(b.flatten(x, 'flatten'), 3, { name: 'fc' }));
  const graph = b.build();
  return { graph, weights: initWeights(graph, new Rng(seed)) };
}
