import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cacheDir, readCache, writeCache } from './cache.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sections = (): Map<string, Uint8Array> =>
  new Map([
    ['labels', Uint8Array.from([1, 2, 3])],
    ['pixels', Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256)],
  ]);

test('a written cache reads back; no temporary files are left', () => {
  const p = join(dir, 'sub', 'a.bin');
  writeCache(p, 'key-1', sections());
  const r = readCache(p, 'key-1');
  assert.equal(r.status, 'hit');
  if (r.status !== 'hit') return;
  assert.deepEqual([...(r.sections.get('labels') ?? [])], [1, 2, 3]);
  assert.deepEqual(r.sections.get('pixels'), sections().get('pixels'));
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.bin']);
});

test('missing, stale, truncated, bit-flipped and foreign files are reported, never returned', () => {
  const p = join(dir, 'b.bin');
  assert.equal(readCache(p, 'k').status, 'missing');
  writeCache(p, 'k', sections());
  assert.equal(readCache(p, 'other-source').status, 'stale');
  const good = readFileSync(p);
  const flipped = Uint8Array.from(good);
  flipped[flipped.length - 10] = (flipped[flipped.length - 10] as number) ^ 1;
  writeFileSync(p, flipped);
  assert.match(JSON.stringify(readCache(p, 'k')), /"status":"corrupt".*SHA-256/);
  writeFileSync(p, good);
  truncateSync(p, good.length - 1);
  assert.match(JSON.stringify(readCache(p, 'k')), /corrupt.*header announces/);
  truncateSync(p, 20);
  assert.equal(readCache(p, 'k').status, 'corrupt');
  writeFileSync(p, 'not a cache file at all');
  assert.match(JSON.stringify(readCache(p, 'k')), /magic/);
  const badHeader = Uint8Array.from(good);
  badHeader[14] = 0x7b; // break the JSON header
  writeFileSync(p, badHeader);
  assert.equal(readCache(p, 'k').status, 'corrupt');
});

test('cacheDir: explicit, then HWNAS_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache/hwnas', () => {
  const saved = { h: process.env['HWNAS_CACHE_DIR'], x: process.env['XDG_CACHE_HOME'] };
  try {
    process.env['HWNAS_CACHE_DIR'] = '/tmp/env-cache';
    process.env['XDG_CACHE_HOME'] = '/tmp/xdg';
    assert.equal(cacheDir('/explicit'), '/explicit');
    assert.equal(cacheDir(), '/tmp/env-cache');
    delete process.env['HWNAS_CACHE_DIR'];
    assert.equal(cacheDir(), '/tmp/xdg/hwnas');
    delete process.env['XDG_CACHE_HOME'];
    assert.equal(cacheDir(), join(homedir(), '.cache', 'hwnas'));
  } finally {
    if (saved.h === undefined) delete process.env['HWNAS_CACHE_DIR'];
    else process.env['HWNAS_CACHE_DIR'] = saved.h;
    if (saved.x === undefined) delete process.env['XDG_CACHE_HOME'];
    else process.env['XDG_CACHE_HOME'] = saved.x;
  }
});
