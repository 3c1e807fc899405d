import type { Command } from 'commander';
import { lazy } from './lazy.js';

/** `hwnas web --out site/`: the what-if page (cost models in the browser) as a static site. */
export function registerWeb(program: Command): void {
  program
    .command('web')
    .description(
      'write the what-if page as a static site (one self-contained index.html: ONNX or zoo model, target and parameters, per-layer bits, cost tables and chart, all computed in the browser; also served by hwnas serve at /what-if)',
    )
    .requiredOption('--out <dir>', 'folder to write index.html into (created if missing; its parent folder must exist)')
    .option('--json', 'print a JSON summary')
    .action(
      lazy(
        () => import('../commands/web.js'),
        (m) => m.webAction,
      ),
    );
}
