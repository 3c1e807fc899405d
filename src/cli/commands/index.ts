import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerEnsemble } from './ensemble.js';
import { registerEval } from './eval.js';
import { registerFaults } from './faults.js';
import { registerHardware } from './hardware.js';
import { registerInspect } from './inspect.js';
import { registerNas } from './nas.js';
import { registerQuantize } from './quantize.js';
import { registerReport } from './report.js';
import { registerServe } from './serve.js';
import { registerStudy } from './study.js';
import { registerTrain } from './train.js';
import { registerTransform } from './transform.js';
import { registerWeb } from './web.js';
import { registerWorker } from './worker.js';
import { registerZoo } from './zoo.js';

/** Register every sub-command on the program. */
export function registerCommands(program: Command): void {
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
