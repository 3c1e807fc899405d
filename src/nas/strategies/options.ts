/**
 * Reading the JSON options of the NAS strategies (they are stored in a study's config): each reader
 * returns the typed value or throws a ConfigError naming the strategy, the field, its value and what was
 * expected; unknown fields are errors too, so a misspelt option is not silently ignored.
 */
import { ConfigError } from '../../errors.js';
import type { StrategyContext } from '../../search/registry.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import type { ArchSpace } from '../../search/spaces/types.js';

/** The options object of one strategy, with the strategy's name for error messages. */
export class StrategyOptions {
  private readonly used = new Set<string>();

  constructor(
    private readonly strategy: string,
    private readonly o: Readonly<Record<string, unknown>>,
  ) {}

  private fail(key: string, expected: string): never {
    throw new ConfigError(`strategy '${this.strategy}' option ${key} = ${JSON.stringify(this.o[key]) ?? '(missing)'}: expected ${expected}`);
  }

  /** The raw value of `key` (marked as known). */
  raw(key: string): unknown {
    this.used.add(key);
    return this.o[key];
  }

  /** An optional string. */
  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') this.fail(key, 'a non-empty string');
    return v;
  }

  /** An optional boolean. */
  boolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  /** An optional number in [min, max] (integer when `integer`). */
  number(key: string, min: number, max = Infinity, integer = false): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
      this.fail(key, `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
    return v;
  }

  /** An optional array whose items `item` checks (it returns the typed item or undefined when invalid). */
  array<T>(key: string, expected: string, item: (v: unknown) => T | undefined, minLength = 0): T[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length < minLength) this.fail(key, `an array of at least ${minLength} ${expected}`);
    return (v as unknown[]).map((x, i) => {
      const t = item(x);
      if (t === undefined) throw new ConfigError(`strategy '${this.strategy}' option ${key}[${i}] = ${JSON.stringify(x)}: expected ${expected}`);
      return t;
    });
  }

  /** An optional inner strategy reference `{ name, options? }` (or a bare name). */
  strategyRef(key: string): { name: string; options: Readonly<Record<string, unknown>> } | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v !== '') return { name: v, options: {} };
    const r = v as { name?: unknown; options?: unknown } | null;
    if (
      r === null ||
      typeof r !== 'object' ||
      typeof r.name !== 'string' ||
      (r.options !== undefined && (r.options === null || typeof r.options !== 'object' || Array.isArray(r.options)))
    ) {
      this.fail(key, 'a strategy name or { name, options } (e.g. { "name": "nsga2", "options": { "populationSize": 20 } })');
    }
    return { name: r.name, options: (r.options ?? {}) as Readonly<Record<string, unknown>> };
  }

  /** Required: `value` when defined, else a ConfigError saying the option is missing. */
  required<T>(key: string, value: T | undefined, expected: string): T {
    if (value === undefined) this.fail(key, expected);
    return value;
  }

  /** Throws when the options hold a field no reader asked for. */
  done(): void {
    const extra = Object.keys(this.o).filter((k) => !this.used.has(k));
    if (extra.length > 0)
      throw new ConfigError(`strategy '${this.strategy}': unknown option(s) ${extra.map((k) => `'${k}'`).join(', ')} (known: ${[...this.used].join(', ')})`);
  }
}

/**
 * The architecture space named by option `archSpace` (a ConfigError when missing and `required`), checked
 * against the study's space when the factory got one: the same parameter names, else a ConfigError.
 */
export function archSpaceOption(o: StrategyOptions, ctx: StrategyContext | undefined, required: true): ArchSpace;
export function archSpaceOption(o: StrategyOptions, ctx: StrategyContext | undefined, required: boolean): ArchSpace | undefined;
export function archSpaceOption(o: StrategyOptions, ctx: StrategyContext | undefined, required: boolean): ArchSpace | undefined {
  const name = o.string('archSpace');
  if (name === undefined) return required ? o.required('archSpace', undefined, "an architecture space name (e.g. 'nb201', 'mbv2-micro+bits')") : undefined;
  const space = getArchSpace(name);
  if (ctx) {
    const want = space.space.names.join(',');
    const got = ctx.space.names.join(',');
    if (want !== got)
      throw new ConfigError(
        `architecture space '${name}' has parameters ${want.slice(0, 200)}, but the study's space has ${got.slice(0, 200)}: the strategy needs the study to search that space`,
      );
  }
  return space;
}
