import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { GraphBuilder } from '../ir/builder.js';
import { graphWorkloads, type Workload } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { policyPreset } from './precision.js';
import { getTarget } from './registry.js';
import { systolic } from './systolic.js';

function dense(inF: number, outF: number): Workload {
  const b = new GraphBuilder('t', [inF]);
  b.output(b.dense(b.input, outF, { bias: false, name: 'fc' }));
  return graphWorkloads(b.build())[1] as Workload;
}

function conv(c: number, out: number, hw: number, k = 3): Workload {
  const b = new GraphBuilder('t', [c, hw, hw]);
  b.output(b.conv(b.input, { out, kernel: k, bias: false, name: 'c' }));
  return graphWorkloads(b.build())[1] as Workload;
}

describe('systolic array', () => {
  it('utilisation drops at fold edges (weight-stationary)', () => {
    const t = systolic({ rows: 16, cols: 16, dataflow: 'ws' });
    const p = { weightBits: 8, actBits: 8 };
    const full = t.layerCost(conv(16, 16, 32, 1), p); // K = 16, N = 16: exactly one fold
    const edgeK = t.layerCost(conv(17, 16, 32, 1), p); // K = 17: two row folds, the second nearly empty
    const edgeN = t.layerCost(conv(16, 17, 32, 1), p);
    assert.ok(full.utilization > 0.7, `full fold utilisation ${full.utilization}`);
    assert.ok(edgeK.utilization < full.utilization * 0.6, `K edge ${edgeK.utilization}`);
    assert.ok(edgeN.utilization < full.utilization * 0.6, `N edge ${edgeN.utilization}`);
    assert.ok(edgeK.computeMs > full.computeMs * 1.8);
  });
  it('output-stationary folds over output pixels instead', () => {
    const t = systolic({ rows: 16, cols: 16, dataflow: 'os' });
    const p = { weightBits: 8, actBits: 8 };
    const a = t.layerCost(conv(64, 16, 4, 1), p); // M = 16: one row fold
    const b = t.layerCost(conv(64, 16, 5, 1), p); // M = 25: two row folds
    assert.ok(b.utilization < a.utilization * 0.85, `${b.utilization} vs ${a.utilization}`);
  });
  it('dataflows give different costs and all map dense layers', () => {
    const w = dense(1000, 500);
    const p = { weightBits: 16, actBits: 16 };
    const lat = (['ws', 'os', 'rs'] as const).map((d) => systolic({ dataflow: d }).layerCost(w, p).latencyMs);
    assert.ok(lat.every((x) => x > 0));
    assert.ok(new Set(lat.map((x) => x.toPrecision(6))).size > 1, `${lat}`);
  });
  it('a bigger array is faster on a large conv (what-if from a spec string)', () => {
    const g = zooGraph('zoo:resnet18?size=64');
    const small = getTarget('systolic').networkCost(g, policyPreset('w8a8'));
    const big = getTarget('systolic?rows=32&cols=32').networkCost(g, policyPreset('w8a8'));
    assert.ok(big.latencyMs < small.latencyMs / 2, `${big.latencyMs} vs ${small.latencyMs}`);
  });
  it('operands wider than the PE take more passes', () => {
    const t = systolic();
    const w = conv(32, 32, 16);
    const c16 = t.layerCost(w, { weightBits: 16, actBits: 16 });
    const c32 = t.layerCost(w, { weightBits: 32, actBits: 32 });
    assert.ok(Math.abs(c32.computeMs / c16.computeMs - 4) < 1e-9);
  });
  it('rejects unknown parameters and dataflows', () => {
    assert.throws(
      () => getTarget('systolic?rowz=3'),
      (e: unknown) => e instanceof ConfigError && /rowz/.test(e.message),
    );
    assert.throws(
      () => systolic({ dataflow: 'xs' }),
      (e: unknown) => e instanceof ConfigError && /'xs'/.test(e.message),
    );
    assert.throws(() => systolic({ rows: 'many' }), ConfigError);
  });
});
