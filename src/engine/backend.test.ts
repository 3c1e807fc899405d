import assert from 'node:assert/strict';
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
