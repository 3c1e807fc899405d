/**
 * The resilience evaluation for the study machinery, registered on import:
 * - `policy-resilience`: per-layer weight/activation bits of a zoo network (`<layer>.w`, `<layer>.a`),
 *   costed on a hardware target and scored by the topology resilience predictor (src/resilience/predictor.ts)
 *   at a bit error rate: objectives `latency_ms` and `fault_score` (expected damage from weight bit flips,
 *   both minimised), optional constraint `fault_score <= maxFaultScore`. Cheap (no training, no
 *   injection), so an NSGA-II study trades latency against resilience over thousands of policies; the
 *   front's points are then checked by `hwnas faults`.
 *   Options: model = 'mnist-cnn' (zoo), target = 'bitfusion-edge', bits = [2,4,8,32] (32 = float32),
 *   ber = 1e-5, maxFaultScore, protect = false.
 *   With `protect: true`, protection is a decision of every candidate (issue 14): `range` (0/1, range
 *   restriction: a clip to profiled bounds after every conv/dense layer's chain) and `<layer>.ecc` (0/1,
 *   SEC-DED ECC on that layer's weights). Their cost is the target's own (src/resilience/protection.ts
 *   `protectionCost`: the clip nodes in the network cost, 9/8 of the hardened layers' weight traffic), added
 *   to `latency_ms`; their effect is the predictor's (every layer bounded; a hardened layer's damage times
 *   the share of hits ECC does not correct). The clip bounds do not change the cost, so candidates are
 *   costed without profiling; `hwnas faults --range-restriction --harden` measures a chosen point.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import type { Graph } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { PolicyCoster } from '../quant/cost.js';
import { predictResilience } from '../resilience/predictor.js';
import { protectionCost, rangeRestrictionPoints, restrictRanges } from '../resilience/protection.js';
import { type ParamSpec, SearchSpace } from '../search/space.js';
import type { JsonValue, Objective, Params } from '../search/types.js';
import type { EvaluationResult } from '../study/run-study.js';
import { registerEvaluation } from './registry.js';
import { parseWith } from './zod-error.js';

const optionsSchema = z
  .object({
    model: z.string().optional(),
    target: z.string().optional(),
    bits: z.array(z.number().int().min(1).max(32)).min(1).optional(),
    ber: z.number().gt(0).max(1).optional(),
    maxFaultScore: z.number().positive().optional(),
    protect: z.boolean().optional(),
  })
  .strict();

const OBJECTIVES: readonly Objective[] = [
  { name: 'latency_ms', direction: 'minimize' },
  { name: 'fault_score', direction: 'minimize' },
];

function setup(options: Readonly<Record<string, JsonValue>>) {
  const o = parseWith(optionsSchema, options, "evaluator 'policy-resilience' options");
  const graph = zooGraph(o.model ?? 'mnist-cnn');
  const target = getTarget(o.target ?? 'bitfusion-edge');
  const want = o.bits ?? [2, 4, 8, 32];
  const wBits = want.filter((b) => target.supportedBits.weight.includes(b));
  const aBits = want.filter((b) => target.supportedBits.act.includes(b));
  if (wBits.length === 0 || aBits.length === 0) {
    throw new ConfigError(
      `evaluator 'policy-resilience' options.bits = ${JSON.stringify(want)}: target '${target.name}' runs weights at ${JSON.stringify(target.supportedBits.weight)} and activations at ${JSON.stringify(target.supportedBits.act)} bits`,
    );
  }
  return { o, graph, layers: quantizableLayers(graph).map((l) => l.name), wBits, aBits, coster: new PolicyCoster(graph, target), ber: o.ber ?? 1e-5 };
}

/** [0, 1] at every range-restriction point: a clip node's cost on a target does not depend on its bounds. */
function placeholderBounds(graph: Graph): Map<string, { min: number; max: number }> {
  return new Map(rangeRestrictionPoints(graph).map((p) => [p, { min: 0, max: 1 }] as const));
}

registerEvaluation({
  name: 'policy-resilience',
  description:
    "per-layer bits of a zoo network: latency on a target vs the topology resilience predictor's fault score at a BER (options: model = 'mnist-cnn', target = 'bitfusion-edge', bits = [2,4,8,32], ber = 1e-5, maxFaultScore, protect: range restriction and per-layer ECC as decisions, costed on the target)",
  objectives: () => [...OBJECTIVES],
  defaultSpace(options) {
    const s = setup(options);
    const p: Record<string, ParamSpec> = {};
    for (const l of s.layers) {
      p[`${l}.w`] = { kind: 'categorical', choices: [...s.wBits] };
      p[`${l}.a`] = { kind: 'categorical', choices: [...s.aBits] };
      if (s.o.protect) p[`${l}.ecc`] = { kind: 'categorical', choices: [0, 1] };
    }
    if (s.o.protect) p.range = { kind: 'categorical', choices: [0, 1] };
    return new SearchSpace(p);
  },
  create(options) {
    const s = setup(options);
    return async (params: Params): Promise<EvaluationResult> => {
      const layers: Record<string, { weightBits: number; actBits: number }> = {};
      for (const l of s.layers) {
        const w = params[`${l}.w`];
        const a = params[`${l}.a`];
        if (typeof w !== 'number' || !s.wBits.includes(w))
          throw new ConfigError(`parameter '${l}.w' = ${JSON.stringify(w)}: expected one of ${JSON.stringify(s.wBits)}`);
        if (typeof a !== 'number' || !s.aBits.includes(a))
          throw new ConfigError(`parameter '${l}.a' = ${JSON.stringify(a)}: expected one of ${JSON.stringify(s.aBits)}`);
        layers[l] = { weightBits: w, actBits: a };
      }
      const policy: PrecisionPolicy = { default: { weightBits: 8, actBits: 8 }, layers };
      const flag = (name: string): boolean => {
        const v = params[name];
        if (v !== 0 && v !== 1) throw new ConfigError(`parameter '${name}' = ${JSON.stringify(v)}: expected 0 or 1 (protection off / on)`);
        return v === 1;
      };
      const hardened = new Set(s.o.protect ? s.layers.filter((l) => flag(`${l}.ecc`)) : []);
      const range = s.o.protect ? flag('range') : false;
      let latency = s.coster.policyCost(policy).latency;
      let protection: JsonValue | undefined;
      if (s.o.protect && (range || hardened.size > 0)) {
        // the clip bounds do not enter any target's cost: placeholder bounds give the costed graph
        const restricted = range ? restrictRanges({ graph: s.graph, weights: new Map() }, placeholderBounds(s.graph)).graph : undefined;
        const c = protectionCost(s.coster.target, s.graph, policy, { ...(restricted ? { restricted } : {}), hardened });
        latency += c.latencyMs - c.baseLatencyMs;
        protection = { range, hardened: [...hardened], extraLatency: c.extraLatency, extraWeightBytes: c.extraWeightBytes };
      }
      const pred = predictResilience(s.graph, policy, s.ber, undefined, { rangeRestriction: range, hardened });
      return {
        values: [latency, pred.score],
        ...(s.o.maxFaultScore !== undefined ? { constraints: [pred.score - s.o.maxFaultScore] } : {}),
        userAttrs: {
          policy: policy as unknown as JsonValue,
          catastrophicHits: pred.catastrophicHits,
          ber: s.ber,
          target: s.coster.target.name,
          ...(protection !== undefined ? { protection } : {}),
        },
      };
    };
  },
});
