import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromiumSkipReason, launchChromium, seedPolicyStudy } from '../report/testing/chromium.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { type RunningServer, startServer } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-serve-'));
const dbPath = join(dir, 'hwnas.sqlite');
let writer: SqliteStore;
let srv: RunningServer;
before(async () => {
  writer = new SqliteStore(dbPath);
  await seedPolicyStudy(writer, 'quant', 20);
  srv = await startServer({ storePath: dbPath });
});
after(async () => {
  await srv.close();
  writer.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw GET with the path sent verbatim (no client-side normalisation of '..'). */
function rawGet(path: string, method = 'GET', hostHeader?: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, method, ...(hostHeader ? { headers: { host: hostHeader } } : {}) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('listens on loopback on a free port and serves the JSON API of its store', async () => {
  assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const list = JSON.parse((await rawGet('/api/studies')).body) as { studies: { name: string; counts: { complete: number } }[] };
  assert.deepEqual(
    list.studies.map((s) => [s.name, s.counts.complete]),
    [['quant', 20]],
  );
  const d = JSON.parse((await rawGet('/api/studies/quant')).body) as { trials: unknown[]; progress: { kind: string } };
  assert.equal(d.trials.length, 20);
  assert.equal(d.progress.kind, 'hypervolume');
  const t = JSON.parse((await rawGet('/api/studies/quant/trials')).body) as { trials: { number: number; userAttrs: Record<string, unknown> }[] };
  assert.deepEqual(
    t.trials.map((x) => x.number),
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.ok(t.trials[0]?.userAttrs.policy);
  assert.equal((await rawGet('/api/studies/nope')).status, 404);
  assert.equal((await rawGet('/api/studies', 'POST')).status, 405);
  const page = await rawGet('/');
  assert.equal(page.status, 200);
  assert.match(page.type, /text\/html/);
});

test('a Host header naming another site (DNS rebinding) is refused; IP literals and localhost are served', async () => {
  for (const h of ['evil.example.com', 'evil.example.com:80', `attacker.test:${srv.port}`]) {
    const r = await rawGet('/api/studies', 'GET', h);
    assert.equal(r.status, 421, h);
    assert.doesNotMatch(r.body, /studies/, h);
  }
  for (const h of [`127.0.0.1:${srv.port}`, `localhost:${srv.port}`, `[::1]:${srv.port}`, 'localhost']) {
    assert.equal((await rawGet('/api/studies', 'GET', h)).status, 200, h);
  }
});

test('nothing else of the file system is reachable (path traversal => 404)', async () => {
  for (const p of [
    '/../../../../etc/passwd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/assets/../../package.json',
    '/assets/plotly.min.js/../../../../etc/passwd',
    '/api/studies/..%2F..%2Fetc%2Fpasswd',
    '/api/studies/quant/../../../package.json',
    `/${dbPath}`,
    '/hwnas.sqlite',
    '/dist/src/server/server.js',
    '/api/studies/%E0%A4%A',
  ]) {
    const r = await rawGet(p);
    assert.equal(r.status, 404, `${p} -> ${r.status}`);
    assert.ok(!r.body.includes('root:') && !r.body.includes('"name": "hwnas"'), p);
  }
});

test('dashboard in Chromium: shows the study, draws the Pareto plot, updates while trials are added', { skip: chromiumSkipReason() }, async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(srv.url);
    await page.waitForSelector('#pareto .scatterlayer .point');
    assert.equal(await page.locator('#title').innerText(), 'Study quant');
    assert.ok((await page.locator('#pareto .scatterlayer .point').count()) >= 20);
    assert.equal(await page.locator('#trials tbody tr').count(), 20);
    // The study keeps running: 10 more trials appear without a reload (2 s polling).
    await seedPolicyStudy(writer, 'quant', 30);
    await page.waitForSelector('body[data-rendered-trials="30"]', { timeout: 15_000 });
    assert.equal(await page.locator('#trials tbody tr').count(), 30);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'dashboard.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('/?study=<unknown> is a 404 page naming it and linking the known studies, not another study (review53 #8)', async () => {
  const r = await rawGet('/?study=no%3Cpe');
  assert.equal(r.status, 404);
  assert.match(r.type, /text\/html/);
  assert.match(r.body, /No study named &quot;no&lt;pe&quot; in this store/);
  assert.match(r.body, /Known studies \(1\):.*<a href="\/\?study=quant">quant<\/a>/s);
  const known = await rawGet('/?study=quant');
  assert.equal(known.status, 200);
  assert.doesNotMatch(known.body, /No study named/);
  assert.equal((await rawGet('/favicon.ico')).status, 204);
});
