import type { Command } from 'commander';
import { lazy } from './lazy.js';

/** `hwnas zoo`: the built-in models. */
export function registerZoo(program: Command): void {
  program
    .command('zoo')
    .description('list the built-in models (use as zoo:<name>[?size=..&channels=..&classes=..&width=..])')
    .option('--json', 'print JSON')
    .action(
      lazy(
        () => import('../commands/zoo.js'),
        (m) => m.zooAction,
      ),
    );
}
