import type { Command } from 'commander';
import { DEFAULT_STORE_PATH } from '../../store/store-path.js';
import { lazy } from './lazy.js';

/** `hwnas report <study> --out report.html`. */
export function registerReport(program: Command): void {
  program
    .command('report <study>')
    .description('write one self-contained HTML report of a study (Pareto front, hypervolume, bit-width heat map, per-layer costs, trial table)')
    .option('--out <file>', 'output HTML file (default <study>-report.html)')
    .option('--store <file>', `store file (default ${DEFAULT_STORE_PATH})`)
    .option('--compare <studies>', 'comma-separated studies with the same objectives to compare with (overlaid Pareto fronts, hypervolume vs trials)')
    .option('--json', 'print a JSON summary')
    .action(
      lazy(
        () => import('../commands/report.js'),
        (m) => m.reportAction,
      ),
    );
}
