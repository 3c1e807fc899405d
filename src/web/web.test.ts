/**
 * The what-if page in a real browser (playwright-core + Debian's Chromium, skipped when absent), opened
 * from file:// with every network request refused: an ONNX file through the file input, a policy file,
 * the page's totals against `hwnas cost --json` on the same inputs (relative difference <= 1e-9), a
 * layer's bits changed (totals move, and equal the CLI on the exported policy), parameter overrides and
 * their errors, the comparison, and the page served by `hwnas serve` at /what-if under its CSP.
 * Also `hwnas web --out` itself. The screenshot goes to test-artifacts/ (HWNAS_DOCS_SCREENSHOT=1: to
 * docs/img/what-if.png, the one docs/web.md shows).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { runHwnas } from '../cli/testing/run-cli.js';
import { getTarget } from '../hardware/registry.js';
import { initWeights, zooGraph } from '../ir/index.js';
import { quantizableLayers } from '../ir/workload.js';
import { saveOnnx } from '../onnx/index.js';
import { chromiumSkipReason, launchChromium } from '../report/testing/chromium.js';
import { startServer } from '../server/server.js';
import { MemoryStore } from '../store/memory-store.js';
import { Rng } from '../util/rng.js';
import { renderWhatIfPage } from './site.js';

/** The page's globals as the functions run inside it use them (the test build has no DOM types). */
declare const document: {
  getElementById(id: string): { readonly textContent: string | null; readonly value?: string } | null;
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
};

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = mkdtempSync(join(tmpdir(), 'hwnas-web-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const skip = chromiumSkipReason();

let browser: Browser | undefined;
before(async () => {
  if (!skip) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const TOTAL_KEYS = [
  'macs',
  'bitOps',
  'weightBytes',
  'activationBytes',
  'dramBytes',
  'onchipBytes',
  'latencyMs',
  'energyMj',
  'areaMm2',
  'latencyPerSampleMs',
  'energyPerSampleMj',
] as const;

/** The page's totals of configuration `side`, at full precision (the cells' data-v). */
async function pageTotals(page: Page, side: 'A' | 'B' = 'A'): Promise<Record<string, number>> {
  return page.$$eval(`#totals td[data-side="${side}"]`, (tds) =>
    Object.fromEntries(tds.map((td) => [td.getAttribute('data-key') as string, Number(td.getAttribute('data-v'))])),
  );
}

/** `hwnas cost <args> --json`, parsed. */
async function cliCost(...args: string[]): Promise<{ total: Record<string, number>; policy: string; target: string }> {
  const r = await runHwnas(dir, 'cost', ...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Every total within 1e-9 relative of the CLI's (NaN only where the CLI has NaN, i.e. null in JSON). */
function assertSameTotals(page: Record<string, number>, cli: Record<string, number | null>, what: string): void {
  for (const k of TOTAL_KEYS) {
    const a = page[k] as number;
    const b = cli[k];
    if (b === null || b === undefined || Number.isNaN(b)) {
      assert.ok(Number.isNaN(a), `${what}: ${k} page ${a}, CLI ${b}`);
      continue;
    }
    const rel = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
    assert.ok(a === b || rel <= 1e-9, `${what}: ${k} page ${a} vs CLI ${b} (relative difference ${rel})`);
  }
}

async function openPage(url: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  assert.ok(browser);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1700 }, acceptDownloads: true });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith('file:') || u.startsWith(url) || u.startsWith('blob:') || u.startsWith('data:')) return route.continue();
    requests.push(u);
    return route.abort();
  });
  await page.goto(url);
  await page.waitForSelector('#totals td[data-side="A"][data-key="latencyMs"]');
  return { page, errors, requests };
}

test('what-if page from file://: ONNX file + policy file = hwnas cost --json; a layer edit moves the totals and matches the CLI', { skip }, async () => {
  const site = join(dir, 'site');
  mkdirSync(site);
  writeFileSync(join(site, 'index.html'), renderWhatIfPage());
  const graph = zooGraph('zoo:mbnet32');
  const onnx = join(dir, 'mbnet32.onnx');
  saveOnnx({ graph, weights: initWeights(graph, new Rng(7)) }, onnx);
  const layers = quantizableLayers(graph).map((n) => n.name);
  const policyFile = join(dir, 'mixed.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      name: 'mixed',
      default: { weightBits: 8, actBits: 8 },
      layers: { [layers[1] as string]: { weightBits: 4, actBits: 8 }, [layers[2] as string]: { weightBits: 2, actBits: 4 } },
    }),
  );
  const { page, errors, requests } = await openPage(pathToFileURL(join(site, 'index.html')).href);

  await page.setInputFiles('#onnx-file', onnx);
  await page.waitForFunction(() => document.getElementById('model-msg')?.textContent?.startsWith('mbnet32.onnx'));
  await page.selectOption('#target-A', 'bitfusion-edge');
  const w8a8 = await pageTotals(page);
  assertSameTotals(w8a8, (await cliCost(onnx, '--target', 'bitfusion-edge')).total, 'w8a8 default');

  await page.setInputFiles('#policy-file-A', policyFile);
  await page.waitForFunction(() => document.getElementById('policy-A')?.value === 'file mixed.json');
  const mixed = await pageTotals(page);
  assertSameTotals(mixed, (await cliCost(onnx, '--target', 'bitfusion-edge', '--policy', policyFile)).total, 'mixed policy file');
  assert.ok(mixed.bitOps !== undefined && w8a8.bitOps !== undefined && mixed.bitOps < w8a8.bitOps);

  // one layer's weight bits 8 -> 2: the totals update and equal the CLI on the exported policy
  const layer = layers[3] as string;
  await page.selectOption(`#layers select[data-layer="${layer}"][data-kind="w"]`, '2');
  await page.waitForFunction(
    (before) => Number(document.querySelector('#totals td[data-side="A"][data-key="bitOps"]')?.getAttribute('data-v')) !== before,
    mixed.bitOps,
  );
  const edited = await pageTotals(page);
  assert.ok((edited.bitOps as number) < (mixed.bitOps as number), 'fewer bit ops after 8 -> 2 bits');
  assert.notEqual(edited.latencyMs, mixed.latencyMs);
  const download = page.waitForEvent('download');
  await page.click('#export-policy');
  const exported = join(dir, 'exported.json');
  await (await download).saveAs(exported);
  const json = JSON.parse(readFileSync(exported, 'utf8'));
  assert.deepEqual(json.layers[layer], { weightBits: 2, actBits: 8 });
  assert.deepEqual(json.layers[layers[2] as string], { weightBits: 2, actBits: 4 }, 'the uploaded policy is kept under the edit');
  assertSameTotals(edited, (await cliCost(onnx, '--target', 'bitfusion-edge', '--policy', exported)).total, 'after the layer edit');

  // comparison with B: bismo-cloud, same policy = hwnas cost --compare target=bismo-cloud
  await page.check('#compare');
  await page.selectOption('#target-B', 'bismo-cloud');
  await page.waitForSelector('#compare-speedup');
  const cmpRun = await runHwnas(dir, 'cost', onnx, '--target', 'bitfusion-edge', '--policy', exported, '--compare', 'target=bismo-cloud', '--json');
  assert.equal(cmpRun.code, 0, cmpRun.stderr);
  const cmp = JSON.parse(cmpRun.stdout) as { speedup: number; b: { total: Record<string, number> } };
  assertSameTotals(await pageTotals(page, 'B'), cmp.b.total, 'B = bismo-cloud');
  const speedup = Number(await page.getAttribute('#compare-speedup', 'data-v'));
  assert.ok(Math.abs(speedup - cmp.speedup) <= 1e-9 * Math.abs(cmp.speedup), `speedup ${speedup} vs ${cmp.speedup}`);

  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  const shot = process.env.HWNAS_DOCS_SCREENSHOT === '1' ? join(ROOT, 'docs', 'img', 'what-if.png') : join(ROOT, 'test-artifacts', 'what-if.png');
  mkdirSync(dirname(shot), { recursive: true });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: shot, fullPage: false });
  assert.ok(readFileSync(shot).subarray(1, 4).toString() === 'PNG');
  await page.uncheck('#compare');

  // parameters: systolic rows=32 = --target 'systolic?rows=32'; a bad value shows the CLI's message (and no figures)
  await page.selectOption('#target-A', 'systolic');
  await page.selectOption('#policy-A', 'w8a8');
  await page.click('#params-box-A summary');
  await page.fill('#params-A input[data-param="rows"]', '32');
  await page.waitForFunction(() => document.getElementById('cli-A')?.textContent?.includes('systolic?rows=32'));
  assertSameTotals(await pageTotals(page), (await cliCost(onnx, '--target', 'systolic?rows=32', '--policy', 'w8a8')).total, 'systolic rows=32');
  await page.fill('#params-A input[data-param="rows"]', '0');
  const cliErr = await runHwnas(dir, 'cost', onnx, '--target', 'systolic?rows=0');
  assert.equal(cliErr.code, 2);
  const expected = (() => {
    try {
      getTarget('systolic?rows=0');
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  })();
  assert.ok(expected.length > 0 && cliErr.stderr.includes(expected), cliErr.stderr);
  await page.waitForFunction((m) => document.getElementById('error-A')?.textContent === m, expected);
  assert.equal(await page.locator('#totals td[data-side="A"]').count(), 0, 'no stale figures beside an error');

  // a zoo option out of range: the zoo's own message
  await page.selectOption('#zoo-model', 'mobilenet-v2');
  await page.fill('#zoo-options', 'width=0');
  await page.click('#zoo-load');
  await page.waitForFunction(() => document.getElementById('model-msg')?.textContent?.includes("option width='0'"));

  assert.deepEqual(errors, []);
  assert.deepEqual(requests, [], 'the page requested nothing from the network');
  await page.close();
});

test('hwnas serve answers the page at /what-if; it runs under the server CSP', { skip }, async () => {
  const srv = await startServer({ store: new MemoryStore() });
  try {
    const res = await fetch(`${srv.url}what-if`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await res.text();
    assert.ok(html.includes('id="hwnas-whatif-data"') && !/<script[^>]+src=/i.test(html), 'self-contained');
    const { page, errors, requests } = await openPage(`${srv.url}what-if`);
    // the default model is zoo:mnist-cnn on the first target at w8a8: the CLI's figures
    assertSameTotals(await pageTotals(page), (await cliCost('zoo:mnist-cnn', '--target', 'bitfusion-edge')).total, 'served page');
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    await page.close();
  } finally {
    await srv.close();
  }
});

test('hwnas web --out writes the site; a file as --out is a user error', async () => {
  const out = join(dir, 'out-site');
  const r = await runHwnas(dir, 'web', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { out: string; bytes: number };
  assert.equal(j.out, join(out, 'index.html'));
  const html = readFileSync(j.out, 'utf8');
  assert.equal(Buffer.byteLength(html), j.bytes);
  assert.ok(html.includes('"bitfusion-edge"') && html.includes('"tech-45nm"'), 'target files embedded');
  assert.ok(!/<script[^>]+src=/i.test(html) && !/https?:\/\/[^"'\s]*\.(js|css)\b/.test(html.replace(/<script>[\s\S]*?<\/script>/g, '')), 'no external assets');
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const bad = await runHwnas(dir, 'web', '--out', file);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--out '.*a-file' is a file: expected a folder/);
  assert.ok(!bad.stderr.includes('    at '));
  assert.ok(existsSync(file));
});
