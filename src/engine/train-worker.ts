/**
 * Worker thread of {@link DataParallelGradients}: builds its own copy of the model on its own tfjs
 * backend, then loops: wait for a step, load the parameters, compute its share's gradients, signal.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initEngine } from './backend.js';
import { buildModel, type ForwardHooks } from './model.js';
import { CMD, CTRL, type WorkerInit } from './parallel.js';
import { computeGradients, flatLayout, writeParams } from './train-step.js';

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.buffers.ctrl);

function fail(e: unknown): void {
  const bytes = new TextEncoder().encode(e instanceof Error ? (e.stack ?? e.message) : String(e)).slice(0, 4096);
  new Uint8Array(init.buffers.errorText).set(bytes);
  Atomics.store(ctrl, CTRL.errorLen, bytes.length);
  Atomics.store(ctrl, CTRL.error, 1);
}

async function main(): Promise<void> {
  await initEngine({ backend: init.backend });
  const model = buildModel({ graph: init.graph, weights: init.weights });
  if (init.hooksModule) {
    const mod = (await import(init.hooksModule.module)) as Record<string, (config: unknown) => ForwardHooks | Promise<ForwardHooks>>;
    const factory = mod[init.hooksModule.exportName];
    if (typeof factory !== 'function') throw new Error(`hooks module '${init.hooksModule.module}' has no function export '${init.hooksModule.exportName}'`);
    model.hooks = await factory(init.hooksModule.config);
  }
  const layout = flatLayout(model);
  const params = new Float32Array(init.buffers.params);
  const x = new Float32Array(init.buffers.x);
  const y = new Float32Array(init.buffers.y);
  const out = new Float32Array(init.buffers.out);
  const grad = out.subarray(0, layout.total);
  const stats = out.subarray(layout.total + 1);
  parentPort?.postMessage({ ready: true });
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL.seq, seen);
    seen = Atomics.load(ctrl, CTRL.seq);
    if (Atomics.load(ctrl, CTRL.cmd) === CMD.stop) break;
    const t0 = performance.now();
    try {
      writeParams(model, layout, params);
      out[layout.total] = computeGradients(model, layout, x, y, Atomics.load(ctrl, CTRL.count), init.labelSmoothing, grad, stats);
    } catch (e) {
      fail(e);
    }
    Atomics.store(ctrl, CTRL.workerMicros, Math.round((performance.now() - t0) * 1000));
    Atomics.store(ctrl, CTRL.done, seen);
    Atomics.notify(ctrl, CTRL.done);
  }
  model.dispose();
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
});
