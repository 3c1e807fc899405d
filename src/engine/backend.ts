/**
 * Engine start-up: picks the tensor backend (wasm with SIMD by default, cpu as the reference) and
 * registers hwnas's wasm kernels and gradients exactly once.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ConfigError } from '../errors.js';
import { registerEngineGradients } from './grads/register.js';
import { registerEngineKernels } from './kernels/register.js';
import { tf } from './tf.js';

/** A tensor backend the engine can run on. */
export type BackendName = 'wasm' | 'cpu';

/** Options of {@link initEngine}. */
export interface InitEngineOptions {
  /** Backend to select: 'wasm' (default, XNNPACK + SIMD) or 'cpu' (slow pure-JS reference). */
  readonly backend?: BackendName;
}

/** What the engine runs on, as reported by {@link engineInfo}. */
export interface EngineInfo {
  readonly backend: string;
  readonly wasmSimd: boolean;
  readonly wasmThreads: boolean;
}

let registered = false;
let wasmPathsSet = false;

/** Directory holding the tfjs wasm binaries inside the installed npm package (no network). */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

/** Registers the engine's kernels and gradients once per process (no backend change). */
export function registerEngineOps(): void {
  if (registered) return;
  registered = true;
  registerEngineKernels();
  registerEngineGradients();
}

function checkBackend(name: unknown): BackendName {
  if (name !== 'wasm' && name !== 'cpu') {
    throw new ConfigError(`unknown engine backend ${JSON.stringify(name)}: expected 'wasm' or 'cpu'`);
  }
  return name;
}

/**
 * Initialises the engine (idempotent): registers kernels/gradients once and selects the backend.
 * @example const backend = await initEngine(); // 'wasm'
 */
export async function initEngine(opts: InitEngineOptions = {}): Promise<BackendName> {
  const name = checkBackend(opts.backend ?? 'wasm');
  prepare();
  if (tf.engine().backendName !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new ConfigError(`engine backend '${name}' failed to initialise`);
  }
  await tf.ready();
  return name;
}

function prepare(): void {
  registerEngineOps();
  if (!wasmPathsSet) {
    wasmPathsSet = true;
    setWasmPaths(wasmBinaryDir());
  }
}

/** Backend, SIMD and threading state of the running engine. */
export function engineInfo(): EngineInfo {
  const env = tf.env();
  const flag = (f: string): boolean => {
    try {
      return env.getBool(f);
    } catch {
      return false;
    }
  };
  return {
    backend: tf.getBackend(),
    wasmSimd: flag('WASM_HAS_SIMD_SUPPORT'),
    wasmThreads: flag('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

/**
 * Runs `fn` with backend `name` selected, then restores the previous backend (for oracle tests).
 * Tensors created inside live on `name`; read results (dataSync/arraySync) before returning.
 */
export async function withBackend<T>(name: BackendName, fn: () => T | Promise<T>): Promise<T> {
  checkBackend(name);
  prepare();
  const previous = tf.engine().backendName as string | null | undefined;
  if (previous !== name) await tf.setBackend(name);
  await tf.ready();
  try {
    return await fn();
  } finally {
    if (previous != null && tf.engine().backendName !== previous) await tf.setBackend(previous);
  }
}
