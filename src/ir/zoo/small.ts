import { GraphBuilder } from '../builder.js';
import type { Graph } from '../types.js';
import type { ZooOptions } from './options.js';

/** The MNIST reference CNN: conv16 3x3, maxpool, conv32 3x3, maxpool, fc10 (ReLU after each conv). */
export function mnistCnn(o: ZooOptions = {}): Graph {
  const size = o.size ?? 28;
  const b = new GraphBuilder('mnist-cnn', [o.channels ?? 1, size, size]);
  let x = b.relu(b.conv(b.input, { out: 16, kernel: 3, name: 'conv1' }));
  x = b.maxPool(x, { kernel: 2, name: 'pool1' });
  x = b.relu(b.conv(x, { out: 32, kernel: 3, name: 'conv2' }));
  x = b.maxPool(x, { kernel: 2, name: 'pool2' });
  b.output(b.dense(b.flatten(x), o.classes ?? 10, { name: 'fc' }));
  return b.build();
}

/**
 * A small MobileNet-style net: conv32/s2 + BN + ReLU, four depthwise-separable blocks
 * (64 s1, 128 s2, 128 s1, 128 s2), global average pool, fc. Default input 3x32x32.
 */
export function mbnet32(o: ZooOptions = {}): Graph {
  const size = o.size ?? 32;
  const b = new GraphBuilder('mbnet32', [o.channels ?? 3, size, size]);
  const w = o.width ?? 1;
  const ch = (c: number): number => Math.max(8, Math.round(c * w));
  let x = b.relu(b.bn(b.conv(b.input, { out: ch(32), kernel: 3, stride: 2, bias: false, name: 'stem' }), { name: 'stem_bn' }));
  const blocks: Array<[number, number]> = [
    [64, 1],
    [128, 2],
    [128, 1],
    [128, 2],
  ];
  blocks.forEach(([c, s], i) => {
    const cin = b.channels(x);
    x = b.conv(x, { out: cin, kernel: 3, stride: s, groups: cin, bias: false, name: `b${i + 1}_dw` });
    x = b.relu(b.bn(x, { name: `b${i + 1}_dw_bn` }));
    x = b.conv(x, { out: ch(c), kernel: 1, bias: false, name: `b${i + 1}_pw` });
    x = b.relu(b.bn(x, { name: `b${i + 1}_pw_bn` }));
  });
  x = b.flatten(b.globalAvgPool(x));
  b.output(b.dense(x, o.classes ?? 10, { name: 'fc' }));
  return b.build();
}
