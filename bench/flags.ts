/**
 * The command-line flags of a bench (`--name value` and `--switch`), read by name. A number flag whose value is not a
 * number of the kind expected stops the bench with a message naming the flag, the value and what was expected (exit 2).
 */
export interface BenchFlags {
  /** The value after `flag`, or undefined when the flag is absent. */
  arg(flag: string): string | undefined;
  /** The value after `flag` as a finite number. */
  num(flag: string): number | undefined;
  /** The value after `flag` as a positive integer. */
  count(flag: string): number | undefined;
  /** The value after `flag` as a comma-separated list of finite numbers (`--seeds 1,2,3`). */
  nums(flag: string): number[] | undefined;
  /** Whether `flag` is given. */
  has(flag: string): boolean;
  /** `{ [key]: value }` when value is defined, `{}` otherwise: an option spread into a bench's options only when given. */
  pick<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>>;
}

/** Writes the message and exits 2: a bench's answer to a bad flag value. */
function exitWith(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** The flags of `argv` (default: this process's); `fail` receives the message for a bad value and must not return. */
export function benchFlags(argv: readonly string[] = process.argv, fail: (message: string) => never = exitWith): BenchFlags {
  const arg = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const parsed = (flag: string, ok: (v: string) => boolean, expected: string): number | undefined => {
    const v = arg(flag);
    if (v === undefined) return undefined;
    if (!ok(v)) fail(`${flag} '${v}': expected ${expected}`);
    return Number(v);
  };
  const finite = (v: string): boolean => v.trim() !== '' && Number.isFinite(Number(v));
  return {
    arg,
    num: (flag) => parsed(flag, finite, 'a number'),
    count: (flag) => parsed(flag, (v) => /^[1-9][0-9]*$/.test(v), 'a positive integer'),
    nums: (flag) => {
      const v = arg(flag);
      if (v === undefined) return undefined;
      const parts = v.split(',');
      if (!parts.every(finite)) fail(`${flag} '${v}': expected numbers separated by commas`);
      return parts.map(Number);
    },
    has: (flag) => argv.includes(flag),
    pick: <K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> =>
      value !== undefined ? ({ [key]: value } as Record<K, number>) : {},
  };
}
