import type { Command } from 'commander';
import { registerDemo } from '../register/demo.js';
import { registerEnsemble } from '../register/ensemble.js';
import { registerEval } from '../register/eval.js';
import { registerFaults } from '../register/faults.js';
import { registerHardware } from '../register/hardware.js';
import { registerInspect } from '../register/inspect.js';
import { loadHelpDetails } from '../register/lazy.js';
import { registerNas } from '../register/nas.js';
import { registerQuantize } from '../register/quantize.js';
import { registerReport } from '../register/report.js';
import { registerServe } from '../register/serve.js';
import { registerStudy } from '../register/study.js';
import { registerTrain } from '../register/train.js';
import { registerTransform } from '../register/transform.js';
import { registerWeb } from '../register/web.js';
import { registerWorker } from '../register/worker.js';
import { registerZoo } from '../register/zoo.js';

/**
 * Register every sub-command on the program. A registration imports no action module (src/cli/register/): each
 * command's action imports its stack when the command runs; help text that names registry entries is loaded before
 * the command parses its arguments: always, or with `argv` only when it asks for help (`--help`, `-h`), so that a flag
 * error does not load the registries either.
 */
export function registerCommands(program: Command, argv?: readonly string[]): void {
  const help = argv === undefined || argv.includes('--help') || argv.includes('-h');
  if (help) program.hook('preSubcommand', (_program, sub) => loadHelpDetails(sub));
  registerDemo(program);
  registerInspect(program);
  registerTrain(program);
  registerEval(program);
  registerZoo(program);
  registerHardware(program);
  registerStudy(program);
  registerReport(program);
  registerServe(program);
  registerWorker(program);
  registerTransform(program);
  registerNas(program);
  registerQuantize(program);
  registerEnsemble(program);
  registerFaults(program);
  registerWeb(program);
}

/** Loads the help text every command computes from its registries (for the reference page, docs/cli.md). */
export async function loadAllHelpDetails(program: Command): Promise<void> {
  for (const c of program.commands) await loadHelpDetails(c);
}

/**
 * Loads the help text of the command `hwnas help <command>` shows (commander prints it without dispatching to the
 * command, so the `preSubcommand` hook does not run).
 */
export async function loadHelpCommandDetails(program: Command, argv: readonly string[]): Promise<void> {
  if (argv[0] !== 'help' || argv[1] === undefined) return;
  const cmd = (program.commands as Command[]).find((c) => c.name() === argv[1] || c.aliases().includes(argv[1] as string));
  if (cmd) await loadHelpDetails(cmd);
}
