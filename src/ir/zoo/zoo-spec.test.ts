import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { inferShapes } from '../shapes.js';
import { zooGraph } from './registry.js';

test('zoo query strings: out-of-range, repeated, unknown and malformed options are ConfigErrors naming them', () => {
  const cases: [string, RegExp][] = [
    ['zoo:resnet18?size=100000000', /size='100000000' is out of range; expected 1 <= size <= 4096/],
    ['zoo:mbnet32?width=1e-9', /width='1e-9' is out of range/],
    ['zoo:mnist-cnn?classes=2000000', /classes='2000000' is out of range/],
    ['zoo:mnist-cnn?channels=5000', /channels='5000' is out of range/],
    ['zoo:mnist-cnn?size=28&size=32', /option 'size' is given twice/],
    ['zoo:mnist-cnn?depth=3', /unknown option 'depth'/],
    ['zoo:mnist-cnn?size=2.5', /must be a positive integer/],
    ['zoo:mnist-cnn?width=-1', /must be a positive number/],
    ['zoo:nope', /unknown zoo model 'nope'/],
  ];
  for (const [spec, re] of cases)
    assert.throws(
      () => zooGraph(spec),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      spec,
    );
});

test('zoo options within range build graphs of the asked input size, width and classes', () => {
  const g = zooGraph('zoo:mbnet32?size=40&classes=7&width=0.5');
  const s = inferShapes(g);
  assert.deepEqual(g.nodes[0]?.op === 'input' ? g.nodes[0].shape : [], [3, 40, 40]);
  assert.deepEqual(s.get(g.nodes[g.nodes.length - 1]?.name as string), [7]);
});
