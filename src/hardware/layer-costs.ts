/**
 * The `layerCosts` user attribute of a trial: a network's per-layer latency and energy on a target, the rows of
 * the HTML report's per-layer cost bars (src/report). Every evaluation that costs a network stores it this way.
 */
import type { NetworkCost } from './types.js';

/** Per-layer cost entry of the `layerCosts` user attribute (the report's breakdown bars). */
export interface LayerCostAttr {
  readonly layer: string;
  readonly op: string;
  readonly latencyMs: number;
  /** NaN is stored as null (targets without an energy model). */
  readonly energyMj: number | null;
}

/**
 * The layers of a network cost that take time (layers fused into another are counted there), as stored rows.
 * @example
 * userAttrs.layerCosts = layerCostAttrs(target.networkCost(graph, policy));
 */
export function layerCostAttrs(net: NetworkCost): LayerCostAttr[] {
  return net.layers
    .filter((l) => l.fusedInto === undefined && l.latencyMs > 0)
    .map((l) => ({ layer: l.node, op: l.op, latencyMs: l.latencyMs, energyMj: Number.isFinite(l.energyMj) ? l.energyMj : null }));
}
