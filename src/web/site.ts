/**
 * The what-if page as one self-contained HTML file: the browser bundle (src/web/client, bundled by
 * `scripts/build-web.mjs` into `dist/web/what-if.js` at build time) and the data the page needs (every
 * analytical target preset's data file, the zoo's names) inlined. It loads nothing from the network and
 * opens from `file://`. The bar chart is SVG drawn by the bundle: plotly (the report's, then 5 MB; ~300 ms per redraw of
 * MobileNetV2's bars under load) would have missed the page's 50 ms budget per change on its own. `hwnas web --out site/` writes it as `site/index.html`; `hwnas serve`
 * answers it at `/what-if`. esbuild is a build-time tool only: at run time this module reads files.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, HwnasError } from '../errors.js';
import { loadTargetFile } from '../hardware/data.js';
import { listTargets } from '../hardware/registry.js';
import { ZOO } from '../ir/zoo/registry.js';
import { inlineScript, writeFileAtomic } from '../report/html.js';
import type { WhatIfData } from './what-if.js';

/** Where the build puts the page's bundle: `dist/web/what-if.js` (this module is `dist/src/web/site.js`). */
export function whatIfBundlePath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'what-if.js');
}

let bundle: string | undefined;

/** The page's JavaScript bundle (read once); an internal error naming the build step when it is missing. */
export function whatIfBundle(): string {
  if (bundle === undefined) {
    const p = whatIfBundlePath();
    if (!existsSync(p)) throw new HwnasError(`the what-if page bundle ${p} is missing: run 'npm run build' (tsc, then scripts/build-web.mjs)`);
    bundle = readFileSync(p, 'utf8');
  }
  return bundle;
}

/** The data the page embeds: the analytical presets' target files (and tech-45nm), the zoo's names. */
export function whatIfData(): WhatIfData {
  const targets = listTargets()
    .filter((t) => t.kind === 'analytical')
    .map((t) => t.name);
  const targetFiles: Record<string, string> = {};
  for (const name of [...targets, 'tech-45nm']) targetFiles[name] = readFileSync(loadTargetFile(name).path, 'utf8');
  const zoo = Object.entries(ZOO).map(([name, e]) => ({ name, description: e.description }));
  return { targetFiles, targets, zoo };
}

/** JSON safe inside a `<script type="application/json">` element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

const CSS = `
:root{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:14px;color:#1d2430;background:#f6f7f9}
body{margin:0;padding:0 18px 40px}h1{font-size:20px;margin:14px 0 4px}h2{font-size:16px;margin:18px 0 6px}
.sub{color:#5b6575;margin:0 0 12px}.row{display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start}
.card{background:#fff;border:1px solid #d9dde4;border-radius:6px;padding:10px 12px;min-width:300px;flex:1}
#drop{border:2px dashed #9aa4b2;border-radius:6px;padding:14px;text-align:center;color:#5b6575}
#drop.over{border-color:#2a6fdb;background:#eef4ff}
label{margin-right:8px}select{max-width:100%}select,input[type=text],input[type=number]{font:inherit;padding:2px 4px}
.msg{color:#b00020;white-space:pre-wrap;margin:6px 0}.ok{color:#2d6a2d;margin:6px 0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{border-bottom:1px solid #e3e6ea;padding:2px 6px;text-align:right}
th{background:#eef0f3;position:sticky;top:0}td:first-child,th:first-child,td.l,th.l{text-align:left}
.params td{text-align:left}.params input[type=text]{width:110px}.params .src{color:#7a8494;font-size:12px;max-width:300px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.bad{background:#fde7ea}.totals td{font-weight:600}.scroll{max-height:520px;overflow:auto;contain:strict;height:520px}
#chart{height:340px;contain:strict}button{font:inherit}textarea{width:100%;height:140px;font-family:monospace;font-size:12px}
`;

/** The page's HTML (bundle and data inlined; the chart is drawn as SVG by the bundle, no plotting library). */
export function renderWhatIfPage(data: WhatIfData = whatIfData()): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hwnas what-if: hardware cost in the browser</title>
<style>${CSS}</style>
</head><body>
<div id="app"><p>Loading the hwnas what-if page…</p></div>
<script type="application/json" id="hwnas-whatif-data">${scriptJson(data)}</script>
<script>${inlineScript(whatIfBundle())}</script>
</body></html>
`;
}

/** Writes the static site (`index.html`) into `outDir` (created if needed); returns the file's path and size. */
export function writeWhatIfSite(outDir: string): { path: string; bytes: number } {
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new ConfigError(`--out '${outDir}' is a file: expected a directory for the site`);
  mkdirSync(outDir, { recursive: true });
  const html = renderWhatIfPage();
  const path = join(outDir, 'index.html');
  writeFileAtomic(path, html);
  return { path, bytes: Buffer.byteLength(html) };
}
