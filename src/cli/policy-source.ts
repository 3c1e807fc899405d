import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { type HardwareTarget, POLICY_PRESETS, type PrecisionPolicy, parsePolicy } from '../hardware/index.js';
import type { Graph } from '../ir/index.js';

/**
 * Resolve a `--policy` argument: a preset name (`w8a8`, `w4a4`, `fp32`, ...), a JSON policy file or inline
 * JSON (`{"default":{...},"layers":{...}}`).
 * Unknown layers and bit-widths the target cannot run are errors naming them.
 */
export function loadPolicySpec(spec: string, graph: Graph, target?: HardwareTarget): PrecisionPolicy {
  let json: unknown;
  let source = spec;
  if (POLICY_PRESETS.includes(spec) || /^w\d+a\d+$/.test(spec)) json = spec;
  else if (spec.trimStart().startsWith('{')) {
    try {
      json = JSON.parse(spec);
    } catch (e) {
      throw new ConfigError(
        `--policy '${spec}' is not valid JSON (${(e as Error).message}): expected a preset, a policy JSON file or inline JSON like {"default":{"weightBits":8,"actBits":8},"layers":{...}}`,
      );
    }
    source = '(inline JSON)';
  } else {
    if (!existsSync(spec)) {
      throw new ConfigError(`policy '${spec}' is neither a preset (${POLICY_PRESETS.join(', ')}) nor an existing JSON file`);
    }
    try {
      json = JSON.parse(readFileSync(spec, 'utf8'));
    } catch (e) {
      throw new ConfigError(`policy file '${spec}' is not valid JSON: ${(e as Error).message}`);
    }
    source = `'${spec}'`;
  }
  return parsePolicy(json, {
    graph,
    source,
    ...(target ? { supported: target.supportedBits, targetName: target.name } : {}),
  });
}
