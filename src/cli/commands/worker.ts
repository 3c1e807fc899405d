import type { Command } from 'commander';

import { intOption, untilStopped } from '../io.js';

/** Default queue name (the same as `DEFAULT_QUEUE` of src/workers/redis.ts, which loads only when a worker starts). */
const DEFAULT_QUEUE = 'hwnas-trials';

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
    .action(async (f: { redis: string; queue?: string; concurrency?: string; import?: string[]; quiet?: boolean }) => {
      const { runWorker } = await import('../../workers/redis.js');
      const w = await runWorker({
        redisUrl: f.redis,
        ...(f.queue ? { queueName: f.queue } : {}),
        concurrency: intOption('--concurrency', f.concurrency, 1, 1),
        imports: f.import ?? [],
        onJob: (e) => {
          if (f.quiet) return;
          const what =
            e.event === 'done'
              ? `done [${(e.result?.values ?? []).map((v) => v.toPrecision(4)).join(', ')}]`
              : e.event === 'error'
                ? `failed: ${e.error}`
                : 'started';
          process.stderr.write(`trial ${e.trial.studyName}#${e.trial.trialNumber} ${what}\n`);
        },
      });
      process.stderr.write(`hwnas worker on ${f.redis} queue ${f.queue ?? DEFAULT_QUEUE} (Ctrl-C to stop)\n`);
      await untilStopped(() => w.close());
      process.stderr.write(`worker stopped after ${w.completed()} trials\n`);
    });
}
