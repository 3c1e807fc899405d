import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniformPolicy } from '../../hardware/precision.js';
import { getTarget } from '../../hardware/registry.js';
import { inferShapes } from '../../ir/shapes.js';
import { graphTotals } from '../../ir/workload.js';
import { makeDivisible } from '../../ir/zoo/imagenet.js';
import { zooGraph } from '../../ir/zoo/index.js';
import { Rng } from '../../util/rng.js';
import { MBV2_MBNET, MBV2_MICRO, MBV2_SMALL, mbv2Space } from './mbv2.js';
import { getArchSpace } from './registry.js';

test('mbv2-micro: every sampled point round-trips and builds a graph at its own input size', () => {
  const s = mbv2Space(MBV2_MICRO);
  assert.equal(s.name, 'mbv2-micro');
  const rng = new Rng(11);
  const sizes = new Set<number>();
  for (let i = 0; i < 60; i++) {
    const a = s.fromParams(s.space.sample(rng));
    const str = s.format(a);
    assert.deepEqual(s.parse(str), a);
    const g = s.graph(a);
    const input = g.nodes[0];
    assert.ok(input?.op === 'input');
    assert.deepEqual(input.shape, [1, a.inputSize, a.inputSize]);
    assert.deepEqual(inferShapes(g).get('fc'), [10]);
    sizes.add(a.inputSize);
  }
  assert.deepEqual(
    [...sizes].sort((x, y) => x - y),
    [16, 20, 24, 28],
  );
  // narrowest width keeps at least 8 channels everywhere (MobileNet rounding)
  const thin = s.graph(s.parse('r16-w0.35:k3e1r|k3e1r|k3e1r|k3e1r'));
  assert.equal(inferShapes(thin).get('stem')?.[0], makeDivisible(16 * 0.35));
  assert.throws(() => s.parse('r32-w1:k3e1r|k3e1r|k3e1r|k3e1r'), /input size 32 is not one of 16, 20, 24, 28/);
  assert.throws(() => s.parse('r28-w1:k3e1r,k3e1r|k3e1r|k3e1r|k3e1r'), /stage 1 has 2 blocks, expected 1\.\.1/);
});

test('mbv2-micro: a share of uniform points is under mbnet32/1.3 on bitfusion-edge (w8a8); mbv2 has almost none', () => {
  const t = getTarget('bitfusion-edge');
  const pol = uniformPolicy(8, 8, 'w8a8');
  const line = t.networkCost(zooGraph('mbnet32?channels=1&size=28'), pol).latencyMs / 1.3;
  const share = (o: typeof MBV2_MICRO): number => {
    const s = mbv2Space(o);
    const rng = new Rng(2);
    let under = 0;
    for (let i = 0; i < 200; i++) if (t.networkCost(s.graph(s.fromParams(s.space.sample(rng))), pol).latencyMs <= line) under++;
    return under / 200;
  };
  const micro = share(MBV2_MICRO);
  assert.ok(micro >= 0.08 && micro <= 0.5, `mbv2-micro share ${micro}`);
  assert.ok(share(MBV2_SMALL) < micro);
  // the smallest point of the space is far under the line
  const s = mbv2Space(MBV2_MICRO);
  assert.ok(t.networkCost(s.graph(s.parse('r16-w0.35:k3e1r|k3e1r|k3e1r|k3e1r')), pol).latencyMs < line / 2);
});

test("mbv2-mbnet: mbnet32 skeleton; its width-1 expansion-1 point has mbnet32's convs plus the head; narrower / smaller points fall under mbnet32/1.3 on bitfusion-edge", () => {
  const s = getArchSpace('mbv2-mbnet');
  assert.equal(s.name, 'mbv2-mbnet');
  const ref = zooGraph('mbnet32?channels=1&size=28');
  const like = mbv2Space(MBV2_MBNET).graph(mbv2Space(MBV2_MBNET).parse('r28-w1:k3e1r|k3e1r|k3e1r|k3e1r'));
  const convs = (g: typeof ref): number[] => g.nodes.flatMap((n) => (n.op === 'conv2d' ? [n.outChannels] : []));
  // mbnet32: stem 32, then dw/pw pairs to 64, 128, 128, 128; the space adds the 1x1 head (128)
  assert.deepEqual(convs(like), [...convs(ref), 128]);
  assert.equal(graphTotals(like).macs, graphTotals(ref).macs + 4 * 4 * 128 * 128);
  const t = getTarget('bitfusion-edge');
  const pol = uniformPolicy(8, 8, 'w8a8');
  const line = t.networkCost(ref, pol).latencyMs / 1.3;
  assert.ok(t.networkCost(like, pol).latencyMs > line);
  assert.ok(t.networkCost(mbv2Space(MBV2_MBNET).graph(mbv2Space(MBV2_MBNET).parse('r24-w0.75:k3e1r|k3e1r|k3e1r|k3e1r')), pol).latencyMs <= line);
  const rng = new Rng(5);
  for (let i = 0; i < 20; i++) {
    const a = s.fromParams(s.space.sample(rng));
    assert.equal(s.format(s.parse(s.format(a))), s.format(a));
  }
});
