#!/usr/bin/env node
// Build step of the what-if page (src/web): type-checks the browser code (src/web/client, DOM types) and
// bundles it with esbuild into dist/web/what-if.js. Runs after `tsc` in `npm run build` / `npm test`, so the
// product commands (`hwnas web`, `hwnas serve` at /what-if) only read the bundle: esbuild stays a
// devDependency. The library files the page imports are browser-safe on the paths it uses; the Node
// built-ins a few of them import for other functions (node:fs, node:path, node:url) become a stub that
// throws if ever called. Anything else from Node (another built-in, a native package) fails the build.
// It first runs scripts/build-tfjs.mjs (the engine's bundle of tfjs-core's gradient registrations).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await import('./build-tfjs.mjs');
const require = createRequire(import.meta.url);

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'src/web/client/tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

/** Node built-ins the bundled library files import for functions the page never calls. */
const STUBBED = new Set(['node:fs', 'node:path', 'node:url']);
const esbuild = await import('esbuild');
const outfile = join(root, 'dist/web/what-if.js');
mkdirSync(dirname(outfile), { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(root, 'src/web/client/main.ts')],
  outfile,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  // data.ts's targetsDir() reads import.meta.url; the page never calls it (its target files are embedded)
  logOverride: { 'empty-import-meta': 'silent' },
  plugins: [
    {
      name: 'node-builtins',
      setup(b) {
        b.onResolve({ filter: /^node:/ }, (a) => {
          if (!STUBBED.has(a.path)) return { errors: [{ text: `${a.path} (imported by ${a.importer}) cannot run in the browser page` }] };
          return { path: a.path, namespace: 'node-stub' };
        });
        b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (a) => ({
          loader: 'js',
          contents: `module.exports = new Proxy({}, { get: (_, k) => k === '__esModule' ? false : () => { throw new Error(${JSON.stringify(a.path)} + '.' + String(k) + ' is not available in the browser page'); } });`,
        }));
      },
    },
  ],
});
const inputs = Object.keys(result.metafile.inputs);
const native = inputs.filter((p) => /onnxruntime|better-sqlite3|@tensorflow|sharp|bullmq|ioredis|highs/.test(p));
if (native.length) {
  console.error(`build-web: the page bundle pulled in Node-only packages: ${native.join(', ')}`);
  process.exit(1);
}
const bytes = result.metafile.outputs[relative(process.cwd(), outfile)]?.bytes ?? 0;
console.error(`build-web: ${relative(root, outfile)} (${(bytes / 1024).toFixed(0)} KiB, ${inputs.length} inputs)`);
