/**
 * Gradients of ops whose stock tfjs gradient reuses the op's own output. tfjs saves that output
 * through a clone recorded on the tape before the op itself, so double backprop silently drops
 * the second-order term through it. These configs recompute from the saved input instead.
 * (`tf.logSoftmax` and `tf.losses.softmaxCrossEntropy` use custom gradients with the same flaw
 * that cannot be re-registered: use `crossEntropyLoss` for losses that are double-differentiated.)
 */
import { tf } from '../tf.js';
import { runKernel, savedAt, single } from './run-kernel.js';

function unary(kernelName: string, derivative: (x: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const x = savedAt(saved, 0, kernelName);
      return { x: () => tf.mul(single(dy), derivative(x)) };
    },
  };
}

/** Exp, Tanh, Sigmoid, Sqrt, Rsqrt, Elu, Softmax and Pow gradients that double-backprop correctly. */
export function recomputeGradConfigs(): tf.GradConfig[] {
  return [
    unary(tf.Exp, (x) => tf.exp(x)),
    unary(tf.Tanh, (x) => tf.sub(1, tf.square(tf.tanh(x)))),
    unary(tf.Sigmoid, (x) => {
      const s = tf.sigmoid(x);
      return tf.mul(s, tf.sub(1, s));
    }),
    unary(tf.Sqrt, (x) => tf.div(0.5, tf.sqrt(x))),
    unary(tf.Rsqrt, (x) => tf.mul(-0.5, tf.div(tf.rsqrt(x), x))),
    unary(tf.Elu, (x) => tf.where(tf.greater(x, 0), tf.onesLike(x), tf.exp(x))),
    {
      kernelName: tf.Softmax,
      inputsToSave: ['logits'],
      gradFunc: (dy, saved, attrs) => {
        const logits = savedAt(saved, 0, tf.Softmax);
        const dim = attrs['dim'] as number;
        return {
          logits: () => {
            const y = runKernel(tf.Softmax, { logits }, { dim });
            const dyy = tf.mul(single(dy), y);
            return tf.sub(dyy, tf.mul(tf.sum(dyy, dim, true), y));
          },
        };
      },
    },
    {
      kernelName: tf.Pow,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const a = savedAt(saved, 0, tf.Pow);
        const b = savedAt(saved, 1, tf.Pow);
        const d = single(dy);
        const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
        const reduceTo = (t: tf.Tensor, shape: number[]): tf.Tensor => {
          const axes = tf.broadcast_util.getReductionAxes(shape, outShape);
          return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
        };
        return {
          a: () => {
            const bf = tf.cast(b, 'float32');
            return reduceTo(tf.mul(d, tf.mul(bf, tf.pow(a, tf.sub(bf, 1)))), a.shape);
          },
          b: () => {
            const logA = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
            return reduceTo(tf.mul(d, tf.mul(tf.pow(a, b), logA)), b.shape);
          },
        };
      },
    },
  ];
}
