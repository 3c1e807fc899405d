/**
 * Numeric precision of layers: the {@link Precision} of one layer, and the JSON-serialisable
 * {@link PrecisionPolicy} that gives every conv/dense layer of a graph its weight and activation
 * bits (optionally per group of output channels).
 *
 * Policy JSON (what `--policy policy.json` reads):
 * ```json
 * { "name": "mixed", "default": { "weightBits": 8, "actBits": 8 },
 *   "layers": { "conv1": { "weightBits": 4, "actBits": 8 },
 *               "fc":    { "weightBits": 8, "actBits": 8,
 *                          "groups": [ { "channels": 6, "weightBits": 4, "actBits": 8 },
 *                                      { "channels": 4, "weightBits": 8, "actBits": 8 } ] } } }
 * ```
 * Layers not named take `default`; nodes that are not conv/dense (batchnorm, activations, pooling, ...)
 * move their activations at `default.actBits`. Channel groups split a layer's output channels in
 * order; their `channels` must add up to the layer's output channels.
 */
import { ConfigError } from '../errors.js';
import type { InputGroup, LayerPrecision, Precision, PrecisionPolicy } from '../ir/precision.js';
import type { Graph } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';

export type { ChannelGroup, InputGroup, LayerPrecision, Precision, PrecisionPolicy } from '../ir/precision.js';

/** The bit-widths a target can run, for weights and activations separately. */
export interface SupportedBits {
  readonly weight: readonly number[];
  readonly act: readonly number[];
}

/** Bit-widths accepted anywhere in a policy (before any target narrows them). */
export const ANY_BITS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 16, 32];

/** Names of the built-in presets; any `w<W>a<A>` spelling is also a preset. */
export const POLICY_PRESETS: readonly string[] = ['fp32', 'fp16', 'w8a8', 'w6a6', 'w4a8', 'w4a4', 'w2a2', 'w2a8', 'w1a1'];

/** A uniform policy: every layer at `weightBits`/`actBits`. */
export function uniformPolicy(weightBits: number, actBits: number, name = `w${weightBits}a${actBits}`): PrecisionPolicy {
  return { name, default: { weightBits, actBits }, layers: {} };
}

/**
 * A preset policy by name: `fp32`, `fp16`, or `w<W>a<A>` (e.g. `w8a8`, `w4a4`, `w2a8`).
 * @example policyPreset('w4a4') // every layer at 4-bit weights and activations
 */
export function policyPreset(name: string): PrecisionPolicy {
  if (name === 'fp32') return uniformPolicy(32, 32, 'fp32');
  if (name === 'fp16') return uniformPolicy(16, 16, 'fp16');
  const m = /^w(\d+)a(\d+)$/.exec(name);
  if (m) {
    const wb = Number(m[1]);
    const ab = Number(m[2]);
    if (ANY_BITS.includes(wb) && ANY_BITS.includes(ab)) return uniformPolicy(wb, ab, name);
  }
  throw new ConfigError(
    `unknown precision preset '${name}': expected fp32, fp16 or w<W>a<A> with bits in {${ANY_BITS.join(', ')}} (e.g. ${POLICY_PRESETS.join(', ')})`,
  );
}

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions {
  /** When given, layer names must be conv/dense nodes of this graph and channel groups must cover each layer. */
  readonly graph?: Graph;
  /** When given, every bit-width must be one of these (the target's); the error names the target. */
  readonly supported?: SupportedBits;
  /** Name used in errors about `supported` (e.g. the target name). */
  readonly targetName?: string;
  /** Where the policy came from, for error messages (e.g. a file name). */
  readonly source?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validate and normalise a policy from JSON (an object, or a preset name string).
 * Throws {@link ConfigError} naming the bad field: unknown layer names, non-integer or unsupported
 * bit-widths, channel groups that do not add up to the layer's output channels.
 */
export function parsePolicy(json: unknown, opts: ParsePolicyOptions = {}): PrecisionPolicy {
  const src = opts.source ? `policy ${opts.source}` : 'policy';
  let policy: PrecisionPolicy;
  if (typeof json === 'string') policy = policyPreset(json);
  else {
    if (!isRecord(json)) throw new ConfigError(`${src}: expected an object with 'default' and 'layers' or a preset name, got ${JSON.stringify(json)}`);
    for (const k of Object.keys(json)) {
      if (!['name', 'default', 'layers'].includes(k)) throw new ConfigError(`${src}: unknown field '${k}' (expected name, default, layers)`);
    }
    const def = json.default === undefined ? { weightBits: 8, actBits: 8 } : readPrecision(json.default, `${src}: default`, DEFAULT_FIELDS);
    const layersIn = json.layers ?? {};
    if (!isRecord(layersIn))
      throw new ConfigError(`${src}: 'layers' must be an object of layer name -> {weightBits, actBits}, got ${JSON.stringify(layersIn)}`);
    const layers: Record<string, LayerPrecision> = {};
    for (const [name, v] of Object.entries(layersIn)) {
      const where = `${src}: layer '${name}'`;
      const p = readPrecision(v, where, LAYER_FIELDS);
      if (isRecord(v) && v.groups !== undefined) {
        if (!Array.isArray(v.groups) || v.groups.length === 0)
          throw new ConfigError(`${where}: 'groups' must be a non-empty array of {channels, weightBits, actBits}`);
        const groups = v.groups.map((g, i) => {
          const gp = readPrecision(g, `${where} group ${i}`, GROUP_FIELDS);
          const ch = (g as Record<string, unknown>).channels;
          if (typeof ch !== 'number' || !Number.isInteger(ch) || ch <= 0)
            throw new ConfigError(`${where} group ${i}: channels=${JSON.stringify(ch)} must be a positive integer`);
          return { channels: ch, weightBits: gp.weightBits, actBits: gp.actBits };
        });
        layers[name] = { weightBits: p.weightBits, actBits: p.actBits, groups, ...readInputGroups(v, where) };
      } else layers[name] = { ...p, ...readInputGroups(v, where) };
    }
    policy = { ...(typeof json.name === 'string' ? { name: json.name } : {}), default: def, layers };
  }
  if (opts.graph) checkPolicyLayers(policy, opts.graph, src);
  if (opts.supported) checkPolicyBits(policy, opts.supported, opts.targetName ?? 'the target', src);
  return policy;
}

/** The optional `inputGroups` of a layer entry: `[{channels, actBits}, ...]` (channel-wise activation bits). */
function readInputGroups(v: unknown, where: string): { inputGroups?: InputGroup[] } {
  if (!isRecord(v) || v.inputGroups === undefined) return {};
  if (!Array.isArray(v.inputGroups) || v.inputGroups.length === 0)
    throw new ConfigError(`${where}: 'inputGroups' must be a non-empty array of {channels, actBits}`);
  return {
    inputGroups: v.inputGroups.map((g, i) => {
      const r = isRecord(g) ? g : {};
      checkFields(r, `${where} input group ${i}`, INPUT_GROUP_FIELDS);
      const ch = r.channels;
      const ab = r.actBits;
      if (typeof ch !== 'number' || !Number.isInteger(ch) || ch <= 0)
        throw new ConfigError(`${where} input group ${i}: channels=${JSON.stringify(ch)} must be a positive integer`);
      if (typeof ab !== 'number' || !ANY_BITS.includes(ab))
        throw new ConfigError(`${where} input group ${i}: actBits=${JSON.stringify(ab)} is not a bit-width: expected one of ${ANY_BITS.join(', ')}`);
      return { channels: ch, actBits: ab };
    }),
  };
}

/** The fields each level of a policy takes: `default` is one precision (no groups: those are per layer, sized to it). */
const DEFAULT_FIELDS: readonly string[] = ['weightBits', 'actBits'];
const LAYER_FIELDS: readonly string[] = ['weightBits', 'actBits', 'groups', 'inputGroups'];
const GROUP_FIELDS: readonly string[] = ['channels', 'weightBits', 'actBits'];
const INPUT_GROUP_FIELDS: readonly string[] = ['channels', 'actBits'];

/** Throw naming the field and where it is if `v` has a field outside `allowed` (a field in the wrong place is not ignored). */
function checkFields(v: Record<string, unknown>, where: string, allowed: readonly string[]): void {
  for (const k of Object.keys(v)) {
    if (allowed.includes(k)) continue;
    const home = MISPLACED[k];
    throw new ConfigError(
      home
        ? `${where}: field '${k}' does not belong here (expected ${allowed.join(', ')}; '${k}' goes ${home})`
        : `${where}: unknown field '${k}' (expected ${allowed.join(', ')})`,
    );
  }
}

/** Where a policy field that is valid at another level belongs, for the error on a misplaced one. */
const MISPLACED: Readonly<Record<string, string>> = {
  groups: "in a layer entry under 'layers'",
  inputGroups: "in a layer entry under 'layers'",
  channels: "in an entry of a layer's groups or inputGroups",
  weightBits: "in default, a layer entry or a layer's groups",
};

function readPrecision(v: unknown, where: string, allowed: readonly string[]): Precision {
  if (!isRecord(v)) throw new ConfigError(`${where}: expected {${allowed.join(', ')}}, got ${JSON.stringify(v)}`);
  checkFields(v, where, allowed);
  const wb = v.weightBits;
  const ab = v.actBits;
  for (const [k, b] of [
    ['weightBits', wb],
    ['actBits', ab],
  ] as const) {
    if (typeof b !== 'number' || !ANY_BITS.includes(b))
      throw new ConfigError(`${where}: ${k}=${JSON.stringify(b)} is not a bit-width: expected one of ${ANY_BITS.join(', ')}`);
  }
  return { weightBits: wb as number, actBits: ab as number };
}

/** Throw if the policy names a layer that is not a conv/dense node of `graph`, or channel groups do not cover the layer. */
export function checkPolicyLayers(policy: PrecisionPolicy, graph: Graph, src = 'policy'): void {
  const layers = new Map(quantizableLayers(graph).map((n) => [n.name, n]));
  for (const [name, lp] of Object.entries(policy.layers)) {
    const node = layers.get(name);
    if (!node) {
      const names = [...layers.keys()];
      const shown = names.slice(0, 12).join(', ') + (names.length > 12 ? `, ... (${names.length} in all)` : '');
      throw new ConfigError(`${src}: unknown layer '${name}' in graph '${graph.name}': expected a conv/dense layer name (${shown})`);
    }
    if (lp.groups) {
      const out = node.op === 'conv2d' ? node.outChannels : node.outFeatures;
      const sum = lp.groups.reduce((s, g) => s + g.channels, 0);
      if (sum !== out) throw new ConfigError(`${src}: layer '${name}': channel groups cover ${sum} channels, expected the layer's ${out} output channels`);
    }
    if (lp.inputGroups) {
      const inC = node.op === 'conv2d' ? node.inChannels : node.inFeatures;
      const sum = lp.inputGroups.reduce((s, g) => s + g.channels, 0);
      if (sum !== inC) throw new ConfigError(`${src}: layer '${name}': input groups cover ${sum} channels, expected the layer's ${inC} input channels`);
    }
  }
}

/** True when `p` is runnable with these supported bits. */
export function bitsSupported(p: Precision, s: SupportedBits): boolean {
  return s.weight.includes(p.weightBits) && s.act.includes(p.actBits);
}

/** What the default policies read of a target: its bits, and the precision its own costs are for, if any. */
export interface DefaultPrecisionSource {
  readonly supportedBits: SupportedBits;
  /** See {@link HardwareTarget.defaultPrecision} (a lookup table's measured bits). */
  readonly defaultPrecision?: Precision;
}

/** The preset name of a uniform precision: fp32, fp16 or w<W>a<A>. */
function presetName(p: Precision): string {
  if (p.weightBits === p.actBits && (p.weightBits === 32 || p.weightBits === 16)) return `fp${p.weightBits}`;
  return precisionLabel(p);
}

/**
 * The precision a target runs natively when none is asked for: the target's own ({@link DefaultPrecisionSource.defaultPrecision},
 * a lookup table's measured bits) when it has one, else fp32 where it supports it, else w8a8.
 */
export function defaultPolicy(target: DefaultPrecisionSource): PrecisionPolicy {
  const own = target.defaultPrecision;
  if (own) return uniformPolicy(own.weightBits, own.actBits, presetName(own));
  return bitsSupported({ weightBits: 32, actBits: 32 }, target.supportedBits) ? uniformPolicy(32, 32, 'fp32') : uniformPolicy(8, 8, 'w8a8');
}

/**
 * The preset `hwnas cost` (and the what-if page) costs without `--policy`: the target's own precision when it has one
 * (a lookup table's measured bits, also with `?fallback=`), else w8a8, or fp32 where the target runs no 8-bit layers.
 */
export function costPolicyPreset(target: DefaultPrecisionSource): string {
  if (target.defaultPrecision) return presetName(target.defaultPrecision);
  return bitsSupported({ weightBits: 8, actBits: 8 }, target.supportedBits) ? 'w8a8' : 'fp32';
}

/**
 * The policy `hwnas cost`, `POST /api/cost` and the what-if page cost a model at when no policy is asked for: a QDQ
 * file's own precision (`precision`, each layer's bits read from its codes and grids) when it has one, else
 * {@link costPolicyPreset}. Checked against the graph and the target's bits; `file` names the QDQ file in errors.
 */
export function costDefaultPolicy(
  graph: Graph,
  target: DefaultPrecisionSource & { readonly name: string },
  precision: PrecisionPolicy | undefined,
  file: string,
): PrecisionPolicy {
  const preset = costPolicyPreset(target);
  return parsePolicy(precision ?? preset, {
    graph,
    supported: target.supportedBits,
    targetName: target.name,
    source: precision ? `of the QDQ file '${file}'` : preset,
  });
}

/** Throw a {@link ConfigError} naming the layer and bits if any precision of the policy is not in `supported`. */
export function checkPolicyBits(policy: PrecisionPolicy, supported: SupportedBits, targetName: string, src = 'policy'): void {
  const check = (p: Precision, where: string): void => {
    if (!supported.weight.includes(p.weightBits)) {
      throw new ConfigError(`${src}: ${where} weightBits=${p.weightBits} cannot run on target '${targetName}': expected one of ${supported.weight.join(', ')}`);
    }
    if (!supported.act.includes(p.actBits)) {
      throw new ConfigError(`${src}: ${where} actBits=${p.actBits} cannot run on target '${targetName}': expected one of ${supported.act.join(', ')}`);
    }
  };
  check(policy.default, 'default');
  for (const [name, lp] of Object.entries(policy.layers)) {
    if (lp.groups) lp.groups.forEach((g, i) => check(g, `layer '${name}' group ${i}`));
    else check(lp, `layer '${name}'`);
    lp.inputGroups?.forEach((g, i) => check({ weightBits: (lp.groups?.[0] ?? lp).weightBits, actBits: g.actBits }, `layer '${name}' input group ${i}`));
  }
}

/** The precision a policy gives to layer `name` (its own entry or the default; channel groups not expanded). */
export function layerPrecision(policy: PrecisionPolicy, name: string): LayerPrecision {
  return policy.layers[name] ?? policy.default;
}

/** A policy with the same bits per layer as a vector over `quantizableLayers(graph)` order. */
export function policyFromVectors(graph: Graph, weightBits: ArrayLike<number>, actBits: ArrayLike<number>, name?: string): PrecisionPolicy {
  const layers: Record<string, LayerPrecision> = {};
  const q = quantizableLayers(graph);
  if (weightBits.length !== q.length || actBits.length !== q.length) {
    throw new ConfigError(
      `policy vectors have ${weightBits.length}/${actBits.length} entries, expected ${q.length} (one per conv/dense layer of '${graph.name}')`,
    );
  }
  q.forEach((n, i) => {
    layers[n.name] = { weightBits: weightBits[i] as number, actBits: actBits[i] as number };
  });
  return { ...(name !== undefined ? { name } : {}), default: { weightBits: 8, actBits: 8 }, layers };
}

/** Short label of a precision, e.g. `w4a8`. */
export function precisionLabel(p: Precision): string {
  return `w${p.weightBits}a${p.actBits}`;
}
