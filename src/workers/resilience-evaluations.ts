/**
 * The resilience evaluation for the study machinery, registered on import:
 * - `policy-resilience`: per-layer weight/activation bits of a zoo network (`<layer>.w`, `<layer>.a`),
 *   costed on a hardware target and scored by the topology resilience predictor (src/resilience/predictor.ts)
 *   at a bit error rate: objectives `latency_ms` and `fault_score` (expected damage from weight bit flips,
 *   both minimised), optional constraint `fault_score <= maxFaultScore`. Cheap (no training, no
 *   injection), so an NSGA-II study trades latency against resilience over thousands of policies; the
 *   front's points are then checked by `hwnas faults`.
 *   Options: model = 'mnist-cnn' (zoo), target = 'bitfusion-edge', bits = [2,4,8,32] (32 = float32),
 *   ber = 1e-5, maxFaultScore.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { quantizableLayers } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { PolicyCoster } from '../quant/cost.js';
import { predictResilience } from '../resilience/predictor.js';
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

registerEvaluation({
  name: 'policy-resilience',
  description:
    "per-layer bits of a zoo network: latency on a target vs the topology resilience predictor's fault score at a BER (options: model = 'mnist-cnn', target = 'bitfusion-edge', bits = [2,4,8,32], ber = 1e-5, maxFaultScore)",
  objectives: () => [...OBJECTIVES],
  defaultSpace(options) {
    const s = setup(options);
    const p: Record<string, ParamSpec> = {};
    for (const l of s.layers) {
      p[`${l}.w`] = { kind: 'categorical', choices: [...s.wBits] };
      p[`${l}.a`] = { kind: 'categorical', choices: [...s.aBits] };
    }
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
      const latency = s.coster.policyCost(policy).latency;
      const pred = predictResilience(s.graph, policy, s.ber);
      return {
        values: [latency, pred.score],
        ...(s.o.maxFaultScore !== undefined ? { constraints: [pred.score - s.o.maxFaultScore] } : {}),
        userAttrs: { policy: policy as unknown as JsonValue, catastrophicHits: pred.catastrophicHits, ber: s.ber, target: s.coster.target.name },
      };
    };
  },
});
