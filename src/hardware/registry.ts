/**
 * Hardware targets by name. `getTarget(spec)` accepts:
 * - a registered name: `bitfusion-edge`, `bismo-cloud`, `systolic`, `myriad-x`, `cortex-a76`,
 *   `jetson-nano`, `edge-tpu`, `a100`, `host-cpu` (measured: `await target.prepare(model)` first), and
 *   anything added with {@link registerTarget};
 * - parameter overrides after `?` for what-if runs: `systolic?rows=32&cols=32&dataflow=ws`;
 * - a target data file: `path/to/my-array.json` (its `model` picks the cost model);
 * - `lut:<file.json|csv>` (optionally `?fallback=<target spec>`), `predictor:<model.json>`.
 */
import { ConfigError } from '../errors.js';
import { loadTargetFile, type TargetFile } from './data.js';
import { HostCpuTarget } from './host.js';
import { LutTarget, loadLut } from './lut.js';
import { loadPredictor, PredictorTarget } from './predictor.js';
import { targetFromFile } from './target-file.js';
import type { HardwareTarget, TargetKind } from './types.js';

export { targetFromFile } from './target-file.js';

/** Options passed to a target factory. */
export interface TargetOptions {
  /** Parameter overrides (what-if); unknown keys are an error. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

/** A registered target factory. */
export interface TargetEntry {
  readonly name: string;
  readonly description: string;
  readonly kind: TargetKind;
  readonly create: (opts: TargetOptions) => HardwareTarget;
}

/** Summary line of a target, as `hwnas targets` prints it. */
export interface TargetInfo {
  readonly name: string;
  readonly kind: TargetKind;
  readonly description: string;
}

const registry = new Map<string, TargetEntry>();

/** Register (or replace) a target factory under `entry.name`. */
export function registerTarget(entry: TargetEntry): void {
  registry.set(entry.name, entry);
}

for (const [name, kind] of [
  ['bitfusion-edge', 'bitfusion'],
  ['bismo-cloud', 'bismo'],
  ['systolic', 'systolic'],
  ['myriad-x', 'roofline'],
  ['cortex-a76', 'roofline'],
  ['jetson-nano', 'roofline'],
  ['edge-tpu', 'roofline'],
  ['a100', 'roofline'],
] as const) {
  let desc: string | undefined;
  registerTarget({
    name,
    kind: 'analytical',
    get description(): string {
      desc ??= loadTargetFile(name).description;
      return `${desc} [${kind}]`;
    },
    create: (o) => targetFromFile(loadTargetFile(name), o.overrides ?? {}),
  });
}

registerTarget({
  name: 'host-cpu',
  kind: 'measured',
  description:
    'this machine, measured with onnxruntime-node (float32; per-layer and whole-network timing, conv+bn+act fusion model); call prepare(model) first',
  create: (o) => {
    const ov = o.overrides ?? {};
    for (const k of Object.keys(ov))
      if (!['threads', 'repeats', 'warmup', 'quantile'].includes(k))
        throw new ConfigError(`target 'host-cpu': unknown parameter '${k}' (expected threads, repeats, warmup, quantile)`);
    const n = (k: string): number | undefined => (ov[k] === undefined ? undefined : Number(ov[k]));
    const threads = n('threads');
    const repeats = n('repeats');
    const warmup = n('warmup');
    const quantile = n('quantile');
    return new HostCpuTarget({
      ...(threads !== undefined ? { threads } : {}),
      ...(repeats !== undefined ? { repeats } : {}),
      ...(warmup !== undefined ? { warmup } : {}),
      ...(quantile !== undefined ? { quantile } : {}),
    });
  },
});

function parseQuery(q: string, spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of q.split('&')) {
    if (kv === '') continue;
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new ConfigError(`target '${spec}': option '${kv}' is not key=value`);
    const key = kv.slice(0, eq);
    if (Object.hasOwn(out, key)) throw new ConfigError(`target '${spec}': option '${key}' is given twice; expected each option once`);
    out[key] = decodeQueryValue(kv.slice(eq + 1), spec);
  }
  return out;
}

/** decodeURIComponent with a ConfigError (quoting the spec) for a malformed %-escape. */
function decodeQueryValue(v: string, spec: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    throw new ConfigError(`target '${spec}': '${v}' is not a valid URL-encoded value (a '%' must start an escape such as %2C)`);
  }
}

/**
 * Refuse a target file that takes a built-in target's name but is not that target (another model or other parameter
 * values): its costs would be reported, and stored in studies, under the preset's name. A file equal to the preset (its
 * copy, or the packaged file itself) keeps the name.
 */
function checkNotAPreset(file: TargetFile): void {
  if (!registry.has(file.name)) return;
  let preset: TargetFile | undefined;
  try {
    preset = loadTargetFile(file.name);
  } catch {
    preset = undefined; // a registered target without a data file (host-cpu, or one added with registerTarget)
  }
  const differ = !preset
    ? ['(not a target-file preset)']
    : preset.model !== file.model
      ? [`model ${file.model} vs ${preset.model}`]
      : [...new Set([...Object.keys(file.params), ...Object.keys(preset.params)])].filter(
          (k) => JSON.stringify(file.params[k]?.value) !== JSON.stringify(preset.params[k]?.value),
        );
  if (differ.length === 0) return;
  throw new ConfigError(
    `target file ${file.path} is named '${file.name}', a built-in target, but differs from it (${differ.join(', ')}): give it a name of its own (its "name" field), so its costs are not reported as ${file.name}'s`,
  );
}

/**
 * A target by spec (see module doc).
 * @example getTarget('systolic?rows=32&cols=32&dataflow=ws')
 */
export function getTarget(spec: string, opts: TargetOptions = {}): HardwareTarget {
  if (spec.startsWith('lut:')) {
    const rest = spec.slice(4);
    const fb = rest.indexOf('?fallback=');
    const file = fb >= 0 ? rest.slice(0, fb) : rest;
    const fallback = fb >= 0 ? getTarget(decodeQueryValue(rest.slice(fb + 10), spec)) : undefined;
    return new LutTarget(loadLut(file), { name: spec, ...(fallback ? { fallback } : {}) });
  }
  if (spec.startsWith('predictor:')) return new PredictorTarget(loadPredictor(spec.slice(10)), spec);
  const q = spec.indexOf('?');
  const base = q >= 0 ? spec.slice(0, q) : spec;
  const overrides = { ...(q >= 0 ? parseQuery(spec.slice(q + 1), spec) : {}), ...(opts.overrides ?? {}) };
  if (base.endsWith('.json')) {
    const file = loadTargetFile(base);
    checkNotAPreset(file);
    return targetFromFile(file, overrides);
  }
  const e = registry.get(base);
  if (!e) {
    throw new ConfigError(
      `unknown hardware target '${spec}': expected one of ${[...registry.keys()].join(', ')}, a target .json file, lut:<file> or predictor:<file>`,
    );
  }
  return e.create({ overrides });
}

/** Every registered target (plus the `lut:` and `predictor:` forms), for `hwnas targets`. */
export function listTargets(): TargetInfo[] {
  return [
    ...[...registry.values()].map((e) => ({ name: e.name, kind: e.kind, description: e.description })),
    { name: 'lut:<file>', kind: 'table', description: 'lookup table of measured per-layer costs (JSON/CSV; ?fallback=<target> for missing keys)' },
    { name: 'predictor:<file>', kind: 'learned', description: 'learned per-layer latency model (gradient-boosted trees) from `hwnas predictor fit`' },
  ];
}
