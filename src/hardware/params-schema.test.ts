import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { loadTargetFile } from './data.js';
import { uniformPolicy } from './precision.js';
import { getTarget, listTargets } from './registry.js';

const analytical = listTargets()
  .filter((t) => t.kind === 'analytical')
  .map((t) => t.name);

test('every analytical preset loads with its own parameters and costs a network to finite, non-negative numbers', () => {
  assert.ok(analytical.length >= 8, `presets: ${analytical.join(', ')}`);
  const g = zooGraph('mnist-cnn');
  for (const name of analytical) {
    const t = getTarget(name);
    const bits = t.supportedBits.weight.includes(8) && t.supportedBits.act.includes(8) ? 8 : Math.max(...t.supportedBits.weight);
    const c = t.networkCost(g, uniformPolicy(bits, Math.max(...t.supportedBits.act.filter((b) => b <= Math.max(bits, 8)))));
    assert.ok(Number.isFinite(c.latencyMs) && c.latencyMs > 0, `${name} latency ${c.latencyMs}`);
  }
});

test('an impossible target parameter (negative, zero rate, fractional count) is a ConfigError naming it, for every preset and numeric parameter', () => {
  let checked = 0;
  for (const name of analytical) {
    const file = loadTargetFile(name);
    for (const [key, p] of Object.entries(file.params)) {
      if (typeof p.value !== 'number') continue;
      for (const bad of [-1, -0.5]) {
        assert.throws(
          () => getTarget(`${name}?${key}=${bad}`),
          (e: unknown) => e instanceof ConfigError && e.message.includes(`.${key} = ${bad}`),
          `${name}?${key}=${bad}`,
        );
        checked++;
      }
    }
  }
  assert.ok(checked >= 80, `checked ${checked} parameters`);
  for (const spec of [
    'bitfusion-edge?clockMHz=0',
    'bismo-cloud?dramGBps=0',
    'systolic?rows=2.5',
    'bitfusion-edge?batch=0',
    'myriad-x?utilConv=1.5',
    'systolic?dataflow=zz',
  ]) {
    assert.throws(() => getTarget(spec), ConfigError, spec);
  }
  // a legal what-if value is still accepted
  assert.equal(getTarget('bitfusion-edge?clockMHz=250&rows=16').name, 'bitfusion-edge');
});
