/**
 * Built-in evaluations, registered on import:
 * - `zdt1`, `zdt2`: the ZDT test problems (Zitzler, Deb, Thiele 2000), two objectives to minimise
 *   over `n` parameters x0..x{n-1} in [0, 1]; known fronts f2 = 1 - sqrt(f1) and 1 - f1².
 * - `policy-cost`: a per-layer precision policy of a zoo network costed on a hardware target
 *   (latency, energy, packed size) against a quantization-noise proxy; the cheap, real study that
 *   `hwnas demo` runs. It writes the report conventions: userAttr `policy` (a PrecisionPolicy) and
 *   `layerCosts` (per-layer latency and energy).
 *
 * - `nas-table`, `nas-train`: architecture search evaluations, see ./nas-evaluations.ts.
 *
 * Every evaluation accepts `delayMs` (wait before answering; honours the abort signal), which
 * stands in for expensive training when exercising the distributed machinery.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { layerCostAttrs } from '../hardware/layer-costs.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { graphWorkloads, quantizableLayers } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { PolicyCoster } from '../quant/cost.js';
import { type ParamSpec, SearchSpace } from '../search/space.js';
import type { JsonValue, Objective, Params } from '../search/types.js';
import type { EvaluationContext, EvaluationResult } from '../study/run-study.js';
import { registerEvaluation } from './registry.js';
import { parseWith } from './zod-error.js';
// NAS evaluations (`nas-table`, `nas-train`) are built in too; their heavy parts load on first use
import './nas-evaluations.js';
// HANT's selection trials (`hant-student`), see ./transform-evaluations.ts
import './transform-evaluations.js';
// the quantization evaluation (`quant-policy`); its model, data and engine load on first use
import './quant-evaluations.js';
// the external `command` evaluation (the user's own trainer), see ./command-evaluation.ts
import './command-evaluation.js';
// the CMP-NAS retrieval evaluation (`nas-retrieval`), see ./retrieval-evaluations.ts
import './retrieval-evaluations.js';
// the resilience evaluation (`policy-resilience`): latency vs the topology fault score
import './resilience-evaluations.js';
// the bitwise-ensemble evaluation (`ensemble-config`): K members x member bits vs target latency/energy
import './ensemble-evaluations.js';

export type { LayerCostAttr } from '../hardware/layer-costs.js';

/** Waits `ms`, rejecting early when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new Error('evaluation aborted'));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const delayMs = z.number().int().min(0).max(3_600_000).optional();

const zdtOptions = z.object({ n: z.number().int().min(2).max(1000).optional(), delayMs }).strict();

function zdt(kind: 'zdt1' | 'zdt2'): void {
  registerEvaluation({
    name: kind,
    description: `${kind.toUpperCase()} test problem: 2 objectives to minimise over x0..x{n-1} in [0,1] (options: n = 30, delayMs)`,
    objectives: () => [
      { name: 'f1', direction: 'minimize' },
      { name: 'f2', direction: 'minimize' },
    ],
    defaultSpace(options) {
      const o = parseWith(zdtOptions, options, `evaluator '${kind}' options`);
      const p: Record<string, ParamSpec> = {};
      for (let i = 0; i < (o.n ?? 30); i++) p[`x${i}`] = { kind: 'float', low: 0, high: 1 };
      return new SearchSpace(p);
    },
    create(options) {
      const o = parseWith(zdtOptions, options, `evaluator '${kind}' options`);
      return async (params: Params, ctx: EvaluationContext): Promise<EvaluationResult> => {
        await delay(o.delayMs ?? 0, ctx.signal);
        const xs = Object.keys(params)
          .filter((k) => /^x\d+$/.test(k))
          .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
          .map((k) => params[k]);
        if (xs.length < 2 || !xs.every((x) => typeof x === 'number' && x >= 0 && x <= 1)) {
          throw new ConfigError(`evaluator '${kind}' needs parameters x0, x1, ... in [0, 1]; got ${JSON.stringify(params)}`);
        }
        const x = xs as number[];
        const f1 = x[0] as number;
        let s = 0;
        for (let i = 1; i < x.length; i++) s += x[i] as number;
        const g = 1 + (9 * s) / (x.length - 1);
        const r = f1 / g;
        const f2 = g * (kind === 'zdt1' ? 1 - Math.sqrt(r) : 1 - r * r);
        return { values: [f1, f2] };
      };
    },
  });
}
zdt('zdt1');
zdt('zdt2');

/** Metric names `policy-cost` can return. */
export const POLICY_COST_METRICS = ['latency_ms', 'energy_mj', 'size_kb', 'quant_error'] as const;

const policyCostOptions = z
  .object({
    model: z.string().optional(),
    target: z.string().optional(),
    bits: z.array(z.number().int().min(1).max(32)).min(1).optional(),
    objectives: z.array(z.enum(POLICY_COST_METRICS)).min(1).optional(),
    delayMs,
  })
  .strict();

interface PolicyCostSetup {
  readonly layers: readonly { readonly name: string; readonly weightElems: number; readonly outElems: number }[];
  readonly wBits: readonly number[];
  readonly aBits: readonly number[];
  readonly objectives: readonly (typeof POLICY_COST_METRICS)[number][];
  readonly coster: PolicyCoster;
  readonly delayMs: number;
}

function policyCostSetup(options: Readonly<Record<string, JsonValue>>): PolicyCostSetup {
  const o = parseWith(policyCostOptions, options, "evaluator 'policy-cost' options");
  const graph = zooGraph(o.model ?? 'mnist-cnn');
  const target = getTarget(o.target ?? 'bitfusion-edge');
  const want = o.bits ?? [2, 4, 8];
  const wBits = want.filter((b) => target.supportedBits.weight.includes(b));
  const aBits = want.filter((b) => target.supportedBits.act.includes(b));
  if (wBits.length === 0 || aBits.length === 0) {
    throw new ConfigError(
      `evaluator 'policy-cost' options.bits = ${JSON.stringify(want)}: target '${target.name}' runs weights at ${JSON.stringify(target.supportedBits.weight)} and activations at ${JSON.stringify(target.supportedBits.act)} bits`,
    );
  }
  const wl = new Map(graphWorkloads(graph).map((w) => [w.node, w]));
  const layers = quantizableLayers(graph).map((n) => {
    const w = wl.get(n.name);
    return { name: n.name, weightElems: w?.weightElems ?? 0, outElems: w?.outElems ?? 0 };
  });
  const objectives = o.objectives ?? ['latency_ms', 'quant_error'];
  if (objectives.includes('energy_mj') && !target.hasEnergy)
    throw new ConfigError(`evaluator 'policy-cost' objective 'energy_mj': target '${target.name}' has no energy model`);
  return { layers, wBits, aBits, objectives, coster: new PolicyCoster(graph, target), delayMs: o.delayMs ?? 0 };
}

/**
 * Quantization-noise proxy of a policy: the uniform quantizer's noise power (∝ 4^-bits) summed over
 * weights and output activations of every layer, relative to the same network at w8a8 (= 1).
 * A cheap stand-in for accuracy loss, not a measurement of it.
 */
export function quantErrorProxy(layers: PolicyCostSetup['layers'], weightBits: readonly number[], actBits: readonly number[]): number {
  let num = 0;
  let den = 0;
  layers.forEach((l, i) => {
    num += l.weightElems * 4 ** -(weightBits[i] as number) + l.outElems * 4 ** -(actBits[i] as number);
    den += (l.weightElems + l.outElems) * 4 ** -8;
  });
  return den > 0 ? num / den : 0;
}

registerEvaluation({
  name: 'policy-cost',
  description:
    "per-layer weight/activation bits of a zoo network on a hardware target: latency, energy, size vs a quantization-noise proxy (options: model = 'mnist-cnn', target = 'bitfusion-edge', bits = [2,4,8], objectives = ['latency_ms','quant_error'], delayMs)",
  objectives(options) {
    const o = parseWith(policyCostOptions, options, "evaluator 'policy-cost' options");
    return (o.objectives ?? ['latency_ms', 'quant_error']).map((name): Objective => ({ name, direction: 'minimize' }));
  },
  defaultSpace(options) {
    const s = policyCostSetup(options);
    const p: Record<string, ParamSpec> = {};
    for (const l of s.layers) {
      p[`${l.name}.w`] = { kind: 'categorical', choices: [...s.wBits] };
      p[`${l.name}.a`] = { kind: 'categorical', choices: [...s.aBits] };
    }
    return new SearchSpace(p);
  },
  create(options) {
    const s = policyCostSetup(options);
    return async (params: Params, ctx: EvaluationContext): Promise<EvaluationResult> => {
      await delay(s.delayMs, ctx.signal);
      const wb: number[] = [];
      const ab: number[] = [];
      const layers: Record<string, JsonValue> = {};
      for (const l of s.layers) {
        const w = params[`${l.name}.w`];
        const a = params[`${l.name}.a`];
        if (typeof w !== 'number' || !s.wBits.includes(w))
          throw new ConfigError(`parameter '${l.name}.w' = ${JSON.stringify(w)}: expected one of ${JSON.stringify(s.wBits)}`);
        if (typeof a !== 'number' || !s.aBits.includes(a))
          throw new ConfigError(`parameter '${l.name}.a' = ${JSON.stringify(a)}: expected one of ${JSON.stringify(s.aBits)}`);
        wb.push(w);
        ab.push(a);
        layers[l.name] = { weightBits: w, actBits: a };
      }
      const policy: PrecisionPolicy = {
        name: `trial-${ctx.trialNumber}`,
        default: { weightBits: 8, actBits: 8 },
        layers: layers as unknown as PrecisionPolicy['layers'],
      };
      const c = s.coster.policyCost(policy);
      const net = s.coster.target.networkCost(s.coster.graph, policy);
      const metric = { latency_ms: c.latency, energy_mj: c.energy, size_kb: c.size / 1024, quant_error: quantErrorProxy(s.layers, wb, ab) };
      const layerCosts = layerCostAttrs(net);
      return {
        values: s.objectives.map((k) => metric[k]),
        userAttrs: {
          policy: policy as unknown as JsonValue,
          layerCosts: layerCosts as unknown as JsonValue,
          latency_ms: c.latency,
          energy_mj: Number.isFinite(c.energy) ? c.energy : null,
          size_kb: c.size / 1024,
          bops: c.bops,
          target: s.coster.target.name,
        },
      };
    };
  },
});
