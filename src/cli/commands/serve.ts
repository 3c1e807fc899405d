import type { Command } from 'commander';
import { startServer } from '../../server/server.js';
import { DEFAULT_STORE_PATH } from '../../store/sqlite-store.js';
import { intOption } from '../io.js';

/** `hwnas serve [--port N] [--host H]`: the live dashboard over the project store. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('live dashboard of the studies in the store (updates while they run); loopback only by default')
    .option('--port <n>', 'port (default 8080; 0 = any free port)')
    .option('--host <addr>', 'interface to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)')
    .option('--store <file>', `store file (default ${DEFAULT_STORE_PATH})`)
    .action(async (f: { port?: string; host?: string; store?: string }) => {
      const port = intOption('--port', f.port, 8080, 0);
      const srv = await startServer({ storePath: f.store ?? DEFAULT_STORE_PATH, port, ...(f.host ? { host: f.host } : {}) });
      process.stdout.write(`hwnas dashboard on ${srv.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          void srv.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
