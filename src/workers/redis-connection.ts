/**
 * Redis connections for the BullMQ queue, made with the standard `ioredis` client.
 *
 * {@link connectRedis} fails fast: the first connection gets no retries and a deadline, so an
 * unreachable or non-Redis address is a ConfigError naming the URL within `connectTimeoutMs`.
 * Once connected, a dropped connection is retried with a capped back-off (BullMQ requires
 * `maxRetriesPerRequest: null`, so commands wait for the reconnect instead of failing), and
 * connection errors are kept off the console.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from '../errors.js';

/** Connection target parsed from a `redis://[user:password@]host[:port][/db]` URL. */
export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
}

/** Parses a Redis URL (ConfigError quoting it when malformed). */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`Redis URL ${JSON.stringify(url)} is not a URL: expected redis://host:port (e.g. redis://127.0.0.1:6379)`);
  }
  if (u.protocol !== 'redis:') throw new ConfigError(`Redis URL ${JSON.stringify(url)}: expected the redis:// scheme (TLS is not supported)`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? undefined : Number(dbText);
  if (db !== undefined && (!/^\d+$/.test(dbText) || !Number.isSafeInteger(db)))
    throw new ConfigError(`Redis URL ${JSON.stringify(url)}: database '${dbText}' must be an integer >= 0`);
  if (u.search !== '' || u.hash !== '')
    throw new ConfigError(`Redis URL ${JSON.stringify(url)}: expected no query or fragment (redis://[user:password@]host[:port][/db])`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** Give up on the first connection (TCP connect, AUTH/SELECT, PING) after this many ms (default 5,000). */
  readonly connectTimeoutMs?: number;
  /** Longest wait between reconnect attempts after the connection drops (default 5,000 ms). */
  readonly maxReconnectDelayMs?: number;
}

/** An open ioredis connection, ready to pass as BullMQ's `connection`. */
export interface RedisConnection {
  /** The URL it was opened with. */
  readonly url: string;
  /** The ioredis client (BullMQ duplicates it for its blocking connections). */
  readonly client: Redis;
  /** Closes the connection (QUIT when connected, else drops the socket); idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a Redis connection and checks it answers PING; ConfigError naming the URL when it cannot.
 * @example
 * const conn = await connectRedis('redis://127.0.0.1:6379');
 * const queue = new Queue('q', { connection: conn.client });
 * await queue.close(); await conn.close();
 */
export async function connectRedis(url: string, o: ConnectRedisOptions = {}): Promise<RedisConnection> {
  const target = parseRedisUrl(url);
  const timeoutMs = o.connectTimeoutMs ?? 5000;
  const maxDelay = o.maxReconnectDelayMs ?? 5000;
  let connected = false;
  let lastError: Error | undefined;
  const options: RedisOptions = {
    ...target,
    lazyConnect: true,
    // BullMQ: blocking commands must wait out reconnects rather than fail after N retries.
    maxRetriesPerRequest: null,
    connectTimeout: timeoutMs,
    // No retry before the first success (fail fast); afterwards back off up to maxDelay. BullMQ's
    // duplicates of this client share the function, so they reconnect the same way.
    retryStrategy: (times: number) => (connected ? Math.min(100 * 2 ** Math.min(times, 10), maxDelay) : null),
  };
  const client = new Redis(options);
  // Without a listener ioredis prints "[ioredis] Unhandled error event" for every failed attempt.
  client.on('error', (e: Error) => {
    lastError = e;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        const pong = await client.ping();
        if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
        // ioredis only emits an 'error' when its SELECT fails and goes on in db 0: check it here.
        if (target.db !== undefined) await client.select(target.db);
      })(),
      deadline,
    ]);
    connected = true;
  } catch (e) {
    client.disconnect();
    const err = e as Error;
    // connect() rejects with a generic "Connection is closed." after the socket error that caused it.
    const why = lastError && lastError !== err && /closed/i.test(err.message) ? lastError.message : err.message;
    throw new ConfigError(
      `cannot connect to Redis at ${JSON.stringify(url)}: ${why || String(e)}; expected a Redis server answering at ${target.host}:${target.port} (check the host, port, password and database of the URL)`,
    );
  } finally {
    clearTimeout(timer);
  }
  return {
    url,
    client,
    close: () => closeClient(client),
  };
}

/** QUIT a ready client (bounded wait), else disconnect; resolves once the client has ended. */
async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<void>((resolve) => {
    client.once('end', () => resolve());
    // Bound every wait: a server that stopped answering must not keep the process alive.
    timer = setTimeout(() => {
      client.disconnect();
      resolve();
    }, 2000);
  });
  try {
    if (client.status === 'ready') await Promise.race([client.quit().catch(() => undefined), ended]);
    if ((client.status as string) !== 'end') client.disconnect(); // status changed while awaiting QUIT
    await ended;
  } finally {
    clearTimeout(timer);
  }
}
