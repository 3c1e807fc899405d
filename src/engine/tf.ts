/**
 * The one module of hwnas that imports the tensor library. It loads tfjs-core (Node build), the
 * cpu and wasm backends, and tfjs-core's gradient and chained-op registrations (which the Node
 * build of tfjs-core leaves out), then re-exports `tf` for the rest of src/engine.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as nodeModule from 'node:module';
import { load, resolve } from './tfjs-esm-hooks.js';

type SyncHooks = { resolve: typeof resolve; load: typeof load };
const GLOBAL_KEY = Symbol.for('hwnas.engine.tfjsRegistrations');
const g = globalThis as unknown as Record<symbol, boolean | undefined>;

if (g[GLOBAL_KEY] !== true) {
  g[GLOBAL_KEY] = true;
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

export { tf };
