/** Property tests: target query strings, precision policies and lookup tables a user writes (see src/util/testing/user-input.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { zooGraph } from '../ir/index.js';
import { nearValid, userErrorOrResult } from '../util/testing/user-input.js';
import { parseLut } from './lut.js';
import { parsePolicy, policyPreset, uniformPolicy } from './precision.js';
import { getTarget } from './registry.js';

const graph = zooGraph('zoo:mnist-cnn');
const RUNS = { numRuns: 300, seed: 13 };

test('target specs: a target whose costs are finite and >= 0, or a UserError', () => {
  const seeds = [
    'bitfusion-edge',
    'bitfusion-edge?brickPj=0.5&clockMHz=500',
    'bismo-cloud?clockMHz=200',
    'systolic?rows=32&cols=32&dataflow=ws',
    'systolic?rows=8&cols=16&dataflow=os',
    'cortex-a76?peakGops=100',
    'edge-tpu',
    'myriad-x?bandwidthGBs=4',
    'lut:none.json?fallback=systolic',
  ];
  fc.assert(
    fc.property(nearValid(seeds), (spec) => {
      if (spec.startsWith('host-cpu')) return; // measured: the property would time a network
      const t = userErrorOrResult(spec, () => getTarget(spec));
      if (!t) return;
      const c = userErrorOrResult(spec, () => t.networkCost(graph, uniformPolicy(8, 8)));
      if (!c) return;
      assert.ok(Number.isFinite(c.latencyMs) && c.latencyMs >= 0, `${spec}: latency ${c.latencyMs}`);
      assert.ok(Number.isFinite(c.energyMj) && c.energyMj >= 0, `${spec}: energy ${c.energyMj}`);
    }),
    RUNS,
  );
});

test('precision policies: presets and JSON policies parse or give a UserError', () => {
  fc.assert(
    fc.property(nearValid(['w8a8', 'w4a4', 'fp32', 'w2a8']), (name) => {
      userErrorOrResult(name, () => policyPreset(name));
    }),
    RUNS,
  );
  const bits = fc.oneof(fc.integer({ min: -2, max: 40 }), fc.double(), fc.constantFrom('8', null, true, [], {}));
  const prec = fc.record({ weightBits: bits, actBits: bits }, { requiredKeys: [] });
  const policy = fc.oneof(
    fc.record(
      {
        name: fc.oneof(fc.string(), fc.integer()),
        default: prec,
        layers: fc.oneof(fc.dictionary(fc.constantFrom('conv1', 'conv2', 'fc1', 'fc2', 'nope', '__proto__', ''), prec), fc.constantFrom(null, 3, 'x', [])),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    ),
    fc.anything(),
  );
  fc.assert(
    fc.property(policy, (p) => {
      userErrorOrResult(p, () => parsePolicy(p));
    }),
    RUNS,
  );
});

test('lookup tables (CSV and JSON, mutated): a table, or a UserError', () => {
  const csv = 'key,latency_ms,energy_mj\nconv:1x28x28->8x28x28:k3s1p1g1:w8a8,0.004,0.001\ndense:128->10:w8a8,0.001,0.0002\n';
  const json = JSON.stringify({ format: 'hwnas-lut', version: 1, entries: [{ key: 'dense:128->10:w8a8', latencyMs: 0.001 }] });
  fc.assert(
    fc.property(nearValid([csv]), (text) => {
      userErrorOrResult(text, () => parseLut(text, 'x.csv'));
    }),
    RUNS,
  );
  fc.assert(
    fc.property(nearValid([json]), (text) => {
      userErrorOrResult(text, () => parseLut(text, 'x.json'));
    }),
    RUNS,
  );
});
