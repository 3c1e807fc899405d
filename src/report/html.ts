/**
 * The static report: ONE self-contained HTML file (plotly.js's cartesian bundle inlined, data embedded
 * as JSON; opens with no network) with the Pareto front (parallel coordinates for three or more
 * objectives), hypervolume against trial number, the per-layer bit-width heat map, per-layer
 * latency/energy bars and a sortable trial table. See ./data.ts for the user
 * attribute conventions (`policy`, `layerCosts`).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { Store } from '../store/types.js';
import { PAGE_BODY, PAGE_CSS, PAGE_SCRIPT } from './client.js';
import { buildCompareData, buildReportData, escapeHtml, type ReportDataOptions, scriptSafeJson } from './data.js';

let plotly: string | undefined;

/**
 * The minified plotly.js cartesian bundle (package plotly.js-cartesian-dist-min: scatter, bar, heatmap
 * and a few more trace types, 1.5 MB against the full bundle's 4.8 MB), read once. The page draws
 * parallel coordinates, which that bundle lacks, with scatter lines (./client.ts).
 */
export function plotlySource(): string {
  if (plotly === undefined) {
    const require = createRequire(import.meta.url);
    plotly = readFileSync(require.resolve('plotly.js-cartesian-dist-min'), 'utf8');
  }
  return plotly;
}

/** Makes JS safe to inline in a `<script>` element (no `</script`, no `<!--`). */
export function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** Options of {@link renderReport}. */
export interface RenderReportOptions extends ReportDataOptions {
  /** Other studies (same objectives) to compare with: overlaid Pareto fronts and hypervolume curves. */
  readonly compare?: readonly string[];
}

/** Renders the report of a study as one self-contained HTML document (UserError when the study does not exist). */
export function renderReport(store: Store, studyName: string, opts: RenderReportOptions = {}): string {
  const base = buildReportData(store, studyName, opts);
  const data = opts.compare && opts.compare.length > 0 ? { ...base, compare: buildCompareData(store, [studyName, ...opts.compare]) } : base;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hwnas: ${escapeHtml(data.study.name)}</title>
<style>${PAGE_CSS}</style>
<script>${inlineScript(plotlySource())}</script>
</head><body>${PAGE_BODY}
<script type="application/json" id="hwnas-data">${scriptSafeJson(data)}</script>
<script>${inlineScript(PAGE_SCRIPT)}
hwnasRender(JSON.parse(document.getElementById('hwnas-data').textContent));</script>
</body></html>
`;
}

/** Writes a file atomically: a temporary file in the same directory, then a rename. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Renders the report of a study and writes it to `path` atomically; returns the byte size. */
export function writeReport(path: string, store: Store, studyName: string, opts: RenderReportOptions = {}): number {
  const html = renderReport(store, studyName, opts);
  writeFileAtomic(path, html);
  return Buffer.byteLength(html);
}
