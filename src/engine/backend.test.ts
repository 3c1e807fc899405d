import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ConfigError } from '../errors.js';
import { engineInfo, initEngine, wasmBinaryDir, withBackend } from './backend.js';
import { tf } from './tf.js';

describe('engine backend', () => {
  test('initEngine selects wasm with SIMD, idempotently, from the installed package', async () => {
    assert.ok(existsSync(`${wasmBinaryDir()}tfjs-backend-wasm-simd.wasm`));
    assert.equal(await initEngine(), 'wasm');
    assert.equal(await initEngine({ backend: 'wasm' }), 'wasm');
    const info = engineInfo();
    assert.equal(info.backend, 'wasm');
    assert.equal(info.wasmSimd, true);
  });

  test('tfjs gradients and chained ops are registered', async () => {
    await initEngine();
    for (const k of ['Conv2D', 'DepthwiseConv2dNative', 'MaxPool', 'FusedBatchNorm', 'Conv2DBackpropFilter', 'MaxPoolGrad', 'Equal']) {
      assert.ok(tf.getGradient(k) !== undefined, `gradient of ${k}`);
    }
    for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) {
      assert.ok(tf.getKernel(k, 'wasm') !== undefined, `wasm kernel ${k}`);
    }
    const t = tf.tensor1d([1, 2]);
    assert.deepEqual(Array.from(t.square().dataSync()), [1, 4]);
    t.dispose();
  });

  test("the build's registrations bundle registers exactly what tfjs-core's own module files register", () => {
    // The bundle (scripts/build-tfjs.mjs) is what tf.ts loads when it exists; the fallback loads tfjs-core's files
    // one by one through the loader hook. Each in a fresh process: gradient names and Tensor methods, sorted.
    const bundle = new URL('./tfjs-registrations.js', import.meta.url);
    assert.ok(existsSync(bundle), `${bundle.pathname} is built with dist (scripts/build-tfjs.mjs)`);
    const list =
      "const tf = await import('@tensorflow/tfjs-core'); const names = Object.getOwnPropertyNames(tf.Tensor.prototype).sort(); " +
      "const grads = [...globalThis._tfGlobals.get('gradRegistry').keys()].sort(); console.log(JSON.stringify({ names, grads }));";
    const viaBundle = `await import('@tensorflow/tfjs-core'); await import(${JSON.stringify(bundle.href)}); ${list}`;
    const hooks = new URL('./tfjs-esm-hooks.js', import.meta.url).href;
    const viaHooks =
      `const m = await import('node:module'); m.register(${JSON.stringify(hooks)}); await import('@tensorflow/tfjs-core'); ` +
      "await import('@tensorflow/tfjs-core/dist/register_all_gradients.js'); " +
      `await import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js'); ${list}`;
    const run = (code: string) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as { names: string[]; grads: string[] };
    };
    const a = run(viaBundle);
    const b = run(viaHooks);
    assert.ok(b.grads.length > 100 && b.names.includes('conv2d'), `${b.grads.length} gradients`);
    assert.deepEqual(a, b);
  });

  test('withBackend switches and restores; unknown names are refused', async () => {
    await initEngine();
    const inside = await withBackend('cpu', () => tf.getBackend());
    assert.equal(inside, 'cpu');
    assert.equal(tf.getBackend(), 'wasm');
    await assert.rejects(
      initEngine({ backend: 'webgl' as 'cpu' }),
      (e: unknown) => e instanceof ConfigError && /'webgl'/.test(e.message) === false && /"webgl"/.test(e.message),
    );
    await assert.rejects(
      withBackend('gpu' as 'cpu', () => 1),
      ConfigError,
    );
  });
});
