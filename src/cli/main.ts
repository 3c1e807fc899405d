import { Command, CommanderError } from 'commander';
import { isUserError } from '../errors.js';
import { loadHelpCommandDetails, registerCommands } from './commands/index.js';

/** Exit codes of the hwnas CLI. */
export const EXIT = { ok: 0, internal: 1, user: 2 } as const;

/** File-system error codes that mean "this path, given by the user, cannot be used" (exit 2, not a bug). */
const PATH_ERRNO: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory, expected a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EEXIST: 'already exists',
};

/** One line: messages may embed file excerpts (JSON.parse) or commander's "(Did you mean ...?)" hint. */
function oneLine(s: string): string {
  return s.replace(/\s*\r?\n\s*/g, ' ').trim();
}

/** The user-facing message of a file-system error on a path, or undefined for any other error. */
function pathErrorMessage(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const { code, path, syscall } = e as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof path !== 'string') return undefined;
  const why = PATH_ERRNO[code];
  if (!why) return undefined;
  return `cannot ${syscall === 'mkdir' ? 'create directory' : 'use'} '${path}': ${why} (${code})`;
}

/**
 * The fix for an installation problem (a native module built for another Node, a missing binary), or
 * undefined for any other error. Such an error is not bad input: exit 1 with the fix.
 */
export function installProblem(e: unknown): string | undefined {
  const msg = e instanceof Error ? `${e.message} ${(e as NodeJS.ErrnoException).code ?? ''}` : String(e);
  if (
    !/NODE_MODULE_VERSION|was compiled against a different Node\.js version|ERR_DLOPEN_FAILED|invalid ELF header|Could not locate the bindings file/.test(msg)
  )
    return undefined;
  const mod = /better[-_]sqlite3/.test(msg) ? 'better-sqlite3' : /onnxruntime/.test(msg) ? 'onnxruntime-node' : undefined;
  return `a native module${mod ? ` (${mod})` : ''} cannot load in Node ${process.version}: ${oneLine(msg).slice(0, 300)}; this is an installation problem, not bad input: run 'npm rebuild${mod ? ` ${mod}` : ''}' with the Node that runs hwnas`;
}

/** Ends the process quietly when the reader of stdout has gone (`hwnas study show | head -1`). */
function quietOnEpipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.ok);
    throw e;
  });
  // Progress on a stderr whose reader has gone (`hwnas train ... 2>&1 | head -2`): the work goes on without
  // it (the model is still written); the result line then meets the closed stdout and ends the process.
  process.stderr.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    throw e;
  });
}

/**
 * Entry point of the `hwnas` command. Returns the exit code: 0 success, 2 bad input (one line
 * `hwnas: error: ...`, no stack trace), 1 internal failure (with the stack, to report as a bug).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('hwnas')
    .description('Hardware-aware neural-network optimisation: the network and numeric precision that fit your hardware best.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // commander's own errors (unknown option or command, missing argument) read like ours
      outputError: (s, write) => write(`hwnas: ${oneLine(s)}\n`),
    })
    .showHelpAfterError(false);
  registerCommands(program, argv);
  quietOnEpipe();
  try {
    await loadHelpCommandDetails(program, argv);
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; help shown because a sub-command is missing is bad input
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      if (e.code === 'commander.help') {
        if (e.exitCode === 0) return EXIT.ok;
        process.stderr.write('hwnas: error: a command is required: expected one of the commands listed above\n');
        return EXIT.user;
      }
      return EXIT.user;
    }
    const install = installProblem(e);
    if (install) {
      process.stderr.write(`hwnas: error: ${install}\n`);
      return EXIT.internal;
    }
    if (isUserError(e)) {
      process.stderr.write(`hwnas: error: ${oneLine(e.message)}\n`);
      return EXIT.user;
    }
    const pathMsg = pathErrorMessage(e);
    if (pathMsg) {
      process.stderr.write(`hwnas: error: ${pathMsg}\n`);
      return EXIT.user;
    }
    process.stderr.write(`hwnas: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.internal;
  }
}
