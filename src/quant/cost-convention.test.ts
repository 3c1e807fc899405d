/**
 * One activation-bits convention (src/hardware/activation-bits.ts, docs/hardware.md) for the engine's
 * evaluation and every cost: a policy costs the same in `quantize` (PolicyCoster, vectors and policies),
 * `cost --policy` (target.networkCost, complexity report), on analytical and per-layer-value targets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { complexityReport } from '../hardware/complexity.js';
import { LutTarget } from '../hardware/lut.js';
import { type PrecisionPolicy, policyFromVectors, policyPreset } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import type { HardwareTarget } from '../hardware/types.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/types.js';
import { zooGraph } from '../ir/zoo/index.js';
import { PolicyCoster } from './cost.js';
import { quantConfig } from './quant-config.js';
import { quantProblem } from './strategies/problem.js';
import { uniformCandidates } from './strategies/uniform.js';

/** conv c1 -> relu -> maxpool 'pool' read by two convs (a, b) -> add -> global pool -> flatten -> fc. */
function branchy(): Graph {
  const b = new GraphBuilder('branchy', [3, 16, 16]);
  const x = b.maxPool(b.relu(b.conv(b.input, { out: 8, kernel: 3, pad: 1, name: 'c1' })), { kernel: 2, stride: 2, name: 'pool' });
  const ya = b.relu(b.conv(x, { out: 8, kernel: 3, pad: 1, name: 'a' }));
  const yb = b.conv(x, { out: 8, kernel: 1, name: 'b' });
  const s = b.addOp(ya, yb, 'sum');
  b.output(b.dense(b.flatten(b.globalAvgPool(s, 'gap'), 'flat'), 10, { name: 'fc' }));
  return b.build();
}

const close = (x: number, y: number, what: string): void => assert.ok(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)), `${what}: ${x} vs ${y}`);

function targets(): HardwareTarget[] {
  const lut = new LutTarget({ format: 'hwnas-lut', version: 1, entries: [] }, { fallback: getTarget('cortex-a76'), name: 'lut-fallback' });
  return [getTarget('bitfusion-edge'), getTarget('bismo-cloud'), getTarget('systolic'), lut];
}

describe('activation-bits convention: one cost everywhere', () => {
  const g = branchy();
  const policies: PrecisionPolicy[] = [
    policyPreset('w4a4'),
    policyPreset('w8a8'),
    policyFromVectors(g, [8, 4, 2, 8], [8, 2, 8, 4]),
    policyFromVectors(g, [4, 4, 4, 4], [4, 4, 4, 4]),
    {
      name: 'groups',
      default: { weightBits: 8, actBits: 8 },
      layers: {
        a: {
          weightBits: 8,
          actBits: 8,
          groups: [
            { channels: 3, weightBits: 8, actBits: 8 },
            { channels: 5, weightBits: 2, actBits: 4 },
          ],
        },
        b: { weightBits: 4, actBits: 2 },
      },
    },
  ];

  it('quantize (PolicyCoster) and cost (networkCost, complexity report) agree on every policy and target', () => {
    for (const t of targets()) {
      const coster = new PolicyCoster(g, t);
      for (const p of policies) {
        const nc = t.networkCost(g, p);
        const pc = coster.policyCost(p);
        const rep = complexityReport(g, t, p);
        close(pc.latency, nc.latencyMs, `${t.name} ${p.name} latency`);
        close(rep.total.latencyMs, nc.latencyMs, `${t.name} ${p.name} report latency`);
        if (t.hasEnergy) close(pc.energy, nc.energyMj, `${t.name} ${p.name} energy`);
        close(pc.bops, rep.total.bitOps, `${t.name} ${p.name} BOPs`);
      }
    }
  });

  it('a tensor read by several layers is costed at the widest of their bits, as the evaluation quantizes it', () => {
    const t = getTarget('bitfusion-edge');
    const coster = new PolicyCoster(g, t);
    // layers: c1, a, b, fc; a and b read 'pool'
    const mixed = coster.cost([8, 4, 4, 8], [8, 2, 8, 8]);
    const wide = coster.cost([8, 4, 4, 8], [8, 8, 8, 8]);
    close(mixed.latency, wide.latency, 'a2 beside a8 on a shared input costs a8');
    close(mixed.bops, wide.bops, 'BOPs');
    const narrow = coster.cost([8, 4, 4, 8], [8, 2, 2, 8]);
    assert.ok(narrow.latency < wide.latency, 'both readers at a2 do save');
    // the engine's fake-quant config quantizes 'pool' once, at 8 bits
    const cal = { stats: new Map([['pool', { min: 0, max: 1, samples: Float32Array.of(0, 1) }]]), method: 'minmax' as const };
    const cfg = quantConfig(g, policyFromVectors(g, [8, 4, 4, 8], [32, 2, 8, 32]), cal);
    assert.equal(cfg.activations.pool?.bits, 8);
  });

  it('pooling moves its data at the bits of the layer reading it (issue 20: uniform W4A4 is costed as `cost --policy w4a4`)', () => {
    const m = zooGraph('zoo:mnist-cnn');
    // the 2026-12-03 model (im2col mapping): under the session-33 preset mnist-cnn's cheapest width is 0.644x of W8A8
    const t = getTarget('bitfusion-edge?mapping=im2col&stalls=overlap&psum=none');
    const coster = new PolicyCoster(m, t);
    const n = coster.layers.length;
    const v = (b: number): number[] => new Array<number>(n).fill(b);
    for (const b of [2, 4, 8]) close(coster.cost(v(b), v(b)).latency, t.networkCost(m, policyPreset(`w${b}a${b}`)).latencyMs, `W${b}A${b}`);
    const budget = { kind: 'latency' as const, value: 0.6 * coster.uniformCost({ weightBits: 8, actBits: 8 }).latency };
    const first = uniformCandidates(quantProblem(coster, budget, [2, 4, 8], [2, 4, 8]))[0];
    assert.deepEqual([first?.weightBits, first?.actBits], [4, 4], 'the widest uniform precision within 0.6x W8A8 is W4A4');
  });
});
