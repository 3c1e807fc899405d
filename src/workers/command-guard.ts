/**
 * The guard process between hwnas and a user's evaluation command (run as `node command-guard.js
 * '<argv JSON>' <graceMs>`). hwnas starts it as the leader of a new process group; it starts the command
 * in that group, so one signal to the group reaches the command and everything the command started.
 *
 * - hwnas dies (even `kill -9`): the guard's stdin, a pipe from hwnas, closes; the guard sends SIGTERM to
 *   the group, then SIGKILL after the grace period. No process of the trial outlives hwnas.
 * - hwnas stops the trial (timeout, Ctrl-C, pruning): it signals the group itself; the guard ignores
 *   SIGTERM/SIGINT so that it stays to escalate.
 * - The command exits: the guard writes `{"code","signal"}` on fd 3 and kills what the command left
 *   running in the group (itself included), so no stray process keeps the output pipes open.
 *
 * It imports nothing from hwnas: its start-up is Node's alone.
 */
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';

const argv = JSON.parse(process.argv[2] ?? '[]') as string[];
const graceMs = Number(process.argv[3] ?? 5000);

const killGroup = (signal: NodeJS.Signals): void => {
  try {
    process.kill(-process.pid, signal);
  } catch {
    /* the group is gone */
  }
};

const report = (status: { code: number | null; signal: string | null; error?: string }): void => {
  try {
    writeSync(3, JSON.stringify(status));
  } catch {
    /* hwnas is gone */
  }
};

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  killGroup('SIGTERM');
  setTimeout(() => killGroup('SIGKILL'), graceMs);
};

process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('error', (e) => {
  report({ code: null, signal: null, error: e.message });
  killGroup('SIGKILL');
});
child.on('exit', (code, signal) => {
  report({ code, signal });
  killGroup('SIGKILL');
});
