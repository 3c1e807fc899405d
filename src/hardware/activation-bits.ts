/**
 * The activation-precision convention of every policy cost (docs/hardware.md, "Activation bits"),
 * the same as the engine's fake-quant evaluation (src/quant/quant-config.ts):
 *
 * 1. A conv/dense layer's input tensor is quantized **once**, at the widest activation bits of all the
 *    layers that read it (several layers reading one tensor: branches, residual shortcuts, channel
 *    groups of one layer). Every reading layer is costed at that width, not at its own.
 * 2. A node that is not conv/dense (pooling, add, concat, an unfused activation, ...) moves its data
 *    at the width its output tensor is stored at: the width of rule 1 when conv/dense layers read its
 *    output, else the policy's `default.actBits` (the network's tail, e.g. the logits).
 *
 * `hwnas cost --policy`, `quantize`, `nas` and the searches all go through the targets'
 * `networkCost`/`evaluate`, which apply this; a policy therefore costs the same everywhere.
 */
import type { LayerPrecision, PrecisionPolicy } from './precision.js';
import type { PreparedNetwork } from './prepared.js';

/** Activation bits a layer asks for: its own, or the widest of its channel groups' (or input groups'). */
export function requestedActBits(lp: LayerPrecision): number {
  if (lp.inputGroups && lp.inputGroups.length > 0) return Math.max(...lp.inputGroups.map((g) => g.actBits));
  return lp.groups && lp.groups.length > 0 ? Math.max(...lp.groups.map((g) => g.actBits)) : lp.actBits;
}

/**
 * Channel-wise activation bits (docs/hardware.md, "Mixed input widths"): the share of a layer's input
 * channels at each activation width, when its `inputGroups` hold more than one width (else undefined). A
 * target costs such a layer as the sum over widths of that share of the layer's cost at that width (one pass
 * over the layer, re-configured between input-channel groups: MACs and input traffic split by input channel,
 * weights and the per-layer overheads counted once in all); the node producing the input is stored at the
 * widest width (rule 1 above).
 */
export function inputShares(lp: LayerPrecision): { readonly actBits: number; readonly share: number }[] | undefined {
  const g = lp.inputGroups;
  if (!g || new Set(g.map((x) => x.actBits)).size <= 1) return undefined;
  const total = g.reduce((s, x) => s + x.channels, 0);
  const by = new Map<number, number>();
  for (const x of g) by.set(x.actBits, (by.get(x.actBits) ?? 0) + x.channels);
  return [...by].map(([actBits, n]) => ({ actBits, share: n / total }));
}

/** Which nodes' outputs some conv/dense layer reads (1 = read), cached per prepared network. */
const readCache = new WeakMap<PreparedNetwork, Uint8Array>();

/** Per node: 1 when a conv/dense layer reads its output (its storage width then follows the layers' bits). */
export function layerReadNodes(net: PreparedNetwork): Uint8Array {
  let r = readCache.get(net);
  if (!r) {
    r = new Uint8Array(net.n);
    for (const s of net.layerInput ?? []) if (s >= 0) r[s] = 1;
    readCache.set(net, r);
  }
  return r;
}

/**
 * Resolve the convention for per-layer requested activation bits: writes each layer's effective
 * activation bits into `layerOut` (length = layers) and each node's storage width into `nodeOut`
 * (length = nodes; nodes no layer reads get `defaultActBits`). Allocation-free.
 */
export function resolveActBits(
  net: PreparedNetwork,
  actBits: ArrayLike<number>,
  defaultActBits: number,
  layerOut: { [i: number]: number; length: number },
  nodeOut: { [i: number]: number; length: number },
): void {
  const L = net.layerNode.length;
  const inp = net.layerInput;
  for (let i = 0; i < net.n; i++) nodeOut[i] = 0;
  if (inp) {
    for (let l = 0; l < L; l++) {
      const s = inp[l] as number;
      const b = actBits[l] as number;
      if (s >= 0 && b > (nodeOut[s] as number)) nodeOut[s] = b;
    }
  }
  for (let l = 0; l < L; l++) {
    const s = inp ? (inp[l] as number) : -1;
    layerOut[l] = s >= 0 ? (nodeOut[s] as number) : (actBits[l] as number);
  }
  for (let i = 0; i < net.n; i++) if (nodeOut[i] === 0) nodeOut[i] = defaultActBits;
}

/** The convention applied to a policy: effective activation bits per layer and storage width per node. */
export function policyActBits(net: PreparedNetwork, policy: PrecisionPolicy): { readonly layer: number[]; readonly node: number[] } {
  const req = net.layerNames.map((name) => requestedActBits(policy.layers[name] ?? policy.default));
  const layer = new Array<number>(req.length).fill(0);
  const node = new Array<number>(net.n).fill(0);
  resolveActBits(net, req, policy.default.actBits, layer, node);
  return { layer, node };
}
