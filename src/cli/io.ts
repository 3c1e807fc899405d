import { ConfigError } from '../errors.js';

/** Print a value as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`);
}

/** Parse an integer CLI option, with an error naming the flag. */
export function intOption(flag: string, value: string | undefined, dflt: number, min = 0): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
}

/** Parse a float CLI option, with an error naming the flag. */
export function floatOption(flag: string, value: string | undefined, dflt: number, min = -Infinity): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${flag} must be a number >= ${min}, got '${value}'`);
  return n;
}

/** Human-readable count: 1.23M, 4.5K. */
export function humanCount(n: number): string {
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** Format a shape as [a,b,c]. */
export function shapeStr(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}
