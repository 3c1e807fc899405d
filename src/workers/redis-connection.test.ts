import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConfigError } from '../errors.js';
import { connectRedis, parseRedisUrl } from './redis-connection.js';
import { freePort, redisSkipReason, startRedis, type TestRedis } from './testing/redis-server.js';
import { tcpServer } from './testing/tcp.js';

const skip = redisSkipReason();
let redis: TestRedis | undefined;
before(async () => {
  if (!skip) redis = await startRedis({ password: 'p@ss word' });
});
after(async () => {
  await redis?.stop();
});

test('parseRedisUrl reads host, port, credentials and db, and names a bad URL', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6380'), { host: '127.0.0.1', port: 6380 });
  assert.deepEqual(parseRedisUrl('redis://u:p%40ss@[::1]/2'), { host: '::1', port: 6379, username: 'u', password: 'p@ss', db: 2 });
  assert.throws(
    () => parseRedisUrl('localhost:6379'),
    (e: Error) => e instanceof ConfigError && /"localhost:6379".*redis:\/\//.test(e.message),
  );
  assert.throws(() => parseRedisUrl('http://h:1'), /"http:\/\/h:1": expected the redis:\/\/ scheme/);
  assert.throws(() => parseRedisUrl('redis://h:1/x'), /database 'x' must be an integer >= 0/);
  assert.throws(() => parseRedisUrl('redis://h:1/1e3'), /database '1e3'/);
  assert.throws(() => parseRedisUrl('redis://h:1/0?family=6'), /expected no query/);
});

test('unreachable, silent or non-Redis servers are ConfigErrors naming the URL, tried once, printing nothing', async () => {
  const printed: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => void printed.push(a.map(String).join(' '));
  const closing = await tcpServer((s) => s.destroy());
  const silent = await tcpServer(() => undefined);
  const http = await tcpServer((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
  try {
    const port = await freePort();
    await assert.rejects(
      connectRedis(`redis://127.0.0.1:${port}`),
      (e: Error) => e instanceof ConfigError && e.message.includes(`cannot connect to Redis at "redis://127.0.0.1:${port}": connect ECONNREFUSED`),
    );
    await assert.rejects(connectRedis(`redis://127.0.0.1:${closing.port}`), new RegExp(`cannot connect to Redis at "redis://127.0.0.1:${closing.port}"`));
    await assert.rejects(connectRedis(`redis://127.0.0.1:${silent.port}/1`, { connectTimeoutMs: 300 }), /redis:\/\/127.0.0.1:\d+\/1": no answer within 300 ms/);
    await assert.rejects(connectRedis(`redis://127.0.0.1:${http.port}`), /Protocol error/);
    // ioredis's default would reconnect after ~50 ms and print "[ioredis] Unhandled error event".
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(closing.count(), 1, 'no reconnect attempt after a failed first connection');
    assert.equal(silent.count(), 1);
    assert.deepEqual(printed, []);
  } finally {
    console.error = orig;
    for (const s of [closing, silent, http]) s.close();
  }
});

test('password and database from the URL are used; wrong ones are ConfigErrors', { skip }, async () => {
  const url = (redis as TestRedis).url; // redis://:p%40ss%20word@127.0.0.1:<port>
  const c = await connectRedis(`${url}/3`);
  try {
    assert.match(String(await c.client.client('INFO')), /\bdb=3\b/);
    await c.client.set('k', 'v');
    assert.equal(await c.client.get('k'), 'v');
  } finally {
    await c.close();
  }
  assert.equal(c.client.status, 'end');
  await c.close(); // idempotent
  const bare = url.replace(/:\/\/[^@]*@/, '://');
  await assert.rejects(connectRedis(bare), /NOAUTH/);
  await assert.rejects(connectRedis(url.replace('p%40ss%20word', 'wrong')), /WRONGPASS/);
  await assert.rejects(connectRedis(`${url}/99`), (e: Error) => e instanceof ConfigError && /\/99": ERR DB index is out of range/.test(e.message));
});

test('a connection survives a Redis restart: commands wait for the reconnect', { skip }, async () => {
  let server = await startRedis();
  const port = Number(new URL(server.url).port);
  const c = await connectRedis(server.url, { maxReconnectDelayMs: 200 });
  try {
    assert.equal(await c.client.ping(), 'PONG');
    await server.stop();
    const pending = c.client.set('after', 'restart');
    server = await startRedis({ port });
    assert.equal(await pending, 'OK');
    assert.equal(await c.client.get('after'), 'restart');
  } finally {
    await c.close();
    await server.stop();
  }
});
