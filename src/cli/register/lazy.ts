import type { Command } from 'commander';

/**
 * The action of a command whose module is imported only when the command runs: `hwnas --version`, `--help` and a
 * command's own flag errors load its registration (name, flags, help text) but not its action's stack (engine, onnx,
 * search, store, zod schemas), which cost every spawned process ~0.5 s of CPU when the registrations imported it.
 * `check` (light: no registry, no stack) runs first with the action's arguments, so that the flag errors it finds
 * (ConfigError, exit 2) do not load the stack either; the action runs the same checks again when called directly.
 */
export function lazy<M, A extends unknown[]>(
  load: () => Promise<M>,
  pick: (m: M) => (...args: A) => unknown,
  check?: (...args: A) => unknown,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    check?.(...args);
    await pick(await load())(...args);
  };
}

/** Help text a command computes from modules its registration does not load (see {@link helpDetails}). */
const details = new WeakMap<Command, () => Promise<void>>();

/**
 * Sets help text of `cmd` that names what registries hold (the registered search strategies, the built-in spaces) once
 * `load` has run: {@link loadHelpDetails} runs it before the command parses its arguments (the program's
 * `preSubcommand` hook, see registerCommands), so `hwnas <cmd> --help` and `hwnas help <cmd>` show it.
 */
export function helpDetails(cmd: Command, load: () => Promise<void>): void {
  details.set(cmd, load);
}

/** Runs the help loader of `cmd`, if any (once). */
export async function loadHelpDetails(cmd: Command): Promise<void> {
  const load = details.get(cmd);
  details.delete(cmd);
  await load?.();
}

/** Sets the help text of option `long` of `cmd`. */
export function describeOption(cmd: Command, long: string, description: string): void {
  const o = cmd.options.find((x) => x.long === long);
  if (!o) throw new Error(`${cmd.name()} has no option ${long}`);
  o.description = description;
}
