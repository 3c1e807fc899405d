/**
 * Softmax cross-entropy written from primitives whose double backprop is exact (tfjs's
 * `losses.softmaxCrossEntropy` uses a custom gradient that drops the second-order term).
 */
import { ShapeError } from '../../errors.js';
import { tf } from '../tf.js';

/**
 * Mean softmax cross-entropy `mean(logSumExp(z) - sum(y*z))` of logits [B,K] and one-hot labels
 * [B,K]; `labelSmoothing` in [0,1) mixes the labels with the uniform distribution.
 * @example const loss = crossEntropyLoss(model(x), tf.oneHot(labels, 10).toFloat());
 */
export function crossEntropyLoss(logits: tf.Tensor, oneHot: tf.Tensor, labelSmoothing = 0): tf.Scalar {
  if (logits.rank !== 2 || oneHot.rank !== 2 || logits.shape[0] !== oneHot.shape[0] || logits.shape[1] !== oneHot.shape[1]) {
    throw new ShapeError(`crossEntropyLoss: logits ${JSON.stringify(logits.shape)} and labels ${JSON.stringify(oneHot.shape)} must both be [batch, classes]`);
  }
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
    throw new ShapeError(`crossEntropyLoss: labelSmoothing ${labelSmoothing} must be in [0, 1)`);
  }
  return tf.tidy(() => {
    const k = logits.shape[1] as number;
    const y = labelSmoothing > 0 ? tf.add(tf.mul(oneHot, 1 - labelSmoothing), labelSmoothing / k) : oneHot;
    const lse = tf.logSumExp(logits, 1);
    const dot = tf.sum(tf.mul(y, logits), 1);
    return tf.mean(tf.sub(lse, dot)) as tf.Scalar;
  });
}
