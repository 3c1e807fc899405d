/**
 * Activation sites: the tensors that feed conv/dense layers (the input image included when a layer reads
 * it), hit by transient faults drawn afresh for every forward pass (so every image of every run sees its
 * own faults). A site quantized by the policy is stored as its asymmetric uint code at the policy's
 * activation bits (value = (q - zeroPoint) * scale, the engine's and the QDQ export's grid); a float site
 * as float32.
 */

import type { ActivationCorruptor } from '../engine/fault-hooks.js';
import type { ActivationInfo } from '../engine/model.js';
import { type ActQuantConfig, actGrid } from '../engine/quant-grid.js';
import { ConfigError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { activationNodes } from '../quant/quant-config.js';
import type { Rng } from '../util/rng.js';
import { type FaultModel, faultFloat32, faultUnsignedCode, sampleFaultBits } from './fault-model.js';

/** One activation site: the output of `node`, read by `layers`. */
export interface ActivationSite {
  readonly node: string;
  /** The conv/dense layers that read it. */
  readonly layers: readonly string[];
  /** Stored bits: 1..8 (uint code on `grid`) or 32 (float32). */
  readonly bits: number;
  readonly grid: { readonly scale: number; readonly zeroPoint: number; readonly qmin: number; readonly qmax: number } | undefined;
}

/** The activation sites of a graph given the fake-quant activation configs of a policy (empty: all float32). */
export function activationSites(graph: Graph, activations: Readonly<Record<string, ActQuantConfig>>): ActivationSite[] {
  return [...activationNodes(graph)].map(([node, layers]) => {
    const cfg = activations[node];
    return cfg && cfg.bits < 16 ? { node, layers, bits: cfg.bits, grid: actGrid(cfg) } : { node, layers, bits: 32, grid: undefined };
  });
}

/** The value of an activation element after faults hit bits `bits` of its stored form. */
export function faultActivationValue(site: ActivationSite, value: number, bits: readonly number[], fault: FaultModel): number {
  if (!site.grid) {
    let v = value;
    for (const b of bits) v = faultFloat32(v, b, fault.kind);
    return v;
  }
  const g = site.grid;
  let q = Math.min(g.qmax, Math.max(g.qmin, Math.round(value / g.scale) + g.zeroPoint));
  for (const b of bits) q = faultUnsignedCode(q, b, fault.kind);
  return Math.fround((q - g.zeroPoint) * g.scale);
}

/** Counts of what a corruptor did (for reports and tests). */
export interface ActivationFaultStats {
  bitsHit: number;
  elementsHit: number;
}

/**
 * A corruptor for the engine's fault hooks: every forward pass draws the fault model's bits over each
 * chosen site independently (BER only: transient faults are a rate per stored bit and inference).
 */
export function activationCorruptor(
  sites: readonly ActivationSite[],
  fault: FaultModel,
  rng: Rng,
  stats: ActivationFaultStats = { bitsHit: 0, elementsHit: 0 },
): ActivationCorruptor {
  if (fault.ber === undefined) throw new ConfigError('activation faults are drawn at a bit error rate per inference: give a BER, not an exact count');
  const byNode = new Map(sites.map((s) => [s.node, s] as const));
  let pending: Map<number, number[]> = new Map();
  return {
    select(info: ActivationInfo, size: number) {
      const site = byNode.get(info.node);
      if (!site) return undefined;
      const hits = sampleFaultBits(size * site.bits, fault, rng);
      if (hits.length === 0) return undefined;
      pending = new Map();
      for (const pos of hits) {
        const e = Math.floor(pos / site.bits);
        const list = pending.get(e);
        if (list) list.push(pos % site.bits);
        else pending.set(e, [pos % site.bits]);
      }
      stats.bitsHit += hits.length;
      stats.elementsHit += pending.size;
      return Int32Array.from(pending.keys());
    },
    corrupt(info: ActivationInfo, indices: Int32Array, values: Float32Array) {
      const site = byNode.get(info.node) as ActivationSite;
      return Float32Array.from(values, (v, i) => faultActivationValue(site, v, pending.get(indices[i] as number) ?? [], fault));
    },
  };
}
