import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from './builder.js';
import { referenceForward, referenceForwardAll } from './reference.js';
import type { Model, Weights } from './types.js';

const close = (a: ArrayLike<number>, b: readonly number[]): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) < 1e-6, `${i}: ${a[i]} vs ${b[i]}`);
};

test('conv with padding and stride, by hand', () => {
  const b = new GraphBuilder('c', [1, 3, 3]);
  b.conv(b.input, { out: 1, kernel: 2, stride: 2, pad: [1, 1, 0, 0], name: 'c' });
  const weights: Weights = new Map([
    ['c.weight', { shape: [1, 1, 2, 2], data: Float32Array.of(1, 2, 3, 4) }],
    ['c.bias', { shape: [1], data: Float32Array.of(0.5) }],
  ]);
  const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
  // windows (top-left at -1,-1), (-1,1), (1,-1), (1,1)
  close(referenceForward({ graph: b.build(), weights }, x, 1), [4 * 1 + 0.5, 3 * 2 + 4 * 3 + 0.5, 2 * 4 + 4 * 7 + 0.5, 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9 + 0.5]);
});

test('average pooling with and without padded zeros, max pooling, upsample, broadcast mul, softmax', () => {
  const b = new GraphBuilder('p', [1, 2, 2]);
  const a0 = b.avgPool(b.input, { kernel: 2, stride: 1, pad: [1, 1, 0, 0], name: 'a0' });
  b.avgPool(b.input, { kernel: 2, stride: 1, pad: [1, 1, 0, 0], name: 'a1', countIncludePad: true });
  b.maxPool(b.input, { kernel: 2, stride: 1, pad: [1, 1, 0, 0], name: 'mx' });
  b.upsample(b.input, 2, 'up');
  b.mul(a0, b.reshape(b.globalAvgPool(b.input, 'g'), [1], 'r'), 'm');
  b.softmax(b.flatten(b.input, 'f'), 's');
  const model: Model = { graph: b.build(), weights: new Map() };
  const all = referenceForwardAll(model, Float32Array.of(1, 2, 3, -4), 1);
  close(all.get('a0')!, [1, 1.5, 2, 0.5]);
  close(all.get('a1')!, [0.25, 0.75, 1, 0.5]);
  close(all.get('mx')!, [1, 2, 3, 3]);
  close(all.get('up')!, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, -4, -4, 3, 3, -4, -4]);
  close(all.get('m')!, [0.5, 0.75, 1, 0.25]);
  const e = [1, 2, 3, -4].map(Math.exp);
  const z = e.reduce((p, v) => p + v, 0);
  close(
    all.get('s')!,
    e.map((v) => v / z),
  );
});
