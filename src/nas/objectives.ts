/** Objective specs of NAS runs: `accuracy:max,latency_ms:min`. */
import { ConfigError } from '../errors.js';
import type { Objective } from '../search/types.js';

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
