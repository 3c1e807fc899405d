/** Objective specs of NAS runs (`accuracy:max,latency_ms:min`) and the trial result an evaluator makes of its metrics. */
import { ConfigError } from '../errors.js';
import type { JsonValue, Objective } from '../search/types.js';
import type { EvaluationResult } from '../study/run-study.js';

/** Parses `name:max|min[,name:max|min...]` (ConfigError quoting the bad part). */
export function parseObjectives(spec: string): Objective[] {
  const parts = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new ConfigError(`objectives '${spec}': expected e.g. 'accuracy:max,latency_ms:min'`);
  const out = parts.map((p) => {
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*):(max|min|maximize|minimize)$/.exec(p);
    if (!m) throw new ConfigError(`objective '${p}': expected '<metric>:max' or '<metric>:min' (e.g. accuracy:max,latency_ms:min)`);
    return { name: m[1] as string, direction: (m[2] as string).startsWith('max') ? 'maximize' : 'minimize' } satisfies Objective;
  });
  const dup = out.find((o, i) => out.findIndex((x) => x.name === o.name) !== i);
  if (dup) throw new ConfigError(`objectives '${spec}': metric '${dup.name}' appears twice`);
  return out;
}

/**
 * Parses a fault-drop constraint `--max-fault-drop`: `<drop>pp[@<ber>]` (percentage points of accuracy
 * lost at a bit error rate, e.g. `1pp@1e-5`) or a plain fraction (`0.01`). Returns the drop as an
 * accuracy fraction and the BER when given.
 */
export function parseMaxFaultDrop(spec: string): { readonly maxDrop: number; readonly ber?: number } {
  const m = /^\s*([0-9.eE+-]+)\s*(pp)?\s*(?:@\s*([0-9.eE+-]+))?\s*$/.exec(spec);
  const drop = m ? Number(m[1]) / (m[2] ? 100 : 1) : Number.NaN;
  const ber = m?.[3] !== undefined ? Number(m[3]) : undefined;
  if (!m || !(drop >= 0 && drop <= 1) || (ber !== undefined && !(ber > 0 && ber <= 1)))
    throw new ConfigError(`--max-fault-drop '${spec}': expected <points>pp[@<ber>] (e.g. 1pp@1e-5) or an accuracy fraction in [0, 1] (e.g. 0.01)`);
  return { maxDrop: drop, ...(ber !== undefined ? { ber } : {}) };
}

/** The trial parameter of a NAS study with protection (`hwnas nas --protect ecc`, issue 14): the share of layers stored with ECC. */
export const ECC_SHARE_PARAM = 'ecc_share';
/** Its choices. */
export const ECC_SHARES: readonly number[] = [0, 0.25, 0.5, 1];

/** The finite metrics of a record (NaN ones, e.g. energy on a target without an energy model, are left out). */
export function finiteMetrics(m: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));
}

/**
 * A NAS evaluator's trial result from its metrics `m` (which hold `latency_ms`): the objectives' values in study
 * order, the constraint `latency_ms - maxLatencyMs` when a latency bound is set, and as user attributes `attrs`,
 * then every finite metric, then `after`.
 */
export function metricsResult(
  o: { readonly objectives: readonly Objective[]; readonly maxLatencyMs?: number | undefined },
  m: Readonly<Record<string, number>>,
  attrs: Readonly<Record<string, JsonValue>>,
  after: Readonly<Record<string, JsonValue>> = {},
): EvaluationResult {
  return {
    values: o.objectives.map((x) => m[x.name] as number),
    ...(o.maxLatencyMs !== undefined ? { constraints: [(m['latency_ms'] as number) - o.maxLatencyMs] } : {}),
    userAttrs: { ...attrs, ...finiteMetrics(m), ...after },
  };
}
