/** Test helper: a throwaway redis-server on 127.0.0.1 on a free port (no persistence). */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { connectRedis } from '../redis-connection.js';

/** Path of Debian's redis-server. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** Why Redis tests are skipped, or false when redis-server is installed. */
export function redisSkipReason(): string | false {
  return existsSync(REDIS_SERVER) ? false : `${REDIS_SERVER} is not installed (apt-get install redis-server); skipping Redis tests`;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A running redis-server. */
export interface TestRedis {
  readonly url: string;
  readonly process: ChildProcess;
  /** Kills the server and waits for it to exit. */
  stop(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Port (default: a free one), e.g. to restart a server on the port it had. */
  readonly port?: number;
  /** Require this password (AUTH); the returned URL carries it. */
  readonly password?: string;
}

/** Starts redis-server on a free loopback port and waits until it answers PING. */
export async function startRedis(o: StartRedisOptions = {}): Promise<TestRedis> {
  const port = o.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  if (o.password !== undefined) args.push('--requirepass', o.password);
  const proc = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
  const url = o.password !== undefined ? `redis://:${encodeURIComponent(o.password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  for (let i = 0; ; i++) {
    try {
      const c = await connectRedis(url, { connectTimeoutMs: 1000 });
      await c.close();
      break;
    } catch {
      if (i > 100 || proc.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    process: proc,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
