/** The real `hwnas` command spawned as a user runs it, for end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `bin/hwnas.js` of this checkout (from dist/src/cli/testing/). */
export const HWNAS_BIN = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../../..'), 'bin', 'hwnas.js');

/** Exit code and output of one run. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `hwnas`: the child (to signal it), its output so far, and its end. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  readonly done: Promise<CliRun>;
}

/** Spawns `hwnas <args>` in `cwd` (NO_COLOR, plus `env`); SIGKILLed after `timeoutMs` (default 180 s). */
export function spawnHwnas(
  cwd: string,
  args: readonly string[],
  opts: { readonly env?: Readonly<Record<string, string>>; readonly timeoutMs?: number } = {},
): CliProcess {
  const child = spawn(process.execPath, [HWNAS_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<CliRun>((res, rej) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
  return { child, stderr: () => stderr, done };
}

/** Runs `hwnas <args>` in `cwd` to the end. */
export function runHwnas(cwd: string, ...args: string[]): Promise<CliRun> {
  return spawnHwnas(cwd, args).done;
}
