import { Command, CommanderError } from 'commander';
import { isUserError } from '../errors.js';
import { registerCommands } from './commands/index.js';

/** Exit codes of the hwnas CLI. */
export const EXIT = { ok: 0, internal: 1, user: 2 } as const;

/**
 * Entry point of the `hwnas` command. Returns the exit code: 0 success, 2 bad input (printed without a
 * stack trace), 1 internal failure.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('hwnas')
    .description('Hardware-aware neural-network optimisation: the network and numeric precision that fit your hardware best.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError(false);
  registerCommands(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.user;
    }
    if (isUserError(e)) {
      process.stderr.write(`hwnas: error: ${e.message}\n`);
      return EXIT.user;
    }
    process.stderr.write(`hwnas: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.internal;
  }
}
