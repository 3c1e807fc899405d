/**
 * onnxruntime-node, loaded where a session is created instead of at start: importing it (with onnxruntime-common and
 * its native binding's loader) cost every `hwnas` process ~0.05 s of CPU, commands that run no ONNX model included
 * (BENCHMARKS.md, session 53). Only types are imported statically here; {@link loadOrt} imports the runtime once.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';

/** The onnxruntime-node module (its namespace: `InferenceSession`, `Tensor`, `env`, ...). */
export type OrtModule = typeof Ort;

let loaded: OrtModule | undefined;

/** onnxruntime-node, imported on the first call (later calls return the same module). */
export async function loadOrt(): Promise<OrtModule> {
  if (loaded === undefined) {
    const m = (await import('onnxruntime-node')) as OrtModule & { readonly default?: OrtModule };
    loaded = m.default ?? m;
  }
  return loaded;
}

/**
 * onnxruntime-node once {@link loadOrt} has loaded it, for code that runs on a session it created (so the module is
 * loaded); an Error naming the caller's mistake otherwise.
 */
export function loadedOrt(): OrtModule {
  if (loaded === undefined) throw new Error('onnxruntime-node is not loaded yet: await loadOrt() before using a session');
  return loaded;
}

/**
 * onnxruntime's version as `ort.env.versions.common` gives it, without loading the runtime: the loaded module's when
 * it is loaded, else the `version` of the onnxruntime-common package the runtime loads (the constant `env.versions.common`
 * is generated from).
 */
export function ortCommonVersion(): string {
  if (loaded !== undefined) return loaded.env.versions?.common ?? '';
  const req = createRequire(createRequire(import.meta.url).resolve('onnxruntime-node'));
  // the package's main module is dist/cjs/index.js
  const pkg = join(dirname(req.resolve('onnxruntime-common')), '..', '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? '';
}
