import type { Command } from 'commander';
import { registerInspect } from './inspect.js';

/** Register every sub-command on the program. */
export function registerCommands(program: Command): void {
  registerInspect(program);
}
