/**
 * Registers the engine's gradients: second-order-correct replacements, gradients of backprop
 * kernels, zero gradients of comparisons, and a wasm-friendly matMul gradient.
 */
import { tf } from '../tf.js';
import { avgPoolGradGrad, conv2dBackpropFilterGrad, depthwiseBackpropFilterGrad, depthwiseBackpropInputGrad, maxPoolGradGrad } from './backprop-grads.js';
import { matMulGradConfig } from './matmul-grad.js';
import { recomputeGradConfigs } from './recompute-grads.js';
import { zeroGradConfigs } from './zero-grads.js';

let done = false;
let stockMatMul: tf.GradConfig | undefined;

/** Which BatchMatMul gradient is registered: hwnas's explicit-transpose one or tfjs's flag form. */
export type MatMulGradVariant = 'fast' | 'stock';

function replace(config: tf.GradConfig): void {
  if (tf.getGradient(config.kernelName) !== undefined) tf.unregisterGradient(config.kernelName);
  tf.registerGradient(config);
}

/** Registers all engine gradients (idempotent). */
export function registerEngineGradients(): void {
  if (done) return;
  done = true;
  for (const c of zeroGradConfigs()) if (tf.getGradient(c.kernelName) === undefined) tf.registerGradient(c);
  for (const c of recomputeGradConfigs()) replace(c);
  for (const c of [conv2dBackpropFilterGrad, depthwiseBackpropInputGrad, depthwiseBackpropFilterGrad, maxPoolGradGrad, avgPoolGradGrad]) {
    replace(c);
  }
  stockMatMul = tf.getGradient(tf.BatchMatMul);
  replace(matMulGradConfig(stockMatMul));
}

/** Selects the BatchMatMul gradient (benchmarks compare both; both are exact). */
export function setMatMulGradient(variant: MatMulGradVariant): void {
  registerEngineGradients();
  if (variant === 'fast') replace(matMulGradConfig(stockMatMul));
  else if (stockMatMul !== undefined) replace(stockMatMul);
}
