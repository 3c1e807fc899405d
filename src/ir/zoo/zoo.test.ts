import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { graphTotals } from '../workload.js';
import { ZOO, zooGraph } from './index.js';

// torchvision's conv+linear MACs and parameter counts at 224x224 (as published with its weights).
const REFERENCE: Record<string, { macs: number; params: number }> = {
  'mobilenet-v2': { macs: 300.8e6, params: 3.505e6 },
  resnet18: { macs: 1814e6, params: 11.69e6 },
  resnet50: { macs: 4089e6, params: 25.56e6 },
  vgg16: { macs: 15470e6, params: 138.4e6 },
  'efficientnet-b0': { macs: 385.8e6, params: 5.289e6 },
};

for (const [name, ref] of Object.entries(REFERENCE)) {
  test(`zoo ${name}: MACs and params within 2% of torchvision`, () => {
    const t = graphTotals(zooGraph(name));
    assert.ok(Math.abs(t.macs / ref.macs - 1) < 0.02, `${name} MACs ${t.macs} vs ${ref.macs}`);
    assert.ok(Math.abs(t.params / ref.params - 1) < 0.02, `${name} params ${t.params} vs ${ref.params}`);
  });
}

test('mnist-cnn has the reference layout', () => {
  const g = zooGraph('mnist-cnn');
  const convs = g.nodes.filter((n) => n.op === 'conv2d');
  assert.deepEqual(
    convs.map((c) => (c.op === 'conv2d' ? c.outChannels : 0)),
    [16, 32],
  );
  const t = graphTotals(g);
  // conv1 28*28*16*9 + conv2 14*14*32*16*9 + fc 1568*10
  assert.equal(t.macs, 28 * 28 * 16 * 9 + 14 * 14 * 32 * 16 * 9 + 1568 * 10);
});

test('every zoo model builds with small inputs and options', () => {
  for (const name of Object.keys(ZOO)) {
    const g = zooGraph(`zoo:${name}?size=64&classes=10`);
    assert.ok(g.nodes.length > 3, name);
  }
  const half = graphTotals(zooGraph('mobilenet-v2?width=0.5'));
  const full = graphTotals(zooGraph('mobilenet-v2'));
  assert.ok(half.macs < full.macs * 0.5);
});

test('zoo spec errors name the problem', () => {
  assert.throws(
    () => zooGraph('zoo:nope'),
    (e: unknown) => e instanceof ConfigError && /unknown zoo model 'nope'/.test(e.message),
  );
  assert.throws(() => zooGraph('zoo:resnet18?depth=3'), /unknown option 'depth'/);
  assert.throws(() => zooGraph('zoo:resnet18?size=-1'), /size='-1' must be a positive integer/);
});
