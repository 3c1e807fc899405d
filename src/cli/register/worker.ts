import type { Command } from 'commander';
import { lazy } from './lazy.js';

/** Default queue name (the same as `DEFAULT_QUEUE` of src/workers/redis.ts, which loads only when a worker starts). */
export const DEFAULT_QUEUE = 'hwnas-trials';

/** `hwnas worker --redis redis://host:port`: runs queued trials until stopped. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run trials queued by `hwnas study run --redis` (several workers on several machines may share one queue)')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--queue <name>', `queue name (default ${DEFAULT_QUEUE})`)
    .option('--concurrency <n>', 'trials at once in this worker (default 1)')
    .option('--import <module...>', 'modules that register more evaluations (registerEvaluation)')
    .option('--quiet', 'no per-trial log lines')
    .action(
      lazy(
        () => import('../commands/worker.js'),
        (m) => m.workerAction,
      ),
    );
}
