/**
 * The conformance suite every hardware target runs (see STYLE.md: one suite, every plugin).
 * Call {@link runTargetConformance} from a `*.test.ts` file with a factory of the target.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../errors.js';
import type { Graph } from '../../ir/types.js';
import { graphWorkloads, quantizableLayers } from '../../ir/workload.js';
import { zooGraph } from '../../ir/zoo/index.js';
import { Rng } from '../../util/rng.js';
import { ANY_BITS, type PrecisionPolicy, policyFromVectors, uniformPolicy } from '../precision.js';
import { prepareNetwork } from '../prepared.js';
import { costSummary, type HardwareTarget } from '../types.js';

/** Options of {@link runTargetConformance}. */
export interface ConformanceOptions {
  /** Graphs to cost (default: zoo mnist-cnn and mbnet32). */
  readonly graphs?: readonly Graph[];
  /** Whether latency and DRAM bytes must not grow when bits shrink (true for hardware models; false for fitted/measured tables). */
  readonly monotoneInBits?: boolean;
}

const close = (a: number, b: number, what: string): void => {
  const tol = 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
};

function pickBits(t: HardwareTarget): { hi: number; lo: number; bits: readonly number[] } {
  const both = t.supportedBits.weight.filter((b) => t.supportedBits.act.includes(b));
  assert.ok(both.length > 0, `target '${t.name}' supports no common weight/activation bit-width`);
  const hi = both.includes(8) ? 8 : (both[both.length - 1] as number);
  const lo = both.includes(4) ? 4 : (both[0] as number);
  return { hi, lo, bits: both };
}

/** Register the conformance tests of one target. */
export function runTargetConformance(label: string, make: () => HardwareTarget, opts: ConformanceOptions = {}): void {
  const graphs = opts.graphs ?? [zooGraph('zoo:mnist-cnn'), zooGraph('zoo:mbnet32')];
  describe(`target conformance: ${label}`, () => {
    it('has a name, description and supported bits', () => {
      const t = make();
      assert.ok(t.name.length > 0);
      assert.ok(t.description.length > 0);
      assert.ok(t.supportedBits.weight.length > 0 && t.supportedBits.act.length > 0);
    });

    it('gives finite non-negative costs and a positive network latency', () => {
      const t = make();
      const { hi } = pickBits(t);
      for (const g of graphs) {
        const c = t.networkCost(g, uniformPolicy(hi, hi));
        assert.ok(c.latencyMs > 0, `${g.name}: latency ${c.latencyMs}`);
        assert.equal(c.layers.length, g.nodes.length);
        for (const l of c.layers) {
          for (const k of ['latencyMs', 'dramBytes', 'onchipBytes', 'computeMs', 'memoryMs', 'overheadMs'] as const) {
            assert.ok(Number.isFinite(l[k]) && l[k] >= 0, `${g.name}/${l.node}: ${k} = ${l[k]}`);
          }
          if (t.hasEnergy) assert.ok(Number.isFinite(l.energyMj) && l.energyMj >= 0, `${g.name}/${l.node}: energy ${l.energyMj}`);
          assert.ok(['compute', 'memory', 'overhead'].includes(l.bound));
          if (l.fusedInto !== undefined) assert.equal(l.latencyMs, 0, `${l.node} is fused but has latency`);
        }
      }
    });

    it('network cost is the combination of its layer costs', () => {
      const t = make();
      const { hi } = pickBits(t);
      for (const g of graphs) {
        const c = t.networkCost(g, uniformPolicy(hi, hi));
        const lat = c.layers.reduce((s, l) => s + l.latencyMs, 0) + c.networkOverheadMs;
        close(c.latencyMs, lat, `${g.name} latency`);
        if (t.hasEnergy)
          close(
            c.energyMj,
            c.layers.reduce((s, l) => s + l.energyMj, 0),
            `${g.name} energy`,
          );
        close(
          c.dramBytes,
          c.layers.reduce((s, l) => s + l.dramBytes, 0),
          `${g.name} dram`,
        );
      }
    });

    it('layerCost agrees with the unfused layers of networkCost', () => {
      const t = make();
      const { hi } = pickBits(t);
      const g = graphs[graphs.length - 1] as Graph;
      const c = t.networkCost(g, uniformPolicy(hi, hi));
      const wls = graphWorkloads(g);
      wls.forEach((w, i) => {
        const lc = c.layers[i];
        if (!lc || lc.fusedInto !== undefined) return;
        const single = t.layerCost(w, { weightBits: w.op === 'conv2d' || w.op === 'dense' ? hi : 32, actBits: hi });
        close(single.latencyMs, lc.latencyMs, `${w.node} latency`);
      });
    });

    it('evaluate (fast path) matches networkCost for uniform and mixed policies', () => {
      const t = make();
      const { hi, bits } = pickBits(t);
      const rng = new Rng(7);
      for (const g of graphs) {
        const net = prepareNetwork(g);
        const L = quantizableLayers(g).length;
        const out = costSummary();
        const uni = new Int32Array(L).fill(hi);
        t.evaluate(net, uni, uni, out, hi);
        const ref = t.networkCost(g, uniformPolicy(hi, hi));
        close(out.latencyMs, ref.latencyMs, `${g.name} uniform latency`);
        if (t.hasEnergy) close(out.energyMj, ref.energyMj, `${g.name} uniform energy`);
        const wb = Int32Array.from({ length: L }, () => rng.choice(bits));
        const ab = Int32Array.from({ length: L }, () => rng.choice(bits));
        const pol: PrecisionPolicy = { ...policyFromVectors(g, wb, ab), default: { weightBits: hi, actBits: hi } };
        t.evaluate(net, wb, ab, out, hi);
        const ref2 = t.networkCost(g, pol);
        close(out.latencyMs, ref2.latencyMs, `${g.name} mixed latency`);
        if (t.hasEnergy) close(out.energyMj, ref2.energyMj, `${g.name} mixed energy`);
      }
    });

    it('is deterministic', () => {
      const { hi } = pickBits(make());
      const g = graphs[0] as Graph;
      const a = make().networkCost(g, uniformPolicy(hi, hi));
      const b = make().networkCost(g, uniformPolicy(hi, hi));
      assert.deepEqual(a, b);
    });

    it('rejects bit-widths it cannot run with a ConfigError naming them', () => {
      const t = make();
      const bad = ANY_BITS.find((b) => !t.supportedBits.weight.includes(b));
      if (bad === undefined) return;
      const { hi } = pickBits(t);
      assert.throws(
        () => t.networkCost(graphs[0] as Graph, uniformPolicy(bad, hi)),
        (e: unknown) => e instanceof ConfigError && e.message.includes(`weightBits=${bad}`) && e.message.includes(t.name),
      );
    });

    if (opts.monotoneInBits !== false) {
      it('latency and DRAM bytes do not grow when bits shrink', () => {
        const t = make();
        const { bits } = pickBits(t);
        const g = graphs[graphs.length - 1] as Graph;
        const wls = graphWorkloads(g).filter((w) => w.op === 'conv2d' || w.op === 'dense');
        const sorted = [...bits].sort((a, b) => a - b);
        for (const w of wls) {
          for (let k = 1; k < sorted.length; k++) {
            const lo = sorted[k - 1] as number;
            const hi = sorted[k] as number;
            const cl = t.layerCost(w, { weightBits: lo, actBits: lo });
            const ch = t.layerCost(w, { weightBits: hi, actBits: hi });
            assert.ok(cl.latencyMs <= ch.latencyMs * (1 + 1e-12), `${w.node}: w${lo}a${lo} ${cl.latencyMs} ms > w${hi}a${hi} ${ch.latencyMs} ms`);
            assert.ok(cl.dramBytes <= ch.dramBytes * (1 + 1e-12), `${w.node}: DRAM bytes grow as bits shrink`);
            if (t.hasEnergy) assert.ok(cl.energyMj <= ch.energyMj * (1 + 1e-12), `${w.node}: energy grows as bits shrink`);
          }
        }
      });
    }
  });
}
