import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { ConfigError, UserError } from '../errors.js';

/** Print a value as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`);
}

/** Parse an integer CLI option (decimal digits only), with an error naming the flag. */
export function intOption(flag: string, value: string | undefined, dflt: number, min = 0): number {
  if (value === undefined) return dflt;
  const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(`${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
}

/**
 * The images a command scored, for its summary: `200 test images of data set 'train'`. The data set's name stays
 * apart from the split, since an image folder is named after its folder (`imagefolder:data/train;test=...` is
 * 'train', and '200 train test images' read as training images).
 */
export function scoredImages(n: number, split: 'test' | 'val', dataset: string): string {
  return `${n} ${split === 'val' ? 'validation' : 'test'} image${n === 1 ? '' : 's'} of data set '${dataset}'`;
}

/** Most worker threads `--threads` takes (each is a Node worker with its own engine and copy of the data). */
export const MAX_THREADS = 64;

/**
 * Parse `--threads`: an integer in [0, {@link MAX_THREADS}] (0: evaluate in this thread); a larger value is a
 * ConfigError naming it, the limit and the core count.
 */
export function threadsOption(value: string | undefined, dflt = 0): number {
  const n = intOption('--threads', value, dflt, 0);
  if (n > MAX_THREADS)
    throw new ConfigError(
      `--threads ${n}: expected at most ${MAX_THREADS} worker threads (this machine has ${availableParallelism()} cores; threads beyond the cores only take turns on them)`,
    );
  return n;
}

/**
 * The largest seed, `MAX_SEED` of src/util/seed.ts (equal, tested in io.test.ts): that module holds the seeds' zod
 * schema too, and the flag checks that run before a command's module loads must not load zod.
 */
export const MAX_SEED_FLAG = 2 ** 32 - 1;

/** Parse `--seed`: an integer in [0, 2^32 - 1] (a larger one would run as its low 32 bits, another seed), default 0. */
export function seedOption(value: string | undefined, dflt = 0): number {
  const n = intOption('--seed', value, dflt, 0);
  if (n > MAX_SEED_FLAG) throw new ConfigError(`--seed must be an integer in [0, ${MAX_SEED_FLAG}], got '${value}'`);
  return n;
}

/** Parse a float CLI option, with an error naming the flag (and, given `what`, what the value means). */
export function floatOption(flag: string, value: string | undefined, dflt: number, min = -Infinity, what?: string): number {
  if (value === undefined) return dflt;
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${flag} must be a number >= ${min}${what ? ` (${what})` : ''}, got '${value}'`);
  return n;
}

/** An input file of a command, as `[flag, path]` (e.g. `['--store', 'runs.sqlite']`); an undefined path is skipped. */
export type InputFile = readonly [flag: string, path: string | undefined];

/**
 * The one output rule of every command that writes files: hwnas creates the file or folder an `--out` names,
 * never the folders above it. A missing parent folder is refused before any long work (exit 2, naming the path
 * and the folder), since it is more often a typo than a wish for new folders (docs/cli.md, "Output paths").
 */
function checkParentFolder(flag: string, path: string): void {
  if (path.trim() === '') throw new UserError(`${flag} is empty: expected a path`);
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(
      `${flag} '${path}': folder '${dirname(path)}' does not exist (hwnas creates the output, not the folders above it: create it first or pick another path)`,
    );
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`${flag} '${path}': folder '${dirname(path)}' is not writable`);
  }
}

/**
 * Check, before any long work, that an output file can be written: its folder exists and is writable,
 * the path is not a folder, and it is not one of the command's own `inputs` (the same file under any
 * name: path, link or hard link), which the write would destroy (a study store, the model). Returns the path.
 */
export function checkOutPath(flag: string, path: string, inputs: readonly InputFile[] = []): string {
  checkParentFolder(flag, path);
  if (!existsSync(path)) return path;
  const out = statSync(path);
  if (out.isDirectory()) throw new UserError(`${flag} '${path}' is a folder: expected a file path`);
  for (const [inFlag, inPath] of inputs) {
    if (inPath === undefined || !existsSync(inPath)) continue;
    const input = statSync(inPath);
    if (input.dev === out.dev && input.ino === out.ino) {
      throw new UserError(`${flag} '${path}' is the command's ${inFlag} file '${inPath}': writing there would destroy it; pick another path`);
    }
  }
  return path;
}

/**
 * Check, before any long work, that an output folder can be written (`demo --out`, `web --out`): an existing
 * folder, or a new one whose parent folder exists and is writable (the command creates it, not its parents); a
 * file there is refused. Returns the path.
 */
export function checkOutDir(flag: string, path: string): string {
  if (existsSync(path)) {
    if (!statSync(path).isDirectory()) throw new UserError(`${flag} '${path}' is a file: expected a folder for the outputs`);
    return path;
  }
  checkParentFolder(flag, path);
  return path;
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

/** Exit code of a command stopped by Ctrl-C once it has kept and reported its finished work (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/**
 * Records that the user interrupted the command (Ctrl-C): it still finishes its report, then the
 * process exits 130 instead of 0, so scripts can tell a cut-short search from a complete one.
 */
export function markInterrupted(): void {
  process.exitCode = EXIT_INTERRUPTED;
}

/** What a second Ctrl-C does before the process exits ({@link onForcedStop}). */
const lastWords = new Set<() => string | undefined>();

/**
 * Registers work a second Ctrl-C inside {@link interruptible} does before the process exits at once (synchronous: the
 * process exits right after), e.g. marking this process's running trials failed so the store does not show them
 * running; `f` returns what it did, for the line printed. Returns the function that unregisters it.
 */
export function onForcedStop(f: () => string | undefined): () => void {
  lastWords.add(f);
  return () => {
    lastWords.delete(f);
  };
}

/**
 * Runs `work` with Ctrl-C (SIGINT) as a request to stop early: the first Ctrl-C calls `onInterrupt` (e.g. to say
 * what is kept), marks the command interrupted ({@link markInterrupted}: exit 130) and aborts `controller`, whose
 * signal `work` receives. A second Ctrl-C while `work` winds down stops at once: it runs what {@link onForcedStop}
 * registered, prints one line saying so and exits 130. The handlers are removed when `work` settles, so a later
 * Ctrl-C ends the process as usual; pass a `controller` to hand its signal on to what runs after `work`.
 * @example const run = await interruptible((signal) => runConfiguredStudy(store, name, { signal }));
 */
export async function interruptible<T>(
  work: (signal: AbortSignal) => Promise<T>,
  onInterrupt?: () => void,
  controller: AbortController = new AbortController(),
): Promise<T> {
  const onSecond = (): void => {
    const said: string[] = [];
    for (const f of lastWords) {
      try {
        const s = f();
        if (s) said.push(s);
      } catch (e) {
        said.push(String((e as Error)?.message ?? e));
      }
    }
    process.stderr.write(`\nsecond interrupt: stopping now${said.length > 0 ? `; ${said.join('; ')}` : ', without finishing the current work'}\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  const onSig = (): void => {
    process.once('SIGINT', onSecond);
    onInterrupt?.();
    markInterrupted();
    controller.abort();
  };
  process.once('SIGINT', onSig);
  try {
    return await work(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSig);
    process.removeListener('SIGINT', onSecond);
  }
}

/**
 * Waits for the first SIGINT or SIGTERM, then for `close()` (a server's or worker's shutdown); both handlers are
 * removed at the first signal.
 */
export function untilStopped(close: () => Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      void close().then(() => resolve());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
