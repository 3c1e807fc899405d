import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../../engine/backend.js';
import { GraphBuilder } from '../../ir/builder.js';
import { referenceForward } from '../../ir/reference.js';
import type { Graph, Weights } from '../../ir/types.js';
import { nb201Graph, parseNb201 } from '../../search/spaces/nb201.js';
import { Rng } from '../../util/rng.js';
import { synflow, synflowGraph, synflowWeights } from './synflow.js';

before(async () => {
  await initEngine();
});

/** input 1x2x2 -> conv1x1 a -> add(input, .) -> conv1x1 b -> BN -> global average pool -> dense c (no bias). */
function tinyNet(): Graph {
  const b = new GraphBuilder('tiny', [1, 2, 2]);
  const u = b.conv(b.input, { out: 1, kernel: 1, bias: false, name: 'a' });
  const s = b.addOp(b.input, u, 'sum');
  const v = b.bn(b.conv(s, { out: 1, kernel: 1, bias: false, name: 'b' }), { name: 'bn' });
  b.output(b.dense(b.flatten(b.globalAvgPool(v)), 1, { bias: false, name: 'c' }));
  return b.build();
}

test('synflow of a hand-computed net: R = |c||b|(1+|a|), score = |a||b||c| + 2|b||c|(1+|a|); batch norm bypassed', async () => {
  const one = (v: number): { shape: readonly number[]; data: Float32Array } => ({ shape: [1, 1, 1, 1], data: Float32Array.of(v) });
  const weights: Weights = new Map([
    ['a.weight', one(2)],
    ['b.weight', one(-3)],
    ['c.weight', { shape: [1, 1], data: Float32Array.of(0.5) }],
    // ignored: batch norm is bypassed
    ['bn.scale', { shape: [1], data: Float32Array.of(7) }],
  ]);
  // a: 2*3*0.5 = 3; b: 3*0.5*(1+2) = 4.5; c: 0.5*3*3 = 4.5; total 12
  assert.ok(Math.abs((await synflow(tinyNet(), { weights })) - Math.log10(12)) < 1e-6);
});

test('synflow rejects non-zero biases (the scaling needs a homogeneous network)', async () => {
  const b = new GraphBuilder('biased', [1, 2, 2]);
  b.output(b.dense(b.flatten(b.conv(b.input, { out: 1, kernel: 1, bias: true, name: 'a' })), 1, { name: 'c' }));
  const weights: Weights = new Map([['a.bias', { shape: [1], data: Float32Array.of(1) }]]);
  await assert.rejects(synflow(b.build(), { weights }), /'a.bias' is not zero/);
});

/**
 * The score by the float64 reference interpreter: R is linear in each single weight (a path meets a layer once), so
 * theta_i * dR/dtheta_i = R(theta) - R(theta with theta_i = 0), exactly.
 */
function referenceScore(graph: Graph, seed: number): number {
  const g = synflowGraph(graph);
  const w = synflowWeights(g, new Rng(seed));
  const per = (g.nodes[0] as { shape: readonly number[] }).shape.reduce((a, b) => a * b, 1);
  const ones = new Float32Array(per).fill(1);
  const R = (): number => referenceForward({ graph: g, weights: w }, ones, 1).reduce((a, b) => a + b, 0);
  const r0 = R();
  let total = 0;
  for (const [k, t] of w) {
    if (!k.endsWith('.weight')) continue;
    for (let i = 0; i < t.data.length; i++) {
      const keep = t.data[i] as number;
      t.data[i] = 0;
      total += r0 - R();
      t.data[i] = keep;
    }
  }
  return total;
}

const SMALL = { inputSize: 8, inChannels: 1, channels: 2, cellsPerStage: 1, classes: 3 };

test('synflow of small NB201 networks (convs, skips, pools, zero nodes, batch norms) equals the float64 reference', async () => {
  for (const arch of [
    '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|',
    '|none~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|',
  ]) {
    const g = nb201Graph(parseNb201(arch), SMALL);
    const got = await synflow(g, { seed: 5 });
    const want = Math.log10(referenceScore(g, 5));
    assert.ok(Math.abs(got - want) < 1e-5, `${arch}: engine ${got}, reference ${want}`);
  }
});

test('synflow is -Infinity when the output does not depend on the input (cell output node zero)', async () => {
  const g = nb201Graph(parseNb201('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|'), SMALL);
  assert.equal(await synflow(g), Number.NEGATIVE_INFINITY);
});

test('synflow of the full NB201 CIFAR-10 network stays finite in float32 and orders a conv-heavy cell above a skip-only one', async () => {
  const conv = await synflow(nb201Graph(parseNb201('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|')));
  const skip = await synflow(nb201Graph(parseNb201('|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|')));
  assert.ok(Number.isFinite(conv) && Number.isFinite(skip), `${conv} ${skip}`);
  // every path of the all-conv3x3 network crosses up to 45 more 3x3 convs of gain ~6-12 each
  assert.ok(conv > skip + 20, `conv ${conv}, skip ${skip}`);
});
