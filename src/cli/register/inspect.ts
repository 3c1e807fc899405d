import type { Command } from 'commander';
import { lazy } from './lazy.js';

/** `hwnas inspect <model>`: per-layer table of shapes, MACs and params. */
export function registerInspect(program: Command): void {
  program
    .command('inspect <model>')
    .description('per-layer table (op, shapes, MACs, params) of zoo:<name>[?opts], a .onnx or an hwnas .json model')
    .option('--json', 'print JSON instead of a table')
    .option('--all', 'include nodes without weights or MACs (activations, reshapes)')
    .action(
      lazy(
        () => import('../commands/inspect.js'),
        (m) => m.inspectAction,
      ),
    );
}
