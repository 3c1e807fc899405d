import { intOption } from '../io.js';
import { DEFAULT_QUEUE } from '../register/worker.js';

/** Exit code after a stop signal that abandoned work or Redis: 128 + the signal's number. */
const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/** The action of the command registered in src/cli/register/worker.ts (imported when that command runs). */
export const workerAction = async (f: { redis: string; queue?: string; concurrency?: string; import?: string[]; quiet?: boolean }) => {
  const { runWorker, trialLabel } = await import('../../workers/redis.js');
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  // The banner is printed inside runWorker just before it returns: from then on a stop signal must never meet the
  // default action (an instant kill). So listeners go in first: a signal while connecting stops at once (nothing runs
  // yet); one between the banner and runWorker's return is handled as soon as the worker is there.
  let ready = false;
  let pending: 'SIGINT' | 'SIGTERM' | undefined;
  const early = (sig: 'SIGINT' | 'SIGTERM'): void => {
    if (ready) {
      pending ??= sig;
      return;
    }
    say(`stopped before the worker connected (${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'})`);
    process.exit(SIGNAL_EXIT[sig]);
  };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  const w = await runWorker({
    redisUrl: f.redis,
    // '' is passed on (and refused there), not taken for the default
    ...(f.queue !== undefined ? { queueName: f.queue } : {}),
    concurrency: intOption('--concurrency', f.concurrency, 1, 1),
    imports: f.import ?? [],
    onReady: () => {
      ready = true;
      say(`hwnas worker on ${f.redis.replace(/\/\/[^@/]*@/, '//***@')} queue ${f.queue ?? DEFAULT_QUEUE} (Ctrl-C to stop)`);
    },
    onJob: (e) => {
      if (f.quiet) return;
      const what =
        e.event === 'done'
          ? `done [${(e.result?.values ?? []).map((v) => v.toPrecision(4)).join(', ')}]`
          : e.event === 'undelivered'
            ? 'finished, but Redis no longer has its job (restarted without its data, or flushed?): result dropped; the study enqueues the trial again'
            : e.event === 'error'
              ? `failed: ${e.error}`
              : 'started';
      say(`trial ${trialLabel(e.trial)} ${what}`);
    },
  });
  // First SIGINT/SIGTERM: finish the running trials, then stop (at once when Redis is unreachable:
  // nothing could be delivered). Second: abandon them; BullMQ's stall check gives them to another worker.
  let stopping: Promise<void> | undefined;
  await new Promise<void>((resolve) => {
    const onSignal = (sig: 'SIGINT' | 'SIGTERM'): void => {
      const labels = w
        .running()
        .map((t) => trialLabel(t))
        .join(', ');
      if (stopping !== undefined) {
        say(`abandoning ${labels || 'the running trials'}: another worker reruns them after the queue's stall check (30-60 s)`);
        process.exit(SIGNAL_EXIT[sig]);
      }
      const unreachable = (): Promise<void> => {
        say(`Redis unreachable; stopping without waiting for it${labels ? ` (abandoning ${labels})` : ''}`);
        process.exitCode = SIGNAL_EXIT[sig];
        return w.close({ force: true });
      };
      if (!w.connected()) stopping = unreachable();
      else {
        if (labels) say(`finishing ${labels} (${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to abandon)`);
        // Redis may go (or just have gone: the socket's close not yet seen) while this waits: then stop at once
        let closed = false;
        const graceful = w.close().finally(() => {
          closed = true;
        });
        const dropped = new Promise<void>((r) => {
          const poll = setInterval(() => {
            if (closed) clearInterval(poll);
            else if (!w.connected()) {
              clearInterval(poll);
              r(unreachable());
            }
          }, 200);
        });
        stopping = Promise.race([graceful, dropped]);
      }
      void stopping.then(resolve);
    };
    process.off('SIGINT', early);
    process.off('SIGTERM', early);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (pending !== undefined) onSignal(pending);
  });
  say(`worker stopped after ${w.completed()} trials`);
  // after a forced stop BullMQ's own connections may still be retrying a dead Redis: do not wait for them
  if (process.exitCode === SIGNAL_EXIT.SIGINT || process.exitCode === SIGNAL_EXIT.SIGTERM) process.exit(process.exitCode);
};
