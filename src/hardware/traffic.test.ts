import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zooGraph } from '../ir/zoo/index.js';
import { policyPreset } from './precision.js';
import { getTarget } from './registry.js';

/**
 * W8A8 totals of mbnet32 (1x28x28) on the targets whose totals the per-operand traffic split (issue 18) did not change, as
 * computed before it (commit 87ae34b): [latency ms, energy mJ, DRAM bytes].
 */
const BEFORE: Readonly<Record<string, readonly [number, number, number]>> = {
  systolic: [0.06578642857142858, 0.04246628480000001, 151106],
  'systolic?dataflow=ws': [0.27649642857142853, 0.019142009600000003, 151106],
  // myriad-x and jetson-nano charge w8a8 at the FP16 they run it at since session 51 (roofline.test.ts): their fp16 totals as computed on b503d33
  'myriad-x': [0.47135900444444445, 0.7070385066666666, 95528],
  'cortex-a76': [0.13887568452380952, 0.2083135267857143, 47784],
  'jetson-nano': [0.3455872488135593, 3.455872488135593, 95528],
  'edge-tpu': [0.07418486399999999, 0.14836972799999998, 0],
  a100: [0.06971112648205127, 27.88445059282051, 47784],
  // the split is new, its totals are not: the preset keeps its array, buffers and bandwidth
  'bitfusion-edge': [0.029675500000000004, 0.026763998240000003, 151106],
};

test('targets keep their totals; only bitfusion-edge and bismo-cloud report a memory limiter', () => {
  const g = zooGraph('mbnet32?channels=1&size=28');
  for (const [name, [lat, en, dram]] of Object.entries(BEFORE)) {
    const c = getTarget(name).networkCost(g, policyPreset('w8a8'));
    assert.ok(Math.abs(c.latencyMs - lat) <= 1e-12 * lat, `${name} latency ${c.latencyMs} vs ${lat}`);
    assert.ok(Math.abs(c.energyMj - en) <= 1e-12 * en, `${name} energy ${c.energyMj} vs ${en}`);
    assert.equal(c.dramBytes, dram, `${name} DRAM bytes`);
    if (name !== 'bitfusion-edge') for (const l of c.layers) assert.equal(l.memoryBound, undefined, `${name}/${l.node}`);
  }
});

test('bitfusion-edge and bismo-cloud split every conv/dense layer: weights + activations <= DRAM bytes, limiter only when memory-bound', () => {
  const g = zooGraph('mbnet32?channels=1&size=28');
  for (const name of ['bitfusion-edge', 'bismo-cloud']) {
    const seen = new Set<string>();
    for (const p of ['w8a8', 'w2a8', 'w8a2', 'w4a4']) {
      const c = getTarget(name).networkCost(g, policyPreset(p));
      for (const l of c.layers) {
        if (l.op !== 'conv2d' && l.op !== 'dense') continue;
        assert.ok(l.weightDramBytes !== undefined && l.actDramBytes !== undefined, `${name}/${l.node}`);
        assert.ok(l.weightDramBytes + l.actDramBytes <= l.dramBytes);
        assert.equal(l.memoryBound !== undefined, l.bound === 'memory', `${name}/${l.node} ${p}`);
        seen.add(l.memoryBound ?? l.bound);
      }
    }
    // both targets have compute-bound and activation-bound layers on mbnet32 across these policies
    assert.ok(seen.has('compute') && seen.has('activations'), `${name}: ${[...seen].join(', ')}`);
  }
});
