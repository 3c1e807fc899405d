import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerEval } from './eval.js';
import { registerHardware } from './hardware.js';
import { registerInspect } from './inspect.js';
import { registerTrain } from './train.js';
import { registerZoo } from './zoo.js';

/** Register every sub-command on the program. */
export function registerCommands(program: Command): void {
  registerDemo(program);
  registerInspect(program);
  registerTrain(program);
  registerEval(program);
  registerZoo(program);
  registerHardware(program);
}
