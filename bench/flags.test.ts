import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchFlags } from './flags.js';

const failWith = (message: string): never => {
  throw new Error(message);
};

test('benchFlags: values by name, numbers checked, options spread only when given', () => {
  const f = benchFlags(['node', 'b.js', '--budget', '30', '--seeds', '1,2,3', '--quick', '--lr', '0.5'], failWith);
  assert.equal(f.arg('--budget'), '30');
  assert.equal(f.arg('--out'), undefined);
  assert.equal(f.count('--budget'), 30);
  assert.equal(f.num('--lr'), 0.5);
  assert.deepEqual(f.nums('--seeds'), [1, 2, 3]);
  assert.equal(f.nums('--other'), undefined);
  assert.ok(f.has('--quick'));
  assert.ok(!f.has('--slow'));
  assert.deepEqual(f.pick('budget', f.count('--budget')), { budget: 30 });
  assert.deepEqual(f.pick('steps', f.count('--steps')), {});
});

test('benchFlags: a bad number names the flag, the value and what was expected', () => {
  const f = benchFlags(['--steps', 'ten', '--archs', '2.5', '--seeds', '1,x', '--lr', ''], failWith);
  assert.throws(() => f.num('--steps'), /--steps 'ten': expected a number/);
  assert.throws(() => f.count('--archs'), /--archs '2.5': expected a positive integer/);
  assert.throws(() => f.nums('--seeds'), /--seeds '1,x': expected numbers separated by commas/);
  assert.throws(() => f.num('--lr'), /--lr '': expected a number/);
});
