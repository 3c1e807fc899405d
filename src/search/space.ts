/**
 * Search spaces: categorical, integer, float and structured parameters, sampling, validation and
 * an encoding of every point into the unit cube (one-hot for categoricals) for model-based strategies.
 */
import { ConfigError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import type { JsonValue, Params } from './types.js';

/** A choice among a fixed list of scalar values. */
export interface CategoricalParam {
  readonly kind: 'categorical';
  /** The values to choose from (non-empty, distinct). */
  readonly choices: readonly (string | number | boolean | null)[];
}

/** An integer in [low, high] on a grid of `step` (default 1), optionally log-scaled. */
export interface IntParam {
  readonly kind: 'int';
  readonly low: number;
  readonly high: number;
  /** Grid spacing from `low` (default 1). */
  readonly step?: number;
  /** Sample log-uniformly (needs low >= 1). */
  readonly log?: boolean;
}

/** A real number in [low, high], optionally log-scaled. */
export interface FloatParam {
  readonly kind: 'float';
  readonly low: number;
  readonly high: number;
  /** Sample log-uniformly (needs low > 0). */
  readonly log?: boolean;
}

/**
 * How a structured value (a precision policy, an architecture encoding) is sampled, mutated,
 * recombined and mapped to numbers. Plug-ins implement this; strategies use nothing else.
 */
export interface StructuredCodec {
  /** Stable name (stored with the study's space). */
  readonly name: string;
  /** Length of {@link StructuredCodec.encode}'s output. */
  readonly dimension: number;
  /** A uniformly random valid value. */
  sample(rng: Rng): JsonValue;
  /** A nearby valid value (small change). */
  mutate(value: JsonValue, rng: Rng): JsonValue;
  /** Optional recombination of two parents; default is uniform crossover of the encodings. */
  crossover?(a: JsonValue, b: JsonValue, rng: Rng): JsonValue;
  /** Numbers in [0, 1], `dimension` of them. */
  encode(value: JsonValue): number[];
  /** The valid value nearest to a point of [0, 1]^dimension. */
  decode(x: readonly number[]): JsonValue;
  /** Null when `value` is valid, else a sentence saying what is wrong. */
  validate(value: JsonValue): string | null;
  /** Optional JSON description stored with the study (default: the name only). */
  describe?(): JsonValue;
}

/** A parameter whose values are produced by a {@link StructuredCodec}. */
export interface StructuredParam {
  readonly kind: 'structured';
  readonly codec: StructuredCodec;
}

/** Any parameter description. */
export type ParamSpec = CategoricalParam | IntParam | FloatParam | StructuredParam;

/** JSON description of a space (structured parameters by codec name and description). */
export type SpaceJson = Readonly<Record<string, JsonValue>>;

/** An ordered set of named parameters. */
export class SearchSpace {
  /** Parameter names in declaration order. */
  readonly names: readonly string[];
  /** Total length of {@link SearchSpace.encode}'s output. */
  readonly encodedDimension: number;
  private readonly offsets: number[];

  constructor(readonly params: Readonly<Record<string, ParamSpec>>) {
    this.names = Object.keys(params);
    if (this.names.length === 0) throw new ConfigError('search space has no parameters; expected at least one');
    const offsets: number[] = [];
    let d = 0;
    for (const name of this.names) {
      const spec = params[name] as ParamSpec;
      checkSpec(name, spec);
      offsets.push(d);
      d += encodedWidth(spec);
    }
    this.offsets = offsets;
    this.encodedDimension = d;
  }

  /** The spec of one parameter (ConfigError when unknown). */
  spec(name: string): ParamSpec {
    const s = this.params[name];
    if (s === undefined) throw new ConfigError(`unknown parameter '${name}'; expected one of ${this.names.join(', ')}`);
    return s;
  }

  /** A uniformly random point. */
  sample(rng: Rng): Params {
    const out: Record<string, JsonValue> = {};
    for (const name of this.names) out[name] = sampleParam(this.params[name] as ParamSpec, rng);
    return out;
  }

  /** Null when `params` is a valid point of this space, else a sentence naming the bad value. */
  check(params: Params): string | null {
    for (const name of this.names) {
      if (!(name in params)) return `parameter '${name}' is missing`;
      const why = checkParam(this.params[name] as ParamSpec, params[name] as JsonValue);
      if (why !== null) return `parameter '${name}' = ${JSON.stringify(params[name])}: ${why}`;
    }
    for (const k of Object.keys(params)) {
      if (!(k in this.params)) return `parameter '${k}' is not in the space (expected ${this.names.join(', ')})`;
    }
    return null;
  }

  /** Throws a ConfigError unless `params` is a valid point. */
  validate(params: Params): void {
    const why = this.check(params);
    if (why !== null) throw new ConfigError(why);
  }

  /** Maps a point into [0, 1]^encodedDimension (one-hot for categoricals, log scale where asked). */
  encode(params: Params): number[] {
    const out: number[] = [];
    for (const name of this.names) {
      const spec = this.params[name] as ParamSpec;
      const v = params[name] as JsonValue;
      if (spec.kind === 'categorical') {
        const i = categoricalIndex(spec, v);
        for (let j = 0; j < spec.choices.length; j++) out.push(j === i ? 1 : 0);
      } else if (spec.kind === 'structured') out.push(...spec.codec.encode(v));
      else out.push(toUnit(spec, v as number));
    }
    return out;
  }

  /** The valid point nearest to `x` of [0, 1]^encodedDimension (argmax for one-hot blocks). */
  decode(x: readonly number[]): Params {
    const out: Record<string, JsonValue> = {};
    this.names.forEach((name, k) => {
      const spec = this.params[name] as ParamSpec;
      const o = this.offsets[k] as number;
      if (spec.kind === 'categorical') {
        let best = 0;
        for (let j = 1; j < spec.choices.length; j++) if ((x[o + j] as number) > (x[o + best] as number)) best = j;
        out[name] = spec.choices[best] as JsonValue;
      } else if (spec.kind === 'structured') out[name] = spec.codec.decode(x.slice(o, o + spec.codec.dimension));
      else out[name] = fromUnit(spec, x[o] as number);
    });
    return out;
  }

  /** JSON description (what the store keeps with a study). */
  toJSON(): SpaceJson {
    const out: Record<string, JsonValue> = {};
    for (const name of this.names) {
      const s = this.params[name] as ParamSpec;
      if (s.kind === 'structured') out[name] = { kind: 'structured', codec: s.codec.name, description: s.codec.describe?.() ?? null };
      else out[name] = { ...s } as JsonValue;
    }
    return out;
  }

  /** Rebuilds a space from {@link SearchSpace.toJSON} output; structured codecs are looked up by name. */
  static fromJSON(json: SpaceJson, codecs: Readonly<Record<string, StructuredCodec>> = {}): SearchSpace {
    const params: Record<string, ParamSpec> = {};
    for (const [name, raw] of Object.entries(json)) {
      const r = raw as Record<string, JsonValue> | null;
      if (r === null || typeof r !== 'object' || Array.isArray(r))
        throw new ConfigError(`space entry '${name}' = ${JSON.stringify(raw)}: expected an object with a 'kind'`);
      if (r.kind === 'structured') {
        const codec = codecs[String(r.codec)];
        if (codec === undefined)
          throw new ConfigError(
            `space entry '${name}' uses codec ${JSON.stringify(r.codec)}, which is not registered (known: ${Object.keys(codecs).join(', ') || 'none'})`,
          );
        params[name] = { kind: 'structured', codec };
      } else params[name] = r as unknown as ParamSpec;
    }
    return new SearchSpace(params);
  }
}

/** Width of a parameter in the unit-cube encoding. */
export function encodedWidth(spec: ParamSpec): number {
  if (spec.kind === 'categorical') return spec.choices.length;
  if (spec.kind === 'structured') return spec.codec.dimension;
  return 1;
}

/** A uniformly random value of one parameter (log-uniform where `log` is set). */
export function sampleParam(spec: ParamSpec, rng: Rng): JsonValue {
  switch (spec.kind) {
    case 'categorical':
      return rng.choice(spec.choices);
    case 'structured':
      return spec.codec.sample(rng);
    case 'int':
      if (spec.log) return fromUnit(spec, rng.next());
      return spec.low + (spec.step ?? 1) * rng.int(0, intCount(spec) - 1);
    case 'float':
      return fromUnit(spec, rng.next());
  }
}

/** Null when `v` is a valid value of `spec`, else the reason. */
export function checkParam(spec: ParamSpec, v: JsonValue): string | null {
  switch (spec.kind) {
    case 'categorical':
      return categoricalIndex(spec, v) >= 0 ? null : `expected one of ${JSON.stringify(spec.choices)}`;
    case 'structured':
      return spec.codec.validate(v);
    case 'int': {
      if (typeof v !== 'number' || !Number.isInteger(v)) return 'expected an integer';
      if (v < spec.low || v > spec.high) return `expected an integer in [${spec.low}, ${spec.high}]`;
      const step = spec.step ?? 1;
      return (v - spec.low) % step === 0 ? null : `expected low + k*${step}`;
    }
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'expected a finite number';
      return v >= spec.low && v <= spec.high ? null : `expected a number in [${spec.low}, ${spec.high}]`;
  }
}

/** Index of `v` among a categorical's choices (-1 when absent). */
export function categoricalIndex(spec: CategoricalParam, v: JsonValue): number {
  // biome-ignore lint/complexity/useIndexOf: choices are typed as scalars, `v` is any JSON value
  return spec.choices.findIndex((c) => c === v);
}

/** Maps a numeric value to [0, 1] (log scale when `log`). */
export function toUnit(spec: IntParam | FloatParam, v: number): number {
  if (spec.high === spec.low) return 0.5;
  if (spec.log) return (Math.log(v) - Math.log(spec.low)) / (Math.log(spec.high) - Math.log(spec.low));
  return (v - spec.low) / (spec.high - spec.low);
}

/** Maps u in [0, 1] (clamped) to the nearest valid numeric value. */
export function fromUnit(spec: IntParam | FloatParam, u: number): number {
  const c = Math.min(1, Math.max(0, Number.isFinite(u) ? u : 0.5));
  const raw = spec.log ? Math.exp(Math.log(spec.low) + c * (Math.log(spec.high) - Math.log(spec.low))) : spec.low + c * (spec.high - spec.low);
  if (spec.kind === 'float') return Math.min(spec.high, Math.max(spec.low, raw));
  const step = spec.step ?? 1;
  const k = Math.round((raw - spec.low) / step);
  return spec.low + step * Math.min(intCount(spec) - 1, Math.max(0, k));
}

function intCount(spec: IntParam): number {
  return Math.floor((spec.high - spec.low) / (spec.step ?? 1)) + 1;
}

function checkSpec(name: string, spec: ParamSpec): void {
  const bad = (what: string): never => {
    throw new ConfigError(`parameter '${name}' ${JSON.stringify(spec, (k, v) => (k === 'codec' ? v.name : v))}: ${what}`);
  };
  if (spec === null || typeof spec !== 'object') bad('expected an object');
  switch (spec.kind) {
    case 'categorical':
      if (!Array.isArray(spec.choices) || spec.choices.length === 0) bad('expected a non-empty choices array');
      if (new Set(spec.choices).size !== spec.choices.length) bad('expected distinct choices');
      return;
    case 'structured':
      if (!spec.codec || typeof spec.codec.encode !== 'function') bad('expected a codec implementing StructuredCodec');
      return;
    case 'int':
    case 'float': {
      if (!Number.isFinite(spec.low) || !Number.isFinite(spec.high) || spec.low > spec.high) bad('expected finite low <= high');
      if (spec.log && spec.low <= 0) bad('expected low > 0 for a log-scaled parameter');
      if (spec.kind === 'int') {
        if (!Number.isInteger(spec.low) || !Number.isInteger(spec.high)) bad('expected integer bounds');
        const step = spec.step ?? 1;
        if (!Number.isInteger(step) || step < 1) bad('expected an integer step >= 1');
        if (spec.log && step !== 1) bad('log-scaled int parameters take step 1 only');
      }
      return;
    }
    default:
      bad("expected kind 'categorical', 'int', 'float' or 'structured'");
  }
}
