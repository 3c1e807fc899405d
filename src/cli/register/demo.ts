import type { Command } from 'commander';
import { lazy } from './lazy.js';

/** `hwnas demo`: the main job on built-in defaults, end to end on real data. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'end to end on real MNIST: train the reference CNN, ONNX export checked in onnxruntime, hardware cost, mixed precision under a latency budget, a small NSGA-II study with an HTML report',
    )
    .option('--epochs <n>', 'training epochs (default 1)')
    .option('--seed <n>', 'seed (default 0)')
    .option('--out <dir>', 'output folder (default ./hwnas-demo; created if missing, its parent folder must exist)')
    .option('--limit <n>', 'use only the first N training images (quick look)')
    .option('--trials <n>', 'trials of the bit-width study (default 40)')
    .option('--json', 'print a JSON summary')
    .action(
      lazy(
        () => import('../commands/demo.js'),
        (m) => m.demoAction,
      ),
    );
}
