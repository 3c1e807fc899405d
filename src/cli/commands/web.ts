import type { Command } from 'commander';
import { writeWhatIfSite } from '../../web/site.js';
import { checkOutDir, printJson } from '../io.js';

/** `hwnas web --out site/`: the what-if page (cost models in the browser) as a static site. */
export function registerWeb(program: Command): void {
  program
    .command('web')
    .description(
      'write the what-if page as a static site (one self-contained index.html: ONNX or zoo model, target and parameters, per-layer bits, cost tables and chart, all computed in the browser; also served by hwnas serve at /what-if)',
    )
    .requiredOption('--out <dir>', 'folder to write index.html into (created if missing; its parent folder must exist)')
    .option('--json', 'print a JSON summary')
    .action((f: { out: string; json?: boolean }) => {
      const { path, bytes } = writeWhatIfSite(checkOutDir('--out', f.out));
      if (f.json) return printJson({ out: path, bytes });
      process.stdout.write(`wrote ${path} (${(bytes / 1e6).toFixed(1)} MB; opens offline: everything is computed in the page)\n`);
    });
}
