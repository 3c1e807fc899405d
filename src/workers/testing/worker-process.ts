/** Test helper: a worker process (`node worker-process.js <redis url> <queue>`) that prints `start <jobId>` when it takes a job. */
import { runWorker } from '../redis.js';

const [url = '', queue = ''] = process.argv.slice(2);
await runWorker({
  redisUrl: url,
  queueName: queue,
  lockDurationMs: 1000,
  stalledIntervalMs: 500,
  onJob: (e) => {
    if (e.event === 'start') process.stdout.write(`start ${e.jobId}\n`);
  },
});
process.stdout.write('ready\n');
