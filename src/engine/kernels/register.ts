/**
 * Registers hwnas's wasm kernels (the three conv backprop kernels wasm lacks, a faster
 * Conv2DBackpropInput, and max-pool gradient kernels that fix wasm's wrong argmax), and lets benchmarks switch the input gradient back to wasm's stock loop.
 */
import { tf } from '../tf.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter.js';
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input.js';
import { maxPoolGradConfig, maxPoolWithArgmaxConfig } from './max-pool.js';

/** Which Conv2DBackpropInput the wasm backend runs: hwnas's ('fast') or tfjs-wasm's naive loop ('stock'). */
export type ConvInputKernelVariant = 'fast' | 'stock';

let stockConvInput: tf.KernelConfig | undefined;
let done = false;
let stockSetUp = false;

function replace(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/** Registers the engine's wasm kernels (idempotent). */
export function registerEngineKernels(): void {
  if (done) return;
  done = true;
  stockConvInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  replace(conv2dBackpropFilterConfig);
  replace(depthwiseBackpropFilterConfig);
  replace(depthwiseBackpropInputConfig);
  replace(conv2dBackpropInputConfig);
  replace(maxPoolGradConfig);
  replace(maxPoolWithArgmaxConfig);
}

/** Selects the wasm Conv2DBackpropInput kernel (benchmarks compare both). */
export function setConvInputKernel(variant: ConvInputKernelVariant): void {
  registerEngineKernels();
  if (variant === 'fast') replace(conv2dBackpropInputConfig);
  else if (stockConvInput !== undefined) {
    // The stock kernel binds its wasm function in setupFunc, which only runs for kernels
    // registered when the backend starts: run it now in case ours replaced it before that.
    const wasm = tf.findBackend('wasm');
    if (wasm != null && stockConvInput.setupFunc !== undefined && !stockSetUp) {
      stockConvInput.setupFunc(wasm);
      stockSetUp = true;
    }
    replace(stockConvInput);
  }
}
