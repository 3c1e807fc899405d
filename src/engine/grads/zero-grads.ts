/**
 * Zero gradients for comparison and logical ops. tfjs's first-order gradients use them as masks
 * (Max, Relu6, ClipByValue, LeakyRelu...); double backprop needs their (zero) derivative.
 */
import { tf } from '../tf.js';

const BINARY = [tf.Equal, tf.NotEqual, tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual, tf.LogicalAnd, tf.LogicalOr, tf.LogicalXor] as const;

/** Gradient configs (zeros) for comparison/logical kernels that tfjs leaves without one. */
export function zeroGradConfigs(): tf.GradConfig[] {
  const out: tf.GradConfig[] = BINARY.map((kernelName) => ({
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({
      a: () => tf.zerosLike(saved[0] as tf.Tensor).toFloat(),
      b: () => tf.zerosLike(saved[1] as tf.Tensor).toFloat(),
    }),
  }));
  out.push({
    kernelName: tf.LogicalNot,
    inputsToSave: ['x'],
    gradFunc: (_dy, saved) => ({ x: () => tf.zerosLike(saved[0] as tf.Tensor).toFloat() }),
  });
  return out;
}
