import type { Command } from 'commander';
import { DEFAULT_STORE_PATH } from '../../store/store-path.js';
import { lazy } from './lazy.js';

/** `hwnas serve [--port N] [--host H]`: the live dashboard over the project store. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('live dashboard of the studies in the store (updates while they run); loopback only by default')
    .option('--port <n>', 'port (default 8080; 0 = any free port)')
    .option('--host <addr>', 'interface to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)')
    .option(
      '--allow-host <names>',
      "comma list of host names the dashboard may be opened by besides IP addresses, localhost and this machine's name (other Host headers are refused: DNS rebinding)",
    )
    .option('--store <file>', `store file (default ${DEFAULT_STORE_PATH})`)
    .action(
      lazy(
        () => import('../commands/serve.js'),
        (m) => m.serveAction,
      ),
    );
}
