/**
 * The one module of hwnas that imports the tensor library. It loads tfjs-core (Node build), the
 * cpu and wasm backends, and tfjs-core's gradient and chained-op registrations (which the Node
 * build of tfjs-core leaves out), then re-exports `tf` for the rest of src/engine.
 *
 * The registrations come from one file, `tfjs-registrations.js` beside this module, which
 * scripts/build-tfjs.mjs bundles at build time from tfjs-core's own ES-module files. Where that file
 * is absent (a build by tsc alone), the same files are loaded one by one through a loader hook: the
 * same code, about 590 files, slow on Node 20 whose hooks run off-thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { load, resolve } from './tfjs-esm-hooks.js';

type SyncHooks = { resolve: typeof resolve; load: typeof load };
const GLOBAL_KEY = Symbol.for('hwnas.engine.tfjsRegistrations');
const g = globalThis as unknown as Record<symbol, boolean | undefined>;

const BUNDLE = new URL('./tfjs-registrations.js', import.meta.url);

if (g[GLOBAL_KEY] !== true) {
  g[GLOBAL_KEY] = true;
  if (existsSync(fileURLToPath(BUNDLE))) await import(BUNDLE.href);
  else {
    // tfjs-core ships these registrations only as ES-module files with extension-less imports,
    // which Node cannot load as they are: a scoped loader hook fixes the specifiers.
    const m = nodeModule as unknown as {
      registerHooks?: (hooks: SyncHooks) => unknown;
      register: (specifier: string | URL, parentURL?: string | URL) => void;
    };
    if (typeof m.registerHooks === 'function') m.registerHooks({ resolve, load });
    else m.register(new URL('./tfjs-esm-hooks.js', import.meta.url));
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    await import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js');
  }
}

export { tf };
