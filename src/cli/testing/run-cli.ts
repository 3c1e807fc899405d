/**
 * The real `hwnas` command (or any Node script) spawned as a user runs it, for end-to-end tests, and
 * spawn-and-poll helpers: wait for a condition (a line on stderr, a row in the store, a file, CPU time
 * the child has used) instead of sleeping a fixed time. Every ceiling scales with the machine's load
 * (see {@link loadScale}), so a test that passes on a quiet machine does not time out on a busy one; a
 * ceiling is only a guard against a hung child, never an assertion about speed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `bin/hwnas.js` of this checkout (from dist/src/cli/testing/). */
export const HWNAS_BIN = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../../..'), 'bin', 'hwnas.js');

/** Exit code and output of one run. */
export interface CliRun {
  readonly code: number | null;
  /** The signal that ended the child (null when it exited). */
  readonly signal?: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running child: the process (to signal it), its output so far, and its end. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** True once the child has exited. */
  exited(): boolean;
  readonly done: Promise<CliRun>;
  /**
   * Polls `probe` until it returns a value other than undefined/false/null and resolves with it. Rejects
   * (naming `what` and the child's stderr tail) when the child exits first or after `timeoutMs`
   * (default 300 s, scaled by the load).
   */
  waitFor<T>(what: string, probe: () => T | undefined | false | null, o?: WaitOptions): Promise<T>;
  /** Sends `signal` once `probe` holds (see waitFor); resolves with the probe's value. */
  signalWhen<T>(signal: NodeJS.Signals, what: string, probe: () => T | undefined | false | null, o?: WaitOptions): Promise<T>;
}

/** Options of the waits. */
export interface WaitOptions {
  /** Ceiling on a quiet machine (scaled by {@link loadScale}; default 300,000 ms). */
  readonly timeoutMs?: number;
  /** Poll interval (default 50 ms). */
  readonly intervalMs?: number;
}

/**
 * How much slower than a quiet machine this one is now: the 1-minute load average per core, at least 1,
 * at most 30. Multiplies every ceiling of this file.
 */
export function loadScale(): number {
  const perCore = (loadavg()[0] ?? 0) / Math.max(1, availableParallelism());
  return Math.min(30, Math.max(1, perCore));
}

/**
 * A node:test `timeout` for a test that spawns long CLI runs: `ms` on a quiet machine, times the load when
 * the test file is loaded (so a test that takes 5 minutes alone is not cut at 10 under a load of 20).
 */
export function testTimeout(ms: number): number {
  return Math.round(ms * loadScale());
}

/**
 * CPU seconds (user + system) a live process on this machine has used, from /proc (Linux); undefined
 * elsewhere or once the process is gone. Waiting for CPU time instead of wall time makes "let it run a
 * little" independent of the load.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may contain spaces) start at state (field 3); utime/stime are 14/15
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * Polls `probe` until it returns a value other than undefined/false/null. `stop` (optional) is checked at
 * every poll: when it returns a reason, the wait rejects with it (e.g. the child exited). The ceiling is
 * `timeoutMs` (default 300 s) times the highest {@link loadScale} seen while waiting.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | null,
  o: WaitOptions & { readonly stop?: () => string | undefined } = {},
): Promise<T> {
  const base = o.timeoutMs ?? 300_000;
  const started = Date.now();
  let scale = loadScale();
  for (let i = 0; ; i++) {
    const v = probe();
    if (v !== undefined && v !== false && v !== null) return v;
    const why = o.stop?.();
    if (why !== undefined) throw new Error(`while waiting for ${what}: ${why}`);
    if (i % 20 === 0) scale = Math.max(scale, loadScale());
    const elapsed = Date.now() - started;
    if (elapsed > base * scale)
      throw new Error(`gave up waiting for ${what} after ${Math.round(elapsed / 1000)} s (ceiling ${base / 1000} s x load ${scale.toFixed(1)})`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 50));
  }
}

/** Options of {@link spawnNode} / {@link spawnHwnas}. */
export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** SIGKILL after this long on a quiet machine (default 180 s, scaled by the load seen while it runs). */
  readonly timeoutMs?: number;
  /** stdin (default 'ignore'). */
  readonly stdin?: 'ignore' | 'pipe';
}

/** Spawns `node <script> <args>` in `cwd` (NO_COLOR, plus `env`), with output capture and the waits of {@link CliProcess}. */
export function spawnNode(cwd: string, script: string, args: readonly string[], opts: SpawnOptions = {}): CliProcess {
  const child = spawn(process.execPath, [script, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let ended = false;
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<CliRun>((res, rej) => {
    // the ceiling scales with the highest load seen while the child runs
    const base = opts.timeoutMs ?? 180_000;
    const started = Date.now();
    let scale = loadScale();
    const guard = setInterval(() => {
      scale = Math.max(scale, loadScale());
      if (Date.now() - started > base * scale) child.kill('SIGKILL');
    }, 1000);
    guard.unref();
    child.on('error', (e) => {
      clearInterval(guard);
      ended = true;
      rej(e);
    });
    child.on('close', (code, signal) => {
      clearInterval(guard);
      ended = true;
      res({ code, signal, stdout, stderr });
    });
  });
  done.catch(() => undefined);
  const tail = (): string => stderr.slice(-2000);
  const waitFor = <T>(what: string, probe: () => T | undefined | false | null, o: WaitOptions = {}): Promise<T> =>
    waitUntil(what, probe, {
      ...o,
      stop: () => (ended ? `the process exited first (code ${child.exitCode}, signal ${child.signalCode}); stderr:\n${tail()}` : undefined),
    });
  return {
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    exited: () => ended,
    done,
    waitFor,
    async signalWhen(signal, what, probe, o) {
      const v = await waitFor(what, probe, o);
      child.kill(signal);
      return v;
    },
  };
}

/** Spawns `hwnas <args>` in `cwd` (NO_COLOR, plus `env`); SIGKILLed after `timeoutMs` (default 180 s, scaled by the load). */
export function spawnHwnas(cwd: string, args: readonly string[], opts: SpawnOptions = {}): CliProcess {
  return spawnNode(cwd, HWNAS_BIN, args, opts);
}

/** Runs `hwnas <args>` in `cwd` to the end. */
export function runHwnas(cwd: string, ...args: string[]): Promise<CliRun> {
  return spawnHwnas(cwd, args).done;
}
