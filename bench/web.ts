/**
 * What-if page (issue 21): time per recompute for MobileNetV2 (zoo:mobilenet-v2, 3x224x224, 53 conv/dense
 * layers, 155 nodes) in headless Chromium, on the page as `hwnas web` writes it. Each recompute is a real edit:
 * one layer's weight bits changed through its select (a `change` event, as a user makes it), which recomputes
 * the target, the policy check and the complexity report, then rewrites the totals, the changed cells of the
 * per-layer table and the SVG bar chart. Reported per recompute: the cost models alone (the page's own timer),
 * the table and chart updates, the whole handler (cost models + DOM), and the handler plus a forced layout. With `--compare`, configuration B
 * (bismo-cloud) is on as well. Goal: < 50 ms. Deterministic (no randomness: `--seed` is not needed).
 * `npx tsc -p tsconfig.json && node scripts/build-web.mjs && node dist/bench/web.js [--repeats 100] [--json]`
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { complexityReport } from '../src/hardware/complexity.js';
import { policyPreset } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { zooGraph } from '../src/ir/zoo/registry.js';
import { chromiumSkipReason, launchChromium } from '../src/report/testing/chromium.js';
import { renderWhatIfPage } from '../src/web/site.js';

/** Median, 90th percentile, mean and max of a sample (ms). */
function stats(xs: readonly number[]): { median: number; p90: number; mean: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))] as number;
  return { median: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length, max: s[s.length - 1] as number };
}

/** The in-page loop: `repeats` layer edits, each timed (returns per-edit cost-model, handler and handler+layout ms). */
const PAGE_LOOP = `async (repeats) => {
  const hook = globalThis.hwnasWhatIf;
  const sels = [...document.querySelectorAll('#layers select[data-kind="w"]')].map((s) => s.getAttribute('data-layer'));
  const out = { compute: [], layers: [], chart: [], handler: [], layout: [] };
  for (let i = 0; i < repeats; i++) {
    const layer = sels[i % sels.length];
    const sel = document.querySelector('#layers select[data-kind="w"][data-layer="' + layer + '"]');
    const opts = [...sel.options].map((o) => o.value);
    sel.value = opts[(opts.indexOf(sel.value) + 1) % opts.length];
    const t0 = performance.now();
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    const t1 = performance.now();
    document.body.getBoundingClientRect();
    void document.body.offsetHeight;
    const t2 = performance.now();
    out.compute.push(hook.timings.computeMs);
    out.layers.push(hook.timings.renderMs.layers);
    out.chart.push(hook.timings.renderMs.chart);
    out.handler.push(t1 - t0);
    out.layout.push(t2 - t0);
    await new Promise((r) => setTimeout(r, 0));
  }
  return out;
}`;

export async function benchWeb(repeats = 100, quiet = false): Promise<Record<string, unknown>> {
  const skip = chromiumSkipReason();
  if (skip) return { skipped: skip };
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-bench-web-'));
  const html = join(dir, 'index.html');
  writeFileSync(html, renderWhatIfPage());
  const browser = await launchChromium();
  const result: Record<string, unknown> = { model: 'zoo:mobilenet-v2', target: 'bitfusion-edge', repeats };
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector('#totals td[data-side="A"]');
    await page.selectOption('#zoo-model', 'mobilenet-v2');
    await page.click('#zoo-load');
    await page.waitForFunction("document.getElementById('model-msg').textContent.startsWith('zoo:mobilenet-v2')");
    result.nodes = await page.evaluate('globalThis.hwnasWhatIf.reports().A.rows.length');
    for (const mode of ['single', 'compare'] as const) {
      if (mode === 'compare') {
        await page.check('#compare');
        await page.selectOption('#target-B', 'bismo-cloud');
      }
      if (!quiet) process.stderr.write(`bench web: ${mode}: warm-up, then ${repeats} layer edits on MobileNetV2 ...\n`);
      await page.evaluate(`(${PAGE_LOOP})(10)`);
      const r = (await page.evaluate(`(${PAGE_LOOP})(${repeats})`)) as Record<'compute' | 'layers' | 'chart' | 'handler' | 'layout', number[]>;
      result[mode] = {
        costModelsMs: stats(r.compute),
        layerTableMs: stats(r.layers),
        chartMs: stats(r.chart),
        handlerMs: stats(r.handler),
        handlerAndLayoutMs: stats(r.layout),
      };
    }
    await page.close();
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // the same cost models in Node, for reference
  const g = zooGraph('zoo:mobilenet-v2');
  const t = getTarget('bitfusion-edge');
  const p = policyPreset('w8a8');
  for (let i = 0; i < 10; i++) complexityReport(g, t, p);
  const node: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    complexityReport(g, t, p);
    node.push(performance.now() - t0);
  }
  result.nodeComplexityReportMs = stats(node);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--repeats');
  const repeats = i >= 0 ? Number(args[i + 1]) : 100;
  if (!Number.isInteger(repeats) || repeats < 1) {
    process.stderr.write(`--repeats '${args[i + 1]}': expected a positive integer\n`);
    process.exit(2);
  }
  const r = await benchWeb(repeats, false);
  process.stdout.write(`${JSON.stringify(r, null, args.includes('--json') ? 0 : 2)}\n`);
}
