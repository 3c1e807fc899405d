/**
 * Runs a user's evaluation command in its own process group, behind a guard, and streams its stdout
 * line by line. A timeout, an abort (Ctrl-C) or the caller's `onLine` (pruning) kill the whole group
 * (SIGTERM, then SIGKILL after a grace period); if hwnas itself dies, the guard kills the group.
 * Linux and macOS (process groups, /bin/sh); not Windows.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * The guard: a POSIX shell, started by hwnas as the leader of a new process group, that
 * - starts the command in that group (stdin /dev/null), so one signal to the group reaches the command and
 *   everything it started (data-loader workers, ...);
 * - runs a watcher that blocks reading its stdin, a pipe from hwnas: when hwnas dies (even `kill -9`) the
 *   pipe closes, and the watcher sends SIGTERM to the group, then SIGKILL after the grace period;
 * - ignores SIGTERM/SIGINT itself once the command runs (hwnas signals the group and escalates), writes
 *   the command's exit status on fd 3, then kills what the command left running in the group.
 * A shell, not a second Node process: starting it costs a few milliseconds.
 * Arguments: $1 = grace seconds, then the command's argv.
 */
const GUARD = [
  'grace=$1; shift',
  'exec 4<&0', // background jobs get /dev/null as stdin: the pipe from hwnas stays on fd 4 for the watcher
  '"$@" </dev/null 3>&- 4<&- &',
  'child=$!',
  `( trap '' TERM INT HUP; read -r _ <&4; kill -TERM 0 2>/dev/null; sleep "$grace"; kill -KILL 0 2>/dev/null ) 3>&- &`,
  "trap '' TERM INT HUP",
  'wait "$child"; code=$?',
  'echo "$code" >&3',
  'kill -KILL 0',
].join('\n');

/** Signal names by number (for exit codes 128 + n from the shell). */
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n as number, name]));

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Program and arguments (no shell; give ['/bin/sh', '-c', '...'] for one). */
  readonly argv: readonly string[];
  readonly cwd?: string;
  /** The full environment of the command. */
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the group after this many milliseconds (default: never). */
  readonly timeoutMs?: number;
  /** Milliseconds between SIGTERM and SIGKILL (default 5000). */
  readonly graceMs?: number;
  /** Kill the group when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Each complete line of stdout, as it arrives; return true (or a promise of true: a decision made
   * elsewhere, e.g. a remote pruner) to stop the command (e.g. pruning). The command keeps running while a
   * promise is pending.
   */
  readonly onLine?: (line: string) => boolean | undefined | Promise<boolean>;
  /** Bytes of stderr (and of stdout) kept for error messages (default 4096). */
  readonly tailBytes?: number;
}

/** How a command ended. */
export interface CommandOutcome {
  /** Exit code (null when killed by a signal or not started). */
  readonly code: number | null;
  /** The signal that ended it, if any. */
  readonly signal: string | null;
  /** Why hwnas stopped it, if it did. */
  readonly stoppedBy: 'timeout' | 'abort' | 'caller' | null;
  /** The command could not be started (e.g. ENOENT): the reason. */
  readonly spawnError: string | null;
  /** The last `tailBytes` of stderr and of stdout. */
  readonly stderrTail: string;
  readonly stdoutTail: string;
  /** Pid of the guard = process group id (for tests). */
  readonly pgid: number;
}

/** Keeps the last `max` bytes of a stream as text. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.max && this.chunks.length > 1) this.size -= (this.chunks.shift() as Buffer).length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

/** Runs a command in a new process group; resolves when it and its group are gone. */
export function runCommand(o: RunCommandOptions, onStart?: (pgid: number) => void): Promise<CommandOutcome> {
  const graceMs = o.graceMs ?? 5000;
  const tailBytes = o.tailBytes ?? 4096;
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', GUARD, 'hwnas-guard', String(graceMs / 1000), ...o.argv], {
      cwd: o.cwd,
      env: o.env ?? process.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const pgid = child.pid ?? -1;
    onStart?.(pgid);
    const err = new Tail(tailBytes);
    const out = new Tail(tailBytes);
    let status = '';
    let stoppedBy: CommandOutcome['stoppedBy'] = null;
    let killTimer: NodeJS.Timeout | undefined;
    let closed = false;
    const kill = (why: NonNullable<CommandOutcome['stoppedBy']>): void => {
      if (stoppedBy !== null || closed) return;
      stoppedBy = why;
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      killTimer = setTimeout(() => {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, graceMs);
    };
    const timer = o.timeoutMs !== undefined ? setTimeout(() => kill('timeout'), o.timeoutMs) : undefined;
    const onAbort = (): void => kill('abort');
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });

    let partial = '';
    child.stdout?.on('data', (b: Buffer) => {
      out.push(b);
      partial += b.toString('utf8');
      let i = partial.indexOf('\n');
      while (i >= 0) {
        const line = partial.slice(0, i);
        partial = partial.slice(i + 1);
        if (stoppedBy === null) {
          const stop = o.onLine?.(line);
          if (stop === true) kill('caller');
          else if (stop instanceof Promise)
            stop.then(
              (yes) => yes && kill('caller'),
              () => undefined,
            );
        }
        i = partial.indexOf('\n');
      }
    });
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const fd3 = child.stdio[3] as NodeJS.ReadableStream | undefined;
    fd3?.on('data', (b: Buffer) => {
      status += b.toString('utf8');
    });
    fd3?.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    child.on('close', (guardCode, guardSignal) => {
      closed = true; // a decision arriving later must not signal a process group id the system may reuse
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      o.signal?.removeEventListener('abort', onAbort);
      if (partial !== '' && stoppedBy === null) o.onLine?.(partial);
      // the shell reports 128 + n for a command killed by signal n, 127 for a command not found
      const reported = /^\d+$/.test(status.trim()) ? Number(status.trim()) : undefined;
      const signal = reported !== undefined && reported > 128 ? (SIGNAL_NAMES.get(reported - 128) ?? null) : null;
      resolve({
        code: reported !== undefined ? (signal !== null ? null : reported) : guardSignal ? null : guardCode,
        signal: reported !== undefined ? signal : guardSignal,
        stoppedBy,
        spawnError: reported === 127 ? 'command not found or not executable (exit code 127)' : null,
        stderrTail: err.text(),
        stdoutTail: out.text(),
        pgid,
      });
    });
    child.on('error', () => undefined);
  });
}
