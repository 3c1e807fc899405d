import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zooGraph } from '../ir/zoo/index.js';
import { NetworkTables } from './analytical.js';
import { type PreparedNetwork, prepareNetwork } from './prepared.js';
import { getTarget } from './registry.js';
import { costSummary } from './types.js';

describe('NetworkTables', () => {
  it('builds one table per network, once, and returns it when networks alternate', () => {
    const built: PreparedNetwork[] = [];
    const tables = new NetworkTables((net) => {
      built.push(net);
      return new Float64Array(net.n);
    });
    const a = prepareNetwork(zooGraph('mnist-cnn'));
    const b = prepareNetwork(zooGraph('mbnet32'));
    const ta = tables.of(a);
    const tb = tables.of(b);
    assert.notEqual(ta, tb);
    assert.equal(ta.length, a.n);
    assert.equal(tb.length, b.n);
    for (const [net, t] of [
      [a, ta],
      [b, tb],
      [b, tb],
      [a, ta],
    ] as const)
      assert.equal(tables.of(net), t);
    assert.deepEqual(built, [a, b]);
  });

  it("a target's memoised costs do not depend on the order networks are evaluated in", () => {
    const nets = ['mnist-cnn', 'mbnet32'].map((n) => prepareNetwork(zooGraph(n)));
    const run = (spec: string, order: readonly number[]): number[] => {
      const t = getTarget(spec);
      const out = costSummary();
      const lat: number[] = [];
      for (const k of order) {
        const net = nets[k] as PreparedNetwork;
        const L = net.layerNode.length;
        t.evaluate(net, new Array(L).fill(4), new Array(L).fill(2), out);
        lat[k] = out.latencyMs;
      }
      return lat;
    };
    for (const spec of ['bismo-cloud', 'systolic?dataflow=ws', 'bitfusion-edge']) assert.deepEqual(run(spec, [0, 1, 0, 1]), run(spec, [1, 0]), spec);
  });
});
