/**
 * Target data files: `targets/<name>.json` at the top of the package. Every parameter is a
 * `{ "value": ..., "source": "..." }` pair so the public source (paper, spec sheet) or the stated
 * assumption behind each number travels with it.
 *
 * ```json
 * { "name": "bitfusion-edge", "model": "bitfusion", "description": "...",
 *   "params": { "clockMHz": { "value": 500, "source": "Sharma et al., ISCA 2018, Sec. VI" } } }
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';

/** A parameter value of a target data file (numbers, strings, booleans, or maps of numbers). */
export type ParamValue = number | string | boolean | Readonly<Record<string, number>>;

/** A cited parameter. */
export interface CitedParam {
  readonly value: ParamValue;
  readonly source: string;
}

/** A parsed target data file. */
export interface TargetFile {
  readonly name: string;
  readonly model: string;
  readonly description: string;
  readonly params: Readonly<Record<string, CitedParam>>;
  /** Where it was read from. */
  readonly path: string;
}

let dirCache: string | undefined;

/** The package's `targets/` folder (found by walking up from this module). */
export function targetsDir(): string {
  if (dirCache) return dirCache;
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(d, 'targets');
    if (existsSync(join(cand, 'tech-45nm.json'))) {
      dirCache = cand;
      return cand;
    }
    d = dirname(d);
  }
  throw new ConfigError(`cannot find the hwnas 'targets/' data folder above ${fileURLToPath(import.meta.url)}`);
}

/** The top-level keys of a target data file (`validation`: free text on how the model was checked). */
const TARGET_FILE_KEYS: readonly string[] = ['name', 'model', 'description', 'validation', 'params'];

/** Parse a target data file's JSON text; `path` is for messages. */
export function parseTargetFile(text: string, path: string): TargetFile {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`target file ${path}: not valid JSON (${(e as Error).message})`);
  }
  const o = j as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || typeof o.model !== 'string' || typeof o.params !== 'object' || o.params === null) {
    throw new ConfigError(`target file ${path}: expected {name, model, description, params: {key: {value, source}}}`);
  }
  const unknown = Object.keys(o).filter((k) => !TARGET_FILE_KEYS.includes(k));
  if (unknown.length)
    throw new ConfigError(
      `target file ${path}: unknown top-level key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (expected ${TARGET_FILE_KEYS.join(', ')}; model parameters go inside "params" as {"value": ..., "source": "..."})`,
    );
  const params: Record<string, CitedParam> = {};
  for (const [k, v] of Object.entries(o.params as Record<string, unknown>)) {
    const p = v as Record<string, unknown>;
    if (typeof p !== 'object' || p === null || !('value' in p) || typeof p.source !== 'string' || p.source.trim() === '') {
      throw new ConfigError(
        `target file ${path}: parameter '${k}' must be {"value": ..., "source": "<public source or stated assumption>"}, got ${JSON.stringify(v)}`,
      );
    }
    params[k] = { value: p.value as ParamValue, source: p.source };
  }
  return { name: o.name, model: o.model, description: typeof o.description === 'string' ? o.description : '', params, path };
}

const embedded = new Map<string, TargetFile>();

/**
 * Hold a parsed target file in memory under its name: `loadTargetFile(file.name)` then returns it without
 * reading the disk. The browser what-if page (src/web) embeds `targets/*.json` (with `tech-45nm`) this way.
 */
export function embedTargetFile(file: TargetFile): void {
  embedded.set(file.name, file);
  if (file.name === 'tech-45nm') techCache = undefined;
}

/** Read `targets/<name>.json` (or an explicit path ending in .json); an embedded file of that name first. */
export function loadTargetFile(nameOrPath: string): TargetFile {
  const held = embedded.get(nameOrPath);
  if (held) return held;
  const path = nameOrPath.endsWith('.json') ? resolve(nameOrPath) : join(targetsDir(), `${nameOrPath}.json`);
  if (!existsSync(path)) throw new ConfigError(`target data file '${path}' not found`);
  return parseTargetFile(readFileSync(path, 'utf8'), path);
}

/**
 * The plain values of a target file's params, with `overrides` applied (unknown override keys are an error).
 * `defaults` are the values of the model's optional parameters where the file has none (a file written before the
 * option existed), so `file.json?option=value` works on such a file as on one that states the option.
 */
export function paramValues(
  file: TargetFile,
  overrides: Readonly<Record<string, unknown>> = {},
  defaults: Readonly<Record<string, ParamValue>> = {},
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = { ...defaults };
  for (const [k, v] of Object.entries(file.params)) out[k] = v.value;
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in out)) throw new ConfigError(`target '${file.name}': unknown parameter '${k}' (expected one of ${Object.keys(out).join(', ')})`);
    const cur = out[k];
    let val: unknown = v;
    if (typeof cur === 'number' && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) val = Number(v);
    if (typeof cur === 'boolean' && (v === 'true' || v === 'false')) val = v === 'true';
    if (typeof cur === 'object' && typeof v === 'string') {
      try {
        val = JSON.parse(v);
      } catch {
        /* reported below */
      }
    }
    if (typeof cur !== typeof val || val === null) {
      throw new ConfigError(`target '${file.name}': parameter ${k}=${JSON.stringify(v)} must be a ${typeof cur}`);
    }
    out[k] = val as ParamValue;
  }
  return out;
}

/** A numeric parameter (ConfigError if missing or not a finite number). */
export function num(values: Readonly<Record<string, ParamValue>>, key: string, target: string): number {
  const v = values[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ConfigError(`target '${target}': parameter '${key}' must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

/** A map parameter of numbers (e.g. peak ops per precision). */
export function numMap(values: Readonly<Record<string, ParamValue>>, key: string, target: string): Readonly<Record<string, number>> {
  const v = values[key];
  if (typeof v !== 'object' || v === null)
    throw new ConfigError(`target '${target}': parameter '${key}' must be an object of numbers, got ${JSON.stringify(v)}`);
  return v;
}

/** Process-technology energy/area table (targets/tech-45nm.json), as plain numbers. */
export interface TechTable {
  /** pJ of an 8x8-bit integer multiply. */
  readonly mult8pJ: number;
  readonly add8pJ: number;
  readonly add32pJ: number;
  readonly mult32pJ: number;
  readonly fmul32pJ: number;
  readonly fadd32pJ: number;
  readonly fmul16pJ: number;
  readonly fadd16pJ: number;
  /** pJ per 64-bit read of an 8 KB / 32 KB / 1 MB SRAM. */
  readonly sram8kPer64pJ: number;
  readonly sram32kPer64pJ: number;
  readonly sram1mPer64pJ: number;
  /** pJ per 32-bit DRAM access. */
  readonly dramPer32pJ: number;
  /** µm² of an 8-bit multiplier / 32-bit adder / 8-bit adder. */
  readonly mult8um2: number;
  readonly add32um2: number;
  readonly add8um2: number;
  readonly mult32um2: number;
  readonly fmul32um2: number;
  readonly fmul16um2: number;
  readonly fadd32um2: number;
  readonly fadd16um2: number;
}

let techCache: TechTable | undefined;

/** The 45 nm energy/area table (Horowitz, ISSCC 2014). */
export function tech45(): TechTable {
  if (techCache) return techCache;
  const f = loadTargetFile('tech-45nm');
  const v = paramValues(f);
  const t: Record<string, number> = {};
  for (const k of Object.keys(v)) t[k] = num(v, k, f.name);
  techCache = t as unknown as TechTable;
  return techCache;
}

/** Energy (pJ) of one w x a-bit integer MAC in 45 nm: multiplier scaled by w·a from the 8x8 figure, plus a 32-bit accumulate; ≥16 bits use float figures. */
export function macEnergyPj(t: TechTable, wBits: number, aBits: number): number {
  const b = Math.max(wBits, aBits);
  if (b >= 32) return t.fmul32pJ + t.fadd32pJ;
  if (b >= 16) return t.fmul16pJ + t.fadd16pJ;
  return (t.mult8pJ * wBits * aBits) / 64 + t.add32pJ;
}

/** Area (µm²) of one w x a-bit MAC unit in 45 nm: array multiplier area scales with w·a; 32-bit accumulator (float units at ≥16 bits). */
export function macAreaUm2(t: TechTable, wBits: number, aBits: number): number {
  const b = Math.max(wBits, aBits);
  if (b >= 32) return t.fmul32um2 + t.fadd32um2;
  if (b >= 16) return t.fmul16um2 + t.fadd16um2;
  return (t.mult8um2 * wBits * aBits) / 64 + t.add32um2;
}
