/**
 * A fault-injecting stage for the forward pass (used by src/resilience for transient activation faults):
 * wraps {@link ForwardHooks} so that, after the wrapped hooks ran, chosen elements of chosen node outputs
 * are replaced by corrupted values. Only the hit elements travel between tfjs and JavaScript (a gather of
 * their current values, a scatter of the new ones), so the cost grows with the number of faults, not with
 * the size of the activations.
 */
import type { ActivationInfo, ForwardHooks } from './model.js';
import { tf } from './tf.js';

/** Decides which activation elements are hit and what they become. */
export interface ActivationCorruptor {
  /**
   * Flat indices (strictly increasing, in the value's engine layout, batch included) of the elements of
   * node `info.node`'s output to corrupt in this forward pass, or undefined / empty to leave it.
   * `size` is the element count of the whole batch tensor.
   */
  select(info: ActivationInfo, size: number): Int32Array | undefined;
  /** The corrupted values of the selected elements, given their current values (same order). */
  corrupt(info: ActivationInfo, indices: Int32Array, values: Float32Array): Float32Array;
}

/** Hooks that run `base` and then corrupt activations as `corruptor` says (weights: `base` only). */
export function activationFaultHooks(base: ForwardHooks, corruptor: ActivationCorruptor): ForwardHooks {
  const inner = base.activationTransform;
  return {
    ...base,
    activationTransform: (a, info) => {
      const x = inner ? inner(a, info) : a;
      const idx = corruptor.select(info, x.size);
      if (!idx || idx.length === 0) return x;
      return tf.tidy(() => {
        const flat = tf.reshape(x, [x.size]);
        const at = tf.tensor2d(idx, [idx.length, 1], 'int32');
        const old = tf.gatherND(flat, at).dataSync() as Float32Array;
        const next = corruptor.corrupt(info, idx, Float32Array.from(old));
        const mask = tf.greater(tf.scatterND(at, tf.ones([idx.length]), [x.size]), 0);
        const repl = tf.scatterND(at, tf.tensor1d(next), [x.size]);
        return tf.reshape(tf.where(mask, repl, flat), x.shape);
      });
    },
  };
}
