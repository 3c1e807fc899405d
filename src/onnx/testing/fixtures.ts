/** Test fixtures of src/onnx: a graph with every IR op, non-trivial random weights, graph normalisation. */
import { GraphBuilder } from '../../ir/builder.js';
import { initWeights } from '../../ir/init.js';
import type { Graph, Model, Node } from '../../ir/types.js';
import { Rng } from '../../util/rng.js';

/** A small graph that uses every IR op at least once (incl. asymmetric pads, groups, dilation, broadcasts). */
export function allOpsGraph(): Graph {
  const b = new GraphBuilder('all-ops', [3, 12, 12], 'image');
  let x = b.conv(b.input, { out: 8, kernel: 3, stride: 2, pad: 'same', name: 'c_same' }); // 8x6x6, pads [0,0,1,1]
  x = b.bn(x, { name: 'bn', eps: 1e-3, momentum: 0.01 });
  x = b.act(x, 'relu6', 'r6');
  const dw = b.conv(x, { out: 8, kernel: 3, groups: 8, dilation: 2, pad: 2, bias: false, name: 'dw_dil' });
  const sw = b.act(dw, 'swish', 'sw');
  const hsw = b.act(b.conv(x, { out: 8, kernel: 1, groups: 2, name: 'grp' }), 'hardswish', 'hsw');
  const sum = b.addOp(sw, hsw, 'sum');
  const gate = b.act(b.globalAvgPool(sum, 'gap'), 'sigmoid', 'gate'); // [8,1,1]
  const scaled = b.mul(sum, gate, 'se_mul');
  const hsig = b.act(scaled, 'hardsigmoid', 'hsig');
  const cl = b.clip(scaled, -0.5, 0.75, 'clip');
  x = b.concat([hsig, cl], 0, 'cat'); // 16x6x6
  x = b.relu(x, 'relu');
  const mp = b.maxPool(x, { kernel: 3, stride: 2, pad: [1, 1, 0, 0], name: 'mp' }); // 16x3x3
  const ap = b.avgPool(x, { kernel: 3, stride: 2, pad: [1, 1, 0, 0], name: 'ap', countIncludePad: true });
  const ap2 = b.avgPool(x, { kernel: 2, stride: 2, pad: 'valid', name: 'ap2' });
  x = b.addOp(b.addOp(mp, ap, 'pool_sum'), ap2, 'pool_sum2');
  x = b.upsample(x, 2, 'up'); // 16x6x6
  x = b.act(x, 'identity', 'ident');
  const row = b.reshape(b.dense(b.flatten(b.globalAvgPool(x, 'gap2'), 'flat0'), 6, { name: 'fc_row' }), [6], 'row6');
  x = b.addOp(x, row, 'bcast_add'); // [16,6,6] + [6]: rank broadcast
  x = b.reshape(x, [16, -1], 'resh'); // 16x36
  x = b.softmax(x, 'sm'); // along the last axis
  x = b.flatten(x, 'flat');
  x = b.dense(x, 10, { name: 'fc', bias: false });
  b.output(b.add({ op: 'softmax', name: 'probs', inputs: [x], axis: 0 }));
  return b.build();
}

/**
 * Seeded random weights with batch-norm statistics far from identity (so a swapped mean/var is caught)
 * and moderate scales (so deep random nets keep O(1) activations).
 */
export function randomModel(graph: Graph, seed: number): Model {
  const rng = new Rng(seed);
  const weights = initWeights(graph, rng);
  for (const [k, t] of weights) {
    const p = k.slice(k.lastIndexOf('.') + 1);
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (p === 'scale') d[i] = rng.uniform(0.2, 0.6);
      else if (p === 'bias') d[i] = rng.uniform(-0.1, 0.1);
      else if (p === 'mean') d[i] = rng.uniform(-0.2, 0.2);
      else if (p === 'var') d[i] = rng.uniform(0.5, 1.5);
    }
  }
  return { graph, weights };
}

/** Graph in a canonical form for equality checks: clip(0,6) is relu6, float attributes are float32. */
export function normalizeGraph(g: Graph): unknown {
  const f = Math.fround;
  const nodes = g.nodes.map((n: Node): unknown => {
    if (n.op === 'clip' && n.min === 0 && n.max === 6) return { op: 'relu6', name: n.name, inputs: n.inputs };
    if (n.op === 'clip') return { ...n, min: f(n.min), max: f(n.max) };
    if (n.op === 'batchnorm') return { ...n, eps: f(n.eps), momentum: f(n.momentum) };
    return n;
  });
  return JSON.parse(JSON.stringify({ name: g.name, nodes, outputs: g.outputs }));
}
